"""The deployment file format (`schema_version: 1`): loading and cross-reference checks."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

from residency_audit.errors import InputError
from residency_audit.format.convert import INVALID, Converter
from residency_audit.format.identifiers import identified, identifier_problems
from residency_audit.format.limits import limit_problems
from residency_audit.hostnames import hostname_problem
from residency_audit.loader import Document, load_document
from residency_audit.model import Deployment, Diagnostic, Span
from residency_audit.partitions import arn_problems

SCHEMA_VERSION = 1

GLOBAL_SERVICES = frozenset({("aws", "cloudfront")})
"""(provider, service) of the services with no region: AWS's own API reference gives a
CloudFront distribution's ARN as `arn:aws:cloudfront::123456789012:distribution/EDFDVBD632BHDS5`
(DistributionSummary.Arn, no region field), its edges are chosen by its price class, and
`discover aws` lists distributions with one call to us-east-1 and writes them with no region
(collectors/aws_cloudfront.py). A `region` on such a component is a location the service does
not have: it never matched the observed distribution (drift_found matches a region-less
declaration by provider, service and region) and the other rules took the CDN to be in that
region's country. NOTE: CloudFront in the aws-eusc partition was not looked up; it is not listed."""


def load_deployment(path: Path, display: str | None = None) -> tuple[Deployment, Document]:
    """Read and validate a deployment file; every problem in it is raised at once."""
    document = load_document(path, display)
    return parse_deployment(document), document


def parse_deployment(document: Document) -> Deployment:
    if document.root is None:
        raise InputError.at(
            Span(document.path, 1, 1),
            "empty file; expected a deployment (see `residency-audit schema`)",
        )
    converter = Converter(document.path, single_line=True)
    converted = converter.mapping(document.root, Deployment, "")
    if converted is INVALID:
        raise InputError(sorted(converter.diagnostics))
    deployment: Deployment = dataclasses.replace(
        converted, path=document.path, locations=converter.locations
    )
    too_much = list(limit_problems(deployment))  # before any check walks what it counts
    if too_much:
        raise InputError(sorted(too_much))
    problems = sorted([*check_references(deployment), *arn_problems(deployment)])
    if problems:
        raise InputError(problems)
    return deployment


def check_references(d: Deployment) -> Iterable[Diagnostic]:
    """Ids are unique and every reference points at something declared; ids, listed values
    and country codes can name a finding's subject one way only (`format.identifiers`)."""
    at = d.locations.get
    root = Span(d.path, 1, 1)
    if d.schema_version != SCHEMA_VERSION:
        yield Diagnostic(
            at("schema_version", root),
            f"schema_version {d.schema_version} is not supported; this tool reads "
            f"version {SCHEMA_VERSION}",
        )
    for label, items in identified(d):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                yield Diagnostic(
                    at(f"{label}[{i}].id", root),
                    f"duplicate id {item.id!r} in {label}; ids must be unique",
                )
            seen.add(item.id)
    parties = {p.id for p in d.parties}
    components = {c.id for c in d.components}
    keys = {k.id for k in d.keys}

    def ref(path: str, value: str | None, known: set[str], what: str) -> Iterable[Diagnostic]:
        # A tuple, not a generator: a file makes some thirty references, nearly all known.
        if value is not None and value not in known:
            choices = ", ".join(sorted(known)) or "none declared"
            return (
                Diagnostic(
                    at(path, root), f"{path}: unknown {what} {value!r} (declared: {choices})"
                ),
            )
        return ()

    yield from ref("controller", d.controller, parties, "party")
    if not d.components and d.observation is None:
        # An account observed empty is a fact; a declaration placing the data nowhere says
        # nothing an audit could pass (an audit of nothing never passes a gate).
        yield Diagnostic(
            at("components", root),
            "components: a declared deployment must list at least one component (where the "
            "data are stored or processed); only a file written by `discover` may list none",
        )
    for i, c in enumerate(d.components):
        yield from ref(f"components[{i}].operator", c.operator, parties, "party")
        if c.shared_with is not None and d.observation is None:
            path = f"components[{i}].shared_with"
            yield Diagnostic(
                at(path, root),
                f"{path}: only an observed deployment (one with `observation`, as "
                "`residency-audit discover aws` writes it) says who a store is shared with; "
                "remove it",
            )
        yield from ref(f"components[{i}].key", c.key, keys, "key")
        for j, copy in enumerate(c.copies):
            yield from ref(f"components[{i}].copies[{j}].operator", copy.operator, parties, "party")
        for j, log in enumerate(c.logs):
            yield from ref(f"components[{i}].logs[{j}].operator", log.operator, parties, "party")
        for j, activity in enumerate(c.hds_activities):
            if not 1 <= activity <= 6:
                path = f"components[{i}].hds_activities[{j}]"
                yield Diagnostic(
                    at(path, root),
                    f"{path}: HDS activity {activity} does not exist; activities are 1 to 6 "
                    "(R.1111-9 CSP)",
                )
        if (c.provider, (c.service or "").lower()) in GLOBAL_SERVICES:
            for key, where in (("region", c.region), ("country", c.country)):
                if where is None:
                    continue
                yield Diagnostic(
                    at(f"components[{i}].{key}", c.span),
                    f"components[{i}].{key}: {c.service} is a global service: a distribution "
                    "has no region (its ARN has none) and is served from the edge locations of "
                    f"its price class, so {where} says nothing of where it serves from; remove "
                    f"`{key}` (a distribution then matches the component by its id or ARN in "
                    "`resources`, or as the account's CloudFront, and where it serves from "
                    "cannot be verified)",
                )
        for key, names in (("hostnames", c.hostnames), ("mail_domains", c.mail_domains)):
            for j, name in enumerate(names):
                problem = hostname_problem(name)
                if problem:
                    yield Diagnostic(at(f"components[{i}].{key}[{j}]", root), problem)
    for i, k in enumerate(d.keys):
        yield from ref(f"keys[{i}].holder", k.holder, parties, "party")
    for i, a in enumerate(d.access):
        yield from ref(f"access[{i}].entity", a.entity, parties, "party")
        for j, comp in enumerate(a.components):
            yield from ref(f"access[{i}].components[{j}]", comp, components, "component")
    for i, t in enumerate(d.transfers):
        yield from ref(f"transfers[{i}].recipient", t.recipient, parties, "party")
        yield from ref(f"transfers[{i}].exporter", t.exporter, parties, "party")
        if t.scc_module is not None and not 1 <= t.scc_module <= 4:
            path = f"transfers[{i}].scc_module"
            yield Diagnostic(
                at(path, root),
                f"{path}: {t.scc_module} is no module; scc_module must be 1, 2, 3 or 4 "
                "(Decision 2021/914)",
            )
        for j, onward in enumerate(t.onward):
            yield from ref(
                f"transfers[{i}].onward[{j}].recipient", onward.recipient, parties, "party"
            )
    for i, p in enumerate(d.parties):
        for j, share in enumerate(p.ownership or ()):
            if not 0 <= share.percent <= 100:
                path = f"parties[{i}].ownership[{j}].percent"
                yield Diagnostic(
                    at(path, root),
                    f"{path}: {share.percent:g} is no share; percent must be between 0 and 100",
                )
    for j, pid in enumerate(d.claims.processors or ()):
        yield from ref(f"claims.processors[{j}]", pid, parties, "party")
    if d.data.pseudonymisation is not None:
        yield from ref(
            "data.pseudonymisation.holder", d.data.pseudonymisation.holder, parties, "party"
        )
    yield from identifier_problems(d)
    for i, cert in enumerate(d.certifications):
        yield from ref(f"certifications[{i}].holder", cert.holder, parties, "party")
        if cert.issued and cert.expires and cert.expires < cert.issued:
            yield Diagnostic(
                at(f"certifications[{i}].expires", root),
                f"certifications[{i}].expires: {cert.expires} is before its issue date "
                f"{cert.issued}; `expires` is the last day of validity, as the certificate "
                "states it: check both dates",
            )
        for j, activity in enumerate(cert.activities):
            if not 1 <= activity <= 6:
                path = f"certifications[{i}].activities[{j}]"
                yield Diagnostic(
                    at(path, root),
                    f"{path}: HDS activity {activity} does not exist; activities are 1 to 6 "
                    "(R.1111-9 CSP)",
                )

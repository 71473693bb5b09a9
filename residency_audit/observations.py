"""The DNS observations file that `discover dns` writes and `check --dns` reads.

```yaml
schema_version: 1
kind: dns-observations
observed_on: 2026-11-28
resolver: 127.0.0.1:5354
names:
  - name: api.example-health.test
    purpose: host
    status: resolved
    cnames: [{name: api.example-health.test, target: d111.cloudfront.net}]
    canonical: d111.cloudfront.net
    addresses: [108.138.0.10, 108.138.0.11]
    nameservers: [ns1.example-health.test]
    attributions: [{subject: d111.cloudfront.net, provider: aws, method: dns-suffix, ...}]
```
A mail domain has `mail_exchangers` instead of `addresses`; one whose only MX record is the null
MX of RFC 7505 (`0 .`: the domain accepts no mail) has `status: null-mx` and no exchangers.
The records are the evidence; `attributions` say what the knowledge base made of them when the
file was written, for people to read. `check` re-attributes the records with the knowledge base in
use, so a refreshed knowledge base never disagrees with an old file. Loaded with the located-YAML
machinery, so every problem is reported at file:line:col and every fact keeps its line; an
observation that contradicts itself is refused there too (`observation_checks`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import field
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

import yaml

from residency_audit.attribution import Attribution
from residency_audit.errors import InputError
from residency_audit.format.convert import INVALID, Converter
from residency_audit.hostnames import hostname_problem, normalise_hostname
from residency_audit.loader import Document, load_document
from residency_audit.model import Diagnostic, Span, doc
from residency_audit.records import Record, record

SCHEMA_VERSION = 1
KIND = "dns-observations"


class Purpose(StrEnum):
    """host: CNAME chain, A, AAAA and NS are read; mail: MX, and each exchanger's addresses."""

    HOST = "host"
    MAIL = "mail"


class Status(StrEnum):
    """What the resolver said. Only `resolved` lets a rule decide; the others are "unresolved"
    facts and give "cannot be verified" findings, but for `null-mx`. timeout, servfail and
    error also make the audit partial (the collector could not read the answer). `null-mx`: a
    mail domain whose only MX record is the null MX of RFC 7505 (preference 0, exchange "."),
    which says the domain accepts no mail: no mail goes anywhere, so no rule judging who
    receives it applies."""

    RESOLVED = "resolved"
    NULL_MX = "null-mx"
    NXDOMAIN = "nxdomain"
    NO_ANSWER = "no-answer"
    SERVFAIL = "servfail"
    TIMEOUT = "timeout"
    ERROR = "error"

    @property
    def unreadable(self) -> bool:
        return self in (Status.SERVFAIL, Status.TIMEOUT, Status.ERROR)


@record
class Cname(Record):
    name: str = field(metadata=doc("Owner of the CNAME record."))
    target: str = field(metadata=doc("Name it points to."))


@record
class MailExchanger(Record):
    preference: int = field(metadata=doc("MX preference (lower is tried first)."))
    exchange: str = field(metadata=doc("Host that receives the mail."))
    addresses: tuple[str, ...] = field(default=(), metadata=doc("Its A and AAAA addresses."))
    status: Status = field(
        default=Status.RESOLVED,
        metadata=doc("How its lookup went, as a name's status (files before it: resolved)."),
    )
    detail: str | None = field(default=None, metadata=doc("Resolver message when unresolved."))
    cnames: tuple[Cname, ...] = field(default=(), metadata=doc("Its CNAME chain, in order."))
    canonical: str | None = field(default=None, metadata=doc("End of its CNAME chain."))
    span: Span = field(default=Span("", 0, 0), compare=False)

    @property
    def chain(self) -> tuple[str, ...]:
        """The exchanger, then each CNAME target: the way mail goes."""
        return (self.exchange, *(c.target for c in self.cnames))


@record
class NameObservation(Record):
    name: str = field(metadata=doc("The name queried (lower case, no trailing dot)."))
    purpose: Purpose = field(metadata=doc("host or mail."))
    status: Status = field(
        metadata=doc("resolved, nxdomain, no-answer, servfail, timeout, error; null-mx (mail).")
    )
    detail: str | None = field(default=None, metadata=doc("Resolver message when unresolved."))
    cnames: tuple[Cname, ...] = field(default=(), metadata=doc("CNAME chain, in order."))
    canonical: str | None = field(default=None, metadata=doc("End of the CNAME chain."))
    addresses: tuple[str, ...] = field(default=(), metadata=doc("A and AAAA addresses."))
    mail_exchangers: tuple[MailExchanger, ...] = field(
        default=(), metadata=doc("MX records, by preference.")
    )
    nameservers: tuple[str, ...] = field(default=(), metadata=doc("NS of the name's zone."))
    attributions: tuple[Attribution, ...] = field(
        default=(), metadata=doc("Providers found when the file was written (informative).")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)

    @property
    def chain(self) -> tuple[str, ...]:
        """The name, then each CNAME target."""
        return (self.name, *(c.target for c in self.cnames))


@record
class DnsObservations(Record):
    schema_version: int = field(metadata=doc("Format version; must be 1."))
    kind: str = field(metadata=doc('Always "dns-observations".'))
    observed_on: dt.date = field(metadata=doc("Day the names were resolved."))
    resolver: str = field(
        metadata=doc("Nameservers queried (host:port); older files may say system.")
    )
    names: tuple[NameObservation, ...] = field(metadata=doc("One entry per name queried."))
    path: str = field(default="", compare=False)
    locations: Mapping[str, Span] = field(default_factory=dict, compare=False, repr=False)

    def origin(self, index: int) -> str:
        """Where observation `index` came from: file:line:col, or the resolver queried."""
        span = self.locations.get(f"names[{index}]")
        if span is not None and self.path:
            return str(span)
        return f"dns:{self.resolver} {self.names[index].name}"


def parse_observations(document: Document) -> DnsObservations:
    where = Span(document.path, 1, 1)
    if document.root is None:
        raise InputError.at(
            where,
            "empty file; expected DNS observations (written by `residency-audit discover dns`)",
        )
    converter = Converter(document.path)
    obs = converter.mapping(document.root, DnsObservations, "")
    if obs is INVALID:
        raise InputError(sorted(converter.diagnostics))
    at = converter.locations.get
    problems: list[Diagnostic] = []
    if obs.schema_version != SCHEMA_VERSION:
        problems.append(
            Diagnostic(
                at("schema_version", where),
                f"schema_version {obs.schema_version} is not supported; expected 1",
            )
        )
    if obs.kind != KIND:
        problems.append(
            Diagnostic(
                at("kind", where),
                f"kind {obs.kind!r}: this is not a DNS observations file (expected {KIND!r})",
            )
        )
    first: dict[tuple[str, Purpose], int] = {}
    for i, n in enumerate(obs.names):
        problems += _name_problems(n, f"names[{i}]", lambda path: at(path, where))
        key = (normalise_hostname(n.name), n.purpose)
        if key in first:  # which of two answers is the truth? the file must say one
            seen = at(f"names[{first[key]}].name", where)
            problems.append(
                Diagnostic(
                    at(f"names[{i}].name", where),
                    f"{key[0]} ({n.purpose.value}) is observed twice in this file, first at "
                    f"line {seen.line}; keep one observation per name",
                )
            )
        first.setdefault(key, i)
    if problems:
        raise InputError(sorted(problems))
    names = tuple(dataclasses.replace(n, name=normalise_hostname(n.name)) for n in obs.names)
    loaded: DnsObservations = dataclasses.replace(
        obs, names=names, path=document.path, locations=converter.locations
    )
    return loaded


def _name_problems(n: NameObservation, base: str, at: Callable[[str], Span]) -> list[Diagnostic]:
    """What is wrong in one name's observation: a malformed name anywhere (queried, CNAME
    owner or target, exchanger), an address that is not one, a CNAME chain that loops. Any of
    them would be attributed to a provider with confidence."""
    out = []
    hosts = [(f"{base}.name", n.name)]
    hosts += [(f"{base}.cnames[{j}].name", c.name) for j, c in enumerate(n.cnames)]
    hosts += [(f"{base}.cnames[{j}].target", c.target) for j, c in enumerate(n.cnames)]
    hosts += [(f"{base}.canonical", n.canonical)] if n.canonical else []
    for j, mx in enumerate(n.mail_exchangers):
        at_mx = f"{base}.mail_exchangers[{j}]"
        hosts.append((f"{at_mx}.exchange", mx.exchange))
        hosts += [(f"{at_mx}.cnames[{k}].name", c.name) for k, c in enumerate(mx.cnames)]
        hosts += [(f"{at_mx}.cnames[{k}].target", c.target) for k, c in enumerate(mx.cnames)]
        hosts += [(f"{at_mx}.canonical", mx.canonical)] if mx.canonical else []
    for path, host in hosts:
        # the queried name was a hostname (declared, or given to `discover dns`); the others
        # are what DNS records hold, where underscores are legal
        problem = hostname_problem(host, underscore=path != f"{base}.name")
        if problem:
            out.append(Diagnostic(at(path), problem))
    addresses = [(f"{base}.addresses[{j}]", a) for j, a in enumerate(n.addresses)]
    addresses += [
        (f"{base}.mail_exchangers[{j}].addresses[{k}]", a)
        for j, mx in enumerate(n.mail_exchangers)
        for k, a in enumerate(mx.addresses)
    ]
    for path, address in addresses:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            out.append(Diagnostic(at(path), f"{address!r} is not an IPv4 or IPv6 address"))
    visited = {normalise_hostname(n.name)}
    for j, c in enumerate(n.cnames):
        target = normalise_hostname(c.target)
        if target in visited:
            out.append(
                Diagnostic(
                    at(f"{base}.cnames[{j}].target"),
                    f"the CNAME chain loops back to {target}; a resolver would fail (servfail)",
                )
            )
            break
        visited.add(target)
    # imported here, not at the top: observation_checks reads the types defined above
    from residency_audit.observation_checks import contradictions

    return out + contradictions(n, base, at)


def load_observations(path: Path) -> DnsObservations:
    return parse_observations(load_document(path, str(path)))


def dump_observations(obs: DnsObservations) -> str:
    """YAML text, keys in field order, empty fields left out: byte-stable for the same data."""
    return yaml.safe_dump(
        _plain(obs), sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in dataclasses.fields(value):
            if "doc" not in f.metadata:
                continue
            item = getattr(value, f.name)
            if item is None or item == ():
                continue
            out[f.name] = _plain(item)
        return out
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value

"""`run(options) -> Report`: the whole audit, shared by the CLI and the tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from residency_audit import __version__, evidence
from residency_audit import kb as kb_module
from residency_audit.drift import drift_subjects, gap_subjects
from residency_audit.engine.evaluate import audit, judge_subjects
from residency_audit.engine.rules import Pack, Rule, load_packs
from residency_audit.engine.subjects import Subject
from residency_audit.errors import InputError, RuleError
from residency_audit.format import parse_deployment
from residency_audit.kb import KnowledgeBase
from residency_audit.loader import load_document
from residency_audit.model import (
    Check,
    Deployment,
    Diagnostic,
    Finding,
    Flow,
    InputFile,
    PackInfo,
    Report,
    Span,
)
from residency_audit.risk import flow_subjects, flows_with_risk, load_model

if TYPE_CHECKING:  # DNS, waivers and baselines are imported only by the runs that use them
    from residency_audit.discover import DnsSettings
    from residency_audit.endpoints import ObservationIndex


@dataclass(frozen=True, slots=True)
class Options:
    paths: Sequence[Path]
    as_of: dt.date = field(default_factory=dt.date.today)
    rule_dirs: Sequence[Path] = ()
    dns_files: Sequence[Path] = ()
    """DNS observations written by `discover dns`: adds the endpoint checks of rules/dns/."""
    resolve: DnsSettings | None = None
    """Resolve every declared hostname and mail domain during the run (check --resolve)."""
    risk_model: Path | None = None
    """Transfer-risk model file replacing the bundled one (`--risk-model`)."""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    """Audit settings rules may name (`engine.operators.PARAMETERS`), e.g. tia_max_age_days."""
    waivers: Path | None = None
    """Waiver file (`--waivers`); see `residency_audit.waivers`."""
    baseline: Path | None = None
    """Saved JSON result (`--baseline`); findings in it do not count toward the exit code."""
    observed: Sequence[Path] = ()
    """Observed deployments (`discover` output) compared with the declared ones: drift."""


def run(options: Options, *, kb: KnowledgeBase | None = None) -> Report:
    """Audit every deployment file under `options.paths`. Files with input errors are reported
    in `Report.errors`; the others are still audited."""
    knowledge = kb or kb_module.default()
    packs = load_rules(options.rule_dirs, knowledge)
    rules = [rule for pack in packs for rule in pack.rules]
    model = load_model(options.risk_model, law_ids=knowledge.laws)
    # Waivers and baseline are read first: a mistake in them stops the run before any audit.
    # Their modules are imported only by the runs that use them (start-up time).
    waivers = baseline = None
    if options.waivers is not None:
        from residency_audit.waivers import load_waivers

        waivers = load_waivers(options.waivers, known_rules={r.id for r in rules})
    if options.baseline is not None:
        from residency_audit.results import read_result

        baseline = read_result(options.baseline, role="baseline")
    inputs: list[InputFile] = []
    findings: list[Finding] = []
    flows: list[Flow] = []
    errors: list[Diagnostic] = []
    checks: list[Check] = []
    files, walk_errors = collect(options.paths)
    errors += walk_errors
    parsed: list[tuple[Deployment, list[Flow]]] = []
    for path in files:
        display = str(path)
        try:
            document = load_document(path, display)
            digest = hashlib.sha256(document.raw).hexdigest()
            deployment = parse_deployment(document)
        except InputError as exc:
            errors += exc.diagnostics
            inputs.append(InputFile(display, _sha256_or_empty(path), None))
            continue
        inputs.append(InputFile(display, digest, deployment.name))
        try:
            found = flows_with_risk(deployment, knowledge, options.as_of, model)
        except InputError as exc:  # the deployment's `risk:` overrides are invalid
            errors += exc.diagnostics
            continue
        flows += found
        parsed.append((deployment, found))
    index, partial = _dns_observations(options, [d for d, _ in parsed], knowledge, errors)
    for deployment, found in parsed:
        extra = list(flow_subjects(found, deployment, knowledge, options.as_of))
        if index is not None:
            from residency_audit.endpoints import endpoint_subjects

            extra += endpoint_subjects(deployment, index, knowledge, options.as_of)
        extra += gap_subjects(deployment)
        result = audit(deployment, rules, kb=knowledge, as_of=options.as_of, extra=extra,
                       parameters=options.parameters)
        findings += result.findings
        checks += result.checks
    partial += [reason for d, _ in parsed for reason in _partial(d)]
    if options.observed:
        more = _observations(options, [d for d, _ in parsed], rules, knowledge)
        inputs += more.inputs
        findings += more.findings
        checks += more.checks
        errors += more.errors
        partial += more.partial
    if waivers is not None:
        from residency_audit.waivers import apply_waivers

        inputs.append(waivers.input)
        findings = apply_waivers(findings, waivers, rules, kb=knowledge, as_of=options.as_of)
    if baseline is not None:
        from residency_audit.results import apply_baseline, baseline_identities

        inputs.append(baseline.input)
        findings = apply_baseline(findings, baseline_identities(baseline.report))
    used = {f.origin for finding in findings for f in finding.facts if not f.verified}
    return Report(
        tool_version=__version__,
        as_of=options.as_of,
        inputs=tuple(inputs),
        packs=tuple(PackInfo(p.name, p.title, p.version, p.sha256, len(p.rules)) for p in packs),
        knowledge=tuple((f.name, f.sha256) for f in knowledge.files)
        + (knowledge.network().files if index is not None else ()),
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        errors=tuple(sorted(errors)),
        flows=tuple(sorted(flows, key=lambda f: (f.span.path, f.span.line, f.span.column, f.id))),
        risk_model=(model.path, model.sha256),
        stale_knowledge=tuple(knowledge.stale_entries(options.as_of)),
        unverified_knowledge=tuple(sorted(o for o in used if o.startswith("kb:"))),
        partial=tuple(partial),
        rules=evidence.rule_infos(packs, options.as_of),
        checks=tuple(checks),
        waivers=() if waivers is None else waivers.waivers,
        countries=evidence.country_statuses(
            evidence.named_countries(findings, flows), knowledge, options.as_of),
    )


def _dns_observations(options: Options, deployments: Sequence[Deployment],
                      knowledge: KnowledgeBase,
                      errors: list[Diagnostic]) -> tuple[ObservationIndex | None, list[str]]:
    """DNS observations for the endpoint checks: resolved now (--resolve) and/or read from
    files (--dns); None when neither was asked for. Unreadable names make the audit partial."""
    if options.resolve is None and not options.dns_files:
        return None, []
    from residency_audit.discover import requests_of, resolve, unreadable
    from residency_audit.endpoints import ObservationIndex
    from residency_audit.observations import DnsObservations, load_observations

    sets: list[DnsObservations] = []
    if options.resolve is not None:
        sets.append(resolve(requests_of(deployments), options.resolve, knowledge,
                            observed_on=dt.date.today()))
    for path in options.dns_files:
        try:
            sets.append(load_observations(path))
        except InputError as exc:
            errors += exc.diagnostics
    return ObservationIndex(sets), unreadable(sets)


@dataclass(slots=True)
class _Observed:
    inputs: list[InputFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def _by_deployment(pairs: list[tuple[str, Subject]]) -> dict[str, list[Subject]]:
    grouped: dict[str, list[Subject]] = {}
    for name, subject in pairs:
        grouped.setdefault(name, []).append(subject)
    return grouped


def _observations(options: Options, declared: Sequence[Deployment], rules: Sequence[Rule],
                  knowledge: KnowledgeBase) -> _Observed:
    """Drift of each observed deployment from the declared ones, and its gaps."""
    out = _Observed()
    files, walk_errors = collect(options.observed)
    out.errors += walk_errors
    for path in files:
        try:
            document = load_document(path, str(path))
            observed = parse_deployment(document)
        except InputError as exc:
            out.errors += exc.diagnostics
            out.inputs.append(InputFile(str(path), _sha256_or_empty(path), None))
            continue
        out.inputs.append(InputFile(str(path), hashlib.sha256(document.raw).hexdigest(),
                                    observed.name))
        out.partial += _partial(observed)
        judged = [(observed.name, s) for s in gap_subjects(observed)]
        judged += drift_subjects(declared, observed, knowledge, options.as_of)
        for name, items in _by_deployment(judged).items():
            result = judge_subjects(items, rules, kb=knowledge, as_of=options.as_of,
                                    deployment=name, parameters=options.parameters)
            out.findings += result.findings
            out.checks += result.checks
    return out


def _partial(d: Deployment) -> list[str]:
    """Why an observed deployment is partial: one line per call that could not be read."""
    if d.observation is None:
        return []
    return [f"{d.path}: {g.service} {g.call} in {g.region or 'global'} not observed: {g.reason}"
            + (f" (needs {g.permission})" if g.permission else "")
            for g in d.observation.not_observed]


def load_rules(rule_dirs: Sequence[Path], knowledge: KnowledgeBase) -> tuple[Pack, ...]:
    """Load the bundled and extra packs; a rule citing an unknown law id is a rule error."""
    packs = load_packs(rule_dirs)
    problems = [
        Diagnostic(rule.span, f"rule {rule.id} cites unknown law id {law!r}")
        for pack in packs for rule in pack.rules for law in rule.laws
        if law not in knowledge.laws
    ]
    problems += [
        Diagnostic(rule.span, f"rule {rule.id} depends on unknown knowledge-base entry {entry!r}")
        for pack in packs for rule in pack.rules for entry in rule.depends_on
        if knowledge.entry(entry) is None
    ]
    if problems:
        raise RuleError(problems)
    return packs


def collect(paths: Sequence[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Files named, and `*.yaml`/`*.yml` under directories (symlinked directories are not
    followed, so a link loop cannot hang the walk)."""
    files: list[Path] = []
    errors: list[Diagnostic] = []
    for path in paths:
        if path.is_dir():
            files += sorted(_walk(path))
        elif path.exists() or path.is_symlink():
            files.append(path)
        else:
            errors.append(Diagnostic(Span(str(path), 1, 1), "no such file or directory"))
    return list(dict.fromkeys(files)), errors


def _walk(directory: Path) -> Iterator[Path]:
    for root, dirs, names in os.walk(directory, followlinks=False):
        dirs.sort()
        for name in names:
            if name.endswith((".yaml", ".yml")):
                yield Path(root) / name


def _sha256_or_empty(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return ""

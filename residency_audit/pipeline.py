"""`run(options) -> Report`: the whole audit, shared by the CLI and the tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from residency_audit import __version__, kb as kb_module
from residency_audit.drift import drift_subjects, gap_subjects
from residency_audit.engine.evaluate import audit, judge_subjects
from residency_audit.engine.rules import Pack, Rule, load_packs
from residency_audit.errors import InputError, RuleError
from residency_audit.format import parse_deployment
from residency_audit.kb import KnowledgeBase
from residency_audit.loader import load_document
from residency_audit.model import (
    Deployment,
    Diagnostic,
    Finding,
    InputFile,
    PackInfo,
    Report,
    Span,
)


@dataclass(frozen=True, slots=True)
class Options:
    paths: Sequence[Path]
    as_of: dt.date = field(default_factory=dt.date.today)
    rule_dirs: Sequence[Path] = ()
    observed: Sequence[Path] = ()
    """Observed deployments (`discover` output) compared with the declared ones: drift."""


def run(options: Options, *, kb: KnowledgeBase | None = None) -> Report:
    """Audit every deployment file under `options.paths`. Files with input errors are reported
    in `Report.errors`; the others are still audited."""
    knowledge = kb or kb_module.default()
    packs = load_rules(options.rule_dirs, knowledge)
    rules = [rule for pack in packs for rule in pack.rules]
    inputs: list[InputFile] = []
    findings: list[Finding] = []
    errors: list[Diagnostic] = []
    declared: list[Deployment] = []
    files, walk_errors = collect(options.paths)
    errors += walk_errors
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
        findings += audit(deployment, rules, kb=knowledge, as_of=options.as_of)
        findings += judge_subjects(gap_subjects(deployment), rules, kb=knowledge,
                                   as_of=options.as_of, deployment=deployment.name)
        declared.append(deployment)
    partial = [reason for d in declared for reason in _partial(d)]
    if options.observed:
        more = _observations(options, declared, rules, knowledge)
        inputs += more.inputs
        findings += more.findings
        errors += more.errors
        partial += more.partial
    used = {f.origin for finding in findings for f in finding.facts if not f.verified}
    return Report(
        tool_version=__version__,
        as_of=options.as_of,
        inputs=tuple(inputs),
        packs=tuple(PackInfo(p.name, p.title, p.version, p.sha256, len(p.rules)) for p in packs),
        knowledge=tuple((f.name, f.sha256) for f in knowledge.files),
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        errors=tuple(sorted(errors)),
        stale_knowledge=tuple(knowledge.stale_entries(options.as_of)),
        unverified_knowledge=tuple(sorted(o for o in used if o.startswith("kb:"))),
        partial=tuple(partial),
    )


@dataclass(slots=True)
class _Observed:
    inputs: list[InputFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)


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
        out.findings += judge_subjects(gap_subjects(observed), rules, kb=knowledge,
                                       as_of=options.as_of, deployment=observed.name)
        for name, subject in drift_subjects(declared, observed, knowledge, options.as_of):
            out.findings += judge_subjects([subject], rules, kb=knowledge, as_of=options.as_of,
                                           deployment=name)
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
    if problems:
        raise RuleError(problems)
    return packs


def all_rules(packs: Sequence[Pack]) -> list[Rule]:
    return [rule for pack in packs for rule in pack.rules]


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

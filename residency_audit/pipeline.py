"""`run(options) -> Report`: the whole audit, shared by the CLI and the tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from residency_audit import __version__
from residency_audit import kb as kb_module
from residency_audit.engine.evaluate import audit
from residency_audit.engine.rules import Pack, Rule, load_packs
from residency_audit.errors import InputError, RuleError
from residency_audit.format import parse_deployment
from residency_audit.kb import KnowledgeBase
from residency_audit.loader import Document, compose, decode, read_bytes
from residency_audit.model import Diagnostic, Finding, InputFile, PackInfo, Report, Span


@dataclass(frozen=True, slots=True)
class Options:
    paths: Sequence[Path]
    as_of: dt.date = field(default_factory=dt.date.today)
    rule_dirs: Sequence[Path] = ()
    jobs: int = 1
    """Worker processes for a batch; 0 means one per core (`--jobs`)."""


def run(options: Options, *, kb: KnowledgeBase | None = None) -> Report:
    """Audit every deployment file under `options.paths`. Files with input errors are reported
    in `Report.errors`; the others are still audited."""
    knowledge = kb or kb_module.default()
    packs = load_rules(options.rule_dirs, knowledge)
    rules = [rule for pack in packs for rule in pack.rules]
    inputs: list[InputFile] = []
    findings: list[Finding] = []
    errors: list[Diagnostic] = []
    files, walk_errors = collect(options.paths)
    errors += walk_errors
    batch_ok = kb is None  # workers load the bundled knowledge base; a custom one stays here
    for entry, file_findings, file_errors in _audit_all(files, rules, knowledge, options,
                                                        parallel=batch_ok):
        inputs.append(entry)
        findings += file_findings
        errors += file_errors
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
    )


FileResult = tuple[InputFile, list[Finding], list[Diagnostic]]


def audit_file(path: Path, rules: Sequence[Rule], knowledge: KnowledgeBase,
               as_of: dt.date) -> FileResult:
    """One file's entry in the report, its findings and its input errors (never raised)."""
    display = str(path)
    digest = ""  # a file that could not be read has no hash; it is never opened twice
    try:
        raw = read_bytes(path, display)
        digest = hashlib.sha256(raw).hexdigest()
        document = Document(display, raw, compose(decode(raw, display), display))
        deployment = parse_deployment(document)
    except InputError as exc:
        return InputFile(display, digest, None), [], list(exc.diagnostics)
    findings = audit(deployment, rules, kb=knowledge, as_of=as_of)
    return InputFile(display, digest, deployment.name), findings, []


def _audit_all(files: Sequence[Path], rules: Sequence[Rule], knowledge: KnowledgeBase,
               options: Options, *, parallel: bool) -> Iterator[FileResult]:
    """Results in file order, from worker processes when `--jobs` and the batch warrant it."""
    if parallel and options.jobs != 1 and len(files) > 1:
        from residency_audit import batch

        jobs = options.jobs or batch.default_jobs()
        workers = batch.worker_count(jobs, len(files))
        if workers > 1:
            yield from batch.audit_parallel(  # type: ignore[misc]
                files, rule_dirs=options.rule_dirs, as_of=options.as_of, workers=workers)
            return
    for path in files:
        yield audit_file(path, rules, knowledge, options.as_of)


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
            files += sorted(_walk(path, errors))
        elif path.exists() or path.is_symlink():
            files.append(path)
        else:
            errors.append(Diagnostic(Span(str(path), 1, 1), "no such file or directory"))
    return list(dict.fromkeys(files)), errors


def _walk(directory: Path, errors: list[Diagnostic]) -> Iterator[Path]:
    def unreadable(exc: OSError) -> None:  # a directory we cannot list must not pass silently
        where = Span(str(exc.filename or directory), 1, 1)
        errors.append(Diagnostic(where, f"cannot list directory: {exc.strerror or exc}"))

    for root, dirs, names in os.walk(directory, onerror=unreadable, followlinks=False):
        dirs.sort()
        for name in names:
            if name.endswith((".yaml", ".yml")):
                yield Path(root) / name

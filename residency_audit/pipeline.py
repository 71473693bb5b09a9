"""`run(options) -> Report`: the whole audit, shared by the CLI and the tests."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from residency_audit import __version__, cache, evidence
from residency_audit import kb as kb_module
from residency_audit.clock import utc_today
from residency_audit.collation import Collation, FileResult
from residency_audit.drift import observation_gaps, observation_subjects
from residency_audit.engine.evaluate import audit
from residency_audit.engine.rules import Pack, Rule, load_packs
from residency_audit.engine.subjects import SubjectBuilder
from residency_audit.errors import InputError, RuleError
from residency_audit.format import parse_deployment
from residency_audit.kb import KnowledgeBase
from residency_audit.loader import (
    Document,
    compose,
    decode,
    escaped_name,
    read_bytes,
    unshowable_name,
)
from residency_audit.model import (
    Diagnostic,
    Finding,
    InputFile,
    PackInfo,
    Report,
    Span,
)
from residency_audit.observed_checks import observed_by
from residency_audit.records import Record, record
from residency_audit.risk import flow_subjects, flows_with_risk, load_model
from residency_audit.risk.spec import RiskModel

if TYPE_CHECKING:  # DNS, waivers and baselines are imported only by the runs that use them
    from residency_audit.discover import DnsSettings
    from residency_audit.endpoints import ObservationIndex
    from residency_audit.packing import Packed
    from residency_audit.reporters import OutputFormat


@record
class Options(Record):
    """What to audit and how: the inputs of `run`, as the CLI parsed them."""

    paths: Sequence[Path]
    as_of: dt.date = field(default_factory=utc_today)  # residency_audit.clock
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
    jobs: int = 1
    """Worker processes for a batch; 0 means one per core (`--jobs`)."""
    formats: tuple[OutputFormat, ...] = ()
    """The formats the report will be written in, when known before the run (`--format`)."""
    evidence: bool = False
    """An evidence format (`reporters.EVIDENCE`) will be written, even if `formats` is empty:
    knowledge, rules and risk model are then parsed from their files, never the parse cache."""

    def in_force(self) -> tuple[tuple[str, Any], ...]:
        """Every audit setting rules may use with its value in this run, the defaults included
        (`Report.parameters`): a reader of the result sees the value the findings rest on."""
        from residency_audit.engine.operators import PARAMETERS

        return tuple(
            (name, self.parameters.get(name, default))
            for name, (default, _) in sorted(PARAMETERS.items())
        )

    def from_source(self) -> bool:
        """Whether this run must not read the parse cache: its report is evidence, and its
        manifest hashes the files, which a cache entry need not match."""
        from residency_audit.reporters import EVIDENCE

        return self.evidence or not EVIDENCE.isdisjoint(self.formats)

    def run_formats(self) -> tuple[OutputFormat, ...]:
        """The formats each file's findings and flows are written in right after its audit
        (by a batch's workers, or by this process), so that the report only copies text
        (`residency_audit.packing`): all of `formats`, when each is written by run and nothing
        changes a file's findings after its audit (waivers, a baseline, drift); none
        otherwise, and the findings stay objects until the report is written."""
        from residency_audit.reporters import WRITTEN_BY_RUN

        if not self.formats or not set(self.formats) <= WRITTEN_BY_RUN:
            return ()
        if self.waivers is not None or self.baseline is not None or self.observed:
            return ()
        return self.formats


@record
class Auditor(Record):
    """Everything a file's audit needs, loaded once per process (or per batch worker)."""

    options: Options
    knowledge: KnowledgeBase
    packs: tuple[Pack, ...]
    model: RiskModel
    index: ObservationIndex | None = None
    rules: tuple[Rule, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(r for p in self.packs for r in p.rules))

    @classmethod
    def load(cls, options: Options, knowledge: KnowledgeBase | None = None) -> Auditor:
        if not options.from_source():
            return cls.parsed(options, knowledge or kb_module.default())
        with cache.bypassed():  # also in a batch worker, which loads its own
            # not the process's default knowledge base, which an earlier run may have unpickled
            return cls.parsed(options, knowledge or kb_module.load())

    @classmethod
    def parsed(cls, options: Options, kb: KnowledgeBase) -> Auditor:
        """The auditor with `kb`, and the rule packs and risk model `options` name."""
        return cls(
            options,
            kb,
            load_rules(options.rule_dirs, kb),
            load_model(options.risk_model, law_ids=kb.laws),
        )

    def file(self, path: Path) -> FileResult:
        display = str(path)
        digest = ""  # a file that could not be read has no hash; it is never opened twice
        try:
            raw = read_bytes(path, display)
            digest = hashlib.sha256(raw).hexdigest()
            deployment = parse_deployment(
                Document(display, raw, compose(decode(raw, display), display))
            )
            if deployment.observation is not None:  # written by `discover`, on some day
                observed_by(deployment, deployment.observation, self.options.as_of)
        except InputError as exc:
            return FileResult(InputFile(display, digest, None), errors=list(exc.diagnostics))
        out = FileResult(
            InputFile(display, digest, deployment.name, description=deployment.description)
        )
        o, kb = self.options, self.knowledge
        # The flows and the audit read the same subjects: built once, by this builder.
        builder = SubjectBuilder(deployment, kb, o.as_of)
        try:
            out.flows = flows_with_risk(deployment, kb, o.as_of, self.model, builder)
        except InputError as exc:  # the deployment's `risk:` overrides are invalid
            out.errors += exc.diagnostics
            return out
        extra = [
            *flow_subjects(out.flows, deployment, kb, o.as_of, builder),
            *observation_subjects(deployment),
        ]
        # a declared name is judged with or without DNS observations (unobserved: unknown)
        if self.index is not None or any(
            c.hostnames or c.mail_domains for c in deployment.components
        ):
            from residency_audit.endpoints import dns_age_subjects, endpoint_subjects

            extra += endpoint_subjects(deployment, self.index, kb, o.as_of)
            extra += dns_age_subjects(deployment, self.index)
        result = audit(
            deployment,
            self.rules,
            kb=kb,
            as_of=o.as_of,
            extra=extra,
            parameters=o.parameters,
            builder=builder,
        )
        out.findings, out.checks = result.findings, result.checks
        out.partial = observation_gaps(deployment)
        if o.observed:
            out.deployment = deployment
        return out


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic garbage collection during an audit. Auditing a file creates no reference
    cycles (reference counting frees everything), but the collector would rescan the growing
    results every few thousand allocations: a third of a batch's CPU time."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@collector_paused()
def run(options: Options, *, kb: KnowledgeBase | None = None) -> Report:
    """Audit every deployment file under `options.paths`. Files with input errors are reported
    in `Report.errors`; the others are still audited."""
    # A run-wide input whose name cannot be printed stops the run before it is read, as a
    # broken one would; a DNS file is left out like a deployment (`loader.unshowable_name`).
    named = (options.waivers, options.baseline, options.risk_model)
    refused = [d for p in named if p is not None and (d := unshowable_name(str(p))) is not None]
    if refused:
        raise InputError(refused)
    auditor = Auditor.load(options, kb)
    knowledge, rules, packs = auditor.knowledge, auditor.rules, auditor.packs
    kb_module.take_relied()  # what earlier audits in this process relied on is not this run's
    # Waivers and baseline are read first: a mistake in them stops the run before any audit.
    # Their modules are imported only by the runs that use them (start-up time).
    waivers = baseline = None
    if options.waivers is not None:
        from residency_audit.waivers import Matches, lapses, load_waivers, waive

        waivers = load_waivers(options.waivers, known_rules={r.id for r in rules}, kb=knowledge)
        matches = Matches()
    if options.baseline is not None:
        from residency_audit.baselines import apply_baseline, read_baseline

        baseline = read_baseline(options.baseline)
        known, present = baseline.identities, baseline.present
    files, errors = collect(options.paths, others=other_inputs(options))
    dns_files = []
    for path in options.dns_files:
        unnamed = unshowable_name(str(path))
        if unnamed is None:
            dns_files.append(path)
        else:
            errors.append(unnamed)
    partial: list[str] = []
    dns_inputs: list[InputFile] = []
    if options.resolve is not None or dns_files:
        from residency_audit.discover import dns_index

        index, partial, dns_inputs = dns_index(
            dns_files, options.resolve, files, knowledge, errors, options.as_of
        )
        auditor = Auditor(options, knowledge, packs, auditor.model, index)

    def mark(findings: Sequence[Finding]) -> list[Finding]:
        """Findings with the waivers and the baseline applied."""
        out = list(findings)
        if waivers is not None:
            out = waive(out, waivers, options.as_of)
            matches.saw(out)
        if baseline is not None:
            out = apply_baseline(out, known, present)
        return out

    def settled(result: FileResult | Packed) -> FileResult | Packed:
        if waivers is None and baseline is None:
            return result  # as the worker packed it: no need to unpickle
        if not isinstance(result, FileResult):  # packed by a batch worker
            result = result.unpack()
        result.findings = mark(result.findings)
        return result

    parts = Collation()
    declared: dict[str, str] = {}  # deployment name -> the first deployment file declaring it
    for result in _audit_all(files, auditor, parallel=kb is None):
        twin = _declared_before(result, declared)
        if twin is None:
            parts.add(settled(result))
        else:  # as a file that could not be read: its findings are in no report
            parts.add(FileResult(replace(result.entry, deployment=None), errors=[twin]))
    if options.observed:
        from residency_audit.drift import audit_observed

        observed, walk_errors = collect(options.observed)
        parts.add_errors(walk_errors)
        for more in audit_observed(observed, parts.deployments, auditor):
            parts.add(settled(more))
    parts.inputs += dns_inputs  # findings cite them: their hashes belong in the manifest
    if waivers is not None:
        parts.inputs.append(waivers.input)
        lapsed = lapses(waivers, rules, kb=knowledge, as_of=options.as_of, matches=matches)
        parts.add_findings(mark(lapsed))
    if baseline is not None:
        parts.inputs.append(baseline.input)
    parts.add_errors(errors)  # the walk's, and the DNS files'
    findings = parts.findings.settle()
    parts.tally.counted = findings  # counted as they came: no walk over them again
    # Facts of findings, and what the passes rested on (noted as decided, see kb.rely), with
    # what they assumed (kb.assume).
    noted = parts.unverified | kb_module.take_relied()
    return Report(
        tool_version=__version__,
        as_of=options.as_of,
        inputs=tuple(parts.inputs),
        packs=tuple(PackInfo(p.name, p.title, p.version, p.sha256, len(p.rules)) for p in packs),
        knowledge=tuple((f.name, f.sha256) for f in knowledge.files)
        + (knowledge.network().files if auditor.index is not None else ()),
        findings=findings,
        errors=parts.errors.settle(),
        flows=parts.flows.settle(),
        risk_model=(auditor.model.path, auditor.model.sha256),
        stale_knowledge=tuple(knowledge.stale_entries(options.as_of)),
        unverified_knowledge=tuple(sorted(o for o in noted if o.startswith("kb:"))),
        knowledge_checked=knowledge.checked(),
        assumptions=tuple(
            sorted(
                o.removeprefix(kb_module.ASSUMED) for o in noted if o.startswith(kb_module.ASSUMED)
            )
        ),
        partial=(*partial, *parts.partial),
        rules=evidence.rule_infos(packs, options.as_of),
        checks=parts.checks.settle(),
        waivers=() if waivers is None else waivers.waivers,
        countries=evidence.country_statuses(parts.countries, knowledge, options.as_of),
        parameters=options.in_force(),
        bundled_at=_bundled_at(knowledge, auditor.model),
        pack_dirs=tuple((p.name, str(p.directory)) for p in packs if not _bundled(p.directory)),
        tally=parts.tally,
    )


def _bundled_at(knowledge: KnowledgeBase, model: RiskModel) -> tuple[tuple[str, str], ...]:
    """`Report.bundled_at`: the knowledge-base directory (the bundled one, or a library
    caller's), the bundled risk model's when it was used, and the bundled packs'."""
    from residency_audit.engine.rules import bundled_directory
    from residency_audit.risk.spec import DEFAULT_DISPLAY, DEFAULT_PATH

    places = [("kb/", knowledge.directory), ("rules/", bundled_directory())]
    if model.path == DEFAULT_DISPLAY:
        places.append(("risk/", DEFAULT_PATH.parent))
    return tuple(sorted((prefix, _shown_dir(path)) for prefix, path in places))


def _bundled(directory: Path) -> bool:
    from residency_audit.engine.rules import bundled_directory

    return Path(os.path.realpath(directory)).parent == Path(os.path.realpath(bundled_directory()))


def _shown_dir(path: Path) -> str:
    """A directory of the installation as the manifest shows it: relative to the working
    directory when below it (a source checkout, a virtualenv in the repository, as the inputs are
    shown), else absolute."""
    absolute = os.path.realpath(path)
    try:
        inside = os.path.relpath(absolute)
    except ValueError:  # another drive (Windows)
        return absolute
    return absolute if inside == os.pardir or inside.startswith(os.pardir + os.sep) else inside


def _declared_before(result: FileResult | Packed, declared: dict[str, str]) -> Diagnostic | None:
    """An input error when a deployment file before it in the run (in path order, see
    `collect`; `declared`: name -> file) declared `result`'s deployment name; records the name
    otherwise. Waivers, baselines and JUnit tell deployments apart by name, so two files of one
    name would share a waiver meant for one and overwrite each other's JUnit cases: fail closed
    rather than guess which file a name means. Observed files share their deployment's name by
    design and are not counted."""
    entry = result.entry
    name = entry.deployment
    if name is None or entry.role != "deployment":
        return None
    first = declared.setdefault(name, entry.path)
    if first == entry.path:
        return None
    return Diagnostic(
        _name_span(entry),
        f"deployment name {name!r} is also declared by {first}; give each deployment file its "
        "own name (waivers, baselines and JUnit tell deployments apart by name), or audit them "
        "in separate runs",
    )


def _name_span(entry: InputFile) -> Span:
    """Where `entry`'s file declares its name. A result keeps no positions of the deployment,
    so the file is read again (only a refused file is); 1:1 when it changed since its audit."""
    start = Span(entry.path, 1, 1)
    try:
        raw = read_bytes(Path(entry.path), entry.path)
        if hashlib.sha256(raw).hexdigest() != entry.sha256:
            return start
        text = decode(raw, entry.path)
        deployment = parse_deployment(Document(entry.path, raw, compose(text, entry.path)))
    except InputError:
        return start
    return deployment.locations.get("name", start)


def _audit_all(
    files: Sequence[Path], auditor: Auditor, *, parallel: bool
) -> Iterator[FileResult | Packed]:
    """Results in file order, from worker processes when `--jobs` and the batch warrant it.
    Workers load the bundled knowledge base themselves, so a custom one (tests) and the DNS
    observations of --dns/--resolve keep the audit in this process."""
    options = auditor.options
    if parallel and auditor.index is None and options.jobs != 1 and len(files) > 1:
        from residency_audit import batch

        workers = batch.worker_count(options.jobs or batch.default_jobs(), len(files))
        if workers > 1:
            yield from batch.audit_parallel(files, options=options, workers=workers)
            return
    if len(files) >= TEXTS_FROM and options.run_formats():
        # A batch in this process (-j 1, one core) writes each file's part of the report as
        # the workers would, rather than keeping its findings as objects to render at the end.
        from residency_audit.packing import pack, writers

        run_writers = writers(auditor)
        for path in files:
            yield pack(auditor.file(path), run_writers)
        return
    for path in files:
        yield auditor.file(path)


TEXTS_FROM = 16
"""Files from which a batch audited in this process writes its report's parts as it goes."""


def load_rules(rule_dirs: Sequence[Path], knowledge: KnowledgeBase) -> tuple[Pack, ...]:
    """Load the bundled and extra packs; a rule citing an unknown law id is a rule error."""
    packs = load_packs(rule_dirs)
    problems = [
        Diagnostic(rule.span, f"rule {rule.id} cites unknown law id {law!r}")
        for pack in packs
        for rule in pack.rules
        for law in rule.laws
        if law not in knowledge.laws
    ]
    if problems:
        raise RuleError(problems)
    return packs


def other_inputs(options: Options) -> dict[str, str]:
    """The files and directories the run reads as something other than deployments, by real
    path: the option naming each (`--waivers`, `--rules`...)."""
    named = [
        *(("--waivers", p) for p in [options.waivers] if p is not None),
        *(("--baseline", p) for p in [options.baseline] if p is not None),
        *(("--risk-model", p) for p in [options.risk_model] if p is not None),
        *(("--dns", p) for p in options.dns_files),
        *(("--observed", p) for p in options.observed),
        *(("--rules", p) for p in options.rule_dirs),
    ]
    return {os.path.realpath(p): option for option, p in named}


def collect(
    paths: Sequence[Path], *, others: Mapping[str, str] | None = None
) -> tuple[list[Path], list[Diagnostic]]:
    """Files named, and `*.yaml`/`*.yml` (any case) under directories, hidden ones (`.name`)
    below a directory left out (symlinked directories are not followed, so a link loop cannot
    hang the walk). A directory holding none is an error: an audit of nothing must not pass a
    CI gate. A file whose name holds a line break or another control character is an input
    error shown escaped, never read (`loader.unshowable_name`): printed as it is, its name
    would forge lines of the CI log, and the run's JSON could not be read back.

    `others` (`other_inputs`) are the run's other inputs, a waiver file or an --observed
    directory: a walk leaves them out (`check . --waivers residency-waivers.yaml` must not
    audit the waivers as a deployment, nor `check deploy/ --observed deploy/s3.yaml` audit
    the observation twice), and one named as a deployment too is an input error."""
    files: list[Path] = []
    errors: list[Diagnostic] = []
    others = others or {}
    for path in paths:
        refused = unshowable_name(str(path))
        option = _other_input(path, others)
        if refused is not None:  # `check deploy/*` expands names found on disk, too
            errors.append(refused)
        elif option is not None:
            errors.append(
                Diagnostic(
                    Span(str(path), 1, 1),
                    f"also given as {option}, which is not a deployment; leave it out of the "
                    "files to audit",
                )
            )
        elif path.is_dir():
            # by path text, the order findings are reported in (see residency_audit.spool)
            refusals: list[Diagnostic] = []
            found = sorted(
                (f for f in _walk(path, errors, refusals) if _other_input(f, others) is None),
                key=str,
            )
            errors += refusals
            if not found and not refusals:
                shown = str(path) if str(path).endswith(os.sep) else f"{path}{os.sep}"
                errors.append(
                    Diagnostic(
                        Span(str(path), 1, 1),
                        f"no deployment files (*.yaml, *.yml) found under {shown}; "
                        "check the path, or name the files to audit",
                    )
                )
            files += found
        elif path.exists() or path.is_symlink():
            files.append(path)
        else:
            errors.append(Diagnostic(Span(str(path), 1, 1), "no such file or directory"))
    # In the order of the files themselves (their real paths), however they were named or
    # spelled: it decides which of two files declaring one deployment name is refused, so
    # `check b.yaml a.yaml`, `check a.yaml $PWD/b.yaml` and a link to a.yaml all refuse b.yaml.
    # (Findings are reported in path-text order whatever the audit order: residency_audit.spool.)
    # One audit per file however it was reached (`dir` and `/abs/dir/f.yaml`, a symlinked
    # directory): counts, SARIF results and JUnit cases must not double. The spelling that
    # sorts first wins.
    located = sorted(((os.path.realpath(p), p) for p in files), key=lambda x: (x[0], str(x[1])))
    unique: dict[str, Path] = {}
    for real, path in located:
        unique.setdefault(real, path)
    return list(unique.values()), errors


def _other_input(path: Path, others: Mapping[str, str]) -> str | None:
    """The option that names `path`, or a directory holding it, as another kind of input."""
    if not others:
        return None
    real = Path(os.path.realpath(path))
    for place in (real, *real.parents):
        option = others.get(str(place))
        if option is not None:
            return option
    return None


def _walk(directory: Path, errors: list[Diagnostic], refusals: list[Diagnostic]) -> Iterator[Path]:
    """The deployment files under `directory`; `errors` gets the directories that cannot be
    listed, `refusals` the files whose names cannot be shown (`loader.unshowable_name`)."""

    def unreadable(exc: OSError) -> None:  # a directory we cannot list must not pass silently
        where = Span(escaped_name(str(exc.filename or directory)), 1, 1)
        errors.append(Diagnostic(where, f"cannot list directory: {exc.strerror or exc}"))

    # Hidden entries below `directory` (.git/, .github/workflows/, .venv/, .pre-commit-config.yaml)
    # hold other tools' YAML, which would fail as deployments (`check .` in CI); `directory`
    # itself is walked even when hidden, as is any hidden file named on the command line.
    for root, dirs, names in os.walk(directory, onerror=unreadable, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if not name.startswith(".") and name.lower().endswith((".yaml", ".yml")):
                path = Path(root) / name  # DEPLOY.YAML too
                refused = unshowable_name(str(path))
                if refused is None:
                    yield path
                else:
                    refusals.append(refused)

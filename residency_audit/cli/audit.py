"""`check` and `report`: audit deployments, or re-render a saved result, in every output format."""

import contextlib
import dataclasses
import gc
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any, NoReturn, TextIO, cast

import typer

from residency_audit.cli.base import (
    EXIT_ERROR,
    FAIL_ON_CHOICES,
    FormatOption,
    OutputOption,
    _argv,
    dns_settings,
    drop_stdout,
    handled,
    parse_as_of,
    parse_fail_on,
    say_stdout_cut,
    stdout_closed,
)
from residency_audit.clock import utc_today
from residency_audit.errors import UsageError
from residency_audit.model import Code, Report, Severity
from residency_audit.reporters import BINARY, EVIDENCE, OutputFormat


@handled
def check(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Deployment files or directories.")],
    output_format: FormatOption = None,
    output: OutputOption = None,
    as_of: Annotated[
        str | None,
        typer.Option(help="Evaluate the law as of this date (YYYY-MM-DD; default: today in UTC)."),
    ] = None,
    waivers: Annotated[
        Path | None,
        typer.Option(
            "--waivers",
            help="YAML file of accepted risks (rule, target, justification, approved_by, expires).",
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", help="Saved JSON result; only findings absent from it count."),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            help="Exit 1 when a finding has this severity or more: "
            + "|".join(FAIL_ON_CHOICES)
            + "."
        ),
    ] = "high",
    rules: Annotated[
        list[Path] | None, typer.Option("--rules", help="Extra rule pack directory; repeatable.")
    ] = None,
    dns: Annotated[
        list[Path] | None,
        typer.Option(
            "--dns",
            help="DNS observations from `discover dns`: check declared hostnames and mail "
            "domains against them; repeatable.",
        ),
    ] = None,
    resolve: Annotated[
        bool,
        typer.Option(
            "--resolve", help="Resolve declared hostnames and mail domains now and check them."
        ),
    ] = False,
    nameserver: Annotated[
        list[str] | None,
        typer.Option(
            "--nameserver",
            help="With --resolve: DNS server IP to ask (default: the system's); repeatable.",
        ),
    ] = None,
    port: Annotated[int, typer.Option(help="With --resolve: DNS server port.")] = 53,
    risk_model: Annotated[
        Path | None,
        typer.Option(
            "--risk-model",
            help="Transfer-risk model file replacing the bundled one "
            "(start from `residency-audit risk-model`).",
        ),
    ] = None,
    tia_max_age: Annotated[
        int | None,
        typer.Option(
            "--tia-max-age",
            metavar="DAYS",
            min=0,
            help="A transfer impact assessment older than this is stale (default 365).",
        ),
    ] = None,
    observed: Annotated[
        list[Path] | None,
        typer.Option(
            "--observed",
            help="Observed deployment (file or directory) written by `discover`; "
            "adds drift findings. Repeatable.",
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            help="Worker processes for many files (default 0: one per core; 1: no workers).",
        ),
    ] = 0,
) -> None:
    """Audit deployment files against the rule packs."""
    from residency_audit.invocation import invocation
    from residency_audit.pipeline import Options, run

    threshold = parse_fail_on(fail_on)
    targets = _targets(output_format or ["text"], output or [])
    evidence = _from_source(ctx, targets)
    _refuse_overwriting(
        targets,
        [
            *(("deployment", p) for p in paths),
            *(("waivers", p) for p in [waivers] if p is not None),
            *(("baseline", p) for p in [baseline] if p is not None),
            *(("DNS observations", p) for p in dns or []),
            *(("observed deployment", p) for p in observed or []),
            *(("risk model", p) for p in [risk_model] if p is not None),
            *(("rule pack", p) for p in rules or []),
        ],
    )
    _refuse_misnamed(targets)
    parameters = {} if tia_max_age is None else {"tia_max_age_days": tia_max_age}
    settings = dns_settings(nameserver or [], port) if resolve else None
    if not resolve and (nameserver or port != 53):
        raise UsageError("--nameserver and --port apply to --resolve; add --resolve")
    day = parse_as_of(as_of)
    if resolve and day < utc_today():
        raise UsageError(
            f"--resolve shows what DNS serves today, not on --as-of {day}; use saved "
            "observations from that day (--dns FILE) or drop --as-of"
        )
    started = invocation(_argv(ctx), fail_on=threshold, from_source=evidence)
    report = run(
        Options(
            paths=paths,
            as_of=day,
            rule_dirs=rules or [],
            dns_files=dns or [],
            resolve=settings,
            risk_model=risk_model,
            parameters=parameters,
            waivers=waivers,
            baseline=baseline,
            observed=observed or [],
            jobs=jobs,
            formats=_output_formats(targets),
            evidence=evidence,
        )
    )
    report = dataclasses.replace(report, invocation=started, code=_code(targets))
    if baseline is not None:
        _warn_about_baseline(baseline, report)
    # The report lives until exit: spare the collector from rescanning it while rendering.
    gc.freeze()
    if report.errors:  # on stderr whatever the format, so machine output stays parsable
        from residency_audit.reporters.text import error_lines

        sys.stderr.write("".join(f"{line}\n" for line in error_lines(report.errors)))
    _warn_about_code_scanning_limits(report, targets)
    stdout = _Stdout()
    with _all_or_none() as outputs:
        for fmt, target in targets:
            with _reader_may_leave(target, stdout):
                _emit(report, fmt, target, threshold, outputs, jobs, errors_on_stderr=True)
    _exit(report.exit_code(threshold), stdout)


@handled
def report(
    ctx: typer.Context,
    result: Annotated[Path, typer.Argument(help="JSON result of `check --format json`.")],
    output_format: FormatOption = None,
    output: OutputOption = None,
    fail_on: Annotated[
        str,
        typer.Option(
            help="Exit 1 when the result has an open finding of this severity or more, as "
            "`check` does (also the CI gate the reports show): " + "|".join(FAIL_ON_CHOICES) + "."
        ),
    ] = "high",
) -> None:
    """Re-render a saved JSON result (HTML, Markdown, SARIF, JUnit, PDF) without re-auditing.

    Exits as `check` would on that result with this --fail-on, once every format is written: 0
    when the gate passes, 1 for open findings at or above --fail-on or a partial audit, 2 for
    input errors in the result (listed on stderr) or a result that cannot be read. A CI step
    that only renders evidence after `check` has gated can add `|| true`.
    """
    from residency_audit.invocation import invocation
    from residency_audit.results import read_result

    threshold = parse_fail_on(fail_on)
    targets = _targets(output_format or ["text"], output or [])
    _from_source(ctx, targets)
    _refuse_overwriting(targets, [("result", result)])
    _refuse_misnamed(targets)
    saved = read_result(result, role="result")
    rendered = dataclasses.replace(
        saved.report,
        invocation=invocation(_argv(ctx), fail_on=threshold, rendered_from=saved.input),
    )
    if rendered.errors:  # as `check` writes them: the exit code is 2 for them
        from residency_audit.reporters.text import error_lines

        sys.stderr.write("".join(f"{line}\n" for line in error_lines(rendered.errors)))
    _warn_about_code_scanning_limits(rendered, targets)
    stdout = _Stdout()
    with _all_or_none() as outputs:
        for fmt, target in targets:
            with _reader_may_leave(target, stdout):
                _emit(rendered, fmt, target, threshold, outputs, errors_on_stderr=True)
    # The result's exit code, as its SARIF invocation says: a CI step gating on `report` gates
    # as `check` did, and a rendered FAIL never exits 0.
    _exit(rendered.exit_code(threshold), stdout)


def _code(targets: list[tuple[OutputFormat, Path | None]]) -> Code | None:
    """Which code made the report, when a format that shows it is written (the JSON result
    and the evidence formats): hashing the package is for them only, never start-up."""
    if {fmt for fmt, _ in targets}.isdisjoint({OutputFormat.JSON, *EVIDENCE}):
        return None
    from residency_audit.provenance import code

    return code()


CODE_SCANNING_SHOWN = 5_000
CODE_SCANNING_MAX = 25_000
"""GitHub code scanning's limits on a SARIF run's results: past the first, only that many are
kept, the most severe first; past the second, the file is rejected (github/docs,
data/reusables/code-scanning/sarif-limits.md, "Results per run")."""


def _warn_about_code_scanning_limits(
    report: Report, targets: list[tuple[OutputFormat, Path | None]]
) -> None:
    """On stderr, a SARIF log with more results than GitHub code scanning keeps: a batch of a
    few hundred files passes 5,000 findings, and the alerts past them would be missing from
    code scanning without a word. The log is written whole and the exit code stays the audit's,
    which counts every finding."""
    if OutputFormat.SARIF not in {fmt for fmt, _ in targets}:
        return
    count = len(report.findings)
    if count <= CODE_SCANNING_SHOWN:
        return
    fate = (
        f"rejects a run of more than {CODE_SCANNING_MAX:,} results"
        if count > CODE_SCANNING_MAX
        else f"keeps only the {CODE_SCANNING_SHOWN:,} most severe of a run's results"
    )
    sys.stderr.write(
        f"warning: the SARIF log holds {count:,} results and GitHub code scanning {fate} (its "
        "SARIF limits): the exit code counts every finding; to see them all in code scanning, "
        "audit the deployments in smaller batches, each uploaded with its own category\n"
    )


def _warn_about_baseline(baseline: Path, report: Report) -> None:
    """On stderr, a baseline made by another tool version or with other rules or knowledge (its
    findings reworded since count as new), or holding a deployment of the run under another
    path (none of its findings is set aside): either fails closed but puzzles. The exit code
    stays the audit's."""
    from residency_audit.baselines import baseline_mismatch, baseline_moved

    for warning in (baseline_mismatch(baseline, report), baseline_moved(baseline, report)):
        if warning is not None:
            from residency_audit.reporters.common import defused

            sys.stderr.write(defused(f"{warning}\n"))


STDOUT = "-"
"""`--output -`: the format goes to stdout, as without --output."""


def _targets(formats: list[str], outputs: list[Path]) -> list[tuple[OutputFormat, Path | None]]:
    """Each format with the file it goes to, None for stdout; two formats never share one."""
    known = [f.value for f in OutputFormat]
    for fmt in formats:
        if fmt not in known:
            raise UsageError(f"--format: {fmt!r} is not one of {', '.join(known)}")
    if len(outputs) > len(formats):
        raise UsageError("more --output than --format options; pair each output with a format")
    targets: list[tuple[OutputFormat, Path | None]] = [
        (OutputFormat(fmt), _destination(outputs[i]) if i < len(outputs) else None)
        for i, fmt in enumerate(formats)
    ]
    if sum(1 for _, target in targets if target is None) > 1:
        raise UsageError(
            "only one --format can go to stdout (no --output, or --output -); "
            "give the others an --output file"
        )
    for i, (fmt, target) in enumerate(targets):
        for other, earlier in targets[:i]:
            if target is not None and earlier is not None and _same_file(target, earlier):
                raise UsageError(
                    f"error: --output {target}: both --format {other.value} and "
                    f"--format {fmt.value} would be written to this file; "
                    "give each format its own file"
                )
    for _, target in targets:  # before the audit: a long run must not end in "cannot write"
        if target is None:
            continue
        if target.is_dir():
            raise UsageError(f"--output {target}: a directory; give a file name")
        if not target.parent.is_dir():
            raise UsageError(f"--output {target}: no directory {target.parent}; create it first")
        if not os.access(target.parent, os.W_OK):  # the report is written beside, then renamed
            raise UsageError(f"--output {target}: directory {target.parent} is not writable")
    for fmt, target in targets:
        if fmt in BINARY and target is None and sys.stdout.isatty():
            raise UsageError(f"--format {fmt.value} is binary; give it an --output file")
    return targets


def _refuse_misnamed(targets: list[tuple[OutputFormat, Path | None]]) -> None:
    """Refuse, before any work, an --output whose extension names another format (`_NAMED`)."""
    for fmt, target in targets:
        meant = _NAMED.get(target.suffix.lower()) if target is not None else None
        if meant is not None and fmt not in meant:
            raise UsageError(
                f"--output {target}: its name says {' or '.join(m.value for m in meant)}, but "
                f"--format {fmt.value} would be written to it (each --output takes the --format "
                "of the same rank); reorder the options or rename the file"
            )


_NAMED = {
    ".json": (OutputFormat.JSON, OutputFormat.SARIF),  # a SARIF log is JSON (`x.sarif.json`)
    ".sarif": (OutputFormat.SARIF,),
    ".xml": (OutputFormat.JUNIT,),
    ".md": (OutputFormat.MARKDOWN,),
    ".markdown": (OutputFormat.MARKDOWN,),
    ".html": (OutputFormat.HTML,),
    ".htm": (OutputFormat.HTML,),
    ".pdf": (OutputFormat.PDF,),
}
"""The formats an --output file's extension names. A CI step uploading `result.json` must not
get the Markdown that `-f markdown -f json -o result.json` would write there (options pair by
rank). Other names (`.txt`, none) take any format."""


def _destination(output: Path) -> Path | None:
    return None if str(output) == STDOUT else output


def _refuse_overwriting(
    targets: list[tuple[OutputFormat, Path | None]], inputs: list[tuple[str, Path]]
) -> None:
    """Refuse, before any work, an --output that is one of the `inputs` (kind, path) or a
    YAML file under an input directory (what a directory's audit reads): writing the report
    would destroy what it is evidence about."""
    for fmt, target in targets:
        if target is None:
            continue
        for kind, path in inputs:
            if _same_file(target, path):
                what = f"the {kind} file {path}"
            elif _yaml_under(target, path):
                what = f"a YAML file under the {kind} directory {path}"
            else:
                continue
            raise UsageError(
                f"error: --output {target}: this is {what}, an input of this run; "
                f"refusing to overwrite it with the {fmt.value} report (write it elsewhere)"
            )


def _same_file(a: Path, b: Path) -> bool:
    """Whether `a` and `b` name one file: the same resolved path (links followed; neither need
    exist), or the same existing file under two names (hard links, case-insensitive disks)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def _yaml_under(target: Path, directory: Path) -> bool:
    """Whether `target` is a `*.yaml`/`*.yml` path (any case) below `directory`, existing or
    not: the directory's walk (`pipeline.collect`) reads it, so writing it there would make
    the next audit of the directory fail on the report."""
    if not target.name.lower().endswith((".yaml", ".yml")) or not directory.is_dir():
        return False
    try:
        return Path(os.path.realpath(target)).is_relative_to(os.path.realpath(directory))
    except (OSError, ValueError):
        return False


def _from_source(ctx: typer.Context, targets: list[tuple[OutputFormat, Path | None]]) -> bool:
    """Whether an evidence format is asked for; if so, nothing this command reads comes from
    the parse cache, rendering included (the HTML flow map reads the knowledge base)."""
    from residency_audit import cache

    evidence = not EVIDENCE.isdisjoint(fmt for fmt, _ in targets)
    if evidence:
        ctx.with_resource(cache.bypassed())
    return evidence


def _output_formats(targets: list[tuple[OutputFormat, Path | None]]) -> tuple[OutputFormat, ...]:
    """The formats of `targets`, for the run to prepare them (`Options.formats`); none when the
    text goes to a terminal, whose table is drawn from the findings themselves."""
    to_terminal = any(fmt is OutputFormat.TEXT and target is None for fmt, target in targets)
    return () if to_terminal and _rich_terminal() else tuple(fmt for fmt, _ in targets)


@dataclasses.dataclass(slots=True)
class _Stdout:
    """Whether stdout's reader went before an output written there was whole."""

    cut: bool = False


@contextmanager
def _reader_may_leave(target: Path | None, stdout: _Stdout) -> Iterator[None]:
    """Writing to stdout, whose reader may stop early (`| head`): the rest of this output is
    dropped and the other outputs are still written, whole, but the run then exits 2 (see
    `_exit`): a gate that reads the cut output has not read the verdict. A broken pipe that is
    not stdout's stays an internal error."""
    try:
        yield
    except BrokenPipeError:
        if target is not None or not stdout_closed():
            raise
        drop_stdout()
        stdout.cut = True


def _exit(code: int, stdout: _Stdout) -> NoReturn:
    """Exit with the verdict `code`, or 2 with `STDOUT_CUT` if an output to stdout was cut."""
    if stdout.cut:
        say_stdout_cut()
        raise typer.Exit(EXIT_ERROR)
    raise typer.Exit(code)


def _emit(
    report: Report,
    fmt: OutputFormat,
    target: Path | None,
    threshold: Severity | None,
    outputs: list[tuple[Path, Path]],
    jobs: int = 1,
    *,
    errors_on_stderr: bool = False,
) -> None:
    """Write `report` in `fmt`; a batch's JSON is encoded in `jobs` processes (0: all cores).
    The text lists the input errors, unless it goes to stdout and they went to stderr already
    (`errors_on_stderr`): a text report written to a file is complete."""
    if fmt is OutputFormat.TEXT and target is None and _rich_terminal():
        from rich.console import Console

        from residency_audit.reporters import terminal

        terminal.show(report, Console(highlight=False), threshold)
        return
    from residency_audit.reporters import render, streamed

    if jobs == 0 and fmt is OutputFormat.JSON:
        from residency_audit.batch import default_jobs

        jobs = default_jobs()
    writer = streamed(fmt, threshold, jobs, text_errors=target is not None or not errors_on_stderr)
    if writer is not None:  # a batch's text, JSON or SARIF can be gigabytes
        _stream(writer, report, target, outputs)
        return

    content = render(report, fmt)
    data = content.encode("utf-8") if isinstance(content, str) else content
    if target is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        with _replacing(target, "wb", outputs) as handle:
            handle.write(data)
    except OSError as exc:
        raise UsageError(f"--output {target}: cannot write: {exc.strerror}") from None


@contextmanager
def _all_or_none() -> Iterator[list[tuple[Path, Path]]]:
    """The (partial file, output) pairs of a run's outputs, put in place together once every
    one is written whole: an interrupted or failed run leaves the previous reports (or none),
    never a new JSON beside last run's HTML."""
    written: list[tuple[Path, Path]] = []
    try:
        yield written
        with _interruptions_held():
            for partial, target in written:
                os.replace(partial, target)
    except BaseException:
        for partial, _ in written:
            with contextlib.suppress(OSError):
                os.unlink(partial)
        raise


@contextmanager
def _interruptions_held() -> Iterator[None]:
    """TERM and INT held while the outputs are renamed into place, delivered once they all are:
    a CI job cancelled between two renames would leave a new JSON beside last run's SARIF."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signals to hold
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def _replacing(target: Path, mode: str, outputs: list[tuple[Path, Path]]) -> Iterator[IO[Any]]:
    """A file for `target`, written beside it and added to `outputs` once whole, to take its
    place with the run's other outputs (`_all_or_none`): a full disk or an interruption never
    leaves a truncated report that reads as complete. A device or pipe (`/dev/stdout`, a FIFO)
    is written as it is."""
    if target.exists() and not target.is_file():
        with open(target, mode, **_text(mode)) as handle:
            yield handle
        return
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        with open(descriptor, mode, **_text(mode)) as handle:
            yield handle
        outputs.append((partial, target))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise


def _text(mode: str) -> dict[str, Any]:
    return {} if "b" in mode else {"encoding": "utf-8", "newline": ""}


def _stream(
    write: Callable[[Report, TextIO], None],
    report: Report,
    target: Path | None,
    outputs: list[tuple[Path, Path]],
) -> None:
    """`write` the report to stdout or `target` as it is produced, never whole in memory."""
    import io

    if target is None:
        sys.stdout.flush()
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            write(report, out)
            out.flush()
        finally:
            out.detach()  # leave stdout open
        return
    try:
        with _replacing(target, "w", outputs) as handle:
            write(report, cast(TextIO, handle))  # opened in text mode
    except OSError as exc:
        raise UsageError(f"--output {target}: cannot write: {exc.strerror}") from None


def _rich_terminal() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")

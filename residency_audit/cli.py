"""Command-line interface: options in, `pipeline.run`, print, exit code. Nothing else.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 the audit could not
finish (usage, input, rule or knowledge-base error); 3 internal error (a bug: never "findings").
Heavy modules (boto3, dnspython, rich on non-terminals) are imported inside the commands that
need them, so `check` starts fast in CI and pre-commit.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from residency_audit import __version__
from residency_audit.errors import AuditError, UsageError
from residency_audit.model import Severity

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3
FAIL_ON_CHOICES = ("info", "low", "medium", "high", "critical", "never")

app = typer.Typer(
    name="residency-audit",
    help="Audit where health data really live and which foreign laws can compel access to them.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
rules_app = typer.Typer(help="List and inspect the rule packs.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

_state = {"debug": False}
F = TypeVar("F", bound=Callable[..., Any])


def handled(command: F) -> F:
    """Turn AuditError into exit 2 and anything unexpected into exit 3, on stderr."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except AuditError as exc:
            if _state["debug"]:
                traceback.print_exc()
            typer.echo(str(exc), err=True)
            raise typer.Exit(EXIT_ERROR) from None
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            if _state["debug"]:
                traceback.print_exc()
            typer.echo(f"residency-audit: internal error: {type(exc).__name__}: {exc}\n"
                       "This is a bug; rerun with --debug for a traceback and report it.",
                       err=True)
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"residency-audit {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    _state["debug"] = debug


def parse_as_of(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of: {text!r} is not a date; use YYYY-MM-DD") from None


def parse_fail_on(text: str) -> Severity | None:
    if text not in FAIL_ON_CHOICES:
        raise UsageError(f"--fail-on: {text!r} is not one of {', '.join(FAIL_ON_CHOICES)}")
    return None if text == "never" else Severity.parse(text)


@app.command()
@handled
def check(
    paths: Annotated[list[Path], typer.Argument(help="Deployment files or directories.")],
    output_format: Annotated[list[str] | None, typer.Option(
        "--format", "-f", help="text or json; repeatable, each paired with an --output.")] = None,
    output: Annotated[list[Path] | None, typer.Option(
        "--output", "-o", help="Where the matching --format goes (default: stdout).")] = None,
    as_of: Annotated[str | None, typer.Option(
        help="Evaluate the law as of this date (YYYY-MM-DD; default today).")] = None,
    fail_on: Annotated[str, typer.Option(
        help="Exit 1 when a finding has this severity or more: "
             + "|".join(FAIL_ON_CHOICES) + ".")] = "high",
    rules: Annotated[list[Path] | None, typer.Option(
        "--rules", help="Extra rule pack directory; repeatable.")] = None,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", min=0,
        help="Worker processes for many files (default 0: one per core; 1: no workers).")] = 0,
) -> None:
    """Audit deployment files against the rule packs."""
    from residency_audit.pipeline import Options, run

    threshold = parse_fail_on(fail_on)
    targets = _targets(output_format or ["text"], output or [])
    report = run(Options(paths=paths, as_of=parse_as_of(as_of), rule_dirs=rules or [],
                         jobs=jobs))
    for fmt, target in targets:
        _emit(report, fmt, target, threshold)
    if report.errors and ("text", None) not in targets:  # else the report on stdout shows them
        from residency_audit.reporters.text import error_lines

        sys.stderr.write("".join(f"{line}\n" for line in error_lines(report.errors)))
    raise typer.Exit(report.exit_code(threshold))


def _targets(formats: list[str], outputs: list[Path]) -> list[tuple[str, Path | None]]:
    known = ("text", "json")
    for fmt in formats:
        if fmt not in known:
            raise UsageError(f"--format: {fmt!r} is not one of {', '.join(known)}")
    if len(outputs) > len(formats):
        raise UsageError("more --output than --format options; pair each output with a format")
    targets: list[tuple[str, Path | None]] = [
        (fmt, outputs[i] if i < len(outputs) else None) for i, fmt in enumerate(formats)]
    if sum(1 for _, target in targets if target is None) > 1:
        raise UsageError("only one --format can go to stdout; give the others an --output")
    return targets


def _emit(report: Any, fmt: str, target: Path | None, threshold: Severity | None) -> None:
    if fmt == "json":
        from residency_audit.reporters import json as json_reporter

        text = json_reporter.render(report)
    elif target is None and _rich_terminal():
        from rich.console import Console

        from residency_audit.reporters import terminal

        terminal.show(report, Console(highlight=False), threshold)
        return
    else:
        from residency_audit.reporters import text as text_reporter

        text = text_reporter.render(report, threshold)
    if target is None:
        sys.stdout.write(text)
    else:
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--output {target}: cannot write: {exc.strerror}") from None


def _rich_terminal() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


@app.command()
@handled
def schema() -> None:
    """Print the JSON Schema (draft-07) of the deployment format.

    Save it and point editors at it with `# yaml-language-server: $schema=deployment.schema.json`.
    """
    import json

    from residency_audit.format.schema import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


@rules_app.command("list")
@handled
def rules_list(
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    rules: Annotated[list[Path] | None, typer.Option("--rules", help="Extra pack dir.")] = None,
) -> None:
    """List every rule: id, pack, severity, title."""
    from residency_audit import kb
    from residency_audit.pipeline import load_rules

    packs = load_rules(rules or [], kb.default())
    if output_format == "json":
        import json

        items = [{"id": r.id, "pack": r.pack, "severity": r.severity.label, "title": r.title,
                  "applies_to": list(r.applies_to),
                  "references": [{"label": x.label, "url": x.url} for x in r.references]}
                 for p in packs for r in p.rules]
        typer.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    if output_format != "text":
        raise UsageError(f"--format: {output_format!r} is not one of text, json")
    for pack in packs:
        typer.echo(f"{pack.name} {pack.version}: {pack.title}")
        for r in pack.rules:
            typer.echo(f"  {r.id:<14} {r.severity.label:<8} {r.title}")


@app.command()
@handled
def explain(
    rule_id: Annotated[str, typer.Argument(help="Rule id, e.g. HDS-LOC-01.")],
    rules: Annotated[list[Path] | None, typer.Option("--rules", help="Extra pack dir.")] = None,
) -> None:
    """Show a rule: references, rationale, remediation, dates and unverified facts."""
    from residency_audit import kb
    from residency_audit.explain import describe_rule
    from residency_audit.pipeline import load_rules

    knowledge = kb.default()
    packs = load_rules(rules or [], knowledge)
    typer.echo(describe_rule(rule_id, packs, knowledge))


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit:
        raise
    except BaseException as exc:  # pragma: no cover - last resort, crashes must not exit 1
        if isinstance(exc, KeyboardInterrupt):
            sys.exit(130)
        traceback.print_exc()
        sys.exit(EXIT_INTERNAL)

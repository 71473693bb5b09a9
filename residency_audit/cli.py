"""Command-line interface: options in, `pipeline.run`, print, exit code. Nothing else.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 the audit could not
finish (usage, input, rule or knowledge-base error); 3 internal error (a bug: never "findings").
Heavy modules (boto3, dnspython, rich on non-terminals) are imported inside the commands that
need them, so `check` starts fast in CI and pre-commit.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
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
discover_app = typer.Typer(help="Observe real accounts and write observed deployments.",
                           no_args_is_help=True)
app.add_typer(discover_app, name="discover")

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
    observed: Annotated[list[Path] | None, typer.Option(
        "--observed", help="Observed deployment (file or directory) written by `discover`; "
                           "adds drift findings. Repeatable.")] = None,
) -> None:
    """Audit deployment files against the rule packs."""
    from residency_audit.pipeline import Options, run

    threshold = parse_fail_on(fail_on)
    targets = _targets(output_format or ["text"], output or [])
    report = run(Options(paths=paths, as_of=parse_as_of(as_of), rule_dirs=rules or [],
                         observed=observed or []))
    for fmt, target in targets:
        _emit(report, fmt, target, threshold)
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


@discover_app.command("aws")
@handled
def discover_aws(
    profile: Annotated[str | None, typer.Option(help="AWS profile (as in the AWS CLI).")] = None,
    region: Annotated[list[str] | None, typer.Option(
        "--region", help="Region to read; repeatable (default: every enabled region).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="File to write (default stdout); a directory with "
                               "--all-accounts.")] = None,
    all_accounts: Annotated[bool, typer.Option(
        "--all-accounts", help="Every account of the AWS Organization (needs --role-name).")
    ] = False,
    role_name: Annotated[str | None, typer.Option(
        help="Role assumed in each member account with --all-accounts.")] = None,
    shard: Annotated[str | None, typer.Option(
        help="With --all-accounts, read only shard I of N (e.g. 2/4), for parallel CI jobs.")
    ] = None,
    data: Annotated[list[str] | None, typer.Option(
        "--data", help="Data categories the account holds (not observable); default health.")
    ] = None,
    health_context: Annotated[str, typer.Option(
        help="Origin of health data (not observable): care, prevention, ... or none.")] = "care",
    controller_country: Annotated[str, typer.Option(
        help="Country of the account owner (not observable); ZZ = unknown.")] = "ZZ",
    max_attempts: Annotated[int, typer.Option(
        help="Attempts per API call, retries included.")] = 5,
) -> None:
    """Read an AWS account (S3, KMS, RDS, DynamoDB, Backup, CloudFront) into an observed
    deployment that `check` audits and compares with the declared one.

    Honours the standard AWS environment (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL...). Calls
    that are refused or fail are listed under `observation.not_observed`, and `check` reports
    the audit as partial.
    """
    from residency_audit.collectors.observed import Assumptions
    from residency_audit.discovery import DiscoverOptions, discover_aws, parse_shard, write
    from residency_audit.model import DataCategory, HealthContext

    if all_accounts != (role_name is not None):
        raise UsageError("--all-accounts and --role-name go together")
    if shard is not None and not all_accounts:
        raise UsageError("--shard splits the accounts of --all-accounts; add it")
    try:
        categories = tuple(DataCategory(c) for c in (data or ["health"]))
        context = None if health_context == "none" else HealthContext(health_context)
    except ValueError as exc:
        raise UsageError(f"--data/--health-context: {exc}") from None
    options = DiscoverOptions(
        profile=profile, regions=tuple(region or ()), role_name=role_name,
        shard=parse_shard(shard), max_attempts=max_attempts,
        assumptions=Assumptions(categories, context, controller_country))
    bar = _ProgressBar() if sys.stderr.isatty() else None
    try:
        observed = discover_aws(options, progress=bar.start if bar else None)
    finally:
        if bar:
            bar.stop()
    written = write(observed, output, many=all_accounts)
    if not written:
        sys.stdout.write(observed[0].text)
    for item in observed:
        for gap in item.gaps:
            typer.echo(f"aws {item.account}: not observed: {gap.service} {gap.call} in "
                       f"{gap.region or 'global'}: {gap.reason}"
                       + (f"; needs {gap.permission}" if gap.permission else ""), err=True)
    partial = sum(1 for item in observed if item.gaps)
    if partial:
        typer.echo(f"PARTIAL: {partial} account(s) not fully observed; `check` will report "
                   "the audit as partial", err=True)


class _ProgressBar:
    """A rich progress bar on stderr, for terminals only (quiet in pipes and CI logs)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress

        self.bar = Progress(console=Console(stderr=True), transient=True)

    def start(self, total: int | None) -> Callable[[str], None]:
        self.bar.start()
        task = self.bar.add_task("discovering", total=total)
        return lambda label: self.bar.update(task, advance=1, description=label)

    def stop(self) -> None:
        self.bar.stop()


@app.command()
@handled
def schema() -> None:
    """Print the JSON Schema (draft-07) of the deployment format.

    Save it and point editors at it with `# yaml-language-server: $schema=deployment.schema.json`.
    """
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

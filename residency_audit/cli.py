"""Command-line interface: options in, `pipeline.run`, print, exit code. Nothing else.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 the audit could not
finish (usage, input, rule or knowledge-base error); 3 internal error (a bug: never "findings").
Heavy modules (boto3, dnspython, rich on non-terminals) are imported inside the commands that
need them, so `check` starts fast in CI and pre-commit.
"""

import dataclasses
import datetime as dt
import functools
import gc
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from residency_audit import __version__
from residency_audit.errors import AuditError, UsageError
from residency_audit.model import Report, Severity
from residency_audit.reporters import BINARY, OutputFormat

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3
FAIL_ON_CHOICES = ("info", "low", "medium", "high", "critical", "never")
FORMATS = "|".join(f.value for f in OutputFormat)
ARGV_KEY = "residency_audit.argv"


class _Group(TyperGroup):
    """Keeps the arguments as given, so evidence reports can show the exact command line
    (`sys.argv` is wrong under typer's CliRunner and when embedded)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # click or typer._click
        ctx.meta[ARGV_KEY] = list(args)
        return super().parse_args(ctx, args)


def _argv(ctx: typer.Context) -> list[str]:
    return list(ctx.meta.get(ARGV_KEY, sys.argv[1:]))


app = typer.Typer(
    cls=_Group,
    name="residency-audit",
    help="Audit where health data really live and which foreign laws can compel access to them.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
rules_app = typer.Typer(help="List, inspect, test and lint rule packs.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
discover_app = typer.Typer(
    help="Observe what really serves a deployment: AWS accounts, DNS.", no_args_is_help=True
)
app.add_typer(discover_app, name="discover")
kb_app = typer.Typer(help="Maintain the knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")

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
            typer.echo(
                f"residency-audit: internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug; rerun with --debug for a traceback and report it.",
                err=True,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"residency-audit {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
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
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Deployment files or directories.")],
    output_format: Annotated[
        list[str] | None,
        typer.Option(
            "--format", "-f", help=f"{FORMATS}; repeatable, each paired with an --output."
        ),
    ] = None,
    output: Annotated[
        list[Path] | None,
        typer.Option("--output", "-o", help="Where the matching --format goes (default: stdout)."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(help="Evaluate the law as of this date (YYYY-MM-DD; default today)."),
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
    parameters = {} if tia_max_age is None else {"tia_max_age_days": tia_max_age}
    settings = _dns_settings(nameserver or [], port) if resolve else None
    if not resolve and (nameserver or port != 53):
        raise UsageError("--nameserver and --port apply to --resolve; add --resolve")
    started = invocation(_argv(ctx), fail_on=threshold)
    report = run(
        Options(
            paths=paths,
            as_of=parse_as_of(as_of),
            rule_dirs=rules or [],
            dns_files=dns or [],
            resolve=settings,
            risk_model=risk_model,
            parameters=parameters,
            waivers=waivers,
            baseline=baseline,
            observed=observed or [],
            jobs=jobs,
        )
    )
    report = dataclasses.replace(report, invocation=started)
    # The report lives until exit: spare the collector from rescanning it while rendering.
    gc.freeze()
    if report.errors:  # on stderr whatever the format, so machine output stays parsable
        from residency_audit.reporters.text import error_lines

        sys.stderr.write("".join(f"{line}\n" for line in error_lines(report.errors)))
    for fmt, target in targets:
        _emit(report, fmt, target, threshold)
    raise typer.Exit(report.exit_code(threshold))


@app.command()
@handled
def report(
    ctx: typer.Context,
    result: Annotated[Path, typer.Argument(help="JSON result of `check --format json`.")],
    output_format: Annotated[
        list[str] | None,
        typer.Option(
            "--format", "-f", help=f"{FORMATS}; repeatable, each paired with an --output."
        ),
    ] = None,
    output: Annotated[
        list[Path] | None,
        typer.Option("--output", "-o", help="Where the matching --format goes (default: stdout)."),
    ] = None,
    fail_on: Annotated[
        str, typer.Option(help="Threshold the verdict and SARIF exit code are computed with.")
    ] = "high",
) -> None:
    """Re-render a saved JSON result (HTML, Markdown, SARIF, JUnit, PDF) without re-auditing."""
    from residency_audit.invocation import invocation
    from residency_audit.results import read_result

    threshold = parse_fail_on(fail_on)
    targets = _targets(output_format or ["text"], output or [])
    saved = read_result(result, role="result")
    rendered = dataclasses.replace(
        saved.report,
        invocation=invocation(_argv(ctx), fail_on=threshold, rendered_from=saved.input),
    )
    for fmt, target in targets:
        _emit(rendered, fmt, target, threshold)


def _targets(formats: list[str], outputs: list[Path]) -> list[tuple[OutputFormat, Path | None]]:
    known = [f.value for f in OutputFormat]
    for fmt in formats:
        if fmt not in known:
            raise UsageError(f"--format: {fmt!r} is not one of {', '.join(known)}")
    if len(outputs) > len(formats):
        raise UsageError("more --output than --format options; pair each output with a format")
    targets: list[tuple[OutputFormat, Path | None]] = [
        (OutputFormat(fmt), outputs[i] if i < len(outputs) else None)
        for i, fmt in enumerate(formats)
    ]
    if sum(1 for _, target in targets if target is None) > 1:
        raise UsageError("only one --format can go to stdout; give the others an --output")
    for fmt, target in targets:
        if fmt in BINARY and target is None and sys.stdout.isatty():
            raise UsageError(f"--format {fmt.value} is binary; give it an --output file")
    return targets


def _emit(
    report: Report, fmt: OutputFormat, target: Path | None, threshold: Severity | None
) -> None:
    if fmt is OutputFormat.TEXT and target is None and _rich_terminal():
        from rich.console import Console

        from residency_audit.reporters import terminal

        terminal.show(report, Console(highlight=False), threshold)
        return
    if fmt is OutputFormat.JSON:  # streamed: a batch's JSON result can be gigabytes
        _stream_json(report, target)
        return
    from residency_audit.reporters import render

    content = render(report, fmt)
    data = content.encode("utf-8") if isinstance(content, str) else content
    if target is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"--output {target}: cannot write: {exc.strerror}") from None


def _stream_json(report: Report, target: Path | None) -> None:
    import io

    from residency_audit.reporters import json as json_result

    if target is None:
        sys.stdout.flush()
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            json_result.write(report, out)
            out.flush()
        finally:
            out.detach()  # leave stdout open
        return
    try:
        with open(target, "w", encoding="utf-8", newline="") as handle:
            json_result.write(report, handle)
    except OSError as exc:
        raise UsageError(f"--output {target}: cannot write: {exc.strerror}") from None


def _rich_terminal() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


@discover_app.command("aws")
@handled
def discover_aws(
    profile: Annotated[str | None, typer.Option(help="AWS profile (as in the AWS CLI).")] = None,
    region: Annotated[
        list[str] | None,
        typer.Option(
            "--region", help="Region to read; repeatable (default: every enabled region)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write (default stdout); a directory with --all-accounts.",
        ),
    ] = None,
    all_accounts: Annotated[
        bool,
        typer.Option(
            "--all-accounts", help="Every account of the AWS Organization (needs --role-name)."
        ),
    ] = False,
    role_name: Annotated[
        str | None, typer.Option(help="Role assumed in each member account with --all-accounts.")
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(
            help="With --all-accounts, read only shard I of N (e.g. 2/4), for parallel CI jobs."
        ),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data", help="Data categories the account holds (not observable); default health."
        ),
    ] = None,
    health_context: Annotated[
        str,
        typer.Option(help="Origin of health data (not observable): care, prevention, ... or none."),
    ] = "care",
    controller_country: Annotated[
        str, typer.Option(help="Country of the account owner (not observable); ZZ = unknown.")
    ] = "ZZ",
    max_attempts: Annotated[int, typer.Option(help="Attempts per API call, retries included.")] = 5,
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
        profile=profile,
        regions=tuple(region or ()),
        role_name=role_name,
        shard=parse_shard(shard),
        max_attempts=max_attempts,
        assumptions=Assumptions(categories, context, controller_country),
    )
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
            typer.echo(
                f"aws {item.account}: not observed: {gap.service} {gap.call} in "
                f"{gap.region or 'global'}: {gap.reason}"
                + (f"; needs {gap.permission}" if gap.permission else ""),
                err=True,
            )
    partial = sum(1 for item in observed if item.gaps)
    if partial:
        typer.echo(
            f"PARTIAL: {partial} account(s) not fully observed; `check` will report "
            "the audit as partial",
            err=True,
        )


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
    import json

    from residency_audit.format.schema import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


@app.command("risk-model")
@handled
def risk_model_command() -> None:
    """Print the bundled transfer-risk model (YAML): every factor's default, band, justification
    and source. Copy it, edit values and justifications, and pass it to `check --risk-model`."""
    from residency_audit.risk.spec import DEFAULT_PATH

    sys.stdout.write(DEFAULT_PATH.read_text(encoding="utf-8"))


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

        items = [
            {
                "id": r.id,
                "pack": r.pack,
                "severity": r.severity.label,
                "title": r.title,
                "applies_to": list(r.applies_to),
                "references": [{"label": x.label, "url": x.url} for x in r.references],
                "effective_from": r.effective_from.isoformat() if r.effective_from else None,
                "effective_until": r.effective_until.isoformat() if r.effective_until else None,
                "depends_on": list(r.depends_on),
            }
            for p in packs
            for r in p.rules
        ]
        typer.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    if output_format != "text":
        raise UsageError(f"--format: {output_format!r} is not one of text, json")
    for pack in packs:
        typer.echo(f"{pack.name} {pack.version}: {pack.title}")
        for r in pack.rules:
            typer.echo(f"  {r.id:<14} {r.severity.label:<8} {r.title}")


@rules_app.command("coverage")
@handled
def rules_coverage(
    pack: Annotated[str | None, typer.Option("--pack", help="Only this pack, e.g. hds.")] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    rules: Annotated[list[Path] | None, typer.Option("--rules", help="Extra pack dir.")] = None,
) -> None:
    """Print each framework requirement with the rules that check it, or MANUAL, and the share
    automated."""
    from residency_audit import kb
    from residency_audit.coverage import as_json, as_text, coverages
    from residency_audit.pipeline import load_rules

    if output_format not in ("text", "json"):
        raise UsageError(f"--format: {output_format!r} is not one of text, json")
    knowledge = kb.default()
    packs = load_rules(rules or [], knowledge)
    items = coverages(packs, knowledge)
    if pack is not None:
        names = sorted(c.pack for c in items)
        items = [c for c in items if c.pack == pack]
        if not items:
            raise UsageError(
                f"--pack: no requirement mapping for {pack!r} (mapped packs: {', '.join(names)})"
            )
    if output_format == "json":
        import json

        typer.echo(json.dumps(as_json(items), indent=2, ensure_ascii=False))
    else:
        typer.echo(as_text(items), nl=False)


@rules_app.command("test")
@handled
def rules_test(
    directory: Annotated[Path, typer.Argument(help="A rule pack, or a folder of packs.")],
) -> None:
    """Run the pass/fail/unverifiable examples of your own rules (exit 1 if one fails, 2 if the
    rules do not load)."""
    from residency_audit import kb
    from residency_audit.authoring import test_rules

    results = test_rules(directory, kb.default())
    for result in results:
        typer.echo(str(result))
    failed = [r for r in results if not r.ok]
    typer.echo(f"{len(results)} example(s), {len(failed)} failed")
    raise typer.Exit(EXIT_FINDINGS if failed else EXIT_OK)


@rules_app.command("lint")
@handled
def rules_lint(
    directory: Annotated[Path, typer.Argument(help="A rule pack, or a folder of packs.")],
) -> None:
    """Validate rule files: errors (exit 2) stop them loading; warnings (exit 1) weaken them."""
    from residency_audit import kb
    from residency_audit.authoring import format_lint, lint_rules

    result = lint_rules(directory, kb.default())
    for line in format_lint(result):
        typer.echo(line, err=True)
    if result.errors:
        raise typer.Exit(EXIT_ERROR)
    typer.echo(f"{result.rules} rule(s): {len(result.warnings)} warning(s)")
    raise typer.Exit(EXIT_FINDINGS if result.warnings else EXIT_OK)


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


def _dns_settings(
    nameservers: list[str], port: int, timeout: float = 2.0, workers: int = 32
) -> Any:
    from residency_audit.discover import DnsSettings

    settings = DnsSettings(tuple(nameservers), port, timeout, workers)
    settings.check()
    return settings


def _today() -> dt.date:
    """Today, or SOURCE_DATE_EPOCH's day (reproducible builds and tests)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date.today()


@discover_app.command("dns")
@handled
def discover_dns(
    hosts: Annotated[
        list[str] | None, typer.Argument(help="Hostnames to resolve (CNAME chain, A, AAAA, NS).")
    ] = None,
    from_: Annotated[
        list[Path] | None,
        typer.Option(
            "--from",
            help="Deployment file whose hostnames and mail domains to resolve; repeatable.",
        ),
    ] = None,
    mail: Annotated[
        list[str] | None,
        typer.Option("--mail", help="Mail domain to resolve (MX and its exchangers); repeatable."),
    ] = None,
    nameserver: Annotated[
        list[str] | None,
        typer.Option(
            "--nameserver", help="DNS server IP to ask (default: the system's); repeatable."
        ),
    ] = None,
    port: Annotated[int, typer.Option(help="DNS server port.")] = 53,
    timeout: Annotated[float, typer.Option(help="Seconds per query attempt.")] = 2.0,
    workers: Annotated[int, typer.Option(help="Names resolved at once.")] = 32,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the observations YAML here (default: stdout)."),
    ] = None,
) -> None:
    """Resolve names and attribute each CNAME hop and address to a provider.

    Writes DNS observations (YAML) for `check --dns FILE`. Names that do not resolve are
    recorded with their status (nxdomain, servfail, timeout...), never dropped.
    """
    from residency_audit import kb
    from residency_audit.discover import cli_requests, requests_of, resolve
    from residency_audit.format import load_deployment
    from residency_audit.observations import dump_observations

    requests = cli_requests(hosts or [], mail or [])
    requests += [
        r for r in requests_of(load_deployment(p)[0] for p in from_ or []) if r not in requests
    ]
    if not requests:
        raise UsageError("discover dns: give hostnames, --mail DOMAIN or --from DEPLOYMENT.yaml")
    observations = resolve(
        requests,
        _dns_settings(nameserver or [], port, timeout, workers),
        kb.default(),
        observed_on=_today(),
    )
    text = dump_observations(observations)
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--output {output}: cannot write: {exc.strerror}") from None
    counts: dict[str, int] = {}
    for name in observations.names:
        counts[name.status.value] = counts.get(name.status.value, 0) + 1
    typer.echo(
        f"discover dns: {len(observations.names)} name(s) via {observations.resolver}: "
        + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())),
        err=True,
    )


@kb_app.command("refresh-ip-ranges")
@handled
def kb_refresh_ip_ranges(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="AWS's ip-ranges.json, or Cloudflare's ips-v4 and ips-v6 lists, as downloaded."
        ),
    ],
    provider: Annotated[str, typer.Option(help="aws or cloudflare.")] = "aws",
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="Knowledge-base data directory to update (default: the bundled one)."
        ),
    ] = None,
) -> None:
    """Import published IP ranges downloaded by hand; nothing is written unless they are valid."""
    from residency_audit.kb import DATA_DIR
    from residency_audit.kb.network import install_snapshot

    snapshot, target = install_snapshot(provider, files, data_dir or DATA_DIR, today=_today())
    typer.echo(
        f"kb: {len(snapshot.entries)} {provider} prefixes as of {snapshot.as_of} written "
        f"to {target}"
    )


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

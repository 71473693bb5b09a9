"""`discover aws` and `discover dns`: observe what really serves a deployment."""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from residency_audit.cli.base import dns_settings, handled
from residency_audit.clock import utc_today
from residency_audit.errors import UsageError
from residency_audit.reporters.common import defused

app = typer.Typer(
    help="Observe what really serves a deployment: AWS accounts, DNS.", no_args_is_help=True
)


@app.command("aws")
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
    max_attempts: Annotated[
        int, typer.Option(min=1, help="Attempts per API call, retries included (at least 1).")
    ] = 5,
) -> None:
    """Read an AWS account (S3, KMS, RDS, DynamoDB, Backup, EBS, EC2, Lambda, CloudFront) into
    an observed deployment that `check` audits and compares with the declared one.

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
    if all_accounts and output is not None and output.exists() and not output.is_dir():
        raise UsageError(  # checked before the organisation is read, not after
            f"--output {output}: a file; --all-accounts writes one file per account into a "
            "directory"
        )
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
        _write_stdout(observed[0].text, "discover aws: the observed deployment holds", "AWS")
    from residency_audit.drift_found import gap_region

    for item in observed:
        for gap in item.gaps:
            # a refused listing of every region (S3 ListBuckets) is not one region's gap
            where = gap_region(gap) if gap.region is not None else "global"
            typer.echo(  # the reason quotes AWS's error message
                defused(
                    f"aws {item.account}: not observed: {gap.service} {gap.call} in {where}: "
                    f"{gap.reason}" + (f"; needs {gap.permission}" if gap.permission else "")
                ),
                err=True,
            )
        o = item.deployment.observation
        if o is not None and o.regions_not_queried:
            typer.echo(
                f"aws {item.account}: {len(o.regions_not_queried)} enabled region(s) not read "
                "(not given to --region); `check` reports DRIFT-OBS-02",
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


@app.command("dns")
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
    timeout: Annotated[
        float,
        typer.Option(
            help="Seconds per query attempt; a query (one name and record type) gives up after "
            "twice this, retries included, and is recorded as a timeout."
        ),
    ] = 2.0,
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
        dns_settings(nameserver or [], port, timeout, workers),
        kb.default(),
        observed_on=utc_today(),  # the real day, even with SOURCE_DATE_EPOCH
    )
    text = dump_observations(observations)
    if output is None:
        _write_stdout(text, "discover dns: the observations hold", "the DNS answers")
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--output {output}: cannot write: {exc.strerror}") from None
    counts: dict[str, int] = {}
    for name in observations.names:
        counts[name.status.value] = counts.get(name.status.value, 0) + 1
    typer.echo(
        defused(
            f"discover dns: {len(observations.names)} name(s) via {observations.resolver}: "
            + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        ),
        err=True,
    )


def _write_stdout(text: str, what: str, source: str) -> None:
    """Write a YAML file `discover` made to stdout, unless a CI log would read a line of it as
    a workflow command (`reporters.common.defused`): its values cannot be shown with a
    backslash without changing them, so it is refused (exit 2) and goes to --output instead."""
    if defused(text) != text:
        raise UsageError(
            f"{what} text a CI log reads as a GitHub Actions workflow command, from {source}: "
            "not written to stdout; write it with --output FILE"
        )
    sys.stdout.write(text)

"""`kb refresh-ip-ranges`: maintain the knowledge base from files the user downloaded."""

from pathlib import Path
from typing import Annotated

import typer

from residency_audit.cli.base import handled
from residency_audit.clock import utc_today

app = typer.Typer(help="Maintain the knowledge base.", no_args_is_help=True)


@app.command("refresh-ip-ranges")
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

    # dated by the clock, in UTC: the day the ranges were checked, whatever SOURCE_DATE_EPOCH says
    snapshot, target = install_snapshot(provider, files, data_dir or DATA_DIR, today=utc_today())
    typer.echo(
        f"kb: {len(snapshot.entries)} {provider} prefixes as of {snapshot.as_of} written "
        f"to {target}"
    )

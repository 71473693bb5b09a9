"""The rich terminal report: a table per deployment with severity colours and a summary line.
Only used on a colour terminal; `text.py` serves pipes, CI logs and NO_COLOR."""

from __future__ import annotations

from itertools import groupby

from rich.console import Console
from rich.table import Table
from rich.text import Text

from residency_audit.model import Report, Severity
from residency_audit.reporters.flows import COLUMNS, caption, groups, own_values, row
from residency_audit.reporters.text import header, summary

COLOURS = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
LEVEL_COLOURS = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "none": "green",
    "unknown": "bold magenta",
}


def show(report: Report, console: Console, fail_on: Severity | None) -> None:
    for line in header(report):
        console.print(line, style="bold" if line.startswith("PARTIAL") else None)
    for (path, name), group in groupby(report.findings, key=lambda f: (f.span.path, f.deployment)):
        table = Table(title=f"{name}  [dim]{path}[/dim]", title_justify="left", expand=True)
        table.add_column("Severity", no_wrap=True)
        table.add_column("Rule", no_wrap=True)
        table.add_column("Line", justify="right", no_wrap=True)
        table.add_column("Finding", ratio=1)
        for f in group:
            table.add_row(
                f"[{COLOURS[f.severity]}]{f.severity.label}[/]",
                f.rule_id,
                str(f.span.line),
                f.message,
            )
        console.print(table)
    for name, path, flows in groups(report.flows):
        table = Table(
            title=f"flows of {name}  [dim]{path}[/dim]",
            title_justify="left",
            # Text, not markup: a justification may hold brackets
            caption=Text("\n".join([caption(flows), *own_values(flows)]), style="table.caption"),
            caption_justify="left",
            expand=True,
        )
        for column in COLUMNS:
            table.add_column(column, no_wrap=column in ("Clear", "Level", "p"))
        for flow in flows:
            cells = list(row(flow))
            cells[5] = f"[{LEVEL_COLOURS.get(cells[5], 'default')}]{cells[5]}[/]"
            table.add_row(*cells)
        console.print(table)
    failed = report.fails(fail_on) or bool(report.errors)
    console.print(
        summary(report, fail_on), style="bold red" if failed else "bold green", markup=False
    )

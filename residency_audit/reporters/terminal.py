"""The rich terminal report: a table per deployment with severity colours and a summary line.
Only used on a colour terminal; `text.py` serves pipes, CI logs and NO_COLOR."""

from __future__ import annotations

from itertools import groupby

from rich.console import Console
from rich.table import Table

from residency_audit.model import Report, Severity
from residency_audit.reporters.text import header, summary

COLOURS = {Severity.CRITICAL: "bold white on red", Severity.HIGH: "bold red",
           Severity.MEDIUM: "yellow", Severity.LOW: "cyan", Severity.INFO: "dim"}


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
            table.add_row(f"[{COLOURS[f.severity]}]{f.severity.label}[/]", f.rule_id,
                          str(f.span.line), f.message)
        console.print(table)
    failed = bool(report.failing(fail_on) or report.errors)
    console.print(summary(report, fail_on), style="bold red" if failed else "bold green",
                  markup=False)

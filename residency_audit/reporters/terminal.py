"""The rich terminal report: a table per deployment with severity colours and a summary line.
Only used on a colour terminal; `text.py` serves pipes, CI logs and NO_COLOR.

Every text that comes from the inputs (names, paths, messages, justifications) is passed as a
`Text`, never as markup: `[/b]` in a party's name must print as written, not end a style or
stop the run with a MarkupError. Each goes through `common.defused` too: no line may be read as
a workflow command in a CI log (`FORCE_COLOR` gives one this report)."""

from __future__ import annotations

from itertools import groupby

from rich.console import Console
from rich.table import Table
from rich.text import Text

from residency_audit.model import Finding, Report, Severity, Status
from residency_audit.reporters.common import defused
from residency_audit.reporters.flows import (
    COLUMNS,
    caption,
    groups,
    own_values,
    row,
    unverified_legend,
)
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
        line = defused(line)
        console.print(Text(line, style="bold" if line.startswith("PARTIAL") else ""))
    for (path, name), group in groupby(report.findings, key=lambda f: (f.span.path, f.deployment)):
        table = Table(title=_title(name, path), title_justify="left", expand=True)
        table.add_column("Severity", no_wrap=True)
        # a missing fact is no failure: the column says which a row is, as the summary counts
        # them, rather than only the words at the start of its message
        table.add_column("Verdict", no_wrap=True)
        table.add_column("Rule", no_wrap=True)
        table.add_column("Line", justify="right", no_wrap=True)
        table.add_column("Finding", ratio=1)
        for f in group:
            table.add_row(
                Text(f.severity.label, style=COLOURS[f.severity]),
                _verdict(f),
                Text(f.rule_id),
                str(f.span.line),
                Text(defused(f.message)),
            )
        console.print(table)
    for name, path, flows in groups(report.flows):
        table = Table(
            title=_title(f"flows of {name}", path),
            title_justify="left",
            # Text, not markup: a justification may hold brackets
            caption=Text(
                defused("\n".join([caption(flows), *own_values(flows), *unverified_legend(flows)])),
                style="table.caption",
            ),
            caption_justify="left",
            expand=True,
        )
        for column in COLUMNS:
            table.add_column(column, no_wrap=column in ("Clear", "Level", "p"))
        for flow in flows:
            cells = [Text(defused(cell)) for cell in row(flow)]
            cells[5].stylize(LEVEL_COLOURS.get(cells[5].plain, "default"))
            table.add_row(*cells)
        console.print(table)
    failed = report.fails(fail_on) or bool(report.errors)
    console.print(
        summary(report, fail_on), style="bold red" if failed else "bold green", markup=False
    )


def _verdict(f: Finding) -> Text:
    """`failed` or `cannot verify`, and under it `waived` or `baselined` when the finding does
    not count toward the exit code (the text report's ` [waived]`)."""
    verdict = Text("cannot verify", style="bold magenta") if f.unverifiable else Text("failed")
    if f.status is not Status.OPEN:
        verdict.append(f"\n{f.status.value}", style="dim")
    return verdict


def _title(name: str, path: str) -> Text:
    return Text.assemble(defused(name), "  ", (path, "dim"))

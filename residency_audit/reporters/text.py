"""Plain-text report for pipes, CI logs and NO_COLOR: one finding per line, editor-parsable."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from itertools import groupby
from typing import TextIO, TypeVar

from residency_audit.model import Diagnostic, Finding, Flow, Report, Severity, Status
from residency_audit.reporters import put
from residency_audit.reporters.common import (
    UNVERIFIABLE_WHY,
    assumed_on,
    audited_deployments,
    defused,
    findings_phrase,
    future_note,
    unverifiable_count,
)
from residency_audit.reporters.flows import (
    COLUMNS,
    caption,
    groups,
    own_values,
    rows,
    unverified,
    unverified_legend,
)
from residency_audit.spool import Spool


def render(report: Report, fail_on: Severity | None = None, *, errors: bool = True) -> str:
    out = io.StringIO()
    write(report, out, fail_on, errors=errors)
    return out.getvalue()


def write(
    report: Report, out: TextIO, fail_on: Severity | None = None, *, errors: bool = True
) -> None:
    """The report, written a file's findings at a time (a batch's text can be large). The input
    errors' lines follow the header unless `errors` is false (`check` has written them to
    stderr, and this text goes to the same terminal or log)."""
    # Every line from the inputs goes through `defused` (here, or in the runs' functions, which
    # batch workers call): the GitHub Action prints this text in the job's log.
    out.write(defused("\n".join(header(report)) + "\n"))
    if errors and report.errors:
        out.write("".join(f"{line}\n" for line in error_lines(report.errors)))
    for text in _runs(report.findings, findings_text):
        put(out, text)
    for text in _runs(report.flows, flows_text):
        put(out, text)
    out.write(defused("\n" + summary(report, fail_on) + "\n"))


def findings_text(findings: Sequence[Finding]) -> str:
    """The findings' lines under a heading per file and deployment: one run of a report's
    findings (a batch worker writes a file's findings with this, `packing.pack`)."""
    out = []
    for (path, name), group in groupby(findings, key=lambda f: (f.span.path, f.deployment)):
        lines = ["", f"{name} ({path})"]
        for f in group:
            status = "" if f.status is Status.OPEN else f" [{f.status.value}]"
            span = f.span  # written as `str(span)` is, without its call (~45 lines a file)
            # From column 0: a CI problem matcher's `^path:line:col` must not get the indent.
            lines.append(
                f"{span.path}:{span.line}:{span.column}: {_LABELS[f.severity]} {f.rule_id} "
                f"{f.message}{status}"
            )
        out.append("\n".join(lines) + "\n")
    return defused("".join(out))


_LABELS = {severity: severity.label for severity in Severity}
"""`Severity.label`, looked up without the property and the enum's `name` descriptor."""


def flows_text(flows: Sequence[Flow]) -> str:
    """The flows tables, one per file and deployment: one run of a report's flows."""
    out = []
    for name, path, group in groups(flows):
        lines = ["", f"flows of {name} ({path}): {caption(group)}"]
        marks = [unverified(f) for f in group]  # once a flow, for its row and for the legend
        lines += _table([COLUMNS, *rows(group, marks)])
        lines += [f"  {line}" for line in (*own_values(group), *unverified_legend(group, marks))]
        out.append("\n".join(lines) + "\n")
    return defused("".join(out))


T = TypeVar("T", Finding, Flow)


def _runs(items: Sequence[T], render: Callable[[Sequence[T]], str]) -> Iterator[str | bytes]:
    """The text of `items`, a heading's group at a time; or a file at a time as the batch's
    workers wrote them (a spool of texts: its runs hold one file each, which keeps every
    heading's group whole)."""
    if isinstance(items, Spool) and items.as_texts:
        yield from items.texts("text", render)
        return
    for _, group in groupby(items, key=lambda x: (x.span.path, x.deployment)):
        yield render(list(group))


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(map(len, column)) for column in zip(*rows, strict=True)]  # rows alike
    # map(str.ljust, ...) pads a row's cells in C: no generator step per cell
    return ["  " + "  ".join(map(str.ljust, r, widths)).rstrip() for r in rows]


ERRORS_SHOWN_PER_FILE = 50
"""A hostile file can hold thousands of errors; past this many per file the text says how many
more the JSON report lists."""

STOPPED = "stopped reading this file"
"""How the loader's last error on a file ends once it gave up reading it (past
`format.budget.MAX_ERRORS` errors): the JSON report then lists only the errors read."""


def error_lines(errors: Sequence[Diagnostic], limit: int = ERRORS_SHOWN_PER_FILE) -> list[str]:
    """`path:line:col: error: message` lines, at most `limit` per file, then the loader's
    note that it stopped reading the file, if it did: the count shown is then not the file's
    whole count, and the reader must not take it for one."""
    out: list[str] = []
    for path, group in groupby(errors, key=lambda e: e.span.path):
        items = list(group)
        out += [defused(str(e)) for e in items[:limit]]
        hidden = [e for e in items[limit:] if not e.message.endswith(STOPPED)]
        if hidden:
            out.append(
                defused(f"{path}: ... and {len(hidden)} more errors (--format json lists them)")
            )
        out += [defused(str(e)) for e in items[limit:] if e.message.endswith(STOPPED)]
    return out


def header(report: Report) -> list[str]:
    files = sum(1 for i in report.inputs if i.role == "deployment")
    out = [
        f"residency-audit {report.tool_version}: {files} file(s) as of {report.as_of.isoformat()}"
    ]
    if report.partial:
        out.append("PARTIAL AUDIT: " + "; ".join(report.partial))
    future = future_note(report)
    if future is not None:
        out.append(f"warning: {future}")
    if report.stale_knowledge:
        out.append(
            f"warning: {len(report.stale_knowledge)} knowledge-base entries were checked "
            f"more than six months before {report.as_of}: "
            + ", ".join(report.stale_knowledge[:5])
            + (" ..." if len(report.stale_knowledge) > 5 else "")
        )
    if report.unverified_knowledge:
        out.append(
            "note: this audit relied on unverified knowledge (passes included): "
            + ", ".join(report.unverified_knowledge)
        )
    if report.assumptions:
        out.append(f"note: assumed {assumed_on(report)}: " + "; ".join(report.assumptions))
    if unverifiable_count(report):
        out.append(
            f"note: {unverifiable_count(report)} finding(s) could not be verified: "
            + UNVERIFIABLE_WHY
        )
    return out


def summary(report: Report, fail_on: Severity | None) -> str:
    counts = ", ".join(f"{n} {label}" for label, n in report.counts().items() if n)
    deployments = len(audited_deployments(report))
    verdict = ""
    if fail_on is not None:
        failed = report.fails(fail_on) or report.errors or report.partial
        verdict = f"; fail-on {fail_on.label}: {'FAIL' if failed else 'pass'}"
    errors = f", {len(report.errors)} input error(s)" if report.errors else ""
    set_aside = ", ".join(
        f"{n} {s}" for s, n in report.status_counts().items() if n and s != Status.OPEN.value
    )
    if set_aside:  # counted in the totals above, which are of every finding
        counts += f"; of these, {set_aside}" + (
            ", not counted by fail-on" if fail_on is not None else ""
        )
    # `14 cannot be verified (12 high, ...)` read as the severities of those 14: they are of
    # every finding, and say so
    by_severity = f" (all {len(report.findings)} by severity: {counts})" if counts else ""
    return (
        f"{findings_phrase(report)}{by_severity} in "
        f"{deployments} deployment(s){errors}; as of {report.as_of}{verdict}"
    )

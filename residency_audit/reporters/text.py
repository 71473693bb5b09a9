"""Plain-text report for pipes, CI logs and NO_COLOR: one finding per line, editor-parsable."""

from __future__ import annotations

from itertools import groupby

from residency_audit.model import Report, Severity


def render(report: Report, fail_on: Severity | None = None) -> str:
    lines: list[str] = header(report)
    for e in report.errors:
        lines.append(str(e))
    for (path, name), group in groupby(report.findings, key=lambda f: (f.span.path, f.deployment)):
        lines.append("")
        lines.append(f"{name} ({path})")
        for f in group:
            lines.append(f"  {f.span}: {f.severity.label} {f.rule_id} {f.message}")
    lines.append("")
    lines.append(summary(report, fail_on))
    return "\n".join(lines) + "\n"


def header(report: Report) -> list[str]:
    out = [f"residency-audit {report.tool_version}: {len(report.inputs)} file(s) as of "
           f"{report.as_of.isoformat()}"]
    if report.partial:
        out.append("PARTIAL AUDIT: " + "; ".join(report.partial))
    if report.stale_knowledge:
        out.append(f"warning: {len(report.stale_knowledge)} knowledge-base entries were checked "
                   f"more than six months before {report.as_of}: "
                   + ", ".join(report.stale_knowledge[:5])
                   + (" ..." if len(report.stale_knowledge) > 5 else ""))
    if report.unverified_knowledge:
        out.append("note: findings rely on unverified knowledge: "
                   + ", ".join(report.unverified_knowledge))
    return out


def summary(report: Report, fail_on: Severity | None) -> str:
    counts = ", ".join(f"{n} {label}" for label, n in report.counts().items() if n)
    deployments = len({f.deployment for f in report.findings} | {
        i.deployment for i in report.inputs if i.deployment})
    verdict = ""
    if fail_on is not None:
        failed = report.failing(fail_on) or report.errors or report.partial
        verdict = f"; fail-on {fail_on.label}: {'FAIL' if failed else 'pass'}"
    errors = f", {len(report.errors)} input error(s)" if report.errors else ""
    return (f"{len(report.findings)} finding(s){f' ({counts})' if counts else ''} in "
            f"{deployments} deployment(s){errors}; as of {report.as_of}{verdict}")

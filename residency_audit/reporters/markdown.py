"""Markdown evidence report: for pull-request comments, `$GITHUB_STEP_SUMMARY` and lawyers who
read it in a browser. Same content as the HTML report, without the picture."""

from __future__ import annotations

import re

from residency_audit.model import Fact, Finding, Report, Status
from residency_audit.reporters.common import (
    STATUS_WORDS,
    by_instrument,
    reproduce_command,
    target,
    timestamp,
    value_text,
    verdict,
)

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md(text: object) -> str:
    """Text that Markdown shows as written (no emphasis, links or HTML from input data)."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def render(report: Report) -> str:
    out: list[str] = ["# Data residency audit", ""]
    deployments = sorted({i.deployment for i in report.inputs if i.deployment})
    out.append(
        f"- **Scope:** {len(deployments)} deployment(s): "
        + (", ".join(f"`{d}`" for d in deployments) or "none")
    )
    out.append(f"- **Law as of:** {report.as_of.isoformat()}")
    out.append(f"- **Result:** {verdict(report)}")
    if timestamp(report):
        out.append(f"- **Generated:** {timestamp(report)} (UTC)")
    out.append("")
    out += _banners(report)
    out += _summary(report)
    out += _findings(report)
    out += _waivers(report)
    out += _manifest(report)
    return "\n".join(out).rstrip("\n") + "\n"


def _banners(report: Report) -> list[str]:
    out = []
    if report.partial:
        out.append(
            "> **PARTIAL AUDIT.** Not everything could be read: "
            + "; ".join(md(p) for p in report.partial)
        )
    if report.errors:
        out.append(
            f"> **INCOMPLETE.** {len(report.errors)} input error(s); those files were not audited:"
        )
        out += [f"> - `{e}`" for e in report.errors]
    if report.stale_knowledge:
        out.append(
            f"> **Stale knowledge.** {len(report.stale_knowledge)} knowledge-base "
            f"entries were checked more than six months before {report.as_of}: "
            + ", ".join(f"`{s}`" for s in report.stale_knowledge)
        )
    if report.unverified_knowledge:
        out.append(
            "> **Unverified knowledge used:** "
            + ", ".join(f"`{s}`" for s in report.unverified_knowledge)
        )
    return [*_spaced(out), ""] if out else []


def _spaced(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if out and not line.startswith("> -"):
            out.append(">")
        out.append(line)
    return out


def _summary(report: Report) -> list[str]:
    out = ["## Summary", "", "| Severity | Findings |", "|---|---:|"]
    out += [f"| {label} | {n} |" for label, n in report.counts().items()]
    statuses = report.status_counts()
    out += ["", "By status: " + ", ".join(f"{n} {s}" for s, n in statuses.items()), ""]
    return out


def _findings(report: Report) -> list[str]:
    out = ["## Findings by legal instrument", ""]
    if not report.findings:
        return [*out, "No findings.", ""]
    for group in by_instrument(report.findings):
        out += [
            f"### [{md(group.name)}]({group.url})" if group.url else f"### {md(group.name)}",
            "",
        ]
        for f in group.findings:
            out += _finding(f)
    return out


def _finding(f: Finding) -> list[str]:
    status = "" if f.status is Status.OPEN else f" — **{STATUS_WORDS[f.status]}**"
    unverifiable = " (cannot be verified)" if f.unverifiable else ""
    out = [
        f"#### {f.severity.label.upper()} {f.rule_id}: {md(f.title)}{status}",
        "",
        f"`{f.span}` — `{target(f)}`{unverifiable}",
        "",
        md(f.message),
        "",
    ]
    out.append("References:")
    out += [f"- [{md(r.label)}]({r.url})" for r in f.references]
    out += ["", "Facts used:"]
    out += [f"- {_fact(x)}" for x in f.facts]
    out += ["", f"Remediation: {md(f.remediation)}", ""]
    if f.waiver is not None:
        w = f.waiver
        state = "waived" if f.status is Status.WAIVED else "waiver **expired**"
        out += [
            f"{state.capitalize()}: {md(w.justification)} — approved by {md(w.approved_by)},"
            f" expires {w.expires.isoformat()}"
            + (f", evidence <{w.evidence}>" if w.evidence else ""),
            "",
        ]
    return out


def _fact(x: Fact) -> str:
    value = value_text(x.value)
    source = f"[{md(x.origin)}]({x.url})" if x.url else f"`{x.origin}`"
    flag = " **(unverified)**" if not x.verified else ""
    return f"`{x.path}` = {md(value)} — {source}{flag}"


def _waivers(report: Report) -> list[str]:
    if not report.waivers:
        return []
    out = [
        "## Waivers",
        "",
        "| Rule | Target | Approved by | Expires | In force | Justification |",
        "|---|---|---|---|---|---|",
    ]
    for w in report.waivers:
        where = w.target.deployment + (f"/{w.target.component}" if w.target.component else "")
        in_force = "yes" if w.expires >= report.as_of else "**no (expired)**"
        out.append(
            f"| {w.rule} | `{where}` | {md(w.approved_by)} | {w.expires.isoformat()} | "
            f"{in_force} | {md(w.justification)} |"
        )
    return [*out, ""]


def _manifest(report: Report) -> list[str]:
    out = ["## Manifest", "", f"- Tool: residency-audit {report.tool_version}"]
    if timestamp(report):
        out.append(f"- Generated: {timestamp(report)} (UTC)")
    if report.invocation is not None:
        out.append(f"- Command line: `{report.invocation.command_line}`")
        out.append(f"- Reproduce with: `{reproduce_command(report)}`")
        source = report.invocation.rendered_from
        if source is not None:
            out.append(f"- Re-rendered from `{source.path}` (sha256 `{source.sha256}`)")
    out += ["", "| Kind | File | SHA-256 |", "|---|---|---|"]
    out += [f"| {i.role} | `{i.path}` | `{i.sha256}` |" for i in report.inputs]
    out += [
        f"| rule pack {p.name} {md(p.version)} | {p.rules} rules | `{p.sha256}` |"
        for p in report.packs
    ]
    out += [f"| knowledge | `{name}` | `{digest}` |" for name, digest in report.knowledge]
    return [*out, ""]

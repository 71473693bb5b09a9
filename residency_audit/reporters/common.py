"""Helpers shared by the evidence formats (Markdown, HTML, SARIF, JUnit): grouping by legal
instrument, the command that reproduces a run, and the words used for statuses."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from typing import Any

from residency_audit.model import Finding, Reference, Report, Status
from residency_audit.records import Record, record

_CUT = re.compile(r",\s|\s\(|\s[Aa]rt\.\s|\sEXI\s")

STATUS_WORDS = {
    Status.OPEN: "open",
    Status.WAIVED: "waived",
    Status.BASELINED: "baselined",
}

COUNTRY_STATUS_WORDS = {
    "eea": "EEA (GDPR applies directly)",
    "adequate": "adequacy decision (Art. 45)",
    "partially-adequate": "restricted adequacy only (e.g. certified organisations)",
    "third-country": "third country without adequacy",
    "unknown": "not in the knowledge base",
}


def instrument(reference: Reference) -> str:
    """The instrument a reference cites, without the provision: "GDPR Art. 48 (...)" → "GDPR",
    "HDS certification referential 2024, EXI 28" → "HDS certification referential 2024"."""
    return _CUT.split(reference.label, maxsplit=1)[0].strip() or reference.label


@record
class InstrumentGroup(Record):
    name: str
    url: str
    findings: tuple[Finding, ...]


def by_instrument(findings: Iterable[Finding]) -> list[InstrumentGroup]:
    """Findings grouped by the instrument of their rule's first (primary) reference, in order of
    first appearance; findings without references go under "Other"."""
    groups: dict[str, tuple[str, list[Finding]]] = {}
    for finding in findings:
        first = finding.references[0] if finding.references else None
        name = instrument(first) if first else "Other"
        groups.setdefault(name, (first.url if first else "", []))[1].append(finding)
    return [InstrumentGroup(name, url, tuple(items)) for name, (url, items) in groups.items()]


def target(finding: Finding) -> str:
    return finding.deployment + (f"/{finding.component}" if finding.component else "")


def reproduce_command(report: Report) -> str | None:
    """The command line of the run, with `--as-of` added when it was left to default to today
    (the audit date is what makes a rerun give the same result)."""
    if report.invocation is None:
        return None
    command = report.invocation.command_line
    words = shlex.split(command)
    if words[1:2] == ["check"] and not any(
        w == "--as-of" or w.startswith("--as-of=") for w in words
    ):
        command += f" --as-of {report.as_of.isoformat()}"
    return command


def timestamp(report: Report) -> str | None:
    if report.invocation is None:
        return None
    return report.invocation.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def verdict(report: Report) -> str:
    """PASS / FAIL against the invocation's --fail-on, or a count when it is unknown."""
    if report.invocation is None:
        return f"{len(report.findings)} finding(s)"
    code = report.exit_code(report.invocation.fail_on)
    threshold = report.invocation.fail_on
    words = {0: "PASS", 1: "FAIL", 2: "INCOMPLETE (input errors)"}
    return f"{words.get(code, str(code))} (fail-on {threshold.label if threshold else 'never'})"


def value_text(value: Any) -> str:
    """A fact's value as people read it: yes/no, lists joined, None as unknown."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(value_text(v) for v in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {value_text(v)}" for k, v in value.items() if v not in (None, []))
    return "unknown" if value is None else str(value)

"""JUnit XML for GitLab, Jenkins and other CI test-report views.

One test suite per deployment, one test case per rule and component evaluated, passes included:
an open finding is a `<failure>` (message, severity, file:line:col, references), a waived or
baselined one is `<skipped>` with the reason, so the view matches the exit code. Built with
ElementTree (escaping is its job), without timestamps, so the same result gives the same bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from residency_audit.model import Finding, Report, Status

Case = tuple[str, str | None, str]
"""(deployment, component, rule id)."""


def render(report: Report) -> str:
    titles = {r.id: r.title for r in report.rules}
    files = {i.deployment: i.path for i in report.inputs if i.deployment}
    findings: dict[Case, list[Finding]] = {}
    for f in report.findings:
        findings.setdefault((f.deployment, f.component, f.rule_id), []).append(f)
    cases = dict.fromkeys(
        [*((c.deployment, c.component, c.rule_id) for c in report.checks), *findings]
    )
    by_deployment: dict[str, list[Case]] = {}  # in order of first appearance, cases in order
    for case in cases:
        by_deployment.setdefault(case[0], []).append(case)
    root = ET.Element("testsuites", name="residency-audit")
    for deployment, mine in by_deployment.items():
        suite = ET.SubElement(root, "testsuite", name=deployment)
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for case in mine:
            outcome = _case(suite, case, findings.get(case, []), titles, files)
            counts["tests"] += 1
            if outcome != "passed":
                counts[outcome] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
        suite.set("errors", "0")
    errors = ET.SubElement(root, "testsuite", name="input errors") if report.errors else None
    if errors is not None:
        for e in report.errors:
            loaded = ET.SubElement(
                errors,
                "testcase",
                name=f"load {e.span.path}",
                classname="residency-audit.inputs",
                file=e.span.path,
            )
            ET.SubElement(loaded, "error", message=e.message, type="input-error").text = str(e)
        errors.set("tests", str(len(report.errors)))
        errors.set("errors", str(len(report.errors)))
    _totals(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _case(
    suite: ET.Element,
    case: Case,
    found: list[Finding],
    titles: dict[str, str],
    files: dict[str, str],
) -> str:
    deployment, component, rule_id = case
    title = titles.get(rule_id) or (found[0].title if found else rule_id)
    element = ET.SubElement(
        suite,
        "testcase",
        name=f"{rule_id} {component or deployment}: {title}",
        classname=f"{deployment}.{component or 'deployment'}",
    )
    path = found[0].span.path if found else files.get(deployment)
    if path:
        element.set("file", path)
    if found:
        element.set("line", str(found[0].span.line))
    open_ = [f for f in found if f.status is Status.OPEN]
    if open_:
        first = open_[0]
        failure = ET.SubElement(
            element, "failure", message=f"{first.span}: {first.message}", type=first.severity.label
        )
        failure.text = "\n\n".join(_details(f) for f in open_)
        return "failures"
    if found:
        ET.SubElement(element, "skipped", message="; ".join(_skip_reason(f) for f in found))
        return "skipped"
    return "passed"


def _details(f: Finding) -> str:
    lines = [f"{f.span}: {f.severity.label} {f.rule_id} {f.message}"]
    if f.unverifiable:
        lines.append("(cannot be verified: a fact is missing or unknown)")
    lines += [f"reference: {r.label} <{r.url}>" for r in f.references]
    lines.append(f"remediation: {' '.join(f.remediation.split())}")
    return "\n".join(lines)


def _skip_reason(f: Finding) -> str:
    if f.status is Status.WAIVED and f.waiver is not None:
        return (
            f"waived until {f.waiver.expires.isoformat()} by {f.waiver.approved_by}: "
            f"{f.waiver.justification}"
        )
    return f"{f.status.value}: {f.message}"


def _totals(root: ET.Element) -> None:
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in _suites(root))))


def _suites(root: ET.Element) -> Iterable[ET.Element]:
    return root.iter("testsuite")

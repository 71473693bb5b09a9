"""Findings that cannot be verified are counted apart from established violations, in every
summary a person or a gate reads ("12 finding(s): 7 violation(s), 5 cannot be verified"), and a
SARIF result says it is one whatever the rule's message says."""

from __future__ import annotations

import dataclasses
import json
import re

from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.model import Report, Severity
from residency_audit.pipeline import Options, run
from residency_audit.reporters import OutputFormat, html, markdown, render
from tests.conftest import AS_OF, SAMPLES
from tests.reporters.test_html import Page
from tests.reporters.test_markdown import html_of
from tests.support.reports import invocation

SAMPLE = str(SAMPLES / "doctolib-2021.yaml")


def audited() -> Report:
    report = run(Options(paths=[SAMPLES / "doctolib-2021.yaml"], as_of=AS_OF))
    return dataclasses.replace(report, invocation=invocation())


def split(report: Report) -> tuple[int, int]:
    """(violations, cannot be verified), counted from the findings themselves."""
    unverifiable = sum(1 for f in report.findings if f.unverifiable)
    assert 0 < unverifiable < len(report.findings), "the sample must have both kinds"
    return len(report.findings) - unverifiable, unverifiable


def test_the_text_summary_says_how_many_cannot_be_verified(runner: CliRunner) -> None:
    violations, unverifiable = split(audited())
    result = runner.invoke(app, ["check", SAMPLE, "--as-of", str(AS_OF)], env={"NO_COLOR": "1"})
    summary = result.stdout.splitlines()[-1]
    total = violations + unverifiable
    assert summary.startswith(
        f"{total} finding(s): {violations} violation(s), {unverifiable} cannot be verified ("
    ), summary


def test_the_json_summary_counts_them_apart(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", SAMPLE, "--as-of", str(AS_OF), "-f", "json"])
    data = json.loads(result.stdout)
    flagged = sum(1 for f in data["findings"] if f["unverifiable"])
    assert flagged
    summary = data["summary"]
    assert summary["unverifiable"] == flagged
    assert summary["violations"] == len(data["findings"]) - flagged == summary["findings"] - flagged


def test_markdown_and_html_summaries_split_each_severity() -> None:
    report = audited()
    violations, unverifiable = split(report)
    phrase = (
        f"{violations + unverifiable} finding(s): {violations} violation(s), "
        f"{unverifiable} cannot be verified"
    )
    for page in (Page(html_of(markdown.render(report))), Page(html.render(report))):
        assert phrase in page.words
        header = ["Severity", "Violations", "Cannot be verified", "Findings"]
        rows = page.rows[page.rows.index(header) + 1 :][: len(Severity)]
        for severity, row in zip(reversed(Severity), rows, strict=True):
            found = [f for f in report.findings if f.severity is severity]
            undecided = sum(1 for f in found if f.unverifiable)
            assert row == [
                severity.label,
                str(len(found) - undecided),
                str(undecided),
                str(len(found)),
            ]


def test_a_sarif_result_says_it_cannot_be_verified_whatever_its_message() -> None:
    report = audited()
    # The rule's message may be worded any way (another version may drop "cannot be verified").
    findings = tuple(
        dataclasses.replace(f, message=re.sub(r"(?i)cannot be verified", "unknown", f.message))
        for f in report.findings
    )
    sarif = json.loads(
        str(render(dataclasses.replace(report, findings=findings), OutputFormat.SARIF))
    )
    results = sarif["runs"][0]["results"]
    for f, result in zip(findings, results, strict=True):
        said = "cannot be verified" in result["message"]["text"]
        assert said is f.unverifiable, result["message"]["text"]
        assert result["properties"]["unverifiable"] is f.unverifiable


def test_a_junit_failure_says_it_cannot_be_verified_whatever_its_message() -> None:
    import xml.etree.ElementTree as ET

    report = audited()
    findings = tuple(
        dataclasses.replace(f, message=re.sub(r"(?i)cannot be verified", "unknown", f.message))
        for f in report.findings
    )
    root = ET.fromstring(
        str(render(dataclasses.replace(report, findings=findings), OutputFormat.JUNIT))
    )
    failures = {
        case.get("name", "").split()[0]: failure.get("message", "")
        for suite in root
        for case in suite
        for failure in case.iter("failure")
    }
    for f in findings:
        # one finding per rule in this sample's cases: the failure's first line is its own
        if sum(1 for g in findings if g.rule_id == f.rule_id) == 1:
            said = failures[f.rule_id].endswith("(cannot be verified)")
            assert said is f.unverifiable, failures[f.rule_id]
    assert any(f.unverifiable for f in findings) and any(not f.unverifiable for f in findings)

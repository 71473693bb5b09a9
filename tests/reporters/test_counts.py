"""Findings that cannot be verified are counted apart from failed checks, in every summary a
person or a gate reads ("12 finding(s): 7 failed check(s), 5 cannot be verified"), and a SARIF
result says it is one whatever the rule's message says. No summary calls a finding a violation:
an info one (a party's exposure to a foreign law) is a fact to note, and none is a legal
conclusion."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.model import Report, Severity
from residency_audit.pipeline import Options, run
from residency_audit.reporters import OutputFormat, html, markdown, render
from tests.conftest import AS_OF, FIXTURES, SAMPLES
from tests.reporters.test_html import Page
from tests.reporters.test_markdown import html_of
from tests.support.reports import invocation

SAMPLE = str(SAMPLES / "doctolib-2021.yaml")


def audited() -> Report:
    report = run(Options(paths=[SAMPLES / "doctolib-2021.yaml"], as_of=AS_OF))
    return dataclasses.replace(report, invocation=invocation())


def split(report: Report) -> tuple[int, int]:
    """(failed checks, cannot be verified), counted from the findings themselves."""
    unverifiable = sum(1 for f in report.findings if f.unverifiable)
    assert 0 < unverifiable < len(report.findings), "the sample must have both kinds"
    return len(report.findings) - unverifiable, unverifiable


def test_the_text_summary_says_how_many_cannot_be_verified(runner: CliRunner) -> None:
    failed, unverifiable = split(audited())
    result = runner.invoke(app, ["check", SAMPLE, "--as-of", str(AS_OF)], env={"NO_COLOR": "1"})
    summary = result.stdout.splitlines()[-1]
    total = failed + unverifiable
    assert summary.startswith(
        f"{total} finding(s): {failed} failed check(s), {unverifiable} cannot be verified ("
        # the severities are of every finding: right after "5 cannot be verified", bare
        # counts read as theirs
        f"all {total} by severity: "
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
    failed, unverifiable = split(report)
    phrase = (
        f"{failed + unverifiable} finding(s): {failed} failed check(s), "
        f"{unverifiable} cannot be verified"
    )
    for page in (Page(html_of(markdown.render(report))), Page(html.render(report))):
        assert phrase in page.words
        header = ["Severity", "Failed checks", "Cannot be verified", "Findings"]
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


def test_an_info_finding_is_called_no_violation(runner: CliRunner) -> None:
    """As of 2020-07-15 the one finding is JUR-01's info note that a US helpdesk is under law
    that can compel access: a disclosure, which no summary may call a violation."""
    path = FIXTURES / "deployments" / "info-finding-only.yaml"
    day = dt.date(2020, 7, 15)
    report = dataclasses.replace(run(Options(paths=[path], as_of=day)), invocation=invocation())
    assert [(f.rule_id, f.severity, f.unverifiable) for f in report.findings] == [
        ("JUR-01", Severity.INFO, False)
    ]
    text = runner.invoke(app, ["check", str(path), "--as-of", str(day)], env={"NO_COLOR": "1"})
    summary = text.stdout.splitlines()[-1]
    assert summary.startswith(
        "1 finding(s): 1 failed check(s), 0 cannot be verified (all 1 by severity: 1 info)"
    )
    header = ["Severity", "Failed checks", "Cannot be verified", "Findings"]
    for page in (Page(html_of(markdown.render(report))), Page(html.render(report))):
        assert "1 finding(s): 1 failed check(s), 0 cannot be verified" in page.words
        assert header in page.rows
    md_summary = markdown.render(report).split("## Summary")[1].split("## Data flows")[0]
    html_summary = html.render(report).split('<section id="summary">')[1].split("</section>")[0]
    for words in (summary, md_summary, html_summary):  # the rules' own texts are theirs
        assert "violation" not in words.lower()


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
        for outcome in ("failure", "skipped")  # skipped: open, below --fail-on
        for failure in case.iter(outcome)
    }
    for f in findings:
        # one finding per rule in this sample's cases: the failure's first line is its own
        if sum(1 for g in findings if g.rule_id == f.rule_id) == 1:
            said = failures[f.rule_id].endswith("(cannot be verified)")
            assert said is f.unverifiable, failures[f.rule_id]
    assert any(f.unverifiable for f in findings) and any(not f.unverifiable for f in findings)

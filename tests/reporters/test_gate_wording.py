"""The evidence formats word `--fail-on`'s outcome as what it is, a CI gate: never "PASS" (read
in court as a legal conclusion), never green above critical findings the gate did not look at,
and never a pass-looking result over a partial or incomplete audit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.model import Diagnostic, Report, Severity, Span
from residency_audit.pipeline import Options, run
from residency_audit.reporters import OutputFormat, render
from tests.conftest import AS_OF, SAMPLES
from tests.reporters.test_html import Page
from tests.support.reports import invocation

PARTIAL = "obs.yaml: rds DescribeDBInstances in eu-west-3 not observed: access denied"


@pytest.fixture(scope="module")
def failing() -> Report:
    """Critical and high findings open."""
    return run(Options(paths=[SAMPLES / "backup-outside-eea.yaml"], as_of=AS_OF))


@pytest.fixture(scope="module")
def clean() -> Report:
    """Nothing at or above high."""
    report = run(Options(paths=[SAMPLES / "sovereign-hospital.yaml"], as_of=AS_OF))
    assert not report.fails(Severity.HIGH) and not report.partial and not report.errors
    return report


def shown(report: Report, fail_on: Severity | None, **changes: object) -> tuple[str, Page]:
    """The Markdown header's gate line and the HTML page of `report` run with `fail_on`."""
    report = dataclasses.replace(
        report,
        invocation=invocation("residency-audit check x.yaml", fail_on),
        **changes,  # type: ignore[arg-type]
    )
    markdown = str(render(report, OutputFormat.MARKDOWN))
    header = markdown.split("## Summary")[0]
    assert "PASS" not in header and "Result" not in header, header
    (line,) = [x for x in header.splitlines() if "CI gate" in x]
    return line, Page(str(render(report, OutputFormat.HTML)))


def badge(page: Page) -> str:
    (state,) = {c for c in page.classes if c in ("passed", "failed", "caveat")}
    return state


def test_fail_on_never_above_critical_findings_is_not_enforced_not_a_pass(
    failing: Report,
) -> None:
    assert failing.tally.severities[Severity.CRITICAL]
    line, page = shown(failing, None)
    assert line == "- **CI gate (fail-on never):** not enforced"
    assert "CI gate (fail-on never) not enforced" in page.words
    assert badge(page) == "caveat"  # not the green of a passed gate


def test_a_gate_passed_says_passed(clean: Report) -> None:
    line, page = shown(clean, Severity.HIGH)
    assert line == "- **CI gate (fail-on high):** passed"
    assert badge(page) == "passed"


def test_a_gate_failed_says_why(failing: Report) -> None:
    line, page = shown(failing, Severity.HIGH)
    assert line == "- **CI gate (fail-on high):** failed — open finding(s) at or above high"
    assert badge(page) == "failed"


@pytest.mark.parametrize("fail_on", [None, Severity.HIGH])
def test_a_partial_audit_is_said_beside_the_gate(clean: Report, fail_on: Severity | None) -> None:
    line, page = shown(clean, fail_on, partial=(PARTIAL,))
    outcome = "not enforced" if fail_on is None else "failed"
    said = f"{outcome} — the audit is PARTIAL: not everything could be read"
    assert line.endswith(f":** {said}"), line
    assert said in page.words
    assert badge(page) != "passed"


@pytest.mark.parametrize("fail_on", [None, Severity.HIGH])
def test_an_incomplete_audit_is_said_beside_the_gate(
    clean: Report, fail_on: Severity | None
) -> None:
    error = Diagnostic(Span(str(Path("broken.yaml")), 3, 1), "unknown region")
    line, page = shown(clean, fail_on, errors=(error,))
    said = "failed — the audit is INCOMPLETE: 1 input error(s) in 1 file, which was not audited"
    assert line.endswith(f":** {said}"), line  # exit 2, whatever --fail-on
    assert said in page.words
    assert badge(page) == "failed"


def test_an_incomplete_audit_counts_the_files_its_errors_left_out(clean: Report) -> None:
    """Five errors of one file read "5 input error(s), those files were not audited": as many
    files, it seemed, were left out. The gate line and both banners count the files."""
    errors = tuple(
        Diagnostic(Span(str(Path(name)), line, 1), "unknown region")
        for name, line in (("a.yaml", 3), ("a.yaml", 7), ("b.yaml", 2))
    )
    line, page = shown(clean, Severity.HIGH, errors=errors)
    said = "3 input error(s) in 2 files, which were not audited"
    assert line.endswith(f"INCOMPLETE: {said}"), line
    assert f"Incomplete: {said}." in page.words
    report = dataclasses.replace(clean, errors=errors[:2])
    markdown = str(render(report, OutputFormat.MARKDOWN))
    assert "> **INCOMPLETE.** 2 input error(s) in 1 file, which was not audited:" in markdown


def test_without_an_invocation_the_header_counts_the_findings(failing: Report) -> None:
    markdown = str(render(failing, OutputFormat.MARKDOWN))
    assert "- **Findings:** " in markdown.split("## Summary")[0]
    assert "CI gate" not in markdown


def test_a_re_rendered_report_names_its_own_gate_not_the_audit_s(
    runner: CliRunner, tmp_path: Path
) -> None:
    """QA: a result saved by `check --fail-on never` (exit 0), re-rendered by `report` (whose
    --fail-on defaults to high), said "CI gate (fail-on high): failed" as if the audit had run
    that gate. The result does not keep the audit's --fail-on: the header says whose it is."""
    saved, rendered = tmp_path / "never.json", tmp_path / "again.md"
    sample = str(SAMPLES / "doctolib-2021.yaml")
    check = ["check", sample, "--as-of", str(AS_OF), "--fail-on", "never"]
    assert runner.invoke(app, [*check, "-f", "json", "-o", str(saved)]).exit_code == 0
    result = runner.invoke(app, ["report", str(saved), "-f", "markdown", "-o", str(rendered)])
    assert result.exit_code == 1
    header = rendered.read_text().split("## Summary")[0]
    (line,) = [x for x in header.splitlines() if "CI gate" in x]
    assert line.startswith("- **CI gate of this rendering (report --fail-on high):** failed")


@pytest.mark.parametrize(
    ("changes", "mark"),
    [
        ({}, ""),
        ({"partial": (PARTIAL,)}, " — PARTIAL"),
        ({"errors": (Diagnostic(Span("broken.yaml", 3, 1), "unknown region"),)}, " — INCOMPLETE"),
    ],
)
def test_the_title_and_every_printed_page_say_an_audit_is_partial_or_incomplete(
    clean: Report, changes: dict[str, object], mark: str
) -> None:
    """QA (a lawyer filing the PDF): the banner saying PARTIAL is on the first page only; the
    title (the PDF's Title, a browser tab) and the header printed on every page said
    "as of 2026-11-28" alone, so a page or a file read apart passed for a complete audit."""
    report = dataclasses.replace(clean, invocation=invocation(), **changes)  # type: ignore[arg-type]
    markdown = str(render(report, OutputFormat.MARKDOWN))
    assert markdown.splitlines()[0] == f"# Data residency audit{mark}"
    page = str(render(report, OutputFormat.HTML))
    title = f"Data residency audit — centre-hospitalier-exemple — as of {AS_OF}{mark}"
    assert f"<title>{title}</title>" in page
    assert f'content: "residency-audit — as of {AS_OF}{mark}";' in page
    assert f"<h1>Data residency audit{mark}</h1>" in page

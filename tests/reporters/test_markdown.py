"""The Markdown evidence report read as GitHub and markdown-it read it: user text (deployment
names, file paths, messages, waivers) shows as written, never as HTML, links or table cells."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.model import Diagnostic, InputFile, Span
from residency_audit.pipeline import Options, run
from residency_audit.reporters import markdown
from tests.conftest import AS_OF, FIXTURES, SAMPLES
from tests.reporters.test_html import Page
from tests.support.reports import invocation

HOSTILE_NAME = "a`<img src=x onerror=alert(1)>`b"


def html_of(text: str) -> str:
    """What a Markdown viewer shows: CommonMark with GFM tables."""
    return MarkdownIt("commonmark").enable("table").render(text)


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """The backup sample with a deployment name holding backticks around HTML, in a file whose
    name holds a pipe and a backtick."""
    text = (SAMPLES / "backup-outside-eea.yaml").read_text()
    text = text.replace("name: clinique-exemple-records", f'name: "{HOSTILE_NAME}"', 1)
    path = tmp_path / "evil|na`me.yaml"
    path.write_text(text)
    return path


def test_a_deployment_name_with_backticks_cannot_inject_html(
    runner: CliRunner, hostile: Path
) -> None:
    result = runner.invoke(app, ["check", str(hostile), "-f", "markdown", "--as-of", str(AS_OF)])
    assert result.exit_code == 1, result.output
    page = Page(html_of(result.stdout))
    assert "img" not in page.tags
    assert HOSTILE_NAME in page.words  # shown whole, as written
    assert f"Scope: 1 deployment(s): {HOSTILE_NAME}" in page.words


def test_a_pipe_in_a_file_name_stays_in_its_manifest_cell(runner: CliRunner, hostile: Path) -> None:
    result = runner.invoke(app, ["check", str(hostile), "-f", "markdown", "--as-of", str(AS_OF)])
    rows = Page(html_of(result.stdout)).rows
    manifest = rows[rows.index(["Kind", "File", "SHA-256"]) + 1 :]
    assert manifest[0][:2] == ["deployment", str(hostile)] and len(manifest[0][2]) == 64
    assert all(len(row) == 3 for row in manifest)


def test_input_errors_and_the_command_line_show_as_written(tmp_path: Path) -> None:
    path = str(tmp_path / "x``y.yaml")
    report = run(Options(paths=[SAMPLES / "backup-outside-eea.yaml"], as_of=AS_OF))
    report = dataclasses.replace(
        report,
        errors=(Diagnostic(Span(path, 3, 1), "unknown key '`<b>bold</b>`'"),),
        invocation=invocation(f"residency-audit check '{path}' --as-of {AS_OF}"),
    )
    page = Page(html_of(markdown.render(report)))
    assert "b" not in page.tags
    assert f"{path}:3:1: error: unknown key '`<b>bold</b>`'" in page.words
    assert f"residency-audit check '{path}' --as-of {AS_OF}" in page.words


def test_waiver_text_and_evidence_show_as_written() -> None:
    report = run(
        Options(
            paths=[SAMPLES / "backup-outside-eea.yaml"],
            as_of=AS_OF,
            waivers=FIXTURES / "waivers" / "backup-tia.yaml",
        )
    )
    waived = next(f for f in report.findings if f.waiver is not None)
    assert waived.waiver is not None
    evil = dataclasses.replace(
        waived.waiver,
        justification="1. accepted | see `<i>x</i>`",
        evidence="ticket> <img src=x onerror=alert(1)>",
    )
    findings = tuple(
        dataclasses.replace(f, waiver=evil) if f is waived else f for f in report.findings
    )
    page = Page(html_of(markdown.render(dataclasses.replace(report, findings=findings))))
    assert not {"img", "i", "ol"} & set(page.tags)
    assert "1. accepted | see `<i>x</i>`" in page.words
    assert "ticket> <img src=x onerror=alert(1)>" in page.words


def test_a_message_that_looks_like_a_list_stays_a_paragraph() -> None:
    report = run(Options(paths=[SAMPLES / "backup-outside-eea.yaml"], as_of=AS_OF))
    first = dataclasses.replace(report.findings[0], message="- not a list")
    report = dataclasses.replace(report, findings=(first, *report.findings[1:]))
    assert "<p>- not a list</p>" in html_of(markdown.render(report))


@pytest.mark.parametrize(
    "text", ["plain", "a`b", "``double``", "`edge", "edge`", "x ``` y", "a|b", "a\\|b"]
)
def test_a_manifest_cell_shows_any_path_as_written(text: str) -> None:
    report = run(Options(paths=[SAMPLES / "backup-outside-eea.yaml"], as_of=AS_OF))
    report = dataclasses.replace(report, inputs=(InputFile(text, "0" * 64, None, "waivers"),))
    rows = Page(html_of(markdown.render(report))).rows
    assert ["waivers", text, "0" * 64] in rows

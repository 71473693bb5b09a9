"""A rule's caveats (its `notes`: wording from a transcription, a point from memory...) qualify
its findings: the evidence reports show them with each finding, next to its references, as
`explain` does for the rule, and a saved result keeps them for `report`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.engine.rules import load_packs
from residency_audit.model import Report
from residency_audit.pipeline import Options, run
from residency_audit.reporters import html, markdown
from tests.conftest import AS_OF, SAMPLES
from tests.reporters.test_html import Page
from tests.reporters.test_markdown import html_of
from tests.support.reports import invocation

SAMPLE = SAMPLES / "backup-outside-eea.yaml"


def caveats() -> dict[str, str]:
    """Each bundled rule's notes on one line, read from the rule files, as a reader sees them
    in the reports: their `code spans` shown as code, without the backticks."""
    return {
        r.id: " ".join(r.notes.replace("`", "").split())
        for p in load_packs()
        for r in p.rules
        if r.notes
    }


def audited() -> Report:
    report = run(Options(paths=[SAMPLE], as_of=AS_OF))
    return dataclasses.replace(report, invocation=invocation())


def test_markdown_shows_each_finding_s_rule_caveats_after_its_references() -> None:
    report, notes = audited(), caveats()
    sections = markdown.render(report).split("\n#### ")[1:]  # one per finding
    assert len(sections) == len(report.findings)
    shown = set()
    for section in sections:
        rule_id = section.split()[1].rstrip(":")  # "HIGH HDS-LOC-01: title"
        references = section.split("References:", 1)[1].split("Facts used:", 1)[0]
        if rule_id in notes:
            assert notes[rule_id] in Page(html_of(references)).read, rule_id
            shown.add(rule_id)
        else:
            assert "Caveats of the rule" not in section, rule_id
    assert len(shown) >= 3  # HDS-LOC-01, RISK-CLEAR-01, GDPR-ART9-01... in this sample


def test_html_shows_them_in_each_finding_s_article() -> None:
    report, notes = audited(), caveats()
    articles = html.render(report).split('<article class="finding')[1:]
    assert len(articles) == len(report.findings)
    shown = set()
    for article in articles:
        page = Page(article)
        rule_id = article.split('<span class="rule">', 1)[1].split("<", 1)[0]
        if rule_id in notes:
            assert "caveats" in page.classes and notes[rule_id] in page.read, rule_id
            assert article.index("Caveats of the rule") > article.index('class="references"')
            shown.add(rule_id)
        else:
            assert "caveats" not in page.classes, rule_id
    assert len(shown) >= 3


def test_a_saved_result_keeps_them_for_report(runner: CliRunner, tmp_path: Path) -> None:
    saved, again = tmp_path / "result.json", tmp_path / "again.md"
    args = ["check", str(SAMPLE), "--as-of", str(AS_OF), "-f", "json", "-o", str(saved)]
    runner.invoke(app, args)
    result = runner.invoke(app, ["report", str(saved), "-f", "markdown", "-o", str(again)])
    assert result.exit_code == 1, result.output  # the result's own, as check exited
    words = Page(html_of(again.read_text())).read
    assert caveats()["HDS-LOC-01"] in words


def test_their_code_spans_show_as_code_not_as_backticks() -> None:
    """A rule's caveats and remediation name fields and keys in `code spans`: code in both
    reports, never backslash-escaped (Markdown) nor bare (HTML) backticks; what a span holds
    is still shown as written, never as markup."""
    report = audited()
    (loc,) = (r for r in report.rules if r.id == "HDS-LOC-01")
    assert loc.notes and "`hds.referential_2024_binds`" in loc.notes
    hostile = dataclasses.replace(
        report,
        rules=tuple(
            dataclasses.replace(r, notes=f"{r.notes} See `<img src=x>` and `a|b*c*`.")
            if r.id == "HDS-LOC-01"
            else r
            for r in report.rules
        ),
    )
    text = markdown.render(hostile)
    caveat_lines = [x for x in text.splitlines() if x.startswith(("Caveats of", "Remediation:"))]
    assert caveat_lines and not [x for x in caveat_lines if "\\`" in x]
    for page in (html_of(text), html.render(hostile)):
        assert "<code>hds.referential_2024_binds</code>" in page
        assert "<code>&lt;img src=x&gt;</code>" in page and "<img" not in page
        assert "<code>a|b*c*</code>" in page
        caveats_shown = [p for p in page.split("<p") if "Caveats" in p or 'class="caveats"' in p]
        assert not [p for p in caveats_shown if "`" in p]
    (ext,) = (f for f in report.findings if f.rule_id == "HDS-EXT-01")
    assert "under `transparency` of this party" in ext.remediation
    for page in (html_of(text), html.render(hostile)):
        assert "under <code>transparency</code> of this party" in page

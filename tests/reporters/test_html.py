"""The HTML evidence report, read back with the standard library's parser (always runs): what a
lawyer must find in it is there."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from pathlib import Path

import pytest

from residency_audit.model import Report
from residency_audit.pipeline import Options, run
from residency_audit.reporters import html
from tests.conftest import AS_OF, FIXTURES, SAMPLES
from tests.support.reports import invocation, with_flows


class Page(HTMLParser):
    """Text, links, element classes and table rows of a page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.classes: list[str] = []
        self.tags: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append(tag)
        self.classes += (values.get("class") or "").split()
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())

    @property
    def read(self) -> str:
        """The text as a reader reads it: an inline element (`<code>`) is no word break."""
        return " ".join("".join(self.text).split())


def audit(name: str, **options: object) -> Report:
    report = run(Options(paths=[SAMPLES / name], as_of=AS_OF, **options))  # type: ignore[arg-type]
    return dataclasses.replace(
        report,
        invocation=invocation(f"residency-audit check sample_configs/{name} --as-of {AS_OF}"),
    )


def test_doctolib_report_has_manifest_as_of_picture_and_every_finding() -> None:
    report = audit("doctolib-2021.yaml")
    page = Page(html.render(report))
    assert "as of 2026-11-28" in page.words
    hashes = {row[-1] for row in page.rows if row}
    expected = (
        {i.sha256 for i in report.inputs}
        | {p.sha256 for p in report.packs}
        | {digest for _, digest in report.knowledge}
    )
    assert expected <= hashes
    assert "2026-11-28T09:30:00Z" in page.words
    assert f"residency-audit check sample_configs/doctolib-2021.yaml --as-of {AS_OF}" in page.words
    assert "svg" in page.tags and "flowmap" in page.classes
    assert report.findings
    for finding in report.findings:
        assert finding.rule_id in page.words and finding.message in page.words
        for reference in finding.references:
            assert reference.url in page.links


def test_self_contained_and_printable() -> None:
    text = html.render(audit("backup-outside-eea.yaml"))
    assert "<script" not in text and "<link" not in text
    assert 'src="http' not in text and "@import" not in text
    assert "@page" in text and "counter(pages)" in text


def test_waivers_show_approver_and_expiry_and_unverified_facts_are_marked() -> None:
    report = audit("backup-outside-eea.yaml", waivers=FIXTURES / "waivers" / "backup-tia.yaml")
    fact = report.findings[0].facts[0]
    unverified = dataclasses.replace(
        report.findings[0],
        facts=(dataclasses.replace(fact, verified=False), *report.findings[0].facts[1:]),
    )
    report = dataclasses.replace(report, findings=(unverified, *report.findings[1:]))
    page = Page(html.render(report))
    waiver_rows = [row for row in page.rows if "dpo@example.org" in row]
    assert waiver_rows and "2027-06-30" in waiver_rows[0]
    assert any("ciso@example.org" in row and "no — expired" in row for row in page.rows)
    assert "(unverified)" in page.words
    assert "waived" in page.classes


def test_partial_audit_and_stale_knowledge_get_banners() -> None:
    report = dataclasses.replace(
        audit("backup-outside-eea.yaml"),
        partial=("AWS: AccessDenied on s3:GetBucketReplication",),
        stale_knowledge=("providers/aws",),
    )
    page = Page(html.render(report))
    assert {"partial", "stale"} <= set(page.classes)
    assert "Partial audit." in page.words and "AccessDenied" in page.words
    assert "providers/aws" in page.words


def test_flow_picture_draws_the_report_flows() -> None:
    report = with_flows(audit("doctolib-2021.yaml"))
    text = html.render(report)
    svg = text[text.index("<svg") : text.index("</svg>")]
    for label in (
        "warehouse",
        "support-desk",
        "archive",
        "FR France",
        "DE Germany",
        "US United States",
        "US law",
        "FR law",
        "us-cloud-act",
    ):
        assert label in svg, label
    assert "derived from the findings" not in svg
    rows = Page(text).rows
    assert any(row[:3] == ["warehouse", "replica", "DE (Germany)"] for row in rows)


def test_flow_picture_without_flows_is_derived_and_says_so() -> None:
    # a result saved by an older version, or a format that carries no flows
    text = html.render(dataclasses.replace(audit("backup-outside-eea.yaml"), flows=()))
    svg = text[text.index("<svg") : text.index("</svg>")]
    assert "records-db" in svg and "US United States" in svg and "US law" in svg
    assert "derived from the findings only" in svg


@pytest.mark.parametrize("evil", ["<script>alert(1)</script>", '"><img src=x onerror=1>'])
def test_input_text_is_escaped(evil: str, tmp_path: Path) -> None:
    report = audit("backup-outside-eea.yaml")
    finding = dataclasses.replace(report.findings[0], message=evil, component=evil)
    text = html.render(dataclasses.replace(report, findings=(finding,)))
    assert evil not in text

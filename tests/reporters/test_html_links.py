"""Links of the HTML and Markdown reports: only web addresses are links, whatever a report
holds. A waiver's evidence, a reference's or a fact's URL of `javascript:` would run in the
browser of the lawyer who opens the report."""

from __future__ import annotations

import dataclasses
import re

import pytest

from residency_audit.model import Report
from residency_audit.reporters import html, markdown
from tests.conftest import FIXTURES
from tests.reporters.test_html import Page, audit

HOSTILE = ("javascript:alert(document.domain)", " JavaScript:alert(1)", "data:text/html,<b>x</b>")


def with_urls(report: Report, url: str) -> Report:
    """Every waiver's evidence, every reference and fact URL of the first finding set to `url`
    (the finding's waiver included)."""
    waivers = tuple(dataclasses.replace(w, evidence=url) for w in report.waivers)
    first = report.findings[0]
    first = dataclasses.replace(
        first,
        references=tuple(dataclasses.replace(r, url=url) for r in first.references),
        facts=tuple(dataclasses.replace(x, url=url) for x in first.facts),
        waiver=dataclasses.replace(first.waiver, evidence=url) if first.waiver else None,
    )
    return dataclasses.replace(report, findings=(first, *report.findings[1:]), waivers=waivers)


def waived() -> Report:
    report = audit("backup-outside-eea.yaml", waivers=FIXTURES / "waivers" / "backup-tia.yaml")
    ordered = sorted(report.findings, key=lambda f: f.waiver is None)  # a waived one first
    return dataclasses.replace(report, findings=tuple(ordered))


@pytest.mark.parametrize("url", HOSTILE)
def test_a_url_that_is_not_a_web_address_is_text_not_a_link(url: str) -> None:
    report = with_urls(waived(), url)
    assert report.findings[0].waiver is not None and report.findings[0].facts
    page = Page(html.render(report))
    assert page.links and all(link.startswith(("https://", "http://", "#")) for link in page.links)
    assert url.strip() in page.words  # shown, as text: the reader still sees what was given
    evidence = [row for row in page.rows if "dpo@example.org" in row]
    assert evidence and f"evidence: {url.strip()}" in evidence[0][2]


def test_web_addresses_stay_links() -> None:
    report = with_urls(waived(), "HTTPS://intranet.example.org/tia/2026-03-02")
    links = Page(html.render(report)).links
    # the waiver box, the waivers table, the finding's references, facts and instrument heading
    assert links.count("HTTPS://intranet.example.org/tia/2026-03-02") >= 4


@pytest.mark.parametrize("url", HOSTILE)
def test_the_markdown_report_links_no_other_scheme_either(url: str) -> None:
    """A Markdown viewer follows links too: the same URLs are shown as code, never linked."""
    text = markdown.render(with_urls(waived(), url))
    targets = re.findall(r"\]\(<?([^)>]*)", text)
    assert targets and all(t.lower().startswith(("https://", "http://", "#")) for t in targets)
    assert f"`{url.strip()}`" in text

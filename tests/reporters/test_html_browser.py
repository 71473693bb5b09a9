"""The HTML report in a real headless browser: Debian's chromium driven by PyPI playwright
(`apt-get install chromium`; playwright cannot download a browser here). It must render without
console errors; the screenshot lands in tests/artifacts/ (gitignored) for people to look at."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest

from residency_audit.pipeline import Options, run
from residency_audit.reporters import html
from tests.conftest import AS_OF, SAMPLES, in_ci
from tests.support.reports import invocation, need, with_flows

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    sync_api = need("playwright.sync_api", "drives chromium")
    if not Path(CHROMIUM).exists():
        message = "chromium not installed (apt-get install -y chromium)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.mark.parametrize(
    ("sample", "flows"),
    [
        ("doctolib-2021.yaml", False),
        ("doctolib-2021.yaml", True),
        ("backup-outside-eea.yaml", False),
    ],
)
def test_report_renders_without_console_errors(
    browser,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    sample: str,
    flows: bool,
) -> None:
    report = run(Options(paths=[SAMPLES / sample], as_of=AS_OF))
    report = dataclasses.replace(report, invocation=invocation())
    if flows:
        report = with_flows(report)
    path = tmp_path / "report.html"
    path.write_text(html.render(report), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "request",
        lambda r: problems.append(f"fetched {r.url}") if not r.url.startswith("file:") else None,
    )
    page.goto(path.as_uri())
    assert page.title().startswith("Data residency audit")
    assert page.locator("article.finding").count() == len(report.findings)
    box = page.locator("svg.flowmap").bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 100
    hashed = [*report.inputs, *report.packs, *report.knowledge, report.risk_model]
    assert page.locator("table.hashes tr").count() == 1 + len(hashed)
    ARTIFACTS.mkdir(exist_ok=True)
    name = f"{Path(sample).stem}{'-flows' if flows else ''}.png"
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    assert page.pdf(format="A4", print_background=True)[:5] == b"%PDF-"
    page.close()
    assert problems == []


def test_a_printed_report_shows_the_address_of_every_link(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A lawyer files the report printed or as a PDF, where a link is only its words (QA: no
    reference or source address in the printed copy): print CSS writes each address after its
    link, wrapped where it must be. Read back from chromium's PDF with poppler's pdftotext."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        message = "pdftotext (Debian poppler-utils) not installed"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    report = run(Options(paths=[SAMPLES / "backup-outside-eea.yaml"], as_of=AS_OF))
    report = dataclasses.replace(report, invocation=invocation())
    path = tmp_path / "report.html"
    path.write_text(html.render(report), encoding="utf-8")
    page = browser.new_page()
    page.goto(path.as_uri())
    (tmp_path / "report.pdf").write_bytes(page.pdf(format="A4", print_background=True))
    page.close()
    text = subprocess.run(
        # -raw: in its default mode pdftotext joins "donnees-" and "de" at a line's end
        [pdftotext, "-raw", str(tmp_path / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    urls = {r.url for f in report.findings for r in f.references}
    urls |= {x.url for f in report.findings for x in f.facts if x.url}
    assert len(urls) > 5
    printed = "".join(text.split())  # a long address is wrapped over lines
    assert sorted(u for u in urls if f"<{u}>" not in printed) == []

"""SARIF, JUnit and Markdown of the backup sample as of 2026-11-28, compared byte for byte with
tests/golden/ (rewrite with `pytest --update-golden` and review the diff like code)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from residency_audit.model import Report
from residency_audit.pipeline import Options, run
from residency_audit.reporters import OutputFormat, render
from tests.conftest import AS_OF, ROOT
from tests.support.reports import invocation

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
SAMPLE = "sample_configs/backup-outside-eea.yaml"


@pytest.fixture
def backup_report(monkeypatch: pytest.MonkeyPatch) -> Report:
    monkeypatch.chdir(ROOT)  # relative paths in the report, as users run it from their repo
    report = run(Options(paths=[Path(SAMPLE)], as_of=AS_OF))
    return dataclasses.replace(
        report,
        invocation=invocation(f"residency-audit check {SAMPLE} --as-of {AS_OF} --format sarif"),
    )


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        (OutputFormat.SARIF, "backup-outside-eea.sarif"),
        (OutputFormat.JUNIT, "backup-outside-eea.junit.xml"),
        (OutputFormat.MARKDOWN, "backup-outside-eea.md"),
    ],
)
def test_report_matches_golden_file(
    backup_report: Report, update_golden: bool, fmt: OutputFormat, name: str
) -> None:
    text = render(backup_report, fmt)
    assert isinstance(text, str)
    golden = GOLDEN / name
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"missing {golden}; run pytest --update-golden and review it"
    assert text == golden.read_text(encoding="utf-8"), (
        f"{name} changed; if intended, run pytest --update-golden and review the diff"
    )

"""The evidence reports say which version of a text each finding cites and from when: the days
a rule file gives a reference (`adopted`, `applies_from`, `superseded`), worded as `explain`
words them, in the JSON result, Markdown and HTML, and again when `report` re-renders a result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, SAMPLES

SAMPLE = SAMPLES / "backup-outside-eea.yaml"
EXI_30 = "HDS certification referential 2024, EXI 30 (exposure to non-adequate"
"""JUR-EXPO-01's reference to the 2024 HDS referential (rules/jurisdiction/JUR-EXPO-01.yaml)."""
DAYS = "(adopted 2024-04-26, cited from 2024-11-16)"


@pytest.fixture
def saved(runner: CliRunner, tmp_path: Path) -> Path:
    """The sample's evidence as of AS_OF: JSON, Markdown and HTML side by side."""
    args = ["check", str(SAMPLE), "--as-of", str(AS_OF)]
    for fmt, name in (("json", "r.json"), ("markdown", "r.md"), ("html", "r.html")):
        args += ["-f", fmt, "-o", str(tmp_path / name)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    return tmp_path


def _exi_30(data: dict[str, Any]) -> dict[str, Any]:
    (finding,) = (f for f in data["findings"] if f["rule_id"] == "JUR-EXPO-01")
    (ref,) = (r for r in finding["references"] if r["label"].startswith(EXI_30))
    return ref  # type: ignore[no-any-return]


def _line(text: str, start: str) -> str:
    (line,) = (x for x in text.splitlines() if start in x)
    return line


def test_json_gives_each_reference_its_days(saved: Path) -> None:
    ref = _exi_30(json.loads((saved / "r.json").read_text()))
    assert ref["adopted"] == "2024-04-26"
    assert ref["applies_from"] == "2024-11-16"
    assert ref["superseded"] is None
    assert list(ref)[:3] == ["label", "url", "article"]  # the keys a consumer already reads


def test_markdown_and_html_word_the_days_as_explain_does(saved: Path, runner: CliRunner) -> None:
    explained = runner.invoke(app, ["explain", "JUR-EXPO-01"]).stdout
    assert DAYS in _line(explained, EXI_30)
    assert _line((saved / "r.md").read_text(), EXI_30).endswith(DAYS)
    assert DAYS in _line((saved / "r.html").read_text(), EXI_30)


def test_report_re_renders_the_days_of_a_saved_result(saved: Path, runner: CliRunner) -> None:
    out = saved / "again.md"
    result = runner.invoke(app, ["report", str(saved / "r.json"), "-f", "markdown", "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert _line(out.read_text(), EXI_30).endswith(DAYS)


def test_a_result_saved_before_references_had_days_still_renders(
    saved: Path, runner: CliRunner
) -> None:
    data = json.loads((saved / "r.json").read_text())
    for item in [*data["findings"], *data["rules"]]:
        for ref in item["references"]:
            for key in ("adopted", "applies_from", "superseded"):
                del ref[key]
    old = saved / "old.json"
    old.write_text(json.dumps(data))
    out = saved / "old.md"
    result = runner.invoke(app, ["report", str(old), "-f", "markdown", "-o", str(out)])
    assert result.exit_code == 1, result.output
    line = _line(out.read_text(), EXI_30)
    assert "cited from" not in line and line.endswith(")")  # the link, without days

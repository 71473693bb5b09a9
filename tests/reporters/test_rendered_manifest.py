"""A report re-rendered from a saved JSON result (`report result.json`) says what it is (QA: its
"Reproduce with" re-rendered instead of re-auditing, and nothing said that the audit's own
command line and time were not known). A JSON result keeps neither, by design (it is the same
bytes for the same audit), and the manifest says so rather than passing the rendering off as
the audit."""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, SAMPLES

AUDITED = (
    "not recorded in this result: a JSON result keeps no command line or time, so that the "
    "same audit gives the same bytes"
)


@pytest.fixture
def saved(runner: CliRunner, tmp_path: Path) -> Path:
    path = tmp_path / "result.json"
    args = ["check", str(SAMPLES / "backup-outside-eea.yaml"), "--as-of", str(AS_OF)]
    assert runner.invoke(app, [*args, "-f", "json", "-o", str(path)]).exit_code == 1
    return path


def test_a_rendered_markdown_report_does_not_pass_for_the_audit(
    runner: CliRunner, saved: Path
) -> None:
    out = saved.with_name("r.md")
    runner.invoke(app, ["report", str(saved), "-f", "markdown", "-o", str(out)])
    lines = out.read_text(encoding="utf-8").splitlines()
    digest = hashlib.sha256(saved.read_bytes()).hexdigest()
    assert f"- Audited with: {AUDITED}" in lines
    assert f"- Rendered from `{saved}` (sha256 `{digest}`)" in lines
    rerender = shlex.join(
        [
            "residency-audit",
            "report",
            str(saved),
            "-f",
            "markdown",
            "-o",
            str(out.with_name("reproduced-r.md")),
        ]
    )
    assert f"- Re-render with: `{rerender}`" in lines
    assert not [line for line in lines if line.startswith(("- Reproduce with", "- Re-run:"))]
    assert (
        "- Result: `sha256sum FILE` of the saved result gives the SHA-256 under Rendered from."
        in " ".join(lines)
    )


def test_a_rendered_html_report_does_not_pass_for_the_audit(runner: CliRunner, saved: Path) -> None:
    page = runner.invoke(app, ["report", str(saved), "-f", "html"]).stdout
    assert f"<dt>Audited with</dt><dd>{AUDITED}</dd>" in page
    assert "<dt>Re-render with</dt>" in page
    assert "Reproduce with" not in page

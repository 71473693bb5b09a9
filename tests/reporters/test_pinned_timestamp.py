"""A timestamp pinned by SOURCE_DATE_EPOCH (reproducible output) is no creation date, and an
evidence report filed in court must not pass it off as one (QA: `SOURCE_DATE_EPOCH=1615507200`
gave "Generated: 2021-03-12T00:00:00Z (UTC)" and an HTML `dcterms.created` of 2021-03-12 on a
report made in 2026). The reports say where it comes from; without it they say Generated."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, SAMPLES

SAMPLE = str(SAMPLES / "backup-outside-eea.yaml")
FIXED = "2021-03-12T00:00:00Z (UTC), taken from {}: not the time of generation"


def written(runner: CliRunner, tmp_path: Path, epoch: str | None) -> tuple[str, str]:
    md, page = tmp_path / "r.md", tmp_path / "r.html"
    result = runner.invoke(
        app,
        [
            "check",
            SAMPLE,
            "--as-of",
            str(AS_OF),
            *("-f", "markdown", "-o", str(md)),
            "-f",
            "html",
            "-o",
            str(page),
        ],
        env={"SOURCE_DATE_EPOCH": epoch},
    )
    assert result.exit_code == 1, result.output
    return md.read_text(encoding="utf-8"), page.read_text(encoding="utf-8")


def test_a_timestamp_from_source_date_epoch_says_so(runner: CliRunner, tmp_path: Path) -> None:
    md, page = written(runner, tmp_path, "1615507200")
    said = FIXED.format("`SOURCE_DATE_EPOCH`")
    assert f"- **Fixed timestamp:** {said}" in md.splitlines()
    assert f"- Fixed timestamp: {said}" in md.splitlines()  # the manifest
    assert "Generated:" not in md
    said = FIXED.format("<code>SOURCE_DATE_EPOCH</code>")
    assert page.count(f"<dt>Fixed timestamp</dt><dd>{said}</dd>") == 2
    assert "dcterms.created" not in page
    assert "<dt>Generated" not in page


def test_a_timestamp_from_the_clock_is_the_time_of_generation(
    runner: CliRunner, tmp_path: Path
) -> None:
    md, page = written(runner, tmp_path, None)
    assert any(line.startswith("- **Generated:** 20") for line in md.splitlines())
    assert "taken from `SOURCE_DATE_EPOCH`" not in md
    assert '<meta name="dcterms.created" content="20' in page

"""The flows table in the text and rich reports: where, who, laws, level, band, binding factor."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.pipeline import Options, run
from residency_audit.reporters import terminal
from tests.conftest import AS_OF, SAMPLES


def test_text_report_has_a_flows_table_per_deployment(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        ["check", str(SAMPLES / "doctolib-2021.yaml"), "--as-of", str(AS_OF)],
        env={"NO_COLOR": "1"},
    )
    lines = result.stdout.splitlines()
    start = next(i for i, t in enumerate(lines) if t.startswith("flows of doctolib"))
    assert "tool design, not law" in lines[start] and "threshold 10 %" in lines[start]
    header = lines[start + 1].split()
    assert header[:4] == ["Flow", "Where", "Who", "Laws"]
    rows = {line.split()[0]: line for line in lines[start + 2 : start + 7]}
    assert set(rows) == {
        "booking-app",
        "booking-db",
        "booking-db/replica",
        "booking-db/backup",
        "key/third-party-key",
    }
    app_row = rows["booking-app"]
    for cell in (
        "FR",
        "Amazon Web Services EMEA SARL (parent US)",
        "us-fisa-702",
        " yes ",
        " low ",
        "0.31 %",
        "interest (us-fisa-702)",
    ):
        assert cell in app_row, cell
    assert " DE " in rows["booking-db/replica"]
    assert " none " in rows["key/third-party-key"]


def test_rich_report_draws_the_same_flows(tmp_path: Path) -> None:
    report = run(Options(paths=[SAMPLES / "sovereign-hospital.yaml"], as_of=AS_OF))
    console = Console(record=True, width=220, color_system=None, highlight=False)
    terminal.show(report, console, None)
    text = console.export_text()
    assert "flows of centre-hospitalier-exemple" in text
    assert "access/outscale-support" in text and "3DS Outscale SAS (parent FR)" in text
    assert "never cures a finding" in text

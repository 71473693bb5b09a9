"""One calendar, UTC: the default as-of date and the days of observations do not depend on the
time zone of the machine, so checking what was just observed never fails in the evening."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.clock import utc_day
from residency_audit.pipeline import Options
from tests.conftest import ROOT, SAMPLES


@pytest.mark.parametrize("zone", ["Etc/GMT+12", "Etc/GMT-14"])  # UTC-12 and UTC+14
def test_the_default_as_of_date_is_today_in_utc_whatever_the_time_zone(zone: str) -> None:
    # At any hour one of the two zones is on another day than UTC.
    before = dt.datetime.now(dt.UTC).date()
    sample = str(SAMPLES / "sovereign-hospital.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "residency_audit", "check", sample, "-f", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": zone, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    after = dt.datetime.now(dt.UTC).date()
    assert json.loads(result.stdout)["as_of"] in (before.isoformat(), after.isoformat())


@pytest.mark.parametrize(
    ("timestamp", "day"),
    [
        ("2026-11-28T23:30:00Z", dt.date(2026, 11, 28)),
        ("2026-11-28T23:30:00-05:00", dt.date(2026, 11, 29)),
        ("2026-11-29T01:00:00+05:00", dt.date(2026, 11, 28)),
        ("2026-11-28T23:30:00", dt.date(2026, 11, 28)),  # no offset: UTC
    ],
)
def test_an_observation_s_day_is_its_utc_day(timestamp: str, day: dt.date) -> None:
    assert utc_day(timestamp) == day


@pytest.mark.parametrize("zone", ["Etc/GMT+12", "Etc/GMT-14"])
def test_the_library_s_default_as_of_date_is_today_in_utc_too(
    zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        before = dt.datetime.now(dt.UTC).date()
        day = Options(paths=[]).as_of
        assert day in (before, dt.datetime.now(dt.UTC).date())
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("written", ["2026-W01-1", "20260105", "2026-1-5", "2026-01-05T00:00"])
def test_as_of_is_a_day_written_yyyy_mm_dd_and_nothing_else(
    written: str, runner: CliRunner
) -> None:
    """Python reads `2026-W01-1` as 29 December 2025 and `20260105` as 5 January: a CI setting
    in another form of ISO 8601 would audit a day nobody meant, in another year."""
    sample = str(SAMPLES / "sovereign-hospital.yaml")
    result = runner.invoke(app, ["check", sample, "--as-of", written])
    assert result.exit_code == 2
    # one line, `error: what, and what to do`, as the tool's other errors say it
    assert result.stderr == f"error: --as-of: {written!r} is not a date; use YYYY-MM-DD\n"


def test_a_saved_result_whose_as_of_is_a_week_date_is_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A result re-rendered with `report` keeps its as-of date: one written as a week date is
    not a result this tool wrote, and must not be read as another day."""
    sample = str(SAMPLES / "sovereign-hospital.yaml")
    saved = runner.invoke(app, ["check", sample, "--as-of", "2026-01-05", "-f", "json"])
    data = json.loads(saved.stdout)
    data["as_of"] = "2026-W02-1"  # also 5 January 2026
    path = tmp_path / "result.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(app, ["report", str(path), "-f", "text"])
    assert result.exit_code == 2
    assert "'2026-W02-1' is not a date YYYY-MM-DD" in result.stderr


@pytest.mark.parametrize("stamp", ["2026-W48-6T10:00:00Z", "20261128T100000Z"])
def test_an_observation_time_in_another_iso_form_is_refused(stamp: str) -> None:
    with pytest.raises(ValueError, match="is not an ISO 8601 time"):
        utc_day(stamp)

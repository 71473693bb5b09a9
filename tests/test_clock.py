"""One calendar, UTC: the default as-of date and the days of observations do not depend on the
time zone of the machine, so checking what was just observed never fails in the evening."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import pytest

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

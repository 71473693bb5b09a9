"""The JSON result reads back losslessly and never carries the clock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.pipeline import Options, run
from residency_audit.reporters.json import to_dict
from residency_audit.reporters.jsonread import from_dict
from tests.conftest import AS_OF, FIXTURES, SAMPLES
from tests.support.reports import with_flows


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.yaml")))
def test_round_trip_is_lossless(sample: str) -> None:
    report = with_flows(
        run(
            Options(
                paths=[SAMPLES / sample],
                as_of=AS_OF,
                waivers=FIXTURES / "waivers" / "backup-tia.yaml",
            )
        )
    )
    data = to_dict(report)
    assert to_dict(from_dict(data)) == data
    assert json.loads(json.dumps(data)) == data


def test_json_is_byte_identical_whatever_the_clock(runner: CliRunner) -> None:
    args = ["check", str(SAMPLES / "backup-outside-eea.yaml"), "-f", "json", "--as-of", str(AS_OF)]
    first = runner.invoke(app, args, env={"SOURCE_DATE_EPOCH": "1700000000"})
    second = runner.invoke(app, args, env={"SOURCE_DATE_EPOCH": "1800000000"})
    assert first.stdout == second.stdout
    assert "2023-11-14" not in first.stdout  # the timestamp of 1700000000


def test_statuses_are_in_the_json(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "check",
            str(SAMPLES / "backup-outside-eea.yaml"),
            "-f",
            "json",
            "--as-of",
            str(AS_OF),
            "--waivers",
            str(FIXTURES / "waivers" / "backup-tia.yaml"),
        ],
    )
    data = json.loads(result.stdout)
    statuses = {f["rule_id"]: f["status"] for f in data["findings"]}
    assert statuses["GDPR-XFER-01"] == "waived"
    assert statuses["HDS-LOC-01"] == "open"
    assert data["summary"]["by_status"] == {
        "open": len(data["findings"]) - 1,
        "waived": 1,
        "baselined": 0,
    }

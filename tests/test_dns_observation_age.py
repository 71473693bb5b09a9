"""DRIFT-OBS-05 for DNS observations: names resolved more than 30 days before the as-of date say
little of who served them on that day, as an AWS observation that old says little of the
account. The finding sits on the DNS file's `observed_on` line, once per deployment whose
declared names the file answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.test_dns_drift import DEPLOYMENT, ORIGIN_ON_OVH, check_json, line_of, observations


def dated(path: Path, day: str, *entries: str) -> Path:
    """A DNS observations file resolved on `day`."""
    seen = observations(path, *entries)
    seen.write_text(seen.read_text().replace("observed_on: 2026-11-28", f"observed_on: {day}"))
    return seen


def obs05(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule_id"] == "DRIFT-OBS-05"]


def test_names_resolved_a_year_before_the_as_of_date_are_a_finding_on_observed_on(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A year-old answer is not evidence of today's provider: it was used silently."""
    seen = dated(tmp_path / "dns.yaml", "2025-11-28", ORIGIN_ON_OVH)
    _, report = check_json(runner, str(DEPLOYMENT), "--dns", str(seen))
    [finding] = obs05(report)
    assert (finding["severity"], finding["unverifiable"]) == ("medium", False)
    assert finding["deployment"] == "example-health-portal"
    assert finding["location"] == {
        "path": str(seen),
        "line": line_of(seen, "observed_on:"),
        "column": 14,
    }
    assert finding["message"].startswith(
        f"the observation of the DNS names in {seen} (resolver 127.0.0.1:53) holds reads from "
        "2025-11-28 (its oldest), more than 30 days before the as-of date"
    )
    on = next(x for x in finding["facts"] if x["path"] == "observation.observed_on")
    assert on["value"] == "2025-11-28" and on["source"].startswith(f"{seen}:3:14")
    # the names it answered are still judged on it, as an old AWS observation's places are
    origin = line_of(DEPLOYMENT, "- origin.example-health.test")
    assert not [
        f
        for f in report["findings"]
        if f["rule_id"] == "DNS-DRIFT-01" and f["location"]["line"] == origin
    ]


@pytest.mark.parametrize(
    ("day", "stale"),
    [("2026-11-28", False), ("2026-10-29", False), ("2026-10-28", True), ("0001-01-01", True)],
)
def test_the_maximum_age_is_that_of_aws_observations(
    day: str, stale: bool, runner: CliRunner, tmp_path: Path
) -> None:
    seen = dated(tmp_path / "dns.yaml", day, ORIGIN_ON_OVH)
    _, report = check_json(runner, str(DEPLOYMENT), "--dns", str(seen))
    assert bool(obs05(report)) is stale


def test_a_file_answering_none_of_the_declared_names_is_not_reported(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A shared file's names of other teams are no evidence for this deployment."""
    seen = dated(
        tmp_path / "dns.yaml",
        "2025-11-28",
        "{name: other-team.example.org, purpose: host, status: nxdomain}",
    )
    _, report = check_json(runner, str(DEPLOYMENT), "--dns", str(seen))
    assert not obs05(report)


def test_each_stale_file_is_reported_and_a_fresh_one_is_not(
    runner: CliRunner, tmp_path: Path
) -> None:
    old = dated(tmp_path / "old.yaml", "2025-06-01", ORIGIN_ON_OVH)
    fresh = dated(
        tmp_path / "fresh.yaml",
        "2026-11-27",
        "{name: portal.example-health.test, purpose: host, status: nxdomain}",
    )
    _, report = check_json(runner, str(DEPLOYMENT), "--dns", str(old), "--dns", str(fresh))
    [finding] = obs05(report)
    assert finding["location"]["path"] == str(old)

"""DRIFT-OBS-05: an observation read more than 30 days before the as-of date says little of
what the account held on that day; audited alone or compared with a declaration, it is a
finding on the line of its oldest time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.collectors.test_aws_discovery import line_after
from tests.conftest import AS_OF
from tests.support.moto_server import ACCOUNT
from tests.test_declared_not_observed import DECLARED, write
from tests.test_observed_file_errors import observed


def obs05(runner: CliRunner, tmp_path: Path, seen: Path) -> list[list[dict[str, Any]]]:
    """The DRIFT-OBS-05 findings of `seen` audited as of AS_OF, alone then with --observed."""
    decl = write(tmp_path, "declared.yaml", DECLARED.replace("{region}", "eu-west-3"))
    out = []
    for args in ([str(seen)], [str(decl), "--observed", str(seen)]):
        result = runner.invoke(app, ["check", *args, "--as-of", str(AS_OF), "--format", "json"])
        assert result.exit_code in (0, 1), result.output
        report = json.loads(result.stdout)
        out.append([f for f in report["findings"] if f["rule_id"] == "DRIFT-OBS-05"])
    return out


def test_an_observation_started_on_0001_01_01_is_a_finding(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: an observation started on 0001-01-01 was accepted with no finding."""
    seen = observed(tmp_path, started="0001-01-01T00:00:00Z")
    line = line_after(seen, "observation:", "started_at:")
    for findings in obs05(runner, tmp_path, seen):
        [finding] = findings
        assert (finding["severity"], finding["unverifiable"]) == ("medium", False)
        assert finding["deployment"] == f"aws-{ACCOUNT}"
        assert finding["location"] == {"path": str(seen), "line": line, "column": 15}
        assert finding["message"] == (
            f"the observation of account {ACCOUNT} holds reads from 0001-01-01 (its oldest), more "
            "than 30 days before the as-of "
            "date: what it shows (an account's drift, places, keys and copies; the providers "
            "serving DNS names) is as it was then"
        )
        assert {r["article"] for r in finding["references"]} == {"Art. 5(2), Art. 24(1)", "EXI 28"}


@pytest.mark.parametrize(
    ("started", "stale"),
    [
        ("2026-10-29T00:00:00Z", False),  # 30 days before 2026-11-28
        ("2026-10-28T23:59:59Z", True),  # 31
        ("2026-10-28T23:30:00-01:00", False),  # 29 October in UTC
    ],
)
def test_the_maximum_age_is_30_days_in_utc(
    started: str, stale: bool, tmp_path: Path, runner: CliRunner
) -> None:
    seen = observed(tmp_path, started=started)
    assert [bool(f) for f in obs05(runner, tmp_path, seen)] == [stale, stale]


def test_older_evidence_than_the_start_dates_the_observation(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A file edited by hand, started recently but holding evidence read in June: the bucket
    it shows is June's."""
    seen = observed(tmp_path, at="2026-06-01T08:00:00Z")
    line = line_after(seen, "id: s3-patients-eu", "evidence:")
    for findings in obs05(runner, tmp_path, seen):
        [finding] = findings
        assert finding["location"]["line"] == line
        assert "holds reads from 2026-06-01 (its oldest)" in finding["message"]

"""DRIFT-OBS-02 across the observed files of one run: an account observed region by region.

An account too large for one file (more than the 300 components a deployment may declare) is
told to be observed with `discover aws --region`, one file per region or group of regions. Each
file then lists the others' regions as not read. Given to one `check`, a region one file left out
and another read, in the same account for the same deployment, was read: only the regions no
file read are reported.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.collectors.test_aws_discovery import discover
from tests.support.moto_server import ACCOUNT, aws, moto_endpoint
from tests.test_declared_not_observed import DECLARED, observed_head

__all__ = ["aws", "moto_endpoint"]  # fixtures

AUDIT_DAY = dt.date(2026, 11, 28)
"""The audit day of the hand-written observations (started 2026-11-20)."""


def check(runner: CliRunner, *args: str, as_of: dt.date | None = None) -> dict[str, Any]:
    """The JSON result of `check`; a real discovery's day is read after it is made (a day read
    earlier could be before a discovery made past midnight, which check refuses)."""
    day = as_of or dt.datetime.now(dt.UTC).date()
    result = runner.invoke(app, ["check", *args, "--format", "json", "--as-of", str(day)])
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def unread(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """DRIFT-OBS-02's findings by the observed file they are located in."""
    return {
        f["location"]["path"]: f
        for f in report["findings"]
        if f["rule_id"] == "DRIFT-OBS-02" and not f["unverifiable"]
    }


def observed(region: str, not_queried: list[str], *, account: str = ACCOUNT) -> str:
    """An observation of `account` that read `region` alone and lists `not_queried`."""
    return (
        observed_head(account) + "components: []\n"
        "observation:\n"
        "  collector: aws\n"
        '  started_at: "2026-11-20T10:00:00Z"\n'
        f'  account: "{account}"\n'
        "  partition: aws\n"
        f"  regions: [{region}]\n"
        "  regions_not_enabled: []\n"
        f"  regions_not_queried: [{', '.join(not_queried)}]\n"
        "  services_read: [backup, cloudfront, dynamodb, ebs, kms, rds, s3]\n"
    )


def test_an_account_discovered_region_by_region_reports_only_regions_no_file_read(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """Two real discoveries of moto's account, `--region eu-west-3` and `--region
    eu-central-1`, given to one check: neither file's finding names the region the other read,
    and the fact says which file read it. Before, each named the other's region as not read,
    a false finding for a user who followed the advice to split the account by region."""
    paris, frankfurt = tmp_path / "paris.yaml", tmp_path / "frankfurt.yaml"
    for region, out in (("eu-west-3", paris), ("eu-central-1", frankfurt)):
        result = discover("--region", region, "-o", str(out))
        assert result.returncode == 0, result.stderr
    decl = tmp_path / "declared.yaml"
    decl.write_text(DECLARED.replace("{region}", "eu-west-3"), encoding="utf-8")

    alone = unread(check(runner, str(decl), "--observed", str(paris)))
    assert "eu-central-1" in alone[str(paris)]["message"]  # one file: Frankfurt was not read

    both = unread(check(runner, str(decl), "--observed", str(paris), "--observed", str(frankfurt)))
    assert set(both) == {str(paris), str(frankfurt)}  # moto enables many more regions
    message = both[str(paris)]["message"]
    assert "eu-central-1" not in message and "us-east-1" in message, message
    assert "eu-west-3" not in both[str(frankfurt)]["message"]
    # the finding's own fact says which file read the region left out of its list
    [left_out] = [
        f for f in both[str(paris)]["facts"] if f["path"] == "observation.regions_not_queried"
    ]
    assert "eu-central-1" not in left_out["value"] and "us-east-1" in left_out["value"]
    assert f"other observed files of the run read: eu-central-1: {frankfurt}" in left_out["source"]


def test_files_covering_every_region_between_them_pass(tmp_path: Path, runner: CliRunner) -> None:
    """Two files that each read one of the account's two enabled regions: no region was left
    unread, so DRIFT-OBS-02 passes for both; each alone still fails."""
    paris = tmp_path / "paris.yaml"
    paris.write_text(observed("eu-west-3", ["eu-central-1"]), encoding="utf-8")
    frankfurt = tmp_path / "frankfurt.yaml"
    frankfurt.write_text(observed("eu-central-1", ["eu-west-3"]), encoding="utf-8")
    decl = tmp_path / "declared.yaml"
    decl.write_text(DECLARED.replace("{region}", "eu-west-3"), encoding="utf-8")
    together = check(
        runner, str(decl), "--observed", str(paris), "--observed", str(frankfurt), as_of=AUDIT_DAY
    )
    assert unread(together) == {}
    alone = check(runner, str(decl), "--observed", str(frankfurt), as_of=AUDIT_DAY)
    assert "eu-west-3" in unread(alone)[str(frankfurt)]["message"]


def test_another_account_reads_nothing_of_this_one(tmp_path: Path, runner: CliRunner) -> None:
    """A region read in another account (another id, hence another observed deployment name)
    says nothing of this account's resources there: the finding stays."""
    paris = tmp_path / "paris.yaml"
    paris.write_text(observed("eu-west-3", ["eu-central-1"]), encoding="utf-8")
    other = tmp_path / "other.yaml"
    other.write_text(
        observed("eu-central-1", ["eu-west-3"], account="210987654321"), encoding="utf-8"
    )
    decl = tmp_path / "declared.yaml"
    decl.write_text(DECLARED.replace("{region}", "eu-west-3"), encoding="utf-8")
    report = check(
        runner, str(decl), "--observed", str(paris), "--observed", str(other), as_of=AUDIT_DAY
    )
    found = unread(report)
    assert "eu-central-1" in found[str(paris)]["message"]
    assert "eu-west-3" in found[str(other)]["message"]

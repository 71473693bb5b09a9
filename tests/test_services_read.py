"""An observed deployment says which services it read (`observation.services_read`), and
DRIFT-OBS-04 reports a declared component whose service it did not read.

An observation holding no EBS volume says nothing about the account's volumes unless it read
EBS: a file written before EBS was read, or a service `discover aws` never reads (EFS), was
not looked at. A file that does not list the services read leaves it "cannot be verified".
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
from typer.testing import CliRunner

from residency_audit import kb
from residency_audit.cli import app
from residency_audit.collectors.aws import SERVICES
from residency_audit.collectors.observed import Assumptions, Discovery, build_deployment
from residency_audit.format import load_deployment
from residency_audit.format.dump import dump_deployment
from residency_audit.model import NotObserved
from tests.collectors.test_aws_discovery import discover, line_after
from tests.collectors.test_aws_ebs import build_disks
from tests.conftest import AS_OF
from tests.support.moto_server import ACCOUNT, aws, moto_endpoint

__all__ = ["aws", "moto_endpoint"]  # fixtures


DECLARED = """\
schema_version: 1
name: records-on-ec2
controller: clinic
data:
  categories: [health]
  subjects: [patients]
  health_context: care
parties:
  - {id: clinic, name: Fictional clinic, role: controller, country: FR}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
components:
  - id: documents
    kind: datastore
    provider: aws
    operator: aws-emea
    service: s3
    region: eu-west-3
    resources: [patients-eu]
  - id: records-disks
    kind: datastore
    provider: aws
    operator: aws-emea
    service: ebs
    region: eu-west-3
"""

OBSERVED = """\
schema_version: 1
name: aws-123456789012
controller: account-owner
data: {categories: [health], health_context: care}
parties:
  - {id: account-owner, name: Owner, role: controller, country: FR}
  - {id: aws, name: Amazon Web Services, role: processor, country: ZZ, provider: aws}
components:
  - id: s3-patients-eu
    kind: datastore
    provider: aws
    service: s3
    region: eu-west-3
    resources: ["arn:aws:s3:::patients-eu"]
    shared_with: []
observation:
  collector: aws
  started_at: "2026-11-20T10:00:00Z"
  account: "123456789012"
  partition: aws
  regions: [eu-west-3]
  regions_not_enabled: []
  regions_not_queried: []
"""


def write(tmp_path: Path, services_read: str | None) -> tuple[Path, Path]:
    """The declaration above and an observation of its bucket, listing `services_read` (a
    flow list) or, None, not saying which services it read (an older file)."""
    declared = tmp_path / "declared.yaml"
    declared.write_text(DECLARED, encoding="utf-8")
    observed = tmp_path / "observed.yaml"
    listed = "" if services_read is None else f"  services_read: {services_read}\n"
    observed.write_text(OBSERVED + listed, encoding="utf-8")
    return declared, observed


def check(runner: CliRunner, *args: str, as_of: dt.date | None = None) -> dict[str, Any]:
    """The JSON result of `check`, as of today by default (the day moto's discoveries are
    made, read after them: a day taken when the tests were collected went before a discovery
    made past midnight, which check then refused); a test of OBSERVED alone pins its day, since
    the file grows old (DRIFT-OBS-05)."""
    day = as_of or dt.datetime.now(dt.UTC).date()
    result = runner.invoke(app, ["check", *args, "--format", "json", "--as-of", str(day)])
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def obs04(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule_id"] == "DRIFT-OBS-04"]


def fact(finding: dict[str, Any], path: str) -> dict[str, Any]:
    return next(f for f in finding["facts"] if f["path"] == path)


def test_a_declared_volume_is_reported_when_the_observation_did_not_read_ebs(
    tmp_path: Path, runner: CliRunner
) -> None:
    """Read before EBS was: no volume in the file is not "no volume in the account". The
    bucket, matched to its declaration, was read whatever the list says."""
    declared, observed = write(tmp_path, "[backup, cloudfront, dynamodb, kms, rds, s3]")
    [finding] = obs04(check(runner, str(declared), "--observed", str(observed)))
    assert (finding["component"], finding["severity"], finding["unverifiable"]) == (
        "records-disks",
        "medium",
        False,
    )
    assert finding["deployment"] == "records-on-ec2"
    assert finding["message"] == (
        f"the observation of account {ACCOUNT} did not read ebs, the service of declared "
        "component records-disks (services read: backup, cloudfront, dynamodb, kms, rds, s3): "
        "its place, key and copies were not compared with the account"
    )
    # on the declaration's `service: ebs`, citing the observed file's list
    line = line_after(declared, "id: records-disks", "service: ebs")
    assert finding["location"] == {"path": str(declared), "line": line, "column": 14}
    at = line_after(observed, "observation:", "services_read")
    assert fact(finding, "observation.services_read")["source"] == f"{observed}:{at}:18"
    assert fact(finding, "declared.service")["source"] == f"{declared}:{line}:14"
    assert {r["article"] for r in finding["references"]} >= {"Art. 5(2), Art. 24(1)"}


def test_no_obs04_when_ebs_was_read_and_holds_no_volume(tmp_path: Path, runner: CliRunner) -> None:
    """EBS read and no volume observed: the declared volume was looked for, so OBS-04 has
    nothing to say. (DRIFT-RES-02 reports it: looked for and not found.)"""
    declared, observed = write(tmp_path, "[backup, cloudfront, dynamodb, ebs, kms, rds, s3]")
    report = check(runner, str(declared), "--observed", str(observed), as_of=AS_OF)
    assert obs04(report) == []
    drift = [f["rule_id"] for f in report["findings"] if f["rule_id"].startswith("DRIFT-")]
    assert drift == ["DRIFT-RES-02"], drift


def test_an_observation_not_listing_the_services_read_cannot_verify_it(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A file written before the services read were recorded: the volume may or may not have
    been looked for. The bucket, matched, needs no list."""
    declared, observed = write(tmp_path, None)
    [finding] = obs04(check(runner, str(declared), "--observed", str(observed)))
    assert (finding["component"], finding["severity"], finding["unverifiable"]) == (
        "records-disks",
        "medium",
        True,
    )
    assert finding["message"].startswith(
        "cannot be verified for service ebs of records-disks: unknown observation.service_read."
    )
    assert "does not list the services it read" in finding["message"]


def test_an_account_whose_role_could_not_be_assumed_read_no_service(tmp_path: Path) -> None:
    """`--all-accounts` writes a file with only the gap for such an account: it read nothing,
    which the file says (an empty list, not an absent one)."""
    gap = NotObserved(
        service="sts",
        call="AssumeRole",
        region=None,
        reason="access denied (AccessDenied)",
        permission="sts:AssumeRole",
    )
    found = Discovery(
        account="210987654321",
        partition="aws",
        started_at="2026-11-20T10:00:00Z",
        regions=(),
        gaps=[gap],
    )
    path = tmp_path / "observed.yaml"
    path.write_text(dump_deployment(build_deployment(found, kb.default(), Assumptions())))
    observed, _ = load_deployment(path)
    assert observed.observation is not None and observed.observation.services_read == ()


def test_discover_writes_the_services_read_and_check_compares_with_them(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """A real discovery in moto: the file lists the services read, sorted, in its observation
    block; a declared EFS file system (never read) is DRIFT-OBS-04, the EBS volumes are not."""
    build_disks(boto3.session.Session())
    out = tmp_path / "observed.yaml"
    result = discover("--region", "eu-west-3", "-o", str(out))
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    assert observed.observation is not None
    assert observed.observation.services_read == tuple(sorted(SERVICES))
    assert "ebs" in observed.observation.services_read

    declared = tmp_path / "declared.yaml"
    declared.write_text(
        DECLARED
        + "  - id: shared-files\n    kind: datastore\n    provider: aws\n"
        + "    operator: aws-emea\n    service: efs\n    region: eu-west-3\n",
        encoding="utf-8",
    )
    found = obs04(check(runner, str(declared), "--observed", str(out)))
    assert [(f["component"], f["unverifiable"]) for f in found] == [("shared-files", False)]
    assert (
        "did not read efs, the service of declared component shared-files" in (found[0]["message"])
    )
    line = line_after(out, "observation:", "services_read:") + 1  # block style: its first item
    assert fact(found[0], "observation.services_read")["source"] == f"{out}:{line}:3"


def test_an_observation_that_read_nothing_says_none_were_read(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: an account whose role could not be assumed writes `services_read: []`; the finding
    read "(services read: )"."""
    declared, observed = write(tmp_path, "[]")
    [finding] = obs04(check(runner, str(declared), "--observed", str(observed)))
    assert "(services read: none)" in finding["message"], finding["message"]


def test_a_component_found_in_another_account_was_read(tmp_path: Path, runner: CliRunner) -> None:
    """QA: with `--all-accounts`, the file of an account whose role could not be assumed (it
    read nothing; DRIFT-OBS-01 reports the refusal) made DRIFT-OBS-04 say every declared
    component was not read, the bucket found in the other account among them. What another
    account holds was read there; only the volume, found nowhere, may be in that account."""
    declared, observed = write(tmp_path, "[backup, cloudfront, dynamodb, ebs, kms, rds, s3]")
    refused = NotObserved(
        service="sts",
        call="AssumeRole",
        region="us-east-1",
        reason="access denied (AccessDenied) for arn:aws:iam::210987654321:role/reader",
        permission="sts:AssumeRole",
    )
    nothing = Discovery(
        account="210987654321",
        partition="aws",
        started_at="2026-11-20T10:00:00Z",
        regions=("eu-west-3",),
        gaps=[refused],
    )
    other = tmp_path / "210987654321.yaml"
    other.write_text(dump_deployment(build_deployment(nothing, kb.default(), Assumptions())))
    report = check(runner, str(declared), "--observed", str(observed), "--observed", str(other))
    found = [(f["component"], fact(f, "observation.account")["value"]) for f in obs04(report)]
    assert found == [("records-disks", "210987654321")]
    assert any(f["rule_id"] == "DRIFT-OBS-01" for f in report["findings"])

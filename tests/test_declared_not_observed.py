"""DRIFT-RES-02: a declared component the observation looked for and did not find.

The declaration says health data are in an RDS database in eu-west-3; the account was read
there (RDS among the services read, eu-west-3 among the regions, no gap) and holds none. The
data are somewhere the declaration does not say, or the declaration is stale: silence would
read as "declaration confirmed". Not looked at (service or region not read, a gap) is another
rule's; found in another account's file is found.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.clock import utc_today
from tests.collectors.test_aws_discovery import discover, line_after
from tests.collectors.test_aws_ebs import build_disks
from tests.support.moto_server import ACCOUNT, aws, moto_endpoint

__all__ = ["aws", "moto_endpoint"]  # fixtures

TODAY = None
"""`as_of=TODAY`: audit a real discovery's file (`discover` dates it now) as of today in UTC,
read when `check` runs, after the discovery. A day read at import (when the tests were
collected) went before a discovery made past midnight, which check rightly refused; the name
stays because tests/test_drift_gaps.py imports it."""
AUDIT_DAY = dt.date(2026, 11, 28)
"""The audit day of the hand-written observations below (started 2026-11-20): fixed, for audited
on the real day they would turn older than DRIFT-OBS-05 allows."""
READ_ALL = "[backup, cloudfront, dynamodb, ebs, kms, rds, s3]"

DECLARED = """\
schema_version: 1
name: records
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
  - id: records-db
    kind: datastore
    provider: aws
    operator: aws-emea
    service: rds
    region: {region}
"""

BUCKET = """\
  - id: s3-patients-eu
    kind: datastore
    provider: aws
    service: s3
    region: eu-west-3
    resources: ["arn:aws:s3:::patients-eu"]
    shared_with: []
"""

DATABASE = """\
  - id: rds-records
    kind: datastore
    provider: aws
    service: rds
    region: eu-west-3
    resources: ["arn:aws:rds:eu-west-3:{account}:db:records"]
    shared_with: []
"""


def observed_head(account: str) -> str:
    """The opening lines of a hand-written observation of `account`, up to the account
    owner's party line (other parties may follow)."""
    return (
        "schema_version: 1\n"
        f"name: aws-{account}\n"
        "controller: account-owner\n"
        "data: {categories: [health], health_context: care}\n"
        "parties:\n"
        "  - {id: account-owner, name: Owner, role: controller, country: FR}\n"
    )


def observed_text(
    account: str = ACCOUNT,
    *,
    services_read: str | None = READ_ALL,
    database: bool = False,
    not_queried: str = "[]",
    gaps: str = "",
) -> str:
    """An observation of `account` in eu-west-3 holding the bucket and, if `database`, an RDS
    instance; `services_read` None writes a file not saying which services it read."""
    text = (
        observed_head(account)
        + "  - {id: aws, name: Amazon Web Services, role: processor, country: ZZ, provider: aws}\n"
        "components:\n"
        + BUCKET
        + (DATABASE.format(account=account) if database else "")
        + "observation:\n"
        "  collector: aws\n"
        '  started_at: "2026-11-20T10:00:00Z"\n'
        f'  account: "{account}"\n'
        "  partition: aws\n"
        "  regions: [eu-west-3]\n"
        "  regions_not_enabled: []\n"
        f"  regions_not_queried: {not_queried}\n"
    )
    if services_read is not None:
        text += f"  services_read: {services_read}\n"
    return text + gaps


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def declared(tmp_path: Path, region: str = "eu-west-3") -> Path:
    return write(tmp_path, "declared.yaml", DECLARED.replace("{region}", region))


def check(runner: CliRunner, *args: str, as_of: dt.date | None = AUDIT_DAY) -> dict[str, Any]:
    """The JSON result of `check` as of `as_of`, or of today in UTC read now if None (TODAY)."""
    day = utc_today() if as_of is None else as_of
    result = runner.invoke(app, ["check", *args, "--format", "json", "--as-of", str(day)])
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def rule(report: dict[str, Any], rule_id: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule_id"] == rule_id]


def fact(finding: dict[str, Any], path: str) -> dict[str, Any]:
    return next(f for f in finding["facts"] if f["path"] == path)


def test_a_declared_database_the_observation_looked_for_and_did_not_find(
    tmp_path: Path, runner: CliRunner
) -> None:
    """RDS read in eu-west-3, no instance there: reported on the declaration's `service:` line,
    naming the component, service, region and account."""
    decl = declared(tmp_path)
    seen = write(tmp_path, "observed.yaml", observed_text())
    report = check(runner, str(decl), "--observed", str(seen))
    [finding] = rule(report, "DRIFT-RES-02")
    assert (finding["component"], finding["severity"], finding["unverifiable"]) == (
        "records-db",
        "medium",
        False,
    )
    assert finding["deployment"] == "records"
    assert finding["message"] == (
        f"declared component records-db (rds in eu-west-3) was not found in account {ACCOUNT}: "
        "the observation read rds in eu-west-3 and no observed resource stands for records-db"
    )
    line = line_after(decl, "id: records-db", "service: rds")
    assert finding["location"] == {"path": str(decl), "line": line, "column": 14}
    region = line_after(decl, "id: records-db", "region:")
    assert fact(finding, "declared.region")["source"] == f"{decl}:{region}:13"
    assert str(seen) in fact(finding, "observation.found")["source"]
    assert {r["article"] for r in finding["references"]} == {"Art. 5(2), Art. 24(1)", "EXI 28"}
    # the bucket, found, is not reported; the service was read: not OBS-04's
    assert rule(report, "DRIFT-OBS-04") == []


def res02(runner: CliRunner, decl: Path, seen: Path) -> list[str]:
    return [
        f["component"]
        for f in rule(check(runner, str(decl), "--observed", str(seen)), "DRIFT-RES-02")
    ]


def test_a_declared_database_found_in_the_account_is_not_reported(
    tmp_path: Path, runner: CliRunner
) -> None:
    decl = declared(tmp_path)
    seen = write(tmp_path, "observed.yaml", observed_text())
    assert res02(runner, decl, seen) == ["records-db"]
    write(tmp_path, "observed.yaml", observed_text(database=True))
    assert res02(runner, decl, seen) == []


def test_a_service_not_read_is_drift_obs_04s_alone(tmp_path: Path, runner: CliRunner) -> None:
    """Without RDS among the services read, the database was not looked for: DRIFT-OBS-04,
    not DRIFT-RES-02 besides it. With RDS read (and the same file otherwise), it was."""
    decl = declared(tmp_path)
    seen = write(tmp_path, "observed.yaml", observed_text(services_read="[ebs, kms, rds, s3]"))
    assert res02(runner, decl, seen) == ["records-db"]
    write(tmp_path, "observed.yaml", observed_text(services_read="[ebs, kms, s3]"))
    report = check(runner, str(decl), "--observed", str(seen))
    assert [f["component"] for f in rule(report, "DRIFT-OBS-04")] == ["records-db"]
    assert rule(report, "DRIFT-RES-02") == []


def test_a_region_not_queried_is_drift_obs_02s_case(tmp_path: Path, runner: CliRunner) -> None:
    """Declared in eu-central-1, which --region left out: not looked for there. Declared in
    eu-west-3, read, it was."""
    seen = write(tmp_path, "observed.yaml", observed_text(not_queried="[eu-central-1]"))
    assert res02(runner, declared(tmp_path), seen) == ["records-db"]
    decl = declared(tmp_path, region="eu-central-1")
    report = check(runner, str(decl), "--observed", str(seen))
    assert len(rule(report, "DRIFT-OBS-02")) == 1
    assert rule(report, "DRIFT-RES-02") == []


def test_a_gap_of_the_service_in_the_region_is_drift_obs_01s(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A refused DescribeDBInstances in eu-west-3 may hide the database: DRIFT-OBS-01. The same
    refusal in another region hides nothing of eu-west-3."""
    gap = (
        "  not_observed:\n"
        "    - {service: rds, call: DescribeDBInstances, region: REGION, "
        "reason: access denied (AccessDenied), permission: rds:DescribeDBInstances}\n"
    )
    decl = declared(tmp_path)
    seen = write(tmp_path, "observed.yaml", observed_text(gaps=gap.replace("REGION", "us-east-1")))
    assert res02(runner, decl, seen) == ["records-db"]
    write(tmp_path, "observed.yaml", observed_text(gaps=gap.replace("REGION", "eu-west-3")))
    report = check(runner, str(decl), "--observed", str(seen))
    assert rule(report, "DRIFT-OBS-01")
    assert rule(report, "DRIFT-RES-02") == []


def test_a_component_found_in_another_accounts_file_is_found(
    tmp_path: Path, runner: CliRunner
) -> None:
    """`--all-accounts` writes one file per account: the database is in the second account,
    so it is missing from neither. Found in none, each account that was read says so."""
    decl = declared(tmp_path)
    other = "210987654321"
    first = write(tmp_path, "first.yaml", observed_text())
    second = write(tmp_path, "second.yaml", observed_text(other, database=True))
    both = ("--observed", str(first), "--observed", str(second))
    assert rule(check(runner, str(decl), *both), "DRIFT-RES-02") == []

    write(tmp_path, "second.yaml", observed_text(other))
    found = rule(check(runner, str(decl), *both), "DRIFT-RES-02")
    assert sorted(fact(f, "observation.account")["value"] for f in found) == [ACCOUNT, other]


def test_an_observation_not_listing_the_services_read_cannot_verify_it(
    tmp_path: Path, runner: CliRunner
) -> None:
    decl = declared(tmp_path)
    seen = write(tmp_path, "observed.yaml", observed_text(services_read=None))
    [finding] = rule(check(runner, str(decl), "--observed", str(seen)), "DRIFT-RES-02")
    assert (finding["component"], finding["unverifiable"]) == ("records-db", True)
    assert finding["message"].startswith(
        "cannot be verified for service rds of records-db: unknown observation.service_read."
    )
    assert f"is in account {ACCOUNT} is unknown" in finding["message"]


def test_discover_in_moto_then_check_reports_the_missing_database(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """A real discovery of eu-west-3 holding EBS volumes and no RDS instance: the declared
    database is reported, the declared volumes (found) are not."""
    build_disks(boto3.session.Session())
    out = tmp_path / "observed.yaml"
    result = discover("--region", "eu-west-3", "-o", str(out))
    assert result.returncode == 0, result.stderr
    decl = write(
        tmp_path,
        "declared.yaml",
        DECLARED.replace("{region}", "eu-west-3")
        + "  - id: records-disks\n    kind: datastore\n    provider: aws\n"
        + "    operator: aws-emea\n    service: ebs\n    region: eu-west-3\n",
    )
    found = rule(check(runner, str(decl), "--observed", str(out), as_of=TODAY), "DRIFT-RES-02")
    assert sorted((f["component"], f["unverifiable"]) for f in found) == [
        ("documents", False),
        ("records-db", False),
    ]


def test_two_loose_declarations_of_one_service_are_both_found(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: two components declaring "our RDS in eu-west-3" (no `resources`) and instances
    observed there: both are found, each instance standing for either. A resource credited to
    the first component only left the second reported as missing, a false finding failing a
    --fail-on medium gate."""
    text = DECLARED.replace("{region}", "eu-west-3") + (
        "  - id: analytics-db\n"
        "    kind: datastore\n"
        "    provider: aws\n"
        "    operator: aws-emea\n"
        "    service: rds\n"
        "    region: eu-west-3\n"
    )
    decl = write(tmp_path, "declared.yaml", text)
    seen = write(tmp_path, "observed.yaml", observed_text(database=True))
    assert res02(runner, decl, seen) == []
    write(tmp_path, "observed.yaml", observed_text())
    assert sorted(res02(runner, decl, seen)) == ["analytics-db", "records-db"]


def test_a_refused_bucket_listing_hides_the_buckets_of_every_region(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: discover lists the account's buckets from its home region (us-east-1); refused, no
    bucket of eu-west-3 was read either, so the declared bucket is OBS-01's gap, not found
    missing."""
    listing = (
        "  not_observed:\n"
        "    - {service: s3, call: ListBuckets, region: us-east-1, "
        "reason: access denied (AccessDenied), permission: s3:ListAllMyBuckets}\n"
    )
    decl = declared(tmp_path)
    seen = write(tmp_path, "observed.yaml", observed_text(database=True).replace(BUCKET, ""))
    assert res02(runner, decl, seen) == ["documents"]
    write(tmp_path, "observed.yaml", observed_text(database=True, gaps=listing).replace(BUCKET, ""))
    report = check(runner, str(decl), "--observed", str(seen))
    assert rule(report, "DRIFT-RES-02") == []
    assert rule(report, "DRIFT-OBS-01")


def test_a_service_spelled_in_capitals_is_the_same_service(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: `service: RDS` was not `rds`: OBS-04 said RDS was not read while listing rds among
    the services read, and the instance it stands for was RES-01 (high), undeclared."""
    decl = write(
        tmp_path, "declared.yaml", DECLARED.replace("{region}", "eu-west-3").replace("rds", "RDS")
    )
    seen = write(tmp_path, "observed.yaml", observed_text(database=True))
    report = check(runner, str(decl), "--observed", str(seen))
    drift = sorted(f["rule_id"] for f in report["findings"] if f["rule_id"].startswith("DRIFT-"))
    assert drift == [], drift


ARCHIVE = BUCKET.replace("patients-eu", "patients-archive")


def listing(*names: str) -> str:
    """DECLARED with the documents component listing `names` as its resources."""
    text = DECLARED.replace("{region}", "eu-west-3")
    return text.replace("resources: [patients-eu]", f"resources: [{', '.join(names)}]")


def test_a_component_is_found_only_when_every_resource_it_lists_is(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: a component listing two buckets passed when one was observed: a half-stale list
    read as "declaration confirmed". The bucket not found is named; with both observed,
    nothing is reported."""
    decl = write(tmp_path, "declared.yaml", listing("patients-eu", "patients-archive"))
    seen = write(tmp_path, "observed.yaml", observed_text(database=True))
    [finding] = rule(check(runner, str(decl), "--observed", str(seen)), "DRIFT-RES-02")
    assert (finding["component"], finding["unverifiable"]) == ("documents", False)
    assert finding["message"].endswith("no observed resource stands for patients-archive")
    assert fact(finding, "observation.not_found")["value"] == ["patients-archive"]
    found = fact(finding, "observation.found")
    assert found["value"] is False
    assert found["source"] == (
        f"derived: no resource of {seen} is patients-archive, listed by documents in "
        "`resources`: looked for (no gap names it, its region read) and not found"
    )

    write(tmp_path, "observed.yaml", observed_text(database=True).replace(BUCKET, BUCKET + ARCHIVE))
    assert res02(runner, decl, seen) == []


def test_a_listed_resource_found_in_another_accounts_file_is_found(
    tmp_path: Path, runner: CliRunner
) -> None:
    """Each listed bucket may be in a different account of one `--all-accounts` run."""
    decl = write(tmp_path, "declared.yaml", listing("patients-eu", "patients-archive"))
    first = write(tmp_path, "first.yaml", observed_text(database=True))
    other = observed_text("210987654321").replace(BUCKET, ARCHIVE)
    second = write(tmp_path, "second.yaml", other)
    both = ("--observed", str(first), "--observed", str(second))
    assert rule(check(runner, str(decl), *both), "DRIFT-RES-02") == []


ENCRYPTION_GAP = (
    "  not_observed:\n"
    "    - {service: s3, call: GetBucketEncryption, region: eu-west-3, reason: "
    '"access denied (AccessDenied) for arn:aws:s3:::patients-tmp", '
    "permission: s3:GetEncryptionConfiguration}\n"
)


def test_a_gap_naming_one_listed_resource_does_not_hide_another_missing(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: a gap naming one bucket of the list made the whole component DRIFT-OBS-01's, so a
    second bucket, looked for and absent, passed. The gap's bucket is not reported missing
    (it may be there); the absent one is. When the gap's bucket is all that was not found,
    the component is the gap's alone."""
    names = ("patients-eu", "patients-archive", "patients-tmp")
    decl = write(tmp_path, "declared.yaml", listing(*names))
    seen = write(tmp_path, "observed.yaml", observed_text(database=True, gaps=ENCRYPTION_GAP))
    report = check(runner, str(decl), "--observed", str(seen))
    [finding] = rule(report, "DRIFT-RES-02")
    source = fact(finding, "observation.found")["source"]
    assert "is patients-archive, listed by documents" in source, source
    assert "patients-tmp" not in source
    assert rule(report, "DRIFT-OBS-01")

    text = observed_text(database=True, gaps=ENCRYPTION_GAP).replace(BUCKET, BUCKET + ARCHIVE)
    write(tmp_path, "observed.yaml", text)
    report = check(runner, str(decl), "--observed", str(seen))
    assert rule(report, "DRIFT-RES-02") == []
    assert rule(report, "DRIFT-OBS-01")


def test_a_listed_resource_in_a_region_not_read_cannot_be_verified(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A database listing its primary (eu-west-3, read) and its replica in eu-central-1,
    which --region left out: the replica was not looked for, so it is not reported missing,
    and whether the component is all there cannot be verified (not a silent pass)."""
    replica = f"arn:aws:rds:eu-central-1:{ACCOUNT}:db:records-replica"
    primary = f"arn:aws:rds:eu-west-3:{ACCOUNT}:db:records"
    text = (
        DECLARED.replace("{region}", "eu-west-3") + f'    resources: ["{primary}", "{replica}"]\n'
    )
    decl = write(tmp_path, "declared.yaml", text)
    seen = observed_text(database=True, not_queried="[eu-central-1]")
    path = write(tmp_path, "observed.yaml", seen)
    report = check(runner, str(decl), "--observed", str(path))
    [finding] = rule(report, "DRIFT-RES-02")
    assert (finding["component"], finding["unverifiable"]) == ("records-db", True)
    source = fact(finding, "observation.found")["source"]
    assert f"{replica} (in eu-central-1, a region not read)" in source, source
    assert len(rule(report, "DRIFT-OBS-02")) == 1

    # eu-central-1 read and the replica not there: looked for, not found
    both = observed_text(database=True).replace("[eu-west-3]", "[eu-central-1, eu-west-3]")
    path.write_text(both, encoding="utf-8")
    [finding] = rule(check(runner, str(decl), "--observed", str(path)), "DRIFT-RES-02")
    assert finding["unverifiable"] is False
    assert f"is {replica}, listed by records-db" in fact(finding, "observation.found")["source"]


def test_discover_in_moto_then_check_names_the_listed_bucket_not_there(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """A real discovery of eu-west-3 holding one of the two buckets a component lists."""
    boto3.session.Session().client("s3", region_name="eu-west-3").create_bucket(
        Bucket="patients-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    out = tmp_path / "observed.yaml"
    result = discover("--region", "eu-west-3", "-o", str(out))
    assert result.returncode == 0, result.stderr
    decl = write(tmp_path, "declared.yaml", listing("patients-eu", "patients-archive"))
    found = rule(check(runner, str(decl), "--observed", str(out), as_of=TODAY), "DRIFT-RES-02")
    by_component = {f["component"]: f for f in found}
    assert sorted(by_component) == ["documents", "records-db"]
    source = fact(by_component["documents"], "observation.found")["source"]
    assert "is patients-archive, listed by documents" in source, source

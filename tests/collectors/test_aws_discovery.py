"""`discover aws` against moto's server over HTTP, then `check --observed` on its output.

The CLI runs in a subprocess that finds moto only through AWS_ENDPOINT_URL, as a user's CI
would. Calls moto does not implement are covered by tests/collectors/test_aws_stubbed.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.clock import utc_day, utc_today
from residency_audit.collectors.aws import AwsCollector
from residency_audit.format import load_deployment
from tests.conftest import AS_OF, ROOT, SAMPLES
from tests.support.moto_server import ACCOUNT, aws, create_postgres, moto_endpoint, post

DECLARED = SAMPLES / "aws-declared.yaml"


def discover(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "residency_audit", "discover", "aws", "--max-attempts", "1", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def build_account(session: Any) -> dict[str, str]:
    """The account of the declared sample, with what the declaration leaves out: replication of
    the bucket to us-east-1, an RDS read replica there, and a multi-region AWS KMS key."""
    kms = session.client("kms", region_name="eu-west-3")
    key = kms.create_key(MultiRegion=True, Description="patients")["KeyMetadata"]
    kms.replicate_key(KeyId=key["KeyId"], ReplicaRegion="us-east-1")
    eu = session.client("s3", region_name="eu-west-3")
    us = session.client("s3", region_name="us-east-1")
    eu.create_bucket(
        Bucket="patients-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    us.create_bucket(Bucket="patients-dr")
    for client, bucket in ((eu, "patients-eu"), (us, "patients-dr")):
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    eu.put_bucket_encryption(
        Bucket="patients-eu",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key["Arn"],
                    }
                }
            ]
        },
    )
    eu.put_bucket_replication(
        Bucket="patients-eu",
        ReplicationConfiguration={
            "Role": f"arn:aws:iam::{ACCOUNT}:role/replication",
            "Rules": [
                {
                    "ID": "dr",
                    "Status": "Enabled",
                    "Priority": 1,
                    "Filter": {},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": "arn:aws:s3:::patients-dr"},
                }
            ],
        },
    )
    db = create_postgres(session, "records", StorageEncrypted=True, KmsKeyId=key["Arn"])
    session.client("rds", region_name="us-east-1").create_db_instance_read_replica(
        DBInstanceIdentifier="records-us",
        SourceDBInstanceIdentifier=db["DBInstanceArn"],
        DBInstanceClass="db.t3.micro",
    )
    return {"key": key["KeyId"], "db": db["DBInstanceArn"]}


def line_after(path: Path, anchor: str, text: str) -> int:
    """Line number of the first line containing `text` at or after the line with `anchor`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if anchor in line)
    return next(i for i in range(start, len(lines)) if text in lines[i]) + 1


def check_json(runner: CliRunner, *args: str, as_of: dt.date = AS_OF) -> tuple[int, dict[str, Any]]:
    """The exit code and JSON result of `check`. An audit of what discovery observed in moto
    passes `as_of=utc_today()`, read at the call, after the discovery: an observation made today
    cannot show what the account held on an earlier day (refused, exit 2), and a day read when the
    tests were collected is such a day once a run crosses midnight UTC."""
    result = runner.invoke(app, ["check", *args, "--format", "json", "--as-of", str(as_of)])
    return result.exit_code, json.loads(result.stdout)


def test_discovers_replicas_and_multi_region_key(aws: str, tmp_path: Path) -> None:
    made = build_account(boto3.session.Session())
    out = tmp_path / "observed.yaml"
    result = discover("--region", "eu-west-3", "--region", "us-east-1", "--output", str(out))
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    by_id = {c.id: c for c in observed.components}
    bucket = by_id["s3-patients-eu"]
    assert bucket.region == "eu-west-3"
    assert [(c.kind.value, c.region) for c in bucket.copies] == [("replica", "us-east-1")]
    assert bucket.copies[0].evidence is not None
    assert bucket.copies[0].evidence.call == "GetBucketReplication"
    assert "s3-patients-dr" not in by_id  # the destination is the replica, not a new store
    assert [(c.kind.value, c.region) for c in by_id["rds-records"].copies] == [
        ("replica", "us-east-1")
    ]
    key = observed.key(made["key"])
    assert key is not None
    assert key.management.value == "customer-managed-in-provider-kms"
    assert key.replica_regions == ("us-east-1",)
    assert key.evidence is not None and "Origin=AWS_KMS" in (key.evidence.detail or "")
    assert bucket.key == key.id
    assert observed.observation is not None
    assert observed.observation.account == ACCOUNT
    assert observed.observation.not_observed == ()


def test_an_account_observed_after_the_as_of_date_is_refused(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """Today's account cannot show what it held on the day of a 2021 hearing."""
    build_account(boto3.session.Session())
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    args = ["check", str(DECLARED), "--observed", str(out), "--as-of", "2021-03-12"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    started = line_after(out, "observation:", "started_at:")
    assert f"{out}:{started}:" in result.stderr
    observed, _ = load_deployment(out)
    assert observed.observation is not None
    day = utc_day(observed.observation.started_at)  # the file's day, not the clock's
    assert f"error: the account was observed on {day}, after the as-of date " in result.stderr
    audited = runner.invoke(app, ["check", str(out), "--as-of", "2021-03-12"])  # itself
    assert audited.exit_code == 2 and f"{out}:{started}:" in audited.stderr
    text = out.read_text()
    out.write_text(text.replace("started_at: ", "started_at: yesterday # ", 1))
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "started_at 'yesterday' is not an ISO 8601 time" in result.stderr


def test_check_reports_drift_on_the_declared_lines(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    build_account(boto3.session.Session())
    out = tmp_path / "observed.yaml"
    assert (
        discover("--region", "eu-west-3", "--region", "us-east-1", "-o", str(out)).returncode == 0
    )
    code, report = check_json(runner, str(DECLARED), "--observed", str(out), as_of=utc_today())
    drift = {
        (f["rule_id"], f["location"]["line"])
        for f in report["findings"]
        if f["rule_id"].startswith("DRIFT") and f["location"]["path"] == str(DECLARED)
    }
    assert drift == {
        ("DRIFT-LOC-01", line_after(DECLARED, "id: documents", "region:")),
        ("DRIFT-LOC-01", line_after(DECLARED, "id: records-db", "region:")),
        ("DRIFT-KEY-01", line_after(DECLARED, "id: xks-key", "management:")),
        ("DRIFT-LOC-01", line_after(DECLARED, "id: xks-key", "country:")),
        # the bucket's replicas: no ReplicaKmsKeyID, so their key is unknown (and its place)
        ("DRIFT-LOC-01", line_after(DECLARED, "id: xks-key", "management:")),
    }
    key_finding = next(
        f for f in report["findings"] if f["rule_id"] == "DRIFT-KEY-01" and not f["unverifiable"]
    )
    assert "external-key-store" in key_finding["message"]
    assert any("DescribeKey" in fact["source"] for fact in key_finding["facts"])
    assert report["complete"] is True
    assert code == 1


def test_declared_sample_without_drift_only_has_its_own_findings(runner: CliRunner) -> None:
    _, report = check_json(runner, str(DECLARED))
    assert not [f for f in report["findings"] if f["rule_id"].startswith("DRIFT")]


def test_backup_copy_action_is_observed(aws: str, tmp_path: Path) -> None:
    """moto serves backup plans but not ListBackupSelections: that call is recorded as not
    observed (a server error, not a permission), so the plan stays a component of its own."""
    session = boto3.session.Session()
    eu = session.client("backup", region_name="eu-west-3")
    us = session.client("backup", region_name="us-east-1")
    eu.create_backup_vault(BackupVaultName="daily")
    vault = us.create_backup_vault(BackupVaultName="dr")["BackupVaultArn"]
    eu.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "records",
            "Rules": [
                {
                    "RuleName": "daily",
                    "TargetBackupVaultName": "daily",
                    "CopyActions": [{"DestinationBackupVaultArn": vault}],
                }
            ],
        }
    )
    out = tmp_path / "observed.yaml"
    result = discover("--region", "eu-west-3", "-o", str(out))
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    plan = next(c for c in observed.components if c.service == "backup")
    assert ("backup", "us-east-1") in {(c.kind.value, c.region) for c in plan.copies}
    assert observed.observation is not None
    gaps = {g.call: g for g in observed.observation.not_observed}
    assert sorted(gaps) == ["DescribeBackupVault", "ListBackupSelections"]
    assert gaps["ListBackupSelections"].reason.startswith("error: ")
    # the us-east-1 vault is in a region left out by --region: not described there, as no
    # other call is, and said so (it was described all the same)
    vault_gap = gaps["DescribeBackupVault"]
    assert (vault_gap.region, vault_gap.reason) == (
        "us-east-1",
        f"not queried: in us-east-1, a region not read, so not called for {vault}",
    )
    assert all(g.permission is None for g in gaps.values())  # no permission is missing
    assert "not observed" in result.stderr


def test_unknown_region_is_not_observed(aws: str, tmp_path: Path) -> None:
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-9", "-o", str(out)).returncode == 0
    observed, _ = load_deployment(out)
    assert observed.observation is not None
    assert [g.region for g in observed.observation.not_observed] == ["eu-west-9"]


def test_regions_left_unread_are_findings_of_the_observed_file(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """`--region` narrows what is read, and regions not enabled cannot be read at all: neither
    makes the audit partial (no call failed), but each is a finding on its line of the file."""
    out = tmp_path / "observed.yaml"
    result = discover("--region", "eu-west-3", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "enabled region(s) not read (not given to --region)" in result.stderr
    observed, _ = load_deployment(out)
    o = observed.observation
    assert o is not None and o.regions == ("eu-west-3",)
    assert o.regions_not_queried is not None and o.regions_not_enabled is not None
    assert "us-east-1" in o.regions_not_queried and "eu-west-3" not in o.regions_not_queried
    assert "ap-east-1" in o.regions_not_enabled  # an opt-in region moto reports not-opted-in
    assert not set(o.regions_not_enabled) & set(o.regions_not_queried)

    code, report = check_json(runner, str(out), as_of=utc_today())
    assert report["complete"] is True
    assert code == 0  # not partial: nothing above medium fails the default gate
    found = {f["rule_id"]: f for f in report["findings"] if f["rule_id"].startswith("DRIFT-OBS")}
    assert set(found) == {"DRIFT-OBS-02", "DRIFT-OBS-03"}
    narrowed, unreachable = found["DRIFT-OBS-02"], found["DRIFT-OBS-03"]
    assert (narrowed["severity"], unreachable["severity"]) == ("medium", "low")
    assert "us-east-1" in narrowed["message"] and ACCOUNT in narrowed["message"]
    assert "ap-east-1" in unreachable["message"]
    for finding, key in ((narrowed, "regions_not_queried:"), (unreachable, "regions_not_enabled:")):
        fact = next(f for f in finding["facts"] if f["path"] == f"observation.{key[:-1]}")
        first_item = line_after(out, "observation:", key) + 1  # block style: the list's item
        assert fact["source"] == f"{out}:{first_item}:3"


def test_every_enabled_region_is_read_without_region_option(aws: str) -> None:
    regions = AwsCollector(boto3.session.Session()).regions(())
    assert regions.not_queried == ()
    assert "eu-west-3" in regions.read and "us-east-1" in regions.read
    assert regions.not_enabled is not None and "ap-east-1" in regions.not_enabled
    assert not set(regions.read) & set(regions.not_enabled)


def test_observation_without_region_lists_cannot_be_verified(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """A file that does not say which regions were left out (written before they were
    recorded, or whose regions could not be listed) is not taken as complete."""
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    kept, skipping = [], False
    for line in lines:  # drop both lists, block style: the key line and its items
        if line.strip().startswith(("regions_not_enabled:", "regions_not_queried:")):
            skipping = True
            continue
        if skipping and line.lstrip().startswith("- "):
            continue
        skipping = False
        kept.append(line)
    out.write_text("".join(kept), encoding="utf-8")
    observed, _ = load_deployment(out)
    assert observed.observation is not None and observed.observation.regions_not_enabled is None
    _, report = check_json(runner, str(out), as_of=utc_today())
    found = {f["rule_id"]: f for f in report["findings"] if f["rule_id"].startswith("DRIFT-OBS")}
    assert set(found) == {"DRIFT-OBS-02", "DRIFT-OBS-03"}
    assert all(f["unverifiable"] for f in found.values())
    assert "cannot be verified" in found["DRIFT-OBS-02"]["message"]
    assert "observation.regions_listed" in found["DRIFT-OBS-02"]["message"]


def test_check_does_not_import_boto3() -> None:
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom residency_audit.cli import app\n"
        f"CliRunner().invoke(app, ['check', {str(DECLARED)!r}])\n"
        "print('boto3' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    "args",
    [
        ["--all-accounts"],
        ["--shard", "1/2"],
        ["--all-accounts", "--role-name", "r", "--shard", "3/2"],
        ["--max-attempts", "-1"],
        ["--all-accounts", "--role-name", "r", "-o", str(DECLARED)],  # a file, not a directory
    ],
)
def test_bad_account_options_are_usage_errors(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, ["discover", "aws", *args])
    assert result.exit_code == 2
    assert "error" not in result.stderr.lower() or "--" in result.stderr


def test_a_bucket_encrypted_by_an_alias_name_is_linked_to_its_key(aws: str, tmp_path: Path) -> None:
    """S3 accepts `alias/name` as the default encryption key: it names a key of the bucket's
    region, read like any other (not a gap that would leave the bucket looking unencrypted)."""
    session = boto3.session.Session()
    kms = session.client("kms", region_name="eu-west-3")
    key = kms.create_key(Description="docs")["KeyMetadata"]
    kms.create_alias(AliasName="alias/docs-key", TargetKeyId=key["KeyId"])
    s3 = session.client("s3", region_name="eu-west-3")
    s3.create_bucket(
        Bucket="docs-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    s3.put_bucket_encryption(
        Bucket="docs-eu",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": "alias/docs-key",
                    }
                }
            ]
        },
    )
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    observed, _ = load_deployment(out)
    bucket = next(c for c in observed.components if c.id == "s3-docs-eu")
    assert bucket.key == key["KeyId"]
    assert observed.observation is not None and observed.observation.not_observed == ()


def test_observed_must_be_an_observation(runner: CliRunner) -> None:
    """The declaration given as its own observation would show no drift at all."""
    result = runner.invoke(
        app, ["check", str(DECLARED), "--observed", str(DECLARED), "--as-of", str(AS_OF)]
    )
    assert result.exit_code == 2
    assert "not an observed deployment (no `observation:` block)" in result.stderr


def test_a_customer_key_no_declared_component_uses_is_not_declared(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """Key material, with a replica in the US, that the declaration never mentions: DRIFT-RES-01
    for the key and for its replica, on the observed file."""
    build_account(boto3.session.Session())
    kms = boto3.session.Session().client("kms", region_name="eu-west-3")
    spare = kms.create_key(MultiRegion=True, Description="spare")["KeyMetadata"]
    kms.replicate_key(KeyId=spare["KeyId"], ReplicaRegion="us-east-1")
    out = tmp_path / "observed.yaml"
    assert (
        discover("--region", "eu-west-3", "--region", "us-east-1", "-o", str(out)).returncode == 0
    )
    _, report = check_json(runner, str(DECLARED), "--observed", str(out), as_of=utc_today())
    undeclared = [
        f
        for f in report["findings"]
        if f["rule_id"] == "DRIFT-RES-01" and spare["KeyId"] in f["message"]
    ]
    assert {f["location"]["path"] for f in undeclared} == {str(out)}
    assert sorted(f["message"].split(" ")[1] for f in undeclared) == ["key", "key-replica"]
    assert any("us-east-1" in f["message"] for f in undeclared)


def test_a_table_declared_by_its_name_matches_the_observed_one(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """`resources: [orders]` names the DynamoDB table whose ARN ends in `table/orders`."""
    boto3.session.Session().client("dynamodb", region_name="eu-west-3").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    declared = tmp_path / "declared.yaml"
    text = DECLARED.read_text()
    assert "\nkeys:" in text
    declared.write_text(
        text.replace(
            "\nkeys:",
            "\n  - id: orders-db\n    kind: datastore\n    provider: aws\n    operator: aws-emea\n"
            "    service: dynamodb\n    region: eu-west-3\n    resources: [orders]\n\nkeys:",
            1,
        )
    )
    _, report = check_json(runner, str(declared), "--observed", str(out), as_of=utc_today())
    table = [  # its places and key
        f
        for f in report["findings"]
        if "table/orders" in f["message"] and f["rule_id"] != "DRIFT-OBS-01"
    ]
    assert not [f for f in table if f["message"].startswith("observed primary")]
    assert {f["component"] for f in table} <= {"orders-db"}  # matched: findings on the declaration


def test_a_bucket_in_a_region_left_out_by_region_stays_observed(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """`--region eu-west-3` reads the buckets of eu-west-3 in depth, but ListBuckets and
    GetBucketLocation show every bucket: one in us-east-1 stays in the file, in us-east-1, with
    its encryption and replication, not read, as gaps naming it; drift reports it undeclared."""
    session = boto3.session.Session()
    build_account(session)
    session.client("s3", region_name="us-east-1").create_bucket(Bucket="archive-us")
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    observed, _ = load_deployment(out)
    by_id = {c.id: c for c in observed.components}
    assert by_id["s3-archive-us"].region == "us-east-1"
    assert by_id["s3-archive-us"].evidence is not None
    assert by_id["s3-archive-us"].evidence.call == "GetBucketLocation"
    assert "s3-patients-dr" not in by_id  # still the replica of patients-eu, not a store
    assert observed.observation is not None
    unread = {
        (g.call, g.region, g.reason) for g in observed.observation.not_observed if g.service == "s3"
    }
    why = "not queried: in us-east-1, a region not given to --region"
    assert unread == {
        (call, "us-east-1", f"{why}, so not called for arn:aws:s3:::{name}")
        for call in ("GetBucketEncryption", "GetBucketReplication")
        for name in ("archive-us", "patients-dr")
    }

    _, report = check_json(runner, str(DECLARED), "--observed", str(out), as_of=utc_today())
    assert report["complete"] is False
    undeclared = [
        f["message"]
        for f in report["findings"]
        if f["rule_id"] == "DRIFT-RES-01" and "archive-us" in f["message"]
    ]
    assert undeclared == [
        "observed primary arn:aws:s3:::archive-us (s3, us-east-1) is not declared"
    ]


def other_account_session(account: str) -> Any:
    """A session in another account of moto (assumed role), whose buckets are not ours."""
    creds = (
        boto3.session.Session()
        .client("sts", region_name="us-east-1")
        .assume_role(RoleArn=f"arn:aws:iam::{account}:role/partner", RoleSessionName="partner")[
            "Credentials"
        ]
    )
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def test_copies_to_another_account_are_drift(aws: str, tmp_path: Path, runner: CliRunner) -> None:
    """A backup copy to another account's vault in the same region as the local vault, an S3
    replica in a bucket the account does not own, and one whose rule names another owner:
    each is a copy of its own, records the account holding it, and is DRIFT-ACCT-01."""
    session = boto3.session.Session()
    build_account(session)
    partner = "210987654321"
    theirs = other_account_session(partner)
    theirs.client("s3", region_name="eu-central-1").create_bucket(
        Bucket="partner-archive", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    theirs.client("s3", region_name="us-east-1").create_bucket(Bucket="partner-records")
    eu = session.client("s3", region_name="eu-west-3")
    eu.create_bucket(
        Bucket="scans-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    eu.put_bucket_versioning(Bucket="scans-eu", VersioningConfiguration={"Status": "Enabled"})
    eu.put_bucket_replication(
        Bucket="scans-eu",
        ReplicationConfiguration={
            "Role": f"arn:aws:iam::{ACCOUNT}:role/replication",
            "Rules": [
                {
                    "ID": "partner",
                    "Status": "Enabled",
                    "Priority": 1,
                    "Filter": {},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": "arn:aws:s3:::partner-archive"},
                },
                {
                    "ID": "named-owner",
                    "Status": "Enabled",
                    "Priority": 2,
                    "Filter": {"Prefix": "x/"},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": "arn:aws:s3:::partner-records", "Account": partner},
                },
            ],
        },
    )
    backup = session.client("backup", region_name="eu-west-3")
    backup.create_backup_vault(BackupVaultName="daily")
    central = f"arn:aws:backup:eu-west-3:{partner}:backup-vault:central"
    backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "records",
            "Rules": [
                {
                    "RuleName": "daily",
                    "TargetBackupVaultName": "daily",
                    "CopyActions": [{"DestinationBackupVaultArn": central}],
                }
            ],
        }
    )
    out = tmp_path / "observed.yaml"
    assert (
        discover("--region", "eu-west-3", "--region", "us-east-1", "-o", str(out)).returncode == 0
    )
    observed, _ = load_deployment(out)
    by_id = {c.id: c for c in observed.components}
    plan = next(c for c in observed.components if c.service == "backup")
    assert sorted((c.region, c.account) for c in plan.copies) == [
        ("eu-west-3", ACCOUNT),
        ("eu-west-3", partner),
    ]
    assert sorted((c.region, c.account) for c in by_id["s3-scans-eu"].copies) == [
        ("eu-central-1", "unknown"),
        ("us-east-1", partner),
    ]
    assert [(c.region, c.account) for c in by_id["s3-patients-eu"].copies] == [
        ("us-east-1", ACCOUNT)
    ]

    _, report = check_json(runner, str(DECLARED), "--observed", str(out), as_of=utc_today())
    leaving = sorted(f["message"] for f in report["findings"] if f["rule_id"] == "DRIFT-ACCT-01")
    assert leaving == [
        f"backup of {plan.resources[0]} (eu-west-3) is held in account {partner}, outside the "
        f"observed account {ACCOUNT}",
        f"replica of arn:aws:s3:::scans-eu (eu-central-1) is held in account unknown, outside "
        f"the observed account {ACCOUNT}",
        f"replica of arn:aws:s3:::scans-eu (us-east-1) is held in account {partner}, outside the "
        f"observed account {ACCOUNT}",
    ]
    finding = next(f for f in report["findings"] if f["rule_id"] == "DRIFT-ACCT-01")
    assert any("GetBackupPlan" in fact["source"] for fact in finding["facts"])
    assert any(r["article"] == "Art. 44, Art. 5(2)" for r in finding["references"])

    # Audited alone ("what is really there"), the observation reports the same copies.
    _, alone = check_json(runner, str(out), as_of=utc_today())
    assert leaving == sorted(
        f["message"] for f in alone["findings"] if f["rule_id"] == "DRIFT-ACCT-01"
    )
    assert not [f for f in alone["findings"] if f["rule_id"] in ("DRIFT-RES-01", "DRIFT-LOC-01")]


def test_a_key_finding_names_every_component_the_key_covers(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """The AWS KMS key protects the bucket of `documents` and the database of `records-db`:
    DRIFT-KEY-01, and DRIFT-LOC-01 on the key's replica, name both, once for each component,
    its own first (the two lines of a CI log must say which is which), so that a waiver of one
    component's finding leaves the other's open."""
    build_account(boto3.session.Session())
    out = tmp_path / "observed.yaml"
    assert (
        discover("--region", "us-east-1", "--region", "eu-west-3", "-o", str(out)).returncode == 0
    )
    _, report = check_json(runner, str(DECLARED), "--observed", str(out), as_of=utc_today())
    keys = [
        f for f in report["findings"] if f["rule_id"] == "DRIFT-KEY-01" and not f["unverifiable"]
    ]
    assert [f["component"] for f in keys] == ["documents", "records-db"]
    assert [k["message"].split(": key declared")[0] for k in keys] == [
        "documents (its key also protects records-db)",
        "records-db (its key also protects documents)",
    ]
    for key in keys:
        assert (
            "key declared external-key-store, observed customer-managed-in-provider-kms"
            in (key["message"])
        )
    replica = [
        (f["component"], f["message"])
        for f in report["findings"]
        if f["rule_id"] == "DRIFT-LOC-01" and "key-replica" in f["message"]
    ]
    message = "key-replica observed in us-east-1 (US) but declared only in FR"
    assert replica == [
        ("documents", f"documents (its key also protects records-db): {message}"),
        ("records-db", f"records-db (its key also protects documents): {message}"),
    ]
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - rule: DRIFT-KEY-01\n"
        f"    target: {{deployment: {keys[0]['deployment']}, component: documents}}\n"
        "    justification: XKS migration planned\n    approved_by: dpo@example.org\n"
        "    expires: 2099-12-31\n"
    )
    args = (str(DECLARED), "--observed", str(out), "--waivers", str(waivers))
    _, waived = check_json(runner, *args, as_of=utc_today())
    statuses = {
        f["component"]: f["status"] for f in waived["findings"] if f["rule_id"] == "DRIFT-KEY-01"
    }
    assert statuses == {"documents": "waived", "records-db": "open"}


def replicate(client: Any, bucket: str, destination: str) -> None:
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    client.put_bucket_replication(
        Bucket=bucket,
        ReplicationConfiguration={
            "Role": f"arn:aws:iam::{ACCOUNT}:role/replication",
            "Rules": [
                {
                    "ID": "next",
                    "Status": "Enabled",
                    "Priority": 1,
                    "Filter": {},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
                }
            ],
        },
    )


def test_a_replica_of_a_replica_is_a_copy_too(aws: str, tmp_path: Path) -> None:
    """patients-eu replicates to patients-ie, which replicates to archive-us: the US copy is a
    copy of patients-eu's data, not lost with the intermediate bucket folded into its source."""
    session = boto3.session.Session()
    chain = (("patients-eu", "eu-west-3"), ("patients-ie", "eu-west-1"), ("archive-us", None))
    for name, region in chain:
        where = {"CreateBucketConfiguration": {"LocationConstraint": region}} if region else {}
        session.client("s3", region_name=region or "us-east-1").create_bucket(Bucket=name, **where)
    replicate(session.client("s3", region_name="eu-west-3"), "patients-eu", "patients-ie")
    replicate(session.client("s3", region_name="eu-west-1"), "patients-ie", "archive-us")
    out = tmp_path / "observed.yaml"
    regions = ("--region", "eu-west-3", "--region", "eu-west-1", "--region", "us-east-1")
    assert discover(*regions, "-o", str(out)).returncode == 0
    observed, _ = load_deployment(out)
    assert [c.id for c in observed.components if c.service == "s3"] == ["s3-patients-eu"]
    [bucket] = [c for c in observed.components if c.service == "s3"]
    assert sorted(c.region for c in bucket.copies) == ["eu-west-1", "us-east-1"]


OBSERVED_BY_HAND = """\
schema_version: 1
name: observed-acct
controller: owner
data: {categories: [health], health_context: care}
parties:
  - {id: owner, name: Owner, role: controller, country: FR}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
observation:
  collector: aws
  started_at: "2026-11-20T10:00:00Z"
  account: ACCOUNT
  regions: [eu-west-3]
  regions_not_enabled: []
  regions_not_queried: []
components:
  - id: bucket
    kind: datastore
    provider: aws
    operator: aws-emea
    region: eu-west-3
    copies:
      - {kind: replica, region: eu-west-3, account: "unknown"}
      - {kind: replica, region: eu-west-1, account: "999999999999"}
"""


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        ('"123456789012"', [False, False]),  # both copies are outside the observed account
        # the observed account is unknown: a known account cannot be compared with it, but a
        # copy marked unknown lies outside the observed account whatever it is
        ('"unknown"', [False, True]),
    ],
)
def test_an_account_whose_id_was_not_read_is_never_taken_for_another(
    runner: CliRunner, tmp_path: Path, account: str, expected: list[bool]
) -> None:
    observed = tmp_path / "observed.yaml"
    observed.write_text(OBSERVED_BY_HAND.replace("ACCOUNT", account))
    _, report = check_json(runner, str(observed), as_of=utc_today())
    leaving = [f["unverifiable"] for f in report["findings"] if f["rule_id"] == "DRIFT-ACCT-01"]
    assert leaving == expected

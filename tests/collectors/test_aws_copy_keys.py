"""A copy with a key of its own is judged on that key: a global-table replica's (answered by
botocore's Stubber, moto ignores ReplicaUpdates, as in test_aws_stubbed.py), a backup vault's
and an S3 replication rule's (moto's server over HTTP). A key a copy names but the file does
not hold is an input error, never a key dropped from the audit.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.clock import utc_today
from residency_audit.collectors.aws import AwsCollector
from residency_audit.collectors.observed import copy_key
from residency_audit.format import load_deployment
from residency_audit.format.dump import dump_deployment
from tests.collectors.test_aws_discovery import discover
from tests.collectors.test_aws_stubbed import assemble, session, stubbed
from tests.conftest import SAMPLES
from tests.support.moto_server import ACCOUNT, aws, moto_endpoint

__all__ = ["aws", "moto_endpoint", "session", "stubbed"]  # fixtures

DECLARED = SAMPLES / "aws-declared.yaml"
TABLE = f"arn:aws:dynamodb:eu-west-3:{ACCOUNT}:table/consultations"
XKS = f"arn:aws:kms:eu-west-3:{ACCOUNT}:key/xks1"
KMS_US = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/kms2"


def stub_key(stubbed: Any, arn: str, origin: str) -> None:
    region, key_id = arn.split(":")[3], arn.rsplit("/", 1)[-1]
    kms = stubbed("kms", region)
    kms.add_response("list_keys", {"Keys": [{"KeyId": key_id, "KeyArn": arn}]})
    kms.add_response("list_aliases", {"Aliases": []})
    meta = {"KeyId": key_id, "Arn": arn, "Origin": origin, "KeyManager": "CUSTOMER"}
    kms.add_response("describe_key", {"KeyMetadata": meta}, {"KeyId": key_id})


def table(region: str, key: str | None, replicas: list[dict[str, str]]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "TableName": "consultations",
        "TableArn": TABLE.replace("eu-west-3", region),
        "GlobalTableVersion": "2019.11.21",
        "Replicas": replicas,
    }
    if key:
        body["SSEDescription"] = {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key}
    return body


def stub_table(stubbed: Any, region: str, body: dict[str, Any]) -> None:
    ddb = stubbed("dynamodb", region)
    ddb.add_response("list_tables", {"TableNames": ["consultations"]})
    ddb.add_response("describe_table", {"Table": body}, {"TableName": "consultations"})


def observed_table(
    session: Any, stubbed: Any, path: Path, replica: dict[str, str], *, both: bool = False
) -> Path:
    """The table of the declaration below, on an external-key-store key in eu-west-3, with a
    replica in us-east-1 (`replica`: its Replicas entry), read in eu-west-3 (and in us-east-1
    too when `both`, where the replica is on an AWS KMS key); keys read in both regions."""
    stub_key(stubbed, XKS, "EXTERNAL_KEY_STORE")
    stub_key(stubbed, KMS_US, "AWS_KMS")
    stub_table(stubbed, "eu-west-3", table("eu-west-3", XKS, [replica]))
    regions = ("eu-west-3", "us-east-1") if both else ("eu-west-3",)
    if both:
        stub_table(stubbed, "us-east-1", table("us-east-1", KMS_US, [{"RegionName": "eu-west-3"}]))
    collector = AwsCollector(session, clients=stubbed.clients)
    resources = [t for r in regions for t in collector.read_dynamodb(r)]
    keys = collector.read_keys("eu-west-3") + collector.read_keys("us-east-1")
    path.write_text(dump_deployment(assemble(collector, resources, keys, regions=regions)))
    return path


def declared(tmp_path: Path) -> Path:
    """The sample declaration plus the table, on the external key store, replicated to
    us-east-1."""
    path = tmp_path / "declared.yaml"
    path.write_text(
        DECLARED.read_text().replace(
            "\nkeys:",
            "\n  - id: consultations-db\n    kind: datastore\n    provider: aws\n"
            "    operator: aws-emea\n    service: dynamodb\n    region: eu-west-3\n"
            "    resources: [consultations]\n    key: xks-key\n"
            "    copies: [{kind: replica, region: us-east-1}]\n\nkeys:",
            1,
        )
    )
    return path


def report(runner: CliRunner, *args: str) -> dict[str, Any]:
    # today in UTC, read at the call: after the discovery, even when the run crosses midnight
    result = runner.invoke(app, ["check", *args, "--as-of", str(utc_today()), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


REPLICA = "place:dynamodb-consultations/replica@us-east-1"


@pytest.mark.parametrize(
    ("token", "error"),
    [
        ("Key=ghost", "Key= names unknown key 'ghost' (declared: kms2, xks1; or unknown)"),
        ("Key=", "Key= names no key id (declared: kms2, xks1; or unknown)"),
        ("Key=xks1 Key=unknown", "names 2 keys (Key=xks1, Key=unknown)"),
    ],
)
def test_a_copy_naming_a_key_the_file_does_not_hold_is_an_input_error(
    session: Any, stubbed: Any, tmp_path: Path, runner: CliRunner, token: str, error: str
) -> None:
    """The replica's key could not be read (`Key=unknown`): edited into a key the file lacks,
    no key, or two, the unread key would vanish from the audit (no DRIFT-KEY-01, the replica
    judged on its table's key). Like `key: ghost` on a component, it is refused at its line."""
    path = observed_table(session, stubbed, tmp_path / "observed.yaml", {"RegionName": "us-east-1"})
    text = path.read_text()
    assert text.count("Key=unknown") == 1
    path.write_text(text.replace("Key=unknown", token))
    lines = path.read_text().splitlines()
    line = next(i for i, t in enumerate(lines, 1) if "Replica RegionName=us-east-1" in t)
    column = lines[line - 1].index("detail:") + len("detail: ") + 1
    for args in ([str(declared(tmp_path)), "--observed", str(path)], [str(path)]):
        result = runner.invoke(app, ["check", *args, "--as-of", str(utc_today())])
        assert result.exit_code == 2, result.output
        assert (
            f"{path}:{line}:{column}: error: components[0].copies[0].evidence.detail: {error}; "
            "a copy's evidence names one key protecting the copy"
        ) in result.stderr


def test_an_observed_replica_is_judged_on_its_own_key(
    session: Any, stubbed: Any, tmp_path: Path, runner: CliRunner
) -> None:
    """`check observed.yaml` alone: the us-east-1 replica is on an AWS KMS key of its region,
    which AWS can use; judged on the table's external key store, EDPB-KEY-01 could not say
    so."""
    replica = {"RegionName": "us-east-1", "KMSMasterKeyId": KMS_US}
    path = observed_table(session, stubbed, tmp_path / "observed.yaml", replica)
    found = {
        f["rule_id"]: f
        for f in report(runner, str(path))["findings"]
        if f["subject"] == REPLICA and f["rule_id"] in ("EDPB-KEY-01", "EDPB-UC1-01")
    }
    assert found["EDPB-KEY-01"]["unverifiable"] is False
    assert found["EDPB-KEY-01"]["message"].startswith(
        "encryption of dynamodb-consultations (replica) is not a supplementary measure: "
        "provider-side encryption, keys customer-managed-in-provider-kms, held in US, provider "
        "can use them: yes"
    )
    assert "keys: customer-managed-in-provider-kms" in found["EDPB-UC1-01"]["message"]


def test_an_observed_replica_whose_key_is_unknown_cannot_be_verified(
    session: Any, stubbed: Any, tmp_path: Path, runner: CliRunner
) -> None:
    """The replica's key is not given: whoever can decrypt it is unknown, so the key rules
    cannot be verified for it (the table's key said "external-key-store" and EDPB-UC1-01
    reported the table's key for the replica)."""
    path = observed_table(session, stubbed, tmp_path / "observed.yaml", {"RegionName": "us-east-1"})
    found = {
        f["rule_id"]: f
        for f in report(runner, str(path))["findings"]
        if f["subject"] == REPLICA and f["rule_id"] in ("EDPB-KEY-01", "EDPB-UC1-01")
    }
    assert {rule: f["unverifiable"] for rule, f in found.items()} == {
        "EDPB-KEY-01": True,
        "EDPB-UC1-01": True,
    }
    assert "keys: unknown" in found["EDPB-UC1-01"]["message"]
    assert "external-key-store" not in found["EDPB-KEY-01"]["message"]


def test_a_global_table_read_in_both_regions_keeps_the_replicas_own_key(
    session: Any, stubbed: Any, tmp_path: Path, runner: CliRunner
) -> None:
    """The eu-west-3 table lists its replica without its key; read in us-east-1, the replica
    says it is on an AWS KMS key there. That key is the copy's, and DRIFT-KEY-01 compares it
    with the declared external key store (it was thrown away and the replica's key unknown)."""
    path = observed_table(
        session, stubbed, tmp_path / "observed.yaml", {"RegionName": "us-east-1"}, both=True
    )
    observed, _ = load_deployment(path)
    [component] = observed.components
    [replica] = component.copies
    assert replica.evidence is not None
    assert (replica.region, copy_key(replica.evidence.detail)) == ("us-east-1", "kms2")
    assert replica.evidence.resource == TABLE.replace("eu-west-3", "us-east-1")
    key = sorted(
        (f["unverifiable"], f["message"])
        for f in report(runner, str(declared(tmp_path)), "--observed", str(path))["findings"]
        if f["rule_id"] == "DRIFT-KEY-01"
    )
    assert key == [
        (
            False,
            "consultations-db: key declared external-key-store, observed "
            f"customer-managed-in-provider-kms ({KMS_US})",
        )
    ]


def test_a_replica_on_the_dynamodb_owned_key_is_named_as_the_replica(
    session: Any, stubbed: Any, tmp_path: Path, runner: CliRunner
) -> None:
    """A table on the DynamoDB-owned key: its replica is on the owned key of its region, and
    the finding about that key names the replica, not the table read in eu-west-3 (two
    identical lines before)."""
    stub_table(stubbed, "eu-west-3", table("eu-west-3", None, [{"RegionName": "us-east-1"}]))
    collector = AwsCollector(session, clients=stubbed.clients)
    path = tmp_path / "observed.yaml"
    path.write_text(dump_deployment(assemble(collector, collector.read_dynamodb("eu-west-3"))))
    messages = sorted(
        f["message"]
        for f in report(runner, str(declared(tmp_path)), "--observed", str(path))["findings"]
        if f["rule_id"] == "DRIFT-KEY-01"
    )
    assert messages == [
        f"consultations-db: key declared external-key-store, observed provider-managed ({TABLE})",
        "consultations-db: key declared external-key-store, observed provider-managed "
        f"({TABLE.replace('eu-west-3', 'us-east-1')})",
    ]


def test_backup_copies_and_s3_replicas_carry_the_key_of_where_they_are(
    aws: str, tmp_path: Path
) -> None:
    """A backup copy is encrypted with its vault's key (DescribeBackupVault's
    EncryptionKeyArn), an S3 replica with its rule's ReplicaKmsKeyID: never the source's key.
    A replication rule without one leaves the replicas' key unknown."""
    session = boto3.session.Session()
    kms = session.client("kms", region_name="eu-west-3")
    vault_key = kms.create_key(Description="vault")["KeyMetadata"]
    backup = session.client("backup", region_name="eu-west-3")
    backup.create_backup_vault(BackupVaultName="daily", EncryptionKeyArn=vault_key["Arn"])
    backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "records",
            "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "daily"}],
        }
    )
    s3 = session.client("s3", region_name="eu-west-3")
    replica_key = session.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]
    for name, destination in (
        ("patients-eu", {"EncryptionConfiguration": {"ReplicaKmsKeyID": replica_key["Arn"]}}),
        ("scans-eu", {}),
    ):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_replication(
            Bucket=name,
            ReplicationConfiguration={
                "Role": f"arn:aws:iam::{ACCOUNT}:role/replication",
                "Rules": [
                    {
                        "ID": "dr",
                        "Status": "Enabled",
                        "Priority": 1,
                        "Filter": {},
                        "DeleteMarkerReplication": {"Status": "Disabled"},
                        "Destination": {"Bucket": f"arn:aws:s3:::{name}-dr", **destination},
                    }
                ],
            },
        )
    out = tmp_path / "observed.yaml"
    result = discover("--region", "eu-west-3", "--region", "us-east-1", "-o", str(out))
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    keys = {
        c.id: [copy_key(x.evidence.detail) for x in c.copies if x.evidence]
        for c in observed.components
    }
    assert keys == {
        "backup-eu-west-3-records": [vault_key["KeyId"]],
        "s3-patients-eu": [replica_key["KeyId"]],
        "s3-scans-eu": ["unknown"],
    }

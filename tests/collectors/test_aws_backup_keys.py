"""An AWS Backup recovery point, or an RDS copy in another region, is judged on the key that
really protects it. AWS's "Encryption for backups in AWS Backup": only resource types AWS
Backup fully manages (S3) take the vault's key; RDS, Aurora and EBS keep their source's, and
DynamoDB's depends on a setting not read. KMS keys are regional: an encrypted RDS copy in
another region is on a key of its own. botocore's Stubber answers (moto's server implements
neither ListBackupSelections nor KMS keys on RDS replicas).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.clock import utc_today
from residency_audit.collectors.aws import AwsCollector
from residency_audit.format.dump import dump_deployment
from tests.collectors.test_aws_copy_keys import XKS
from tests.collectors.test_aws_stubbed import assemble, session, stubbed
from tests.conftest import SAMPLES
from tests.support.moto_server import ACCOUNT

__all__ = ["session", "stubbed"]  # fixtures

DB = f"arn:aws:rds:eu-west-3:{ACCOUNT}:db:records"
REPLICA = f"arn:aws:rds:us-east-1:{ACCOUNT}:db:records-us"
VAULT_KEY = f"arn:aws:kms:eu-west-3:{ACCOUNT}:key/vault1"
PLAN = f"arn:aws:backup:eu-west-3:{ACCOUNT}:backup-plan:p1"
VAULT = f"arn:aws:backup:eu-west-3:{ACCOUNT}:backup-vault:daily"


def observed_db(session: Any, stubbed: Any, path: Path, *, encrypted: bool) -> Path:
    """The sample's `records` instance (on the external key store, or unencrypted), with a
    read replica in us-east-1 (a region not read), backed up by a plan to a vault on an AWS KMS
    key of eu-west-3."""
    kms = stubbed("kms", "eu-west-3")
    ids = {XKS: "xks1", VAULT_KEY: "vault1"}
    kms.add_response("list_keys", {"Keys": [{"KeyId": i, "KeyArn": a} for a, i in ids.items()]})
    kms.add_response("list_aliases", {"Aliases": []})
    for (arn, key_id), origin in zip(ids.items(), ("EXTERNAL_KEY_STORE", "AWS_KMS"), strict=True):
        meta = {"KeyId": key_id, "Arn": arn, "Origin": origin, "KeyManager": "CUSTOMER"}
        kms.add_response("describe_key", {"KeyMetadata": meta}, {"KeyId": key_id})
    rds = stubbed("rds", "eu-west-3")
    db: dict[str, Any] = {
        "DBInstanceIdentifier": "records",
        "DBInstanceArn": DB,
        "Engine": "postgres",
        "StorageEncrypted": encrypted,
        "ReadReplicaDBInstanceIdentifiers": [REPLICA],
    }
    if encrypted:
        db["KmsKeyId"] = XKS
    rds.add_response("describe_db_instances", {"DBInstances": [db]})
    rds.add_response("describe_db_clusters", {"DBClusters": []})
    rds.add_response("describe_global_clusters", {"GlobalClusters": []})
    backup = stubbed("backup", "eu-west-3")
    plan = {"BackupPlanId": "p1", "BackupPlanArn": PLAN, "BackupPlanName": "records"}
    backup.add_response("list_backup_plans", {"BackupPlansList": [plan]})
    rule = {"RuleName": "daily", "TargetBackupVaultName": "daily"}
    body = {"BackupPlanName": "records", "Rules": [rule]}
    backup.add_response("get_backup_plan", {"BackupPlan": body, "BackupPlanArn": PLAN})
    vault = {"BackupVaultName": "daily", "BackupVaultArn": VAULT, "EncryptionKeyArn": VAULT_KEY}
    backup.add_response("describe_backup_vault", vault)
    backup.add_response("list_backup_selections", {"BackupSelectionsList": [{"SelectionId": "s1"}]})
    selection = {"SelectionName": "all", "IamRoleArn": "arn:aws:iam::1:role/b", "Resources": [DB]}
    backup.add_response("get_backup_selection", {"BackupSelection": selection})
    collector = AwsCollector(session, clients=stubbed.clients)
    resources = collector.read_rds("eu-west-3") + collector.read_backup("eu-west-3")
    keys = collector.read_keys("eu-west-3")
    path.write_text(dump_deployment(assemble(collector, resources, keys)))
    return path


def declared(tmp_path: Path) -> Path:
    """The sample declaration, its `records` instance (backed up in eu-west-3, on the external
    key store) also replicated to us-east-1."""
    text = (SAMPLES / "aws-declared.yaml").read_text()
    anchor = "    copies:\n      - kind: backup\n        region: eu-west-3\n"
    assert text.count(anchor) == 1
    path = tmp_path / "declared.yaml"
    path.write_text(text.replace(anchor, anchor + "      - {kind: replica, region: us-east-1}\n"))
    return path


def key_drift(runner: CliRunner, declared: Path, observed: Path) -> list[tuple[bool, str]]:
    # today in UTC, read at the call: after the discovery, even when the run crosses midnight
    args = ["check", str(declared), "--observed", str(observed), "--as-of", str(utc_today())]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return sorted(
        (f["unverifiable"], f["message"])
        for f in json.loads(result.stdout)["findings"]
        if f["rule_id"] == "DRIFT-KEY-01" and "records-db" in f["message"]
    )


def test_an_rds_backup_keeps_its_source_key_and_a_replica_elsewhere_is_unknown(
    session: Any, stubbed: Any, tmp_path: Path, runner: CliRunner
) -> None:
    """The instance is on the declared external key store: its backup, in its region, is too
    (judged on the vault's AWS KMS key, it was a false DRIFT-KEY-01); its us-east-1 replica is
    on a key of that region, not read (judged on the source's key, it passed silently)."""
    path = observed_db(session, stubbed, tmp_path / "observed.yaml", encrypted=True)
    assert key_drift(runner, declared(tmp_path), path) == [
        (
            True,
            "cannot be verified for unread key of replica of rds-records in us-east-1: unknown "
            f"observation.key_consistent. Required: the key protecting {REPLICA} gives the "
            "provider no more control than the declared key (records-db: declared "
            "external-key-store, observed unknown)",
        )
    ]


def test_an_unencrypted_rds_backed_up_to_a_vault_is_still_unencrypted(
    session: Any, stubbed: Any, tmp_path: Path, runner: CliRunner
) -> None:
    """An unencrypted instance's backups and replicas are unencrypted too: the vault's key,
    which AWS Backup does not apply to RDS, must not stand in for the missing encryption."""
    path = observed_db(session, stubbed, tmp_path / "observed.yaml", encrypted=False)
    found = key_drift(runner, declared(tmp_path), path)
    assert found == [
        (False, "records-db: key declared external-key-store, observed none (" + DB + ")")
    ]

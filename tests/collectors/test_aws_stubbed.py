"""Calls moto does not implement, answered by botocore's Stubber with responses shaped like the
AWS API reference examples: DynamoDB global-table replicas (moto ignores ReplicaUpdates), KMS
custom key stores (NotImplemented), RDS automated-backup replication (500) and AWS Backup
selections (NotImplemented). The collector runs unchanged; only its boto3 clients are stubbed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from residency_audit import kb
from residency_audit.collectors.aws import AwsCollector
from residency_audit.collectors.aws_client import Settings, Unread
from residency_audit.collectors.observed import Assumptions, Discovery, build_deployment
from residency_audit.format import load_deployment
from residency_audit.format.dump import dump_deployment

REGION = "eu-west-3"
ACCOUNT = "123456789012"


@pytest.fixture
def session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION
    )


@pytest.fixture
def stubbed(session: boto3.session.Session) -> Iterator[Any]:
    """`stub(service)` → a Stubber whose client the collector will use in eu-west-3."""
    stubs: list[Stubber] = []
    clients: dict[tuple[str, str], Any] = {}

    def stub(service: str) -> Stubber:
        client = session.client(service, region_name=REGION)
        clients[service, REGION] = client
        stubber = Stubber(client)
        stubber.activate()
        stubs.append(stubber)
        return stubber

    stub.clients = clients  # type: ignore[attr-defined]
    yield stub
    for stubber in stubs:
        stubber.assert_no_pending_responses()


def assemble(collector: AwsCollector, resources: list[Any], keys: list[Any] = ()) -> Any:
    found = Discovery(
        account=ACCOUNT,
        partition="aws",
        started_at="2026-11-28T00:00:00Z",
        regions=(REGION,),
        resources=resources,
        keys=list(keys),
        gaps=collector.gaps,
    )
    return build_deployment(found, kb.default(), Assumptions())


def test_dynamodb_global_table_replicas(session: Any, stubbed: Any) -> None:
    ddb = stubbed("dynamodb")
    ddb.add_response("list_tables", {"TableNames": ["consultations"]})
    ddb.add_response(
        "describe_table",
        {
            "Table": {
                "TableName": "consultations",
                "GlobalTableVersion": "2019.11.21",
                "TableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/consultations",
                "Replicas": [
                    {"RegionName": "us-east-1", "ReplicaStatus": "ACTIVE"},
                    {"RegionName": "eu-central-1", "ReplicaStatus": "ACTIVE"},
                ],
            }
        },
        {"TableName": "consultations"},
    )
    collector = AwsCollector(session, clients=stubbed.clients)
    d = assemble(collector, collector.read_dynamodb(REGION))
    table = d.components[0]
    assert table.id == "dynamodb-consultations"
    assert sorted(c.region for c in table.copies) == ["eu-central-1", "us-east-1"]
    key = d.key(table.key)
    assert key is not None and key.management.value == "provider-managed"


def test_external_key_store_key(session: Any, stubbed: Any) -> None:
    kms = stubbed("kms")
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    kms.add_response("list_keys", {"Keys": [{"KeyId": arn.rsplit("/")[-1], "KeyArn": arn}]})
    kms.add_response("list_aliases", {"Aliases": []})
    kms.add_response(
        "describe_key",
        {
            "KeyMetadata": {
                "KeyId": arn.rsplit("/")[-1],
                "Arn": arn,
                "KeyManager": "CUSTOMER",
                "Origin": "EXTERNAL_KEY_STORE",
                "CustomKeyStoreId": "cks-1234567890abcdef0",
                "KeyState": "Enabled",
            }
        },
        {"KeyId": arn.rsplit("/")[-1]},
    )
    kms.add_response(
        "describe_custom_key_stores",
        {
            "CustomKeyStores": [
                {
                    "CustomKeyStoreId": "cks-1234567890abcdef0",
                    "CustomKeyStoreName": "custodian",
                    "CustomKeyStoreType": "EXTERNAL_KEY_STORE",
                    "ConnectionState": "CONNECTED",
                }
            ]
        },
        {"CustomKeyStoreId": "cks-1234567890abcdef0"},
    )
    collector = AwsCollector(session, clients=stubbed.clients)
    [record] = collector.read_keys(REGION)
    assert record.management.value == "external-key-store"
    assert record.provider_can_use is None and not record.held_by_provider
    assert "CustomKeyStoreType=EXTERNAL_KEY_STORE" in (record.evidence.detail or "")


def test_rds_automated_backup_replication(session: Any, stubbed: Any) -> None:
    rds = stubbed("rds")
    arn = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:records"
    rds.add_response(
        "describe_db_instances",
        {
            "DBInstances": [
                {
                    "DBInstanceIdentifier": "records",
                    "DBInstanceArn": arn,
                    "Engine": "postgres",
                    "StorageEncrypted": False,
                    "DBInstanceAutomatedBackupsReplications": [
                        {
                            "DBInstanceAutomatedBackupsArn": f"arn:aws:rds:us-west-2:{ACCOUNT}:auto-backup:ab-abcdefghijklmnop"  # noqa: E501
                        }
                    ],
                }
            ]
        },
    )
    rds.add_response("describe_db_clusters", {"DBClusters": []})
    rds.add_response("describe_global_clusters", {"GlobalClusters": []})
    collector = AwsCollector(session, clients=stubbed.clients)
    d = assemble(collector, collector.read_rds(REGION))
    assert [(c.kind.value, c.region) for c in d.components[0].copies] == [("backup", "us-west-2")]


def test_backup_copies_attach_to_the_protected_database(session: Any, stubbed: Any) -> None:
    rds = stubbed("rds")
    db = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:records"
    rds.add_response(
        "describe_db_instances",
        {
            "DBInstances": [
                {"DBInstanceIdentifier": "records", "DBInstanceArn": db, "StorageEncrypted": False}
            ]
        },
    )
    rds.add_response("describe_db_clusters", {"DBClusters": []})
    rds.add_response("describe_global_clusters", {"GlobalClusters": []})
    backup = stubbed("backup")
    plan = f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-plan:p1"
    backup.add_response(
        "list_backup_plans",
        {
            "BackupPlansList": [
                {"BackupPlanId": "p1", "BackupPlanArn": plan, "BackupPlanName": "daily"}
            ]
        },
    )
    backup.add_response(
        "get_backup_plan",
        {
            "BackupPlan": {
                "BackupPlanName": "daily",
                "Rules": [
                    {
                        "RuleName": "d",
                        "TargetBackupVaultName": "vault",
                        "CopyActions": [
                            {
                                "DestinationBackupVaultArn": "arn:aws:backup:us-east-1:210987654321:backup-vault:dr"  # noqa: E501
                            }
                        ],
                    }
                ],
            }
        },
        {"BackupPlanId": "p1"},
    )
    backup.add_response(
        "list_backup_selections",
        {"BackupSelectionsList": [{"SelectionId": "s1", "BackupPlanId": "p1"}]},
        {"BackupPlanId": "p1"},
    )
    backup.add_response(
        "get_backup_selection",
        {
            "BackupSelection": {
                "SelectionName": "db",
                "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/b",
                "Resources": ["arn:aws:rds:*:*:db:*"],
            }
        },
        {"BackupPlanId": "p1", "SelectionId": "s1"},
    )
    collector = AwsCollector(session, clients=stubbed.clients)
    d = assemble(collector, collector.read_rds(REGION) + collector.read_backup(REGION))
    assert [c.id for c in d.components] == ["rds-records"]
    copies = d.components[0].copies
    assert {(c.kind.value, c.region) for c in copies} == {
        ("backup", REGION),
        ("backup", "us-east-1"),
    }
    cross = next(c for c in copies if c.region == "us-east-1")
    assert cross.evidence is not None and "Account=210987654321" in (cross.evidence.detail or "")


def refused_list_tables(session: Any, stubbed: Any, **error: Any) -> tuple[AwsCollector, Any]:
    """A collector whose DynamoDB ListTables is answered with `error`, tried once, and the one
    gap it recorded."""
    stubbed("dynamodb").add_client_error("list_tables", **error)
    collector = AwsCollector(session, settings=Settings(max_attempts=1), clients=stubbed.clients)
    with pytest.raises(Unread):
        collector.read_dynamodb(REGION)
    [gap] = collector.gaps
    return collector, gap


def test_throttling_beyond_retries_is_not_observed(session: Any, stubbed: Any) -> None:
    _, gap = refused_list_tables(
        session, stubbed, service_error_code="ThrottlingException", http_status_code=400
    )
    assert gap.reason == "throttled beyond 1 attempts (ThrottlingException)"
    assert gap.permission == "dynamodb:ListTables"


def test_a_server_message_with_control_characters_still_gives_a_loadable_file(
    session: Any, stubbed: Any, tmp_path: Path
) -> None:
    """AWS error text is copied into the observed file; a control character or line break in
    it would make `check` refuse the very file `discover` wrote."""
    collector, gap = refused_list_tables(
        session,
        stubbed,
        service_error_code="ValidationException",
        service_message="bad \x1b[31mrequest\x07 here",
        http_status_code=400,
    )
    assert gap.reason == "ValidationException: bad  [31mrequest  here"
    path = tmp_path / "observed.yaml"
    path.write_text(dump_deployment(assemble(collector, [])))
    observed, _ = load_deployment(path)
    assert observed.observation is not None
    assert observed.observation.not_observed[0].reason == gap.reason


def test_a_bare_403_is_access_denied_not_a_service_error(session: Any, stubbed: Any) -> None:
    """CloudFront can refuse with HTTP 403 and no error code: still a permission to grant."""
    _, gap = refused_list_tables(session, stubbed, service_error_code="", http_status_code=403)
    assert gap.reason == "access denied (HTTP 403)"
    assert gap.permission == "dynamodb:ListTables"

"""Calls moto does not implement, answered by botocore's Stubber with responses shaped like the
AWS API reference examples: DynamoDB global-table replicas (moto ignores ReplicaUpdates), KMS
custom key stores (NotImplemented), RDS automated-backup replication (500) and AWS Backup
selections (NotImplemented). The collector runs unchanged; only its boto3 clients are stubbed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from residency_audit import kb
from residency_audit.cli import app
from residency_audit.collectors.aws import AwsCollector
from residency_audit.collectors.aws_client import Settings, Unread
from residency_audit.collectors.observed import Assumptions, Discovery, build_deployment
from residency_audit.format import load_deployment
from residency_audit.format.dump import dump_deployment
from tests.conftest import AS_OF, SAMPLES

REGION = "eu-west-3"
ACCOUNT = "123456789012"
DECLARED = SAMPLES / "aws-declared.yaml"


@pytest.fixture
def session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION
    )


@pytest.fixture
def stubbed(session: boto3.session.Session) -> Iterator[Any]:
    """`stub(service, region="eu-west-3")` → a Stubber whose client the collector will use in
    that region."""
    stubs: list[Stubber] = []
    clients: dict[tuple[str, str], Any] = {}

    def stub(service: str, region: str = REGION) -> Stubber:
        client = session.client(service, region_name=region)
        clients[service, region] = client
        stubber = Stubber(client)
        stubber.activate()
        stubs.append(stubber)
        return stubber

    stub.clients = clients  # type: ignore[attr-defined]
    yield stub
    for stubber in stubs:
        stubber.assert_no_pending_responses()


def assemble(
    collector: AwsCollector,
    resources: list[Any],
    keys: list[Any] = (),
    regions: tuple[str, ...] = (REGION,),
) -> Any:
    found = Discovery(
        account=ACCOUNT,
        partition="aws",
        started_at="2026-11-28T00:00:00Z",
        regions=regions,
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
    assert gap.permission is None  # retrying, not a grant, is what it needs


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
    assert gap.reason == "error: ValidationException: bad  [31mrequest  here"
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


def stub_tables(stubbed: Any, region: str, tables: dict[str, list[str]]) -> None:
    """ListTables, DescribeTable and GetResourcePolicy (none) of `region`: each table with its
    replicas' regions."""
    ddb = stubbed("dynamodb", region)
    ddb.add_response("list_tables", {"TableNames": sorted(tables)})
    for name in sorted(tables):
        replicas = [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in tables[name]]
        table = {
            "TableName": name,
            "TableArn": f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}",
            **({"GlobalTableVersion": "2019.11.21", "Replicas": replicas} if replicas else {}),
        }
        ddb.add_response("describe_table", {"Table": table}, {"TableName": name})
        ddb.add_client_error(  # no resource-based policy: shared with no one
            "get_resource_policy",
            service_error_code="PolicyNotFoundException",
            expected_params={"ResourceArn": table["TableArn"]},
        )


def test_a_global_table_read_in_each_region_keeps_each_replica_in_its_region(
    session: Any, stubbed: Any, tmp_path: Path, runner: CliRunner
) -> None:
    """Without --region every region is read, and a global table is listed in each region
    holding a replica, each listing the others: it is one table with one place per region,
    each from its own DescribeTable evidence, and it matches the table declared by its name
    (only the undeclared replica region is drift)."""
    regions = ("eu-central-1", "eu-west-3", "us-east-1")
    for region in regions:
        stub_tables(stubbed, region, {"consultations": [r for r in regions if r != region]})
    collector = AwsCollector(session, clients=stubbed.clients)
    resources = [t for region in regions for t in collector.read_dynamodb(region)]
    d = assemble(collector, resources, regions=regions)
    [table] = d.components
    assert table.id == "dynamodb-consultations"
    assert sorted([table.region, *(c.region for c in table.copies)]) == list(regions)
    for copy in table.copies:
        assert copy.kind.value == "replica" and copy.account == ACCOUNT
        assert copy.evidence is not None
        assert copy.evidence.detail == (
            f"Replica RegionName={copy.region} ReplicaStatus=ACTIVE "
            f"Key=dynamodb-owned@{copy.region}"  # each replica on its region's owned key
        )

    observed = tmp_path / "observed.yaml"
    observed.write_text(dump_deployment(d))
    declared = tmp_path / "declared.yaml"
    declared.write_text(
        DECLARED.read_text().replace(
            "\nkeys:",
            "\n  - id: consultations-db\n    kind: datastore\n    provider: aws\n"
            "    operator: aws-emea\n    service: dynamodb\n    region: eu-west-3\n"
            "    resources: [consultations]\n"
            "    copies: [{kind: replica, region: eu-central-1}]\n\nkeys:",
            1,
        )
    )
    result = runner.invoke(
        app,
        ["check", str(declared), "--observed", str(observed), "-f", "json"],  # as of today
    )
    about = [  # the table's places (its DynamoDB-owned key, undeclared, is another matter)
        f
        for f in json.loads(result.stdout)["findings"]
        if f["rule_id"].startswith("DRIFT-")
        and "consultations" in f["message"]
        and not f["message"].startswith("observed key")
    ]
    assert [(f["rule_id"], f["component"], f["message"]) for f in about] == [
        (
            "DRIFT-LOC-01",
            "consultations-db",
            "consultations-db: replica observed in us-east-1 (US) but declared only in "
            "eu-central-1, eu-west-3",
        )
    ]


def test_tables_of_one_name_in_two_regions_that_do_not_replicate_are_two_stores(
    session: Any, stubbed: Any, tmp_path: Path
) -> None:
    """The same stack deployed in two regions: two tables `orders`, no replication. Each is a
    component of its own, and the observed file loads again (ids are unique)."""
    for region in ("eu-west-3", "us-east-1"):
        stub_tables(stubbed, region, {"orders": []})
    collector = AwsCollector(session, clients=stubbed.clients)
    resources = [t for r in ("eu-west-3", "us-east-1") for t in collector.read_dynamodb(r)]
    path = tmp_path / "observed.yaml"
    path.write_text(dump_deployment(assemble(collector, resources)))
    observed, _ = load_deployment(path)
    assert [(c.id, c.region, c.copies) for c in observed.components] == [
        ("dynamodb-eu-west-3-orders", "eu-west-3", ()),
        ("dynamodb-us-east-1-orders", "us-east-1", ()),
    ]


def test_a_global_table_replica_in_a_region_not_read_makes_its_sharing_unknown(
    session: Any, stubbed: Any
) -> None:
    """QA: a replica is a table with a resource-based policy of its own; read in eu-west-3
    only, a table replicated to us-east-1 was "shared with no one". Its replica's policy was
    not read: unknown, as for an RDS copy in a region not read. With us-east-1 read too, the
    replica is read there (and its sharing joins the table's when they are folded)."""
    for regions_read, expected in (
        (frozenset({"eu-west-3"}), ("unknown",)),
        (frozenset({"eu-west-3", "us-east-1"}), ()),
    ):
        stub_tables(stubbed, "eu-west-3", {"consultations": ["us-east-1"]})
        collector = AwsCollector(session, clients=stubbed.clients)
        collector.regions_read = regions_read
        [table] = collector.read_dynamodb("eu-west-3")
        assert table.shared_with == expected
        unread = "SharedThrough=table-policy-in-us-east-1:unknown"
        assert (unread in (table.evidence.detail or "")) == bool(expected)

"""Who an RDS instance or cluster is shared with, through its manual snapshots' `restore`
attribute, read by `discover aws` from moto's server over HTTP and judged by DRIFT-SHARE-01
(public) and DRIFT-SHARE-02 (another account) through the CLI.

moto 5.2 implements DescribeDBSnapshots, DescribeDBClusterSnapshots, their attribute calls and
ModifyDBSnapshotAttribute / ModifyDBClusterSnapshotAttribute (`restore`), and cross-region
read replicas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from typer.testing import CliRunner

from residency_audit.format import load_deployment
from tests.collectors.test_aws_access import denied, discover_as
from tests.collectors.test_aws_discovery import discover
from tests.collectors.test_aws_sharing import (
    DECLARED,
    OTHER,
    components,
    discovered_shares,
    findings,
)
from tests.support.moto_server import (
    aws,
    create_postgres,
    create_postgres_with_replica,
    moto_endpoint,
)

__all__ = ["aws", "moto_endpoint"]  # fixtures


def snapshot(session: Any, db: str, name: str, *accounts: str) -> None:
    """A manual snapshot of instance `db`, restorable by `accounts` (`all`: anyone)."""
    rds = session.client("rds", region_name="eu-west-3")
    rds.create_db_snapshot(DBInstanceIdentifier=db, DBSnapshotIdentifier=name)
    if accounts:
        rds.modify_db_snapshot_attribute(
            DBSnapshotIdentifier=name, AttributeName="restore", ValuesToAdd=list(accounts)
        )


def aurora(session: Any, name: str) -> None:
    session.client("rds", region_name="eu-west-3").create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-postgresql",
        MasterUsername="admin1",
        MasterUserPassword="password123",
    )


def test_public_and_shared_db_snapshots_are_the_databases_shares(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """A public manual snapshot makes its instance public (DRIFT-SHARE-01, naming the
    snapshot), one restorable by another account shares it (DRIFT-SHARE-02), as does a cluster
    snapshot its cluster; an instance with only a private manual snapshot, or none, is shared
    with no one and gives no finding."""
    session = boto3.session.Session()
    for db in ("records", "billing", "archive", "fresh"):
        create_postgres(session, db)
    snapshot(session, "records", "records-before-upgrade", "all")
    snapshot(session, "billing", "billing-for-partner", OTHER)
    snapshot(session, "archive", "archive-2025")  # manual, shared with no one
    aurora(session, "care")
    rds = session.client("rds", region_name="eu-west-3")
    rds.create_db_cluster_snapshot(
        DBClusterIdentifier="care", DBClusterSnapshotIdentifier="care-monthly"
    )
    rds.modify_db_cluster_snapshot_attribute(
        DBClusterSnapshotIdentifier="care-monthly", AttributeName="restore", ValuesToAdd=[OTHER]
    )
    out = tmp_path / "observed.yaml"
    assert discovered_shares(out, "rds") == {
        "rds-records": ("public",),
        "rds-billing": (OTHER,),
        "rds-archive": (),
        "rds-fresh": (),
        "rds-care": (OTHER,),
    }
    observed, _ = load_deployment(out)
    assert observed.observation is not None
    assert not observed.observation.not_observed  # nothing refused: read, not guessed

    declared = tmp_path / "declared.yaml"
    declared.write_text(DECLARED, encoding="utf-8")
    for args in ([str(out)], [str(declared), "--observed", str(out)]):
        code, found = findings(runner, *args)
        assert code == 1
        got = {(f["rule_id"], f["severity"], f["component"], f["unverifiable"]) for f in found}
        assert got == {
            ("DRIFT-SHARE-01", "critical", "rds-records", False),
            ("DRIFT-SHARE-02", "high", "rds-billing", False),
            ("DRIFT-SHARE-02", "high", "rds-care", False),
        }
        messages = {f["component"]: f["message"] for f in found}
        assert (
            "is public through DB snapshot records-before-upgrade (restore attribute)"
            in (messages["rds-records"])
        )
        assert (
            f"shared with account {OTHER} through DB snapshot billing-for-partner "
            "(restore attribute)" in messages["rds-billing"]
        )
        assert (
            "through DB cluster snapshot care-monthly (restore attribute)" in (messages["rds-care"])
        )


def test_a_refused_snapshot_attribute_read_cannot_be_verified(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    session = boto3.session.Session()
    create_postgres(session, "records")
    snapshot(session, "records", "records-before-upgrade")
    out = tmp_path / "observed.yaml"
    with denied(aws, "no-rds-sharing", "rds:DescribeDBSnapshotAttributes") as env:
        result = discover_as(env, out)
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    assert components(observed)["rds-records"].shared_with == ("unknown",)  # never ()
    assert observed.observation is not None
    gap = next(
        g for g in observed.observation.not_observed if g.call == "DescribeDBSnapshotAttributes"
    )
    assert gap.reason.startswith("access denied")
    assert gap.reason.endswith(":snapshot:records-before-upgrade")

    code, found = findings(runner, str(out))
    assert code == 1
    records = [f for f in found if f["component"] == "rds-records"]
    assert {(f["rule_id"], f["unverifiable"]) for f in records} == {
        ("DRIFT-SHARE-01", True),
        ("DRIFT-SHARE-02", True),
    }
    assert all("refused, failed or not made" in f["message"] for f in records)


def test_a_refused_snapshot_list_cannot_be_verified(aws: str, tmp_path: Path) -> None:
    session = boto3.session.Session()
    create_postgres(session, "records")
    aurora(session, "care")
    out = tmp_path / "observed.yaml"
    with denied(aws, "no-rds-snapshots", "rds:DescribeDBSnapshots") as env:
        result = discover_as(env, out)
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    by_id = components(observed)
    assert by_id["rds-records"].shared_with == ("unknown",)
    assert by_id["rds-care"].shared_with == ()  # its cluster snapshots were listed
    assert observed.observation is not None
    assert "DescribeDBSnapshots" in {g.call for g in observed.observation.not_observed}


def test_a_shared_snapshot_of_a_deleted_database_is_a_store_of_its_own(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """The instance is gone, its public snapshot is not: it is reported, never silence."""
    session = boto3.session.Session()
    create_postgres(session, "old-records")
    snapshot(session, "old-records", "old-records-final", "all")
    session.client("rds", region_name="eu-west-3").delete_db_instance(
        DBInstanceIdentifier="old-records", SkipFinalSnapshot=True
    )
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    observed, _ = load_deployment(out)
    alone = components(observed)["rds-old-records-final"]
    assert alone.shared_with == ("public",)
    code, found = findings(runner, str(out))
    assert code == 1
    assert [(f["rule_id"], f["component"]) for f in found] == [
        ("DRIFT-SHARE-01", "rds-old-records-final")
    ]


def test_a_replica_in_a_region_not_read_leaves_the_sharing_unknown(
    aws: str, tmp_path: Path
) -> None:
    """The read replica in us-east-1, left out by --region, may have manual snapshots there
    that were not listed: unknown, never "shared with no one"."""
    create_postgres_with_replica(boto3.session.Session(), "records", "us-east-1")
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    observed, _ = load_deployment(out)
    records = components(observed)["rds-records"]
    assert records.shared_with == ("unknown",)
    assert records.evidence is not None
    assert "SharedThrough=dbsnapshots-in-us-east-1:unknown" in str(records.evidence.detail)

    both = tmp_path / "both.yaml"
    args = ("--region", "eu-west-3", "--region", "us-east-1", "-o", str(both))
    assert discover(*args).returncode == 0
    observed, _ = load_deployment(both)
    assert components(observed)["rds-records"].shared_with == ()

"""The sharing of a store whose replica lies in a region read but was not read there, read by
`discover aws` from moto's server over HTTP and judged by DRIFT-SHARE-01 and DRIFT-SHARE-02.

A replica is a store of its own (a global table replica has its own resource-based policy, a
read replica its own manual snapshots); read in its region, its sharing joins its source's when
the two are folded (`observed._merge`). Not read there, its sharing is unknown, and so is its
source's: never "shared with no one".

A refusal in one region only is made with moto's IAM (which reads actions, not regions or
conditions): the collector runs in-process as a user allowed everything, and the client of one
(service, region) is made with the credentials of a user refused some calls. moto 5.2 ignores
DynamoDB's ReplicaUpdates, so DescribeTable's `Replicas` (as AWS's API reference shows it) is
added to moto's reply by a botocore `after-call` handler; every call still reaches moto.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from typer.testing import CliRunner

from residency_audit import kb
from residency_audit.collectors.aws import AwsCollector
from residency_audit.collectors.aws_client import Settings
from residency_audit.collectors.observed import Assumptions, build_deployment
from residency_audit.format import load_deployment
from residency_audit.format.dump import dump_deployment
from residency_audit.model import Deployment
from tests.collectors.test_aws_sharing import components, findings
from tests.support.moto_server import (
    aws,
    create_postgres,
    create_postgres_with_replica,
    moto_endpoint,
    post,
)

__all__ = ["aws", "moto_endpoint"]  # fixtures

REGIONS = ("eu-west-3", "us-east-1")


@contextmanager
def refused(aws: str, *actions: str) -> Iterator[tuple[Any, Any]]:
    """(a session allowed everything, one refused `actions`), with moto enforcing IAM for as
    long as the block runs. NOTE: with IAM enforced, moto 5.2 refuses AWS Backup and
    CloudFront calls whatever the policy (`test_aws_access`): gaps beside the point here."""
    iam = boto3.session.Session().client("iam", region_name="us-east-1")
    sessions = []
    for name, denied in (("reader", []), ("refused", list(actions))):
        statements: list[dict[str, Any]] = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
        if denied:
            statements.append({"Effect": "Deny", "Action": denied, "Resource": "*"})
        policy = {"Version": "2012-10-17", "Statement": statements}
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        sessions.append(
            boto3.session.Session(
                aws_access_key_id=key["AccessKeyId"],
                aws_secret_access_key=key["SecretAccessKey"],
                aws_session_token=None,
                region_name="eu-west-3",
            )
        )
    post(aws, "/moto-api/reset-auth", b"0")
    try:
        yield sessions[0], sessions[1]
    finally:
        post(aws, "/moto-api/reset-auth", b"inf")


def observe(tmp_path: Path, session: Any, clients: dict[tuple[str, str], Any]) -> Path:
    """`discover aws` of eu-west-3 and us-east-1, in-process with `clients` pre-seeded,
    written as an observed file."""
    collector = AwsCollector(session, settings=Settings(max_attempts=1), clients=clients)
    found = collector.collect(REGIONS)
    out = tmp_path / "observed.yaml"
    out.write_text(dump_deployment(build_deployment(found, kb.default(), Assumptions())))
    return out


def load(path: Path) -> Deployment:
    observed, _ = load_deployment(path)
    return observed


# -- DynamoDB global tables ---------------------------------------------------------------------


def create_table(session: Any, region: str, name: str) -> str:
    return str(
        session.client("dynamodb", region_name=region).create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )["TableDescription"]["TableArn"]
    )


def replicated(client: Any, *regions: str) -> Any:
    """`client`, whose DescribeTable replies list replicas in `regions` (a version 2019.11.21
    global table, as AWS describes one; moto ignores ReplicaUpdates)."""

    def add_replicas(parsed: dict[str, Any], **_: Any) -> None:
        table = parsed.get("Table")
        if table is not None:
            table["GlobalTableVersion"] = "2019.11.21"
            table["Replicas"] = [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in regions]

    client.meta.events.register("after-call.dynamodb.DescribeTable", add_replicas)
    return client


def test_a_replica_not_read_in_a_region_read_leaves_the_tables_sharing_unknown(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """QA: `consultations` in eu-west-3 has a replica in us-east-1, a region read, where
    ListTables was refused: the replica's policy was not read, yet the table was "shared with
    no one". Its sharing is unknown (DRIFT-SHARE-01/02 cannot be verified), naming the
    replica's policy."""
    plain = boto3.session.Session()
    create_table(plain, "eu-west-3", "consultations")
    create_table(plain, "us-east-1", "consultations")
    with refused(aws, "dynamodb:ListTables") as (reader, denied):
        out = observe(
            tmp_path,
            reader,
            {
                ("dynamodb", "eu-west-3"): replicated(
                    reader.client("dynamodb", region_name="eu-west-3"), "eu-west-3", "us-east-1"
                ),
                ("dynamodb", "us-east-1"): denied.client("dynamodb", region_name="us-east-1"),
            },
        )
    observed = load(out)
    table = components(observed)["dynamodb-consultations"]
    assert table.shared_with == ("unknown",)
    assert table.evidence is not None
    assert "SharedThrough=table-policy-in-us-east-1:unknown" in str(table.evidence.detail)
    assert observed.observation is not None
    gaps = {(g.service, g.call, g.region) for g in observed.observation.not_observed}
    assert ("dynamodb", "ListTables", "us-east-1") in gaps
    # the refusal says why: no gap of its own for the replica
    assert ("dynamodb", "GetResourcePolicy", "us-east-1") not in gaps

    code, found = findings(runner, str(out))
    assert code == 1
    got = {(f["rule_id"], f["component"], f["unverifiable"]) for f in found}
    assert got == {
        ("DRIFT-SHARE-01", "dynamodb-consultations", True),
        ("DRIFT-SHARE-02", "dynamodb-consultations", True),
    }
    assert all(
        "the resource-based policy of its replica in us-east-1, not read" in f["message"]
        for f in found
    )


def test_a_replica_not_listed_is_a_gap_and_leaves_the_sharing_unknown(
    aws: str, tmp_path: Path
) -> None:
    """ListTables in us-east-1 answered, without the replica (being created, say): its policy
    was not read, and no refusal says so, so a gap names it. Read there, the replica brings
    its own sharing (none) and the table is shared with no one."""
    session = boto3.session.Session()
    create_table(session, "eu-west-3", "consultations")
    clients = {
        ("dynamodb", "eu-west-3"): replicated(
            session.client("dynamodb", region_name="eu-west-3"), "eu-west-3", "us-east-1"
        ),
    }
    observed = load(observe(tmp_path, session, clients))
    assert components(observed)["dynamodb-consultations"].shared_with == ("unknown",)
    assert observed.observation is not None
    [gap] = [g for g in observed.observation.not_observed if g.call == "GetResourcePolicy"]
    assert gap.region == "us-east-1"
    assert gap.reason == (
        "error: the global table replica was not listed by ListTables in us-east-1, so not "
        "called for arn:aws:dynamodb:us-east-1:123456789012:table/consultations"
    )
    assert gap.permission is None

    create_table(session, "us-east-1", "consultations")
    clients[("dynamodb", "us-east-1")] = replicated(
        session.client("dynamodb", region_name="us-east-1"), "eu-west-3", "us-east-1"
    )
    observed = load(observe(tmp_path, session, clients))
    assert components(observed)["dynamodb-consultations"].shared_with == ()
    assert observed.observation is not None
    assert not [g for g in observed.observation.not_observed if g.service == "dynamodb"]


# -- RDS read replicas ---------------------------------------------------------------------------


def test_a_read_replica_not_read_where_snapshots_were_not_listed_leaves_the_sharing_unknown(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """QA: `records` in eu-west-3 has a read replica in us-east-1, a region read, where
    DescribeDBInstances and DescribeDBSnapshots were refused: the replica's manual snapshots
    were not listed, yet `records` was "shared with no one". Its sharing is unknown."""
    create_postgres_with_replica(boto3.session.Session(), "records", "us-east-1")
    with refused(aws, "rds:DescribeDBInstances", "rds:DescribeDBSnapshots") as (reader, denied):
        out = observe(tmp_path, reader, {("rds", "us-east-1"): denied.client("rds", "us-east-1")})
    observed = load(out)
    records = components(observed)["rds-records"]
    assert records.shared_with == ("unknown",)
    assert records.evidence is not None
    assert "SharedThrough=dbsnapshots-in-us-east-1:unknown" in str(records.evidence.detail)

    code, found = findings(runner, str(out))
    assert code == 1
    assert {(f["rule_id"], f["component"], f["unverifiable"]) for f in found} == {
        ("DRIFT-SHARE-01", "rds-records", True),
        ("DRIFT-SHARE-02", "rds-records", True),
    }
    assert all("the DB snapshots in us-east-1, not read" in f["message"] for f in found)


def test_a_read_replica_not_read_whose_snapshots_were_listed_shares_nothing_unseen(
    aws: str, tmp_path: Path
) -> None:
    """The replica was not read (DescribeDBInstances refused in us-east-1), but the region's
    snapshots were listed: none of it is shared, so nothing is unknown (a shared one would be
    a store of its own, `test_aws_sharing_rds`)."""
    create_postgres_with_replica(boto3.session.Session(), "records", "us-east-1")
    with refused(aws, "rds:DescribeDBInstances") as (reader, denied):
        out = observe(tmp_path, reader, {("rds", "us-east-1"): denied.client("rds", "us-east-1")})
    assert components(load(out))["rds-records"].shared_with == ()

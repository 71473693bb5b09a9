"""Who a DynamoDB table is shared with, through its resource-based policy, read by `discover
aws` from moto's server over HTTP and judged by DRIFT-SHARE-01 and DRIFT-SHARE-02.

moto 5.2 implements PutResourcePolicy and GetResourcePolicy for tables (PolicyNotFoundException
when there is none); it does not accept a stream's ARN, so the tables here have no stream.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from typer.testing import CliRunner

from residency_audit.format import load_deployment
from tests.collectors.test_aws_access import denied, discover_as
from tests.collectors.test_aws_discovery import discover
from tests.collectors.test_aws_sharing import OTHER, components, discovered_shares, findings
from tests.support.moto_server import ACCOUNT, aws, moto_endpoint

__all__ = ["aws", "moto_endpoint"]  # fixtures


def table(session: Any, name: str, *statements: dict[str, Any]) -> None:
    """A table in eu-west-3 with a resource-based policy made of `statements`, if any."""
    dynamodb = session.client("dynamodb", region_name="eu-west-3")
    arn = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]
    if statements:
        policy = {"Version": "2012-10-17", "Statement": list(statements)}
        dynamodb.put_resource_policy(ResourceArn=arn, Policy=json.dumps(policy))


def allow(principal: Any, **condition: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "dynamodb:GetItem",
        "Resource": "*",
        **({"Condition": condition} if condition else {}),
    }


def test_a_table_policy_naming_another_account_shares_the_table(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """A policy letting another account in shares the table (DRIFT-SHARE-02, naming the
    policy); one naming only the account itself, or no policy, shares it with no one; a
    `"*"` narrowed to an organisation names no account: unknown. A `"*"` without a condition
    is public: AWS's block public access refuses such a policy, moto does not, and a policy
    read so is reported, never assumed refused."""
    session = boto3.session.Session()
    table(session, "appointments", allow({"AWS": f"arn:aws:iam::{OTHER}:root"}))
    table(session, "own", allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    table(session, "plain")
    table(session, "open", allow("*"))
    table(
        session,
        "org",
        allow({"AWS": "*"}, StringEquals={"aws:PrincipalOrgID": "o-abc123def4"}),
    )
    out = tmp_path / "observed.yaml"
    assert discovered_shares(out, "dynamodb") == {
        "dynamodb-appointments": (OTHER,),
        "dynamodb-own": (),
        "dynamodb-plain": (),
        "dynamodb-org": ("unknown",),
        "dynamodb-open": ("public",),
    }

    code, found = findings(runner, str(out))
    assert code == 1
    got = {(f["rule_id"], f["component"], f["unverifiable"]) for f in found}
    assert got == {
        ("DRIFT-SHARE-02", "dynamodb-appointments", False),
        ("DRIFT-SHARE-01", "dynamodb-org", True),
        ("DRIFT-SHARE-02", "dynamodb-org", True),
        ("DRIFT-SHARE-01", "dynamodb-open", False),
    }
    shared = next(f for f in found if f["component"] == "dynamodb-appointments")
    assert (
        f"shared with account {OTHER} through the table's resource-based policy,"
        in shared["message"]
    )
    # QA: "unknown" sent the reader to a refused call that does not exist: it names the policy
    unknown = next(f for f in found if f["component"] == "dynamodb-org")
    assert "unknown, through the table's resource-based policy:" in unknown["message"]
    # QA: the owned key read with a table carried the table's sharing in its evidence
    observed, _ = load_deployment(out)
    assert observed.keys and not [k for k in observed.keys if "SharedThrough" in str(k.evidence)]


def test_a_refused_policy_read_cannot_be_verified(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    table(boto3.session.Session(), "appointments")
    out = tmp_path / "observed.yaml"
    with denied(aws, "no-table-policy", "dynamodb:GetResourcePolicy") as env:
        result = discover_as(env, out)
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    assert components(observed)["dynamodb-appointments"].shared_with == ("unknown",)
    assert observed.observation is not None
    gap = next(g for g in observed.observation.not_observed if g.call == "GetResourcePolicy")
    assert gap.reason.startswith("access denied")
    assert gap.reason.endswith(":table/appointments")

    code, found = findings(runner, str(out))
    assert code == 1
    assert {(f["rule_id"], f["component"], f["unverifiable"]) for f in found} == {
        ("DRIFT-SHARE-01", "dynamodb-appointments", True),
        ("DRIFT-SHARE-02", "dynamodb-appointments", True),
    }


def test_a_star_open_over_https_only_is_public(aws: str, tmp_path: Path, runner: CliRunner) -> None:
    """QA: a `"*"` allowed on the sole condition `aws:SecureTransport` true was `unknown`,
    yet anyone can call over HTTPS: public (DRIFT-SHARE-01), as AWS's meaning of "public"
    has it. With a key that narrows who (aws:PrincipalOrgID) beside it, or a key the tool
    does not know to narrow no one (aws:Referer, a time window), it stays unknown."""
    session = boto3.session.Session()
    https = {"aws:SecureTransport": "true"}
    table(session, "https", allow("*", Bool=https))
    table(
        session, "https-list", allow({"AWS": ["*"]}, BoolIfExists={"aws:SecureTransport": ["true"]})
    )
    table(
        session,
        "https-org",
        allow("*", Bool=https, StringEquals={"aws:PrincipalOrgID": "o-abc123def4"}),
    )
    table(session, "referer", allow("*", StringEquals={"aws:Referer": "secret"}))
    table(session, "plain-http", allow("*", Bool={"aws:SecureTransport": "false"}))
    table(
        session,
        "https-account",
        allow("*", Bool=https, StringEquals={"aws:PrincipalAccount": OTHER}),
    )
    out = tmp_path / "observed.yaml"
    assert discovered_shares(out, "dynamodb") == {
        "dynamodb-https": ("public",),
        "dynamodb-https-list": ("public",),
        "dynamodb-https-org": ("unknown",),
        "dynamodb-referer": ("unknown",),
        "dynamodb-plain-http": ("unknown",),
        "dynamodb-https-account": (OTHER,),
    }
    code, found = findings(runner, str(out))
    assert code == 1
    public = next(f for f in found if f["component"] == "dynamodb-https")
    assert (public["rule_id"], public["unverifiable"]) == ("DRIFT-SHARE-01", False)
    assert "is public through the table's resource-based policy" in public["message"]

"""A reply AWS would never send is unread, never an empty account nor a crash.

A proxy on 127.0.0.1 (tests/support/faulty_proxy.py) stands in front of the moto server and
answers chosen services (or chosen calls of a service) with a 200 HTML page, an empty body or
`{}`, as a captive portal or a broken gateway would; every other call reaches moto over HTTP.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.clock import utc_today
from residency_audit.format import load_deployment
from tests.conftest import ROOT, SAMPLES
from tests.support.faulty_proxy import faulty_proxy
from tests.support.moto_server import aws, aws_env, create_postgres, moto_endpoint

__all__ = ["aws", "moto_endpoint"]  # fixtures

SESSIONS = """\
  - id: sessions
    kind: datastore
    provider: aws
    operator: aws-emea
    service: dynamodb
    region: eu-west-3
    resources: [sessions]
    key: xks-key
    clear_text_processing: false

keys:
"""


def discover_through(endpoint: str, out: Path) -> subprocess.CompletedProcess[str]:
    """`discover aws` of eu-west-3, one attempt per call, through `endpoint`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AWS_ENDPOINT_URL": endpoint}
    args = ["discover", "aws", "--region", "eu-west-3", "--max-attempts", "1", "-o", str(out)]
    return subprocess.run(
        [sys.executable, "-m", "residency_audit", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def gaps(out: Path) -> dict[tuple[str, str], str]:
    observed, _ = load_deployment(out)
    assert observed.observation is not None
    return {(g.service, g.call): g.reason for g in observed.observation.not_observed}


def create_table(name: str) -> None:
    boto3.session.Session().client("dynamodb", region_name="eu-west-3").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_a_listing_answered_by_an_html_page_is_unread_not_empty(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """DynamoDB and KMS answer 200 with an HTML page (botocore parses it to a reply without
    TableNames or Keys): before, the table and the key vanished without a gap and a declared
    table was reported "not found"; now each listing is a gap and the audit is partial."""
    create_table("sessions")
    boto3.session.Session().client("kms", region_name="eu-west-3").create_key()
    out = tmp_path / "observed.yaml"
    with faulty_proxy(aws, {"dynamodb": "html", "kms": "html"}) as proxy:
        result = discover_through(proxy, out)
    assert result.returncode == 0, result.stderr
    found = gaps(out)
    assert found[("dynamodb", "ListTables")] == (
        "error: unreadable reply: no TableNames in the ListTables reply"
    )
    assert found[("kms", "ListKeys")] == "error: unreadable reply: no Keys in the ListKeys reply"

    declared = tmp_path / "declared.yaml"
    declared.write_text(
        (SAMPLES / "aws-declared.yaml").read_text(encoding="utf-8").replace("keys:\n", SESSIONS),
        encoding="utf-8",
    )
    args = ["check", str(declared), "--observed", str(out), "--as-of", str(utc_today())]
    report = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    assert report["complete"] is False
    assert any("dynamodb ListTables" in p for p in report["partial"])
    assert not [
        f["message"]
        for f in report["findings"]
        if f["rule_id"].startswith("DRIFT") and f["component"] == "sessions"
    ]  # before: a DRIFT finding saying the declared table was not found
    assert any(
        f["rule_id"] == "DRIFT-OBS-01" and "dynamodb ListTables in eu-west-3" in f["message"]
        for f in report["findings"]
    )


def test_an_account_without_distributions_is_read_complete(aws: str, tmp_path: Path) -> None:
    """CloudFront leaves DistributionList.Items out when there is no distribution (Quantity
    0): that reply is an empty list, not a gap. An HTML page in its place is a gap."""
    out = tmp_path / "observed.yaml"
    with faulty_proxy(aws, {}) as proxy:
        assert discover_through(proxy, out).returncode == 0
    assert ("cloudfront", "ListDistributions") not in gaps(out)
    with faulty_proxy(aws, {"cloudfront": "html"}) as proxy:
        assert discover_through(proxy, out).returncode == 0
    assert gaps(out)[("cloudfront", "ListDistributions")] == (
        "error: unreadable reply: no DistributionList.Items in the ListDistributions reply"
    )


def test_a_region_list_answered_by_an_html_page_is_unread(aws: str, tmp_path: Path) -> None:
    """EC2 answers an HTML page: DescribeRegions is a gap (before, the reply read as an
    account with no region and eu-west-3 was called unknown), and so are its listings."""
    out = tmp_path / "observed.yaml"
    with faulty_proxy(aws, {"ec2": "html"}) as proxy:
        assert discover_through(proxy, out).returncode == 0
    found = gaps(out)
    assert found[("ec2", "DescribeRegions")] == (
        "error: unreadable reply: no Regions in the DescribeRegions reply"
    )
    assert found[("ec2", "DescribeVolumes")] == (
        "error: unreadable reply: no Volumes in the DescribeVolumes reply"
    )


def test_a_malformed_rds_reply_is_a_gap_not_a_crash(aws: str, tmp_path: Path) -> None:
    """RDS (XML) answers an HTML page, then `{}`: botocore raises a bare KeyError for the
    first and a ResponseParserError (no BotoCoreError) for the second. Both aborted the whole
    discovery with exit 3; each is now a gap of the call, and the rest is written."""
    session = boto3.session.Session()
    session.client("s3", region_name="eu-west-3").create_bucket(
        Bucket="patients-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    create_postgres(session, "records")
    out = tmp_path / "observed.yaml"
    with faulty_proxy(aws, {"rds": "html"}) as proxy:
        result = discover_through(proxy, out)
    assert result.returncode == 0, result.stderr
    assert gaps(out)[("rds", "DescribeDBInstances")] == (
        "error: unreadable reply: no DescribeDBInstancesResult in the DescribeDBInstances reply"
    )
    observed, _ = load_deployment(out)
    assert [c.id for c in observed.components] == ["s3-patients-eu"]

    with faulty_proxy(aws, {"rds": "emptyjson"}) as proxy:
        result = discover_through(proxy, out)
    assert result.returncode == 0, result.stderr
    reason = gaps(out)[("rds", "DescribeDBInstances")]
    assert reason.startswith("error: unreadable reply: Unable to parse response"), reason
    assert "PARTIAL" in out.read_text(encoding="utf-8")


def test_an_endpoint_that_does_not_answer_is_named_not_the_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing listens on the endpoint: the message sends the user to the endpoint and the
    network (before, to the credentials, which were never judged); exit 2, nothing written."""
    with socket.socket() as bound:  # bound, never listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{bound.getsockname()[1]}"
        for key, value in aws_env(endpoint).items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        out = tmp_path / "observed.yaml"
        result = discover_through(endpoint, out)
    assert result.returncode == 2
    assert result.stderr == (
        "error: aws: cannot identify the account (sts GetCallerIdentity in eu-west-3): Could not "
        f'connect to the endpoint URL: "{endpoint}/"; check the endpoint (AWS_ENDPOINT_URL, '
        "proxy settings) and the network\n"
    )
    assert not out.exists()


LOCATION = r"s3 GET /[^/?]+/?\?location"
"""GetBucketLocation's requests (path-style, as botocore always sends them)."""


def test_a_bucket_location_answered_by_an_html_page_is_unread_not_us_east_1(
    aws: str, tmp_path: Path
) -> None:
    """botocore reads GetBucketLocation's body itself and takes an HTML page's missing text
    for null, which S3 answers for us-east-1: before, a bucket in eu-west-3 was observed in
    us-east-1 without a gap (and an empty body crashed discover with exit 3). Now neither
    reply places the bucket; each is a gap naming it. A real us-east-1 bucket (null) still
    reads as us-east-1, with no gap."""
    s3 = boto3.session.Session().client("s3", region_name="eu-west-3")
    s3.create_bucket(
        Bucket="patients-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    boto3.session.Session().client("s3", region_name="us-east-1").create_bucket(Bucket="virginia")
    out = tmp_path / "observed.yaml"
    with faulty_proxy(aws, {}) as proxy:
        assert discover_through(proxy, out).returncode == 0
    assert ("s3", "GetBucketLocation") not in gaps(out)
    observed, _ = load_deployment(out)
    assert {c.id: c.region for c in observed.components} == {
        "s3-patients-eu": "eu-west-3",
        "s3-virginia": "us-east-1",
    }

    for fault, problem in (
        ("html", "no LocationConstraint in the GetBucketLocation reply"),
        ("empty", "no element found: line 1, column 0"),
    ):
        with faulty_proxy(aws, {LOCATION: fault}) as proxy:
            result = discover_through(proxy, out)
        assert result.returncode == 0, result.stderr
        observed, _ = load_deployment(out)
        assert {c.id: c.region for c in observed.components} == {
            "s3-patients-eu": None,
            "s3-virginia": None,
        }
        assert observed.observation is not None
        reasons = {
            g.reason for g in observed.observation.not_observed if g.call == "GetBucketLocation"
        }
        assert reasons == {
            f"error: unreadable reply: {problem} for arn:aws:s3:::{name}"
            for name in ("patients-eu", "virginia")
        }


def create_backup_plan(session: boto3.session.Session) -> str:
    """A plan in eu-west-3 backing up to its vault `v`; its id."""
    backup = session.client("backup", region_name="eu-west-3")
    backup.create_backup_vault(BackupVaultName="v")
    plan = {"BackupPlanName": "daily", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "v"}]}
    return str(backup.create_backup_plan(BackupPlan=plan)["BackupPlanId"])


SELECTIONS = r"backup GET /backup/plans/[^/]+/selections/$"
"""ListBackupSelections, which moto does not serve: the proxy answers one selection `s1`."""


@pytest.mark.parametrize(
    ("faults", "call", "reason"),
    [
        (
            {
                SELECTIONS: (
                    "application/json",
                    b'{"BackupSelectionsList":[{"SelectionId":"s1"}]}',
                ),
                r"backup GET /backup/plans/[^/]+/selections/s1$": "emptyjson",
            },
            ("backup", "GetBackupSelection"),
            "no BackupSelection in the GetBackupSelection reply for selection s1 of backup "
            "plan {plan}",
        ),
        (
            {r"backup GET /backup/plans/[^/]+/$": "emptyjson"},
            ("backup", "GetBackupPlan"),
            "no BackupPlan.Rules in the GetBackupPlan reply for "
            "arn:aws:backup:eu-west-3:123456789012:backup-plan:{plan}",
        ),
        (
            {"dynamodb DynamoDB_20120810.DescribeTable": "emptyjson"},
            ("dynamodb", "DescribeTable"),
            "no Table.TableArn in the DescribeTable reply for table sessions",
        ),
        (
            {"kms TrentService.DescribeKey": "emptyjson"},
            ("kms", "DescribeKey"),
            "no KeyMetadata.KeyId in the DescribeKey reply for {key}",
        ),
        (
            {r"s3 GET /[^/?]+/?\?encryption": "html"},
            ("s3", "GetBucketEncryption"),
            "no ServerSideEncryptionConfiguration.Rules in the GetBucketEncryption reply for "
            "arn:aws:s3:::patients-eu",
        ),
        (
            {r"s3 GET /[^/?]+/?\?replication": "html"},
            ("s3", "GetBucketReplication"),
            "no ReplicationConfiguration.Rules in the GetBucketReplication reply for "
            "arn:aws:s3:::patients-eu",
        ),
    ],
    ids=["selection", "plan", "table", "key", "encryption", "replication"],
)
def test_a_single_resource_reply_without_its_member_is_unread(
    aws: str,
    tmp_path: Path,
    faults: dict[str, str | tuple[str, bytes]],
    call: tuple[str, str],
    reason: str,
) -> None:
    """A 200 reply (`{}` or an HTML page) to a call reading one resource lacks the member the
    call exists to return. Before, a selection read as protecting nothing, a plan as having no
    rule (no backup copy), a bucket as neither encrypted nor replicated, all without a gap, and
    a table or key crashed discover (exit 3, nothing written). Each is now a gap naming the
    resource, and the observation is partial."""
    session = boto3.session.Session()
    session.client("s3", region_name="eu-west-3").create_bucket(
        Bucket="patients-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    create_table("sessions")
    key = session.client("kms", region_name="eu-west-3").create_key()["KeyMetadata"]["Arn"]
    plan = create_backup_plan(session)
    out = tmp_path / "observed.yaml"
    with faulty_proxy(aws, faults) as proxy:
        result = discover_through(proxy, out)
    assert result.returncode == 0, result.stderr
    expected = "error: unreadable reply: " + reason.format(plan=plan, key=key)
    assert gaps(out)[call] == expected
    assert "PARTIAL" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("faults", "service", "call", "reason"),
    [
        (
            {r"s3 GET /[^/?]+/?\?acl": "html"},
            "s3",
            "GetBucketAcl",
            "no Owner in the GetBucketAcl reply for arn:aws:s3:::patients-eu",
        ),
        (
            {"dynamodb DynamoDB_20120810.GetResourcePolicy": "emptyjson"},
            "dynamodb",
            "GetResourcePolicy",
            "no Policy in the GetResourcePolicy reply for "
            "arn:aws:dynamodb:eu-west-3:123456789012:table/sessions",
        ),
        (
            {"ec2 Action=DescribeSnapshotAttribute": "html"},
            "ebs",
            "DescribeSnapshotAttribute",
            "no SnapshotId in the DescribeSnapshotAttribute reply for "
            "arn:aws:ec2:eu-west-3::snapshot/{snapshot}",
        ),
    ],
    ids=["bucket-acl", "table-policy", "snapshot-permissions"],
)
def test_a_sharing_reply_without_its_member_is_unknown_not_shared_with_no_one(
    aws: str, tmp_path: Path, faults: dict[str, str], service: str, call: str, reason: str
) -> None:
    """A bucket's ACL, a table's resource policy or a snapshot's permissions answered by a
    reply without them read as "shared with no one" (before: `shared_with` empty, no gap).
    No policy is an error AWS sends (NoSuchBucketPolicy, PolicyNotFoundException), never an
    empty 200; now the reply is a gap naming the store, and who it is shared with unknown."""
    session = boto3.session.Session()
    s3 = session.client("s3", region_name="eu-west-3")
    s3.create_bucket(
        Bucket="patients-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    s3.put_bucket_ownership_controls(  # object ACLs off: nothing else leaves it unknown
        Bucket="patients-eu",
        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    )
    create_table("sessions")
    ec2 = session.client("ec2", region_name="eu-west-3")
    volume = ec2.create_volume(AvailabilityZone="eu-west-3a", Size=8)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    out = tmp_path / "observed.yaml"
    with faulty_proxy(aws, {}) as proxy:
        assert discover_through(proxy, out).returncode == 0
    observed, _ = load_deployment(out)
    assert {c.service: c.shared_with for c in observed.components} == {
        "s3": (),
        "dynamodb": (),
        "ebs": (),
    }

    with faulty_proxy(aws, dict(faults)) as proxy:
        result = discover_through(proxy, out)
    assert result.returncode == 0, result.stderr
    assert gaps(out)[(service if service != "ebs" else "ec2", call)] == (
        "error: unreadable reply: " + reason.format(snapshot=snapshot)
    )
    observed, _ = load_deployment(out)
    shared = {c.service: c.shared_with for c in observed.components}
    assert shared[service] == ("unknown",)

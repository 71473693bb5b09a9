"""What `discover aws` could not read stays unknown, never a pass nor a made-up violation.

Against moto's server over HTTP (IAM deny policies provoke the refusals), except the DynamoDB
replica keys, which moto does not keep (it ignores ReplicaUpdates): those are answered by
botocore's Stubber, as in test_aws_stubbed.py.
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
from residency_audit.collectors.aws import AwsCollector
from residency_audit.format import load_deployment
from residency_audit.format.dump import dump_deployment
from tests.collectors.test_aws_access import denied, discover_as
from tests.collectors.test_aws_discovery import discover
from tests.collectors.test_aws_stubbed import assemble, session, stubbed
from tests.conftest import SAMPLES
from tests.support.moto_server import ACCOUNT, aws, moto_endpoint

__all__ = ["aws", "moto_endpoint", "session", "stubbed"]  # fixtures

DECLARED = SAMPLES / "aws-declared.yaml"


def findings(runner: CliRunner, *args: str) -> dict[str, Any]:
    """The JSON result of `check` as of today in UTC, read now: after the discovery, which a day
    read when the tests were collected may precede across midnight (check refuses that)."""
    result = runner.invoke(app, ["check", *args, "--as-of", str(utc_today()), "--format", "json"])
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def eu_bucket(name: str) -> Any:
    s3 = boto3.session.Session().client("s3", region_name="eu-west-3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    return s3


def test_a_bucket_whose_encryption_was_not_read_is_not_judged_unencrypted(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """GetBucketEncryption refused: the declared key of the bucket cannot be compared with the
    one AWS uses, so DRIFT-KEY-01 cannot be verified for it (it said nothing before), and the
    audit is partial with the refusal named."""
    s3 = eu_bucket("patients-eu")
    s3.put_bucket_encryption(
        Bucket="patients-eu",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    out = tmp_path / "observed.yaml"
    # NOTE: moto 5.2 checks GetBucketEncryption (and GetBucketReplication) against the IAM
    # action s3:ListBucket: its S3 action map has no entry for them.
    with denied(aws, "noencryption", "s3:ListBucket") as env:
        assert discover_as(env, out).returncode == 0
    observed, _ = load_deployment(out)
    [bucket] = [c for c in observed.components if c.service == "s3"]
    assert bucket.key is None
    report = findings(runner, str(DECLARED), "--observed", str(out))
    assert report["complete"] is False
    assert any(
        "GetBucketEncryption" in p and "arn:aws:s3:::patients-eu" in p for p in report["partial"]
    )
    key = [
        f
        for f in report["findings"]
        if f["rule_id"] == "DRIFT-KEY-01" and f["component"] == "documents"
    ]
    assert [(f["unverifiable"], f["message"]) for f in key] == [
        (
            True,
            "cannot be verified for unread key of s3-patients-eu: unknown "
            "observation.key_consistent. Required: the key protecting arn:aws:s3:::patients-eu "
            "gives the provider no more control than the declared key (documents: declared "
            "external-key-store, observed unknown)",
        )
    ]
    # Audited alone, the observation states no key for the bucket: the key rules cannot say
    # it is unencrypted ("keys: none"), only that its key is unknown.
    alone = findings(runner, str(out))
    judged = {
        f["rule_id"]: f["unverifiable"]
        for f in alone["findings"]
        if f["component"] == bucket.id and f["rule_id"] in ("JUR-EXPO-01", "EDPB-UC1-01")
    }
    assert judged and all(judged.values()), judged


def test_a_global_table_replica_is_judged_by_its_own_key(
    session: Any, stubbed: Any, tmp_path: Path, runner: CliRunner
) -> None:
    """Each replica of a global table has its region's KMS key (DescribeTable's per-replica
    KMSMasterKeyId): an AWS KMS key there contradicts a declared external key store
    (DRIFT-KEY-01), and a replica whose key is not given cannot be verified."""
    keys = {
        region: f"arn:aws:kms:{region}:{ACCOUNT}:key/{n}"
        for n, region in enumerate(("eu-west-3", "us-east-1"), start=1)
    }
    for region, arn in keys.items():
        kms = stubbed("kms", region)
        kms.add_response("list_keys", {"Keys": [{"KeyId": arn.rsplit("/")[-1], "KeyArn": arn}]})
        kms.add_response("list_aliases", {"Aliases": []})
        kms.add_response(
            "describe_key",
            {
                "KeyMetadata": {
                    "KeyId": arn.rsplit("/")[-1],
                    "Arn": arn,
                    "Origin": "AWS_KMS",
                    "KeyManager": "CUSTOMER",
                    "KeyState": "Enabled",
                }
            },
            {"KeyId": arn.rsplit("/")[-1]},
        )
    table_arn = f"arn:aws:dynamodb:eu-west-3:{ACCOUNT}:table/consultations"
    ddb = stubbed("dynamodb")
    ddb.add_response("list_tables", {"TableNames": ["consultations"]})
    ddb.add_response(
        "describe_table",
        {
            "Table": {
                "TableName": "consultations",
                "TableArn": table_arn,
                "GlobalTableVersion": "2019.11.21",
                "SSEDescription": {"Status": "ENABLED", "KMSMasterKeyArn": keys["eu-west-3"]},
                "Replicas": [
                    {"RegionName": "us-east-1", "KMSMasterKeyId": keys["us-east-1"]},
                    {"RegionName": "eu-central-1"},
                ],
            }
        },
        {"TableName": "consultations"},
    )
    collector = AwsCollector(session, clients=stubbed.clients)
    resources = collector.read_dynamodb("eu-west-3")
    records = collector.read_keys("eu-west-3") + collector.read_keys("us-east-1")
    observed = tmp_path / "observed.yaml"
    observed.write_text(dump_deployment(assemble(collector, resources, records)))
    declared = tmp_path / "declared.yaml"
    declared.write_text(
        DECLARED.read_text().replace(
            "\nkeys:",
            "\n  - id: consultations-db\n    kind: datastore\n    provider: aws\n"
            "    operator: aws-emea\n    service: dynamodb\n    region: eu-west-3\n"
            "    resources: [consultations]\n    key: xks-key\n"
            "    copies: [{kind: replica, region: us-east-1}, "
            "{kind: replica, region: eu-central-1}]\n\nkeys:",
            1,
        )
    )
    report = findings(runner, str(declared), "--observed", str(observed))
    key = sorted(
        (f["unverifiable"], f["message"])
        for f in report["findings"]
        if f["rule_id"] == "DRIFT-KEY-01" and f["component"] == "consultations-db"
    )
    assert key == [
        (
            False,
            "consultations-db: key declared external-key-store, observed "
            f"customer-managed-in-provider-kms ({keys['eu-west-3']})",
        ),
        (
            False,
            "consultations-db: key declared external-key-store, observed "
            f"customer-managed-in-provider-kms ({keys['us-east-1']})",
        ),
        (  # named as the replica it protects, not as the table's primary
            True,
            "cannot be verified for unread key of replica of dynamodb-consultations in "
            "eu-central-1: unknown observation.key_consistent. Required: the key protecting "
            f"{table_arn.replace('eu-west-3', 'eu-central-1')} gives the provider no more "
            "control than the declared key (consultations-db: declared external-key-store, "
            "observed unknown)",
        ),
    ]
    # the replica's key protects a declared component: it is not an undeclared key
    assert not [
        f
        for f in report["findings"]
        if f["rule_id"] == "DRIFT-RES-01" and keys["us-east-1"] in f["message"]
    ]
    # Written before copies named their keys (no `Key=`), the replicas were judged on the
    # table's key; they are on unknown keys instead, never on the declared external key store.
    legacy = tmp_path / "legacy.yaml"
    legacy.write_text(
        "\n".join(
            line.split(" Key=")[0].rstrip()
            for line in observed.read_text().splitlines()
            if not line.strip().startswith("Key=")
        )
        + "\n"
    )
    assert "Key=" not in legacy.read_text()
    before = findings(runner, str(declared), "--observed", str(legacy))
    replicas = [
        f
        for f in before["findings"]
        if f["rule_id"] == "DRIFT-KEY-01" and "unread key of replica" in f["message"]
    ]
    assert len(replicas) == 2 and all(f["unverifiable"] for f in replicas)


def test_the_same_refusal_is_one_gap(aws: str, tmp_path: Path) -> None:
    """Two buckets replicating to one bucket the account cannot locate: the failed
    GetBucketLocation of that bucket is one gap, not one per bucket pointing at it."""
    for name in ("patients-eu", "scans-eu"):
        s3 = eu_bucket(name)
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
                        "Destination": {"Bucket": "arn:aws:s3:::partner-dr"},
                    }
                ],
            },
        )
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    observed, _ = load_deployment(out)
    assert observed.observation is not None
    gaps = [
        (g.call, g.reason) for g in observed.observation.not_observed if "partner-dr" in g.reason
    ]
    assert len(gaps) == 1, gaps
    assert gaps[0][0] == "GetBucketLocation"


def test_a_gap_says_why_and_names_a_permission_only_when_one_is_missing(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """A bucket in a region left out by --region is not a refusal: DRIFT-OBS-01 says the call
    was not queried, and only the refused call names a missing permission."""
    eu_bucket("patients-eu")
    boto3.session.Session().client("s3", region_name="us-east-1").create_bucket(Bucket="archive-us")
    out = tmp_path / "observed.yaml"
    with denied(aws, "nokeys", "kms:ListKeys") as env:
        assert discover_as(env, out).returncode == 0
    report = findings(runner, str(out))
    gaps = {
        f["message"]
        for f in report["findings"]
        if f["rule_id"] == "DRIFT-OBS-01"
        and ("archive-us" in f["message"] or "ListKeys" in f["message"])
    }
    assert gaps == {
        "not observed: s3 GetBucketEncryption in us-east-1: not queried: in us-east-1, a region "
        "not given to --region, so not called for arn:aws:s3:::archive-us",
        "not observed: s3 GetBucketReplication in us-east-1: not queried: in us-east-1, a "
        "region not given to --region, so not called for arn:aws:s3:::archive-us",
        "not observed: kms ListKeys in eu-west-3: access denied (403); missing permission: "
        "kms:ListKeys",
    }
    partial = [p for p in report["partial"] if "archive-us" in p or "ListKeys" in p]
    assert [p for p in partial if "(needs" in p] == [
        f"{out}: kms ListKeys in eu-west-3 not observed: access denied (403) (needs kms:ListKeys)"
    ]


def test_evidence_observed_after_the_as_of_date_is_refused(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """A discovery that started before midnight UTC and read a bucket after it: judging the
    file as of the first day would use a fact of the next; refused at the evidence's line."""
    eu_bucket("patients-eu")
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    observed, _ = load_deployment(out)
    assert observed.observation is not None and observed.components[0].evidence is not None
    day = observed.observation.started_at[:10]
    text = out.read_text()
    stamp = observed.components[0].evidence.observed_at
    late = f"'{dt.date.fromisoformat(day) + dt.timedelta(days=1)}T00:00:03Z'"
    assert f"observed_at: '{stamp}'" in text
    text = text.replace(f"observed_at: '{stamp}'", f"observed_at: {late}", 1)
    out.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if late in t)
    column = text.splitlines()[line - 1].index(late) + 1
    for args in ([str(out)], [str(DECLARED), "--observed", str(out)]):
        result = runner.invoke(app, ["check", *args, "--as-of", day])
        assert result.exit_code == 2, result.output
        assert (
            f"{out}:{line}:{column}: error: this evidence was observed on "
            f"{dt.date.fromisoformat(day) + dt.timedelta(days=1)}, after the as-of date {day}"
        ) in result.stderr
    assert runner.invoke(app, ["check", str(out), "--as-of", late[1:11]]).exit_code != 2

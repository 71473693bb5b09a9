"""Who a store is shared with, read by `discover aws` from moto's server over HTTP, and judged
by DRIFT-SHARE-01 (public) and DRIFT-SHARE-02 (another account) through the CLI.

moto 5.2 implements DescribeSnapshotAttribute and ModifySnapshotAttribute (createVolumePermission),
GetBucketAcl, GetBucketPolicy and GetPublicAccessBlock; it does not implement
GetBucketPolicyStatus (it answers with an object listing, without PolicyStatus), so a bucket with
a policy is read here as "public unknown" unless its public access block restricts public
policies; a bucket without a policy needs no status.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.format import load_deployment
from residency_audit.model import Component, Deployment
from tests.collectors.test_aws_access import denied, discover_as
from tests.collectors.test_aws_discovery import discover
from tests.support.moto_server import ACCOUNT, aws, moto_endpoint

__all__ = ["aws", "moto_endpoint"]  # fixtures

TODAY = dt.date.today()
OTHER = "210987654321"
DECLARED = """\
schema_version: 1
name: records-on-ec2
controller: clinic
data:
  categories: [health]
  health_context: care
parties:
  - {id: clinic, name: Fictional clinic, role: controller, country: FR}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
components:
  - id: records-disks
    kind: datastore
    provider: aws
    operator: aws-emea
    service: ebs
    region: eu-west-3
"""


def build(session: Any) -> dict[str, str]:
    """In eu-west-3, a volume with one public snapshot, one with a snapshot shared with
    another account, one whose snapshot is shared with no one; a bucket readable by anyone
    (public-read ACL), a private one (no policy, public access fully blocked)."""
    ec2 = session.client("ec2", region_name="eu-west-3")
    made = {}
    for name, group, user in (
        ("public", "all", None),
        ("shared", None, OTHER),
        ("kept", None, None),
    ):
        volume = ec2.create_volume(AvailabilityZone="eu-west-3a", Size=8)["VolumeId"]
        snap = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
        if group or user:
            ec2.modify_snapshot_attribute(
                SnapshotId=snap,
                Attribute="createVolumePermission",
                OperationType="add",
                **({"GroupNames": [group]} if group else {"UserIds": [user]}),
            )
        made[name], made[f"{name}-snap"] = volume, snap
    s3 = session.client("s3", region_name="eu-west-3")
    where = {"LocationConstraint": "eu-west-3"}
    s3.create_bucket(Bucket="open-data", CreateBucketConfiguration=where, ACL="public-read")
    s3.create_bucket(Bucket="patients-eu", CreateBucketConfiguration=where)
    s3.put_public_access_block(
        Bucket="patients-eu",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    return made


def components(observed: Deployment) -> dict[str, Component]:
    return {c.id: c for c in observed.components}


def findings(runner: CliRunner, *args: str) -> tuple[int, list[dict[str, Any]]]:
    result = runner.invoke(app, ["check", *args, "--format", "json", "--as-of", str(TODAY)])
    report = json.loads(result.stdout)
    return result.exit_code, [
        f for f in report["findings"] if f["rule_id"].startswith("DRIFT-SHARE")
    ]


def test_public_and_shared_snapshots_and_buckets_are_read_and_reported(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    made = build(boto3.session.Session())
    out = tmp_path / "observed.yaml"
    result = discover("--region", "eu-west-3", "-o", str(out))
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)  # what the file says, read back through the format
    by_id = components(observed)
    assert by_id[f"ebs-{made['public']}"].shared_with == ("public",)
    assert by_id[f"ebs-{made['shared']}"].shared_with == (OTHER,)
    assert by_id[f"ebs-{made['kept']}"].shared_with == ()
    assert by_id["s3-open-data"].shared_with == ("public",)
    assert by_id["s3-patients-eu"].shared_with == ()
    assert "DescribeSnapshotAttribute" not in out.read_text(encoding="utf-8")  # no gap

    for args in ([str(out)], ["-"]):
        if args == ["-"]:  # the same observation compared with a declaration
            declared = tmp_path / "declared.yaml"
            declared.write_text(DECLARED, encoding="utf-8")
            args = [str(declared), "--observed", str(out)]
        code, found = findings(runner, *args)
        assert code == 1
        got = {(f["rule_id"], f["severity"], f["component"], f["unverifiable"]) for f in found}
        assert got == {
            ("DRIFT-SHARE-01", "critical", f"ebs-{made['public']}", False),
            ("DRIFT-SHARE-01", "critical", "s3-open-data", False),
            ("DRIFT-SHARE-02", "high", f"ebs-{made['shared']}", False),
        }
        shared = next(f for f in found if f["rule_id"] == "DRIFT-SHARE-02")
        assert f"shared with account {OTHER}" in shared["message"]
        assert "an account id is not a country" in shared["message"]
        assert shared["location"]["path"] == str(out)
        public = next(f for f in found if f["component"] == "s3-open-data")
        assert "arn:aws:s3:::open-data" in public["message"] and "public" in public["message"]


def test_a_snapshot_whose_volume_is_gone_keeps_its_own_sharing(aws: str, tmp_path: Path) -> None:
    ec2 = boto3.session.Session().client("ec2", region_name="eu-west-3")
    volume = ec2.create_volume(AvailabilityZone="eu-west-3a", Size=8)["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ec2.delete_volume(VolumeId=volume)
    ec2.modify_snapshot_attribute(
        SnapshotId=snap, Attribute="createVolumePermission", OperationType="add", UserIds=[OTHER]
    )
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    observed, _ = load_deployment(out)
    assert components(observed)[f"ebs-{snap}"].shared_with == (OTHER,)


def test_a_refused_sharing_read_is_a_gap_and_cannot_be_verified(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    session = boto3.session.Session()
    ec2 = session.client("ec2", region_name="eu-west-3")
    volume = ec2.create_volume(AvailabilityZone="eu-west-3a", Size=8)["VolumeId"]
    ec2.create_snapshot(VolumeId=volume)
    session.client("s3", region_name="eu-west-3").create_bucket(
        Bucket="patients-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    out = tmp_path / "observed.yaml"
    with denied(aws, "no-sharing", "ec2:DescribeSnapshotAttribute", "s3:GetBucketAcl") as env:
        result = discover_as(env, out)
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    assert observed.observation is not None
    gaps = {(g.call, g.permission) for g in observed.observation.not_observed}
    assert ("DescribeSnapshotAttribute", "ec2:DescribeSnapshotAttribute") in gaps
    assert ("GetBucketAcl", "s3:GetBucketAcl") in gaps
    by_id = components(observed)
    assert by_id[f"ebs-{volume}"].shared_with == ("unknown",)  # never "shared with no one"
    assert "unknown" in (by_id["s3-patients-eu"].shared_with or ())

    code, found = findings(runner, str(out))
    assert code == 1
    unverifiable = {f["component"] for f in found if f["unverifiable"]}
    assert unverifiable == {f"ebs-{volume}", "s3-patients-eu"}
    assert all(f["rule_id"] == "DRIFT-SHARE-01" for f in found)
    message = next(f["message"] for f in found if f["component"] == f"ebs-{volume}")
    assert message.startswith(f"cannot be verified for sharing of ebs-{volume}")
    assert "refused, failed or not made" in message


def test_accounts_a_bucket_policy_names_are_shared_with(aws: str, tmp_path: Path) -> None:
    """moto has no GetBucketPolicyStatus: with public policies restricted by the block, the
    policy's verdict is not needed; the account it names is read from the policy itself."""
    s3 = boto3.session.Session().client("s3", region_name="eu-west-3")
    s3.create_bucket(
        Bucket="patients-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    s3.put_public_access_block(
        Bucket="patients-eu",
        PublicAccessBlockConfiguration={"IgnorePublicAcls": True, "RestrictPublicBuckets": True},
    )
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{OTHER}:root", f"arn:aws:iam::{ACCOUNT}:root"]},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::patients-eu/*",
    }
    s3.put_bucket_policy(
        Bucket="patients-eu", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    observed, _ = load_deployment(out)
    assert components(observed)["s3-patients-eu"].shared_with == (OTHER,)


def test_a_policy_status_without_a_verdict_is_a_gap_not_private(aws: str, tmp_path: Path) -> None:
    """moto answers GetBucketPolicyStatus without PolicyStatus.IsPublic: whether the policy
    makes the bucket public is unknown, a gap naming the bucket, never "not public"."""
    s3 = boto3.session.Session().client("s3", region_name="eu-west-3")
    s3.create_bucket(
        Bucket="patients-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::patients-eu/*",
    }
    s3.put_bucket_policy(
        Bucket="patients-eu", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    observed, _ = load_deployment(out)
    assert components(observed)["s3-patients-eu"].shared_with == ("unknown",)
    assert observed.observation is not None
    gap = next(g for g in observed.observation.not_observed if g.call == "GetBucketPolicyStatus")
    assert gap.reason.startswith("error: ") and gap.reason.endswith("arn:aws:s3:::patients-eu")
    assert gap.permission is None

"""Who a store is shared with, read by `discover aws` from moto's server over HTTP, and judged
by DRIFT-SHARE-01 (public) and DRIFT-SHARE-02 (another account) through the CLI.

moto 5.2 implements DescribeSnapshotAttribute and ModifySnapshotAttribute (createVolumePermission),
DescribeImages, DescribeImageAttribute and ModifyImageAttribute (launchPermission), GetBucketAcl,
GetBucketPolicy, GetBucketOwnershipControls and GetPublicAccessBlock; it does not implement
GetBucketPolicyStatus (it answers with an object listing, without PolicyStatus), so a bucket with
a policy is read here as "public unknown" unless its public access block restricts public
policies; a bucket without a policy needs no status. Nor does it serve ListBackupSelections: what
a plan protects is then unknown.
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
from residency_audit.format import load_deployment
from residency_audit.model import Component, Deployment
from tests.collectors.test_aws_access import denied, discover_as
from tests.collectors.test_aws_discovery import discover
from tests.support.moto_server import ACCOUNT, aws, moto_endpoint

__all__ = ["aws", "moto_endpoint"]  # fixtures

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
    (public-read ACL, object ACLs enabled), a private one (no policy, public access fully
    blocked, ACLs disabled)."""
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
    enforce_bucket_owner(s3, "patients-eu")
    return made


def enforce_bucket_owner(s3: Any, bucket: str) -> None:
    """ACLs disabled: object ACLs, which are not read, can then grant nothing."""
    s3.put_bucket_ownership_controls(
        Bucket=bucket,
        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    )


def components(observed: Deployment) -> dict[str, Component]:
    return {c.id: c for c in observed.components}


def bucket_restricting_public_policies(name: str) -> Any:
    """Bucket `name` in eu-west-3 whose public access block ignores public ACLs and restricts
    public policies (moto has no GetBucketPolicyStatus: the policy's verdict is not needed);
    its S3 client."""
    s3 = boto3.session.Session().client("s3", region_name="eu-west-3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={"IgnorePublicAcls": True, "RestrictPublicBuckets": True},
    )
    return s3


def discovered_shares(out: Path, service: str) -> dict[str, tuple[str, ...] | None]:
    """`discover aws --region eu-west-3` of the moto account into `out`: who each observed store
    of `service` is shared with."""
    result = discover("--region", "eu-west-3", "-o", str(out))
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    return {c.id: c.shared_with for c in observed.components if c.service == service}


def findings(runner: CliRunner, *args: str) -> tuple[int, list[dict[str, Any]]]:
    # today in UTC, read at the call: after the discovery, even when the run crosses midnight
    result = runner.invoke(app, ["check", *args, "--format", "json", "--as-of", str(utc_today())])
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
    # public through its ACL; its objects' ACLs, not read, may grant others too
    assert by_id["s3-open-data"].shared_with == ("public", "unknown")
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
        assert "arn:aws:s3:::open-data" in public["message"]
        assert "is public through the bucket ACL:" in public["message"]
        # the snapshot to change, not only the volume whose data it holds
        snapshot = next(f for f in found if f["component"] == f"ebs-{made['public']}")
        assert (
            f"through snapshot {made['public-snap']} (createVolumePermission)"
            in (snapshot["message"])
        )
        assert (
            f"through snapshot {made['shared-snap']} (createVolumePermission)"
            in (shared["message"])
        )


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
    assert all(f["unverifiable"] for f in found)
    assert {(f["rule_id"], f["component"]) for f in found} == {
        (rule, component)
        for rule in ("DRIFT-SHARE-01", "DRIFT-SHARE-02")
        for component in (f"ebs-{volume}", "s3-patients-eu")
    }
    message = next(
        f["message"]
        for f in found
        if (f["rule_id"], f["component"]) == ("DRIFT-SHARE-01", f"ebs-{volume}")
    )
    assert message.startswith(f"cannot be verified for sharing of ebs-{volume}")
    assert "refused, failed or not made" in message


def test_accounts_a_bucket_policy_names_are_shared_with(aws: str, tmp_path: Path) -> None:
    """moto has no GetBucketPolicyStatus: with public policies restricted by the block, the
    policy's verdict is not needed; the account it names is read from the policy itself."""
    s3 = bucket_restricting_public_policies("patients-eu")
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{OTHER}:root", f"arn:aws:iam::{ACCOUNT}:root"]},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::patients-eu/*",
    }
    s3.put_bucket_policy(
        Bucket="patients-eu", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    enforce_bucket_owner(s3, "patients-eu")
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


def policy(bucket: str, principal: Any, condition: dict[str, Any]) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": condition,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_what_aws_calls_not_public_may_still_be_shared(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """GetBucketPolicyStatus calls "*" narrowed by aws:PrincipalOrgID not public, yet a whole
    organisation reads it: unknown. Narrowed by aws:PrincipalAccount, it names the account.
    An object made public by its own ACL, in a bucket whose ACLs are enabled: object ACLs are
    not read, so unknown; with ACLs disabled (BucketOwnerEnforced) they grant nothing. A
    service principal (CloudFront) reads for any account's distribution unless a condition
    ties it to this account's: unknown, else nothing."""
    s3 = boto3.session.Session().client("s3", region_name="eu-west-3")
    where = {"LocationConstraint": "eu-west-3"}
    blocked = {"IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    buckets = ("org-shared", "acct-shared", "objects-public", "objects-enforced")
    for bucket in (*buckets, "cdn-any", "cdn-own"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=where)
    cdn = {"Service": "cloudfront.amazonaws.com"}
    own = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"
    for bucket, principal, condition in (
        ("org-shared", {"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}),
        ("acct-shared", {"AWS": "*"}, {"StringEquals": {"aws:PrincipalAccount": OTHER}}),
        ("cdn-any", cdn, {}),
        ("cdn-own", cdn, {"StringEquals": {"AWS:SourceArn": own}}),
    ):
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=blocked)
        s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, principal, condition))
        enforce_bucket_owner(s3, bucket)
    s3.put_object(Bucket="objects-public", Key="patient.pdf", Body=b"x", ACL="public-read")
    enforce_bucket_owner(s3, "objects-enforced")
    out = tmp_path / "observed.yaml"
    result = discover("--region", "eu-west-3", "-o", str(out))
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    shares = {c.id: c.shared_with for c in observed.components}
    assert shares == {
        "s3-org-shared": ("unknown",),
        "s3-acct-shared": (OTHER,),
        "s3-objects-public": ("unknown",),
        "s3-objects-enforced": (),
        "s3-cdn-any": ("unknown",),
        "s3-cdn-own": (),
    }
    assert observed.observation is not None
    # no call about the objects' bucket failed (moto's policy status aside): unknown by design
    assert {g.call for g in observed.observation.not_observed} == {"GetBucketPolicyStatus"}
    assert not [g for g in observed.observation.not_observed if "objects-" in g.reason]
    detail = components(observed)["s3-objects-public"].evidence
    assert detail is not None and "SharedThrough=object-acls:unknown" in str(detail.detail)

    code, found = findings(runner, str(out))
    assert code == 1
    got = {(f["rule_id"], f["component"], f["unverifiable"]) for f in found}
    assert got == {
        ("DRIFT-SHARE-01", "s3-org-shared", True),
        ("DRIFT-SHARE-02", "s3-org-shared", True),
        ("DRIFT-SHARE-01", "s3-objects-public", True),
        ("DRIFT-SHARE-02", "s3-objects-public", True),
        ("DRIFT-SHARE-02", "s3-acct-shared", False),
        ("DRIFT-SHARE-01", "s3-cdn-any", True),
        ("DRIFT-SHARE-02", "s3-cdn-any", True),
    }
    shared = next(f for f in found if f["component"] == "s3-acct-shared")
    assert f"shared with account {OTHER} through the bucket policy," in shared["message"]


def test_an_ami_shares_the_snapshots_it_is_made_of(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """Whoever may launch an AMI has the data of its snapshots: a public AMI makes them and
    their volume public, one launchable by another account shares them with it."""
    ec2 = boto3.session.Session().client("ec2", region_name="eu-west-3")
    base = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    images = {}
    for name, permission in (("golden", {"Group": "all"}), ("partner", {"UserId": OTHER})):
        instance = ec2.run_instances(ImageId=base, MinCount=1, MaxCount=1)["Instances"][0]
        image = ec2.create_image(InstanceId=instance["InstanceId"], Name=name)["ImageId"]
        ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [permission]})
        images[name] = image
    backing = {
        i["ImageId"]: i["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
        for i in ec2.describe_images(ImageIds=list(images.values()))["Images"]
    }
    out = tmp_path / "observed.yaml"
    result = discover("--region", "eu-west-3", "-o", str(out))
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    holding = {
        image: next(
            c
            for c in observed.components
            if c.service == "ebs" and backing[image] in str(c.evidence) + str(c.copies)
        )
        for image in images.values()
    }
    assert holding[images["golden"]].shared_with == ("public",)
    assert holding[images["partner"]].shared_with == (OTHER,)

    code, found = findings(runner, str(out))
    assert code == 1
    messages = {f["component"]: f["message"] for f in found if not f["unverifiable"]}
    for image, rule_says in ((images["golden"], "is public"), (images["partner"], OTHER)):
        message = messages[holding[image].id]
        assert rule_says in message and f"through AMI {image} (launchPermission)" in message


def test_a_volume_copied_to_a_region_not_read_has_unknown_sharing(aws: str, tmp_path: Path) -> None:
    """A Backup plan of Paris copies to us-east-1, which --region leaves out: the snapshots of
    the volume there were not read, so may be shared. moto has no ListBackupSelections, so the
    plan may protect the volume (as a refused selection would leave it)."""
    session = boto3.session.Session()
    ec2 = session.client("ec2", region_name="eu-west-3")
    volume = ec2.create_volume(AvailabilityZone="eu-west-3a", Size=8)["VolumeId"]
    ec2.create_snapshot(VolumeId=volume)
    eu = session.client("backup", region_name="eu-west-3")
    us = session.client("backup", region_name="us-east-1")
    eu.create_backup_vault(BackupVaultName="daily")
    vault = us.create_backup_vault(BackupVaultName="dr")["BackupVaultArn"]
    rule = {"RuleName": "daily", "TargetBackupVaultName": "daily"}
    eu.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "records",
            "Rules": [{**rule, "CopyActions": [{"DestinationBackupVaultArn": vault}]}],
        }
    )
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    observed, _ = load_deployment(out)
    disk = components(observed)[f"ebs-{volume}"]
    assert disk.shared_with == ("unknown",)
    assert disk.evidence is not None
    assert "SharedThrough=snapshots-in-us-east-1:unknown" in str(disk.evidence.detail)

    both = tmp_path / "both.yaml"  # us-east-1 read too: its snapshots would be linked
    assert (
        discover("--region", "eu-west-3", "--region", "us-east-1", "-o", str(both)).returncode == 0
    )
    observed, _ = load_deployment(both)
    assert components(observed)[f"ebs-{volume}"].shared_with == ()


def test_a_store_whose_sharing_discover_does_not_read_cannot_be_verified(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """An AWS Backup plan protecting nothing observed stays a store of its own (its vault's
    recovery points), and discover reads no sharing of AWS Backup: "cannot be verified" by
    both rules, saying so, never silence."""
    backup = boto3.session.Session().client("backup", region_name="eu-west-3")
    backup.create_backup_vault(BackupVaultName="daily")
    backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "records",
            "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "daily"}],
        }
    )
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    observed, _ = load_deployment(out)
    plan = components(observed)["backup-eu-west-3-records"]
    assert plan.holds_data and plan.shared_with is None

    code, found = findings(runner, str(out))
    assert code == 1
    assert {(f["rule_id"], f["component"], f["unverifiable"]) for f in found} == {
        ("DRIFT-SHARE-01", "backup-eu-west-3-records", True),
        ("DRIFT-SHARE-02", "backup-eu-west-3-records", True),
    }
    assert all("discover does not read the sharing of backup stores" in f["message"] for f in found)


def test_a_star_open_over_https_only_is_no_account_once_public_policies_are_restricted(
    aws: str, tmp_path: Path
) -> None:
    """QA: a `"*"` allowed on the sole condition `aws:SecureTransport` true was `unknown`
    even in a bucket whose public access block restricts public policies. It names no one
    but anyone: a public policy (AWS's meaning of "public"), which RestrictPublicBuckets
    limits to the account and AWS services: shared with no one. (Without the block,
    GetBucketPolicyStatus judges it; moto gives no verdict.)"""
    s3 = bucket_restricting_public_policies("patients-eu")
    s3.put_bucket_policy(
        Bucket="patients-eu",
        Policy=policy("patients-eu", "*", {"Bool": {"aws:SecureTransport": "true"}}),
    )
    enforce_bucket_owner(s3, "patients-eu")
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    observed, _ = load_deployment(out)
    assert components(observed)["s3-patients-eu"].shared_with == ()


def backed_up_volume(session: Any) -> str:
    """A volume in eu-west-3 with a snapshot shared with no one, and a backup plan there
    copying to a vault in us-east-1 (moto serves no ListBackupSelections: what the plan
    protects is unknown, so it may protect the volume)."""
    ec2 = session.client("ec2", region_name="eu-west-3")
    volume = str(ec2.create_volume(AvailabilityZone="eu-west-3a", Size=8)["VolumeId"])
    ec2.create_snapshot(VolumeId=volume)
    session.client("backup", region_name="us-east-1").create_backup_vault(BackupVaultName="copies")
    backup = session.client("backup", region_name="eu-west-3")
    backup.create_backup_vault(BackupVaultName="daily")
    copies = f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:copies"
    rule = {
        "RuleName": "nightly",
        "TargetBackupVaultName": "daily",
        "CopyActions": [{"DestinationBackupVaultArn": copies}],
    }
    backup.create_backup_plan(BackupPlan={"BackupPlanName": "nightly", "Rules": [rule]})
    return volume


def test_a_volume_whose_backup_plans_were_refused_is_not_shared_with_no_one(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """Read, the plan copies the volume's snapshots to us-east-1, a region not read: unknown.
    QA: with ListBackupPlans refused, nothing said a copy existed there, and the volume was
    "shared with no one" (DRIFT-SHARE-01/02 passed). A plan not read may copy its snapshots
    to any region whose snapshots were not read: unknown, naming those regions."""
    volume = backed_up_volume(boto3.session.Session())
    read = tmp_path / "read.yaml"
    assert discover("--region", "eu-west-3", "-o", str(read)).returncode == 0
    observed, _ = load_deployment(read)
    assert components(observed)[f"ebs-{volume}"].shared_with == ("unknown",)

    out = tmp_path / "observed.yaml"
    with denied(aws, "no-plans", "backup:ListBackupPlans") as env:
        result = discover_as(env, out)
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    assert observed.observation is not None
    gaps = {(g.service, g.call, g.region) for g in observed.observation.not_observed}
    assert ("backup", "ListBackupPlans", "eu-west-3") in gaps
    disk = components(observed)[f"ebs-{volume}"]
    assert disk.shared_with == ("unknown",)
    assert disk.evidence is not None
    assert "SharedThrough=snapshots-in-regions-not-read:unknown" in str(disk.evidence.detail)

    code, found = findings(runner, str(out))
    assert code == 1
    assert {(f["rule_id"], f["component"], f["unverifiable"]) for f in found} == {
        ("DRIFT-SHARE-01", f"ebs-{volume}", True),
        ("DRIFT-SHARE-02", f"ebs-{volume}", True),
    }
    assert all("the EBS snapshots in the regions not read:" in f["message"] for f in found)

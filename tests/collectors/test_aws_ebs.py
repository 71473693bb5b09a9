"""EBS volumes and their snapshots, read by `discover aws` from moto's server over HTTP.

Health data of a database run on EC2 live on its volumes, and a snapshot copied to another
region (`CopySnapshot`) is a copy of them there. AWS returns no link from a copy to its source
(a copy's VolumeId is arbitrary), so the copy is a store of its own in its region, with its
own key: the location rules and drift judge it all the same. AWS Backup selections, which
moto's server does not implement, are answered by botocore's Stubber; so are all AWS Backup
calls when moto serves EC2 (`collect_with_backup`). The snapshots AWS Backup makes are made in
moto with the tag AWS Backup gives them (`backup_snapshots`), which moto accepts and AWS would
refuse to anyone else.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
from typer.testing import CliRunner

from residency_audit import kb
from residency_audit.cli import app
from residency_audit.clock import utc_today
from residency_audit.collectors.aws import AwsCollector
from residency_audit.collectors.aws_client import Settings
from residency_audit.collectors.observed import Assumptions, build_deployment, copy_key
from residency_audit.format import load_deployment
from residency_audit.format.dump import dump_deployment
from residency_audit.model import Component, Deployment
from tests.collectors.test_aws_access import denied, discover_as
from tests.collectors.test_aws_discovery import discover, line_after
from tests.collectors.test_aws_stubbed import assemble, session, stubbed
from tests.support.moto_server import ACCOUNT, aws, moto_endpoint

__all__ = ["session", "stubbed"]  # fixtures


DECLARED = """\
schema_version: 1
name: records-on-ec2
description: A self-managed PostgreSQL on EC2 in Paris; its disks and snapshots stay there.
controller: clinic
data:
  categories: [health]
  subjects: [patients]
  health_context: care
parties:
  - id: clinic
    name: Fictional clinic
    role: controller
    country: FR
  - id: aws-emea
    name: Amazon Web Services EMEA SARL
    role: processor
    country: LU
    provider: aws
components:
  - id: records-disks
    kind: datastore
    provider: aws
    operator: aws-emea
    service: ebs
    region: eu-west-3
    clear_text_processing: true
    copies:
      - kind: backup
        region: eu-west-3
"""


def build_disks(session: Any) -> dict[str, str]:
    """In eu-west-3, a volume on a customer key and an unencrypted one whose nightly snapshot
    was copied to us-east-1 on a key of that region."""
    eu_key = session.client("kms", region_name="eu-west-3").create_key()["KeyMetadata"]
    us_key = session.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]
    eu = session.client("ec2", region_name="eu-west-3")
    encrypted = eu.create_volume(
        AvailabilityZone="eu-west-3a", Size=8, Encrypted=True, KmsKeyId=eu_key["Arn"]
    )
    plain = eu.create_volume(AvailabilityZone="eu-west-3a", Size=8)
    nightly = eu.create_snapshot(VolumeId=plain["VolumeId"], Description="nightly")
    copied = session.client("ec2", region_name="us-east-1").copy_snapshot(
        SourceSnapshotId=nightly["SnapshotId"],
        SourceRegion="eu-west-3",
        Encrypted=True,
        KmsKeyId=us_key["Arn"],
    )
    return {
        "eu_key": eu_key["KeyId"],
        "us_key": us_key["KeyId"],
        "encrypted": encrypted["VolumeId"],
        "plain": plain["VolumeId"],
        "nightly": nightly["SnapshotId"],
        "copy": copied["SnapshotId"],
    }


def components(observed: Deployment) -> dict[str, Component]:
    return {c.id: c for c in observed.components}


def test_volumes_their_keys_and_a_snapshot_copied_to_another_region(
    aws: str, tmp_path: Path
) -> None:
    made = build_disks(boto3.session.Session())
    out = tmp_path / "observed.yaml"
    result = discover("--region", "eu-west-3", "--region", "us-east-1", "-o", str(out))
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    by_id = components(observed)

    encrypted = by_id[f"ebs-{made['encrypted']}"]
    assert (encrypted.kind.value, encrypted.service, encrypted.region) == (
        "datastore",
        "ebs",
        "eu-west-3",
    )
    assert encrypted.key == made["eu_key"]
    assert encrypted.resources == (f"arn:aws:ec2:eu-west-3:{ACCOUNT}:volume/{made['encrypted']}",)
    assert encrypted.evidence is not None
    assert (encrypted.evidence.service, encrypted.evidence.call, encrypted.evidence.region) == (
        "ec2",
        "DescribeVolumes",
        "eu-west-3",
    )
    assert encrypted.evidence.observed_at

    plain = by_id[f"ebs-{made['plain']}"]
    assert plain.key is None  # read and absent: "observed none" for the key rules
    assert plain.evidence is not None and "Encrypted=False" in (plain.evidence.detail or "")
    # its nightly snapshot, in its region: a backup copy on the volume's (absent) encryption
    [backup] = plain.copies
    assert (backup.kind.value, backup.region, backup.account) == ("backup", "eu-west-3", ACCOUNT)
    assert backup.evidence is not None and backup.evidence.call == "DescribeSnapshots"
    assert backup.evidence.resource == f"arn:aws:ec2:eu-west-3::snapshot/{made['nightly']}"
    assert "Key=" not in (backup.evidence.detail or "")

    # the copy in us-east-1 cannot be linked to its source: a store there, on its own key
    copy = by_id[f"ebs-{made['copy']}"]
    assert (copy.kind.value, copy.region, copy.key) == ("backup", "us-east-1", made["us_key"])
    assert copy.evidence is not None
    assert (copy.evidence.call, copy.evidence.region) == ("DescribeSnapshots", "us-east-1")
    key = observed.key(made["us_key"])
    assert key is not None and key.region == "us-east-1"

    # only the account's own snapshots: moto also lists public AMI snapshots of others
    assert {c.service for c in observed.components} == {"ebs"}
    assert len(observed.components) == 3
    assert observed.observation is not None and observed.observation.not_observed == ()
    assert observed.observation.services_read == (
        "backup",
        "cloudfront",
        "dynamodb",
        "ebs",
        "ec2",
        "kms",
        "lambda",
        "rds",
        "s3",
    )


def check_json(runner: CliRunner, *args: str) -> tuple[int, dict[str, Any]]:
    # today in UTC, read at the call: after the discovery, even when the run crosses midnight
    result = runner.invoke(app, ["check", *args, "--format", "json", "--as-of", str(utc_today())])
    return result.exit_code, json.loads(result.stdout)


def test_an_undeclared_snapshot_copy_in_us_east_1_is_drift(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """The declaration keeps the disks and their backups in Paris; the account holds a copy of
    a snapshot in us-east-1: a store the declaration does not give, outside the EEA."""
    made = build_disks(boto3.session.Session())
    out = tmp_path / "observed.yaml"
    assert (
        discover("--region", "eu-west-3", "--region", "us-east-1", "-o", str(out)).returncode == 0
    )
    declared = tmp_path / "declared.yaml"
    declared.write_text(DECLARED, encoding="utf-8")

    code, report = check_json(runner, str(declared), "--observed", str(out))
    copy_arn = f"arn:aws:ec2:us-east-1::snapshot/{made['copy']}"
    drift = [
        f
        for f in report["findings"]
        if f["rule_id"].startswith("DRIFT") and copy_arn in f["message"]
    ]
    assert [(f["rule_id"], f["unverifiable"]) for f in drift] == [("DRIFT-RES-01", False)]
    assert "(ebs, us-east-1) is not declared" in drift[0]["message"]
    assert drift[0]["location"]["path"] == str(out)
    assert drift[0]["location"]["line"] == line_after(out, "components:", f"id: ebs-{made['copy']}")
    # the volumes and the nightly snapshot in Paris are what the declaration says
    assert not [
        f
        for f in report["findings"]
        if f["rule_id"].startswith(("DRIFT-RES", "DRIFT-LOC"))
        and any(v in f["message"] for v in (made["plain"], made["encrypted"], made["nightly"]))
    ]
    assert code == 1

    # audited alone, the copy is health data stored in the US
    _, alone = check_json(runner, str(out))
    located = {f["rule_id"] for f in alone["findings"] if f"ebs-{made['copy']}" in f["message"]}
    assert "HDS-LOC-01" in located


def test_refused_snapshots_are_a_gap_and_the_volumes_stay_read(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    made = build_disks(boto3.session.Session())
    out = tmp_path / "observed.yaml"
    with denied(aws, "auditor", "ec2:DescribeSnapshots") as env:
        result = discover_as(env, out)
    assert result.returncode == 0, result.stderr
    assert "ec2:DescribeSnapshots" in result.stderr
    observed, _ = load_deployment(out)
    by_id = components(observed)
    assert {f"ebs-{made['encrypted']}", f"ebs-{made['plain']}"} <= set(by_id)
    assert by_id[f"ebs-{made['plain']}"].copies == ()  # not read, not "no snapshot"
    assert observed.observation is not None
    [gap] = [g for g in observed.observation.not_observed if g.service == "ec2"]
    assert (gap.call, gap.region, gap.permission) == (
        "DescribeSnapshots",
        "eu-west-3",
        "ec2:DescribeSnapshots",
    )
    assert gap.reason.startswith("access denied")

    code, report = check_json(runner, str(out))
    assert report["complete"] is False
    assert any("ec2 DescribeSnapshots" in reason for reason in report["partial"])
    assert code == 1


def test_refused_volumes_leave_each_snapshot_a_store_of_its_own(aws: str, tmp_path: Path) -> None:
    """Without the volumes a snapshot cannot be put beside its volume: it stays in the file,
    in its region, rather than vanish with the refusal."""
    made = build_disks(boto3.session.Session())
    out = tmp_path / "observed.yaml"
    with denied(aws, "auditor", "ec2:DescribeVolumes") as env:
        assert discover_as(env, out).returncode == 0
    observed, _ = load_deployment(out)
    nightly = components(observed)[f"ebs-{made['nightly']}"]
    assert (nightly.kind.value, nightly.region, nightly.key) == ("backup", "eu-west-3", None)
    assert not [c for c in observed.components if c.id.startswith("ebs-vol-")]
    assert observed.observation is not None
    gaps = {(g.call, g.permission) for g in observed.observation.not_observed if g.service == "ec2"}
    assert gaps == {("DescribeVolumes", "ec2:DescribeVolumes")}


def test_an_aws_backup_of_a_volume_keeps_the_volume_key(session: Any, stubbed: Any) -> None:
    """AWS Backup recovery points of EBS keep their source's encryption (AWS, "Encryption for
    backups in AWS Backup"): the backup of a volume in its region is on the volume's key, not
    on the vault's, and not unknown."""
    volume = f"arn:aws:ec2:eu-west-3:{ACCOUNT}:volume/vol-0records"
    volume_key = f"arn:aws:kms:eu-west-3:{ACCOUNT}:key/disks"
    plan = f"arn:aws:backup:eu-west-3:{ACCOUNT}:backup-plan:p1"
    vault = f"arn:aws:backup:eu-west-3:{ACCOUNT}:backup-vault:daily"
    ec2 = stubbed("ec2")
    disk = {"VolumeId": "vol-0records", "Encrypted": True, "KmsKeyId": volume_key}
    ec2.add_response("describe_volumes", {"Volumes": [disk]})
    ec2.add_response("describe_snapshots", {"Snapshots": []})
    backup = stubbed("backup")
    listed = {"BackupPlanId": "p1", "BackupPlanArn": plan, "BackupPlanName": "disks"}
    backup.add_response("list_backup_plans", {"BackupPlansList": [listed]})
    body = {
        "BackupPlanName": "disks",
        "Rules": [{"RuleName": "d", "TargetBackupVaultName": "daily"}],
    }
    backup.add_response("get_backup_plan", {"BackupPlan": body, "BackupPlanArn": plan})
    vault_key = f"arn:aws:kms:eu-west-3:{ACCOUNT}:key/vault"
    described = {"BackupVaultName": "daily", "BackupVaultArn": vault, "EncryptionKeyArn": vault_key}
    backup.add_response("describe_backup_vault", described)
    backup.add_response("list_backup_selections", {"BackupSelectionsList": [{"SelectionId": "s"}]})
    selection = {
        "SelectionName": "all",
        "IamRoleArn": "arn:aws:iam::1:role/b",
        "Resources": [volume],
    }
    backup.add_response("get_backup_selection", {"BackupSelection": selection})
    collector = AwsCollector(session, clients=stubbed.clients)
    collector.account = ACCOUNT
    ebs = collector.ebs_resources(collector.fetch_ebs("eu-west-3"))
    resources = ebs + collector.read_backup("eu-west-3")
    observed = assemble(collector, resources)
    [disks] = observed.components  # the plan is folded into the volume it protects
    assert disks.id == "ebs-vol-0records"
    [copy] = disks.copies
    assert (copy.kind.value, copy.region) == ("backup", "eu-west-3")
    assert copy.evidence is not None and copy.evidence.call == "GetBackupPlan"
    assert "Key=" not in (copy.evidence.detail or "")  # on the volume's key


BACKED_UP = f"arn:aws:backup:eu-west-3:{ACCOUNT}:backup-plan:p1"
DAILY = f"arn:aws:backup:eu-west-3:{ACCOUNT}:backup-vault:daily"
COPIES = f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:copies"


def backup_snapshots(session: Any, made: dict[str, str], volume: str) -> dict[str, str]:
    """What AWS Backup leaves in EC2 of `volume` (an id of `made`) backed up in eu-west-3 and
    copied to us-east-1 on a key there: two snapshots tagged with the volume's ARN (a copy
    keeps the tags of its source, AWS Backup "Copying tags onto backups")."""
    source = f"arn:aws:ec2:eu-west-3:{ACCOUNT}:volume/{made[volume]}"
    tagged = [
        {
            "ResourceType": "snapshot",
            "Tags": [{"Key": "aws:backup:source-resource", "Value": source}],
        }
    ]
    description = "This snapshot is created by the AWS Backup service."
    point = session.client("ec2", region_name="eu-west-3").create_snapshot(
        VolumeId=made[volume], Description=description, TagSpecifications=tagged
    )
    copied = session.client("ec2", region_name="us-east-1").copy_snapshot(
        SourceSnapshotId=point["SnapshotId"],
        SourceRegion="eu-west-3",
        Description=description,
        Encrypted=True,
        KmsKeyId=made["us_key"],
        TagSpecifications=tagged,
    )
    return {"point": point["SnapshotId"], "copy": copied["SnapshotId"], "source": source}


def plan_of(stubbed: Any, name: str, protected: list[str], *, refused: bool = False) -> None:
    """Backup plan `name` of eu-west-3: to its vault there and a copy to us-east-1, of the
    resources `protected`; `refused`: its selection cannot be read."""
    arn = BACKED_UP.replace(":p1", f":{name}")
    eu, us = stubbed.backup["eu-west-3"], stubbed.backup["us-east-1"]
    rule = {
        "RuleName": "daily",
        "TargetBackupVaultName": "daily",
        "CopyActions": [{"DestinationBackupVaultArn": COPIES}],
    }
    eu.add_response(
        "get_backup_plan",
        {"BackupPlan": {"BackupPlanName": name, "Rules": [rule]}, "BackupPlanArn": arn},
    )
    eu.add_response("describe_backup_vault", {"BackupVaultName": "daily", "BackupVaultArn": DAILY})
    copies = {"BackupVaultName": "copies", "BackupVaultArn": COPIES}
    us.add_response("describe_backup_vault", copies)  # each plan describes its vaults
    eu.add_response("list_backup_selections", {"BackupSelectionsList": [{"SelectionId": name}]})
    if refused:
        eu.add_client_error("get_backup_selection", "AccessDeniedException", http_status_code=403)
    else:
        selection = {"SelectionName": name, "IamRoleArn": "arn:aws:iam::1:role/b"}
        eu.add_response(
            "get_backup_selection", {"BackupSelection": {**selection, "Resources": protected}}
        )


def collect_with_backup(stubbed: Any) -> Deployment:
    """`discover aws` of eu-west-3 and us-east-1: moto's server for all but AWS Backup, whose
    stubs answer in the order of the reads (one region at a time)."""
    collector = AwsCollector(
        boto3.session.Session(),
        settings=Settings(max_attempts=1, workers=1),
        clients=stubbed.clients,
    )
    found = collector.collect(["eu-west-3", "us-east-1"])
    return build_deployment(found, kb.default(), Assumptions())


def backup_stubs(stubbed: Any) -> Any:
    stubbed.backup = {r: stubbed("backup", r) for r in ("eu-west-3", "us-east-1")}
    return stubbed


def test_snapshots_made_by_aws_backup_are_the_plan_copies_not_a_second_copy(
    aws: str, stubbed: Any, tmp_path: Path, runner: CliRunner
) -> None:
    """A plan backs up the encrypted volume in Paris and copies it to us-east-1; the snapshots
    it made there are the plan's two copies, one a place: not a second backup in Paris, nor a
    store of their own in us-east-1, whose id changes with each recovery point."""
    session = boto3.session.Session()
    made = build_disks(session)
    backup = backup_snapshots(session, made, "encrypted")
    stubs = backup_stubs(stubbed)
    listed = {"BackupPlanId": "p1", "BackupPlanArn": BACKED_UP, "BackupPlanName": "p1"}
    stubs.backup["eu-west-3"].add_response("list_backup_plans", {"BackupPlansList": [listed]})
    plan_of(stubs, "p1", [backup["source"]])
    stubs.backup["us-east-1"].add_response("list_backup_plans", {"BackupPlansList": []})
    observed = collect_with_backup(stubs)

    by_id = components(observed)
    disks = by_id[f"ebs-{made['encrypted']}"]
    places = [(c.region, c.evidence.call if c.evidence else None) for c in disks.copies]
    assert sorted(places) == [("eu-west-3", "GetBackupPlan"), ("us-east-1", "GetBackupPlan")]
    keys = {c.region: copy_key(c.evidence.detail if c.evidence else None) for c in disks.copies}
    # in Paris on the volume's key; in us-east-1 on a key of that region no call names
    assert keys == {"eu-west-3": None, "us-east-1": "unknown"}
    assert not {f"ebs-{backup['point']}", f"ebs-{backup['copy']}"} & set(by_id)
    # the rest as before: the nightly snapshot, and its copy made outside AWS Backup
    [nightly] = by_id[f"ebs-{made['plain']}"].copies
    assert (nightly.region, nightly.evidence and nightly.evidence.call) == (
        "eu-west-3",
        "DescribeSnapshots",
    )
    assert by_id[f"ebs-{made['copy']}"].region == "us-east-1"
    assert len(observed.components) == 3
    assert observed.observation is not None and observed.observation.not_observed == ()

    # declared with its copy in us-east-1, the Backup copy is no drift (the manual one is)
    out = tmp_path / "observed.yaml"
    out.write_text(dump_deployment(observed), encoding="utf-8")
    declared = tmp_path / "declared.yaml"
    declared.write_text(
        DECLARED + "      - kind: backup\n        region: us-east-1\n", encoding="utf-8"
    )
    _, report = check_json(runner, str(declared), "--observed", str(out))
    drift = [f["message"] for f in report["findings"] if f["rule_id"] == "DRIFT-RES-01"]
    assert not [m for m in drift if backup["copy"] in m or backup["point"] in m]
    assert [m for m in drift if made["copy"] in m]


def test_snapshots_of_a_plan_not_read_stay_and_the_audit_is_partial(
    aws: str, stubbed: Any, runner: CliRunner, tmp_path: Path
) -> None:
    """Two plans back up a volume each; the selection of the second, and AWS Backup in
    us-east-1, are refused. The first plan's snapshots are its copies; nothing models the
    second's snapshots but themselves, so they stay: a backup in Paris, a store in us-east-1."""
    session = boto3.session.Session()
    made = build_disks(session)
    first = backup_snapshots(session, made, "encrypted")
    second = backup_snapshots(session, made, "plain")
    stubs = backup_stubs(stubbed)
    listed = [
        {"BackupPlanId": p, "BackupPlanArn": BACKED_UP.replace(":p1", f":{p}"), "BackupPlanName": p}
        for p in ("p1", "p2")
    ]
    stubs.backup["eu-west-3"].add_response("list_backup_plans", {"BackupPlansList": listed})
    plan_of(stubs, "p1", [first["source"]])
    plan_of(stubs, "p2", [second["source"]], refused=True)
    stubs.backup["us-east-1"].add_client_error(
        "list_backup_plans", "AccessDeniedException", http_status_code=403
    )
    observed = collect_with_backup(stubs)

    by_id = components(observed)
    disks = by_id[f"ebs-{made['encrypted']}"]
    assert sorted(c.region for c in disks.copies) == ["eu-west-3", "us-east-1"]
    assert not {f"ebs-{first['point']}", f"ebs-{first['copy']}"} & set(by_id)
    # the second plan, unread, stays a component of its own; its snapshots stay as they were
    assert "backup-eu-west-3-p2" in by_id
    plain = by_id[f"ebs-{made['plain']}"]
    [points] = [c for c in plain.copies if c.region == "eu-west-3"]
    assert points.evidence is not None and points.evidence.call == "DescribeSnapshots"
    assert "Snapshots=2" in (points.evidence.detail or "")  # the nightly one and AWS Backup's
    copy = by_id[f"ebs-{second['copy']}"]
    assert (copy.kind.value, copy.region, copy.key) == ("backup", "us-east-1", made["us_key"])
    assert observed.observation is not None
    gaps = {(g.call, g.region) for g in observed.observation.not_observed}
    assert gaps == {("GetBackupSelection", "eu-west-3"), ("ListBackupPlans", "us-east-1")}

    out = tmp_path / "observed.yaml"
    out.write_text(dump_deployment(observed), encoding="utf-8")
    _, report = check_json(runner, str(out))
    assert report["complete"] is False

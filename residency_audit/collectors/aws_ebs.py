"""What `discover aws` reads of Amazon EBS in a region: volumes (the disks of a self-managed
database on EC2) and the account's own snapshots of them, each with the key protecting it.

A snapshot of a volume read in its region is a backup copy of that volume's component. A
snapshot copied from another region or account (`CopySnapshot`) cannot be linked to its
source: DescribeSnapshots returns no source snapshot, and a copy's `VolumeId` is "an arbitrary
volume ID that you should not use for any purpose" (EC2 API reference, Snapshot). Such a
snapshot, like one whose volume is gone, is a store of its own in its region, with its own key:
its place is then judged by the location rules all the same.

A snapshot made by AWS Backup is one of its recovery points ("Amazon EBS volume | Amazon EBS
snapshot | snapshot/snap-..." in AWS Backup's "Working with backups"), which the plan that made
it already models (`aws_backup.BackupReader.read_backup`): each is modelled once, by the plan, when
that plan was read (`_left_to_backup`); else it stays as any other snapshot (fail closed).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from residency_audit.collectors.aws_client import AwsClient, Unread
from residency_audit.collectors.observed import (
    UNKNOWN_KEY,
    GapCause,
    ObservedCopy,
    ObservedResource,
    account_of_arn,
    region_of_arn,
)
from residency_audit.model import ComponentKind, CopyKind

EBS = "ebs"
"""The service of an EBS volume's or snapshot's component; its calls are EC2's."""

BACKUP_SOURCE_TAG = "aws:backup:source-resource"
"""The tag AWS Backup puts on the EBS snapshots it makes, naming the resource backed up.

- AWS's managed policy AWSBackupServiceRolePolicyForBackup lets AWS Backup modify a snapshot's
  attributes and tier only when it bears the tag (`"Null": {"aws:ResourceTag/aws:backup:
  source-resource": "false"}`, https://docs.aws.amazon.com/aws-managed-policy/latest/reference/
  AWSBackupServiceRolePolicyForBackup.html), and AWSBackupGuardDutyRolePolicyForScans, "to
  read your AWS Backup Recovery Points", reads only the snapshots bearing it.
- A copy to another region keeps "all tags of the original backup" (AWS Backup, "Copying tags
  onto backups", https://docs.aws.amazon.com/aws-backup/latest/devguide/tags-on-backups.html).
- No one else can set it: the `aws:` prefix "is reserved for AWS use" and such tags cannot be
  edited or deleted (Amazon EC2 User Guide, "Tag restrictions",
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions).
- The description "This snapshot is created by the AWS Backup service." is not used: only
  third-party code matches it, no AWS page found says it, and any CreateSnapshot caller may
  write it.
- No AWS page found gives the value's format; third-party code and its test data show the ARN
  of the resource backed up (`arn:aws:ec2:REGION:ACCOUNT:volume/vol-...`, `.../instance/i-...`
  for an EC2 instance's). A value that is not a volume's ARN leaves the snapshot as any other.
- moto 5.2 lets a test set the tag (AWS refuses `aws:` keys to callers) and returns it in
  DescribeSnapshots' `Tags`, where that third-party code reads it from AWS.
"""

_VOLUME_ARN = re.compile(r"arn:[a-z-]+:ec2:[a-z0-9-]+:\d{12}:volume/vol-[0-9a-f]+")


class EbsRead(NamedTuple):
    """What EC2 answered in one region; `EbsReader.ebs_resources` makes the resources."""

    region: str
    volumes: list[dict[str, Any]]
    snapshots: list[dict[str, Any]]


class EbsReader(AwsClient):
    """Reads a region's EBS volumes and snapshots for `AwsCollector`."""

    account: str | None = None
    """The account read (`identity`); None when a reader is called on its own."""
    partition: str = "aws"

    def fetch_ebs(self, region: str) -> EbsRead:
        # Each call refused is a gap of its own: without the volumes, every snapshot is a store
        # of its own; without the snapshots, the volumes stay read.
        try:
            volumes = self.pages("ec2", region, "DescribeVolumes", "Volumes")
        except Unread:
            volumes = []
        try:
            snapshots = self.pages(
                "ec2", region, "DescribeSnapshots", "Snapshots", OwnerIds=["self"]
            )
        except Unread:
            snapshots = []
        return EbsRead(region, volumes, snapshots)

    def ebs_resources(
        self, read: EbsRead, plans: Sequence[ObservedResource] = ()
    ) -> list[ObservedResource]:
        """Volumes, each with its snapshots in its region as backup copies, and the other
        snapshots as stores of their own; but a snapshot made by AWS Backup that a plan among
        `plans` already models (`_left_to_backup`) is left to that plan. `plans` must be the
        plans of every region read: a copy made by a plan lies in another region than it."""
        region = read.region
        volumes = {v["VolumeId"]: self._volume(v, region) for v in read.volumes}
        # NOTE: moto 5.2 ignores OwnerIds and also lists the public AMI snapshots of other
        # accounts; AWS never returns them for "self", so dropping them changes nothing there.
        ours = [
            s
            for s in read.snapshots
            if (self.account is None or s.get("OwnerId") == self.account)
            and not _left_to_backup(s, region, plans)
        ]
        alone: list[ObservedResource] = []
        linked: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
        for snap in sorted(ours, key=lambda s: s["SnapshotId"]):
            volume = volumes.get(snap.get("VolumeId", ""))
            if volume is None or snap.get("TransferType"):  # a copy: its VolumeId is arbitrary
                alone.append(self._snapshot(snap, region))
            else:
                linked.setdefault((snap["VolumeId"], _snapshot_key(snap)), []).append(snap)
        for (volume_id, key), snaps in sorted(
            linked.items(), key=lambda x: (x[0][0], x[0][1] or "")
        ):
            volumes[volume_id].copies.append(self._backup(volumes[volume_id], snaps, key, region))
        return [volumes[v] for v in sorted(volumes)] + alone

    def _volume(self, volume: dict[str, Any], region: str) -> ObservedResource:
        arn = f"arn:{self.partition}:ec2:{region}:{self.account or ''}:volume/{volume['VolumeId']}"
        attached = ",".join(sorted(a["InstanceId"] for a in volume.get("Attachments") or []))
        detail = f"Encrypted={volume.get('Encrypted', False)}"
        if volume.get("KmsKeyId"):
            detail += f" KmsKeyId={volume['KmsKeyId']}"
        detail += f" Attachments={attached or 'none'}"
        return ObservedResource(
            EBS,
            ComponentKind.DATASTORE,
            volume["VolumeId"],
            arn,
            region,
            self.evidence("ec2", "DescribeVolumes", region, arn, detail),
            key=self._key(volume, region, arn, "DescribeVolumes"),
        )

    def _snapshot(self, snap: dict[str, Any], region: str) -> ObservedResource:
        """A snapshot not linked to a volume read in its region: a store of its own."""
        arn = self._snapshot_arn(snap, region)
        return ObservedResource(
            EBS,
            ComponentKind.BACKUP,
            snap["SnapshotId"],
            arn,
            region,
            self.evidence("ec2", "DescribeSnapshots", region, arn, _detail(snap)),
            key=self._key(snap, region, arn, "DescribeSnapshots"),
        )

    def _backup(
        self, volume: ObservedResource, snaps: list[dict[str, Any]], key: str | None, region: str
    ) -> ObservedCopy:
        """The snapshots of `volume` in its region on one key: one backup copy (a volume's
        recurring snapshots are one place and one key), citing the latest of them."""
        latest = max(snaps, key=lambda s: (str(s.get("StartTime", "")), s["SnapshotId"]))
        arn = self._snapshot_arn(latest, region)
        return ObservedCopy(
            CopyKind.BACKUP,
            region,
            self.evidence(
                "ec2", "DescribeSnapshots", region, arn, f"{_detail(latest)} Snapshots={len(snaps)}"
            ),
            arn,
            # on the volume's key (as a snapshot AWS takes of a volume is): no key of its own;
            # unencrypted, the snapshot of an encrypted volume is on no key a copy can name
            key=None if key == volume.key else key or UNKNOWN_KEY,
        )

    def _key(self, item: dict[str, Any], region: str, arn: str, call: str) -> str | None:
        """The KMS key of a volume or snapshot; None when unencrypted. Encrypted without a
        KmsKeyId (AWS always names it; moto does not for CreateSnapshot), the key is a gap
        naming the resource: unknown, never "unencrypted"."""
        if not item.get("Encrypted"):
            return None
        if item.get("KmsKeyId"):
            return str(item["KmsKeyId"])
        self.gap(
            "ec2",
            call,
            region,
            f"{GapCause.ERROR.value}: Encrypted=true without KmsKeyId in the reply for {arn}",
        )
        return None

    def _snapshot_arn(self, snap: dict[str, Any], region: str) -> str:
        # EC2 snapshot ARNs carry no account (Service Authorization Reference, Amazon EC2).
        return f"arn:{self.partition}:ec2:{region}::snapshot/{snap['SnapshotId']}"


def _left_to_backup(snap: dict[str, Any], region: str, plans: Sequence[ObservedResource]) -> bool:
    """Whether `snap`, in `region`, is a recovery point that a plan read already models: made
    by AWS Backup from a volume (`backup_source`), and a plan of the volume's region (plans
    back up the resources of their own region) lists the volume among those it protects and
    puts a copy in `region`, in the account (its own vault there, or a copy action's). Such a
    plan was read whole: GetBackupPlan, and every selection (`_protected` keeps none when one
    is refused). When it was not (ListBackupPlans, GetBackupPlan or a selection refused,
    throttled), or no plan read made it (an on-demand backup, or one whose plan was deleted:
    "existing backups are not deleted", AWS Backup, "Delete a backup plan"), or the plan picks
    the volume by tags not resolved (`aws_selections`), nothing models the snapshot but itself,
    and it stays: fail closed.
    """
    source = backup_source(snap)
    if source is None:
        return False
    home = region_of_arn(source)
    for plan in plans:
        if plan.service != "backup" or plan.region != home:
            continue
        if not any(fnmatch.fnmatchcase(source, p) for p in plan.protects):
            continue
        ours = (None, account_of_arn(plan.arn))
        if any(c.region == region and c.account in ours for c in plan.copies):
            return True
    return False


def backup_source(snap: dict[str, Any]) -> str | None:
    """The ARN of the volume AWS Backup made `snap` from (`BACKUP_SOURCE_TAG`); None for a
    snapshot it did not make, or one whose tag names no volume."""
    for tag in snap.get("Tags") or []:
        if tag.get("Key") == BACKUP_SOURCE_TAG:
            value = str(tag.get("Value") or "")
            return value if _VOLUME_ARN.fullmatch(value) else None
    return None


def _snapshot_key(snap: dict[str, Any]) -> str | None:
    """A snapshot's key, as a copy names it: None when unencrypted, `UNKNOWN_KEY` when
    encrypted without a KmsKeyId in the reply."""
    if not snap.get("Encrypted"):
        return None
    return str(snap.get("KmsKeyId") or UNKNOWN_KEY)


def _detail(snap: dict[str, Any]) -> str:
    parts = [
        f"SnapshotId={snap['SnapshotId']}",
        f"VolumeId={snap.get('VolumeId')}",
        f"State={snap.get('State')}",
        f"Encrypted={snap.get('Encrypted', False)}",
    ]
    if snap.get("KmsKeyId"):
        parts.append(f"KmsKeyId={snap['KmsKeyId']}")
    if snap.get("TransferType"):
        parts.append(f"TransferType={snap['TransferType']}")
    return " ".join(parts)

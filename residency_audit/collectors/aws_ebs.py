"""What `discover aws` reads of Amazon EBS in a region: volumes (the disks of a self-managed
database on EC2) and the account's own snapshots of them, each with the key protecting it.

A snapshot of a volume read in its region is a backup copy of that volume's component. A
snapshot copied from another region or account (`CopySnapshot`) cannot be linked to its
source: DescribeSnapshots returns no source snapshot, and a copy's `VolumeId` is "an arbitrary
volume ID that you should not use for any purpose" (EC2 API reference, Snapshot). Such a
snapshot, like one whose volume is gone, is a store of its own in its region, with its own key:
its place is then judged by the location rules all the same.
"""

from __future__ import annotations

from typing import Any

from residency_audit.collectors.aws_client import AwsClient, Unread
from residency_audit.collectors.observed import (
    UNKNOWN_KEY,
    GapCause,
    ObservedCopy,
    ObservedResource,
)
from residency_audit.model import ComponentKind, CopyKind

EBS = "ebs"
"""The service of an EBS volume's or snapshot's component; its calls are EC2's."""


class EbsReader(AwsClient):
    """Reads a region's EBS volumes and snapshots for `AwsCollector`."""

    account: str | None = None
    """The account read (`identity`); None when a reader is called on its own."""
    partition: str = "aws"

    def read_ebs(self, region: str) -> list[ObservedResource]:
        # Each call refused is a gap of its own: without the volumes, every snapshot is a store
        # of its own; without the snapshots, the volumes stay read.
        try:
            listed = self.pages("ec2", region, "DescribeVolumes", "Volumes")
        except Unread:
            listed = []
        volumes = {v["VolumeId"]: self._volume(v, region) for v in listed}
        try:
            snapshots = self.pages(
                "ec2", region, "DescribeSnapshots", "Snapshots", OwnerIds=["self"]
            )
        except Unread:
            snapshots = []
        # NOTE: moto 5.2 ignores OwnerIds and also lists the public AMI snapshots of other
        # accounts; AWS never returns them for "self", so dropping them changes nothing there.
        ours = [s for s in snapshots if self.account is None or s.get("OwnerId") == self.account]
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

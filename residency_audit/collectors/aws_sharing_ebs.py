"""The sharing of EBS volumes and snapshots `discover aws` reads, through the snapshots' and
the AMIs' permissions (`aws_sharing` for what is shared).

EBS: a snapshot's data are the data of the volume it was taken from, so a volume's list is the
union of its snapshots' (the snapshots a backup copy stands for, and those AWS Backup made of it),
and a snapshot standing alone has its own. An AMI backed by a snapshot lets whoever may launch
it (its `launchPermission`) have the snapshot's data: its shares are the snapshot's. A volume
that a backup plan copies to a region whose snapshots were not read has `unknown` in its list,
and so has a volume of a region whose plans were not read whole (ListBackupPlans or a
GetBackupPlan refused), when some region's snapshots were not read: a plan may copy there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from residency_audit.collectors.aws_client import Unread
from residency_audit.collectors.aws_ebs import EBS, EbsRead, backup_source
from residency_audit.collectors.aws_sharing import SharingReader, Through, record_shares
from residency_audit.collectors.observed import ObservedResource, account_of_arn, backs_up
from residency_audit.model import ComponentKind
from residency_audit.sharing import PUBLIC, REGIONS_NOT_READ, UNREAD


class EbsSharingReader(SharingReader):
    """Reads the sharing of EBS snapshots and the AMIs they back for `AwsCollector`."""

    def share_ebs(
        self,
        reads: Sequence[EbsRead],
        resources: Sequence[ObservedResource],
        standalone: Callable[[dict[str, Any], str], ObservedResource],
    ) -> list[ObservedResource]:
        """Sets the sharing of the EBS volumes and snapshots among `resources`: a volume's is
        its snapshots'. Returns the shared snapshots nothing observed stands for (made by AWS
        Backup from a volume not read, which a plan models): each a store of its own (made by
        `standalone`), since a plan's copy cannot say it is shared."""
        ebs = [r for r in resources if r.service == EBS]
        by_arn = {r.arn: r for r in ebs}
        by_place = {(r.region, r.name): r for r in ebs}
        unread = {
            g.region for g in self.gaps if (g.service, g.call) == ("ec2", "DescribeSnapshots")
        }
        unselected = {g.region for g in self.gaps if (g.service, g.call) in _SELECTIONS}
        unplanned = {g.region for g in self.gaps if (g.service, g.call) in _PLANS}
        found: dict[int, Through] = {}
        for r in ebs:  # without the snapshots, a volume's sharing is unknown
            found[id(r)] = _elsewhere(
                r,
                resources,
                unread,
                unselected,
                regions_read=self.regions_read,
                account=self.account,
            )
            if r.region in unread:
                found[id(r)].add((f"snapshots-in-{r.region}", UNREAD))
            if r.kind is ComponentKind.DATASTORE and r.region in unplanned:
                found[id(r)] |= self._unplanned(unread)
        extra = []
        for read in reads:
            snaps = [s for s in read.snapshots if self.account in (None, s.get("OwnerId"))]
            images = self._images(read.region, {s["SnapshotId"] for s in snaps})
            with ThreadPoolExecutor(max_workers=self.settings.workers) as pool:
                shares = list(pool.map(self._snapshot_shares, snaps, [read.region] * len(snaps)))
            for snap, through in zip(snaps, shares, strict=True):
                through |= images.get(snap["SnapshotId"], set())
                holder = _holder(snap, read.region, by_place, by_arn)
                if holder is not None:
                    found[id(holder)] |= through
                elif through:
                    alone = standalone(snap, read.region)
                    record_shares(alone, through)
                    extra.append(alone)
        for r in ebs:
            record_shares(r, found[id(r)])
        return extra

    def _unplanned(self, unread: set[str | None]) -> Through:
        """`unknown` for each region whose snapshots were not read (left out, or
        DescribeSnapshots refused there), for a volume of a region whose backup plans were not
        read whole (ListBackupPlans or a GetBackupPlan refused): a plan not read may copy its
        snapshots there, as `_elsewhere` says of a plan read. Every region read whole: the
        snapshots of it anywhere were read, and none is unknown."""
        if self.regions_read is None:
            return set()
        out = {(f"snapshots-in-{r or 'an-unknown-region'}", UNREAD) for r in unread}
        # the regions left out are many (every enabled one but --region's): one entry names
        # them all (`observation.regions_not_queried` lists them); unknown when not listed
        if self.regions_left_out is None or self.regions_left_out:
            out.add((f"snapshots-in-{REGIONS_NOT_READ}", UNREAD))
        return out

    def _snapshot_shares(self, snap: dict[str, Any], region: str) -> Through:
        ident = snap["SnapshotId"]
        arn = f"arn:{self.partition}:ec2:{region}::snapshot/{ident}"
        reply = self._read(
            region,
            "DescribeSnapshotAttribute",
            arn,
            service="ec2",
            Attribute="createVolumePermission",
            SnapshotId=ident,
            # the snapshot the reply is about: an unshared snapshot's empty permission list may
            # be left out of the XML, so the list itself cannot be required
            require="SnapshotId",
            kind=str,
        )
        if reply is None:
            return {(ident, UNREAD)}
        return {(ident, _permitted(p)) for p in reply.get("CreateVolumePermissions", [])}

    def _images(self, region: str, owned: set[str]) -> dict[str, Through]:
        """Snapshot id → the shares of the account's AMIs it backs (their launchPermission):
        whoever may launch an AMI may have its snapshots' data. Unread: every snapshot's
        sharing is unknown."""
        if not owned:
            return {}
        about = f"arn:{self.partition}:ec2:{region}:{self.account or ''}:image/*"
        try:
            images = self.pages("ec2", region, "DescribeImages", "Images", Owners=["self"])
        except Unread:
            return {s: {(f"images-in-{region}", UNREAD)} for s in owned}
        out: dict[str, Through] = {}
        for image in sorted(images, key=lambda i: str(i.get("ImageId"))):
            backing = {
                str(m["Ebs"]["SnapshotId"])
                for m in image.get("BlockDeviceMappings") or []
                if (m.get("Ebs") or {}).get("SnapshotId") in owned
            }
            if not backing:
                continue
            ident = str(image["ImageId"])
            reply = self._read(
                region,
                "DescribeImageAttribute",
                about.replace("image/*", f"image/{ident}"),
                service="ec2",
                Attribute="launchPermission",
                ImageId=ident,
                require="ImageId",  # as for snapshots: the list may be left out when empty
                kind=str,
            )
            if reply is None:
                shares = {(ident, UNREAD)}
            else:
                shares = {(ident, _permitted(p)) for p in reply.get("LaunchPermissions", [])}
            for snap in backing:
                out.setdefault(snap, set()).update(shares)
        return out


_SELECTIONS = {("backup", "ListBackupSelections"), ("backup", "GetBackupSelection")}
"""The calls without which what a backup plan protects is unknown."""
_PLANS = {("backup", "ListBackupPlans"), ("backup", "GetBackupPlan")}
"""The calls without which a region's backup plans, and where they copy, are unknown."""


def _permitted(permission: dict[str, Any]) -> str:
    """Who a createVolumePermission or launchPermission lets in: group `all` is anyone; an
    organisation or organisational unit names no account, so is `unknown`."""
    if permission.get("Group") == "all":
        return PUBLIC
    if permission.get("UserId"):
        return str(permission["UserId"])
    return UNREAD


def _elsewhere(
    volume: ObservedResource,
    resources: Sequence[ObservedResource],
    unread: set[str | None],
    unselected: set[str | None],
    *,
    regions_read: frozenset[str] | None,
    account: str | None,
) -> Through:
    """`unknown` for each region a backup plan of the volume's region copies it to, in the
    account, whose snapshots were not read (not read, or DescribeSnapshots failed there): the
    snapshots of it there may be shared. A plan whose selections were not read (a gap in
    `unselected` regions) may protect it."""
    out: Through = set()
    if volume.kind is not ComponentKind.DATASTORE:
        return out
    for plan in resources:
        if plan.service != "backup" or plan.region != volume.region:
            continue
        chosen = backs_up(plan, volume)
        if not chosen and plan.region not in unselected:
            continue
        for copy in plan.copies:
            if copy.account not in (None, account, account_of_arn(plan.arn)):
                continue  # another account's snapshots: that account's to share
            region = copy.region
            if region is None or region in unread or (regions_read and region not in regions_read):
                out.add((f"snapshots-in-{region or 'an-unknown-region'}", UNREAD))
    return out


def _holder(
    snap: dict[str, Any],
    region: str,
    by_place: dict[tuple[str | None, str], ObservedResource],
    by_arn: dict[str, ObservedResource],
) -> ObservedResource | None:
    """The observed resource holding a snapshot's data, as `EbsReader.ebs_resources` models
    it: the snapshot standing alone, else its volume read in its region (a copy of which the
    snapshot is), else the volume AWS Backup made it from (`backup_source`)."""
    alone = by_place.get((region, snap["SnapshotId"]))
    if alone is not None:
        return alone
    if not snap.get("TransferType"):
        volume = by_place.get((region, str(snap.get("VolumeId", ""))))
        if volume is not None:
            return volume
    source = backup_source(snap)
    return by_arn.get(source) if source else None

"""The sharing of RDS instances and clusters `discover aws` reads, through their manual
snapshots' `restore` attribute (`aws_sharing` for what is shared).

A DB snapshot holds its instance's data, a DB cluster snapshot its cluster's: whoever may
restore one has the data, so a store's list is the union of its manual snapshots' (as a volume's
is its snapshots', `aws_sharing_ebs`). Only manual snapshots can be shared: AWS documents the
`restore` attribute (DescribeDBSnapshotAttributes, DescribeDBClusterSnapshotAttributes) for
manual snapshots, `all` in it meaning public and account ids the accounts that may copy or
restore it. A snapshot copied from another region or account is a store of its own when it is
shared (its identifier names an instance elsewhere, which may not be the one of that name here),
as is a shared snapshot whose instance or cluster was not read (deleted, or refused). A list
refused or failed in a region makes the sharing of its stores `unknown`, and so does a copy of a
store (a read replica, replicated automated backups) whose snapshots were not listed: in a
region not read, or in one read where the copy was not read itself and that region's listing
was refused (`share_rds_copies`, once every region is read).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from residency_audit.collectors.aws_client import Unread
from residency_audit.collectors.aws_sharing import (
    SharingReader,
    Through,
    add_shares,
    read_stores,
    record_shares,
)
from residency_audit.collectors.observed import ObservedResource, account_of_arn, region_of_arn
from residency_audit.model import ComponentKind
from residency_audit.sharing import DB_CLUSTER_SNAPSHOT, DB_SNAPSHOT, PUBLIC, UNREAD


@dataclass(frozen=True, slots=True)
class _Kind:
    """How the snapshots of one kind of RDS store are listed and read."""

    arn_type: str
    """The resource type in the store's ARN (`db`, `cluster`)."""
    through: str
    """`SharedThrough=` prefix of its snapshots (`sharing.DB_SNAPSHOT`...)."""
    list_call: str
    list_key: str
    attributes_call: str
    attributes_key: str
    snapshot_id: str
    snapshot_arn: str
    store_id: str
    copied_from: str
    encrypted: str


_KINDS = (
    _Kind(
        "db",
        DB_SNAPSHOT,
        "DescribeDBSnapshots",
        "DBSnapshots",
        "DescribeDBSnapshotAttributes",
        "DBSnapshotAttributesResult.DBSnapshotAttributes",
        "DBSnapshotIdentifier",
        "DBSnapshotArn",
        "DBInstanceIdentifier",
        "SourceDBSnapshotIdentifier",
        "Encrypted",
    ),
    _Kind(
        "cluster",
        DB_CLUSTER_SNAPSHOT,
        "DescribeDBClusterSnapshots",
        "DBClusterSnapshots",
        "DescribeDBClusterSnapshotAttributes",
        "DBClusterSnapshotAttributesResult.DBClusterSnapshotAttributes",
        "DBClusterSnapshotIdentifier",
        "DBClusterSnapshotArn",
        "DBClusterIdentifier",
        "SourceDBClusterSnapshotArn",
        "StorageEncrypted",
    ),
)


class RdsSharingReader(SharingReader):
    """Reads the sharing of RDS instances and clusters for `AwsCollector`."""

    def share_rds(
        self, region: str, resources: Sequence[ObservedResource]
    ) -> list[ObservedResource]:
        """Sets the sharing of the RDS stores read in `region` (among `resources`) from the
        region's manual snapshots. Returns the shared snapshots no store read here holds, each a
        store of its own."""
        stores = [r for r in resources if r.service == "rds" and r.region == region]
        found: dict[int, Through] = {id(r): self._rds_elsewhere(r) for r in stores}
        extra = []
        for kind in _KINDS:
            mine = {r.name: r for r in stores if _arn_type(r.arn) == kind.arn_type}
            try:
                snaps = self.pages(
                    "rds", region, kind.list_call, kind.list_key, SnapshotType="manual"
                )
            except Unread:
                for r in mine.values():
                    found[id(r)].add((f"{kind.through}s-in-{region}", UNREAD))
                continue
            with ThreadPoolExecutor(max_workers=self.settings.workers) as pool:
                shares = list(
                    pool.map(self._rds_shares, [kind] * len(snaps), [region] * len(snaps), snaps)
                )
            for snap, through in zip(snaps, shares, strict=True):
                holder = (
                    None
                    if _copied(kind, snap, region, self.account)
                    else mine.get(str(snap.get(kind.store_id)))
                )
                if holder is not None:
                    found[id(holder)] |= through
                elif through:
                    alone = self._rds_snapshot(kind, region, snap)
                    record_shares(alone, through)
                    extra.append(alone)
        for r in stores:
            record_shares(r, found[id(r)])
        return extra

    def _rds_shares(self, kind: _Kind, region: str, snap: dict[str, Any]) -> Through:
        ident = str(snap[kind.snapshot_id])
        what = f"{kind.through}-{ident}"
        result, _, attributes = kind.attributes_key.partition(".")
        snapshot: dict[str, Any] = {kind.snapshot_id: ident}
        reply = self._read(
            region,
            kind.attributes_call,
            str(snap.get(kind.snapshot_arn) or ident),
            service="rds",
            require=result,
            **snapshot,
        )
        if reply is None:
            return {(what, UNREAD)}
        return {
            (what, PUBLIC if value == "all" else value)
            for attribute in (reply.get(result) or {}).get(attributes) or []
            if attribute.get("AttributeName") == "restore"
            for value in attribute.get("AttributeValues") or []
        }

    def _rds_elsewhere(self, store: ObservedResource) -> Through:
        """`unknown` for each copy of the store in this account in a region not read (a read
        replica, replicated automated backups): the manual snapshots there were not listed."""
        if self.regions_read is None:
            return set()
        return {
            (f"{DB_SNAPSHOT}s-in-{c.region or 'an-unknown-region'}", UNREAD)
            for c in store.copies
            if c.account in (None, self.account) and c.region not in self.regions_read
        }

    def share_rds_copies(self, resources: Sequence[ObservedResource]) -> None:
        """`unknown` for each copy of a store in this account (a read replica, a member of its
        global cluster, replicated automated backups), in a region read, that was not read
        there (DescribeDBInstances or DescribeDBClusters refused, or not listing it), in a
        region whose snapshots of that kind were not listed: the manual snapshots of that
        copy may be shared, and nothing joins their sharing to the store's. Listed there, a
        shared snapshot of a copy not read is a store of its own (`share_rds`). Called once
        every region is read: regions are read concurrently."""
        if self.regions_read is None:
            return
        read = read_stores(resources)
        unlisted = {(g.region, g.call) for g in self.gaps if g.service == "rds"}
        for store in resources:
            if store.service != "rds":
                continue
            add_shares(
                store,
                {
                    (f"{kind.through}s-in-{c.region}", UNREAD)
                    for c in store.copies
                    if c.account in (None, self.account)
                    and c.region in self.regions_read
                    and c.target not in read
                    for kind in _KINDS
                    if _arn_type(c.target or "") in (kind.arn_type, None)
                    and (c.region, kind.list_call) in unlisted
                },
            )

    def _rds_snapshot(self, kind: _Kind, region: str, snap: dict[str, Any]) -> ObservedResource:
        arn = str(snap[kind.snapshot_arn])
        source = snap.get(kind.copied_from)
        detail = f"{kind.store_id}={snap.get(kind.store_id)} SnapshotType=manual"
        return ObservedResource(
            "rds",
            ComponentKind.BACKUP,
            str(snap[kind.snapshot_id]),
            arn,
            region,
            self.evidence(
                "rds",
                kind.list_call,
                region,
                arn,
                f"{detail} {kind.copied_from}={source}" if source else detail,
            ),
            key=snap.get("KmsKeyId") if snap.get(kind.encrypted) else None,
        )


def _arn_type(arn: str) -> str | None:
    """`arn:aws:rds:eu-west-3:123:db:patients` → db; None when the ARN names neither an
    instance nor a cluster (replicated automated backups, `auto-backup`), or does not parse."""
    parts = arn.split(":")
    kind = parts[5] if len(parts) > 6 else None
    return kind if kind in ("db", "cluster") else None


def _copied(kind: _Kind, snap: dict[str, Any], region: str, account: str | None) -> bool:
    """Whether the snapshot was copied from another region or account: its instance or cluster
    identifier then names a store there, not the one of that name here."""
    source = snap.get(kind.copied_from)
    if not source:
        return False
    return region_of_arn(str(source)) != region or account_of_arn(str(source)) not in (
        None,
        account,
    )

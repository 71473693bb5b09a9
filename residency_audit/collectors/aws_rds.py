"""What `discover aws` reads of Amazon RDS in a region: DB instances (not Aurora members: their
cluster is the store), DB clusters and global clusters, each with its key, its read replicas
and its cross-region automated backups. Who an RDS store is shared with is `aws_sharing_rds`.
"""

from __future__ import annotations

from residency_audit.collectors.aws_client import AwsClient, Unread
from residency_audit.collectors.observed import (
    UNKNOWN_KEY,
    ObservedCopy,
    ObservedResource,
    account_of_arn,
    region_of_arn,
)
from residency_audit.model import ComponentKind, CopyKind


class RdsReader(AwsClient):
    """Reads a region's RDS instances and clusters for `AwsCollector`."""

    def read_rds(self, region: str) -> list[ObservedResource]:
        out = []
        for db in self.pages("rds", region, "DescribeDBInstances", "DBInstances"):
            if db.get("DBClusterIdentifier"):
                continue  # an Aurora member: its cluster is the data store
            arn = db["DBInstanceArn"]
            r = ObservedResource(
                "rds",
                ComponentKind.DATASTORE,
                db["DBInstanceIdentifier"],
                arn,
                region,
                self.evidence(
                    "rds",
                    "DescribeDBInstances",
                    region,
                    arn,
                    f"Engine={db.get('Engine')} StorageEncrypted="
                    f"{db.get('StorageEncrypted', False)}",
                ),
                key=db.get("KmsKeyId") if db.get("StorageEncrypted") else None,
                source=_arn(db.get("ReadReplicaSourceDBInstanceIdentifier"), region, arn),
            )
            for replica in db.get("ReadReplicaDBInstanceIdentifiers", []):
                target = _arn(replica, region, arn)
                r.copies.append(
                    self._copy(
                        r,
                        CopyKind.REPLICA,
                        target,
                        "DescribeDBInstances",
                        arn,
                        "ReadReplicaDBInstanceIdentifiers",
                    )
                )
            for backup in db.get("DBInstanceAutomatedBackupsReplications", []):
                target = backup.get("DBInstanceAutomatedBackupsArn", "")
                r.copies.append(
                    self._copy(
                        r,
                        CopyKind.BACKUP,
                        target,
                        "DescribeDBInstances",
                        arn,
                        "DBInstanceAutomatedBackupsReplications",
                    )
                )
            out.append(r)
        # Each later call refused is a gap of its own; what was read before it stays read.
        try:
            clusters = self.pages("rds", region, "DescribeDBClusters", "DBClusters")
        except Unread:
            clusters = []
        for cluster in clusters:
            arn = cluster["DBClusterArn"]
            r = ObservedResource(
                "rds",
                ComponentKind.DATASTORE,
                cluster["DBClusterIdentifier"],
                arn,
                region,
                self.evidence(
                    "rds", "DescribeDBClusters", region, arn, f"Engine={cluster.get('Engine')}"
                ),
                key=cluster.get("KmsKeyId") if cluster.get("StorageEncrypted") else None,
                source=cluster.get("ReplicationSourceIdentifier"),
            )
            for target in cluster.get("ReadReplicaIdentifiers", []):
                r.copies.append(
                    self._copy(
                        r,
                        CopyKind.REPLICA,
                        target,
                        "DescribeDBClusters",
                        arn,
                        "ReadReplicaIdentifiers",
                    )
                )
            out.append(r)
        try:
            global_clusters = self.pages("rds", region, "DescribeGlobalClusters", "GlobalClusters")
        except Unread:
            global_clusters = []
        for glob in global_clusters:
            members = glob.get("GlobalClusterMembers", [])
            writer = next((m["DBClusterArn"] for m in members if m.get("IsWriter")), None)
            for r in out:
                if r.arn == writer:
                    for m in members:
                        if m["DBClusterArn"] != writer:
                            r.copies.append(
                                self._copy(
                                    r,
                                    CopyKind.REPLICA,
                                    m["DBClusterArn"],
                                    "DescribeGlobalClusters",
                                    glob.get("GlobalClusterArn"),
                                    "GlobalClusterMember",
                                )
                            )
            for r in out:
                if r.arn != writer and any(m["DBClusterArn"] == r.arn for m in members):
                    r.source = writer
        return out

    def _copy(
        self,
        source: ObservedResource,
        kind: CopyKind,
        target: str | None,
        call: str,
        read_from: str | None,
        member: str,
    ) -> ObservedCopy:
        """A copy of `source` at ARN `target`, as `call` named it in `member` of the reply about
        `read_from`: in the target's region and account, on the key `_elsewhere` says."""
        where = target or ""
        return ObservedCopy(
            kind,
            region_of_arn(where),
            self.evidence("rds", call, source.region, read_from, f"{member}={target}"),
            target,
            account_of_arn(where),
            key=_elsewhere(source, where),
        )


def _elsewhere(source: ObservedResource, target: str) -> str | None:
    """The key of an RDS copy: its source's (None) in the source's region and account, or
    when the source is unencrypted (so is its copy); else `UNKNOWN_KEY`: KMS keys are regional,
    so an encrypted copy in another region is on a key of its own, which the read of that
    region replaces (`observed._merge`). Never the source's key by default."""
    home = region_of_arn(target) == source.region and account_of_arn(target) in (
        None,
        account_of_arn(source.arn),
    )
    return None if home or source.key is None else UNKNOWN_KEY


def _arn(ident: str | None, region: str, sibling_arn: str) -> str | None:
    """RDS identifiers are ARNs across regions and bare names within one."""
    if not ident:
        return None
    if ident.startswith("arn:"):
        return ident
    prefix = sibling_arn.rsplit(":", 1)[0]
    return f"{prefix}:{ident}"

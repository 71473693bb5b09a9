"""What `discover aws` reads in an account: regions, S3 buckets and their replication, KMS
keys and their origin, RDS instances and clusters (global ones included), DynamoDB tables and
their replicas, AWS Backup plans (and the keys of their vaults), EBS volumes and snapshots
(`residency_audit.collectors.aws_ebs`), EC2 instances and Lambda functions
(`residency_audit.collectors.aws_compute`) and CloudFront distributions (`SERVICES`).
Every enabled (or requested) region is read concurrently; how each call is made, and what a
failed one becomes, is `residency_audit.collectors.aws_client`. S3 lists every bucket of the
account whatever its region: a bucket outside the regions read (or whose region is unknown)
stays observed, and what was not read about it is a gap naming it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ReadTimeoutError
from botocore.exceptions import ConnectionError as NoConnectionError

from residency_audit.collectors.aws_client import (
    _ENABLED,
    Unread,
    now,
)
from residency_audit.collectors.aws_compute import EC2, LAMBDA, ComputeReader
from residency_audit.collectors.aws_ebs import EBS, EbsRead, EbsReader
from residency_audit.collectors.aws_selections import SelectionReader
from residency_audit.collectors.aws_sharing_dynamodb import TableSharingReader
from residency_audit.collectors.aws_sharing_ebs import EbsSharingReader
from residency_audit.collectors.aws_sharing_rds import RdsSharingReader
from residency_audit.collectors.aws_sharing_s3 import BucketSharingReader
from residency_audit.collectors.observed import (
    UNKNOWN_ACCOUNT,
    UNKNOWN_KEY,
    Discovery,
    GapCause,
    KeyRecord,
    ObservedCopy,
    ObservedResource,
    account_of_arn,
    region_of_arn,
)
from residency_audit.errors import CollectorError
from residency_audit.model import ComponentKind, CopyKind, KeyManagement
from residency_audit.sharing import UNREAD

SERVICES = ("backup", "cloudfront", "dynamodb", EBS, EC2, "kms", LAMBDA, "rds", "s3")
"""The services `collect` reads, written in the observation: a file that does not name a
service (one written before it was read) cannot show that the account has none of it."""


class Regions(NamedTuple):
    """An account's regions as `discover` splits them."""

    read: list[str]
    not_enabled: tuple[str, ...] | None
    """Not enabled in the account; None when the regions could not be listed."""
    not_queried: tuple[str, ...] | None
    """Enabled but left out by --region; None when the regions could not be listed."""


class AwsCollector(
    SelectionReader,
    EbsReader,
    ComputeReader,
    BucketSharingReader,
    EbsSharingReader,
    RdsSharingReader,
    TableSharingReader,
):
    """Reads one account: its identity, its regions, then each region's resources."""

    regions_read: frozenset[str] | None = None
    """The regions `collect` reads; None (any region) when a reader is called on its own."""

    # -- the run ----------------------------------------------------------------------------

    def identity(self) -> tuple[str, str]:
        try:
            who = self.client("sts", self.home).get_caller_identity()
        except NoCredentialsError as exc:
            raise CollectorError(
                "aws: no credentials found; set AWS_PROFILE or the AWS_* "
                "variables, or pass --profile"
            ) from exc
        except (NoConnectionError, ReadTimeoutError) as exc:
            # no answer (refused, unresolved, timed out, proxy or TLS failure): the credentials
            # were never judged
            raise CollectorError(
                f"aws: cannot identify the account (sts GetCallerIdentity "
                f"in {self.home}): {exc}; check the endpoint (AWS_ENDPOINT_URL, proxy "
                "settings) and the network"
            ) from exc
        except (ClientError, BotoCoreError) as exc:
            raise CollectorError(
                f"aws: cannot identify the account (sts GetCallerIdentity "
                f"in {self.home}): {exc}; check the credentials"
            ) from exc
        return str(who["Account"]), str(who["Arn"]).split(":")[1]

    def regions(self, requested: Sequence[str]) -> Regions:
        """The regions to read, and those left unread. A requested region that is not enabled
        is a gap; without --region, every enabled region is read."""
        try:
            reply = self.call("ec2", self.home, "DescribeRegions", AllRegions=True)
            listed = self.listed("ec2", self.home, "DescribeRegions", reply, "Regions")
        except Unread:
            if not requested:
                raise CollectorError(
                    "aws: cannot list the enabled regions (ec2:DescribeRegions refused or "
                    "failed); grant it or name the regions with --region"
                ) from None
            return Regions(sorted(set(requested)), None, None)  # what else is there: unknown
        status = {r["RegionName"]: r.get("OptInStatus", "opt-in-not-required") for r in listed}
        enabled = sorted(name for name, s in status.items() if s in _ENABLED)
        disabled = tuple(sorted(name for name, s in status.items() if s not in _ENABLED))
        if not requested:
            return Regions(enabled, disabled, ())
        chosen = []
        for region in dict.fromkeys(requested):
            if status.get(region) in _ENABLED:
                chosen.append(region)
            else:
                self.gap(
                    "ec2",
                    "DescribeRegions",
                    region,
                    f"{GapCause.REGION_NOT_ENABLED.value} in this account (opted out): not read"
                    if region in status
                    else f"{GapCause.REGION_UNKNOWN.value} to ec2:DescribeRegions: not read",
                )
        return Regions(chosen, disabled, tuple(r for r in enabled if r not in chosen))

    def collect(self, requested: Sequence[str] = ()) -> Discovery:
        started = now()
        account, partition = self.identity()
        self.account, self.partition = account, partition
        listed = self.regions(requested)
        regions = listed.read
        self.regions_read = frozenset(regions)
        self.regions_left_out = listed.not_queried
        found = Discovery(
            account=account,
            partition=partition,
            started_at=started,
            regions=tuple(regions),
            regions_not_enabled=listed.not_enabled,
            regions_not_queried=listed.not_queried,
            services=SERVICES,
        )
        for region in regions:  # clients made up front: creation holds the lock anyway
            for service in ("s3", "kms", "rds", "dynamodb", "backup", "ec2", "lambda"):
                self.client(service, region)
        buckets = self.bucket_regions()
        with ThreadPoolExecutor(max_workers=self.settings.workers) as pool:
            results = list(pool.map(lambda r: self.read_region(r, buckets), regions))
        for resources, keys, _ in results:
            found.resources += resources
            found.keys += keys
        # A replica read in its region brings its sharing to its source (`observed._merge`);
        # one not read there leaves the source's unknown: known once every region is read.
        self.share_replicas(found.resources)
        self.share_rds_copies(found.resources)
        # EBS snapshots made by AWS Backup are left to the plans that made them, wherever they
        # lie: only once every region's plans are read (`EbsReader.ebs_resources`).
        plans = [r for r in found.resources if r.service == "backup"]
        for _, _, ebs in results:
            found.resources += self.ebs_resources(ebs, plans)
        found.resources += self.share_ebs([r[2] for r in results], found.resources, self._snapshot)
        found.resources += self.unread_buckets(buckets, listed, requested=bool(requested))
        found.resources += self.read_cloudfront()
        found.gaps = list(self.gaps)
        return found

    def read_region(
        self, region: str, buckets: dict[str, str | None]
    ) -> tuple[list[ObservedResource], list[KeyRecord], EbsRead]:
        resources: list[ObservedResource] = []
        keys: list[KeyRecord] = []
        readers: list[tuple[Callable[[str], Any], list[Any]]] = [
            (lambda r: self.read_buckets(r, buckets), resources),
            (self.read_keys, keys),
            (self.read_rds, resources),
            (self.read_dynamodb, resources),
            (self.read_backup, resources),
            (self.read_instances, resources),
            (self.read_functions, resources),
        ]
        for reader, into in readers:
            with contextlib.suppress(Unread):  # recorded; the region's other services go on
                into += reader(region)
        resources += self.share_rds(region, resources)  # also when the stores were refused
        ebs = self.fetch_ebs(region)  # made into resources by `collect`, once plans are read
        self.progress(region)
        return resources, keys, ebs

    # -- S3 ---------------------------------------------------------------------------------

    def bucket_regions(self) -> dict[str, str | None]:
        """Every bucket of the account (S3 lists them all, whatever the region) → its region;
        None when its location could not be read (a gap naming the bucket)."""
        try:
            listed = self.pages("s3", self.home, "ListBuckets", "Buckets")
        except Unread:
            return {}
        names = [b["Name"] for b in listed]
        with ThreadPoolExecutor(max_workers=self.settings.workers) as pool:
            located = list(pool.map(self._locate, names))
        return dict(zip(names, located, strict=True))

    def read_buckets(self, region: str, buckets: dict[str, str | None]) -> list[ObservedResource]:
        out = []
        for name in sorted(n for n, r in buckets.items() if r == region):
            bucket = self._bucket(name, region)
            with contextlib.suppress(Unread):
                bucket.key = self._bucket_key(name, region)
            with contextlib.suppress(Unread):
                bucket.copies += self._bucket_replicas(name, region, buckets)
            self.share_bucket(bucket)
            out.append(bucket)
        return out

    def unread_buckets(
        self, buckets: dict[str, str | None], listed: Regions, *, requested: bool
    ) -> list[ObservedResource]:
        """Buckets outside the regions read: those whose location is unknown, and those in a
        region left out (not given to --region, or not enabled). Each stays in the observation
        with the region known, if any, and its encryption and replication, not read, are gaps."""
        read = set(listed.read)
        out = []
        for name, region in sorted(buckets.items()):
            if region in read:
                continue
            arn = f"arn:aws:s3:::{name}"
            if region is None:
                bucket = ObservedResource(
                    "s3",
                    ComponentKind.DATASTORE,
                    name,
                    arn,
                    None,
                    self.evidence(
                        "s3",
                        "ListBuckets",
                        self.home,
                        arn,
                        "region unknown: GetBucketLocation not read",
                    ),
                )
                why = f"{GapCause.REGION_UNKNOWN.value} (s3 GetBucketLocation not read)"
            else:
                bucket = self._bucket(name, region)
                if listed.not_enabled and region in listed.not_enabled:
                    why = f"{GapCause.REGION_NOT_ENABLED.value}: in {region}, not read"
                elif requested:
                    why = (
                        f"{GapCause.NOT_QUERIED.value}: in {region}, a region not given to --region"
                    )
                else:
                    why = f"{GapCause.NOT_QUERIED.value}: in {region}, a region not read"
            for call in ("GetBucketEncryption", "GetBucketReplication"):
                self.gap("s3", call, region, f"{why}, so not called for {arn}")
            bucket.shared_with = (UNREAD,)  # not read either, as the gaps above say
            out.append(bucket)
        return out

    def _bucket(self, name: str, region: str) -> ObservedResource:
        arn = f"arn:aws:s3:::{name}"
        return ObservedResource(
            "s3",
            ComponentKind.DATASTORE,
            name,
            arn,
            region,
            self.evidence(
                "s3", "GetBucketLocation", self.home, arn, f"LocationConstraint={region}"
            ),
        )

    def _bucket_key(self, name: str, region: str) -> str | None:
        reply = self.call(
            "s3",
            region,
            "GetBucketEncryption",
            Bucket=name,
            absent=("ServerSideEncryptionConfigurationNotFoundError",),
            about=f"arn:aws:s3:::{name}",
        )
        if reply is None:  # no configuration: no default encryption
            return None
        rules = self.member(
            "s3",
            region,
            "GetBucketEncryption",
            reply,
            "ServerSideEncryptionConfiguration.Rules",
            about=f"arn:aws:s3:::{name}",
            kind=list,
        )
        for rule in rules:
            default = rule.get("ApplyServerSideEncryptionByDefault", {})
            if default.get("SSEAlgorithm", "").startswith("aws:kms"):
                # No key id: the AWS managed key aws/s3 of the bucket's region.
                return default.get("KMSMasterKeyID") or f"alias/aws/s3@{region}"
            if default.get("SSEAlgorithm") == "AES256":
                return f"s3-owned@{region}"
        return None

    def _bucket_replicas(
        self, name: str, region: str, buckets: dict[str, str | None]
    ) -> list[ObservedCopy]:
        """Replication destinations. A destination bucket the account does not own (not in
        ListBuckets), or one whose rule names another owner (`Destination.Account`), holds a
        copy in another account."""
        reply = self.call(
            "s3",
            region,
            "GetBucketReplication",
            Bucket=name,
            absent=("ReplicationConfigurationNotFoundError",),
            about=f"arn:aws:s3:::{name}",
        )
        if reply is None:  # no configuration: no replication
            return []
        rules = self.member(
            "s3",
            region,
            "GetBucketReplication",
            reply,
            "ReplicationConfiguration.Rules",
            about=f"arn:aws:s3:::{name}",
            kind=list,
        )
        copies = []
        for rule in rules:
            if rule.get("Status") != "Enabled":
                continue
            destination = rule.get("Destination", {})
            target = destination.get("Bucket", "")
            target_name = target.split(":::")[-1]
            ours = target_name in buckets
            where = buckets[target_name] if ours else self._locate(target_name)
            owner = destination.get("Account") or (None if ours else UNKNOWN_ACCOUNT)
            detail = f"Destination={target}" + (
                f" Account={destination['Account']}"
                if destination.get("Account")
                else ("" if ours else " (bucket not owned by this account: not in ListBuckets)")
            )
            # S3 encrypts the replicas with the rule's ReplicaKmsKeyID; without one, each replica
            # keeps its source object's encryption or takes the destination's default, which
            # no call reads: unknown, never the source bucket's key.
            replica_key = destination.get("EncryptionConfiguration", {}).get("ReplicaKmsKeyID")
            if replica_key:
                detail += f" ReplicaKmsKeyID={replica_key}"
            copies.append(
                ObservedCopy(
                    CopyKind.REPLICA,
                    where,
                    self.evidence(
                        "s3", "GetBucketReplication", region, f"arn:aws:s3:::{name}", detail
                    ),
                    target,
                    owner,
                    key=replica_key or UNKNOWN_KEY,
                )
            )
        return copies

    def _locate(self, name: str) -> str | None:
        """Region of a bucket (also one of another account, a replica's): None when it cannot
        be read (the bucket, or the copy, stays unplaced, and the gap names it)."""
        arn = f"arn:aws:s3:::{name}"
        try:
            reply = self.call("s3", self.home, "GetBucketLocation", Bucket=name, about=arn)
            # NOTE: us-east-1 answers null (or empty) and the oldest buckets "EU" (S3 API
            # reference, GetBucketLocation: LocationConstraint): null is an answer, a reply
            # without the element is none (`aws_client._location_element`).
            location = self.member(
                "s3",
                self.home,
                "GetBucketLocation",
                reply,
                "LocationConstraint",
                about=arn,
                kind=(str, type(None)),
            )
        except Unread:
            return None
        location = location or "us-east-1"
        return "eu-west-1" if location == "EU" else location

    # -- KMS --------------------------------------------------------------------------------

    def read_keys(self, region: str) -> list[KeyRecord]:
        listed = self.pages("kms", region, "ListKeys", "Keys")
        aliases: dict[str, list[str]] = {}
        # Aliases only name keys: refused, they are a gap of their own, and the keys still count.
        with contextlib.suppress(Unread):
            for alias in self.pages("kms", region, "ListAliases", "Aliases"):
                if alias.get("TargetKeyId"):
                    aliases.setdefault(alias["TargetKeyId"], []).extend(
                        [f"{alias['AliasName']}@{region}", alias.get("AliasArn", "")]
                    )
        out = []
        for item in listed:
            try:
                reply = self.call(
                    "kms",
                    region,
                    "DescribeKey",
                    KeyId=item["KeyId"],
                    about=item.get("KeyArn") or item["KeyId"],
                )
                meta = self._key_metadata(reply, region, item.get("KeyArn") or item["KeyId"])
            except Unread:
                continue
            out.append(self.key_record(meta, region, aliases.get(meta["KeyId"], [])))
        return out

    def _key_metadata(self, reply: Any, region: str, about: str) -> dict[str, Any]:
        """DescribeKey's KeyMetadata, with the KeyId and Arn the key is known by."""
        for key in ("KeyMetadata.KeyId", "KeyMetadata.Arn"):
            self.member("kms", region, "DescribeKey", reply, key, about=about, kind=str)
        meta: dict[str, Any] = reply["KeyMetadata"]
        return meta

    def key_record(self, meta: dict[str, Any], region: str, aliases: list[str]) -> KeyRecord:
        origin = meta.get("Origin", "AWS_KMS")
        manager = meta.get("KeyManager", "CUSTOMER")
        store = None
        if meta.get("CustomKeyStoreId"):
            store = self._key_store(meta["CustomKeyStoreId"], region)
        mrc = meta.get("MultiRegionConfiguration") or {}
        replicas = tuple(sorted(r["Region"] for r in mrc.get("ReplicaKeys", [])))
        # A key is a replica when its PrimaryKey is another key. NOTE: moto 5.2 shares one
        # MultiRegionConfiguration between a primary and its replicas and DescribeKey on a
        # replica flips MultiRegionKeyType to REPLICA for both; the ARN comparison is immune.
        primary = mrc.get("PrimaryKey", {}).get("Arn")
        if primary == meta["Arn"]:
            primary = None
        detail = " ".join(
            f"{k}={v}"
            for k, v in (
                ("Origin", origin),
                ("KeyManager", manager),
                ("KeyState", meta.get("KeyState")),
                ("MultiRegion", meta.get("MultiRegion", False)),
                ("CustomKeyStoreId", meta.get("CustomKeyStoreId")),
                ("CustomKeyStoreType", store),
            )
            if v is not None
        )
        management, provider_can_use, held = key_management(origin, manager)
        return KeyRecord(
            id=meta["KeyId"],
            arn=meta["Arn"],
            region=region,
            management=management,
            evidence=self.evidence("kms", "DescribeKey", region, meta["Arn"], detail),
            provider_can_use=provider_can_use,
            held_by_provider=held,
            replica_regions=replicas,
            primary=primary,
            aliases=(meta["Arn"], meta["KeyId"], *aliases),
            aws_managed=manager == "AWS",
        )

    def _key_store(self, store_id: str, region: str) -> str | None:
        try:
            reply = self.call(
                "kms",
                region,
                "DescribeCustomKeyStores",
                CustomKeyStoreId=store_id,
                about=f"custom key store {store_id}",
            )
        except Unread:
            return None
        try:
            stores = self.listed("kms", region, "DescribeCustomKeyStores", reply, "CustomKeyStores")
        except Unread:
            return None
        return stores[0].get("CustomKeyStoreType") if stores else None

    # -- RDS --------------------------------------------------------------------------------

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
                    ObservedCopy(
                        CopyKind.REPLICA,
                        region_of_arn(target or ""),
                        self.evidence(
                            "rds",
                            "DescribeDBInstances",
                            region,
                            arn,
                            f"ReadReplicaDBInstanceIdentifiers={target}",
                        ),
                        target,
                        account_of_arn(target or ""),
                        key=_elsewhere(r, target or ""),
                    )
                )
            for backup in db.get("DBInstanceAutomatedBackupsReplications", []):
                target = backup.get("DBInstanceAutomatedBackupsArn", "")
                r.copies.append(
                    ObservedCopy(
                        CopyKind.BACKUP,
                        region_of_arn(target),
                        self.evidence(
                            "rds",
                            "DescribeDBInstances",
                            region,
                            arn,
                            f"DBInstanceAutomatedBackupsReplications={target}",
                        ),
                        target,
                        account_of_arn(target),
                        key=_elsewhere(r, target),
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
                    ObservedCopy(
                        CopyKind.REPLICA,
                        region_of_arn(target),
                        self.evidence(
                            "rds",
                            "DescribeDBClusters",
                            region,
                            arn,
                            f"ReadReplicaIdentifiers={target}",
                        ),
                        target,
                        account_of_arn(target),
                        key=_elsewhere(r, target),
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
                                ObservedCopy(
                                    CopyKind.REPLICA,
                                    region_of_arn(m["DBClusterArn"]),
                                    self.evidence(
                                        "rds",
                                        "DescribeGlobalClusters",
                                        region,
                                        glob.get("GlobalClusterArn"),
                                        f"GlobalClusterMember={m['DBClusterArn']}",
                                    ),
                                    m["DBClusterArn"],
                                    account_of_arn(m["DBClusterArn"]),
                                    key=_elsewhere(r, m["DBClusterArn"]),
                                )
                            )
            for r in out:
                if r.arn != writer and any(m["DBClusterArn"] == r.arn for m in members):
                    r.source = writer
        return out

    # -- DynamoDB ---------------------------------------------------------------------------

    def read_dynamodb(self, region: str) -> list[ObservedResource]:
        out = []
        for name in self.pages("dynamodb", region, "ListTables", "TableNames"):
            try:
                reply = self.call(
                    "dynamodb", region, "DescribeTable", TableName=name, about=f"table {name}"
                )
                for key in ("Table.TableArn", "Table.TableName"):
                    self.member(
                        "dynamodb",
                        region,
                        "DescribeTable",
                        reply,
                        key,
                        about=f"table {name}",
                        kind=str,
                    )
            except Unread:
                continue
            assert reply is not None
            table = reply["Table"]
            out.append(self._table(table, region))
            self.share_table(out[-1], table)
        return out

    def _table(self, table: dict[str, Any], region: str) -> ObservedResource:
        arn = table["TableArn"]
        sse = table.get("SSEDescription") or {}
        version = table.get("GlobalTableVersion")
        r = ObservedResource(
            "dynamodb",
            ComponentKind.DATASTORE,
            table["TableName"],
            arn,
            region,
            self.evidence(
                "dynamodb", "DescribeTable", region, arn, f"GlobalTableVersion={version}"
            ),
            # Without SSEDescription the table uses the DynamoDB-owned key.
            key=sse.get("KMSMasterKeyArn") or f"dynamodb-owned@{region}",
        )
        # A version 2017.11.29 (legacy) global table is a table in each of its regions, which
        # ListTables there finds as a resource of its own (DescribeGlobalTable, which would
        # link them, is not implemented by moto's server, so it is not called): a replica in a
        # region not queried is named by that region's gap, never silently passed.
        # Each replica is a place of its own, in its region, with its region's key. Read in
        # several regions, the global table is one resource per region, each listing the
        # others: the assembly (`observed._fold`) keeps one and makes the others its copies.
        for replica in sorted(table.get("Replicas") or [], key=lambda x: x["RegionName"]):
            other = replica["RegionName"]
            if other == region:
                continue
            target = arn.replace(f":{region}:", f":{other}:", 1)
            # A replica's KMS key is its own (a key of its region); tables on the DynamoDB-owned
            # key have no SSEDescription and owned keys everywhere.
            key = replica.get("KMSMasterKeyId") or (
                UNKNOWN_KEY if sse else f"dynamodb-owned@{other}"
            )
            detail = f"Replica RegionName={other} ReplicaStatus={replica.get('ReplicaStatus')}"
            if replica.get("KMSMasterKeyId"):
                detail += f" KMSMasterKeyId={replica['KMSMasterKeyId']}"
            r.copies.append(
                ObservedCopy(
                    CopyKind.REPLICA,
                    other,
                    self.evidence("dynamodb", "DescribeTable", region, arn, detail),
                    target,
                    account_of_arn(target),
                    key=key,
                )
            )
        return r

    # -- AWS Backup -------------------------------------------------------------------------

    def read_backup(self, region: str) -> list[ObservedResource]:
        out = []
        for plan in self.pages("backup", region, "ListBackupPlans", "BackupPlansList"):
            plan_id, arn = plan["BackupPlanId"], plan["BackupPlanArn"]
            try:
                body = self.call("backup", region, "GetBackupPlan", BackupPlanId=plan_id, about=arn)
                # BackupPlan.Rules is required in botocore's BackupPlan shape: a plan has rules
                rules = self.member(
                    "backup",
                    region,
                    "GetBackupPlan",
                    body,
                    "BackupPlan.Rules",
                    about=arn,
                    kind=list,
                )
            except Unread:
                continue
            r = ObservedResource(
                "backup",
                ComponentKind.BACKUP,
                plan.get("BackupPlanName", plan_id),
                arn,
                region,
                self.evidence("backup", "GetBackupPlan", region, arn),
            )
            vaults: dict[str, tuple[str, str]] = {}
            for rule in rules:
                name = rule.get("TargetBackupVaultName")
                # the plan's own vault: in its region and account (the plan ARN's)
                local = arn.split(":backup-plan:")[0] + f":backup-vault:{name}"
                key, read = self._vault_key(local, account_of_arn(arn), vaults)
                r.copies.append(
                    ObservedCopy(
                        CopyKind.BACKUP,
                        region,
                        self.evidence(
                            "backup",
                            "GetBackupPlan",
                            region,
                            arn,
                            f"TargetBackupVaultName={name}{read}",
                        ),
                        local,
                        account_of_arn(local),
                        key=key,
                    )
                )
                for action in rule.get("CopyActions", []):
                    vault = action.get("DestinationBackupVaultArn", "")
                    # a vault whose ARN does not parse is somewhere unknown: never ours by default
                    account = account_of_arn(vault) or UNKNOWN_ACCOUNT
                    key, read = self._vault_key(vault, account_of_arn(arn), vaults)
                    r.copies.append(
                        ObservedCopy(
                            CopyKind.BACKUP,
                            region_of_arn(vault),
                            self.evidence(
                                "backup",
                                "GetBackupPlan",
                                region,
                                arn,
                                f"CopyAction DestinationBackupVaultArn={vault} "
                                f"Account={account}{read}",
                            ),
                            vault,
                            account,
                            key=key,
                        )
                    )
            with contextlib.suppress(Unread):
                r.protects, r.unresolved = self.protected(plan_id, region)
            out.append(r)
        return out

    def _vault_key(
        self, vault: str, account: str | None, seen: dict[str, tuple[str, str]]
    ) -> tuple[str, str]:
        """(key, what DescribeBackupVault said) of the vault holding a plan's recovery points:
        its EncryptionKeyArn, which protects them. `UNKNOWN_KEY` for a vault of another
        account (its key is that account's to read), one not described (a gap naming it) or
        one described without a key; never the protected resource's key."""
        if vault in seen:
            return seen[vault]
        region = region_of_arn(vault)
        found: tuple[str, str] = (UNKNOWN_KEY, "")
        ours = region is not None and account is not None and account_of_arn(vault) == account
        if ours and self.regions_read is not None and region not in self.regions_read:
            # a vault of a region left out is not described there, as no other call is
            why = f"{GapCause.NOT_QUERIED.value}: in {region}, a region not read"
            self.gap("backup", "DescribeBackupVault", region, f"{why}, so not called for {vault}")
        elif ours and region is not None:
            with contextlib.suppress(Unread):
                reply = self.call(
                    "backup",
                    region,
                    "DescribeBackupVault",
                    BackupVaultName=vault.split(":backup-vault:")[-1],
                    about=vault,
                )
                key = (reply or {}).get("EncryptionKeyArn")
                if key:
                    found = (key, f" EncryptionKeyArn={key}")
        seen[vault] = found
        return found

    # -- CloudFront -------------------------------------------------------------------------

    def read_cloudfront(self) -> list[ObservedResource]:
        try:
            items = self.pages(
                "cloudfront", "us-east-1", "ListDistributions", "DistributionList.Items"
            )
        except Unread:
            return []
        return [
            ObservedResource(
                "cloudfront",
                ComponentKind.CDN,
                d["Id"],
                d["ARN"],
                None,
                self.evidence(
                    "cloudfront",
                    "ListDistributions",
                    "us-east-1",
                    d["ARN"],
                    f"DomainName={d.get('DomainName')} PriceClass={d.get('PriceClass')} "
                    "(global edge network: locations depend on the price class)",
                ),
            )
            for d in items
        ]


def key_management(origin: str, manager: str) -> tuple[KeyManagement, bool | None, bool]:
    """(management, provider can use the key, key material held by the provider) for a KMS key.

    - KeyManager AWS: an AWS managed key (aws/s3, aws/rds...): AWS creates, rotates and uses it
      and the customer cannot manage it → provider-managed.
    - Origin AWS_KMS: generated and kept in AWS KMS HSMs; the customer controls the policy, but
      AWS operates the HSMs and performs every operation → customer-managed-in-provider-kms.
    - Origin EXTERNAL (imported material): the customer made the material, but a copy lives in
      AWS KMS HSMs and AWS uses it exactly like a generated key → still
      customer-managed-in-provider-kms, provider can use it.
    - Origin AWS_CLOUDHSM: material in a CloudHSM cluster of the customer's account, in AWS data
      centres on AWS-operated hardware, used by KMS on request → customer-managed-in-provider-kms.
    - Origin EXTERNAL_KEY_STORE (XKS): material stays in the customer's external key manager,
      outside AWS; KMS must ask the customer's proxy for each operation → external-key-store.
      Whether AWS can use it depends on the proxy the customer runs, so it stays unknown.
    """
    if manager == "AWS":
        return KeyManagement.PROVIDER_MANAGED, True, True
    if origin == "EXTERNAL_KEY_STORE":
        return KeyManagement.EXTERNAL_KEY_STORE, None, False
    return KeyManagement.CUSTOMER_MANAGED_IN_PROVIDER_KMS, True, True


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

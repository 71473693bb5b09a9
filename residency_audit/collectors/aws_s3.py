"""What `discover aws` reads of Amazon S3: every bucket of the account (S3 lists them all,
whatever the region) with its region, default encryption key and replication. A bucket outside
the regions read (or whose region is unknown) stays observed, and what was not read about it is
a gap naming it (`BucketReader.unread_buckets`). Who a bucket is shared with is
`aws_sharing_s3`.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor

from residency_audit.collectors.aws_account import Regions
from residency_audit.collectors.aws_client import Unread
from residency_audit.collectors.aws_sharing_s3 import BucketSharingReader
from residency_audit.collectors.observed import (
    UNKNOWN_ACCOUNT,
    UNKNOWN_KEY,
    GapCause,
    ObservedCopy,
    ObservedResource,
)
from residency_audit.model import ComponentKind, CopyKind
from residency_audit.sharing import UNREAD


class BucketReader(BucketSharingReader):
    """Reads the account's buckets for `AwsCollector`, each with its sharing
    (`BucketSharingReader.share_bucket`)."""

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

"""What `discover aws` reads in an account, and in what order (`AwsCollector.collect`): the
account and its regions (`residency_audit.collectors.aws_account`), then each region's S3
buckets and their replication (`aws_s3`), KMS keys and their origin (`aws_kms`), RDS instances
and clusters, global ones included (`aws_rds`), DynamoDB tables and their replicas
(`aws_dynamodb`), AWS Backup plans and the keys of their vaults (`aws_backup`), EBS volumes and
snapshots (`aws_ebs`), EC2 instances and Lambda functions (`aws_compute`), and CloudFront
distributions (`aws_cloudfront`); the services read are `SERVICES`. Who each store is shared
with is `aws_sharing` and its siblings.
Every enabled (or requested) region is read concurrently; how each call is made, and what a
failed one becomes, is `residency_audit.collectors.aws_client`. S3 lists every bucket of the
account whatever its region: a bucket outside the regions read (or whose region is unknown)
stays observed, and what was not read about it is a gap naming it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from residency_audit.collectors.aws_account import AccountReader
from residency_audit.collectors.aws_backup import BackupReader
from residency_audit.collectors.aws_client import Unread, now
from residency_audit.collectors.aws_cloudfront import CloudFrontReader
from residency_audit.collectors.aws_compute import EC2, LAMBDA, ComputeReader
from residency_audit.collectors.aws_dynamodb import TableReader
from residency_audit.collectors.aws_ebs import EBS, EbsRead, EbsReader
from residency_audit.collectors.aws_kms import KeyReader
from residency_audit.collectors.aws_rds import RdsReader
from residency_audit.collectors.aws_s3 import BucketReader
from residency_audit.collectors.aws_sharing_ebs import EbsSharingReader
from residency_audit.collectors.aws_sharing_rds import RdsSharingReader
from residency_audit.collectors.observed import Discovery, KeyRecord, ObservedResource

SERVICES = ("backup", "cloudfront", "dynamodb", EBS, EC2, "kms", LAMBDA, "rds", "s3")
"""The services `collect` reads, written in the observation: a file that does not name a
service (one written before it was read) cannot show that the account has none of it."""


class AwsCollector(
    AccountReader,
    BucketReader,
    KeyReader,
    RdsReader,
    TableReader,
    BackupReader,
    EbsReader,
    ComputeReader,
    CloudFrontReader,
    EbsSharingReader,
    RdsSharingReader,
):
    """Reads one account: its identity, its regions, then each region's resources."""

    regions_read: frozenset[str] | None = None
    """The regions `collect` reads; None (any region) when a reader is called on its own."""

    # -- the run ----------------------------------------------------------------------------

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

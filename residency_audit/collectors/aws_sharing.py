"""Who outside the account `discover aws` finds a store shared with (`sharing` holds the
vocabulary): each owned EBS snapshot's `createVolumePermission` and the `launchPermission` of
each owned AMI it backs; each bucket's ACL, policy, object ownership and public access block;
the `restore` attribute of each manual RDS snapshot; each DynamoDB table's (and stream's)
resource-based policy. A call refused or failed is a gap naming the resource, and the store's
list says `unknown`: never "shared with no one". What made each entry is recorded in the
store's evidence detail (`sharing.THROUGH`), so that a finding names the snapshot, AMI, ACL or
policy to change.

S3 is read by `aws_sharing_s3`, EBS snapshots and AMIs by `aws_sharing_ebs`, RDS snapshots by
`aws_sharing_rds`, DynamoDB policies by `aws_sharing_dynamodb`; this module holds what they all
use: how a call is made and what a store records.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from residency_audit.collectors.aws_client import AwsClient, Unread
from residency_audit.collectors.observed import ObservedResource
from residency_audit.sharing import THROUGH

Through = set[tuple[str, str]]
"""(what shares it: `bucket-acl`, `bucket-policy`, `object-acls`, a snapshot or AMI id,
`dbsnapshot-<id>`, `table-policy`, or `snapshots-in-<region>`; an entry of the `sharing`
vocabulary)."""


class SharingReader(AwsClient):
    """What the readers of stores' sharing share: how a call is read."""

    account: str | None = None
    partition: str = "aws"
    regions_read: frozenset[str] | None = None
    regions_left_out: tuple[str, ...] | None = None
    """The account's enabled regions `collect` does not read (--region); None when they are
    unknown (the regions could not be listed), or when a reader is called on its own."""

    def _read(
        self,
        region: str,
        call: str,
        about: str,
        *,
        service: str = "s3",
        require: str | None = None,
        kind: type = dict,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """A reply, `{}` when the thing is absent, None when not read (a gap names `about`),
        also when the reply lacks the member `require` of type `kind` (`AwsClient.member`)."""
        try:
            reply = self.call(
                service, region, call, absent=_ABSENT.get(call, ()), about=about, **kwargs
            )
            if reply is not None and require is not None:
                self.member(service, region, call, reply, require, about=about, kind=kind)
        except Unread:
            return None
        return {k: v for k, v in (reply or {}).items() if k != "ResponseMetadata"}


_ABSENT = {
    "GetPublicAccessBlock": ("NoSuchPublicAccessBlockConfiguration",),
    "GetBucketPolicy": ("NoSuchBucketPolicy",),
    "GetBucketPolicyStatus": ("NoSuchBucketPolicy",),
    "GetBucketOwnershipControls": ("OwnershipControlsNotFoundError",),
    "GetResourcePolicy": ("PolicyNotFoundException",),
}
"""Error codes saying the thing is not there: no block (nothing blocked), no policy (a bucket's,
a DynamoDB table's or stream's), no object ownership setting (ACLs enabled)."""


def record_shares(store: ObservedResource, through: Through) -> None:
    """Sets the store's `shared_with`, and names in its evidence what shares it (`THROUGH`)."""
    store.shared_with = tuple(sorted({entry for _, entry in through}))
    if through:
        named = ",".join(f"{what}:{entry}" for what, entry in sorted(through))
        detail = f"{store.evidence.detail} " if store.evidence.detail else ""
        store.evidence = dataclasses.replace(store.evidence, detail=f"{detail}{THROUGH}{named}")


def add_shares(store: ObservedResource, through: Through) -> None:
    """Adds `through` to what `record_shares` recorded of the store: its list and the grants
    its evidence names. A store whose sharing was not read (None) is left as it is."""
    if not through or store.shared_with is None:
        return
    tokens = (store.evidence.detail or "").split()
    had: Through = {
        (what, who)
        for token in tokens
        if token.startswith(THROUGH)
        for what, _, who in (pair.partition(":") for pair in token[len(THROUGH) :].split(","))
        if what and who
    }
    before = store.shared_with
    rest = " ".join(t for t in tokens if not t.startswith(THROUGH))
    store.evidence = dataclasses.replace(store.evidence, detail=rest or None)
    record_shares(store, had | through)
    store.shared_with = tuple(sorted({*before, *store.shared_with}))


def read_stores(resources: Sequence[ObservedResource]) -> frozenset[str]:
    """ARNs of the resources whose sharing was read: a copy among them is folded into its
    source with its sharing (`observed._merge`); a copy not among them was not read."""
    return frozenset(r.arn for r in resources if r.shared_with is not None)

"""Who outside the account `discover aws` finds a store shared with (`sharing` holds the
vocabulary): each owned EBS snapshot's `createVolumePermission`, and each bucket's ACL, policy
and public access block. A call refused or failed is a gap naming the resource, and the store's
list says `unknown`: never "shared with no one".

S3, as AWS defines "public" (Amazon S3 User Guide, "The meaning of public",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html):
an ACL granting anything to the AllUsers or AuthenticatedUsers group is public unless the
bucket's public access block has IgnorePublicAcls; a policy GetBucketPolicyStatus reports
public (`IsPublic`) is public unless it has RestrictPublicBuckets. The account-level public
access block (S3 Control) is not read: a bucket it blocks is still reported public (a finding
to waive with that evidence), never the other way round. Accounts a policy names as principals
and other accounts an ACL grants to are listed whatever the block says: it concerns public
access only.

EBS: a snapshot's data are the data of the volume it was taken from, so a volume's list is the
union of its snapshots' (the snapshots a backup copy stands for, and those AWS Backup made of it),
and a snapshot standing alone has its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from residency_audit.collectors.aws_client import AwsClient, Unread
from residency_audit.collectors.aws_ebs import EBS, EbsRead, backup_source
from residency_audit.collectors.observed import GapCause, ObservedResource, account_of_arn
from residency_audit.sharing import CANONICAL_USER, PUBLIC, UNREAD, merged

_PUBLIC_GROUPS = frozenset(
    {
        "http://acs.amazonaws.com/groups/global/AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    }
)
"""The ACL grantee groups AWS counts as public (the Log Delivery group is S3 itself)."""


class SharingReader(AwsClient):
    """Reads the sharing of buckets and EBS snapshots for `AwsCollector`."""

    account: str | None = None
    partition: str = "aws"

    # -- S3 ---------------------------------------------------------------------------------

    def bucket_sharing(self, name: str, region: str) -> tuple[str, ...]:
        """Who outside the account can read the bucket (`sharing` vocabulary)."""
        arn = f"arn:aws:s3:::{name}"
        found: set[str] = set()
        block = self._read(region, "GetPublicAccessBlock", arn, Bucket=name)
        settings = None if block is None else block.get("PublicAccessBlockConfiguration", {})
        owner, acl_public = self._acl(name, region, arn, found)
        policy_public = self._policy(name, region, arn, owner, found)
        for public, blocked_by in (
            (acl_public, "IgnorePublicAcls"),
            (policy_public, "RestrictPublicBuckets"),
        ):
            verdict = _effective(public, settings, blocked_by)
            if verdict is None:
                found.add(UNREAD)
            elif verdict:
                found.add(PUBLIC)
        return tuple(sorted(found))

    def _acl(
        self, name: str, region: str, arn: str, found: set[str]
    ) -> tuple[str | None, bool | None]:
        """(the owner's canonical id, whether a grant is public); other accounts granted
        something go into `found`."""
        reply = self._read(region, "GetBucketAcl", arn, Bucket=name)
        if reply is None:
            found.add(UNREAD)  # the accounts it grants to are unknown too
            return None, None
        owner = reply.get("Owner", {}).get("ID")
        public = False
        for grant in reply.get("Grants", []):
            grantee = grant.get("Grantee", {})
            kind = grantee.get("Type")
            if kind == "Group":
                public = public or grantee.get("URI") in _PUBLIC_GROUPS
            elif kind == "CanonicalUser":
                if grantee.get("ID") != owner:
                    found.add(CANONICAL_USER + str(grantee.get("ID")))
            else:  # AmazonCustomerByEmail: another account, not named by an id
                found.add(UNREAD)
        return owner, public

    def _policy(
        self, name: str, region: str, arn: str, owner: str | None, found: set[str]
    ) -> bool | None:
        """Whether the bucket policy is public (GetBucketPolicyStatus); the accounts it
        names as principals go into `found`. No policy: not public."""
        reply = self._read(region, "GetBucketPolicy", arn, Bucket=name)
        if reply is None:
            found.add(UNREAD)
            return None
        if not reply:
            return False
        found |= _principals(reply.get("Policy", ""), self.account, owner)
        status = self._read(region, "GetBucketPolicyStatus", arn, Bucket=name)
        if status is None:
            return None
        if not status:
            return False  # deleted since GetBucketPolicy
        public = status.get("PolicyStatus", {}).get("IsPublic")
        if isinstance(public, bool):
            return public
        self.gap(
            "s3",
            "GetBucketPolicyStatus",
            region,
            f"{GapCause.ERROR.value}: no PolicyStatus.IsPublic in the reply for {arn}",
        )
        return None

    # -- EBS --------------------------------------------------------------------------------

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
        for r in ebs:  # without the snapshots, a volume's sharing is unknown
            r.shared_with = (UNREAD,) if r.region in unread else ()
        extra = []
        for read in reads:
            snaps = [s for s in read.snapshots if self.account in (None, s.get("OwnerId"))]
            with ThreadPoolExecutor(max_workers=self.settings.workers) as pool:
                shares = list(pool.map(self._snapshot_shares, snaps, [read.region] * len(snaps)))
            for snap, found in zip(snaps, shares, strict=True):
                holder = _holder(snap, read.region, by_place, by_arn)
                if holder is not None:
                    holder.shared_with = merged(holder.shared_with, found)
                elif found:
                    alone = standalone(snap, read.region)
                    alone.shared_with = found
                    extra.append(alone)
        return extra

    def _snapshot_shares(self, snap: dict[str, Any], region: str) -> tuple[str, ...]:
        arn = f"arn:{self.partition}:ec2:{region}::snapshot/{snap['SnapshotId']}"
        reply = self._read(
            region,
            "DescribeSnapshotAttribute",
            arn,
            service="ec2",
            Attribute="createVolumePermission",
            SnapshotId=snap["SnapshotId"],
        )
        if reply is None:
            return (UNREAD,)
        found = set()
        for permission in reply.get("CreateVolumePermissions", []):
            if permission.get("Group") == "all":
                found.add(PUBLIC)
            elif permission.get("UserId"):
                found.add(str(permission["UserId"]))
            else:
                found.add(UNREAD)
        return tuple(sorted(found))

    def _read(
        self, region: str, call: str, about: str, *, service: str = "s3", **kwargs: Any
    ) -> dict[str, Any] | None:
        """A reply, `{}` when the thing is absent, None when not read (a gap names `about`)."""
        try:
            reply = self.call(
                service, region, call, absent=_ABSENT.get(call, ()), about=about, **kwargs
            )
        except Unread:
            return None
        return {k: v for k, v in (reply or {}).items() if k != "ResponseMetadata"}


_ABSENT = {
    "GetPublicAccessBlock": ("NoSuchPublicAccessBlockConfiguration",),
    "GetBucketPolicy": ("NoSuchBucketPolicy",),
    "GetBucketPolicyStatus": ("NoSuchBucketPolicy",),
}
"""Error codes saying the thing is not there: no block (nothing blocked), no policy."""


def _effective(
    public: bool | None, settings: dict[str, Any] | None, blocked_by: str
) -> bool | None:
    """Public access through an ACL or a policy, after the bucket's public access block:
    blocked when the block's `blocked_by` is on; unknown when either was not read."""
    if settings is not None and settings.get(blocked_by) is True:
        return False
    if public is None or (public and settings is None):
        return None
    return public


def _principals(text: str, account: str | None, owner: str | None) -> set[str]:
    """The accounts (ids, canonical users) other than `account` that the policy's Allow
    statements name; `unknown` for what names no account (a federated principal, a
    NotPrincipal, a policy that does not parse). "*" is GetBucketPolicyStatus's to judge."""
    try:
        statements = json.loads(text).get("Statement", [])
    except (ValueError, AttributeError):
        return {UNREAD}
    found: set[str] = set()
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        if "NotPrincipal" in st:
            found.add(UNREAD)
        principal = st.get("Principal", {})
        if not isinstance(principal, dict):
            continue  # "*"
        for kind, values in principal.items():
            for value in [values] if isinstance(values, str) else values:
                found |= _principal(kind, str(value), account, owner)
    return found


def _principal(kind: str, value: str, account: str | None, owner: str | None) -> set[str]:
    if kind == "Service" or value == "*":
        return set()
    if kind == "CanonicalUser":
        return set() if value == owner else {CANONICAL_USER + value}
    if kind == "AWS":
        named = value if _ACCOUNT.fullmatch(value) else account_of_arn(value)
        if named is not None and _ACCOUNT.fullmatch(named):
            return set() if named == account else {named}
    return {UNREAD}


_ACCOUNT = re.compile(r"\d{12}")


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

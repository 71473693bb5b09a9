"""Who outside the account `discover aws` finds a store shared with (`sharing` holds the
vocabulary): each owned EBS snapshot's `createVolumePermission` and the `launchPermission` of
each owned AMI it backs, and each bucket's ACL, policy, object ownership and public access
block. A call refused or failed is a gap naming the resource, and the store's list says
`unknown`: never "shared with no one". What made each entry is recorded in the store's
evidence detail (`sharing.THROUGH`), so that a finding names the snapshot, AMI, ACL or policy
to change.

S3, as AWS defines "public" (Amazon S3 User Guide, "The meaning of public",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html):
an ACL granting anything to the AllUsers or AuthenticatedUsers group is public unless the
bucket's public access block has IgnorePublicAcls; a policy GetBucketPolicyStatus reports
public (`IsPublic`) is public unless it has RestrictPublicBuckets. The account-level public
access block (S3 Control) is not read: a bucket it blocks is still reported public (a finding
to waive with that evidence), never the other way round. Accounts a policy names as principals
and other accounts an ACL grants to are listed whatever the block says: it concerns public
access only. A policy is "not public" when a "*" principal is narrowed by a condition such as
aws:PrincipalOrgID or aws:SourceVpce, which still lets other accounts in: such a statement is
`unknown`, unless its condition is `StringEquals aws:PrincipalAccount` (the accounts it names).
Object ACLs are not read (one call per object): they cannot grant anything only when the
bucket's object ownership is BucketOwnerEnforced ("ACLs are disabled and no longer affect
permissions"); else an object may be public (unless IgnorePublicAcls) or granted to another
account (whatever the block says), so the bucket's list says `unknown`.

EBS: a snapshot's data are the data of the volume it was taken from, so a volume's list is the
union of its snapshots' (the snapshots a backup copy stands for, and those AWS Backup made of it),
and a snapshot standing alone has its own. An AMI backed by a snapshot lets whoever may launch
it (its `launchPermission`) have the snapshot's data: its shares are the snapshot's. A volume
that a backup plan copies to a region whose snapshots were not read has `unknown` in its list.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from residency_audit.collectors.aws_client import AwsClient, Unread
from residency_audit.collectors.aws_ebs import EBS, EbsRead, backup_source
from residency_audit.collectors.observed import GapCause, ObservedResource, account_of_arn
from residency_audit.model import ComponentKind
from residency_audit.sharing import CANONICAL_USER, PUBLIC, THROUGH, UNREAD

_PUBLIC_GROUPS = frozenset(
    {
        "http://acs.amazonaws.com/groups/global/AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    }
)
"""The ACL grantee groups AWS counts as public (the Log Delivery group is S3 itself)."""

Through = set[tuple[str, str]]
"""(what shares it: `bucket-acl`, `bucket-policy`, `object-acls`, a snapshot or AMI id, or
`snapshots-in-<region>`; an entry of the `sharing` vocabulary)."""


class SharingReader(AwsClient):
    """Reads the sharing of buckets and EBS snapshots for `AwsCollector`."""

    account: str | None = None
    partition: str = "aws"
    regions_read: frozenset[str] | None = None

    # -- S3 ---------------------------------------------------------------------------------

    def share_bucket(self, bucket: ObservedResource) -> None:
        """Sets who outside the account can read the bucket, and what lets them."""
        name, region, arn = bucket.name, str(bucket.region), bucket.arn
        through: Through = set()
        block = self._read(region, "GetPublicAccessBlock", arn, Bucket=name)
        settings = None if block is None else block.get("PublicAccessBlockConfiguration", {})
        owner, acl_public = self._acl(name, region, arn, through)
        policy_public = self._policy(name, region, arn, owner, through)
        objects_public = self._object_acls(name, region, arn, through)
        for what, public, blocked_by in (
            ("bucket-acl", acl_public, "IgnorePublicAcls"),
            ("bucket-policy", policy_public, "RestrictPublicBuckets"),
            ("object-acls", objects_public, "IgnorePublicAcls"),
        ):
            verdict = _effective(public, settings, blocked_by)
            if verdict is None:
                through.add((what, UNREAD))
            elif verdict:
                through.add((what, PUBLIC))
        _record(bucket, through)

    def _acl(
        self, name: str, region: str, arn: str, through: Through
    ) -> tuple[str | None, bool | None]:
        """(the owner's canonical id, whether a grant is public); other accounts granted
        something go into `through`."""
        reply = self._read(region, "GetBucketAcl", arn, Bucket=name)
        if reply is None:
            through.add(("bucket-acl", UNREAD))  # the accounts it grants to are unknown too
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
                    through.add(("bucket-acl", CANONICAL_USER + str(grantee.get("ID"))))
            else:  # AmazonCustomerByEmail: another account, not named by an id
                through.add(("bucket-acl", UNREAD))
        return owner, public

    def _policy(
        self, name: str, region: str, arn: str, owner: str | None, through: Through
    ) -> bool | None:
        """Whether the bucket policy is public (GetBucketPolicyStatus); the accounts it
        names as principals go into `through`. No policy: not public."""
        reply = self._read(region, "GetBucketPolicy", arn, Bucket=name)
        if reply is None:
            through.add(("bucket-policy", UNREAD))
            return None
        if not reply:
            return False
        through |= {
            ("bucket-policy", s) for s in _principals(reply.get("Policy", ""), self.account, owner)
        }
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

    def _object_acls(self, name: str, region: str, arn: str, through: Through) -> bool | None:
        """False when object ACLs cannot grant anything (object ownership BucketOwnerEnforced
        disables ACLs); else None, since they are not read: whether one is public is for the
        public access block to settle, and the accounts they may grant to are `unknown`."""
        reply = self._read(region, "GetBucketOwnershipControls", arn, Bucket=name)
        rules = (reply or {}).get("OwnershipControls", {}).get("Rules", [])
        if reply is not None and any(
            r.get("ObjectOwnership") == "BucketOwnerEnforced" for r in rules
        ):
            return False
        through.add(("object-acls", UNREAD))
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
        unselected = {g.region for g in self.gaps if (g.service, g.call) in _SELECTIONS}
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
                    _record(alone, through)
                    extra.append(alone)
        for r in ebs:
            _record(r, found[id(r)])
        return extra

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
            )
            if reply is None:
                shares = {(ident, UNREAD)}
            else:
                shares = {(ident, _permitted(p)) for p in reply.get("LaunchPermissions", [])}
            for snap in backing:
                out.setdefault(snap, set()).update(shares)
        return out

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
    "GetBucketOwnershipControls": ("OwnershipControlsNotFoundError",),
}
"""Error codes saying the thing is not there: no block (nothing blocked), no policy, no
object ownership setting (ACLs enabled)."""


_SELECTIONS = {("backup", "ListBackupSelections"), ("backup", "GetBackupSelection")}
"""The calls without which what a backup plan protects is unknown."""


def _record(store: ObservedResource, through: Through) -> None:
    """Sets the store's `shared_with`, and names in its evidence what shares it (`THROUGH`)."""
    store.shared_with = tuple(sorted({entry for _, entry in through}))
    if through:
        named = ",".join(f"{what}:{entry}" for what, entry in sorted(through))
        detail = f"{store.evidence.detail} " if store.evidence.detail else ""
        store.evidence = dataclasses.replace(store.evidence, detail=f"{detail}{THROUGH}{named}")


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
        chosen = any(fnmatch.fnmatchcase(volume.arn, p) for p in plan.protects)
        if not chosen and plan.region not in unselected:
            continue
        for copy in plan.copies:
            if copy.account not in (None, account, account_of_arn(plan.arn)):
                continue  # another account's snapshots: that account's to share
            region = copy.region
            if region is None or region in unread or (regions_read and region not in regions_read):
                out.add((f"snapshots-in-{region or 'an-unknown-region'}", UNREAD))
    return out


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
    statements let in; `unknown` for what names no account (a federated principal, a
    NotPrincipal, a policy that does not parse, a "*" narrowed by a condition other than
    `_condition_accounts`). "*" alone is GetBucketPolicyStatus's to judge (public)."""
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
        named = principal.items() if isinstance(principal, dict) else [("AWS", principal)]
        for kind, values in named:
            for value in [values] if isinstance(values, str) else values:
                if str(value) == "*" and st.get("Condition"):
                    # "not public" to AWS, yet open to an organisation, a VPC endpoint's
                    # users, or the accounts a condition names
                    found |= _condition_accounts(st["Condition"], account)
                elif kind == "Service":
                    found |= _service_scope(st.get("Condition"), account)
                else:
                    found |= _principal(kind, str(value), account, owner)
    return found


def _condition_accounts(condition: Any, account: str | None) -> set[str]:
    """The accounts a "*" principal is narrowed to by `StringEquals aws:PrincipalAccount`
    (other conditions only narrow it further: all must hold); `unknown` for any other
    condition, whose reach (an organisation, a VPC endpoint) names no account."""
    equals = condition.get("StringEquals") if isinstance(condition, dict) else None
    values = next(
        (v for k, v in (equals or {}).items() if k.lower() == "aws:principalaccount"), None
    )
    listed = [values] if isinstance(values, str) else values
    if not isinstance(listed, list) or not all(
        isinstance(v, str) and _ACCOUNT.fullmatch(v) for v in listed
    ):
        return {UNREAD}
    return {v for v in listed if v != account}


_SOURCE_KEYS = {"aws:sourceaccount": lambda v: v, "aws:sourcearn": account_of_arn}
"""Condition keys that tie a service principal's access to the resources of one account."""


def _service_scope(condition: Any, account: str | None) -> set[str]:
    """A service principal (`cloudfront.amazonaws.com`) reads for any account's resources of
    that service unless a condition ties it to this account's (`aws:SourceAccount`, or an
    `aws:SourceArn` of this account): AWS calls such a grant "not public", yet any
    account's distribution could read the bucket. Nothing when so tied, else `unknown`."""
    for operator, pairs in (condition or {}).items() if isinstance(condition, dict) else ():
        if not str(operator).startswith(("StringEquals", "ArnEquals")):
            continue  # ...Like operators take wildcards, which may name any account
        for key, values in (pairs or {}).items() if isinstance(pairs, dict) else ():
            owner_of = _SOURCE_KEYS.get(str(key).lower())
            listed = [values] if isinstance(values, str) else values
            if owner_of is None or not isinstance(listed, list) or not listed:
                continue
            if account is not None and all(owner_of(str(v)) == account for v in listed):
                return set()
    return {UNREAD}


def _principal(kind: str, value: str, account: str | None, owner: str | None) -> set[str]:
    if value == "*":
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

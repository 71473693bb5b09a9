"""The sharing of S3 buckets `discover aws` reads (`aws_sharing` for what is shared).

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
`unknown`, unless its condition is `StringEquals aws:PrincipalAccount` (the accounts it names)
or narrows no one (`aws:SecureTransport` true only, `policy_principals`): then, as a bare "*",
it is public as GetBucketPolicyStatus says.
So is a grant to a service principal (CloudFront) not tied by `aws:SourceAccount` or
`aws:SourceArn` to this account: any account's distribution could read. Object ACLs are not read
(one call per object): they cannot grant anything only when the bucket's object ownership is
BucketOwnerEnforced ("ACLs are disabled and no longer affect permissions"); else an object may be
public (unless IgnorePublicAcls) or granted to another account (whatever the block says), so the
bucket's list says `unknown`.
"""

from __future__ import annotations

from typing import Any

from residency_audit.collectors.aws_sharing import SharingReader, Through, record_shares
from residency_audit.collectors.observed import GapCause, ObservedResource
from residency_audit.collectors.policy_principals import principals
from residency_audit.sharing import CANONICAL_USER, PUBLIC, UNREAD

_PUBLIC_GROUPS = frozenset(
    {
        "http://acs.amazonaws.com/groups/global/AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    }
)
"""The ACL grantee groups AWS counts as public (the Log Delivery group is S3 itself)."""


class BucketSharingReader(SharingReader):
    """Reads the sharing of buckets for `AwsCollector`."""

    def share_bucket(self, bucket: ObservedResource) -> None:
        """Sets who outside the account can read the bucket, and what lets them."""
        name, region, arn = bucket.name, str(bucket.region), bucket.arn
        through: Through = set()
        block = self._read(
            region,
            "GetPublicAccessBlock",
            arn,
            Bucket=name,
            require="PublicAccessBlockConfiguration",
        )
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
        record_shares(bucket, through)

    def _acl(
        self, name: str, region: str, arn: str, through: Through
    ) -> tuple[str | None, bool | None]:
        """(the owner's canonical id, whether a grant is public); other accounts granted
        something go into `through`."""
        # Owner, not Grants: an ACL may grant nothing, and how an empty list is sent is not
        # documented; every ACL has its owner (S3 API reference, GetBucketAcl)
        reply = self._read(region, "GetBucketAcl", arn, Bucket=name, require="Owner")
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
        # no policy is the error NoSuchBucketPolicy (`_ABSENT`), never a reply without one
        reply = self._read(region, "GetBucketPolicy", arn, Bucket=name, require="Policy", kind=str)
        if reply is None:
            through.add(("bucket-policy", UNREAD))
            return None
        if not reply:
            return False
        through |= {
            ("bucket-policy", s) for s in principals(reply.get("Policy", ""), self.account, owner)
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

"""Who else an observed store is shared with (`Component.shared_with`), and the subjects the
rules DRIFT-SHARE-01 (public) and DRIFT-SHARE-02 (another account) judge.

A share lets someone outside the observed account read the data, or take a copy of them into
an account of its own: a public EBS snapshot can be restored by any AWS account, one shared with
an account id by that account, a public bucket read by anyone. The vocabulary of the field:

- `public`: anyone (an EBS snapshot's `createVolumePermission` group `all`; an S3 bucket whose
  policy or ACL is public and not blocked by its public access block);
- a 12-digit account id: that account (an EBS `createVolumePermission` UserId, an account
  named in an S3 bucket policy);
- `canonical-user:<id>`: another account named by its S3 canonical user id (an ACL grant, a
  policy principal), whose account id S3 does not give;
- `unknown`: some of it could not be read (a call refused or failed: a gap names it), so
  someone else may be missing from the list.

Absent (None): not read at all, as in every file written before sharing was read. Only the
services in `SHARING_READ` have their sharing read. Every store (`Component.holds_data`) is
judged, and so is any component stating its sharing (a file written by hand: a file saying a
store is public must never give silence); an unread or unrecorded sharing is "cannot be
verified", never "not shared", and the reason says when `discover` does not read that
service's sharing at all.

What made each entry (the snapshot or AMI, the bucket's ACL or policy) is named in the store's
evidence detail, as `THROUGH` then `<what>:<entry>` pairs joined by commas; a finding about a
share names it. Files written before it was recorded say nothing of it, and still read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from residency_audit.engine.subjects import Subject
from residency_audit.model import Component, Deployment, Fact, Span

PUBLIC = "public"
UNREAD = "unknown"
CANONICAL_USER = "canonical-user:"
THROUGH = "SharedThrough="
"""Opens the evidence detail token naming what shares a store (`<what>:<entry>,...`)."""
REGIONS_NOT_READ = "regions-not-read"
"""The region of a `<what>-in-<region>` entry standing for every region not read (those
`observation.regions_not_queried` lists, or any when the regions could not be listed)."""
REPLICA = "replica"
"""The `<what>` of a share a replica brings to the store it is folded into (`replica-<name>`)."""


def through_of_replica(source: str | None, replica: str | None, name: str) -> str | None:
    """`source`'s evidence detail with the shares named in `replica`'s (a replica bucket folded
    into its source) added as `replica-<name>:<entry>` pairs, so that a finding about the
    source names the replica that shares its data."""
    pairs = [
        f"{REPLICA}-{name}:{who}"
        for token in (replica or "").split()
        if token.startswith(THROUGH)
        for what, _, who in (pair.partition(":") for pair in token[len(THROUGH) :].split(","))
        if what and who
    ]
    if not pairs:
        return source
    tokens = (source or "").split()
    mine = next((t for t in tokens if t.startswith(THROUGH)), None)
    if mine is None:
        return " ".join([*tokens, THROUGH + ",".join(pairs)])
    return " ".join(t if t is not mine else ",".join([t, *pairs]) for t in tokens)


SHARING_READ = frozenset({"s3", "ebs", "rds", "dynamodb"})
"""Services whose sharing `discover aws` reads: S3 buckets, EBS volumes (through their
snapshots) and snapshots, RDS instances and clusters (through their manual snapshots), and
DynamoDB tables (their resource-based policies). A store of any other service (an AWS Backup
plan's vaults, a store written by hand) has its sharing "not read by discover"."""


ACCOUNT_ID = re.compile(r"[0-9]{12}")
"""An AWS account id, as `shared_with` and the policies `discover` reads write one."""
_CANONICAL_ID = re.compile(r"[0-9a-f]{64}")


def unknown_entry(entry: str) -> str | None:
    """Why `entry` is not a word of the vocabulary (a typo such as `pubilc` would otherwise
    read as an account of that name), or None."""
    if entry in (PUBLIC, UNREAD) or ACCOUNT_ID.fullmatch(entry):
        return None
    if entry.startswith(CANONICAL_USER) and _CANONICAL_ID.fullmatch(entry[len(CANONICAL_USER) :]):
        return None
    return (
        f"{entry[:80]!r} is not {PUBLIC}, {UNREAD}, a 12-digit account id or "
        f"{CANONICAL_USER}<64 hex digits>"
    )


def merged(*lists: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """The sharing of data held in several places (a volume and its snapshots, a bucket and
    its replica buckets): everyone any of them is shared with, and `unknown` when one was not
    read. None only when none was read."""
    if all(shares is None for shares in lists):
        return None
    found = {s for shares in lists for s in (shares if shares is not None else (UNREAD,))}
    return tuple(sorted(found))


def sharing_subjects(observed: Deployment) -> Iterator[Subject]:
    """For each observed store, each component of a service in `SHARING_READ` (in any case,
    as drift compares services) and each other one stating its sharing: one subject per share
    (public, or an account), and one saying whether the rest is known: shared with no one
    (read), or not read (`unknown`, nothing recorded, or a service whose sharing `discover`
    does not read). A store known to be public needs no more."""
    o = observed.observation
    if o is None:
        return
    for i, c in enumerate(observed.components):
        if c.shared_with is None and not (_read_by_discover(c) or c.holds_data):
            continue
        path = f"components[{i}]"
        shares = c.shared_with
        base = _base(observed, path, c, o.account)
        if shares is None or (UNREAD in shares and PUBLIC not in shares):
            yield _unread(observed, path, c, base, shares)
        elif not shares:
            facts = {**base, "observation.same_account": _derived(True, "shared with no one")}
            yield Subject("observation", f"sharing of {c.id}", c.id, c.span, facts)
        for j, entry in enumerate(shares or ()):
            if entry != UNREAD:
                yield _share(observed, f"{path}.shared_with[{j}]", c, base, entry)


def _read_by_discover(c: Component) -> bool:
    return (c.service or "").lower() in SHARING_READ


def _base(observed: Deployment, path: str, c: Component, account: str | None) -> dict[str, Fact]:
    at = _origin(observed, path, c)
    facts = {
        "observation.subject": Fact("observation.subject", "sharing", at),
        "observation.service": Fact("observation.service", c.service, at),
        "observation.resource": Fact("observation.resource", (c.resources or (c.id,))[0], at),
    }
    if c.region is not None:
        facts["observation.region"] = Fact("observation.region", c.region, at)
    if account is not None:
        where = str(observed.locations.get("observation.account", observed.span))
        facts["observation.account"] = Fact("observation.account", account, where)
    return facts


def _unread(
    observed: Deployment,
    path: str,
    c: Component,
    base: dict[str, Fact],
    shares: tuple[str, ...] | None,
) -> Subject:
    """Sharing not (fully) read: `observation.same_account` stays unknown."""
    if shares is None and not _read_by_discover(c):
        stores = f"{c.service} stores" if c.service else "a store without a service"
        why = (
            f"discover does not read the sharing of {stores} (no shared_with recorded), so "
            "who else can read it is unknown"
        )
        at = _origin(observed, path, c)
    elif shares is None:
        why = (
            "no shared_with recorded (a file written before discover read sharing, or "
            "written by hand)"
        )
        at = _origin(observed, path, c)
    else:
        why = f"shared_with says unknown, through {_through(c, UNREAD)}: {_UNKNOWN_WHY}"
        at = _origin(observed, f"{path}.shared_with", c)
    facts = {**base, "observation.reason": Fact("observation.reason", why, at)}
    return Subject("observation", f"sharing of {c.id}", c.id, c.span, facts)


_UNKNOWN_WHY = (
    "a call reading it was refused, failed or not made (see observation.not_observed), a copy "
    "is in a region not read, or a policy grants on a condition that names no account"
)
"""Why `discover` writes `unknown` in a store's `shared_with` (`aws_sharing`): the evidence
names which of them (`_through`)."""


def _share(
    observed: Deployment, path: str, c: Component, base: dict[str, Fact], entry: str
) -> Subject:
    at = _origin(observed, path, c)
    facts = dict(base)
    facts["observation.shared_through"] = Fact(
        "observation.shared_through", _through(c, entry), _origin(observed, path, c, detail=True)
    )
    if entry == PUBLIC:
        facts["observation.subject"] = Fact("observation.subject", "shared-publicly", at)
        label = f"public share of {c.id}"
    else:
        facts["observation.subject"] = Fact("observation.subject", "shared-with-account", at)
        facts["observation.copy_account"] = Fact("observation.copy_account", entry, at)
        label = f"share of {c.id} with {entry}"
    # A share lets a copy be taken out of the observed account (a volume restored from the
    # snapshot, the bucket's objects read): `same_account` as for a copy held elsewhere.
    facts["observation.same_account"] = _derived(False, f"shared_with names {entry}")
    return Subject("observation", label, c.id, c.span, facts)


def _derived(value: bool, why: str) -> Fact:
    return Fact("observation.same_account", value, f"derived: {why} (components[].shared_with)")


def _through(c: Component, entry: str) -> str:
    """What shares the store with `entry`, as its evidence detail names it (`THROUGH`)."""
    detail = c.evidence.detail if c.evidence is not None else None
    named = [
        what
        for token in (detail or "").split()
        if token.startswith(THROUGH)
        for what, _, who in (pair.partition(":") for pair in token[len(THROUGH) :].split(","))
        if who == entry and what
    ]
    if not named:
        return "a grant its evidence does not name (no snapshot, AMI, ACL or policy recorded)"
    return ", ".join(_named(what) for what in sorted(named))


def without_shares(detail: str | None) -> str | None:
    """An evidence detail without its `THROUGH` part: what a store is shared through is the
    store's, not that of the key read with it."""
    if detail is None or THROUGH not in detail:
        return detail
    return " ".join(t for t in detail.split() if not t.startswith(THROUGH)) or None


def _named(what: str) -> str:
    """A `SharedThrough=` kind in words: `snap-0abc` → snapshot snap-0abc (...); a kind the
    tool does not write (a file edited by hand) as it is written."""
    if what in _GRANTS:
        return _GRANTS[what]
    grant, elsewhere, region = what.partition("-in-")
    if elsewhere and region and grant in _UNREAD_IN:  # `snapshots-in-us-east-1`...
        if region == REGIONS_NOT_READ:
            return f"{_UNREAD_IN[grant]} in the regions not read"
        return f"{_UNREAD_IN[grant]} in {region}, not read"
    prefix, dash, rest = what.partition("-")
    if prefix == REPLICA and rest:
        return f"its replica {rest} (folded into this store)"
    template = _GRANTORS.get(prefix) if dash else None
    return what if template is None else template.format(what, rest)


_UNREAD_IN = {
    "snapshots": "the EBS snapshots",
    "images": "the AMIs",
    "dbsnapshots": "the DB snapshots",
    "dbclustersnapshots": "the DB cluster snapshots",
    "table-policy": "the resource-based policy of its replica",
}
"""What `<what>-in-<region>` entries name: what could not be read in a region (a listing
refused there, or a copy in a region the run did not read), so the store's sharing is
unknown."""
_GRANTS = {
    "bucket-acl": "the bucket ACL",
    "bucket-policy": "the bucket policy",
    "table-policy": "the table's resource-based policy",
    "stream-policy": "the table stream's resource-based policy",
}
DB_SNAPSHOT = "dbsnapshot"
DB_CLUSTER_SNAPSHOT = "dbclustersnapshot"
"""The `<what>` prefixes naming an RDS snapshot (`dbsnapshot-<identifier>`): RDS identifiers,
unlike EBS ids, say nothing of what they name."""
_GRANTORS = {
    "snap": "snapshot {0} (createVolumePermission)",
    "ami": "AMI {0} (launchPermission)",
    DB_SNAPSHOT: "DB snapshot {1} (restore attribute)",
    DB_CLUSTER_SNAPSHOT: "DB cluster snapshot {1} (restore attribute)",
}


def _origin(observed: Deployment, path: str, c: Component, *, detail: bool = False) -> str:
    span: Span = observed.locations.get(path) or observed.locations.get(path.split(".")[0], c.span)
    where = str(span) if span.line else f"{observed.path}:1:1"
    e = c.evidence
    if e is None:
        return where
    said = f": {e.detail}" if detail and e.detail else ""
    return (
        f"{where} (observed: {e.service} {e.call} in {e.region or 'global'} at "
        f"{e.observed_at}{said})"
    )

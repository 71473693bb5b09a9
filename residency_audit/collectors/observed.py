"""What a collector saw → an observed deployment, in the same format as a declared one.

The AWS collector (`aws.py` and its `aws_*.py` readers) fills the plain records below region by
region; `build_deployment` folds replicas into their source, attaches backup copies to the
resources they protect, maps keys to `KeyManagement`, and writes the `observation` block that
makes a gap visible. Nothing here imports boto3, so the assembly is tested on its own and
`check` never pays for it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from residency_audit.kb import UNKNOWN_COUNTRY, KnowledgeBase
from residency_audit.model import Component as ModelComponent
from residency_audit.model import (
    ComponentKind,
    Copy,
    CopyKind,
    Data,
    DataCategory,
    Deployment,
    EncryptionSide,
    Evidence,
    HealthContext,
    Key,
    KeyManagement,
    NotObserved,
    Observation,
    Party,
    Role,
)
from residency_audit.records import Record, record
from residency_audit.sharing import merged, through_of_replica, without_shares

AWS_PARTY = "aws"
OWNER_PARTY = "account-owner"


UNKNOWN_ACCOUNT = "unknown"
"""The account of a copy known to lie outside the observed account whose id could not be read
(an S3 replication destination bucket the account does not own, named without its owner)."""


class GapCause(StrEnum):
    """Why something was not observed; every gap's `reason` starts with one of these, so the
    finding says whether a permission is missing or the call was never made."""

    DENIED = "access denied"
    NOT_QUERIED = "not queried"
    REGION_UNKNOWN = "region unknown"
    REGION_NOT_ENABLED = "region not enabled"
    THROTTLED = "throttled"
    TIMEOUT = "timeout"
    ERROR = "error"


def gap_cause(reason: str) -> GapCause | None:
    """The cause a gap's reason starts with; None for a reason written otherwise (a file from
    an older version), which then claims no cause."""
    return next((c for c in GapCause if reason.startswith(c.value)), None)


def gap_resource(reason: str) -> str | None:
    """The ARN a per-resource gap is about: its reason ends with `for <ARN>`. Files written
    before the reasons started with their cause say `not called for <ARN>: it is in ...` or
    `key <id> protecting <ARN> was not read (...)`: their resource is as unread as today's."""
    _, sep, tail = reason.rpartition(" for ")
    if sep and tail.startswith("arn:") and " " not in tail:
        return tail
    found = _OLD_GAP.search(reason)
    return found.group(1) or found.group(2) if found else None


_OLD_GAP = re.compile(r"^not called for (arn:\S+): |^key \S+ protecting (arn:\S+) was not read")
"""The per-resource gap reasons of files written before `GapCause` (see `gap_resource`)."""


KEY_CALLS = frozenset(
    {
        ("s3", "GetBucketEncryption"),
        ("kms", "DescribeKey"),
        ("kms", "ListAliases"),
        ("dynamodb", "DescribeTable"),
        ("ec2", "DescribeVolumes"),
        ("ec2", "DescribeSnapshots"),
    }
)
"""Calls whose gap, naming a resource, leaves the key protecting that resource unknown."""

ENCRYPTION_READ = frozenset({"s3", "rds", "dynamodb", "ebs"})
"""Services whose data stores' encryption `discover aws` reads: such a component written
without a key, and named by no gap (`unread_keys`), was read unencrypted."""

OWN_KEY_REPLICAS = frozenset({"rds", "dynamodb"})
"""Services whose replica, read in its own region, is a store with a key of its own (a
global-table replica, a cross-region read replica): its copy keeps the key it was read with.
An S3 destination bucket's default encryption is not its replicas' (that is the replication
rule's `ReplicaKmsKeyID`, or each source object's own), so its copy's key stands."""


def unread_keys(gaps: Iterable[NotObserved]) -> frozenset[str]:
    """ARNs of the resources whose key is unknown: the call reading it failed or was not made.
    Their components carry no key, which must not read as "unencrypted"."""
    return frozenset(
        arn
        for g in gaps
        if (g.service, g.call) in KEY_CALLS and (arn := gap_resource(g.reason)) is not None
    )


COPY_KEY = "Key="
"""Prefix of the token of a copy's evidence detail naming the key protecting the copy (its
`keys` id, or `unknown`): the format has no key field for copies."""


_KEY_TOKEN = re.compile(r"(?<!\S)(key\s*=\s*)(\S*)", re.IGNORECASE)
"""A `Key=` token in any case or spacing (`key=ghost`, `Key = ghost`): a hand edit that
escaped the collector's spelling still names a key, never one silently ignored."""


def copy_key_tokens(detail: str | None) -> list[tuple[str, str]]:
    """(spelling, key) of every key a copy's evidence detail names, in order: `("Key=", id)`
    as `build_deployment` writes it, or another spelling (`observed_checks` refuses it)."""
    return [(m.group(1), m.group(2)) for m in _KEY_TOKEN.finditer(detail or "")]


def copy_keys(detail: str | None) -> list[str]:
    """Every key a copy's evidence detail names (`Key=...`, in any case or spacing), in order:
    a file `build_deployment` wrote has at most one, an id of its `keys` or `unknown`
    (`observed_checks.copy_key_problems` refuses any other)."""
    return [key for _, key in copy_key_tokens(detail)]


def copy_key(detail: str | None) -> str | None:
    """The key a copy's evidence detail names (its `keys` id, or `unknown`); None when the
    copy names none (it is protected by its component's key)."""
    keys = copy_keys(detail)
    return keys[0] if keys else None


KEYED_COPY_CALLS = frozenset(
    {("s3", "GetBucketReplication"), ("backup", "GetBackupPlan"), ("dynamodb", "DescribeTable")}
)
"""The reads whose copies always name their key since copies carry one (`Key=`): an S3
replica (its rule's ReplicaKmsKeyID, or unknown), a DynamoDB global-table replica (its
region's key, owned or KMS, or unknown) and an AWS Backup copy (but one of a source keeping its
own encryption in its region and account, `SOURCE_KEYED_BACKUPS`)."""


def observed_copy_key(observation: Observation, c: ModelComponent, copy: Copy) -> str | None:
    """The key an observed copy is on, as `copy_key` reads it; `UNKNOWN_KEY` for an S3 replica
    or an AWS Backup copy naming none that should (a file written before copies named their
    keys judged them on the source's key: fail closed); None when it is on its component's."""
    evidence = copy.evidence
    if evidence is None:
        return None
    named = copy_key(evidence.detail)
    if named is not None or (evidence.service, evidence.call) not in KEYED_COPY_CALLS:
        return named
    home = copy.region == c.region and copy.account in (None, observation.account)
    if evidence.service == "backup" and c.service in SOURCE_KEYED_BACKUPS and (home or not c.key):
        return None  # on its source's encryption, as discover writes it today
    return UNKNOWN_KEY


@dataclass(slots=True)
class ObservedCopy:
    kind: CopyKind
    region: str | None
    evidence: Evidence
    target: str | None = None
    """ARN of the copy's destination: replica bucket, instance or table, backup vault."""
    account: str | None = None
    """Account holding the copy when it is not the observed one: its id, or `UNKNOWN_ACCOUNT`.
    None: the observed account."""
    key: str | None = None
    """For a copy with a key of its own (a DynamoDB global-table replica, a backup in its
    vault, an S3 replica): the key ARN or id as read, a `KeyRecord.id` of a provider-owned
    key, or `UNKNOWN_KEY`. None: the copy is protected by its source's key."""


UNKNOWN_KEY = "unknown"
"""A copy's key that could not be read."""

NO_KEY = "none"
"""An observed data store whose encryption was read and found absent (`drift`). Like
`UNKNOWN_KEY`, a reserved word: no key of an observed file may bear it."""


@dataclass(slots=True)
class ObservedResource:
    """A data store, backup plan or distribution as read from the provider."""

    service: str
    kind: ComponentKind
    name: str
    arn: str
    region: str | None
    evidence: Evidence
    key: str | None = None
    """Key ARN or id, or a `KeyRecord.id` of a provider-owned key; None when unencrypted."""
    copies: list[ObservedCopy] = field(default_factory=list)
    source: str | None = None
    """ARN of the resource this one replicates (it is then folded into that one)."""
    protects: tuple[str, ...] = ()
    """For a backup plan: ARNs (or wildcards) of the resources it backs up."""
    unresolved: tuple[str, ...] = ()
    """For a backup plan: its selections whose resources could not all be resolved (by tags
    a condition discover does not evaluate, a tagging call refused; each a gap). The plan then
    stays a component with its copies after giving them to what it was resolved to protect."""
    shared_with: tuple[str, ...] | None = None
    """Who outside the account can read it (`residency_audit.sharing`); None: not read."""


@dataclass(slots=True)
class KeyRecord:
    id: str
    arn: str
    region: str | None
    management: KeyManagement
    evidence: Evidence
    provider_can_use: bool | None = True
    held_by_provider: bool = True
    replica_regions: tuple[str, ...] = ()
    primary: str | None = None
    """ARN of the primary key when this is a multi-region replica."""
    aliases: tuple[str, ...] = ()
    aws_managed: bool = False


@dataclass(slots=True)
class Discovery:
    """One account's observation, ready to be written."""

    account: str
    partition: str
    started_at: str
    regions: tuple[str, ...]
    regions_not_enabled: tuple[str, ...] | None = None
    """None when the account's regions could not be listed (then neither list is known)."""
    regions_not_queried: tuple[str, ...] | None = None
    resources: list[ObservedResource] = field(default_factory=list)
    keys: list[KeyRecord] = field(default_factory=list)
    gaps: list[NotObserved] = field(default_factory=list)
    services: tuple[str, ...] = ()
    """The services the collector read (`aws.SERVICES`; none for an account whose role could
    not be assumed), written as `observation.services_read`."""


@record
class Assumptions(Record):
    """What an account cannot tell: the data it holds and who owns it (command-line options)."""

    categories: tuple[DataCategory, ...] = (DataCategory.HEALTH,)
    health_context: HealthContext | None = HealthContext.CARE
    controller_country: str = UNKNOWN_COUNTRY


def region_of_arn(arn: str) -> str | None:
    """`arn:aws:rds:us-east-1:123:db:x` → us-east-1; None when the ARN has no region (S3)."""
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 5 and parts[0] == "arn" else None


def account_of_arn(arn: str) -> str | None:
    """`arn:aws:backup:us-east-1:123:backup-vault:x` → 123; None when the ARN has no account
    (S3 buckets)."""
    parts = arn.split(":")
    return parts[4] or None if len(parts) > 5 and parts[0] == "arn" else None


def build_deployment(found: Discovery, kb: KnowledgeBase, assumed: Assumptions) -> Deployment:
    resources = _fold(found.resources)
    referenced = {r.key for r in resources if r.key}
    referenced |= {c.key for r in resources for c in r.copies if c.key}
    keys = _keys(found.keys, referenced)
    by_ref = {ref: k for k in keys for ref in (k.id, k.arn, *k.aliases) if ref}
    gaps = list(found.gaps)
    components = []
    ids = _component_ids(resources)
    for r in resources:
        key = _resolve(r.key, r.region, r.arn, r.evidence, by_ref, keys, gaps)
        components.append(
            ModelComponent(
                id=ids[r.arn],
                kind=r.kind,
                provider=provider_of(found.partition),
                service=r.service,
                region=r.region,
                key=key.id if key else None,
                copies=tuple(
                    Copy(
                        kind=c.kind,
                        region=c.region,
                        account=c.account or found.account,
                        evidence=_copy_evidence(c, by_ref, keys, gaps),
                    )
                    for c in _unique_copies(r)
                ),
                resources=(r.arn,),
                shared_with=r.shared_with,
                evidence=r.evidence,
            )
        )
    model_keys = tuple(_model_key(k, kb, found.partition) for k in keys)
    owner = Party(
        id=OWNER_PARTY,
        name=f"Owner of AWS account {found.account}",
        role=Role.CONTROLLER,
        country=assumed.controller_country,
    )
    aws = Party(
        id=AWS_PARTY,
        name="Amazon Web Services (contracting entity not observable)",
        role=Role.PROCESSOR,
        country=UNKNOWN_COUNTRY,
        provider=provider_of(found.partition),
    )
    return Deployment(
        schema_version=1,
        name=f"aws-{found.account}",
        controller=OWNER_PARTY,
        # the services read are `observation.services_read` only: a copy in this free text
        # could be edited to disagree with what the drift rules read
        description=f"Observed in AWS account {found.account} by residency-audit discover aws.",
        data=Data(categories=assumed.categories, health_context=assumed.health_context),
        parties=(owner, aws),
        components=tuple(components),
        keys=model_keys,
        observation=Observation(
            collector="aws",
            started_at=found.started_at,
            account=found.account,
            partition=found.partition,
            regions=found.regions,
            regions_not_enabled=found.regions_not_enabled,
            regions_not_queried=found.regions_not_queried,
            services_read=tuple(sorted(found.services)),
            # a refusal met twice (a call retried for another reader) is one gap
            not_observed=tuple(dict.fromkeys(sorted(gaps, key=_gap_key))),
        ),
    )


def _copy_evidence(
    c: ObservedCopy, by_ref: dict[str, KeyRecord], keys: list[KeyRecord], gaps: list[NotObserved]
) -> Evidence:
    """A copy's evidence, naming the key protecting the copy (`Key=<id>`, or `Key=unknown`)
    when the copy has a key of its own: the format has no key field for copies."""
    if c.key is None:
        return c.evidence
    key = None
    if c.key != UNKNOWN_KEY:
        key = _resolve(c.key, c.region, c.target or "", c.evidence, by_ref, keys, gaps)
    token = f"{COPY_KEY}{key.id if key else UNKNOWN_KEY}"
    detail = f"{c.evidence.detail} {token}" if c.evidence.detail else token
    return dataclasses.replace(c.evidence, detail=detail)


def _resolve(
    ref: str | None,
    region: str | None,
    arn: str,
    evidence: Evidence,
    by_ref: dict[str, KeyRecord],
    keys: list[KeyRecord],
    gaps: list[NotObserved],
) -> KeyRecord | None:
    """The key `ref` protecting the resource `arn` in `region`. Keys AWS owns (SSE-S3,
    DynamoDB's default) or manages (alias/aws/s3 before first use) need no KMS call; any other
    key that was not read is a gap naming the resource: without it, who can decrypt is
    unknown (not "unencrypted": `unread_keys`)."""
    if ref is None:
        return None
    if ref in by_ref:
        return by_ref[ref]
    if ref.startswith("alias/") and f"{ref}@{region}" in by_ref:
        return by_ref[f"{ref}@{region}"]  # an alias name alone names a key of the region
    name, _, at = ref.partition("@")
    if at and (name.endswith("-owned") or name.startswith("alias/aws/")):
        key = KeyRecord(
            id=ref,
            arn=ref,
            region=at,
            management=KeyManagement.PROVIDER_MANAGED,
            # the read that named it, about the resource it protects (a global-table
            # replica's key is read with the table in another region)
            evidence=dataclasses.replace(
                evidence, resource=arn or evidence.resource, detail=without_shares(evidence.detail)
            ),
            aws_managed=True,
        )
        keys.append(key)
        by_ref[ref] = key
        return key
    gaps.append(_unread_key(ref, region, arn, gaps))
    return None


def _unread_key(ref: str, region: str | None, arn: str, gaps: list[NotObserved]) -> NotObserved:
    """The gap saying that the key `ref` protecting `arn` was not read, and why: the failed
    call that would have read it (DescribeKey of that key, ListKeys of its region, ListAliases
    for a key named by an alias), whose cause and permission it repeats; or, none failed,
    that it was not queried (a key of another account, or of a region not read)."""
    key_id = ref.rsplit("/", 1)[-1]

    def failed(g: NotObserved) -> bool:
        if g.service != "kms" or g.region != region:
            return False
        if g.call == "DescribeKey":
            about = g.reason.rpartition(" for ")[2]
            return about in (ref, key_id) or about.endswith(f":key/{key_id}")
        return g.call == "ListKeys" or ("alias/" in ref and g.call == "ListAliases")

    cause = next((g for g in gaps if failed(g)), None)
    if cause is None:
        return NotObserved(
            service="kms",
            call="DescribeKey",
            region=region,
            reason=f"{GapCause.NOT_QUERIED.value}: key {ref} was not read (another account, or "
            f"KMS not readable in that region) for {arn}",
        )
    said = cause.reason.rpartition(" for ")[0] if " for " in cause.reason else cause.reason
    why = f"kms {cause.call} in {region}: {said}"
    if cause.call == "ListAliases":
        why = f"its alias could not be resolved, {why}"
    lead = gap_cause(cause.reason) or GapCause.ERROR
    return NotObserved(
        service="kms",
        call=cause.call,
        region=region,
        reason=f"{lead.value}: key {ref} was not read ({why}) for {arn}",
        permission=cause.permission if lead is GapCause.DENIED else None,
    )


def provider_of(partition: str | None) -> str:
    """The knowledge-base provider of an AWS partition: the one whose components an
    observation of that partition can read (None: an observation not naming it, `aws`)."""
    return "aws-eusc" if partition == "aws-eusc" else "aws"


def _gap_key(g: NotObserved) -> tuple[str, str, str, str]:
    return (g.service, g.region or "", g.call, g.reason)


def _component_id(r: ObservedResource) -> str:
    return f"{r.service}-{r.region}-{r.name}" if r.service == "backup" else f"{r.service}-{r.name}"


def _component_ids(resources: Sequence[ObservedResource]) -> dict[str, str]:
    """ARN → component id. Names are unique per service only within a region (two DynamoDB
    tables `orders` in two regions that do not replicate each other): such a name gets its
    region too, so that every resource keeps a component of its own."""
    plain = [_component_id(r) for r in resources]
    twice = {ident for ident, n in Counter(plain).items() if n > 1}
    return {
        r.arn: f"{r.service}-{r.region}-{r.name}" if ident in twice and r.region else ident
        for r, ident in zip(resources, plain, strict=True)
    }


def _fold(resources: Sequence[ObservedResource]) -> list[ObservedResource]:
    """Replicas become copies of their source; backup plans become copies of what they protect
    (a plan protecting nothing observed, or with a selection not resolved, stays a component
    of its own).

    Each resource that copies another is folded into the one at the top of its chain of
    sources (A replicates to B, B to C: B and C are copies of A), with its own copies, so a
    copy of a copy is never lost. When resources copy each other (two-way replication, a
    DynamoDB global table read in each of its regions), the first ARN keeps the data."""
    ordered = sorted(resources, key=lambda r: (r.service, r.name, r.region or "", r.arn))
    by_arn = {r.arn: r for r in ordered}
    targets = {
        r.arn: {c.target for c in r.copies if c.target and c.target != r.arn} for r in ordered
    }
    listed_by: dict[str, list[str]] = {}  # ARN → the resources listing it as a copy, in order
    for r in ordered:
        for arn in sorted(targets[r.arn]):
            listed_by.setdefault(arn, []).append(r.arn)

    def holder(r: ObservedResource) -> str | None:
        if r.source and r.source in by_arn and r.source != r.arn:
            return r.source
        for s in listed_by.get(r.arn, ()):
            if not (s in targets[r.arn] and r.arn < s):  # two-way: the first ARN keeps it
                return s
        return None

    held = {r.arn: h for r in ordered if (h := holder(r)) is not None}

    def top(r: ObservedResource) -> ObservedResource:
        chain = [r.arn]
        while (up := held.get(chain[-1])) is not None:
            if up in chain:  # copies in a loop: the first ARN of the loop keeps the data
                return by_arn[min(chain[chain.index(up) :])]
            chain.append(up)
        return by_arn[chain[-1]]

    kept: list[ObservedResource] = []
    for r in ordered:
        source = top(r)
        if source is not r:
            _merge(source, r)
            continue
        if r.kind is ComponentKind.BACKUP and r.protects:
            protected: dict[str, ObservedResource] = {}
            for t in ordered:  # a protected replica's backups are copies of its source's data
                if backs_up(r, t):
                    protected.setdefault(top(t).arn, top(t))
            for target in protected.values():
                target.copies.extend(_backup_copy(target, c) for c in r.copies)
            if protected and not r.unresolved:
                continue  # else the copies of what it was not resolved to protect stay its own
        kept.append(r)
    return kept


BACKED_UP_SERVICES = frozenset({"dynamodb", "ebs", "ec2", "rds", "s3"})
"""The services read whose resources AWS Backup can back up (its supported resource types,
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_GetSupportedResourceTypes.html):
a plan selecting `*` makes no copy of a Lambda function or a CloudFront distribution, nor of
another plan."""


def backs_up(plan: ObservedResource, t: ObservedResource) -> bool:
    """Whether backup `plan` protects `t`: a volume, instance, table, bucket or database
    (`BACKED_UP_SERVICES`), not a snapshot or another backup (kind BACKUP: AWS Backup backs
    up the volume, and a standalone snapshot is a copy already), of the plan's own region
    (plans are regional: a plan selects and backs up the resources of its region, as
    `aws_ebs._left_to_backup` reads them), that the plan selects. A resource whose region
    could not be read (a bucket, its gap reported) may be the plan's: its copies are kept
    rather than lost."""
    return (
        t.service in BACKED_UP_SERVICES
        and t.kind is not ComponentKind.BACKUP
        and t.region in (None, plan.region)
        and any(fnmatch.fnmatchcase(t.arn, p) for p in plan.protects)
    )


VAULT_KEYED_BACKUPS = frozenset({"s3"})
"""Services whose AWS Backup recovery points are encrypted with the vault's key: those AWS
Backup fully manages. AWS's "Encryption for backups in AWS Backup"
(https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html) names S3 among them; the
recovery points of the others (RDS, Aurora, EBS/EC2, DynamoDB without advanced backup) keep
their source's encryption. No other service is assumed fully managed."""

SOURCE_KEYED_BACKUPS = frozenset({"rds", "ebs"})
"""Services whose backups AWS documents as keeping their source's encryption (RDS and Aurora,
EBS volumes): a copy in the source's region and account is on the source's key, one elsewhere
on a key of its own (KMS keys are regional), which no call reads. Not EC2: an instance's backup
keeps its volumes' keys, which the instance (read with no key) does not show, so its copies are
on an unknown key."""


def _backup_copy(target: ObservedResource, c: ObservedCopy) -> ObservedCopy:
    """A backup plan's copy of `target`, with the key protecting it: the vault's for a
    service AWS Backup fully manages; the source's (None) for one that keeps its source's
    encryption, in the source's region and account, else unknown when the source is
    encrypted; unknown for any other service (DynamoDB, whose advanced-backup setting is not
    read): never the vault's key by default."""
    if target.service in VAULT_KEYED_BACKUPS:
        return c
    key: str | None = UNKNOWN_KEY
    if target.service in SOURCE_KEYED_BACKUPS:
        home = c.region == target.region and c.account == account_of_arn(target.arn)
        key = None if home or target.key is None else UNKNOWN_KEY
    return replace(c, key=key)


def _merge(source: ObservedResource, r: ObservedResource) -> None:
    """`r` becomes a copy of `source`, and so do the copies `r` makes; whoever `r` is shared
    with can read the source's data."""
    if r.shared_with is not None:
        source.shared_with = merged(source.shared_with, r.shared_with)
        detail = through_of_replica(source.evidence.detail, r.evidence.detail, r.name)
        if detail != source.evidence.detail:
            source.evidence = replace(source.evidence, detail=detail)
    have = {c.target for c in source.copies if c.target} | {source.arn}
    if r.arn not in have:  # the replica keeps the key it was read with
        source.copies.append(ObservedCopy(CopyKind.REPLICA, r.region, r.evidence, r.arn, key=r.key))
        have.add(r.arn)
    elif r.service in OWN_KEY_REPLICAS and r.key is not None:
        # Already a copy (listed by the source: a global table's Replicas, a read replica):
        # what the replica's own read says of its key is what protects it, and its evidence
        # is that read. A copy naming no key has its source's: only another is written.
        listed = next(c for c in source.copies if c.target == r.arn)
        if r.key != (source.key if listed.key is None else listed.key):
            listed.key, listed.evidence = r.key, r.evidence
    for c in r.copies:
        if c.target is None or c.target not in have:
            source.copies.append(c)
            if c.target:
                have.add(c.target)


def _unique_copies(r: ObservedResource) -> list[ObservedCopy]:
    """One copy per destination: kind, region, account and the destination itself (a backup
    copy to another account's vault is not the local vault's copy, even in the same region)."""
    seen: set[tuple[CopyKind, str | None, str | None, str | None]] = set()
    out = []
    for c in r.copies:
        where = (c.kind, c.region, c.account, c.target)
        if where not in seen:
            seen.add(where)
            out.append(c)
    return out


def _keys(records: Sequence[KeyRecord], referenced: set[str]) -> list[KeyRecord]:
    """Customer keys, and AWS-managed or AWS-owned keys that protect an observed resource; a
    multi-region replica is folded into its primary when the primary was observed."""
    arns = {k.arn for k in records}
    out: dict[str, KeyRecord] = {}
    for k in sorted(records, key=lambda k: (k.id, k.region or "")):
        if k.primary and k.primary in arns:
            continue
        if k.aws_managed and not referenced & {k.id, k.arn, *k.aliases}:
            continue
        out.setdefault(k.id, k)
    return list(out.values())


def _model_key(k: KeyRecord, kb: KnowledgeBase, partition: str) -> Key:
    region = kb.region(provider_of(partition), k.region) if k.region else None
    return Key(
        id=k.id,
        encryption=EncryptionSide.PROVIDER_SIDE,
        management=k.management,
        holder=AWS_PARTY if k.held_by_provider else None,
        # The key material sits in the region's HSMs; an external key store's location is the
        # customer's and cannot be observed, so it stays unknown.
        country=region.country if region and k.held_by_provider else None,
        provider_can_use=k.provider_can_use,
        region=k.region,
        replica_regions=k.replica_regions,
        evidence=k.evidence,
    )

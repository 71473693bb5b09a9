"""Which declared components the observed files of a run hold, and the `service` subjects that
say so (DRIFT-OBS-04: was the component's service read; DRIFT-RES-02: was it found).

An observed resource matches a declared component of its provider and service that lists its
ARN or name in `resources`, or has its id, or else has the same provider, service and region
and lists no `resources` (a declaration of "our S3 buckets in eu-west-3"). Names are per
service: a bucket `records` is not an RDS instance `records`. A replica folded into the copies
of its source (an S3 replica bucket, a DynamoDB global-table replica, an RDS read replica) is
held by the observation too, under the ARN its copy names.

A declared component whose service and region the observation read, named by no gap, that no
resource of any observed file matches is not where the declaration says (DRIFT-RES-02); nor is
one listing `resources` that no observed file holds one of (each it lists must be found, not
any). An ARN names its account: a listed one is looked for only in the files of that account,
never reported missing from another's. An account whose role could not be assumed read
nothing: its file shows no component missing from it (its gap is DRIFT-OBS-01's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence

from residency_audit.collectors.observed import (
    UNKNOWN_ACCOUNT,
    account_of_arn,
    gap_resource,
    provider_of,
    region_of_arn,
)
from residency_audit.engine.subjects import Subject, common_facts
from residency_audit.kb import KnowledgeBase
from residency_audit.model import (
    Component,
    Copy,
    CopyKind,
    Deployment,
    Evidence,
    Fact,
    NotObserved,
    Observation,
)
from residency_audit.partitions import AWS_PROVIDERS, partition_of_arn, partition_of_region
from residency_audit.records import Record, record

UNKNOWN_REGION = "an unknown region"
"""Where a gap with no region was: every call goes to a region, and one without was meant for
a resource whose region could not be read (a bucket whose GetBucketLocation failed)."""


@record
class Match(Record):
    deployment: Deployment
    index: int
    component: Component


@record
class Found(Record):
    """The declared components some observed resource stands for, in any of the observed files
    compared in one run (one per account with `--all-accounts`): a component found in one
    account is not missing from the others."""

    where: Mapping[tuple[int, int], str]
    """(declared deployment's id(), component index) → where the first resource standing for
    it was read."""
    files: tuple[str, ...]
    """The observed files searched."""
    names: Mapping[tuple[str, str], Mapping[tuple[str | None, str | None], str]]
    """(provider, every name a declaration may list an observed resource by: `resource_names`
    of its ARNs and its replicas', and its id) → {(its service, its partition): where it was
    read}: a component listing resources is found only if each of them is, by a resource of
    its service and partition (`same_partition`)."""
    accounts: Mapping[str, tuple[str, ...]]
    """The accounts the observed files are for → those files: a listed ARN naming another
    account was not looked for, and one naming an account of the run is looked for in that
    account's files only."""

    def holder(self, c: Component, resource: str) -> str | None:
        """Where a resource of `c`'s provider and service listed as `resource` was read; None
        when no observed file holds one. A component declaring no service takes any of its
        provider's."""
        service = service_of(c)
        for (held, partition), where in self.names.get((c.provider, resource), {}).items():
            if service in (None, held) and same_partition(c, partition):
                return where
        return None


def found_components(declared: Sequence[Deployment], observed: Sequence[Deployment]) -> Found:
    """Which declared components a resource of `observed` may stand for (`matching_components`:
    every one it matches, not only the first, which `match_component` gives the place and key
    subjects): two declarations of "our RDS in eu-west-3" are both found by the instances
    there."""
    where: dict[tuple[int, int], str] = {}
    names: dict[tuple[str, str], dict[tuple[str | None, str | None], str]] = {}
    for seen in observed:
        for oi, oc in enumerate(seen.components):
            here = f"components[{oi}]"
            origin = observed_origin(seen, here, oc.evidence)
            partition = observed_partition(seen, oc)
            held = [(name, origin, partition) for name in sorted(_own_names(oc))]
            # a replica is of its own ARN's partition (the evidence names it), not its
            # source's: `arn:aws-cn:s3:::records` is not the bucket `records` of aws
            held += [
                (
                    name,
                    observed_origin(seen, f"{here}.copies[{j}]", c.evidence or oc.evidence),
                    partition_of_arn(arn) or partition,
                )
                for j, c in enumerate(oc.copies)
                if c.kind is CopyKind.REPLICA
                for arn in (copy_resource(oc, c),)
                for name in sorted(resource_names(arn))
            ]
            for name, at, of in held:
                names.setdefault((oc.provider, name), {}).setdefault((service_of(oc), of), at)
            for match in matching_components(declared, oc, partition=partition):
                where.setdefault((id(match.deployment), match.index), origin)
    accounts: dict[str, tuple[str, ...]] = {}
    for seen in observed:
        if seen.observation is not None and seen.observation.account is not None:
            account = seen.observation.account
            accounts[account] = (*accounts.get(account, ()), str(seen.path))
    return Found(where, tuple(str(seen.path) for seen in observed), names, accounts)


def service_subjects(
    declared: Sequence[Deployment],
    observed: Deployment,
    found: Found,
    *,
    kb: KnowledgeBase,
    as_of: dt.date,
) -> Iterator[tuple[str, Subject]]:
    """One subject per declared component of the observed account's provider, saying whether
    the observation read its service (DRIFT-OBS-04) and, if it read it in the component's
    region with no gap there, whether any observed file holds it (DRIFT-RES-02). No observed
    resource matching a component shows it absent only if its service was read: a service
    the collector does not read (EFS, Redshift), or did not read yet when the file was
    written (EBS before it was added), was not looked at. A component a resource of any
    observed file of the run matched (`found`) was read, whatever this file says: an account
    whose role could not be assumed read nothing, but what another account holds was read
    there. For any other, a file not listing the services read (`services_read`, written
    since EBS was read) leaves it unknown, as does a component declaring no service. A
    component all of whose listed resources are ARNs of another account of the run gets no
    subject here: it is that account's files' to judge, and a subject here would pass in
    JUnit beside its failure there."""
    o = observed.observation
    if o is None:
        return
    provider = provider_of(o.partition)
    read = None if o.services_read is None else frozenset(x.lower() for x in o.services_read)
    listed = source_at(observed, "observation.services_read")
    for d in declared:
        base = common_facts(d, kb, as_of)
        for i, c in enumerate(d.components):
            if c.provider != provider:
                continue
            if _accounts_elsewhere(o, c, found):
                continue  # all it lists is another account's of the run: judged in its files
            here = f"components[{i}]"
            facts = dict(base)
            facts["observation.subject"] = Fact(
                "observation.subject", "service", source_at(d, here)
            )
            facts["declared.component"] = Fact(
                "declared.component", c.id, source_at(d, f"{here}.id")
            )
            if c.service is not None:
                facts["declared.service"] = Fact(
                    "declared.service", c.service, source_at(d, f"{here}.service")
                )
            if o.account is not None:
                facts["observation.account"] = Fact(
                    "observation.account", o.account, source_at(observed, "observation.account")
                )
            if read is not None:
                facts["observation.services_read"] = Fact(
                    "observation.services_read", sorted(read), listed
                )
            seen = found.where.get((id(d), i))
            if seen is not None:
                facts["observation.service_read"] = Fact(
                    "observation.service_read", True, f"derived: {seen} stands for {c.id}"
                )
            elif read is not None and c.service is not None:
                facts["observation.service_read"] = Fact(
                    "observation.service_read",
                    c.service.lower() in read,
                    f"derived: declared service {c.service} compared with {listed} "
                    "(observation.services_read)",
                )
            _looked_for(facts, d, i=i, observed=observed, found=found)
            label = f"service {c.service} of {c.id}" if c.service else f"service of {c.id}"
            located = d.locations.get(f"{here}.service", c.span)
            yield d.name, Subject("observation", label, c.id, located, facts)


def _looked_for(
    facts: dict[str, Fact], d: Deployment, *, i: int, observed: Deployment, found: Found
) -> None:
    """Whether the observation looked for declared component `i` where it is declared (its
    region read, no gap naming it or its service there, the account's role assumed) and
    whether any observed file holds it. A region the component does not declare, or an
    observation not saying which regions it read, leaves the first unknown. A component
    listing `resources` is found only if every one is (a half-stale list is not the
    account). A listed resource the observation did not look for (a gap may hide it, or its
    ARN names a region not read or an account no file is for) is not called missing; when
    nothing else is missing, the component is the gap's (DRIFT-OBS-01), or whether it is all
    there is unknown. One whose ARN names another account of the run is judged in that
    account's files only (`_elsewhere`)."""
    o = observed.observation
    assert o is not None  # only observed deployments are compared
    c, here = d.components[i], f"components[{i}]"
    if c.region is not None:
        facts["declared.region"] = Fact("declared.region", c.region, source_at(d, f"{here}.region"))
    read = _region_read(o, c.region)
    if read is not None:
        refused = _account_gap(o)
        facts["observation.region_read"] = Fact(
            "observation.region_read",
            read,
            f"derived: declared region {c.region} compared with "
            f"{source_at(observed, 'observation.regions')} (observation.regions)"
            if refused is None
            else f"derived: {source_at(observed, f'observation.not_observed[{refused}]')}: "
            "the account's role could not be assumed, no region of it was read",
        )
    elsewhere = _elsewhere(o, c, found)
    unfound = [x for x in _unfound(o, c, found) if x[0] not in elsewhere]
    missing = [r for r, hidden, _ in unfound if hidden is None]
    gap = _component_gap(o, c, c.region)
    if gap is None and not missing:  # all that was not found may be hidden by a gap
        gap = next((k for _, _, k in unfound if k is not None), None)
    facts["observation.component_gap"] = Fact(
        "observation.component_gap",
        gap is not None,
        f"derived: no gap of {observed.path} (observation.not_observed) names {c.id} or "
        f"its service in {c.region or UNKNOWN_REGION}"
        if gap is None
        else source_at(observed, f"observation.not_observed[{gap}]"),
    )
    searched = ", ".join(found.files)
    seen = found.where.get((id(d), i))
    if not c.resources:
        not_found = [] if seen is not None else [c.id]
        facts["observation.found"] = Fact(
            "observation.found",
            seen is not None,
            f"derived: {seen} stands for {c.id}"
            if seen is not None
            else f"derived: no resource of {searched} stands for {c.id} (by id, or provider, "
            "service and region)",
        )
    elif missing:
        not_found = missing
        facts["observation.found"] = Fact(
            "observation.found",
            False,
            f"derived: no resource of {searched} is {', '.join(missing)}, "
            f"listed by {c.id} in `resources`: looked for (no gap names it, its region read) "
            "and not found",
        )
    elif unfound:
        not_found = [r for r, _, _ in unfound]
        facts["observation.found"] = Fact(
            "observation.found",
            None,
            f"derived: no resource of {searched} is "
            + ", ".join(f"{r} ({hidden})" for r, hidden, _ in unfound)
            + f", listed by {c.id} in `resources`, which the observation did not look for",
        )
    else:
        not_found = []
        facts["observation.found"] = Fact(
            "observation.found",
            True,
            f"derived: every resource {c.id} lists is held by an observed file: "
            + "; ".join(
                f"{r} at {found.holder(c, r)}"
                if r not in elsewhere
                else f"{r}, of account {account_of_arn(r)}, is looked for in "
                f"{', '.join(elsewhere[r])}, not here"
                for r in c.resources
            ),
        )
    found_fact = facts["observation.found"]
    facts["observation.not_found"] = Fact("observation.not_found", not_found, found_fact.origin)


def _elsewhere(o: Observation, c: Component, found: Found) -> dict[str, tuple[str, ...]]:
    """The resources `c` lists that no observed file holds and whose ARN names another account
    of the run than `o`'s → that account's files: they are judged there (missing, or not
    looked for), never in `o`'s account, which cannot hold them."""
    if o.account is None or o.account == UNKNOWN_ACCOUNT:
        return {}  # which account this file read is unknown: it may be the ARN's
    out = {}
    for r in c.resources:
        account = account_of_arn(r)
        if account is None or account == o.account or found.holder(c, r) is not None:
            continue
        if account in found.accounts:
            out[r] = found.accounts[account]
    return out


def _accounts_elsewhere(o: Observation, c: Component, found: Found) -> bool:
    """Whether every resource `c` lists is an ARN of another account of the run than `o`'s,
    found or not: `o`'s file can hold none of them, and judging the component there would
    pass it in JUnit beside its account's verdict."""
    if not c.resources or o.account is None or o.account == UNKNOWN_ACCOUNT:
        return False
    return all(
        account_of_arn(r) not in (None, o.account) and account_of_arn(r) in found.accounts
        for r in c.resources
    )


def _region_read(o: Observation, region: str | None) -> bool | None:
    """Whether the observation read `region`; None when no region is given or the file does
    not say which regions it read. An account whose role could not be assumed read none,
    whatever regions its file names (those it was asked to read)."""
    said = o.regions or o.regions_not_queried is not None or o.regions_not_enabled is not None
    if region is None or not said:
        return None
    return region in regions_read(o)


def regions_read(o: Observation) -> frozenset[str]:
    """The regions the observation read: those it queried, less any it lists as not read, and
    none for an account whose role could not be assumed."""
    if _account_gap(o) is not None:
        return frozenset()
    unread = {*(o.regions_not_queried or ()), *(o.regions_not_enabled or ())}
    return frozenset(r for r in o.regions if r not in unread)


Unfound = list[tuple[str, str | None, int | None]]
"""(resource, why the observation did not look for it, the gap that may hide it)."""


def _unfound(o: Observation, c: Component, found: Found) -> Unfound:
    """Each resource `c` lists that no observed file holds. Why is None for one looked for: no
    gap names it or its service in its region (its ARN's, else the component's), its ARN
    names no region the observation did not read, and no account that no file of the run is
    for."""
    out: Unfound = []
    for r in c.resources:
        if found.holder(c, r) is not None:
            continue
        named, own = _arn_service(r), service_of(c)
        if named is not None and own is not None and named != own:
            # no resource of the component's service has this ARN: nothing looked for it
            out.append((r, f"an ARN of {named}, not of the component's service {own}", None))
            continue
        region, account = region_of_arn(r), account_of_arn(r)
        gap = _resource_gap(o, r)
        if gap is None:
            gap = _component_gap(o, c, region or c.region)
        if gap is not None:
            call = o.not_observed[gap]
            out.append((r, f"not observed: {call.service} {call.call}", gap))
        elif account is not None and account not in found.accounts:
            out.append((r, f"in account {account}, which no observed file is for", None))
        elif region is not None and not _region_read(o, region):
            out.append((r, f"in {region}, a region not read", None))
        else:
            out.append((r, None, None))
    return out


_GAP_CALLS = {
    "ebs": ("ec2", frozenset({"DescribeVolumes", "DescribeSnapshots"})),
    "ec2": ("ec2", frozenset({"DescribeInstances"})),
}
"""The API calls whose gaps may hide a component of a service: EBS volumes and snapshots are
read through EC2 (collectors/aws_ebs.py), and EC2's instances by one call of it
(collectors/aws_compute.py); neither is hidden by EC2's other calls (DescribeRegions, or the
other's)."""

_ACCOUNT_WIDE = frozenset({("sts", "AssumeRole")})
"""Calls whose gap leaves the whole account unread: `--all-accounts` could not assume the
account's role (collectors/aws_client.py), so no service of any region was read there."""


def _account_gap(o: Observation) -> int | None:
    """Index of the first gap leaving the account unread (`_ACCOUNT_WIDE`)."""
    return next(
        (k for k, g in enumerate(o.not_observed) if (g.service.lower(), g.call) in _ACCOUNT_WIDE),
        None,
    )


def _component_gap(o: Observation, c: Component, region: str | None) -> int | None:
    """Index of the first gap that may hide declared component `c`'s stores in `region`: one
    leaving the account unread, or a call of its service there or in none (a bucket whose
    region could not be read). A call about one resource of a known region (its encryption,
    say) hides that resource's detail, not whether others are there (`_resource_gap` judges a
    resource it names)."""
    refused = _account_gap(o)
    if refused is not None:
        return refused
    service = service_of(c) or ""
    api, calls = _GAP_CALLS.get(service, (service, None))
    for k, g in enumerate(o.not_observed):
        if g.service.lower() != api or (calls is not None and g.call not in calls):
            continue
        if g.region is not None and gap_resource(g.reason) is not None:
            continue
        if g.region in (None, region) or (g.service.lower(), g.call.lower()) in _SERVICE_WIDE:
            return k
    return None


def _resource_gap(o: Observation, resource: str) -> int | None:
    """Index of the first gap naming `resource` (by its ARN or a name in it, `resource_names`)."""
    for k, g in enumerate(o.not_observed):
        arn = gap_resource(g.reason)
        if arn is not None and resource in resource_names(arn):
            return k
    return None


_SERVICE_WIDE = frozenset({("s3", "listbuckets"), ("cloudfront", "listdistributions")})
"""Calls that list a service's resources of every region, made in one region (`discover` lists
the account's buckets from its home region, and its CloudFront distributions, which are
global, from us-east-1: collectors/aws_s3.py and aws_cloudfront.py): refused, no region's
resources were read. In lower case: a file written by hand may spell them otherwise, and drift
compares services so too."""


def gap_region(gap: NotObserved) -> str:
    """Where a gap left things unread, as findings say it: every region for a listing of all of
    them (`_SERVICE_WIDE`), naming the region the call was sent to if recorded (not the only
    one unread); else the gap's region, else `UNKNOWN_REGION`."""
    if (gap.service.lower(), gap.call.lower()) in _SERVICE_WIDE:
        sent = f", sent to {gap.region}" if gap.region else ""
        return f"every region (one call lists them all{sent})"
    return gap.region or UNKNOWN_REGION


def resource_names(arn: str) -> set[str]:
    """How a declaration may list a resource: its ARN, or the name in it, a bucket's or an
    instance's after the last ':', a table's after `table/` (arn:aws:dynamodb:...:table/orders)."""
    return {arn, arn.rsplit(":", 1)[-1], arn.rsplit(":", 1)[-1].split("/", 1)[-1]}


def _own_names(oc: Component) -> set[str]:
    """The names a declaration may list observed component `oc` by: its id and its ARNs'."""
    return {oc.id}.union(*(resource_names(r) for r in oc.resources))


def observed_partition(observed: Deployment, oc: Component) -> str | None:
    """The AWS partition of observed component `oc`: its ARN's, else its region's, else the
    observation's; None when none says (a file written by hand)."""
    for arn in oc.resources:
        if (partition := partition_of_arn(arn)) is not None:
            return partition
    if (partition := partition_of_region(oc.region)) is not None:
        return partition
    return observed.observation.partition if observed.observation is not None else None


def declared_partitions(c: Component) -> frozenset[str]:
    """The AWS partitions declared component `c` may be in: its region's, else those of the
    ARNs it lists; empty when it says none (no region, only names), or is not an AWS one."""
    if c.provider not in AWS_PROVIDERS:
        return frozenset()
    own = partition_of_region(c.region)
    if own is not None:
        return frozenset({own})
    return frozenset(p for r in c.resources if (p := partition_of_arn(r)) is not None)


def same_partition(c: Component, partition: str | None) -> bool:
    """Whether a resource of `partition` may be declared component `c`'s: names are unique
    only within a partition (a bucket `records` in aws-cn is not `records` in aws), so one of
    another partition than `c` declares never stands for it. Unknown on either side: it may."""
    wanted = declared_partitions(c)
    return partition is None or not wanted or partition in wanted


def match_component(
    declared: Sequence[Deployment], oc: Component, *, partition: str | None = None
) -> Match | None:
    """The declared component `oc` (of AWS `partition`, None: unknown) stands for: the first
    listing it in `resources`, else the first of its id, else the first of its provider,
    service and region listing no resources; never one declared in another partition."""
    for test in _tests(oc, partition):
        for d in declared:
            for i, c in enumerate(d.components):
                if test(c):
                    return Match(d, i, c)
    return None


def matching_components(
    declared: Sequence[Deployment], oc: Component, *, partition: str | None = None
) -> Iterator[Match]:
    """Every declared component `oc` may stand for, by any of `match_component`'s tests."""
    tests = _tests(oc, partition)
    for d in declared:
        for i, c in enumerate(d.components):
            if any(test(c) for test in tests):
                yield Match(d, i, c)


def _tests(oc: Component, partition: str | None) -> tuple[Callable[[Component], bool], ...]:
    names = _own_names(oc)
    return (
        # a name is a resource's within its provider, service and partition only
        lambda c: (
            bool(names & set(c.resources))
            and c.provider == oc.provider
            and service_of(c) in (None, service_of(oc))
            and same_partition(c, partition)
        ),
        lambda c: c.id == oc.id and same_partition(c, partition),
        lambda c: (
            not c.resources
            and (c.provider, service_of(c), c.region) == (oc.provider, service_of(oc), oc.region)
        ),
    )


def _arn_service(arn: str) -> str | None:
    """The service of a declaration's component an ARN names (EBS volumes and snapshots have
    EC2 ARNs); None for what is not an ARN (a name)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    service, resource = parts[2].lower(), parts[5]
    return "ebs" if service == "ec2" and resource.startswith(("volume/", "snapshot/")) else service


def service_of(c: Component) -> str | None:
    """A component's service as compared: `RDS` and `rds` are one service (the schema takes any
    spelling; the collector writes lower case)."""
    return None if c.service is None else c.service.lower()


_DESTINATIONS = (
    "Destination=",
    "DestinationBackupVaultArn=",
    "GlobalClusterMember=",
    "DBInstanceAutomatedBackupsReplications=",
    "ReadReplicaDBInstanceIdentifiers=",
    "ReadReplicaIdentifiers=",
)
"""Tokens of a copy's evidence detail naming the copy's own ARN (collectors/aws_rds.py)."""


def copy_resource(oc: Component, c: Copy) -> str:
    """The ARN of a copy: the destination its evidence names (a replica bucket, a backup vault,
    a cluster), the resource read when it is not the component's (a replica read in its own
    region, the backup plan making the copy), else the component's ARN in the copy's region
    (a global table's replicas bear its name)."""
    primary = (oc.resources or (oc.id,))[0]
    tokens = (c.evidence.detail or "").split() if c.evidence else []
    for token in tokens:
        for name in _DESTINATIONS:
            if token.startswith(name) and token[len(name) :].startswith("arn:"):
                return token[len(name) :]
    if c.evidence and c.evidence.resource and c.evidence.resource not in oc.resources:
        return c.evidence.resource
    region = region_of_arn(primary)
    if region and c.region and region != c.region:
        return primary.replace(f":{region}:", f":{c.region}:", 1)
    return primary


def source_at(d: Deployment, path: str) -> str:
    """Where `path` of `d` was written (`file:line:col`), else the file's first line."""
    span = d.locations.get(path)
    return str(span) if span else f"{d.path}:1:1"


def observed_origin(observed: Deployment, path: str, evidence: Evidence | None) -> str:
    """Where an observed fact was written, and the read that observed it."""
    where = source_at(observed, path)
    if evidence is None:
        return where
    return (
        f"{where} (observed: {evidence.service} {evidence.call} in "
        f"{evidence.region or 'global'} at {evidence.observed_at})"
    )

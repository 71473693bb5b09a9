"""Declared vs observed deployments → `observation` subjects, judged by the rules in rules/drift/.

One subject per observed place (a resource's primary location and each of its copies), per
observed key protecting matched resources and per replica of that key, per gap (a call the
collector could not make), and one for the day the observation shows the account on. Each
says whether a declaration stands for it, whether its location and key agree with the
declaration and, for a copy, whether it stays in the observed account; rules decide what a
difference means. A subject is located on the declaration it contradicts
when there is one, else on the observed file's line.

Which declared component an observed resource stands for, and which declared components the
observed files of a run hold (DRIFT-OBS-04, DRIFT-RES-02), is `drift_found`'s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from residency_audit.collectors.observed import (
    ENCRYPTION_READ,
    KEY_CALLS,
    NO_KEY,
    UNKNOWN_ACCOUNT,
    UNKNOWN_KEY,
    GapCause,
    gap_cause,
    gap_resource,
    observed_copy_key,
    unread_keys,
)
from residency_audit.drift_found import (
    UNKNOWN_REGION,
    Found,
    Match,
    copy_resource,
    found_components,
    gap_region,
    match_component,
    observed_origin,
    observed_partition,
    regions_read,
    service_subjects,
    source_at,
)
from residency_audit.engine.subjects import Subject, common_facts
from residency_audit.errors import InputError
from residency_audit.format import parse_deployment
from residency_audit.kb import KnowledgeBase
from residency_audit.loader import load_document
from residency_audit.model import (
    Component,
    Deployment,
    EncryptionSide,
    Evidence,
    Fact,
    InputFile,
    Key,
    KeyManagement,
    NotObserved,
    Observation,
    Span,
)
from residency_audit.observed_checks import observed_by, observed_since
from residency_audit.sharing import sharing_subjects

if TYPE_CHECKING:
    from residency_audit.collation import FileResult
    from residency_audit.pipeline import Auditor

CONTROL = {
    KeyManagement.PROVIDER_MANAGED: 0,
    KeyManagement.CUSTOMER_MANAGED_IN_PROVIDER_KMS: 1,
    KeyManagement.EXTERNAL_KEY_STORE: 2,
    KeyManagement.CUSTOMER_HELD: 3,
}
"""How far the key is from the provider: an observed key lower than the declared one means the
provider has more control than declared."""


def observation_subjects(observed: Deployment) -> Iterator[Subject]:
    """The subjects of an observed deployment audited alone (`check observed.yaml`): its gaps
    (`gap_subjects`) and each copy with the account holding it, so that a copy in another
    account is reported without a declaration to compare with (DRIFT-ACCT-01)."""
    yield from gap_subjects(observed)
    if observed.observation is None:
        return
    account = observed.observation.account
    for oi, oc in enumerate(observed.components):
        for j, c in enumerate(oc.copies):
            path = f"components[{oi}].copies[{j}]"
            facts: dict[str, Fact] = {}
            _put(
                facts,
                observed_origin(observed, path, c.evidence or oc.evidence),
                subject="held-copy",
                role=c.kind.value,
                region=c.region,
                resource=(oc.resources or (oc.id,))[0],
            )
            _copy_account(facts, observed, path, account, c.account)
            yield Subject("observation", f"{c.kind.value} of {oc.id}", oc.id, c.span, facts)


def gap_subjects(observed: Deployment, elsewhere: ReadElsewhere | None = None) -> Iterator[Subject]:
    """What an observation did not read: one subject per `observation.not_observed` entry (a
    call that failed), then one for the regions left out (not enabled, or not asked for).
    `elsewhere`: the regions other observed files of the run read in the same account (see
    `regions_read_elsewhere`), which this one need not have read."""
    if observed.observation is None:
        return
    for i, gap in enumerate(observed.observation.not_observed):
        at = str(observed.locations.get(f"observation.not_observed[{i}]", gap.span))
        denied = _denied(gap)
        facts = {
            "observation.subject": "gap",
            "observation.complete": False,
            "observation.service": gap.service,
            "observation.call": gap.call,
            "observation.region": gap_region(gap),
            "observation.reason": _why(gap.reason, gap.permission if denied else None),
            # only a refusal lacks a permission: a call never made, or one that failed
            # otherwise, does not
            "observation.permission": gap.permission if denied else None,
        }
        yield Subject(
            "observation",
            f"{gap.service} {gap.call} in {gap_region(gap)}",
            None,
            gap.span,
            {k: Fact(k, v, at) for k, v in facts.items() if v is not None},
        )
    yield _unread_regions(observed, observed.observation, elsewhere or {})
    yield _age(observed, observed.observation)
    yield from sharing_subjects(observed)  # here, not in observation_subjects: --observed too


ReadElsewhere = dict[str, list[str]]
"""Region → the other observed files of the run that read it in the same account."""


def regions_read_elsewhere(seen: Sequence[tuple[str, Deployment]]) -> list[ReadElsewhere]:
    """For each (display name, observed deployment) of a run, the regions the others read in
    the same account (same partition and account id) for the same deployment name. An account
    too large for one file is observed region by region (`discover aws --region`), one file
    each: a region one file left out and another read was read. Files with no account id, and
    regions a file names but did not read (an account whose role could not be assumed reads
    none), count for nothing."""
    keys = [_account_key(d) for _, d in seen]
    by_account: dict[tuple[str | None, str, str], list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None:
            by_account.setdefault(key, []).append(i)
    out: list[ReadElsewhere] = []
    for i, key in enumerate(keys):
        elsewhere: ReadElsewhere = {}
        for j in by_account.get(key, []) if key is not None else []:
            observation = seen[j][1].observation
            if j != i and observation is not None:
                for region in sorted(regions_read(observation)):
                    elsewhere.setdefault(region, []).append(seen[j][0])
        out.append(elsewhere)
    return out


def _account_key(d: Deployment) -> tuple[str | None, str, str] | None:
    o = d.observation
    if o is None or o.account is None:
        return None
    return (o.partition, o.account, d.name)


def _unread_regions(observed: Deployment, o: Observation, elsewhere: ReadElsewhere) -> Subject:
    """The regions of the account the observation did not read, less those another observed
    file of the run read there (`elsewhere`). Both lists are written only when the collector
    could list the account's regions; otherwise what it missed is unknown."""

    def at(key: str) -> str:
        return str(observed.locations.get(f"observation.{key}", o.span))

    facts = {
        "observation.subject": Fact("observation.subject", "regions", at("regions")),
    }
    if o.account is not None:
        facts["observation.account"] = Fact("observation.account", o.account, at("account"))
    if o.regions_not_enabled is not None and o.regions_not_queried is not None:
        facts["observation.regions_listed"] = Fact(
            "observation.regions_listed",
            True,
            "derived: observation.regions_not_enabled and regions_not_queried recorded",
        )
    if o.regions_not_enabled:
        facts["observation.regions_not_enabled"] = Fact(
            "observation.regions_not_enabled",
            list(o.regions_not_enabled),
            at("regions_not_enabled"),
        )
    left_out = list(o.regions_not_queried or ())
    covered = {r: elsewhere[r] for r in left_out if r in elsewhere}
    read_by = "; ".join(f"{r}: {', '.join(files)}" for r, files in sorted(covered.items()))
    if covered:
        facts["observation.regions_read_elsewhere"] = Fact(
            "observation.regions_read_elsewhere",
            sorted(covered),
            f"derived: read in the same account by other observed files of the run ({read_by})",
        )
    remaining = [r for r in left_out if r not in covered]
    if remaining:
        less = f" (less the regions other observed files of the run read: {read_by})"
        facts["observation.regions_not_queried"] = Fact(
            "observation.regions_not_queried",
            remaining,
            at("regions_not_queried") + (less if covered else ""),
        )
    label = f"regions of account {o.account}" if o.account else "regions of the account"
    return Subject("observation", label, None, o.span, facts)


def _age(observed: Deployment, o: Observation) -> Subject:
    """The day the observation shows the account on (`observed_since`: its start, or older
    evidence), for DRIFT-OBS-05 to compare with the as-of date: an account read long before
    that day says little of what it held then."""
    facts = {
        "observation.subject": Fact(
            "observation.subject", "age", source_at(observed, "observation.started_at")
        ),
    }
    if o.account is not None:
        facts["observation.account"] = Fact(
            "observation.account", o.account, source_at(observed, "observation.account")
        )
    facts["observation.observed"] = Fact(
        "observation.observed",
        f"account {o.account}" if o.account else "an account whose id is not recorded",
        source_at(observed, "observation.account"),
    )
    since = observed_since(observed)
    span = o.span
    if since is not None:
        path, day = since
        span = observed.locations.get(path) or o.span
        facts["observation.observed_on"] = Fact(
            "observation.observed_on",
            day.isoformat(),
            f"{source_at(observed, path)} (the UTC day of {path}, the oldest time of the file)",
        )
    label = (
        f"age of the observation of account {o.account}" if o.account else "age of the observation"
    )
    return Subject("observation", label, None, span, facts)


def drift_subjects(
    declared: Sequence[Deployment],
    observed: Deployment,
    kb: KnowledgeBase,
    as_of: dt.date,
    *,
    found: Found | None = None,
) -> Iterator[tuple[str, Subject]]:
    """(deployment name, subject) for every observed place and key, compared with `declared`.
    `found`: the components matched in every observed file of the run (default: this one)."""
    account = observed.observation.account if observed.observation else None
    unread = unread_keys(observed.observation.not_observed if observed.observation else ())
    # (declared deployment, observed key, declared key) → the matches the key protects, so
    # that a key's subjects name every declared component it covers
    claims: dict[tuple[int, str, str | None], tuple[Key, list[Match]]] = {}
    for oi, oc in enumerate(observed.components):
        match = match_component(declared, oc, partition=observed_partition(observed, oc))
        stated = True if match is not None else _undecided(declared, oc)
        owner = match.deployment if match else observed
        base = common_facts(owner, kb, as_of)
        places: list[tuple[str, str | None, Evidence | None, str, Span, str | None]] = [
            ("primary", oc.region, oc.evidence, f"components[{oi}]", oc.span, None)
        ]
        places += [
            (
                c.kind.value,
                c.region,
                c.evidence or oc.evidence,
                f"components[{oi}].copies[{j}]",
                c.span,
                c.account,
            )
            for j, c in enumerate(oc.copies)
        ]
        for role, region, evidence, path, span, holder in places:
            facts = dict(base)
            origin = observed_origin(observed, path, evidence)
            _put(
                facts,
                origin,
                subject="resource" if role == "primary" else "copy",
                role=role,
                region=region,
                country=_country(kb, oc.provider, region),
                declared=stated,
                resource=(oc.resources or (oc.id,))[0],
                service=oc.service,
                call=evidence.call if evidence else None,
            )
            if role != "primary":
                _copy_account(facts, observed, path, account, holder)
            located = span
            if match is not None:
                here = _declared_places(match.component, kb)
                _declared(facts, match, "locations", sorted(here), "region")
                if region is not None:
                    country = _country(kb, oc.provider, region)
                    facts["observation.location_declared"] = Fact(
                        "observation.location_declared",
                        region in here or country in here,
                        "derived: observed region compared with the declared regions and "
                        "countries of the component and its copies",
                    )
                located = _span(match, "region", match.component.span)
            label = f"{role} of {oc.id}" if role != "primary" else oc.id
            yield (
                owner.name,
                Subject(
                    "observation", label, match.component.id if match else oc.id, located, facts
                ),
            )
        if match is None:
            continue
        for ref, protected, label, seen in _observed_keys(observed, oi, unread):
            key = observed.key(ref) if ref not in (UNKNOWN_KEY, NO_KEY) else None
            if key is not None:
                group = (id(match.deployment), key.id, match.component.key)
                claims.setdefault(group, (key, []))[1].append(match)
            else:  # a reference to no key of the file is a key nobody knows: never dropped
                absent = ref == NO_KEY
                yield from _keyless_subjects(
                    oc,
                    match,
                    protected=protected,
                    label=label,
                    seen=seen,
                    kb=kb,
                    as_of=as_of,
                    absent=absent,
                )
    for key, matches in claims.values():
        yield from _key_subjects(key, observed, matches, kb, as_of)
    claimed = {key_id for _, key_id, _ in claims}
    for ki, key in enumerate(observed.keys):
        if key.id not in claimed and key.management is not KeyManagement.PROVIDER_MANAGED:
            yield from _unclaimed_key_subjects(key, ki, observed, kb, as_of)
    if found is None:
        found = found_components(declared, [observed])
    yield from service_subjects(declared, observed, found, kb=kb, as_of=as_of)


def _observed_keys(
    observed: Deployment, oi: int, unread: frozenset[str]
) -> list[tuple[str, str, str, str]]:
    """(key, ARN of what it protects, label, where the key was read) for an observed
    component and each copy with a key of its own (a global-table replica has its region's
    key): the key's id; `UNKNOWN_KEY` for a key that was not read (a gap names the resource,
    or the copy says `Key=unknown`), which is not the absence of encryption; `NO_KEY` for a
    store whose encryption was read and is absent. Where: the gap, the copy's evidence detail
    or the component's evidence, so that a finding without a key still cites its source."""
    oc = observed.components[oi]
    primary = (oc.resources or (oc.id,))[0]
    here = observed_origin(observed, f"components[{oi}]", oc.evidence)
    refs = []
    if oc.key is not None:
        refs.append((oc.key, primary, oc.id, here))
    elif unread & set(oc.resources):
        refs.append((UNKNOWN_KEY, primary, oc.id, _gap_origin(observed, oc, here)))
    elif oc.service in ENCRYPTION_READ and oc.evidence is not None:
        refs.append((NO_KEY, primary, oc.id, here))
    for j, c in enumerate(oc.copies):
        ref = (
            None if observed.observation is None else observed_copy_key(observed.observation, oc, c)
        )
        if ref is not None:
            label = f"{c.kind.value} of {oc.id} in {c.region or UNKNOWN_REGION}"
            path = f"components[{oi}].copies[{j}].evidence.detail"
            refs.append(
                (ref, copy_resource(oc, c), label, observed_origin(observed, path, c.evidence))
            )
    return list(dict.fromkeys(refs))


def _gap_origin(observed: Deployment, oc: Component, default: str) -> str:
    """Where the key of `oc` was found unread: the first gap of a key call naming one of its
    resources (`unread_keys`)."""
    gaps = observed.observation.not_observed if observed.observation else ()
    for k, g in enumerate(gaps):
        if (g.service, g.call) in KEY_CALLS and gap_resource(g.reason) in oc.resources:
            where = source_at(observed, f"observation.not_observed[{k}]")
            return f"{where} (not observed: {g.service} {g.call} in {gap_region(g)})"
    return default


def _keyless_subjects(
    oc: Component,
    match: Match,
    *,
    protected: str,
    label: str,
    seen: str,
    kb: KnowledgeBase,
    as_of: dt.date,
    absent: bool,
) -> Iterator[tuple[str, Subject]]:
    """The key subject of a declared component's store or copy whose observed key is not a
    key of the file: one that was not read (its management and place are unknown, so the key
    rules cannot be verified, and whether a declaration stands for it neither), or encryption
    read as absent (`absent`: less than any declared provider-side key, and nothing to report
    when none is declared). Its facts cite `seen`, where the observed file says so. Nothing
    is compared with a client-side key, which never reaches
    the provider."""
    d = match.deployment
    declared = d.key(match.component.key)
    if declared is not None and declared.encryption is EncryptionSide.CLIENT_SIDE:
        return
    if absent and declared is None:
        return
    facts = common_facts(d, kb, as_of)
    how = "was read: there is none" if absent else "was not read"
    origin = f"{seen}: the encryption of {protected} ({oc.id}) {how}"
    _put(
        facts,
        origin,
        subject="key",
        role="key",
        resource=protected,
        service=oc.service,
        key_management=NO_KEY if absent else None,
    )
    facts["declared.component"] = Fact(
        "declared.component", match.component.id, source_at(d, f"components[{match.index}].id")
    )
    if declared is None:
        # Whether the key is one the declaration accounts for turns on what it is: unknown.
        # Declared without a key, the component claims no protection any key could contradict.
        facts["observation.key_consistent"] = Fact(
            "observation.key_consistent",
            True,
            f"derived: no key declared for {match.component.id}: no key gives the provider "
            "more control than none",
        )
        located = _span(match, "key", match.component.span)
    else:
        here = f"keys[{d.keys.index(declared)}]"
        facts["observation.declared"] = Fact("observation.declared", True, origin)
        facts["declared.key_management"] = Fact(
            "declared.key_management", declared.management.value, source_at(d, f"{here}.management")
        )
        if absent:
            how = "no encryption observed, a declared provider-side key: the provider reads it"
            facts["observation.key_consistent"] = Fact(
                "observation.key_consistent", False, f"derived: {how}"
            )
            # no key material lies anywhere: nothing to place
            facts["observation.location_declared"] = Fact(
                "observation.location_declared", True, "derived: no key observed"
            )
        located = d.locations.get(f"{here}.management", declared.span)
    prefix = "no key of" if absent else "unread key of"
    yield d.name, Subject("observation", f"{prefix} {label}", match.component.id, located, facts)


def _copy_account(
    facts: dict[str, Fact], observed: Deployment, path: str, account: str | None, holder: str | None
) -> None:
    """The account holding a copy and the observed one, and whether they are the same. A copy
    whose account is not recorded (a file written before accounts were) is left unknown."""
    if account is not None:
        where = source_at(observed, "observation.account")
        facts["observation.account"] = Fact("observation.account", account, where)
    if holder is None:
        return
    facts["observation.copy_account"] = Fact(
        "observation.copy_account", holder, source_at(observed, f"{path}.account")
    )
    # A copy's `unknown` account is one known to lie outside the observed account
    # (collectors.observed.UNKNOWN_ACCOUNT); an observed account whose id was not read cannot
    # be compared with a known one.
    if holder == UNKNOWN_ACCOUNT:
        same: bool | None = False
    elif account is None or account == UNKNOWN_ACCOUNT:
        same = None
    else:
        same = holder == account
    if same is not None:
        facts["observation.same_account"] = Fact(
            "observation.same_account",
            same,
            "derived: the account holding the copy compared with the observed account",
        )


def _unclaimed_key_subjects(
    key: Key, ki: int, observed: Deployment, kb: KnowledgeBase, as_of: dt.date
) -> Iterator[tuple[str, Subject]]:
    """A customer key no declared component accounts for (unused, or protecting an undeclared
    resource): key material, and its replicas, the declaration does not mention. Keys AWS
    manages for its services are not the customer's and are left out."""
    origin = observed_origin(observed, f"keys[{ki}]", key.evidence)
    base = common_facts(observed, kb, as_of)
    for role, _, facts in _key_places(key, kb, base, origin, declared=False):
        yield observed.name, Subject("observation", f"{role} {key.id}", None, key.span, facts)


def _key_places(
    key: Key, kb: KnowledgeBase, base: dict[str, Fact], origin: str, *, declared: bool
) -> Iterator[tuple[str, str | None, dict[str, Fact]]]:
    """(role, country, facts) for an observed key and each of its replicas: key material in a
    region each."""
    resource = key.evidence.resource if key.evidence and key.evidence.resource else key.id
    places = [("key", key.region, key.country)]
    places += [("key-replica", r, _country(kb, "aws", r)) for r in key.replica_regions]
    for role, region, country in places:
        facts = dict(base)
        _put(
            facts,
            origin,
            subject=role,
            role=role,
            region=region,
            country=country,
            declared=declared,
            resource=resource,
            service="kms",
            call=key.evidence.call if key.evidence else None,
            key_management=key.management.value if role == "key" else None,
        )
        yield role, country, facts


def _key_subjects(
    key: Key, observed: Deployment, matches: Sequence[Match], kb: KnowledgeBase, as_of: dt.date
) -> Iterator[tuple[str, Subject]]:
    """The subjects of an observed key protecting the declared components `matches` (one
    deployment, one declared key): one per component, each naming every component in id
    order."""
    by_id = {m.component.id: m for m in matches}
    names = sorted(by_id)
    match = by_id[names[0]]
    d = match.deployment
    declared = d.key(match.component.key)
    if declared is not None and declared.encryption is EncryptionSide.CLIENT_SIDE:
        return  # client-side keys never reach the provider: an observed KMS key is another layer
    ki = observed.keys.index(key)
    origin = observed_origin(observed, f"keys[{ki}]", key.evidence)
    base = common_facts(d, kb, as_of)
    places = _key_places(key, kb, base, origin, declared=declared is not None)
    for role, country, facts in places:
        located = _span(match, "key", match.component.span)
        if declared is not None:
            di = d.keys.index(declared)
            here = f"keys[{di}]"
            facts["declared.component"] = Fact(
                "declared.component",
                names[0] if len(names) == 1 else names,
                ", ".join(source_at(d, f"components[{by_id[n].index}].id") for n in names),
            )
            facts["declared.key_management"] = Fact(
                "declared.key_management",
                declared.management.value,
                source_at(d, f"{here}.management"),
            )
            if declared.country is not None:
                for name, value in (
                    ("key_country", declared.country),
                    ("locations", [declared.country]),
                ):
                    facts[f"declared.{name}"] = Fact(
                        f"declared.{name}", value, source_at(d, f"{here}.country")
                    )
                if country is not None:
                    facts["observation.location_declared"] = Fact(
                        "observation.location_declared",
                        country == declared.country,
                        "derived: observed key country compared with the declared one",
                    )
            if role == "key":
                facts["observation.key_consistent"] = Fact(
                    "observation.key_consistent",
                    CONTROL[key.management] >= CONTROL[declared.management],
                    "derived: observed key management compared with the declared one",
                )
                located = d.locations.get(f"{here}.management", declared.span)
            else:
                located = d.locations.get(f"{here}.country", declared.span)
        # One subject per component the key protects, each naming them all, its own first (a
        # finding's line must say which it is): a waiver or a baseline entry for one component
        # must not cover the others' drift.
        for name in names:
            own = facts
            said = facts.get("declared.component")
            if said is not None and len(names) > 1:
                others = ", ".join(n for n in names if n != name)
                own = facts | {
                    "declared.component": Fact(
                        said.path, f"{name} (its key also protects {others})", said.origin
                    )
                }
            yield (
                d.name,
                Subject("observation", f"{role} {key.id} of {name}", name, located, own),
            )


def _undecided(declared: Sequence[Deployment], oc: Component) -> bool | None:
    """False: no declaration stands for `oc`. None (cannot be verified): its region was not
    read and a component declared without `resources` matches its provider and service, so
    whether that component stands for it turns on the region nobody could read."""
    if oc.region is not None:
        return False
    for d in declared:
        for c in d.components:
            if not c.resources and (c.provider, c.service) == (oc.provider, oc.service):
                return None
    return False


def _declared_places(c: Component, kb: KnowledgeBase) -> set[str]:
    """Regions and countries declared for a component: its own and its copies'."""
    out: set[str] = set()
    for provider, region, country in [(c.provider, c.region, c.country)] + [
        (x.provider or c.provider, x.region, x.country) for x in c.copies
    ]:
        if region:
            out.add(region)
        found = country or _country(kb, provider, region)
        if found and not region:
            out.add(found)
    return out


def _country(kb: KnowledgeBase, provider: str, region: str | None) -> str | None:
    if region is None:
        return None
    known = kb.region(provider, region)
    return known.country if known else None


def _put(facts: dict[str, Fact], origin: str, **values: object) -> None:
    for name, value in values.items():
        if value is not None:
            facts[f"observation.{name}"] = Fact(f"observation.{name}", value, origin)


def _declared(facts: dict[str, Fact], match: Match, name: str, value: object, leaf: str) -> None:
    path = f"components[{match.index}]"
    facts[f"declared.{name}"] = Fact(
        f"declared.{name}", value, source_at(match.deployment, f"{path}.{leaf}")
    )
    facts["declared.component"] = Fact(
        "declared.component", match.component.id, source_at(match.deployment, f"{path}.id")
    )


def _span(match: Match, leaf: str, default: Span) -> Span:
    return match.deployment.locations.get(f"components[{match.index}].{leaf}", default)


def _denied(gap: NotObserved) -> bool:
    """A refusal, which alone lacks a permission (older files name one for every gap)."""
    return gap.permission is not None and gap_cause(gap.reason) is GapCause.DENIED


def _why(reason: str, missing: str | None) -> str:
    """A gap's reason as a finding states it: the recorded reason (which starts with its cause:
    access denied, not queried, region unknown, error...), and the missing permission of a
    refusal."""
    return f"{reason}; missing permission: {missing}" if missing else reason


def observation_gaps(d: Deployment) -> list[str]:
    """Why an observed deployment is partial: one line per call that could not be read."""
    if d.observation is None:
        return []
    return [
        f"{d.path}: {g.service} {g.call} in {gap_region(g)} not observed: {g.reason}"
        + (f" (needs {g.permission})" if _denied(g) else "")
        for g in d.observation.not_observed
    ]


def audit_observed(
    files: Sequence[Path], declared: Sequence[Deployment], auditor: Auditor
) -> Iterator[FileResult]:
    """Drift of each observed deployment (`check --observed`) from the declared ones, and the
    gaps of its observation, one result per observed file."""
    from residency_audit.collation import FileResult
    from residency_audit.engine.evaluate import judge_subjects

    o, kb = auditor.options, auditor.knowledge
    # Every file is read before any is judged: a declared component found in one account's
    # file is not missing from the others' (DRIFT-RES-02), so each needs what all hold.
    loaded: list[FileResult | tuple[str, str, Deployment]] = []
    for path in files:
        display = str(path)
        try:
            document = load_document(path, display)
            seen = parse_deployment(document)
            if seen.observation is None:  # a declaration compared with itself shows no drift
                raise InputError.at(
                    seen.span,
                    "not an observed deployment (no `observation:` block); --observed takes "
                    "the files written by `residency-audit discover aws`",
                )
            observed_by(seen, seen.observation, o.as_of)
        except InputError as exc:
            loaded.append(
                FileResult(
                    InputFile(display, "", None, role="observed"), errors=list(exc.diagnostics)
                )
            )
            continue
        loaded.append((display, hashlib.sha256(document.raw).hexdigest(), seen))
    read = [(x[0], x[2]) for x in loaded if isinstance(x, tuple)]
    found = found_components(declared, [d for _, d in read])
    elsewhere = iter(regions_read_elsewhere(read))
    # Subject ids are numbered per deployment across every observed file (`#2`): two accounts'
    # alike replicas are two subjects, for baselines, waivers and JUnit.
    numbering: dict[str, dict[str, int]] = {}
    for item in loaded:
        if isinstance(item, FileResult):
            yield item
            continue
        display, digest, seen = item
        out = FileResult(
            InputFile(display, digest, seen.name, role="observed"),
            partial=observation_gaps(seen),
        )
        grouped: dict[str, list[Subject]] = {seen.name: list(gap_subjects(seen, next(elsewhere)))}
        for name, subject in drift_subjects(declared, seen, kb, o.as_of, found=found):
            grouped.setdefault(name, []).append(subject)
        for name, items in grouped.items():
            result = judge_subjects(
                items,
                auditor.rules,
                kb=kb,
                as_of=o.as_of,
                deployment=name,
                parameters=o.parameters,
                named=numbering.setdefault(name, {}),
            )
            out.findings += result.findings
            out.checks += result.checks
        yield out

"""Key custody: who can reach the key of a place, besides the provider that stores the data.

`key_reach` says whose law reaches a key: the countries of the replicas of a multi-region key,
the key's holder and the HSM holding it (the law declared for it), the holder and the HSM's
operator each reached by the law of its seat and of its ultimate parent, as every party is; and
why each does not keep the keys out of reach. The key-custody rules (EDPB-UC1-01, EDPB-KEY-01,
JUR-EXPO-01) read it as facts (`key_custody`, which `key_facts.key_facts` adds to each
place) and the flows table as flows (`flows`), so the two cannot disagree.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from residency_audit.engine.operators import exposing_laws
from residency_audit.kb import UNKNOWN_COUNTRY
from residency_audit.model import EncryptionSide, Fact, Key, KeyManagement, Party

if TYPE_CHECKING:
    from residency_audit.engine.subjects import SubjectBuilder
    from residency_audit.kb.entries import Law


def in_provider_group(b: SubjectBuilder, party: Party, provider_id: str) -> bool | None:
    """The party belongs to the provider's group: it is declared with that provider, or its
    ultimate parent bears a name of the provider (its commercial name, a contracting entity's,
    its parent's), whatever the case, accents, punctuation or legal form ("OVH Groupe S.A.",
    "OVHcloud"). None (cannot be verified) when one name contains the other without being it
    ("Amazon Holdings" and "Amazon.com, Inc."): a near miss must not take a custodian out of
    the provider's group."""
    if party.provider == provider_id:
        return True
    if party.parent is None or b.kb.provider(provider_id) is None:
        return False
    # the names depend on the knowledge base alone: compared once per run, not per key and file
    parent = party.parent.name
    return b.kb.memo(
        ("provider_group", provider_id, parent), lambda: _same_group(b, parent, provider_id)
    )


def _same_group(b: SubjectBuilder, parent: str, provider_id: str) -> bool | None:
    """`in_provider_group` of a party whose ultimate parent is named `parent`."""
    provider = b.kb.provider(provider_id)
    assert provider is not None  # asked only of a provider the knowledge base knows
    mine = _core(parent)
    names = (provider.name, provider.parent.name, *(e.name for e in provider.entities))
    theirs = {_core(n) for n in names}
    if mine in theirs:
        return True
    if any(_contains(mine, t) or _contains(t, mine) for t in theirs):
        return None
    return False


def _contains(longer: str, shorter: str) -> bool:
    """One name holds the other, which is long enough to mean something ("amazon" in
    "amazoncom", not a one-letter placeholder)."""
    return len(shorter) >= 3 and shorter in longer


_LEGAL_FORMS = frozenset(
    {
        *("sa", "sas", "sasu", "sarl", "eurl", "se", "sca", "scs", "gmbh", "ag", "kg", "ug"),
        *("bv", "nv", "plc", "ltd", "limited", "llc", "llp", "lp", "inc", "incorporated"),
        *("corp", "corporation", "co", "company", "spa", "srl", "sl", "oy", "ab", "as", "aps"),
        *("group", "groupe", "holding", "holdings"),
    }
)
"""Words of a legal name that say its form, not whose it is."""


def _core(name: str) -> str:
    """A legal name without case, accents, punctuation or legal-form words: what is left to
    tell two groups apart ("Dassault Systèmes SE" -> "dassaultsystemes")."""
    plain = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    plain = plain.replace(".", "")  # "S.A." is "SA", "Amazon.com" one word
    words = "".join(ch if ch.isalnum() else " " for ch in plain).split()
    return "".join(w for w in words if w not in _LEGAL_FORMS)


@dataclasses.dataclass(frozen=True, slots=True)
class Custodian:
    """Someone within reach of a key: its holder, or the operator of the HSM holding it."""

    name: str
    """The party id, or the name given where no declared party bears it."""
    party: Party | None
    countries: tuple[str, ...]
    """Whose law reaches the key through them: for an HSM its declared jurisdiction first, then
    the seat and the ultimate parent's country (`ZZ` for what nobody knows)."""
    parent: Fact | None
    """The ultimate parent's country, read as for every party (`SubjectBuilder.party_facts`)."""
    who: str
    """Who they are, for messages: `key-custodian (seat FR, ultimate parent SG)`."""
    how: str
    """Where `countries` come from, for origins."""
    reasons: tuple[str, ...]
    """Why they do not keep the keys out of foreign reach; empty when they do."""
    in_group: bool | None = False
    """In the provider's group (None: cannot be verified); False for a name nobody declared."""
    declared: str | None = None
    """An HSM's declared jurisdiction when neither the operator's seat nor its parent's country
    (CORE-KB-05 reports that) and its law reaches the keys (or nobody knows that law): a law of
    its own, which the flows table names. An EEA or adequate one is not named: it adds no law."""
    verified: bool = True
    url: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Replica:
    """A replica of a multi-region key: its region, its country (`ZZ` for a region nobody
    knows) and why the law there reaches the key (empty when it does not)."""

    region: str
    country: str
    reasons: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class KeyReach:
    """Whose law reaches a key: its holder, the HSM holding it and its replicas. The custody
    rules read it as facts (`key_custody`) and the flows table as flows, so they agree."""

    holder: Custodian | None
    hsm: Custodian | None
    replicas: tuple[Replica, ...]


def key_reach(
    b: SubjectBuilder, key: Key, provider_id: str, kms_provider: str | None = None
) -> KeyReach:
    """Whose law reaches `key`, on a place of provider `provider_id` (EDPB use case 1: keys
    solely under the control of the exporter or of an entity it trusts in the EEA or an
    adequate country). A custodian's reasons name its group, a seat or parent under
    compelled-access law or neither in the EEA nor adequate, and what is unknown; a replica's,
    the law of its country, its region being one of `kms_provider`'s (the provider whose KMS
    holds the key: its component's, when a copy is kept by another provider), else of
    `provider_id`'s. Found once per key and providers for a deployment (`SubjectBuilder`): the
    places of every component using the key ask, and so do the key's flows."""
    regions = kms_provider or provider_id
    known = b.key_reaches.get((id(key), provider_id, regions))
    if known is None:
        known = b.key_reaches[id(key), provider_id, regions] = _key_reach(
            b, key, provider_id, regions
        )
    return known


def _key_reach(b: SubjectBuilder, key: Key, provider_id: str, regions: str) -> KeyReach:
    hsm = key.hsm
    return KeyReach(
        None if key.holder is None else _custodian(b, key.holder, "key holder", provider_id),
        None
        if hsm is None
        else _custodian(b, hsm.operator, "its operator", provider_id, declared=hsm.jurisdiction),
        tuple(_replica(b, region, regions) for region in key.replica_regions),
    )


def sole_control(
    b: SubjectBuilder, custodian: Custodian | None, where: str | None, key: Key | None = None
) -> bool:
    """The key at `where` is under the exporter's sole control: the controller holds it (or runs
    its HSM), no reason puts it within foreign reach, `where` is known to be in the EEA or a
    generally adequate country, and, given the `key` it holds, the provider can neither hold
    it in its KMS nor use it (`provider_reaches`). Anything else is someone else's reach, or a
    law's: a flow."""
    return (
        custodian is not None
        and custodian.name == b.d.controller
        and not custodian.reasons
        and _eea_or_adequate(b, where)
        and (key is None or not provider_reaches(key))
    )


PROVIDER_KMS = frozenset(
    {KeyManagement.PROVIDER_MANAGED, KeyManagement.CUSTOMER_MANAGED_IN_PROVIDER_KMS}
)
"""Key management that leaves the key material in the provider's KMS, whoever manages it."""


def provider_reaches(key: Key) -> bool:
    """The provider holds the key material (its KMS, "customer-managed" or not), encrypts with
    it itself (provider-side encryption: its service sees the data in clear and has the key
    used, as with an external key store behind its KMS), or is declared able to use the key:
    whoever holds it besides, the key is not the exporter's alone (EDPB use case 1).
    Undeclared (`provider_can_use` unknown) is left to the custody rules, which cannot pass
    without it."""
    return (
        key.management in PROVIDER_KMS
        or key.encryption is not EncryptionSide.CLIENT_SIDE
        or key.provider_can_use is True
    )


def key_custody(
    b: SubjectBuilder,
    f: dict[str, Fact],
    key: Key | None,
    provider_id: str,
    kms_provider: str | None = None,
) -> None:
    """The key-custody facts of a place on `provider_id` whose key is `key`, held by
    `kms_provider`'s KMS when not `provider_id`'s (`key_reach`): a finding names
    their countries, and waivers narrowed by country count them. `UNKNOWN_COUNTRY` stands for
    a country nobody knows (an unknown region, the seat or parent of a holder or HSM operator
    that is not a declared party): the knowledge base does not know it, so a rule needing it
    cannot pass, and no waiver lists it."""
    if key is None:
        for path, value in (
            ("key.holder_exposure", ""),
            ("key.replica_countries", []),
            ("key.replica_exposure", ""),
            ("key.hsm.jurisdictions", []),
            ("key.hsm.operator_in_provider_group", False),
            ("key.hsm.exposure", ""),
        ):
            b.derived(f, path, value, "no key declared")
        return
    base = f"keys[{key_position(b, key)}]"
    reach = key_reach(b, key, provider_id, kms_provider)
    _replica_facts(b, f, reach.replicas, base)
    _hsm_facts(b, f, reach.hsm, base, provider_id)
    _holder_facts(b, f, reach.holder, base)


def key_position(b: SubjectBuilder, key: Key) -> int:
    """The index of `key` among the deployment's keys. By identity first: `tuple.index`
    compares whole records, field by field, with every key before it (each place asks)."""
    for i, k in enumerate(b.d.keys):
        if k is key:
            return i
    return b.d.keys.index(key)  # an equal key that is not the deployment's own object


def _holder_facts(
    b: SubjectBuilder, f: dict[str, Fact], holder: Custodian | None, base: str
) -> None:
    """`key.holder_jurisdictions` and `key.holder_exposure`. No holder declared: absent (cannot
    be verified where it matters)."""
    if holder is None:
        b.derived(f, "key.holder_exposure", "", "no key holder declared")
        return
    f["key.holder_jurisdictions"] = Fact(
        "key.holder_jurisdictions",
        list(holder.countries),
        f"derived: {holder.how} ({b.at(f'{base}.holder')})",
        holder.url,
        holder.verified,
    )
    exposure = f"; keys held by {holder.who}: {', '.join(holder.reasons)}" if holder.reasons else ""
    b.derived(
        f, "key.holder_exposure", exposure, "why the key holder does not keep the keys out of reach"
    )


def _hsm_facts(
    b: SubjectBuilder, f: dict[str, Fact], hsm: Custodian | None, base: str, provider_id: str
) -> None:
    """`key.hsm.jurisdictions`, `key.hsm.operator_in_provider_group` (absent when unknown) and
    `key.hsm.exposure`."""
    if hsm is None:
        b.derived(f, "key.hsm.jurisdictions", [], "no HSM declared")
        b.derived(f, "key.hsm.operator_in_provider_group", False, "no HSM declared")
        b.derived(f, "key.hsm.exposure", "", "no HSM declared")
        return
    if hsm.party is not None and hsm.in_group is not None:  # else the rules cannot pass
        b.derived(
            f,
            "key.hsm.operator_in_provider_group",
            hsm.in_group,
            f"HSM operator {hsm.party.id} compared with provider {provider_id}",
        )
    f["key.hsm.jurisdictions"] = Fact(
        "key.hsm.jurisdictions",
        list(hsm.countries),
        f"derived: declared HSM jurisdiction ({b.at(f'{base}.hsm.jurisdiction')}); {hsm.how}",
        hsm.url,
        hsm.verified,
    )
    exposure = f"; HSM operated by {hsm.who}: {', '.join(hsm.reasons)}" if hsm.reasons else ""
    b.derived(f, "key.hsm.exposure", exposure, "why the HSM does not keep the keys out of reach")


def _replica_facts(
    b: SubjectBuilder, f: dict[str, Fact], replicas: tuple[Replica, ...], base: str
) -> None:
    """`key.replica_countries`, and `key.replica_exposure`: each replica whose country's law
    reaches the key, or whose region is unknown, with the reason, for messages."""
    if not replicas:
        b.derived(f, "key.replica_countries", [], "no replica region declared")
        b.derived(f, "key.replica_exposure", "", "no replica region declared")
        return
    countries = list(dict.fromkeys(r.country for r in replicas))
    at = b.at(f"{base}.replica_regions")
    f["key.replica_countries"] = Fact("key.replica_countries", countries, at)
    exposure = "".join(
        f"; key replica in {r.region} ({r.country}): {', '.join(r.reasons)}"
        for r in replicas
        if r.reasons
    )
    b.derived(f, "key.replica_exposure", exposure, "why the key's replicas are within reach")


def _custodian(
    b: SubjectBuilder, name: str, role: str, provider_id: str, *, declared: str | None = None
) -> Custodian:
    """The key holder, or the operator of an HSM `declared` under some country's law: whose law
    reaches it (`_reach`) and why it does not keep the keys out of reach. A custodian outside
    the provider's group whose parent is under the CLOUD Act can be ordered to hand the keys
    over as surely as the provider; one seated outside the EEA and adequate countries is no
    entity trusted "in the EEA or an adequate jurisdiction" (EDPB use case 1); and the law
    declared for an HSM reaches the keys whoever operates it."""
    reach, typed = _reach(b, name, role)
    own = list(reach.countries)
    in_group = None if reach.party is None else in_provider_group(b, reach.party, provider_id)
    reasons = [] if reach.party is None else _group_reasons(in_group)
    reasons += reach.reasons  # what is not declared of it
    reasons += _exposure(b, typed, reasons)  # and the law of what is
    if declared is None:  # made whole: `dataclasses.replace` costs several times as much
        return _with(reach, reach.countries, tuple(reasons), in_group, None)
    apart: str | None = None
    if declared not in typed:  # a law of its own (a seat or parent already gave its reasons)
        unknown: list[str] = []
        found = _exposure(b, [declared], unknown)
        reasons += [f"declared {why}" for why in (*unknown, *found)]
        apart = declared if unknown or found else None
    countries = tuple(dict.fromkeys([declared, *own]))
    return _with(reach, countries, tuple(reasons), in_group, apart)


def _with(
    reach: Custodian,
    countries: tuple[str, ...],
    reasons: tuple[str, ...],
    in_group: bool | None,
    declared: str | None,
) -> Custodian:
    """`reach` (from `_reach`, whose `in_group` and `declared` are the defaults) with the
    countries, reasons, group and declared law `_custodian` found."""
    return Custodian(
        reach.name,
        reach.party,
        countries,
        reach.parent,
        reach.who,
        reach.how,
        reasons,
        in_group,
        declared,
        reach.verified,
        reach.url,
    )


def _replica(b: SubjectBuilder, region: str, provider_id: str) -> Replica:
    known = b.kb.region(provider_id, region)
    if known is None:
        return Replica(region, UNKNOWN_COUNTRY, ("a region unknown to the knowledge base",))
    reasons: list[str] = []
    reasons += _exposure(b, [known.country], reasons)
    return Replica(region, known.country, tuple(reasons))


def _group_reasons(group: bool | None) -> list[str]:
    if group is None:
        return ["its parent's name is close to the provider's: in its group or not is unknown"]
    return ["in the provider's group"] if group else []


def _exposure(b: SubjectBuilder, countries: Sequence[str], unknowns: list[str]) -> list[str]:
    """Why the law of `countries` (a party's seat and its parent's) leaves keys within foreign
    reach: compelled-access laws, or a country neither in the EEA nor adequate on the audit
    day. A code the knowledge base does not know is added to `unknowns`."""
    # the words depend on the codes, the knowledge base and the day alone: each key's holder,
    # HSM and replicas ask of a few countries, worked out once per run
    key = ("key_exposure", tuple(countries), b.as_of)
    found, unknown = b.kb.memo(key, lambda: _find_exposure(b, countries))
    unknowns += unknown
    return list(found)


def _find_exposure(
    b: SubjectBuilder, countries: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(`_exposure`'s reasons, the codes' own unknowns) of `countries`."""
    out: list[str] = []
    unknowns: list[str] = []
    for code in countries:
        if laws := _laws(b, code, unknowns):
            out.append(f"under {code} law ({', '.join(law.id for law in laws)})")
        elif not _trusted(b, code):
            out.append(f"under {code} law, neither EEA nor generally adequate")
    return tuple(out), tuple(unknowns)


def _trusted(b: SubjectBuilder, code: str) -> bool:
    """In the EEA or a generally adequate country on the audit day; an unknown code is not
    judged here (`_laws` made it a reason of its own)."""
    if b.kb.country(code) is None:
        return True
    return _eea_or_adequate(b, code)


def _eea_or_adequate(b: SubjectBuilder, code: str | None) -> bool:
    """Known to be in the EEA or a generally adequate country on the audit day."""
    return bool(b.kb.in_eea(code, b.as_of) or b.kb.generally_adequate(code, b.as_of))


def _reach(b: SubjectBuilder, name: str, role: str) -> tuple[Custodian, tuple[str, ...]]:
    """Whose law reaches the party `name` plays `role` for (a key holder, an HSM operator):
    its seat and its ultimate parent's country, as for every party, with what is not declared
    of it as `reasons`; and the countries the deployment (or the knowledge base) gives for it,
    whose law `_exposure` judges. Only the controller, the exporter whose sole control of the
    keys EDPB use case 1 accepts, may leave its parent undeclared; a name that is not a
    declared party is unknown (`ZZ`)."""
    party = b.d.party(name)
    if party is None:
        return Custodian(
            name,
            None,
            (UNKNOWN_COUNTRY,),
            None,
            name,
            f"{role} {name} is not a declared party: its seat and ultimate parent are unknown",
            ("not a declared party, so its seat and ultimate parent are unknown",),
        ), ()
    own: dict[str, Fact] = {}
    b.party_facts(own, "reached", party)
    parent = own.get("reached.parent.country")
    seat_at = b.at(b.party_path(party, "country"))
    if parent is not None:
        known = tuple(dict.fromkeys([party.country, parent.value]))
        return Custodian(
            party.id,
            party,
            known,
            parent,
            f"{party.id} (seat {party.country}, ultimate parent {parent.value})",
            f"seat ({seat_at}) and ultimate parent ({parent.origin}) of {role} {party.id}",
            (),
            verified=parent.verified,
            url=parent.url,
        ), known
    if party.id == b.d.controller:
        return Custodian(
            party.id,
            party,
            (party.country,),
            None,
            f"{party.id} (the controller, seat {party.country})",
            f"seat ({seat_at}) of {role} {party.id}, the controller: keys under the exporter's "
            "sole control (EDPB use case 1)",
            (),
        ), (party.country,)
    return Custodian(
        party.id,
        party,
        (party.country, UNKNOWN_COUNTRY),
        None,
        f"{party.id} (seat {party.country}, ultimate parent unknown)",
        f"seat ({seat_at}) of {role} {party.id}, whose ultimate parent is not declared "
        f"({UNKNOWN_COUNTRY})",
        ("its ultimate parent is not declared",),
    ), (party.country,)


def _laws(b: SubjectBuilder, code: str, unknowns: list[str]) -> tuple[Law, ...]:
    """The compelled-access laws of `code` on the audit day; a code the knowledge base does not
    know is added to `unknowns`, `ZZ` too: `_exposure` only sees codes the deployment declares
    (a `ZZ` standing for what it does not declare is explained by `_reach`), and a declared
    `ZZ` is a country nobody knows, not a law already explained."""
    if b.kb.country(code) is None:
        unknowns.append(f"under {code} law, a country unknown to the knowledge base")
        return ()
    return exposing_laws(b.kb, code, b.as_of)

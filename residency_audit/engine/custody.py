"""Key custody: who can reach the key of a place, besides the provider that stores the data.

The facts the key-custody rules (EDPB-UC1-01, EDPB-KEY-01, JUR-EXPO-01) read: the countries of
the replicas of a multi-region key, the key's holder and the HSM holding it, the holder and the
HSM's operator each reached by the law of its seat and of its ultimate parent, as every party
is; and, for messages, why they do not keep the keys out of reach. `subjects.SubjectBuilder.key`
adds them to each place.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from typing import TYPE_CHECKING

from residency_audit.engine.operators import exposing_laws
from residency_audit.kb import UNKNOWN_COUNTRY
from residency_audit.model import Fact, Key, Party

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
    provider = b.kb.provider(provider_id)
    if provider is None or party.parent is None:
        return False
    mine = _core(party.parent.name)
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


def key_custody(b: SubjectBuilder, f: dict[str, Fact], key: Key | None, provider_id: str) -> None:
    """The key-custody facts of a place on `provider_id` whose key is `key`: a finding names
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
    base = f"keys[{b.d.keys.index(key)}]"
    _replica_countries(b, f, key, base, provider_id)
    _hsm_custody(b, f, key, base, provider_id)
    _holder_custody(b, f, key, base, provider_id)


def _holder_custody(
    b: SubjectBuilder, f: dict[str, Fact], key: Key, base: str, provider_id: str
) -> None:
    """`key.holder_jurisdictions`: the countries whose law reaches the key holder (`_reach`);
    and `key.holder_exposure`, why the holder does not keep the keys out of reach, for
    messages. A custodian outside the provider's group whose parent is under the CLOUD Act can
    be ordered to hand the keys over as surely as the provider, and one seated outside the EEA
    and adequate countries is no entity trusted "in the EEA or an adequate jurisdiction" (EDPB
    use case 1). No holder declared: absent (cannot be verified where it matters)."""
    if key.holder is None:
        b.derived(f, "key.holder_exposure", "", "no key holder declared")
        return
    reach = _reach(b, key.holder, "key holder")
    f["key.holder_jurisdictions"] = Fact(
        "key.holder_jurisdictions",
        reach.countries,
        f"derived: {reach.how} ({b.at(f'{base}.holder')})",
        reach.url,
        reach.verified,
    )
    holder = b.d.party(key.holder)
    reasons = [] if holder is None else _group_reasons(in_provider_group(b, holder, provider_id))
    reasons += reach.unknowns
    reasons += _exposure(b, reach.countries, reasons)
    exposure = f"; keys held by {reach.who}: {', '.join(reasons)}" if reasons else ""
    why = "why the key holder does not keep the keys out of reach"
    b.derived(f, "key.holder_exposure", exposure, why)


def _group_reasons(group: bool | None) -> list[str]:
    if group is None:
        return ["its parent's name is close to the provider's: in its group or not is unknown"]
    return ["in the provider's group"] if group else []


def _exposure(b: SubjectBuilder, countries: list[str], unknowns: list[str]) -> list[str]:
    """Why the law of `countries` (a party's seat and its parent's) leaves keys within foreign
    reach: compelled-access laws, or a country neither in the EEA nor adequate on the audit
    day. A code the knowledge base does not know is added to `unknowns`."""
    out = []
    for code in countries:
        if laws := _laws(b, code, unknowns):
            out.append(f"under {code} law ({', '.join(law.id for law in laws)})")
        elif not _trusted(b, code):
            out.append(f"under {code} law, neither EEA nor generally adequate")
    return out


def _trusted(b: SubjectBuilder, code: str) -> bool:
    """In the EEA or a generally adequate country on the audit day; an unknown code is not
    judged here (it is a reason of its own)."""
    if code == UNKNOWN_COUNTRY or b.kb.country(code) is None:
        return True
    return bool(b.kb.in_eea(code, b.as_of) or b.kb.generally_adequate(code, b.as_of))


@dataclasses.dataclass
class _Reached:
    """Whose law reaches a party: `countries` (its seat and its ultimate parent's country, `ZZ`
    for what nobody knows), `who` and `how` for messages and origins, and `unknowns`, the
    reasons its reach is not known."""

    countries: list[str]
    who: str
    how: str
    unknowns: list[str]
    verified: bool = True
    url: str | None = None


def _reach(b: SubjectBuilder, name: str, role: str) -> _Reached:
    """Whose law reaches the party `name` plays `role` for (a key holder, an HSM operator):
    its seat and its ultimate parent's country, as for every party. Only the controller, the
    exporter whose sole control of the keys EDPB use case 1 accepts, may leave its parent
    undeclared; a name that is not a declared party is unknown (`ZZ`)."""
    party = b.d.party(name)
    if party is None:
        return _Reached(
            [UNKNOWN_COUNTRY],
            name,
            f"{role} {name} is not a declared party: its seat and ultimate parent are unknown",
            ["not a declared party, so its seat and ultimate parent are unknown"],
        )
    own: dict[str, Fact] = {}
    b.party_facts(own, "reached", party)
    parent = own.get("reached.parent.country")
    seat_at = b.at(b.party_path(party, "country"))
    if parent is not None:
        return _Reached(
            list(dict.fromkeys([party.country, parent.value])),
            f"{party.id} (seat {party.country}, ultimate parent {parent.value})",
            f"seat ({seat_at}) and ultimate parent ({parent.origin}) of {role} {party.id}",
            [],
            parent.verified,
            parent.url,
        )
    if party.id == b.d.controller:
        return _Reached(
            [party.country],
            f"{party.id} (the controller, seat {party.country})",
            f"seat ({seat_at}) of {role} {party.id}, the controller: keys under the exporter's "
            "sole control (EDPB use case 1)",
            [],
        )
    return _Reached(
        [party.country, UNKNOWN_COUNTRY],
        f"{party.id} (seat {party.country}, ultimate parent unknown)",
        f"seat ({seat_at}) of {role} {party.id}, whose ultimate parent is not declared "
        f"({UNKNOWN_COUNTRY})",
        ["its ultimate parent is not declared"],
    )


def _laws(b: SubjectBuilder, code: str, unknowns: list[str]) -> tuple[Law, ...]:
    """The compelled-access laws of `code` on the audit day; a code the knowledge base does not
    know (other than `ZZ`, already a reason) is added to `unknowns`."""
    if code == UNKNOWN_COUNTRY:
        return ()
    if b.kb.country(code) is None:
        unknowns.append(f"under {code} law, a country unknown to the knowledge base")
        return ()
    return exposing_laws(b.kb, code, b.as_of)


def _replica_countries(
    b: SubjectBuilder, f: dict[str, Fact], key: Key, base: str, provider_id: str
) -> None:
    """`key.replica_countries`, and `key.replica_exposure`: the replicas outside the EEA and
    adequate countries (or in an unknown region), for messages."""
    if not key.replica_regions:
        b.derived(f, "key.replica_countries", [], "no replica region declared")
        b.derived(f, "key.replica_exposure", "", "no replica region declared")
        return
    countries = []
    for region in key.replica_regions:
        known = b.kb.region(provider_id, region)
        countries.append(known.country if known is not None else UNKNOWN_COUNTRY)
    countries = list(dict.fromkeys(countries))
    at = b.at(f"{base}.replica_regions")
    f["key.replica_countries"] = Fact("key.replica_countries", countries, at)
    outside = [c for c in countries if c == UNKNOWN_COUNTRY or not _trusted(b, c)]
    exposure = f"; key replicas in {', '.join(outside)}" if outside else ""
    b.derived(
        f, "key.replica_exposure", exposure, "replica countries neither EEA nor generally adequate"
    )


def _hsm_custody(
    b: SubjectBuilder, f: dict[str, Fact], key: Key, base: str, provider_id: str
) -> None:
    """`key.hsm.jurisdictions` (the declared jurisdiction, and whose law reaches its operator:
    `_reach`), `key.hsm.operator_in_provider_group` and `key.hsm.exposure`, the reasons the HSM
    does not keep the keys out of reach, for messages."""
    hsm = key.hsm
    if hsm is None:
        b.derived(f, "key.hsm.jurisdictions", [], "no HSM declared")
        b.derived(f, "key.hsm.operator_in_provider_group", False, "no HSM declared")
        b.derived(f, "key.hsm.exposure", "", "no HSM declared")
        return
    declared = b.at(f"{base}.hsm.jurisdiction")
    reach = _reach(b, hsm.operator, "its operator")
    reasons: list[str] = []
    operator = b.d.party(hsm.operator)
    if operator is not None:
        in_group = in_provider_group(b, operator, provider_id)
        if in_group is not None:  # else unknown: the rules cannot pass
            b.derived(
                f,
                "key.hsm.operator_in_provider_group",
                in_group,
                f"HSM operator {operator.id} compared with provider {provider_id}",
            )
        reasons += _group_reasons(in_group)
    reasons += reach.unknowns
    f["key.hsm.jurisdictions"] = Fact(
        "key.hsm.jurisdictions",
        list(dict.fromkeys([hsm.jurisdiction, *reach.countries])),
        f"derived: declared HSM jurisdiction ({declared}); {reach.how}",
        reach.url,
        reach.verified,
    )
    # The reasons the rules act on: compelled-access laws reaching the operator; for the
    # declared jurisdiction, any country outside the EEA and adequate ones ("declared under"
    # when it is neither the operator's seat nor its parent's: CORE-KB-05 reports that).
    reasons += _exposure(b, reach.countries, reasons)
    if hsm.jurisdiction not in reach.countries:
        reasons += [f"declared {why}" for why in _exposure(b, [hsm.jurisdiction], reasons)]
    exposure = f"; HSM operated by {reach.who}: {', '.join(reasons)}" if reasons else ""
    b.derived(f, "key.hsm.exposure", exposure, "why the HSM does not keep the keys out of reach")

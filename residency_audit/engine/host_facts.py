"""Who hosts a place, and who hosts its infrastructure: the facts of the HDS hosting rules
(HDS-ACT-01 and HDS-ACT-03 on who runs it, HDS-ACT-04 on whose systems hold it) and of
HDS-PUB-03 on the deployment. Who runs each place and whose systems hold it are worked out
once per deployment by `subjects.SubjectBuilder` (`host`, `infrastructure`, the indexes of
places by host); this module writes what they find as each subject's facts.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from residency_audit.engine.hds_infrastructure import infrastructure_coverage
from residency_audit.engine.places import Infrastructure
from residency_audit.kb import fact_from
from residency_audit.kb.entries import Provider
from residency_audit.model import Component, Fact, Party

if TYPE_CHECKING:
    from residency_audit.engine.subjects import SubjectBuilder


def place_host(
    b: SubjectBuilder,
    f: dict[str, Fact],
    host: str | None,
    operator_id: str | None,
    provider_id: str,
    yaml_path: str,
    *,
    region: str | None,
) -> None:
    """Who hosts a place (HDS-ACT-03), who might when nobody is known, and whether a third
    party does: the controller running its own place hosts nothing on anyone's behalf
    (L.1111-8), a place nobody is known to run may be a third party's (fail closed). In a
    region another entity than the provider's own operates, none of the provider's parties is
    a candidate: the facts cite who operates it (`place.region_operator`) as the reason."""
    operated = b.region_operator(provider_id, region)
    candidates = [] if operated is not None else b.provider_parties(provider_id)
    how = f"its operator, else the declared parties of provider {provider_id}"
    if operated is not None:
        f["place.region_operator"] = operated
        how = (
            f"its operator; region {region} of {provider_id} is operated by {operated.value} "
            f"({operated.origin}), not by {provider_id}'s own entities, so no declared party of "
            f"{provider_id} is presumed to run it"
        )
    if operator_id:
        b.put(f, "place.host", host, f"{yaml_path}.operator")
        party = None if operated is None else b.d.party(operator_id)  # asked only there
        if party is not None and party.provider == provider_id:
            # the file says the provider's own party runs a region the knowledge base says
            # another entity operates: audited as declared, reported (CORE-KB-06)
            b.put(f, "place.operator_of_provider", operator_id, f"{yaml_path}.operator")
    elif host is not None:
        b.derived(f, "place.host", host, f"the one declared party of provider {provider_id}")
    b.derived(
        f,
        "place.host_candidates",
        [host] if host is not None else candidates or ["none"],
        how,
    )
    if host is None:
        b.derived(f, "place.no_host_because", _no_host(provider_id, candidates, operated), how)
    infra = b.infrastructure(operator_id, provider_id, region=region)
    f.update(
        b.group(
            ("infrastructure", operator_id, provider_id, operated),
            partial(_place_infrastructure, b),
            infra,
            provider_id,
            operated,
        )
    )
    b.derived(
        f,
        "place.third_party_hosted",
        host != b.d.controller or infra.third_party(b.d.controller),
        "its host, and the host of its infrastructure, against the controller (an unknown "
        "host may be a third party)",
    )


PARENT_FIELDS = ("provider.parent.name", "provider.parent.country", "provider.eu_controlled")
"""The facts of the provider's ultimate parent: whose law reaches the systems of a place."""


def region_operator_parent(
    b: SubjectBuilder,
    f: dict[str, Fact],
    operator_id: str | None,
    provider_id: str,
    *,
    region: str | None,
) -> None:
    """The provider's parent facts (`PARENT_FIELDS`) of a place in a region another entity than
    the provider's own operates (`place.region_operator`): not the knowledge-base provider's
    parent (AWS's China regions are not run by an Amazon company), but the declared operator's
    own (its declared parent, else as `SubjectBuilder.party_facts` finds it), as its flow names
    it; unknown, saying why (`provider.parent_unknown_because`), when no party is declared to
    run it or the controller runs it on that entity's systems. The provider's own party named
    the operator is audited as declared (CORE-KB-06 reports it): its provider's facts stand."""
    operated = f.get("place.region_operator")
    if operated is None:
        return
    party = b.d.party(operator_id)
    if party is not None and party.provider == provider_id:
        return
    for path in PARENT_FIELDS:
        f.pop(path, None)
    parent = f.get("operator.parent.country")
    apart = f"; region {region} is operated by {operated.value}"
    known = b.kb.region(provider_id, region) if region else None
    if known is not None and known.operator is not None and known.operator.name:
        apart += f", not by {provider_id}'s own entities"  # an unnamed one is said so already
    if party is None or party.id == b.d.controller:
        why = (
            f"{apart}, and its ultimate parent is not known: declare it as a party, with its "
            "parent, and name it the `operator`"
        )
    elif parent is None:
        why = f"{apart}, and its declared operator {party.id} declares no ultimate parent"
    else:
        f["provider.parent.country"] = Fact(
            "provider.parent.country", parent.value, parent.origin, parent.url, parent.verified
        )
        _operator_parent(b, f, party)
        return
    b.derived(f, "provider.parent_unknown_because", why, operated.origin)


def on_component_provider(
    b: SubjectBuilder, f: dict[str, Fact], c: Component, provider_id: str, region: str | None
) -> None:
    """`place.on_component_provider`: the place is on the systems of its component's own
    provider, in a region the same entity operates, whose reach JUR-EXPO-01 judges on the
    component (its log service included: `component.personal_data_logs_on_provider` draws the
    same line). Any other place, a copy or log sink on another provider or in a region another
    entity operates (AWS's Beijing region for a component in Paris), is another provider's
    systems, whose reach JUR-EXPO-03 judges on the place. A place with no region of its own is
    in its component's, as such a log sink is for JUR-EXPO-01."""
    home = b.region_operator(c.provider, c.region)
    same = provider_id == c.provider and b.region_operator(provider_id, region or c.region) == home
    b.derived(
        f,
        "place.on_component_provider",
        same,
        f"its provider {provider_id}, and who operates region {region or c.region}, against "
        f"the component's provider {c.provider} and region {c.region}",
    )


def operator_reach(
    b: SubjectBuilder,
    f: dict[str, Fact],
    key_ref: str | None,
    operator_id: str | None,
    provider_id: str,
) -> None:
    """Whether the place's declared operator is a third party of its own, whose reach
    JUR-EXPO-02 judges (`operator.third_party`): neither the controller (its own staff) nor a
    party of the place's provider (JUR-EXPO-01 judges the provider); and whether it holds the
    place's key, or runs the HSM keeping it (`key.held_by_operator`): who runs a system and
    holds its key reaches its data in clear. `key_ref` is the place's own key: none for a log
    sink, an observed copy's own (`key_facts.copy_key`)."""
    party = b.d.party(operator_id)
    if party is None:
        b.derived(
            f,
            "operator.third_party",
            False,
            f"no operator declared: a party of provider {provider_id}, if any, runs it",
        )
        return
    third = party.id != b.d.controller and party.provider != provider_id
    how = f"operator {party.id} against the controller and the parties of provider {provider_id}"
    if third and "place.region_operator" in f:
        # it runs a region another entity operates: it stands for the provider there, its
        # parent for the provider's (`region_operator_parent`), and JUR-EXPO-01 judges it (on
        # a component there; JUR-EXPO-03 on a copy or log sink there)
        third = False
        how = f"operator {party.id} runs a region {provider_id}'s own entities do not: its provider"
    b.derived(f, "operator.third_party", third, how)
    key = b.d.key(key_ref)
    if key is not None:
        b.derived(
            f,
            "key.held_by_operator",
            party.id in (key.holder, key.hsm.operator if key.hsm is not None else None),
            f"the holder and HSM operator of key {key.id} against operator {party.id}",
        )


def _operator_parent(b: SubjectBuilder, f: dict[str, Fact], party: Party) -> None:
    """`provider.parent.name` and `provider.eu_controlled` of a place whose declared operator
    `party` runs a region another entity than the provider's own operates: its declared
    parent's name, else (a party of a provider the knowledge base knows) that provider's."""
    if party.parent is not None:
        b.put(f, "provider.parent.name", party.parent.name, b.party_path(party, "parent.name"))
    provider = b.kb.provider(party.provider)
    if provider is None:
        return
    origin = f"kb:providers.yaml#{provider.id}"
    if party.parent is None:
        f["provider.parent.name"] = fact_from(
            provider, "provider.parent.name", provider.parent.name, origin
        )
    if provider.eu_controlled is not None:
        f["provider.eu_controlled"] = fact_from(
            provider, "provider.eu_controlled", provider.eu_controlled, origin
        )


def _no_host(provider_id: str, candidates: list[str], operated: Fact | None) -> str:
    """Why a place with no `operator` has no host, in words for HDS-ACT-03's message."""
    if operated is not None:
        return (
            f"its region is operated by {operated.value}, not by {provider_id}'s own entities "
            f"(no declared party of {provider_id} is presumed to run it)"
        )
    if candidates:
        return f"several declared parties of provider {provider_id} may run it: " + ", ".join(
            candidates
        )
    return f"no party of provider {provider_id} is declared"


def _place_infrastructure(
    b: SubjectBuilder,
    f: dict[str, Fact],
    infra: Infrastructure,
    provider_id: str,
    operated: Fact | None,
) -> None:
    """The facts of HDS-ACT-04 on a place: who hosts its infrastructure (R.1111-9
    activities 1-3), whether that is its own host (then HDS-ACT-01 judges it) and, when
    not, whether it is HDS-certified for them on the audit day. `operated`: who operates
    its region, when not the provider's own entities (`SubjectBuilder.region_operator`)."""
    how = f"its operator against the declared parties of provider {provider_id}"
    candidates = f"the declared parties of provider {provider_id}, else the provider itself"
    if operated is not None:
        apart = f"its region is operated by {operated.value} ({operated.origin})"
        how, candidates = f"{how}; {apart}", f"its operator alone: {apart}"
    b.derived(f, "place.infrastructure_of_host", infra.of_host, how)
    b.derived(
        f,
        "place.infrastructure_candidates",
        [infra.id] if infra.id is not None else list(infra.candidates) or ["none"],
        candidates,
    )
    _put_infrastructure_host(b, f, infra, how)
    if not infra.of_host:
        infrastructure_coverage(b, f, infra, provider_id, operated=operated)


def _put_infrastructure_host(
    b: SubjectBuilder, f: dict[str, Fact], infra: Infrastructure, how: str
) -> None:
    """Who hosts a place's infrastructure, by id and name: a declared party, the
    knowledge-base provider (named after its contracting entities, each entry cited with
    its own `verified` flag), or the place's own operator when that is not a declared
    party. With several candidate parties, their names (for the messages of HDS-ACT-04)."""
    party = b.d.party(infra.party)
    provider = b.kb.provider(infra.provider)
    if party is not None:
        b.derived(f, "place.infrastructure_host", party.id, how)
        name_at = b.party_path(party, "name")
        b.put(f, "place.infrastructure_host_name", party.name, name_at)
    elif provider is not None:
        origin = f"kb:providers.yaml#{provider.id}"
        f["place.infrastructure_host"] = fact_from(
            provider, "place.infrastructure_host", provider.id, origin
        )
        f["place.infrastructure_host_name"] = _entities_name(provider)
    elif infra.id is not None:
        b.derived(f, "place.infrastructure_host", infra.id, how)
        b.derived(f, "place.infrastructure_host_name", infra.id, "no party of that id")
    elif len(infra.candidates) > 1:
        names = [p.name for p in map(b.d.party, infra.candidates) if p is not None]
        b.derived(
            f,
            "place.infrastructure_host_name",
            " or ".join(names),
            "names of the declared parties that may host it",
        )


def undeclared_infrastructure_facts(b: SubjectBuilder) -> dict[str, Fact]:
    """The deployment subject's `hds.undeclared_infrastructure_hosts` (HDS-PUB-03): the
    knowledge-base providers hosting the infrastructure of a place with no party of them
    declared, whose EXI 30-31 statements (HDS-EXT-01, HDS-PUB-01, HDS-PUB-02) no party
    subject can carry."""
    found = [i.provider for _, i in b.hosted_infrastructure() if i.provider is not None]
    f: dict[str, Fact] = {}
    b.derived(
        f,
        "hds.undeclared_infrastructure_hosts",
        list(dict.fromkeys(found)) or ["none"],
        "knowledge-base providers whose systems hold a place, with no party of them declared",
    )
    return f


def _entities_name(provider: Provider) -> Fact:
    """The name of a knowledge-base provider as its contracting entities (or, none recorded,
    its commercial name), citing the entries the name rests on: an entity not verified (AWS
    European Sovereign Cloud's, say) makes the name unverified knowledge used."""
    path = "place.infrastructure_host_name"
    origin = f"kb:providers.yaml#{provider.id}"
    if not provider.entities:
        return fact_from(provider, path, provider.name, origin)
    name = " / ".join(e.name for e in provider.entities)
    doubtful = [i for i, e in enumerate(provider.entities) if not e.verified]
    i = doubtful[0] if doubtful else 0
    return fact_from(provider.entities[i], path, name, f"{origin}/entities[{i}]")

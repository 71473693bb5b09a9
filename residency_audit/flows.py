"""Deployment + knowledge base → data flows: every way personal data rest at, or can be reached
by, a legal entity in a country.

A flow is a component's primary store or processing, each replica, backup, snapshot copy, export
and personal-data log sink, each support/administration/remote access path, each key's custody
(its holder, each replica of a multi-region key, the HSM holding it; none for key material under
the controller's sole control in the EEA or an adequate country) and each declared sub-processor
that no other flow covers. Places and access paths are read from the subjects the rules judge
(`engine.subjects`), and whose law reaches a key from `engine.custody.key_reach`, which the
custody rules read too, so a flow and a finding never disagree about a country, a parent or a key.

Jurisdictions are the knowledge-base laws of the flow's location, the entity's seat and its
ultimate parent's country (and, for an HSM, the law declared for it), on the as-of date; an EEA
country or one with a general adequacy decision contributes none. Unknown facts stay unknown
(None): the risk model then reports the flow as "unknown" and the flow rules as "cannot be
verified" (fail closed).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from residency_audit.engine.custody import (
    PROVIDER_KMS,
    Custodian,
    key_reach,
    provider_reaches,
    sole_control,
)
from residency_audit.engine.subject_ids import subject_id
from residency_audit.engine.subjects import (
    Subject,
    SubjectBuilder,
    builder_for,
    positions,
)
from residency_audit.engine.unknowns import no_entry
from residency_audit.kb import UNKNOWN_COUNTRY, KnowledgeBase, fact_from
from residency_audit.model import (
    UNLISTED,
    Component,
    Deployment,
    Fact,
    Flow,
    Hsm,
    Key,
    KeyManagement,
    Party,
    Role,
)

OUT_OF_REACH_KEYS = frozenset(
    {KeyManagement.EXTERNAL_KEY_STORE.value, KeyManagement.CUSTOMER_HELD.value}
)


RiskOf = Callable[[tuple[str, str | None], tuple[str, ...] | None, bool | None], Any]
"""A flow's risk from its (id, component), legal bases and clear-text reachability."""


def derive_flows(
    d: Deployment,
    kb: KnowledgeBase,
    as_of: dt.date,
    builder: SubjectBuilder | None = None,
    *,
    risk: RiskOf | None = None,
) -> list[Flow]:
    """Every flow of a deployment, in file order (places, access paths, keys, sub-processors).
    `builder` shares the technical subjects with the deployment's audit; `risk`, when given,
    is each flow's `risk` (`risk.flows_with_risk`), else the flows have none."""
    b = builder_for(d, kb, as_of, builder)
    flows = _Flows(b, risk)
    out: list[Flow] = []
    seen: Counter[str] = Counter()
    for s in b.technical():
        if s.kind == "place":
            out.append(flows.place(s, seen))
        elif s.kind == "access":
            out.append(flows.access(s))
    for key in d.keys:
        out += flows.key_custody(key)
    covered = {f.entity for f in out}
    out += [
        flows.sub_processor(p)
        for p in d.parties
        if p.role is Role.SUB_PROCESSOR and p.id not in covered
    ]
    return out


def copy_flow_id(place: Subject, seen: Counter[str]) -> str:
    """The flow id of a copy or log sink: its place subject's id without `place:`, so made of
    what tells it apart (component, kind, region or country, another provider:
    `db/backup@us-east-1`), never its position among the component's copies, which moves when
    one is added before it (and with it a risk override or waiver naming the flow). Copies
    alike in all of it are numbered `#2`, `#3` in file order, as `engine.evaluate` numbers
    their place subjects; `seen` counts the ids given so far."""
    flow_id = subject_id(place).removeprefix("place:")
    seen[flow_id] += 1
    n = seen[flow_id]
    return flow_id if n == 1 else f"{flow_id}#{n}"


def kleene_or(values: Iterable[bool | None]) -> bool | None:
    """True if any is True, False if all are False, else unknown."""
    items = list(values)
    if True in items:
        return True
    return None if None in items else False


class _Flows:
    def __init__(self, b: SubjectBuilder, risk: RiskOf | None = None) -> None:
        self.b, self.d, self.kb, self.as_of = b, b.d, b.kb, b.as_of
        self.risk = risk
        self.categories = tuple(c.value for c in self.d.data.categories)
        self.parties = positions(self.d.parties)
        self.key_index = positions(self.d.keys)
        # by id, the first of a kind winning as `Deployment.party` finds it: a place, a key and
        # a holding each look up a party or component, and a scan compares ids one by one
        self.party_by_id = _first_by_id(self.d.parties)
        self.component_by_id = _first_by_id(self.d.components)
        self._shared: dict[tuple[Any, ...], Fact] = {}
        self._parents: dict[int, tuple[str | None, str | None, Fact | None]] = {}
        self._bases: dict[tuple[str | None, ...], _Bases] = {}

    def fact(
        self, path: str, value: Any, origin: str, url: str | None = None, verified: bool = True
    ) -> Fact:
        """`Fact(...)` for a scalar value, one object per distinct fact of the file: many flows
        cite the same parent country or clear-text verdict, and a shared object is pickled
        once when the worker sends flows and findings to the batch's parent."""
        key = (path, type(value), value, origin, url, verified)  # the type: True == 1
        fact = self._shared.get(key)
        if fact is None:
            fact = self._shared[key] = Fact(path, value, origin, url, verified)
        return fact

    def at(self, yaml_path: str) -> str:
        return self.b.at(yaml_path)  # the builder's: each position is formatted once per file

    def party(self, party_id: str | None) -> Party | None:
        """`Deployment.party`, from the index."""
        return self.party_by_id.get(party_id) if party_id is not None else None

    # -- legal bases --------------------------------------------------------------------------

    def bases(self, countries: tuple[str | None, ...]) -> _Bases:
        """(knowledge-base law ids, legal bases for the risk model or None when unknown, the
        laws' facts) of the countries whose law reaches a flow; None or `ZZ` among them is a
        country nobody knows."""
        # a batch's flows share a few tuples of countries: each is worked out once per
        # knowledge base and day (the memo lives on the knowledge base; the key names the day),
        # and kept here too, a file's flows asking of the same few (no key or closure to make)
        found = self._bases.get(countries)
        if found is None:
            found = self._bases[countries] = self.kb.memo(
                ("flow_bases", countries, self.as_of), lambda: self._find_bases(countries)
            )
        return found

    def _find_bases(self, countries: tuple[str | None, ...]) -> _Bases:
        laws: list[str] = []
        unlisted: list[str] = []
        unknown = False
        for country in countries:
            if country is None or self.kb.country(country) is None:
                unknown = True
                continue
            if self.kb.in_eea(country, self.as_of) or self.kb.generally_adequate(
                country, self.as_of
            ):
                continue
            found = [law.id for law in self.kb.surveillance_laws(country, self.as_of)]
            if found:
                laws += found
            else:
                unlisted.append(f"{UNLISTED}{country}")
        laws = list(dict.fromkeys(laws))
        # the laws found reaching it, each with its knowledge-base entry: the report marks those
        # unverified and lists them as unverified knowledge used, as it does for findings'
        facts = tuple(self.kb.law_fact(self.kb.laws[law_id]) for law_id in laws)
        return tuple(laws), None if unknown else (*laws, *dict.fromkeys(unlisted)), facts

    def parent_of(self, party: Party) -> tuple[str | None, str | None, Fact | None]:
        """(parent name, parent country, fact) as `engine.subjects` reads them: the declared
        parent, else the knowledge-base provider's."""
        known = self._parents.get(id(party))  # asked by each flow of the party: found once
        if known is None:
            known = self._parents[id(party)] = self._parent_of(party)
        return known

    def _parent_of(self, party: Party) -> tuple[str | None, str | None, Fact | None]:
        index = self.parties[id(party)]
        if party.parent is not None:
            return (
                party.parent.name,
                party.parent.country,
                self.fact(
                    "flow.parent_country",
                    party.parent.country,
                    self.at(f"parties[{index}].parent.country"),
                ),
            )
        provider = self.kb.provider(party.provider)
        if provider is None:
            return None, None, None
        return (
            provider.parent.name,
            provider.parent.country,
            self.fact(
                "flow.parent_country",
                provider.parent.country,
                f"kb:providers.yaml#{provider.id}",
                provider.source,
                provider.verified,
            ),
        )

    def make(
        self,
        *,
        flow_id: str,
        kind: str,
        label: str,
        component: str | None,
        country: Fact | None,
        party: Party | None,
        clear: bool | None,
        clear_how: str,
        span: object,
        facts: list[Fact],
        entity: str | None = None,
        entity_name: str | None = None,
        parent: tuple[str | None, str | None, Fact | None] = (None, None, None),
        reached: Custodian | None = None,
    ) -> Flow:
        """A flow whose laws are those of its location, its entity's seat and the entity's
        ultimate parent's country; for a key custodian (`reached`), those of the location and
        of every country `custody.key_reach` finds reaching it, as the custody rules do."""
        seat = None
        if party is not None:
            entity, entity_name, seat = party.id, party.name, party.country
            parent = self.parent_of(party)
        if reached is not None:
            entity, entity_name = entity or reached.name, entity_name or reached.name
            if parent[1] is None and reached.parent is not None:
                parent = (
                    None,
                    reached.parent.value,
                    self.renamed(reached.parent, "flow.parent_country"),
                )
        parent_name, parent_country, parent_fact = parent
        location = country.value if country is not None else None
        if reached is not None:
            countries = tuple([c if c != UNKNOWN_COUNTRY else None for c in reached.countries])
        else:
            countries = (parent_country,) if seat is None else (parent_country, seat)
        laws, bases, law_facts = self.bases((*countries, location))
        out = list(facts)
        where = None
        if country is not None:
            where = self.fact(
                "flow.country", location, country.origin, country.url, country.verified
            )
            out.append(where)
        if parent_fact is not None:
            out.append(parent_fact)
        out += law_facts
        if bases is None:
            parent_unknown = parent_fact is None and (
                reached is None or UNKNOWN_COUNTRY in reached.countries
            )
            out += self.unknown_bases(
                party, reached, where, (*countries, location), parent_unknown=parent_unknown
            )
        out.append(self.fact("flow.clear_text_reachable", clear, f"derived: {clear_how}"))
        # its risk as it is made: a copy per flow to add it afterwards saved
        risk = None if self.risk is None else self.risk((flow_id, component), bases, clear)
        return Flow(
            id=flow_id,
            deployment=self.d.name,
            kind=kind,
            component=component,
            country=location,
            entity=entity,
            parent_country=parent_country,
            jurisdictions=laws,
            clear_text_reachable=clear,
            span=span,  # type: ignore[arg-type]
            risk=risk,
            label=label,
            entity_name=entity_name,
            entity_country=seat,
            parent=parent_name,
            categories=self.categories,
            bases=bases,
            facts=tuple(out),
        )

    def unknown_bases(
        self,
        party: Party | None,
        reached: Custodian | None,
        where: Fact | None,
        countries: tuple[str | None, ...],
        *,
        parent_unknown: bool,
    ) -> list[Fact]:
        """What a flow's unknown legal bases were derived from, for the findings that cannot be
        verified for want of them: the entity and its seat where declared; an ultimate parent
        nobody declared, as a fact with no value naming what to add (`tools.undeclared`), with
        the knowledge-base file that has no entry for the party's provider; and the file that
        has no entry for a country code the flow names. (A place nobody can locate adds its
        own account, `_unplaced`.)"""
        out: list[Fact] = []
        if party is not None:
            index = self.parties[id(party)]
            out.append(self.fact("flow.entity", party.id, self.at(f"parties[{index}].id")))
            seat = self.at(f"parties[{index}].country")
            if where is None or where.origin != seat:  # a sub-processor's place is its seat
                out.append(self.fact("flow.entity_country", party.country, seat))
            if parent_unknown:
                out.append(self.fact(f"parent of party {party.id}", None, str(party.span)))
                if party.provider is not None and self.kb.provider(party.provider) is None:
                    out.append(no_entry("provider", party.provider))
        elif reached is not None:
            out.append(self.fact("flow.entity", reached.name, f"derived: {reached.how}"))
        out += [
            no_entry("country", code)
            for code in dict.fromkeys(countries)
            if code is not None and self.kb.country(code) is None
        ]
        return out

    # -- places -------------------------------------------------------------------------------

    def renamed(self, fact: Fact | None, path: str) -> Fact | None:
        if fact is None:
            return None
        return self.fact(path, fact.value, fact.origin, fact.url, fact.verified)

    def place(self, s: Subject, seen: Counter[str]) -> Flow:
        f = s.facts
        # the subject's values the flow reads, in one pass (a flow per place: calls add up)
        (
            role,
            component_id,
            operator_id,
            recipient,
            own_infrastructure,
            provider_id,
            provider_name,
            parent_name,
            parent_country,
        ) = _values(f, _PLACE_READS)
        component = self.component_by_id[component_id]
        if role == "primary":
            kind = "storage" if component.holds_data else "processing"
            flow_id = component.id
        else:
            kind = role
            flow_id = copy_flow_id(s, seen)
        party = self.party(operator_id or recipient)
        own = own_infrastructure is True  # on its own infrastructure
        if party is not None and party.id == self.d.controller and not own:
            # the controller runs it on the provider's systems (a knowledge-base provider's
            # even when the controller is declared its party): the provider is the exposed host
            party = None
        clear, how = self.place_clear_text(f, role, same_provider=provider_id == component.provider)
        facts = _kept(f) + _unplaced(s, with_provider=party is None)
        parent = (
            parent_name,
            parent_country,
            self.renamed(f.get("provider.parent.country"), "flow.parent_country"),
        )
        # no operator and no single declared party of its provider: nobody known runs it
        # (HDS-ACT-03), not the provider's contracting entity presumed
        hosted = "place.host" in f
        entity, entity_name = (provider_id, provider_name) if hosted else (None, None)
        apart = self.renamed(f.get("place.region_operator"), "flow.region_operator")
        if party is None and apart is not None:
            # another entity than the provider's own runs the region's systems (AWS's China
            # regions): neither the provider nor its parent is presumed to be who holds the data,
            # but the knowledge base names that entity (when a source gives its name)
            known = self.kb.region(provider_id, _value(f, "location.region"))
            operator = None if known is None else known.operator
            entity, parent = None, (None, None, None)
            entity_name = None if operator is None else operator.name
            facts.append(apart)
        return self.make(
            flow_id=flow_id,
            kind=kind,
            label=s.label if role != "primary" else component.id,
            component=component.id,
            country=f.get("location.country"),
            party=party,
            clear=clear,
            clear_how=how,
            span=s.span,
            facts=facts,
            entity=entity,
            entity_name=entity_name,
            parent=parent,
        )

    def place_clear_text(
        self, f: Mapping[str, Fact], role: str, *, same_provider: bool
    ) -> tuple[bool | None, str]:
        if role == "log":
            return True, "log lines are written in clear; the component's key does not cover them"
        reach = _key_reachable(f)  # True, False or None: its own `kleene_or`
        if not same_provider:
            return reach, "keys within the entity's reach"
        processing = _value(f, "component.clear_text_processing")
        return (
            kleene_or((reach, processing)),
            "keys within the entity's reach or clear-text processing on its systems",
        )

    # -- access paths -------------------------------------------------------------------------

    def access(self, s: Subject) -> Flow:
        f = s.facts
        access = next(a for a in self.d.access if a.id == _value(f, "access.id"))
        return self.make(
            flow_id=f"access/{access.id}",
            kind="access",
            label=s.label,
            component=access.components[0] if len(access.components) == 1 else None,
            country=f.get("access.country"),
            party=self.party(access.entity),
            clear=access.clear_text,
            clear_how="access.clear_text as declared",
            span=s.span,
            facts=_kept(f),
        )

    # -- key custody --------------------------------------------------------------------------

    def key_custody(self, key: Key) -> list[Flow]:
        """The places and laws that reach a key, as `custody.key_reach` finds them for the
        custody rules: its holder where the key is, each replica, and the HSM holding it. Key
        material under the controller's sole control in the EEA or an adequate country, out of
        the provider's reach, is no flow (`custody.sole_control`); an HSM its holder runs under
        the holder's own laws is in the holder's flow. A key used on several providers is read
        on each, as the rules read it on each place: its regions are that provider's, and
        whether a custodian is in the provider's group depends on the provider."""
        users = [c for c in self.d.components if c.key == key.id]
        providers = list(dict.fromkeys(c.provider for c in users))
        out: list[Flow] = []
        for provider_id in providers:
            on = [c for c in users if c.provider == provider_id]
            suffix = f"@{provider_id}" if len(providers) > 1 else ""
            out += self._key_custody(key, on, provider_id, suffix)
        return out

    def _key_custody(
        self, key: Key, users: list[Component], provider_id: str, suffix: str
    ) -> list[Flow]:
        """The key-custody flows of `key` on `provider_id`, used there by `users`; `suffix`
        tells the flows of one provider from another's (`key/k1@alibaba/hsm`)."""
        ki = self.key_index[id(key)]
        reach = key_reach(self.b, key, provider_id)
        country = (
            Fact("key.country", key.country, self.at(f"keys[{ki}].country"))
            if key.country
            else self._region_country(provider_id, key.region)
        )
        where = None if country is None else country.value
        component = users[0].id if len(users) == 1 else None
        holding = self.holding(reach.holder, key, users[0])
        management = Fact("key.management", key.management.value, self.at(f"keys[{ki}].management"))
        on = f" on {provider_id}" if suffix else ""

        cited = holding.pop("facts", [])

        def held(flow_id: str, label: str, at: Fact | None) -> Flow:
            return self.make(
                flow_id=flow_id,
                kind="key-custody",
                label=label,
                component=component,
                country=at,
                clear=True,
                clear_how="the key holder can decrypt what it obtains",
                span=key.span,
                facts=[management, *cited],
                **holding,
            )

        base = f"key/{key.id}{suffix}"
        out: list[Flow] = []
        if not sole_control(self.b, reach.holder, where, key):
            out.append(held(base, f"custody of key {key.id}{on}", country))
        out += [  # key material in each region of a multi-region key
            held(
                f"{base}/replica-{replica.region}",
                f"replica of key {key.id} in {replica.region}{on}",
                self._region_country(provider_id, replica.region),
            )
            for replica in reach.replicas
            if not sole_control(self.b, reach.holder, replica.country, key)
        ]
        hsm = reach.hsm
        if key.hsm is None or hsm is None or sole_control(self.b, hsm, where):
            return out
        holder = reach.holder
        if (
            holder is not None
            and hsm.name == holder.name
            and set(hsm.countries) <= set(holder.countries)
        ):
            return out  # the holder's flow shows this party, place and law already
        declared = self.at(f"keys[{ki}].hsm.jurisdiction")
        clear, how, said = self._hsm_use(key.hsm, hsm, ki)
        out.append(
            self.make(
                flow_id=f"{base}/hsm",
                kind="key-custody",
                label=f"HSM of key {key.id}{on}"
                + (f" (declared under {hsm.declared} law)" if hsm.declared else ""),
                component=component,
                country=country or Fact("key.hsm.jurisdiction", key.hsm.jurisdiction, declared),
                party=hsm.party,
                clear=clear,
                clear_how=how,
                span=key.hsm.span,
                facts=said,
                reached=hsm,
            )
        )
        return out

    def _hsm_use(
        self, declared: Hsm, hsm: Custodian, ki: int
    ) -> tuple[bool | None, str, list[Fact]]:
        """Whether the operator of a key's HSM can use the key, how that is known, and the
        declaration it rests on: an operator in the provider's group can, as the places' flows
        count it (`_key_reachable`); another as `hsm.operator_can_use` declares; else unknown,
        saying what to declare (RISK-CLEAR-01 cannot pass without it)."""
        if hsm.in_group:
            return True, "the HSM operator is in the provider's group, as for the places", []
        if declared.operator_can_use is None:
            return (
                None,
                "whether the HSM operator can use the keys is not declared (hsm.operator_can_use)",
                [],
            )
        at = self.at(f"keys[{ki}].hsm.operator_can_use")
        fact = Fact("key.hsm.operator_can_use", declared.operator_can_use, at)
        return declared.operator_can_use, "hsm.operator_can_use as declared", [fact]

    def holding(self, holder: Custodian | None, key: Key, user: Component) -> dict[str, Any]:
        """Who holds the key material, as `make` arguments: the declared holder, whose law the
        custody rules find reaching it; else, for keys in the provider's KMS or that the
        provider can use (`custody.provider_reaches`), the provider's operating entity, else
        the provider itself (also when several of its parties are declared), but nobody known
        in a region another entity than the provider's own operates (its facts, `facts`, cite
        who does); else nobody known. A controller that no law reaches gives way to
        the provider: the controller's own hold is no foreign reach, the provider's is."""
        reaches = provider_reaches(key)
        own = (
            holder is not None and holder.name == self.d.controller and not holder.reasons
        )  # the exporter's hold: its flow, if any, is the provider's
        if holder is not None and not (reaches and own):
            return {"party": holder.party, "reached": holder}
        if not reaches:
            return {"party": None}
        # who runs the component (`SubjectBuilder.host`: never the first of several parties),
        # but for the controller running it on the provider's systems, which hold the key in
        # their KMS: the provider then, as the component's own flow names it (`place`)
        host = self.b.host(user.operator, user.provider, region=user.region)
        infra = self.b.infrastructure(user.operator, user.provider, region=user.region)
        if host == self.d.controller and infra.third_party(self.d.controller):
            host = None
        party = self.party(host)
        known = self.kb.provider(user.provider)
        if party is not None or known is None:
            return {"party": party}
        operated = self.b.region_operator(user.provider, user.region)
        if operated is not None:
            # the KMS of a region another entity operates is that entity's (AWS's China
            # regions): neither the provider nor its parent is presumed to hold the key, as
            # neither is presumed to host the place (`flows.place`)
            return {"party": None, "facts": [self.renamed(operated, "flow.region_operator")]}
        parent = fact_from(
            known, "flow.parent_country", known.parent.country, f"kb:providers.yaml#{known.id}"
        )
        return {
            "party": None,
            "entity": known.id,
            "entity_name": known.name,
            "parent": (known.parent.name, known.parent.country, parent),
        }

    def _region_country(self, provider_id: str, region: str | None) -> Fact | None:
        """The country of a provider region holding key material, from the knowledge base."""
        known = self.kb.region(provider_id, region) if region else None
        return None if known is None else known.fact("key.country")

    # -- sub-processors -----------------------------------------------------------------------

    def sub_processor(self, party: Party) -> Flow:
        index = self.parties[id(party)]
        return self.make(
            flow_id=f"party/{party.id}",
            kind="sub-processor",
            label=f"sub-processor {party.id}",
            component=None,
            country=Fact("party.country", party.country, self.at(f"parties[{index}].country")),
            party=party,
            clear=None,
            clear_how="what the sub-processor can see is not declared",
            span=party.span,
            facts=[],
        )


_PLACE_READS = (
    "place.role",
    "component.id",
    "operator.id",
    "transfer.recipient",
    "place.infrastructure_of_host",
    "provider.id",
    "provider.name",
    "provider.parent.name",
    "provider.parent.country",
)
"""The place subject's values `_Flows.place` reads."""


_Bases = tuple[tuple[str, ...], tuple[str, ...] | None, tuple[Fact, ...]]
"""(law ids, legal bases or None when unknown, the laws' facts): `_Flows.bases`."""


def _first_by_id(items: Iterable[Any]) -> dict[str, Any]:
    """`items` by their `id`, the first of each id winning (as a scan finds it)."""
    out: dict[str, Any] = {}
    for x in items:
        out.setdefault(x.id, x)
    return out


def _value(facts: Mapping[str, Fact], path: str) -> Any:
    fact = facts.get(path)
    return None if fact is None else fact.value


def _values(facts: Mapping[str, Fact], paths: tuple[str, ...]) -> list[Any]:
    """`_value` of each of `paths`, in one call."""
    return [None if (fact := facts.get(path)) is None else fact.value for path in paths]


_KEPT = (
    "component.clear_text_processing",
    "key.declared",
    "key.management",
    "key.provider_can_use",
    "key.holder_in_provider_group",
    "key.hsm.operator_in_provider_group",
    "key.hsm.operator_can_use",
    "access.clear_text",
)


def _kept(facts: Mapping[str, Fact]) -> list[Fact]:
    """The subject facts a flow's clear-text verdict rests on, cited with the flow."""
    return [fact for p in _KEPT if (fact := facts.get(p)) is not None]


_CLEAR_TEXT = frozenset((*_KEPT, "flow.clear_text_reachable"))
_READ = frozenset((*_CLEAR_TEXT, "flow.country", "flow.parent_country"))


def subject_facts(flow: Flow) -> list[Fact]:
    """The facts of `flow` its `flow` subject offers rules (`fields.FLOW`). The others account
    for legal bases nobody knows (`_Flows.unknown_bases`): no rule reads them, the findings
    that lack the bases cite them (`bases_grounds`)."""
    return [f for f in flow.facts if f.path in _READ]


def bases_grounds(flow: Flow) -> tuple[Fact, ...]:
    """The facts of `flow` its legal bases were derived from: all but those of its clear-text
    verdict (where it is, who holds or reaches it, the entity's seat and ultimate parent, and,
    when the bases are unknown, what nobody declared and what the knowledge base lacks); not
    the laws found, which are what was derived."""
    return tuple(
        f for f in flow.facts if f.path not in _CLEAR_TEXT and not f.path.startswith("kb.law.")
    )


def _unplaced(s: Subject, *, with_provider: bool) -> list[Fact]:
    """Why the place of subject `s` has no country, or (`with_provider`: the provider is the
    entity, no party of it runs the place) no known ultimate parent, as the place subject
    accounts for it (`unknowns.place_unknowns`): the region or provider as declared, why the
    place could not be located, the knowledge-base file with no entry for them. Empty for a
    located place of a known provider."""
    if not s.unknowns:  # most places: nothing unknown, nothing to account for
        return []
    said = list(s.unknowns.get("location.country", ())[1:])
    if with_provider:
        said += s.unknowns.get("provider.parent.country", ())[1:]
    return list({(x.path, x.origin): x for x in said}.values())


_KEY_READS = (
    "key.declared",
    "key.encryption",
    "key.management",
    "key.provider_can_use",
    "key.holder_in_provider_group",
    "key.hsm.operator_in_provider_group",  # false without an HSM
)
"""The place subject's values `_key_reachable` reads."""


def _key_reachable(f: Mapping[str, Fact]) -> bool | None:
    """Can the place's entity use the key? The conditions of JUR-EXPO-01 (EDPB use case 1) that
    concern the provider's group (the key holder or the HSM's operator in it), read three-valued:
    any sign of reach is True, all conditions met is False. Provider-side encryption is reach
    through `key.provider_can_use`, which `key_facts` derives true for it."""
    declared, encryption, management, can_use, in_group, hsm_in_group = _values(f, _KEY_READS)
    if declared is False or encryption == "none":
        return True
    if management in PROVIDER_KMS or can_use is True or True in (in_group, hsm_in_group):
        return True
    if management in OUT_OF_REACH_KEYS and can_use is False and in_group is hsm_in_group is False:
        return False
    return None

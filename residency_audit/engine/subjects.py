"""Deployment + knowledge base → subjects: the things rules judge, each a flat map of facts.

A subject is a component, a place where data are processed or rest (`place`: each component's
primary location, every replica, backup, snapshot copy, export and log destination), an access
path, the deployment itself, one of the legal subjects of `legal_subjects.py` (party,
certification, declared transfer or onward transfer, transit route), a data flow with its
transfer risk (`flow`, built by `residency_audit.risk`) or a DNS endpoint (`endpoints.py`).
Every fact says where it came from: the YAML position of a declared value, the knowledge-base
entry of a looked-up one. A fact nobody knows is simply absent, so rules read it as unknown; a
finding that turns on it still cites it, with no value (`Subject.unknowns`).
The vocabulary of fact paths rule authors may use is `engine/fields.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import field
from functools import partial
from typing import Any

from residency_audit.engine.certificates import BINDS, hds_binding, hds_binding_of, party_binding
from residency_audit.engine.countries import unknown_country_subjects
from residency_audit.engine.custody import KeyReach
from residency_audit.engine.host_facts import (
    on_component_provider,
    operator_reach,
    place_host,
    region_operator_parent,
    undeclared_infrastructure_facts,
)
from residency_audit.engine.key_facts import copy_key, key_facts, log_key_facts
from residency_audit.engine.legal_subjects import legal_subjects
from residency_audit.engine.places import Infrastructure, Where, infrastructure_of, places_of
from residency_audit.engine.subject_ids import place_id
from residency_audit.engine.unknowns import place_unknowns
from residency_audit.format.locations import Locations
from residency_audit.kb import MEMO_LIMIT, KnowledgeBase, fact_from
from residency_audit.model import (
    Access,
    Component,
    DataCategory,
    Deployment,
    Fact,
    HealthContext,
    Party,
    Span,
)
from residency_audit.records import Record, record

ENCODED_LAW = (
    (
        "law.gdpr",
        "gdpr",
        "the gdpr, edpb, jurisdiction, dns, drift, risk and waivers rules start with the GDPR",
    ),
    ("law.hds", "hds-decree-2018-137", "the hds rules encode HDS certification"),
    ("law.secnumcloud", "secnumcloud-3.2", "the secnumcloud rules encode SecNumCloud 3.2 only"),
)
"""(fact path, knowledge-base instrument, why): the law each legal pack encodes. The packs' rules
start when it does; before, no rule encodes the law of the day, and the core CORE-LAW-* rules
report it as not verified."""

_SCALARS = frozenset({bool, int, str})
"""The types of the derived values whose facts are shared (`SubjectBuilder.derived`)."""

HDS_CONTEXTS = {
    HealthContext.CARE,
    HealthContext.PREVENTION,
    HealthContext.DIAGNOSIS,
    HealthContext.SOCIAL_CARE,
}


@record
class Subject(Record):
    """Something rules judge, with the facts they may read about it."""

    kind: str
    label: str
    """Human name: `backup of patients-db`."""
    component: str | None
    span: Span
    facts: dict[str, Fact]
    id: str | None = None
    """`kind:id` from the deployment's own ids, when its maker gives one; `subject_id` derives
    it otherwise."""
    unknowns: Mapping[str, tuple[Fact, ...]] = field(default_factory=dict)
    """For a field nobody knows, what a finding that cannot be verified for want of it cites:
    the field with no value where it was declared or derived from, then the known facts and the
    knowledge it derives from, and what the deployment should add (as `tools.undeclared`).
    A field not here is cited with no value at the subject's own declaration."""


class SubjectBuilder:
    """Builds one deployment's subjects on one day, keeping what several subjects (and the
    data flows) share: the deployment-wide facts, the fact groups of components, providers and
    keys, and the technical subjects once built. `pipeline.Auditor.file` makes one per file and
    hands it to the flows and to the audit, so those are built once per file."""

    def __init__(self, d: Deployment, kb: KnowledgeBase, as_of: dt.date) -> None:
        self.d, self.kb, self.as_of = d, kb, as_of
        self._origins: dict[str, str] = {}
        self._derived_facts = kb.derived_facts
        locations = d.locations
        # a converted file's positions as text at once, no `Span` made only to be formatted
        self._origin_of: Callable[[str], str | None] = (
            locations.origin if isinstance(locations, Locations) else partial(_origin, locations)
        )
        self._common: dict[str, Fact] | None = None
        self._groups: dict[tuple[Any, ...], dict[str, Fact]] = {}
        self._technical: tuple[Subject, ...] | None = None
        self._parties = positions(d.parties)
        self.hds_bindings: dict[str | None, Fact] = {}
        """What binds each host (`certificates.hds_binding`), found once."""
        self._places: tuple[tuple[int, Component, Where], ...] | None = None
        self._infrastructure: dict[tuple[str | None, str, bool], Infrastructure] = {}
        self._region_operators: dict[tuple[str, str | None], Fact | None] = {}
        self._run_by: dict[str | None, list[tuple[int, Component, Where]]] | None = None
        self._provider_parties: dict[str, list[str]] = {}
        self._hosted_infrastructure: list[tuple[Where, Infrastructure]] | None = None
        self._infrastructure_by_party: dict[str, tuple[list[Where], list[Where]]] | None = None
        self.verdicts: dict[tuple[int, str | None], tuple[bool | None, list[Fact], str | None]] = {}
        """Each declared certificate's validity verdict (`certificates._verdict`), by `id(cert)`
        and instrument: the certificates are the deployment's, alive as long as the builder."""
        self.key_reaches: dict[tuple[int, str, str], KeyReach] = {}
        """Whose law reaches each key on each provider (`custody.key_reach`), by `id(key)`: the
        keys are the deployment's, alive as long as the builder."""

    def technical(self) -> tuple[Subject, ...]:
        """The technical subjects, built on first use."""
        if self._technical is None:
            self._technical = tuple(_technical_subjects(self))
        return self._technical

    def at(self, yaml_path: str) -> str:
        origin = self._origins.get(yaml_path)
        if origin is None:
            origin = self._origins[yaml_path] = self._origin_of(yaml_path) or f"{self.d.path}:1:1"
        return origin

    def put(self, facts: dict[str, Fact], path: str, value: Any, yaml_path: str) -> None:
        if value is not None:
            # `at` inline: a file's several hundred facts, most at a path of their own
            origin = self._origins.get(yaml_path)
            if origin is None:
                origin = self._origins[yaml_path] = (
                    self._origin_of(yaml_path) or f"{self.d.path}:1:1"
                )
            facts[path] = Fact(path, value, origin)

    def derived(self, facts: dict[str, Fact], path: str, value: Any, how: str) -> None:
        if value is not None:
            if type(value) in _SCALARS:
                # nine in ten are derived alike before, in this file or another: one shared
                # object each (`kb.derived_facts`), not a new fact and text per subject
                key = (path, type(value), value, how)  # the type: True == 1
                fact = self._derived_facts.get(key)
                if fact is None:
                    if len(self._derived_facts) >= MEMO_LIMIT:
                        self._derived_facts.clear()
                    fact = self._derived_facts[key] = Fact(path, value, f"derived: {how}")
                facts[path] = fact
            else:  # a list, say: not hashable, and rarely derived alike
                facts[path] = Fact(path, value, f"derived: {how}")

    def common(self) -> dict[str, Fact]:
        """Facts every subject shares (built once per deployment; each subject gets a copy)."""
        if self._common is None:
            self._common = self._build_common()
        return dict(self._common)

    def _build_common(self) -> dict[str, Fact]:
        d, f = self.d, dict[str, Fact]()
        self.put(f, "deployment.name", d.name, "name")
        self.put(f, "data.categories", [c.value for c in d.data.categories], "data.categories")
        self.derived(f, "data.special_category", d.data.special_category, "from data.categories")
        health = (
            DataCategory.HEALTH in d.data.categories or DataCategory.GENETIC in d.data.categories
        )
        self.derived(f, "data.health", health, "from data.categories")
        context = d.data.health_context
        self.put(
            f, "data.health_context", context.value if context else None, "data.health_context"
        )
        self.put(f, "data.pseudonymised", d.data.pseudonymised, "data.pseudonymised")
        self.derived(
            f,
            "hds.applies",
            self.hds_applies(health, context),
            "health data from care, prevention or diagnosis hosted by a third party (L.1111-8 CSP)",
        )
        controller = d.party(d.controller)
        self.put(f, "controller.id", d.controller, "controller")
        if controller:
            self.put(
                f, "controller.country", controller.country, self.party_path(controller, "country")
            )
        pseudo = d.data.pseudonymisation
        if pseudo is not None:
            self.derived(
                f,
                "pseudonymisation.holder_is_exporter",
                pseudo.holder == d.controller,
                "data.pseudonymisation.holder compared with the controller",
            )
            self.put(f, "pseudonymisation.country", pseudo.country, "data.pseudonymisation.country")
            self.put(
                f,
                "pseudonymisation.singling_out_excluded",
                pseudo.singling_out_excluded,
                "data.pseudonymisation.singling_out_excluded",
            )
        claims = d.claims
        for name in (
            "secnumcloud",
            "secnumcloud_offer",
            "art48_procedure",
            "dpia",
            "hds_certificates_shared",
            "subprocessor_certificate_loss_procedure",
            "storage_locations_communicated",
            "risk_analysis_foreign_law",
        ):
            self.put(f, f"claims.{name}", getattr(claims, name), f"claims.{name}")
        if claims.processors is not None:
            self.put(f, "claims.processors", list(claims.processors), "claims.processors")
        if claims.secnumcloud is None:  # no claim made is a claim not made, not an unknown
            self.derived(f, "claims.secnumcloud", False, "no SecNumCloud claim declared")
        # Every subject may read it; places, parties and access paths replace it with their own
        # hosts' (`place`, `party_facts`, `access`).
        f[BINDS] = hds_binding_of(self, self.hosts(), "the deployment")
        return f

    def hds_applies(self, health: bool, context: HealthContext | None) -> bool | None:
        """Health data from care (or prevention, diagnosis...) hosted by a third party: anyone
        but the controller running one of their places, a copy or a personal-data log sink as
        much as a component (`hosts`: the places `legal_subjects` credits to each party), or a
        place nobody is known to run. A controller running its own components while a
        processor keeps their backup has that backup hosted on its behalf; one running them on
        a cloud provider's systems has them hosted by that provider (`infrastructure`), unless
        it is itself the provider's declared party."""
        if not health:
            return False
        if context is None:
            return None  # fail closed: health data whose origin is not declared
        return context in HDS_CONTEXTS and bool(self.hosts() or self.infrastructure_hosts())

    def party_path(self, party: Party, leaf: str) -> str:
        return f"parties[{self._parties[id(party)]}].{leaf}"

    def party_facts(self, f: dict[str, Fact], prefix: str, party: Party | None) -> None:
        if party is None:
            return
        if prefix == "party":  # the party subject (legal_subjects.party_facts)
            f[BINDS] = party_binding(self, party)
        self.put(f, f"{prefix}.id", party.id, self.party_path(party, "id"))
        self.put(f, f"{prefix}.country", party.country, self.party_path(party, "country"))
        if party.parent is not None:
            self.put(
                f,
                f"{prefix}.parent.country",
                party.parent.country,
                self.party_path(party, "parent.country"),
            )
        else:
            provider = self.kb.provider(party.provider)
            if provider is not None:
                f[f"{prefix}.parent.country"] = fact_from(
                    provider,
                    f"{prefix}.parent.country",
                    provider.parent.country,
                    f"kb:providers.yaml#{provider.id}",
                )
            # else unknown (fail closed), also for a seat whose own laws compel access: those
            # are `{prefix}.country`'s, a parent elsewhere may add others, and the flows show
            # it as "parent ?"

    def place(
        self,
        c: Component,
        ci: int,
        role: str,
        provider_id: str,
        region: str | None,
        country: str | None,
        operator_id: str | None,
        yaml_path: str,
    ) -> dict[str, Fact]:
        f = self.common()
        base = f"components[{ci}]"
        f.update(self.group(("component", ci), self.component_facts, c, base))
        self.put(f, "place.role", role, yaml_path)
        self.derived(
            f,
            "place.stores_data",
            role != "primary" or c.holds_data,
            "copies and logs hold data; a primary if its kind stores data",
        )
        provider_path = f"{yaml_path}.provider"
        if provider_path not in self.d.locations:
            provider_path = f"{base}.provider"
        f.update(
            self.group(
                ("provider", provider_id, provider_path),
                self.provider_facts,
                provider_id,
                provider_path,
            )
        )
        self.location(f, provider_id, region, country, yaml_path)

        def operator_facts(g: dict[str, Fact]) -> None:
            # the operator looked up only when its group is first built (each place asks)
            self.party_facts(g, "operator", self.d.party(operator_id))

        f.update(self.group(("operator", operator_id), operator_facts))
        # an observed copy with a key of its own (`Key=` in its evidence) is judged on it
        key_ref: str | None = None
        if role == "log":  # the component's key does not cover its log lines
            f.update(
                self.group(
                    ("log key", ci, provider_id), partial(log_key_facts, self), c, provider_id
                )
            )
        else:
            own = copy_key(self, c, yaml_path)
            key_ref = c.key if own is None else own[0]
            shared = ("key", ci, provider_id, own)
            f.update(self.group(shared, partial(key_facts, self), c, ci, provider_id, own))
        on_component_provider(self, f, c, provider_id, region)
        self.split(f, c, ci)
        recipient = self.host(operator_id, provider_id, region=region)
        place_host(self, f, recipient, operator_id, provider_id, yaml_path, region=region)
        region_operator_parent(self, f, operator_id, provider_id, region=region)
        operator_reach(self, f, key_ref, operator_id, provider_id)
        self.transfer(f, recipient, f.get("location.country"), yaml_path)
        binding = self.binding_host(recipient, operator_id, provider_id, region=region)
        f[BINDS] = hds_binding(self, binding)
        return f

    def binding_host(
        self, host: str | None, operator_id: str | None, provider_id: str, *, region: str | None
    ) -> str | None:
        """The host whose referential decides what binds a place (EXI 28 on its storage): its
        host, but for the controller's own place on a provider's systems, whose only host is
        the provider's (the controller hosts nothing on anyone's behalf)."""
        infra = self.infrastructure(operator_id, provider_id, region=region)
        if host == self.d.controller and infra.third_party(self.d.controller):
            return infra.id
        return host

    def host(self, operator_id: str | None, provider_id: str, *, region: str | None) -> str | None:
        """Who runs a place: its operator, else the one declared party of its provider. None:
        nobody known, when no party of that provider is declared or several are (which of them
        runs it is not said, and the order of the file must not decide), or when another
        entity than the provider's own operates its region (`region_operator`)."""
        if operator_id:
            return operator_id
        if self.region_operator(provider_id, region) is not None:
            return None
        candidates = self.provider_parties(provider_id)
        return candidates[0] if len(candidates) == 1 else None

    def region_operator(self, provider_id: str, region: str | None) -> Fact | None:
        """`place.region_operator`: who operates `region` when the knowledge base says another
        entity than the provider's own does (AWS's China regions), citing its entry; None for a
        region the provider's own entities operate, or one the knowledge base does not know."""
        key = (provider_id, region)
        if key not in self._region_operators:
            known = self.kb.region(provider_id, region) if region else None
            self._region_operators[key] = (
                None if known is None else known.operator_fact("place.region_operator")
            )
        return self._region_operators[key]

    def operated_apart(self, provider_id: str, region: str | None) -> bool:
        # `region_operator`'s memo read here: every place and host asks, forty times a file
        key = (provider_id, region)
        if key in self._region_operators:
            return self._region_operators[key] is not None
        return self.region_operator(provider_id, region) is not None

    def infrastructure(
        self, operator_id: str | None, provider_id: str, *, region: str | None
    ) -> Infrastructure:
        """Who hosts the infrastructure of a place run by `operator_id` on `provider_id` in
        `region` (`places.infrastructure_of`), worked out once per pair and kind of region:
        each party's facts ask it of every place."""
        apart = self.operated_apart(provider_id, region)
        key = (operator_id, provider_id, apart)
        found = self._infrastructure.get(key)
        if found is None:
            found = self._infrastructure[key] = infrastructure_of(
                operator_id,
                provider_id,
                self.provider_parties(provider_id),
                known=self.kb.provider(provider_id) is not None,
                controller=self.d.controller,
                apart=apart,
            )
        return found

    def hosted_infrastructure(self) -> list[tuple[Where, Infrastructure]]:
        """Each place whose infrastructure a third party hosts (the controller or another party
        runs it on a provider's systems), with who hosts it, in file order; found once for the
        deployment's and every party's facts."""
        if self._hosted_infrastructure is None:
            controller = self.d.controller
            self._hosted_infrastructure = [
                (w, infra)
                for infra, w in (
                    (self.infrastructure(w.operator, w.provider, region=w.region), w)
                    for _, _, w in self.places()
                )
                if infra.third_party(controller)
            ]
        return self._hosted_infrastructure

    def infrastructure_hosts(self) -> list[str | None]:
        """The third parties hosting the infrastructure of places they do not run, in file
        order (the party or knowledge-base provider id; None for one nobody knows)."""
        return list(dict.fromkeys(infra.id for _, infra in self.hosted_infrastructure()))

    def infrastructure_places(self, party_id: str) -> list[Where]:
        """The places whose infrastructure the declared party hosts (HDS-ACT-04) without
        running them: the controller or another party runs them on the systems of its
        provider, of which it is the only candidate host. Indexed by party once: every party
        asks, and a scan of every place per party is quadratic."""
        return self._infrastructure_of_party(party_id)[0]

    def infrastructure_maybe_places(self, party_id: str) -> list[Where]:
        """The places whose infrastructure the declared party may host: it is one of several
        candidate parties of their provider, and the file does not say which hosts them."""
        return self._infrastructure_of_party(party_id)[1]

    def _infrastructure_of_party(self, party_id: str) -> tuple[list[Where], list[Where]]:
        """(sure, maybe) places of `party_id` in `hosted_infrastructure`, indexed by party once:
        every party asks, and a scan of every place per party is quadratic."""
        if self._infrastructure_by_party is None:
            index: dict[str, tuple[list[Where], list[Where]]] = {}
            for w, infra in self.hosted_infrastructure():
                if infra.party is not None:
                    index.setdefault(infra.party, ([], []))[0].append(w)
                else:
                    for candidate in infra.candidates:
                        index.setdefault(candidate, ([], []))[1].append(w)
            self._infrastructure_by_party = index
        return self._infrastructure_by_party.get(party_id, ([], []))

    def provider_parties(self, provider_id: str) -> list[str]:
        """The declared parties of a provider, in file order: who may run a place on it."""
        found = self._provider_parties.get(provider_id)
        if found is None:
            found = self._provider_parties[provider_id] = [
                p.id for p in self.d.parties if p.provider == provider_id
            ]
        return found

    def run_by(self, party_id: str | None) -> list[tuple[int, Component, Where]]:
        """(component index, component, place) of the places `party_id` runs (`host`), in file
        order; None: those nobody is known to run. Indexed once: each party's facts ask it, and
        a scan of every place per party is quadratic in a file of thousands of both."""
        return self._run_index().get(party_id, [])

    def _run_index(self) -> dict[str | None, list[tuple[int, Component, Where]]]:
        """Host -> the places it runs, hosts in the order the file first names them."""
        if self._run_by is None:
            index: dict[str | None, list[tuple[int, Component, Where]]] = {}
            for item in self.places():
                w = item[2]
                index.setdefault(self.host(w.operator, w.provider, region=w.region), []).append(
                    item
                )
            self._run_by = index
        return self._run_by

    def places(self) -> tuple[tuple[int, Component, Where], ...]:
        """(component index, component, place) of every place of the deployment, in file order
        (`places_of`), built once: the parties' facts walk them for each party."""
        if self._places is None:
            self._places = tuple(
                (ci, c, w)
                for ci, c in enumerate(self.d.components)
                for w in places_of(c, ci, self.operated_apart)
            )
        return self._places

    def hosts(self, components: Collection[str] = ()) -> list[str | None]:
        """The third parties hosting the data, in file order: who runs each place of the given
        components (of every component if none is given), the controller excepted; None stands
        for a place whose host nobody knows."""
        if not components:
            return [h for h in self._run_index() if h != self.d.controller]
        out = [
            self.host(w.operator, w.provider, region=w.region)
            for _, c, w in self.places()
            if c.id in components
        ]
        return [h for h in dict.fromkeys(out) if h != self.d.controller]

    def group(
        self, key: tuple[Any, ...], build: Callable[..., None], *args: Any
    ) -> dict[str, Fact]:
        """Facts that several places share (a component's, a provider's, a key's), built once:
        a deployment has many copies and logs per component."""
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = {}
            build(group, *args)
        return group

    def component_facts(self, f: dict[str, Fact], c: Component, base: str) -> None:
        self.put(f, "component.id", c.id, f"{base}.id")
        self.put(f, "component.kind", c.kind.value, f"{base}.kind")
        self.put(f, "component.service", c.service, f"{base}.service")
        self.put(
            f,
            "component.clear_text_processing",
            c.clear_text_processing,
            f"{base}.clear_text_processing",
        )
        self.put(f, "component.holds_data", c.holds_data, f"{base}.kind")
        home = self.region_operator(c.provider, c.region)
        self.derived(
            f,
            "component.personal_data_logs_on_provider",
            any(
                log.personal_data
                and log.provider in (None, c.provider)
                # a sink in a region another entity runs is not on the same systems
                and self.region_operator(c.provider, log.region or c.region) == home
                for log in c.logs
            ),
            f"its log sinks ({self.at(f'{base}.logs')}) against its provider: log lines carry "
            "personal data in clear"
            if c.logs
            else "no log sink declared",
        )

    def provider_facts(self, f: dict[str, Fact], provider_id: str, provider_path: str) -> None:
        self.put(f, "provider.id", provider_id, provider_path)
        provider = self.kb.provider(provider_id)
        self.derived(f, "provider.known", provider is not None, "knowledge-base lookup")
        # words for messages, set where a region's operator leaves the parent unknown
        self.derived(
            f,
            "provider.parent_unknown_because",
            "",
            "not a region another entity operates (`host_facts.region_operator_parent`)",
        )
        if provider is None:
            self.derived(
                f,
                "provider.suggestion",
                self.kb.suggest("provider", provider_id) or " (no close match)",
                "nearest provider id",
            )
        else:
            origin = f"kb:providers.yaml#{provider.id}"
            f["provider.name"] = fact_from(provider, "provider.name", provider.name, origin)
            f["provider.parent.name"] = fact_from(
                provider, "provider.parent.name", provider.parent.name, origin
            )
            f["provider.parent.country"] = fact_from(
                provider, "provider.parent.country", provider.parent.country, origin
            )
            if provider.eu_controlled is not None:
                f["provider.eu_controlled"] = fact_from(
                    provider, "provider.eu_controlled", provider.eu_controlled, origin
                )
            f["provider.marketed_as_sovereign"] = fact_from(
                provider,
                "provider.marketed_as_sovereign",
                bool(provider.marketed_as_sovereign),
                origin,
            )  # a label the knowledge base does not record is a label not claimed

    def location(
        self,
        f: dict[str, Fact],
        provider_id: str,
        region: str | None,
        country: str | None,
        yaml_path: str,
    ) -> None:
        if country is not None:
            self.put(f, "location.country", country, f"{yaml_path}.country")
        if region is None:
            if country is None:
                self.derived(
                    f, "location.unplaced", "no region or country is declared", "place declared"
                )
            return
        self.put(f, "location.region", region, f"{yaml_path}.region")
        known = self.kb.region(provider_id, region)
        if known is None:
            hint = self.kb.suggest("region", region, provider_id)
            hint = hint or f" (no {provider_id} region of that name in the knowledge base)"
            self.derived(f, "location.suggestion", hint, "nearest region")
            if country is None:
                self.derived(
                    f, "location.unplaced", f"region {region} is unknown{hint}", "region lookup"
                )
        elif country is None:
            f["location.country"] = known.fact("location.country")
        elif country != known.country:
            # Data are where the region is: the knowledge base's country stands, the
            # contradiction becomes a finding (CORE-KB-03) rather than a silent override.
            self.put(f, "location.declared_country", country, f"{yaml_path}.country")
            f["location.country"] = known.fact("location.country")

    def split(self, f: dict[str, Fact], c: Component, ci: int) -> None:
        if c.split is None:
            return
        base = f"components[{ci}].split"
        self.put(f, "split.group", c.split.group, f"{base}.group")
        self.put(
            f,
            "split.reconstructable_alone",
            c.split.reconstructable_alone,
            f"{base}.reconstructable_alone",
        )
        self.put(
            f,
            "split.secure_against_active_adversaries",
            c.split.secure_against_active_adversaries,
            f"{base}.secure_against_active_adversaries",
        )
        parts = [x for x in self.d.components if x.split and x.split.group == c.split.group]
        countries = []
        for part in parts:
            operator = self.d.party(part.operator)
            provider = self.kb.provider(part.provider)
            if operator is not None and operator.parent is not None:
                countries.append(operator.parent.country)
            elif provider is not None:
                countries.append(provider.parent.country)
            else:
                return  # fail closed: a part whose jurisdiction nobody knows
        self.derived(
            f,
            "split.jurisdictions_distinct",
            len(parts) > 1 and len(set(countries)) == len(parts),
            f"ultimate parents of the parts of {c.split.group}: {', '.join(countries)}",
        )

    def law_facts(self) -> dict[str, Fact]:
        """The deployment subject's `law.*` facts: the knowledge-base instrument each legal pack
        encodes, for the CORE-LAW-* rules' `in_force` test on the as-of date. On a day it is not
        in force the fact is absent: the law of that day is not encoded, so whether the
        deployment complied with it is unknown (the rules cannot be verified), not a violation."""
        f: dict[str, Fact] = {}
        for path, instrument, why in ENCODED_LAW:
            entry = self.kb.instrument(instrument)
            if entry is not None and not entry.holds_on(self.as_of):
                continue
            self.derived(f, path, instrument, why)
        return f

    def transfer(
        self, f: dict[str, Fact], recipient: str | None, country: Fact | None, yaml_path: str
    ) -> None:
        if recipient is None:
            self._no_tool_for_anyone(f, country, yaml_path)
            return
        self.put(f, "transfer.recipient", recipient, yaml_path)
        party = self.d.party(recipient)
        destination = country.value if country else None
        tools = []
        first: str | None = None
        for ti, t in enumerate(self.d.transfers):
            if t.recipient == recipient and (not t.countries or destination in t.countries):
                first = first or f"transfers[{ti}]"
                tools.append(
                    {
                        "tool": t.tool.value,
                        "recipient": recipient,
                        "country": destination,
                        "scc_module": t.scc_module,
                        "derogation": t.derogation,
                        "concluded": t.concluded,
                        "processing_unchanged": t.processing_unchanged,
                        "tia_reference": t.tia_reference,
                        "tia_date": t.tia_date,
                        "approval": t.approval,
                        "systematic": True,
                        "adequacy_scopes": list(party.adequacy_scopes) if party else [],
                        "origin": self.at(f"transfers[{ti}]"),
                    }
                )
        origin = self.at(first) if first else f"derived: no transfer declared for {recipient}"
        f["transfer.tools"] = Fact("transfer.tools", tools, origin)

    def _no_tool_for_anyone(self, f: dict[str, Fact], country: Fact | None, yaml_path: str) -> None:
        """`transfer.tools` of a place whose host is unknown: whoever hosts it, no tool covers
        it when no declared transfer, to any recipient, covers its country (then the tools are
        none, and the transfer has no basis whoever the recipient); else unknown."""
        destination = country.value if country is not None else None
        if destination is None or any(
            not t.countries or destination in t.countries for t in self.d.transfers
        ):
            return
        f["transfer.tools"] = Fact(
            "transfer.tools",
            [],
            f"derived: its host is unknown ({self.at(yaml_path)}), but no transfer declared to "
            f"any recipient covers {destination}: none covers it, whoever hosts it",
        )

    def access(self, a: Access, ai: int) -> dict[str, Fact]:
        f = self.common()
        base = f"access[{ai}]"
        self.put(f, "access.id", a.id, f"{base}.id")
        self.put(f, "access.kind", a.kind.value, f"{base}.kind")
        self.put(f, "access.country", a.country, f"{base}.country")
        self.put(f, "access.clear_text", a.clear_text, f"{base}.clear_text")
        self.put(f, "access.client_informed", a.client_informed, f"{base}.client_informed")
        entity = self.d.party(a.entity)
        self.party_facts(f, "entity", entity)
        if entity is not None:
            self.put(f, "entity.name", entity.name, self.party_path(entity, "name"))
        self.derived(
            f,
            "entity.is_controller",
            a.entity == self.d.controller,
            "access entity compared with the controller",
        )
        self.transfer(f, a.entity, f.get("access.country"), f"{base}.country")
        f[BINDS] = hds_binding_of(
            self, self.hosts(a.components), f"the components access {a.id} reaches"
        )
        return f


def _origin(locations: Mapping[str, Span], yaml_path: str) -> str | None:
    """Where `yaml_path` is written, as text, in positions given as spans (a deployment made
    by hand or unpickled, not converted from a file)."""
    span = locations.get(yaml_path)
    return str(span) if span else None


def builder_for(
    d: Deployment, kb: KnowledgeBase, as_of: dt.date, given: SubjectBuilder | None = None
) -> SubjectBuilder:
    """`given` when it was made for this very deployment, knowledge base and day, else a new
    builder (callers that audit one deployment once need not make one)."""
    if given is not None and given.d is d and given.kb is kb and given.as_of == as_of:
        return given
    return SubjectBuilder(d, kb, as_of)


def common_facts(
    d: Deployment, kb: KnowledgeBase, as_of: dt.date, builder: SubjectBuilder | None = None
) -> dict[str, Fact]:
    """The deployment-wide facts every subject carries (for subjects built elsewhere)."""
    return builder_for(d, kb, as_of, builder).common()


def positions(items: tuple[Any, ...]) -> dict[int, int]:
    """The index of every object of `items`, keyed by `id(x)`, computed once: the index of a
    party is asked for each fact about it, and `items.index` compares whole records (it cost
    0.4 ms a file for five parties). The ids stay valid as long as `items` (which holds the
    objects) is alive."""
    return {id(x): i for i, x in enumerate(items)}


def component_facts(
    d: Deployment, kb: KnowledgeBase, as_of: dt.date, index: int
) -> dict[str, Fact]:
    """The facts of component `index` at its primary place (for subjects built elsewhere)."""
    c = d.components[index]
    return SubjectBuilder(d, kb, as_of).place(
        c, index, "primary", c.provider, c.region, c.country, c.operator, f"components[{index}]"
    )


def subjects(
    d: Deployment,
    kb: KnowledgeBase,
    as_of: dt.date,
    builder: SubjectBuilder | None = None,
    kinds: Collection[str] | None = None,
) -> Iterator[Subject]:
    """Every subject of a deployment, in file order; of the legal and country subjects, only
    those of `kinds` when given (the kinds some rule judges: the others would be built for
    nothing, parties costing as much as the places). The technical subjects are built whole:
    the flows read them."""
    b = builder_for(d, kb, as_of, builder)
    yield from b.technical()
    yield from legal_subjects(b, kinds)
    if kinds is None or "country" in kinds:
        yield from unknown_country_subjects(b)


def technical_subjects(
    d: Deployment, kb: KnowledgeBase, as_of: dt.date, builder: SubjectBuilder | None = None
) -> tuple[Subject, ...]:
    """The deployment, its components, places and access paths: the subjects `flows` reads,
    without the legal subjects (parties, certificates, transfers), which cost as much again."""
    return builder_for(d, kb, as_of, builder).technical()


def _technical_subjects(b: SubjectBuilder) -> Iterator[Subject]:
    d = b.d
    facts = {**b.common(), **b.law_facts(), **undeclared_infrastructure_facts(b)}
    yield Subject("deployment", d.name, None, d.span, facts, f"deployment:{d.name}")
    for ci, c, w in b.places():
        facts = b.place(c, ci, w.role, w.provider, w.region, w.country, w.operator, w.yaml_path)
        unknowns = place_unknowns(facts, w.span)
        if w.role == "primary":
            yield Subject("component", c.id, c.id, c.span, facts, f"component:{c.id}", unknowns)
        yield Subject("place", w.label, c.id, w.span, facts, place_id(c, w), unknowns)
    for ai, a in enumerate(d.access):
        # "remote access x", not "remote-access access x": the kind's own word "access"
        # once (the flows table, RISK-CLEAR-01's message and the flow.label fact say it)
        label = f"{a.kind.value.removesuffix('-access')} access {a.id}"
        yield Subject("access", label, None, a.span, b.access(a, ai), f"access:{a.id}")

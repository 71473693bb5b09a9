"""The legal subjects: parties, certificates, declared transfers (and their onward flows) and
transit routes, each a flat map of facts with origins, like the places of `subjects.py` (whose
key-custody facts are in `custody.py`).

Derived facts that need the knowledge base on the as-of date (is this party's storage all in the
EEA? are its SCC module and roles consistent?) are computed here and say how; dates and legal
periods stay in `kb/data` and are read through operators by the rules. A party's HDS activities
and their coverage are in `hds_activities.py`, the EXI 31 wording due to it in
`transparency.py`, and whether a certificate counts on the audit day in `certificates.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Any

from residency_audit.engine.certificates import instrument_of, issued, why_not_valid
from residency_audit.engine.hds_activities import hds_activity_facts
from residency_audit.engine.transparency import secnumcloud_qualified, transparency_facts
from residency_audit.kb import fact_from
from residency_audit.model import (
    Certification,
    Fact,
    Party,
    Role,
    Scheme,
    ToolKind,
    Transfer,
)

if TYPE_CHECKING:
    from residency_audit.engine.subjects import Subject, SubjectBuilder


_SCC = {"scc-2021": "eu-scc-2021", "scc-2010": "eu-scc-2010", "scc-2001": "eu-scc-2001"}
_MODULES = {
    ("controller", "controller"): 1,
    ("controller", "processor"): 2,
    ("processor", "processor"): 3,
    ("processor", "controller"): 4,
}
"""SCC 2021/914 modules by (exporter, importer) role."""


def gdpr_role(role: Role | None) -> str | None:
    if role in (Role.CONTROLLER, Role.JOINT_CONTROLLER):
        return "controller"
    if role in (Role.PROCESSOR, Role.SUB_PROCESSOR):
        return "processor"
    return None


def legal_subjects(b: SubjectBuilder, kinds: Collection[str] | None = None) -> Iterator[Subject]:
    """The parties, certificates, transfers and transits of the deployment; only those of
    `kinds` when given (`subjects.subjects`)."""
    from residency_audit.engine.subjects import Subject

    d = b.d
    wanted = ("party", "certification", "transfer", "transit") if kinds is None else kinds
    if "party" in wanted:
        for pi, party in enumerate(d.parties):
            facts = party_facts(b, party, pi)
            yield Subject("party", f"party {party.id}", None, party.span, facts)
    for ci, cert in enumerate(d.certifications if "certification" in wanted else ()):
        if not issued(b, cert):  # a certificate issued after the audit day did not exist on it
            continue
        yield Subject(
            "certification",
            f"{cert.scheme.value} certificate of {cert.holder}",
            None,
            cert.span,
            certification_facts(b, cert, ci),
        )
    for ti, transfer in enumerate(d.transfers if "transfer" in wanted else ()):
        yield from transfer_subjects(b, transfer, ti)
    for ci, c in enumerate(d.components if "transit" in wanted else ()):
        for j, transit in enumerate(c.transit):
            f = b.common()
            path = f"components[{ci}].transit[{j}]"
            b.put(f, "component.id", c.id, f"components[{ci}].id")
            b.put(f, "transit.country", transit.country, f"{path}.country")
            b.put(f, "transit.encrypted", transit.encrypted, f"{path}.encrypted")
            b.put(
                f,
                "transit.decryptable_in_transit",
                transit.decryptable_in_transit,
                f"{path}.decryptable_in_transit",
            )
            yield Subject(
                "transit", f"transit of {c.id} via {transit.country}", c.id, transit.span, f
            )


def _operated(b: SubjectBuilder, party_id: str) -> list[tuple[str | None, str | None, str]]:
    """(provider, region-or-None, country-or-None) of every place the party runs: the places
    of `places.places_of` (a component, each copy, each log sink holding personal data) whose
    host (`SubjectBuilder.host`) it is. A copy on another provider with no operator is not the
    component operator's: its host is that provider's party, or nobody known."""
    return [(w.provider, w.region, w.country or "") for _, _, w in b.run_by(party_id)]


def _infrastructure_hosted(
    b: SubjectBuilder, party_id: str, *, maybe: bool = False
) -> list[tuple[str | None, str | None, str]]:
    """(provider, region-or-None, country-or-None) of every place whose infrastructure the
    party hosts without running it (`SubjectBuilder.infrastructure_places`): it performs
    R.1111-9 activities 1-3 there, so it is an HDS host of them, with a host's EXI 30-31
    duties. With `maybe`, the places it may host the infrastructure of, as one of several
    declared parties of their provider (`infrastructure_maybe_places`)."""
    places = b.infrastructure_maybe_places if maybe else b.infrastructure_places
    return [(w.provider, w.region, w.country or "") for w in places(party_id)]


def party_facts(b: SubjectBuilder, party: Party, pi: int) -> dict[str, Fact]:
    d, kb = b.d, b.kb
    f = b.common()
    base = f"parties[{pi}]"
    b.party_facts(f, "party", party)
    b.put(f, "party.name", party.name, f"{base}.name")
    b.put(f, "party.role", party.role.value, f"{base}.role")
    for key in ("central_administration", "principal_establishment"):  # the seat's unless said
        declared = getattr(party, key)
        if declared is not None:
            b.put(f, f"party.{key}", declared, f"{base}.{key}")
        else:
            b.put(f, f"party.{key}", party.country, f"{base}.country")
    b.derived(f, "party.is_controller", party.id == d.controller, "compared with controller")
    operated = _operated(b, party.id)
    hosts = bool(operated)
    involved = (
        hosts
        or any(k.holder == party.id for k in d.keys)
        or any(k.hsm is not None and k.hsm.operator == party.id for k in d.keys)
        or any(a.entity == party.id for a in d.access)
    )
    b.derived(f, "party.hosts", hosts, "runs a component, copy or log sink holding personal data")
    infrastructure = _infrastructure_hosted(b, party.id)
    maybe = _infrastructure_hosted(b, party.id, maybe=True)
    # One of several declared parties of a provider may host the infrastructure of its places:
    # unknown (its host duties cannot be verified), never "hosts nothing" (fail closed).
    b.derived(
        f,
        "party.hosts_infrastructure",
        True if infrastructure else (None if maybe else False),
        "the provider's party whose systems hold a place another party or the controller runs "
        "(R.1111-9 activities 1-3, HDS-ACT-04)",
    )
    b.derived(f, "party.involved", involved, "operates, holds a key or its HSM, or accesses data")
    hds_activity_facts(b, f, party)
    provider = kb.provider(party.provider)
    if party.provider is not None:  # an unknown one lends no parent: say so where it is written
        b.put(f, "party.provider", party.provider, f"{base}.provider")
        b.derived(f, "party.provider_known", provider is not None, "knowledge-base lookup")
        if provider is None:
            b.derived(
                f,
                "party.provider_suggestion",
                kb.suggest("provider", party.provider) or " (no close match)",
                "nearest provider id",
            )
    if party.ownership is not None:
        b.put(
            f,
            "party.ownership",
            [
                {"holder": s.holder, "country": s.country, "percent": s.percent, "veto": s.veto}
                for s in party.ownership
            ],
            f"{base}.ownership",
        )
    if provider is not None:
        origin = f"kb:providers.yaml#{provider.id}"
        if provider.eu_controlled is not None:
            f["party.eu_controlled"] = fact_from(
                provider, "party.eu_controlled", provider.eu_controlled, origin
            )
        f["party.marketed_as_sovereign"] = fact_from(
            provider, "party.marketed_as_sovereign", bool(provider.marketed_as_sovereign), origin
        )
    snc = [
        c
        for c in d.certifications
        if c.holder == party.id and c.scheme is Scheme.SECNUMCLOUD and issued(b, c)
    ]
    offers = [c.offer for c in snc if c.offer]
    b.derived(
        f, "party.secnumcloud_offers", offers or ["none"], "declared SecNumCloud certifications"
    )
    claimed = d.claims.secnumcloud_offer
    if claimed is not None:
        b.derived(
            f,
            "party.secnumcloud_offer_qualified",
            claimed in offers,
            f"claims.secnumcloud_offer {claimed!r} against its SecNumCloud offers",
        )
    if d.claims.processors is not None:
        b.derived(
            f, "party.on_processor_list", party.id in d.claims.processors, "claims.processors"
        )
    hosted = operated + infrastructure  # EXI 31 maps the storage of both
    qualified = secnumcloud_qualified(b, party.id)
    transparency_facts(b, f, party, base, hosted, qualified, maybe=maybe)
    return f


def certification_facts(b: SubjectBuilder, cert: Certification, ci: int) -> dict[str, Fact]:
    f = b.common()
    base = f"certifications[{ci}]"
    b.put(f, "certification.holder", cert.holder, f"{base}.holder")
    b.put(f, "certification.scheme", cert.scheme.value, f"{base}.scheme")
    b.put(f, "certification.referential", cert.referential, f"{base}.referential")
    b.put(f, "certification.offer", cert.offer, f"{base}.offer")
    b.put(f, "certification.activities", list(cert.activities), f"{base}.activities")
    b.put(f, "certification.issued", cert.issued, f"{base}.issued")
    b.put(f, "certification.expires", cert.expires, f"{base}.expires")
    instrument = instrument_of(cert)
    if instrument is not None:
        b.put(f, "certification.instrument", instrument, f"{base}.referential")
    f["certification.validity"] = Fact(
        "certification.validity",
        {"issued": cert.issued, "expires": cert.expires, "instrument": instrument},
        b.at(f"{base}.issued" if cert.issued else base),
    )
    b.derived(
        f,
        "certification.not_valid_because",
        why_not_valid(b, cert, instrument),
        f"{base}'s dates and referential against the audit date and the knowledge base's "
        "referential dates",
    )
    return f


def _destinations(b: SubjectBuilder, recipient_id: str, recipient: Party | None) -> list[str]:
    """Where a transfer declared without `countries` (covering every country) takes data in
    this deployment: the recipient's seat, then every place it runs and every country it
    accesses from, in file order. A tool for "all countries" must meet the conditions of each
    (a TIA for the US copy an EEA entity makes, say), not only of the seat."""
    out = [recipient.country] if recipient is not None else []
    for s in b.technical():
        if s.kind not in ("place", "access"):
            continue
        to = s.facts.get("transfer.recipient")
        where = s.facts.get("location.country" if s.kind == "place" else "access.country")
        if to is not None and to.value == recipient_id and where is not None and where.value:
            out.append(where.value)
    return list(dict.fromkeys(out))


def transfer_subjects(b: SubjectBuilder, t: Transfer, ti: int) -> Iterator[Subject]:
    from residency_audit.engine.subjects import Subject

    d = b.d
    base = f"transfers[{ti}]"
    recipient = d.party(t.recipient)
    # No transfer within the EEA: those countries are left out, declared or implied (an
    # unknown country stays, and is judged).
    countries = [
        c
        for c in list(t.countries) or _destinations(b, t.recipient, recipient)
        if b.kb.in_eea(c, b.as_of) is not True
    ]
    kinds = sorted({x.tool.value for x in d.transfers if x.recipient == t.recipient})
    for country in countries:
        f = _transfer_facts(
            b,
            base,
            t.recipient,
            t.exporter or d.controller,
            country,
            t.tool,
            t.scc_module,
            onward=False,
            approval=t.approval,
            concluded=t.concluded,
            processing_unchanged=t.processing_unchanged,
        )
        b.derived(f, "transfer.recipient_tool_kinds", kinds, f"tools declared for {t.recipient}")
        b.put(f, "transfer.tia_date", t.tia_date, f"{base}.tia_date")
        b.put(f, "transfer.tia_reference", t.tia_reference, f"{base}.tia_reference")
        b.derived(f, "transfer.has_onward", bool(t.onward), f"{base}.onward")
        structural = any(c.operator == t.recipient for c in d.components) or any(
            a.entity == t.recipient for a in d.access
        )
        if structural:
            b.derived(f, "transfer.systematic", True, "the recipient hosts or accesses the data")
        elif t.occasional is not None:
            b.put(f, "transfer.systematic", not t.occasional, f"{base}.occasional")
        p = t.protected_recipient
        b.derived(f, "transfer.protected.claimed", p is not None, f"{base}.protected_recipient")
        if p is not None:
            pb = f"{base}.protected_recipient"
            b.put(
                f, "transfer.protected.legal_exemption", p.legal_exemption, f"{pb}.legal_exemption"
            )
            b.put(
                f,
                "transfer.protected.end_to_end_encrypted",
                p.end_to_end_encrypted,
                f"{pb}.end_to_end_encrypted",
            )
            b.put(
                f,
                "transfer.protected.key_only_at_recipient",
                p.key_only_at_recipient,
                f"{pb}.key_only_at_recipient",
            )
        yield Subject("transfer", f"transfer to {t.recipient} ({country})", None, t.span, f)
    for j, onward in enumerate(t.onward):
        f = _transfer_facts(
            b,
            f"{base}.onward[{j}]",
            onward.recipient,
            t.recipient,
            onward.country,
            onward.tool,
            onward.scc_module,
            onward=True,
        )
        b.derived(f, "transfer.protected.claimed", False, "onward transfers are not use case 4")
        yield Subject(
            "transfer",
            f"onward transfer by {t.recipient} to {onward.recipient} ({onward.country})",
            None,
            onward.span,
            f,
        )


def _transfer_facts(
    b: SubjectBuilder,
    base: str,
    recipient_id: str,
    exporter_id: str,
    country: str,
    tool: ToolKind | None,
    module: int | None,
    *,
    onward: bool,
    approval: str | None = None,
    concluded: dt.date | None = None,
    processing_unchanged: bool | None = None,
) -> dict[str, Fact]:
    d = b.d
    f = b.common()
    b.derived(f, "transfer.onward", onward, base)
    b.put(f, "transfer.recipient", recipient_id, f"{base}.recipient")
    b.put(f, "transfer.country", country, f"{base}.country" if onward else base)
    recipient, exporter = d.party(recipient_id), d.party(exporter_id)
    tools: list[dict[str, Any]] = []
    if tool is None:
        b.derived(f, "transfer.tool", "none", f"no tool declared at {base}")
    else:
        b.put(f, "transfer.tool", tool.value, f"{base}.tool")
        tools.append(
            {
                "tool": tool.value,
                "recipient": recipient_id,
                "country": country,
                "scc_module": module,
                "approval": approval,
                "concluded": concluded,
                "processing_unchanged": processing_unchanged,
                "systematic": True,
                "adequacy_scopes": list(recipient.adequacy_scopes) if recipient else [],
                "origin": b.at(f"{base}.tool"),
            }
        )
        if tool.value in _SCC:
            b.put(f, "transfer.instrument", _SCC[tool.value], f"{base}.tool")
    f["transfer.tools"] = Fact("transfer.tools", tools, b.at(f"{base}.tool"))
    b.put(f, "transfer.scc_module", module, f"{base}.scc_module")
    if recipient is not None:
        b.put(
            f,
            "recipient.country",
            recipient.country,
            b.party_path(recipient, "country"),
        )
        b.derived(
            f,
            "recipient.adequacy_scopes",
            list(recipient.adequacy_scopes) or ["none"],
            f"adequacy_scopes of {recipient_id}",
        )
        b.put(
            f,
            "recipient.role",
            gdpr_role(recipient.role),
            b.party_path(recipient, "role"),
        )
    if exporter is not None:
        b.put(f, "exporter.id", exporter.id, b.party_path(exporter, "id"))
        b.put(
            f,
            "exporter.role",
            gdpr_role(exporter.role),
            b.party_path(exporter, "role"),
        )
    roles = (
        gdpr_role(exporter.role) if exporter else None,
        gdpr_role(recipient.role) if recipient else None,
    )
    expected = _MODULES.get(roles)  # type: ignore[arg-type]
    if expected is not None:
        b.derived(
            f,
            "transfer.expected_scc_module",
            expected,
            f"exporter {roles[0]}, importer {roles[1]} (Decision 2021/914)",
        )
        if module is not None:
            b.derived(
                f,
                "transfer.scc_module_matches_roles",
                module == expected,
                f"module {module} against the roles",
            )
    return f

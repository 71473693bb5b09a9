"""The legal subjects: parties, certificates, declared transfers (and their onward flows) and
transit routes, each a flat map of facts with origins, like the places of `subjects.py` (whose
key-custody facts are in `custody.py`).

Derived facts that need the knowledge base on the as-of date (is this party's storage all in the
EEA? which EXI 31 wording does its status call for?) are computed here and say how; dates and
legal periods stay in `kb/data` and are read through operators by the rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from residency_audit.kb import fact_from
from residency_audit.kb.entries import Provenance, Provider
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
    from residency_audit.engine.places import Infrastructure
    from residency_audit.engine.subjects import Subject, SubjectBuilder


_INSTRUMENTS = {
    ("hds", "2018"): "hds-referential-2018",
    ("hds", "2024"): "hds-referential-2024",
    ("secnumcloud", "3.2"): "secnumcloud-3.2",
}
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


def legal_subjects(b: SubjectBuilder) -> Iterator[Subject]:
    from residency_audit.engine.subjects import Subject

    d = b.d
    for pi, party in enumerate(d.parties):
        yield Subject("party", f"party {party.id}", None, party.span, party_facts(b, party, pi))
    for ci, cert in enumerate(d.certifications):
        if not b.issued(cert):  # a certificate issued after the audit day did not exist on it
            continue
        yield Subject(
            "certification",
            f"{cert.scheme.value} certificate of {cert.holder}",
            None,
            cert.span,
            certification_facts(b, cert, ci),
        )
    for ti, transfer in enumerate(d.transfers):
        yield from transfer_subjects(b, transfer, ti)
    for ci, c in enumerate(d.components):
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
    return [
        (w.provider, w.region, w.country or "")
        for _, _, w in b.places()
        if b.host(w.operator, w.provider) == party_id
    ]


def _infrastructure_hosted(
    b: SubjectBuilder, party_id: str
) -> list[tuple[str | None, str | None, str]]:
    """(provider, region-or-None, country-or-None) of every place whose infrastructure the
    party hosts without running it (`SubjectBuilder.infrastructure_places`): it performs
    R.1111-9 activities 1-3 there, so it is an HDS host of them, with a host's EXI 30-31
    duties."""
    return [(w.provider, w.region, w.country or "") for w in b.infrastructure_places(party_id)]


def party_facts(b: SubjectBuilder, party: Party, pi: int) -> dict[str, Fact]:
    d, kb = b.d, b.kb
    f = b.common()
    base = f"parties[{pi}]"
    b.party_facts(f, "party", party)
    b.put(f, "party.name", party.name, f"{base}.name")
    b.put(f, "party.role", party.role.value, f"{base}.role")
    if party.central_administration is not None:
        b.put(
            f,
            "party.central_administration",
            party.central_administration,
            f"{base}.central_administration",
        )
    else:
        b.put(f, "party.central_administration", party.country, f"{base}.country")
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
    b.derived(
        f,
        "party.hosts_infrastructure",
        bool(infrastructure),
        "the provider's party whose systems hold a place another party or the controller runs "
        "(R.1111-9 activities 1-3, HDS-ACT-04)",
    )
    b.derived(f, "party.involved", involved, "operates, holds a key or its HSM, or accesses data")
    _hds_activities(b, f, party)
    provider = kb.provider(party.provider)
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
        if c.holder == party.id and c.scheme is Scheme.SECNUMCLOUD and b.issued(c)
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
    _transparency(b, f, party, base, hosted, secnumcloud_qualified(b, party.id))
    return f


def secnumcloud_qualified(b: SubjectBuilder, party_id: str) -> tuple[bool | None, str]:
    """Whether the party holds, on the audit day, a SecNumCloud 3.2 qualification for the offer
    used (`claims.secnumcloud_offer`, when the file names one), three-valued, and why.

    A qualification is judged as SNC-QUAL-02 judges it: under referential 3.2, in force, and
    valid on the audit day (`SubjectBuilder.covering` with its instrument, so an expired one, or
    one issued before version 3.2 existed, does not count); one of unknown referential or
    dates, or naming no offer when the file names the one used, may or may not count. EXI 31
    allows its "no third-country risk" wording only for a qualified offer (legal-notes §1.4)."""
    d = b.d
    claimed = d.claims.secnumcloud_offer
    verdicts: list[bool | None] = []
    for c in d.certifications:
        if c.holder != party_id or c.scheme is not Scheme.SECNUMCLOUD or not b.issued(c):
            continue
        instrument = hds_instrument(c)
        other_version = c.referential is not None and instrument is None
        counts = False if other_version else b.covering(c, instrument)
        if claimed is not None and c.offer != claimed:
            counts = None if c.offer is None and counts is not False else False
        verdicts.append(counts)
    offer = f" for offer {claimed!r}" if claimed is not None else ""
    if True in verdicts:
        return True, f"holds a SecNumCloud 3.2 qualification{offer} valid on the audit date"
    if None in verdicts:
        return None, (
            f"whether it holds a SecNumCloud 3.2 qualification{offer} valid on the audit date "
            "is unknown (referential, dates or offer not declared)"
        )
    return False, f"holds no SecNumCloud 3.2 qualification{offer} valid on the audit date"


ALL_HDS_ACTIVITIES = frozenset(range(1, 7))
"""The six hosting activities of art. R.1111-9 CSP."""


def _hosted_without_activities(b: SubjectBuilder, party_id: str) -> list[str]:
    """What the party hosts for the controller with no HDS activity declared for it: a
    component it runs without `hds_activities`, and a copy or a log sink holding personal
    data it runs for another party's component or for one without declared activities (a
    copy or log sink of a component it runs itself is covered by that component's). Who runs
    a place is `SubjectBuilder.host`, as for `party.hosts`."""
    d = b.d
    if party_id == d.controller:  # hosting its own data is no hosting on behalf of others
        return []
    covered = {  # its own component's activities cover its copies and logs
        ci
        for ci, c in enumerate(d.components)
        if c.hds_activities and b.host(c.operator, c.provider) == party_id
    }
    out = [
        c.id if w.role == "primary" else w.label
        for ci, c, w in b.places()
        if ci not in covered and b.host(w.operator, w.provider) == party_id
    ]
    return list(dict.fromkeys(out))


def _hds_activities(b: SubjectBuilder, f: dict[str, Fact], party: Party) -> None:
    """The HDS activities a party performs and whether its certificates cover them.

    Hosting health data on behalf of others is performing one or more of the six activities
    of R.1111-9 CSP (L.1111-8), whether the party hosts the primary data or a backup, replica or
    export of them. Where no activity is declared for what it hosts (a copy cannot declare
    any), which ones it performs is unknown: a party holding no HDS certificate at all covers
    none of them, as surely as an uncertified host of the primary data; one certified for only
    some activities may or may not cover them (cannot be verified); a certificate listing all
    six covers them whatever they are.
    """
    d = b.d
    declared = sorted(
        {
            a
            for c in d.components
            if b.host(c.operator, c.provider) == party.id
            for a in c.hds_activities
        }
    )
    undeclared = _hosted_without_activities(b, party.id)
    b.derived(
        f,
        "party.hds_activities",
        declared or ["none"],
        "hds_activities of the components it operates",
    )
    how = "hds_activities of the components it operates"
    if undeclared:
        how += (
            f"; hosts {', '.join(undeclared)} for the controller with no activity declared: "
            "one or more R.1111-9 activities"
        )
    b.derived(f, "party.performs_hds_activities", bool(declared or undeclared), how)
    certs = [
        c
        for c in d.certifications
        if c.holder == party.id and c.scheme is Scheme.HDS and b.issued(c)
    ]
    # Only a certificate valid on the audit day under a referential in force (HDS-CERT-01/02)
    # covers anything; one whose validity cannot be known leaves coverage unknown where it
    # would matter.
    counts = [(c, b.covering(c, hds_instrument(c))) for c in certs]
    scope = {a for c, ok in counts if ok for a in c.activities}
    unsure = [c for c, ok in counts if ok is None]
    maybe = {a for c in unsure for a in c.activities}
    # Text throughout (activity numbers and what is hosted alike): one type in saved results.
    uncovered = [str(a) for a in declared if a not in scope]
    provider = b.kb.provider(party.provider)
    kb_hds = provider is not None and any(c.scheme == "hds" for c in provider.certifications)
    if certs or not kb_hds:  # else certified per the knowledge base, scope unknown
        if not any(ok is not False for _, ok in counts):
            uncovered += undeclared  # no certificate covers whatever it performs there
        covered: bool | None = not uncovered
        if covered and undeclared and ALL_HDS_ACTIVITIES - scope:
            covered = None  # certified for some activities, performing undeclared ones
        if not covered and ((set(declared) - scope) & maybe or (undeclared and unsure)):
            covered = None  # a certificate of unknown validity may cover what is missing
        if covered is not None:
            b.derived(
                f,
                "party.hds_activities_covered",
                covered,
                "activities of its HDS certificates valid on the audit date against the "
                "declared ones, and hosting without declared activities against any certificate",
            )
    b.derived(
        f,
        "party.hds_uncovered",
        uncovered or ["none"],
        "activities, or what it hosts without declared activities, no certificate covers",
    )


INFRASTRUCTURE_ACTIVITIES = frozenset({1, 2, 3})
"""R.1111-9 activities 1-3 (physical sites, hardware, virtual infrastructure): what the provider
whose systems hold a place performs for it, at least. This is the engineering reading of
legal-notes §1.7 ("IaaS = 1-3/4", LSTI and CMS pages), not the wording of R.1111-9, which was
not read on Légifrance."""

_CERTIFIED = "place.infrastructure_certified"
_COVERAGE = "place.infrastructure_coverage"


def hds_instrument(cert: Certification) -> str | None:
    """The knowledge-base instrument of a declared certificate's referential, if known."""
    return _INSTRUMENTS.get((cert.scheme.value, cert.referential or ""))


def infrastructure_coverage(
    b: SubjectBuilder, f: dict[str, Fact], infra: Infrastructure, provider_id: str
) -> None:
    """Whether who hosts a place's infrastructure (`places.infrastructure_of`) is HDS-certified
    for activities 1-3 on the audit day (HDS-ACT-04): `place.infrastructure_certified`,
    absent when unknown, and `place.infrastructure_coverage` saying why, for the messages.

    A declared party is judged on its HDS certificates that count on the audit day
    (`SubjectBuilder.covering`, as HDS-ACT-01 does); one declaring none, or the provider itself
    when no party of it is declared, on the knowledge base's certifications of the provider
    (`_kb_coverage`)."""
    party = b.d.party(infra.party)
    if party is not None:
        declared = _declared_coverage(b, party.id)
        if declared is not None:
            covered, why = declared
            if covered is not None:
                how = f"HDS certificates of {party.id} valid on the audit date against "
                b.derived(f, _CERTIFIED, covered, how + "activities 1-3 (R.1111-9)")
            b.derived(f, _COVERAGE, why, "declared HDS certificates")
            return
    provider = b.kb.provider(party.provider if party is not None else infra.provider)
    if provider is None:
        if party is not None:  # no certificate declared, no knowledge-base entry to read
            b.derived(f, _CERTIFIED, False, f"no HDS certificate of {party.id} declared")
            b.derived(f, _COVERAGE, f"{party.id} declares no HDS certificate", "certifications")
        elif infra.candidates:
            names = ", ".join(infra.candidates)
            why = f"several declared parties of provider {provider_id} may host it ({names})"
            b.derived(f, _COVERAGE, why, "the file's order does not pick one")
        else:
            why = f"provider {provider_id} is not in the knowledge base, and no party of it is "
            why += "declared"
            b.derived(f, _COVERAGE, why, "knowledge-base lookup")
        return
    covered, why, entry = _kb_coverage(b, provider)
    if party is not None:
        why = f"{party.id} declares no HDS certificate, and {why}"
    origin = f"kb:providers.yaml#{provider.id}"
    if covered is not None:
        f[_CERTIFIED] = fact_from(entry, _CERTIFIED, covered, origin)
    f[_COVERAGE] = fact_from(entry, _COVERAGE, why, origin)


def _declared_coverage(b: SubjectBuilder, party_id: str) -> tuple[bool | None, str] | None:
    """Whether the party's HDS certificates that count on the audit day cover activities 1-3,
    and why; None when it declares no HDS certificate existing on that day."""
    certs = [
        c
        for c in b.d.certifications
        if c.holder == party_id and c.scheme is Scheme.HDS and b.issued(c)
    ]
    if not certs:
        return None
    counts = [(c, b.covering(c, hds_instrument(c))) for c in certs]
    scope = {a for c, ok in counts if ok for a in c.activities}
    missing = INFRASTRUCTURE_ACTIVITIES - scope
    if not missing:
        return True, f"HDS certificates of {party_id} valid on the audit date cover them"
    listed = ", ".join(str(a) for a in sorted(missing))
    maybe = {a for c, ok in counts if ok is None for a in c.activities}
    if missing <= maybe:
        return None, (
            f"whether {party_id} is certified for activities {listed} depends on an HDS "
            "certificate whose validity on the audit date is unknown"
        )
    return (
        False,
        f"no HDS certificate of {party_id} valid on the audit date covers activities {listed}",
    )


def _kb_coverage(b: SubjectBuilder, provider: Provider) -> tuple[bool | None, str, Provenance]:
    """Whether the provider's HDS certifications in the knowledge base, holding on the audit
    day (their own dates, and their referential's when recorded), list activities 1-3; unknown
    when one holds whose activities are not recorded. The entry the answer rests on comes
    with it, for its source and `verified` flag."""
    recorded = [c for c in provider.certifications if c.scheme == "hds"]
    held = [c for c in recorded if c.holds_on(b.as_of) and _referential_holds(b, c.referential)]
    name = provider.name
    if not held:
        on = " holding on the audit date" if recorded else ""
        why = f"the knowledge base records no HDS certification of {name}{on}"
        return False, why, recorded[0] if recorded else provider
    scope = {a for c in held for a in c.activities}
    if scope >= INFRASTRUCTURE_ACTIVITIES:
        full = next(c for c in held if c.activities)
        why = f"the knowledge base records an HDS certification of {name} covering them"
        return True, why, full
    unscoped = next((c for c in held if not c.activities), None)
    if unscoped is not None:
        why = f"the knowledge base records an HDS certification of {name} but not its scope "
        why += "(activities)"
        return None, why, unscoped
    listed = ", ".join(str(a) for a in sorted(INFRASTRUCTURE_ACTIVITIES - scope))
    why = f"the HDS certifications of {name} in the knowledge base do not cover activities {listed}"
    return False, why, held[0]


def _referential_holds(b: SubjectBuilder, referential: str | None) -> bool:
    """A knowledge-base HDS certification's referential is in force on the audit day, or not
    recorded (then its own dates decide)."""
    instrument = _INSTRUMENTS.get(("hds", referential or ""))
    entry = b.kb.instrument(instrument) if instrument else None
    return entry is None or entry.holds_on(b.as_of)


def _transparency(
    b: SubjectBuilder,
    f: dict[str, Fact],
    party: Party,
    base: str,
    operated: list[tuple[str | None, str | None, str]],
    qualified: tuple[bool | None, str],
) -> None:
    t = party.transparency
    if t is not None:
        tb = f"{base}.transparency"
        b.put(f, "party.transparency.url", t.url, f"{tb}.url")
        b.put(
            f, "party.transparency.wording", t.wording.value if t.wording else None, f"{tb}.wording"
        )
        b.put(f, "party.transparency.laws", list(t.laws), f"{tb}.laws")
        b.put(f, "party.transparency.mitigations", t.mitigations, f"{tb}.mitigations")
        b.put(f, "party.transparency.residual_risks", t.residual_risks, f"{tb}.residual_risks")
    expected = _expected_wording(b, party, operated, qualified[0])
    if expected is not None:
        b.derived(
            f,
            "party.transparency.expected_wording",
            expected,
            f"{qualified[1]}; non-EEA storage or access, and third-country law exposure on the "
            "as-of date (EXI 31)",
        )
        if t is not None and t.wording is not None:
            b.derived(
                f,
                "party.transparency.wording_matches",
                t.wording.value == expected,
                f"declared wording against the expected one, {expected} ({qualified[1]})",
            )


def _expected_wording(
    b: SubjectBuilder,
    party: Party,
    operated: list[tuple[str | None, str | None, str]],
    qualified: bool | None,
) -> str | None:
    kb, day = b.kb, b.as_of
    if qualified is None:
        return None  # fail closed: "no third-country risk" may or may not be the statement due
    if qualified:
        return "secnumcloud"
    outside = False
    for provider_id, region, country in operated:
        code = country or None
        if code is None and region is not None and provider_id is not None:
            known = kb.region(provider_id, region)
            code = known.country if known else None
        eea = kb.in_eea(code, day)
        if eea is None:
            return None  # fail closed: a place nobody can locate
        outside = outside or not eea
    for a in b.d.access:
        if a.entity == party.id:
            eea = kb.in_eea(a.country, day)
            if eea is None:
                return None
            outside = outside or not eea
    parent = party.parent.country if party.parent else None
    if parent is None:
        provider = kb.provider(party.provider)
        parent = provider.parent.country if provider else party.country
    exposed = not (kb.in_eea(parent, day) or kb.generally_adequate(parent, day)) and bool(
        kb.compelled_access_laws(parent, day)
    )
    return "table" if outside or exposed else "no-transfer"


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
    instrument = _INSTRUMENTS.get((cert.scheme.value, cert.referential or ""))
    if instrument is not None:
        b.put(f, "certification.instrument", instrument, f"{base}.referential")
    f["certification.validity"] = Fact(
        "certification.validity",
        {"issued": cert.issued, "expires": cert.expires, "instrument": instrument},
        b.at(f"{base}.issued" if cert.issued else base),
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

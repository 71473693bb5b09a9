"""HDS hosting: the R.1111-9 activities a party performs and whether its certificates cover
them (HDS-ACT-01), and whether whoever hosts a place's infrastructure is certified for
activities 1-3 (HDS-ACT-04).

Which activities a host performs is often not declared (a copy cannot declare any), and a
certificate's coverage depends on its validity on the audit day (`certificates.covering`) and,
for a host declaring no certificate, on the knowledge base's record of its provider: the
answers are three-valued and say why, so the rules can tell "not covered" from "cannot be
verified". The party subjects of `legal_subjects.py` and the places of `subjects.py` carry them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from residency_audit.engine.certificates import INSTRUMENTS, covering, instrument_of, issued
from residency_audit.kb import fact_from
from residency_audit.kb.entries import Provenance, Provider
from residency_audit.model import Fact, Party, Scheme

if TYPE_CHECKING:
    from residency_audit.engine.places import Infrastructure
    from residency_audit.engine.subjects import SubjectBuilder


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


def hds_activity_facts(b: SubjectBuilder, f: dict[str, Fact], party: Party) -> None:
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
        if c.holder == party.id and c.scheme is Scheme.HDS and issued(b, c)
    ]
    # Only a certificate valid on the audit day under a referential in force (HDS-CERT-01/02)
    # covers anything; one whose validity cannot be known leaves coverage unknown where it
    # would matter.
    counts = [(c, covering(b, c, instrument_of(c))) for c in certs]
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


def infrastructure_coverage(
    b: SubjectBuilder, f: dict[str, Fact], infra: Infrastructure, provider_id: str
) -> None:
    """Whether who hosts a place's infrastructure (`places.infrastructure_of`) is HDS-certified
    for activities 1-3 on the audit day (HDS-ACT-04): `place.infrastructure_certified`,
    absent when unknown, and `place.infrastructure_coverage` saying why, for the messages.

    A declared party is judged on its HDS certificates that count on the audit day
    (`certificates.covering`, as HDS-ACT-01 does); one declaring none, or the provider itself
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
        if c.holder == party_id and c.scheme is Scheme.HDS and issued(b, c)
    ]
    if not certs:
        return None
    counts = [(c, covering(b, c, instrument_of(c))) for c in certs]
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
    instrument = INSTRUMENTS.get(("hds", referential or ""))
    entry = b.kb.instrument(instrument) if instrument else None
    return entry is None or entry.holds_on(b.as_of)

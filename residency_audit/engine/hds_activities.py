"""HDS hosting: the R.1111-9 activities a party performs and whether its certificates cover
them (HDS-ACT-01), and what a set of HDS certificates covers on the audit day, which
HDS-ACT-04 reads too (`hds_infrastructure.py`).

Which activities a host performs is often not declared (a copy cannot declare any), and a
certificate's coverage depends on its validity on the audit day (`certificates.covering`), on
the activities it lists (none listed: scope unknown) and, for a host declaring no certificate,
on the knowledge base's record of its provider: the answers are three-valued and say why, so
the rules can tell "not covered" from "cannot be verified". The party subjects of
`legal_subjects.py` carry them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from residency_audit.engine.certificates import covering, instrument_of, issued
from residency_audit.model import Certification, Fact, Party, Scheme

if TYPE_CHECKING:
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
    run = b.run_by(party_id)
    covered = {  # its own component's activities cover its copies and logs
        ci for ci, c, w in run if w.role == "primary" and c.hds_activities
    }
    out = [c.id if w.role == "primary" else w.label for ci, c, w in run if ci not in covered]
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
        {a for _, c, w in b.run_by(party.id) if w.role == "primary" for a in c.hds_activities}
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
    # covers anything; one whose validity or scope cannot be known leaves coverage unknown
    # where it would matter.
    counts = [(c, covering(b, c, instrument_of(c))) for c in certs]
    scope, maybe = certificate_scopes(b, certs, counts)
    unsure = [c for c, ok in counts if ok is None or (ok and not c.activities)]
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


def certificate_scopes(
    b: SubjectBuilder,
    certs: list[Certification],
    counts: list[tuple[Certification, bool | None]] | None = None,
) -> tuple[set[int], set[int]]:
    """(activities surely covered, activities that may be) by the HDS certificates `certs` on
    the audit day: a certificate counting then (`certificates.covering`) covers the activities
    it lists; one whose validity is unknown may cover them, and one listing no activities has
    an unknown scope, so it may cover any of the six. HDS-ACT-01 and HDS-ACT-04 both read
    coverage here, so that they agree. `counts` is each certificate with `covering`'s answer,
    when the caller has it already."""
    if counts is None:
        counts = [(c, covering(b, c, instrument_of(c))) for c in certs]
    scope = {a for c, ok in counts if ok for a in c.activities}
    maybe = {
        a
        for c, ok in counts
        if ok is not False and (ok is None or not c.activities)
        for a in (c.activities or ALL_HDS_ACTIVITIES)
    }
    return scope, maybe

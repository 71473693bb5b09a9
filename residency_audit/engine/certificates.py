"""Declared certificates on the audit day: the knowledge-base instrument of each one's
referential, whether it exists, is valid and counts then (as HDS-CERT-01/02 judge it), and so
which HDS referential, 2018 or 2024, binds each host (`BINDS`).

Every kind of subject reads `BINDS`, and the certification, party and place facts all ask
whether a certificate counts: they must agree, so one module answers, from the builder's
deployment, knowledge base and day (`subjects.SubjectBuilder`, which keeps the bindings once
found in `hds_bindings`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from residency_audit.engine.operators import (
    OPERATORS,
    Context,
    certificate_verdict,
    earliest_issue,
)
from residency_audit.kb import fact_from, rely
from residency_audit.model import Certification, Fact, Party, Role, Scheme

if TYPE_CHECKING:
    from residency_audit.engine.subjects import SubjectBuilder


BINDS = "hds.referential_2024_binds"
"""The fact saying whether the 2024 HDS referential binds the host(s) a subject is about."""

INSTRUMENTS = {
    ("hds", "2018"): "hds-referential-2018",
    ("hds", "2024"): "hds-referential-2024",
    ("secnumcloud", "3.2"): "secnumcloud-3.2",
}
"""The knowledge-base instrument of each (scheme, referential) a certificate may declare."""


def instrument_of(cert: Certification) -> str | None:
    """The knowledge-base instrument of a declared certificate's referential, if known."""
    return INSTRUMENTS.get((cert.scheme.value, cert.referential or ""))


def issued(b: SubjectBuilder, cert: Certification) -> bool:
    """The certificate exists on the audit day: issued by then, or with no issue date (then
    judged, and HDS-CERT-01 says its validity cannot be verified). One issued later did not
    exist on that day: it neither covers nor is judged. With no issue date, a certificate
    whose expiry lies more than its referential's length (`certificate_years`) after the audit
    day was necessarily issued later (`earliest_issue`)."""
    if cert.issued is not None:
        return cert.issued <= b.as_of
    instrument = b.kb.instrument(instrument_of(cert) or "")
    earliest = earliest_issue(cert.expires, instrument)
    if earliest is None or instrument is None:
        return True
    origin = f"kb:instruments.yaml#{instrument.id}"
    rely(
        [fact_from(instrument, f"{origin}.certificate_years", instrument.certificate_years, origin)]
    )
    return earliest <= b.as_of


def valid(b: SubjectBuilder, cert: Certification, instrument: str | None) -> bool | None:
    """Whether a certificate is valid on the audit day, as HDS-CERT-01/02 decide it
    (`certificate_current` on its issue, expiry and referential); None when that cannot be
    known (no issue date and no expiry, say)."""
    is_valid, used, _ = _verdict(b, cert, instrument)
    rely(used)  # a coverage resting on an unverified referential date relies on it
    return is_valid


def why_not_valid(b: SubjectBuilder, cert: Certification, instrument: str | None) -> str:
    """Why a certificate is not valid on the audit day, in words (HDS-CERT-01's message: its
    dates alone do not say that a certificate within them was issued under a referential not
    yet applying); empty when it is valid or that is unknown."""
    return _verdict(b, cert, instrument)[2] or ""


def _verdict(
    b: SubjectBuilder, cert: Certification, instrument: str | None
) -> tuple[bool | None, list[Fact], str | None]:
    """`certificate_current`'s verdict on a declared certificate on the audit day, found once
    per file (`SubjectBuilder.verdicts`): the certificate's own subject, its holder's party
    and the HDS binding of its hosts each ask (its facts are only read)."""
    key = (id(cert), instrument)
    found = b.verdicts.get(key)
    if found is None:
        validity = {"issued": cert.issued, "expires": cert.expires, "instrument": instrument}
        found = b.verdicts[key] = certificate_verdict(validity, Context(b.kb, b.as_of, None))
    return found


def covering(b: SubjectBuilder, cert: Certification, instrument: str | None) -> bool | None:
    """Whether a certificate counts on the audit day: valid (HDS-CERT-01) under a referential
    in force (HDS-CERT-02), three-valued (False if either is known false)."""
    current = valid(b, cert, instrument)
    ctx = Context(b.kb, b.as_of, None)
    in_force, used = OPERATORS["in_force"].apply(instrument, True, ctx)
    rely(used)
    if current is False or in_force is False:
        return False
    return True if current and in_force else None


def hds_binding(b: SubjectBuilder, host: str | None) -> Fact:
    """Whether the 2024 referential (EXI 05 H, 12, 14, 28-31) binds `host` on the audit
    day: every host once 2018 certificates ended; before, not a host holding a current 2018
    certificate issued while new applicants could still get one (in its transition) and no
    2024 certificate. Anything else, an unknown referential or host included, binds (fail
    closed)."""
    if host not in b.hds_bindings:
        b.hds_bindings[host] = _hds_binding(b, host)
    return b.hds_bindings[host]


def _hds_binding(b: SubjectBuilder, host: str | None) -> Fact:
    old = b.kb.instrument("hds-referential-2018")
    if old is None or old.valid_until is None:
        return Fact(BINDS, True, "derived: 2018 HDS certificates no longer valid on the audit date")
    if b.as_of >= old.valid_until:
        # The knowledge base's end of the 2018 transition decides it: a rule reading this
        # fact rests on that entry, which the report lists if unverified (`kb.rely`).
        return fact_from(old, BINDS, True, f"kb:instruments.yaml#{old.id}")
    certs = [
        (i, c)
        for i, c in enumerate(b.d.certifications)
        if c.holder == host and c.scheme is Scheme.HDS
    ]
    in_transition = [i for i, c in certs if c.referential == "2018" and _current(b, c)]
    # A 2024 certificate ends the transition from its issue (one with no issue date is
    # taken as held: fail closed).
    held_2024 = any(c.referential == "2024" and issued(b, c) for _, c in certs)
    if in_transition and not held_2024:
        return Fact(BINDS, False, b.at(f"certifications[{in_transition[0]}].referential"))
    who = host if host is not None else "the host of a place (none declared)"
    how = f"{who} holds no current 2018 HDS certificate in its transition"
    return Fact(BINDS, True, f"derived: {how}")


def _current(b: SubjectBuilder, cert: Certification) -> bool:
    """A 2018 HDS certificate with a known issue date, valid on the audit day (the rules of
    HDS-CERT-01: three years from issue, its expiry, none issued from 16 November 2024)."""
    if cert.issued is None:
        return False  # issued before new applicants moved to 2024? Nobody knows.
    return valid(b, cert, "hds-referential-2018") is True


def hds_binding_of(b: SubjectBuilder, hosts: Sequence[str | None], what: str) -> Fact:
    """Whether the 2024 referential binds any of `hosts` (who the hosting of `what` rests
    on): false only when every one of them is in its 2018 transition."""
    facts = [hds_binding(b, h) for h in hosts]
    bound = next((x for x in facts if x.value), None)
    if bound is not None:
        return bound
    if len(facts) == 1:
        return facts[0]
    if not facts:
        return Fact(BINDS, True, f"derived: no third-party host of {what} is in a transition")
    names = ", ".join(str(h) for h in hosts)
    how = f"every host of {what} ({names}) holds a 2018 HDS certificate in its transition"
    return Fact(BINDS, False, f"derived: {how}")


def party_binding(b: SubjectBuilder, party: Party) -> Fact:
    """A host's own certificate decides what binds it, the host of a place's infrastructure
    (HDS-ACT-04) included. A sub-processor's exposure is also disclosed by the hosts it
    works for, and a party that hosts nothing (a key holder, an accessing entity) is judged
    for the hosts it serves: bound when any host is."""
    hosts = b.hosts()
    hosting = party.id in hosts or bool(b.infrastructure_places(party.id))
    if hosting and party.role is not Role.SUB_PROCESSOR:
        return hds_binding(b, party.id)
    return hds_binding_of(b, hosts, "the deployment")

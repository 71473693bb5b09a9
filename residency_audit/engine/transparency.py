"""EXI 31 transparency: the wording a host's statement on third-country access is due to use
on the audit day, against the one it declares, and the SecNumCloud 3.2 qualification that
alone allows the "no third-country risk" wording.

The wording due depends on where the party stores and accesses data, on its parent's laws and
on a qualification valid on the audit day (`certificates.covering`); when the qualification, or
where a place or an access is, is unknown, no wording is expected, so the rules cannot pass on
a guess (fail closed). The party subjects of `legal_subjects.py` carry these facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from residency_audit.engine.certificates import covering, instrument_of, issued
from residency_audit.engine.operators import exposing_laws
from residency_audit.model import Fact, Party, Scheme

if TYPE_CHECKING:
    from residency_audit.engine.subjects import SubjectBuilder


def secnumcloud_qualified(b: SubjectBuilder, party_id: str) -> tuple[bool | None, str]:
    """Whether the party holds, on the audit day, a SecNumCloud 3.2 qualification for the offer
    used (`claims.secnumcloud_offer`), three-valued, and why.

    A qualification is judged as SNC-QUAL-02 judges it: under referential 3.2, in force, and
    valid on the audit day (`certificates.covering` with its instrument, so an expired one, or
    one issued before version 3.2 existed, does not count); one of unknown referential or
    dates may or may not count. It counts only for the offer used: one naming another offer
    does not; one naming no offer, or any qualification when the file does not name the offer
    used, may or may not be for it (unknown, as SNC-QUAL-01 finds it). EXI 31 allows its "no
    third-country risk" wording only for a qualified offer (legal-notes §1.4)."""
    d = b.d
    claimed = d.claims.secnumcloud_offer
    verdicts: list[bool | None] = []
    for c in d.certifications:
        if c.holder != party_id or c.scheme is not Scheme.SECNUMCLOUD or not issued(b, c):
            continue
        instrument = instrument_of(c)
        other_version = c.referential is not None and instrument is None
        counts = False if other_version else covering(b, c, instrument)
        if claimed is not None and c.offer is not None and c.offer != claimed:
            counts = False  # a qualification of another offer than the one used
        elif (claimed is None or c.offer is None) and counts is not False:
            counts = None  # which offer it qualifies, or which offer is used, is not said
        verdicts.append(counts)
    offer = f" for offer {claimed!r}" if claimed is not None else ""
    if True in verdicts:
        return True, f"holds a SecNumCloud 3.2 qualification{offer} valid on the audit date"
    if None in verdicts:
        return None, (
            f"whether it holds a SecNumCloud 3.2 qualification{offer} valid on the audit date "
            "is unknown (referential, dates, the offer it qualifies or the offer used, "
            "claims.secnumcloud_offer, not declared)"
        )
    return False, f"holds no SecNumCloud 3.2 qualification{offer} valid on the audit date"


def transparency_facts(
    b: SubjectBuilder,
    f: dict[str, Fact],
    party: Party,
    base: str,
    operated: list[tuple[str | None, str | None, str]],
    qualified: tuple[bool | None, str],
    *,
    maybe: Sequence[tuple[str | None, str | None, str]] = (),
) -> None:
    """The party's declared EXI 31 statement (`party.transparency.*`), the wording due to it on
    the audit day, and whether the declared one matches. `maybe` are the places it may host
    (one of several candidate hosts of their infrastructure): when they change the wording
    due, that wording is unknown (fail closed)."""
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
    if maybe and _expected_wording(b, party, [*operated, *maybe], qualified[0]) != expected:
        expected = None  # it depends on places it may or may not host
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
    exposed = _exposed(b, party)
    if qualified:
        # SecNumCloud 3.2 (§19.6) qualifies no offer of a host that third-country law reaches:
        # a qualification declared for one contradicts its exposure (SNC-196-B), so the
        # "no third-country risk" wording may not be due either (fail closed)
        return "secnumcloud" if exposed is False else None
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
    if outside or exposed:
        return "table"
    return None if exposed is None else "no-transfer"  # fail closed: whose law reaches it


def _exposed(b: SubjectBuilder, party: Party) -> bool | None:
    """Whether third-country law that can compel access reaches the party (EXI 30 exposure)
    through its seat or its ultimate parent (declared, else its provider's in the knowledge
    base); None when its seat's law does not and its parent is not known, as everywhere else
    (`SubjectBuilder.party_facts`): a parent elsewhere may bring such a law."""
    kb, day = b.kb, b.as_of
    parent = party.parent.country if party.parent else None
    if parent is None and (provider := kb.provider(party.provider)) is not None:
        parent = provider.parent.country
    if any(exposing_laws(kb, c, day) for c in (party.country, parent) if c is not None):
        return True
    return None if parent is None else False

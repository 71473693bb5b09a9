"""HDS-ACT-04: whether whoever hosts a place's infrastructure (`places.infrastructure_of`) is
HDS-certified for R.1111-9 activities 1-3 on the audit day, why, and the knowledge it rests on.

A declared party is judged on its declared HDS certificates, as HDS-ACT-01 judges them; the
knowledge-base provider on the HDS certifications the knowledge base records for it. The answer
is three-valued: the knowledge base omits what it does not know ("HDS status unknown"), so a
provider with no certification recorded is unknown, never uncertified; only a recorded one that
has ended, or whose recorded activities miss 1-3, is known not to cover them. Each answer cites
the entry it rests on (the certification, not the provider), so an unverified one is listed as
knowledge used whether the rule fails, passes or cannot be verified.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from residency_audit.engine.certificates import INSTRUMENTS, issued
from residency_audit.engine.hds_activities import certificate_scopes
from residency_audit.kb import fact_from, rely
from residency_audit.kb.entries import Provenance, Provider
from residency_audit.model import Certification, Fact, Party, Scheme
from residency_audit.records import Record, record

if TYPE_CHECKING:
    from residency_audit.engine.places import Infrastructure
    from residency_audit.engine.subjects import SubjectBuilder


INFRASTRUCTURE_ACTIVITIES = frozenset({1, 2, 3})
"""R.1111-9 activities 1-3 (physical sites, hardware, virtual infrastructure): what the provider
whose systems hold a place performs for it, at least. This is the engineering reading of
legal-notes §1.7 ("IaaS = 1-3/4", LSTI and CMS pages), not the wording of R.1111-9, which was
not read on Légifrance."""

_CERTIFIED = "place.infrastructure_certified"
_COVERAGE = "place.infrastructure_coverage"


@record
class Coverage(Record):
    """Whether one host is certified for activities 1-3 (None: unknown), why, and where that
    comes from: a knowledge-base entry (`entry`, cited as `origin`) or the deployment
    (`origin` says how it was derived)."""

    covered: bool | None
    why: str
    origin: str
    entry: Provenance | None = None

    def fact(self, path: str, value: object) -> Fact:
        if self.entry is not None:
            return fact_from(self.entry, path, value, self.origin)
        return Fact(path, value, self.origin)


def activities(numbers: set[int] | frozenset[int]) -> str:
    """`activity 3` or `activities 1, 2`, as the messages say them."""
    listed = ", ".join(str(a) for a in sorted(numbers))
    return f"activit{'y' if len(numbers) == 1 else 'ies'} {listed}"


def infrastructure_coverage(
    b: SubjectBuilder,
    f: dict[str, Fact],
    infra: Infrastructure,
    provider_id: str,
    *,
    operated: Fact | None = None,
) -> None:
    """`place.infrastructure_certified` (absent when unknown) and `place.infrastructure_coverage`
    saying why, for the messages, of a place whose infrastructure a third party hosts.

    With several candidate parties of the provider, whichever hosts it is judged: covered when
    every candidate is, not covered when none is, else unknown. In a region another entity
    than the provider's own operates (`operated`), nobody known hosts it: unknown, saying who
    operates the region."""
    if infra.party is not None:
        party = b.d.party(infra.party)
        assert party is not None  # infrastructure_of picks among the declared parties
        _put(f, party_coverage(b, party))
        return
    if infra.candidates:
        _put(f, _candidates_coverage(b, infra.candidates, provider_id))
        return
    if operated is not None:
        why = (
            f"its region is operated by {operated.value}, not by {provider_id}'s own entities: "
            "no declared party is known to host that region's systems"
        )
        b.derived(f, _COVERAGE, why, operated.origin)
        return
    provider = b.kb.provider(infra.provider)
    if provider is None:
        why = f"provider {provider_id} is not in the knowledge base, and no party of it is declared"
        b.derived(f, _COVERAGE, why, "knowledge-base lookup")
        return
    _put(f, kb_coverage(b, provider))


def _put(f: dict[str, Fact], coverage: Coverage) -> None:
    if coverage.covered is not None:
        f[_CERTIFIED] = coverage.fact(_CERTIFIED, coverage.covered)
    f[_COVERAGE] = coverage.fact(_COVERAGE, coverage.why)


def _candidates_coverage(
    b: SubjectBuilder, candidates: tuple[str, ...], provider_id: str
) -> Coverage:
    """Whichever of several declared parties of the provider hosts the place: covered if each
    is, not if none is, unknown otherwise. The knowledge each answer rests on is noted as
    relied on (`kb.rely`): the combined facts are derived."""
    parties = [p for p in (b.d.party(c) for c in candidates) if p is not None]
    each = [party_coverage(b, p) for p in parties]
    rely(c.fact(_COVERAGE, c.why) for c in each)
    reasons = "; ".join(c.why for c in each)
    names = ", ".join(candidates)
    verdicts = {c.covered for c in each}
    how = f"derived: HDS certificates of each declared party of provider {provider_id} ({names})"
    if verdicts == {True}:
        why = f"each declared party of provider {provider_id} that may host it ({names}) is: "
        return Coverage(True, why + reasons, how)
    if verdicts == {False}:
        why = f"none of the declared parties of provider {provider_id} that may host it "
        return Coverage(False, f"{why}({names}) is: {reasons}", how)
    why = f"several declared parties of provider {provider_id} may host it ({names}), and the "
    return Coverage(None, f"{why}file does not say which: {reasons}", how)


def party_coverage(b: SubjectBuilder, party: Party) -> Coverage:
    """A declared party: its HDS certificates existing on the audit day; one declaring none is
    uncertified (as HDS-ACT-01 judges it), unless the knowledge base records an HDS
    certification of its provider, which then decides."""
    certs = [c for c in b.d.certifications if c.holder == party.id and c.scheme is Scheme.HDS]
    existing = [c for c in certs if issued(b, c)]
    if existing:
        return _declared_coverage(b, party.id, existing)
    none = f"{party.id} declares no HDS certificate"
    if certs:  # only certificates issued after the audit day: none existed on it
        none += " valid yet (issued after the audit date)"
    provider = b.kb.provider(party.provider)
    if provider is None:
        return Coverage(False, none, f"derived: no HDS certificate of {party.id} declared")
    known = kb_coverage(b, provider)
    if known.entry is None:  # the knowledge base records no HDS certification either
        how = f"derived: no HDS certificate of {party.id} declared, "
        how += f"and no HDS certification recorded in kb:providers.yaml#{provider.id}"
        return Coverage(False, f"{none}, and {known.why}", how)
    return Coverage(known.covered, f"{none}, and {known.why}", known.origin, known.entry)


def _declared_coverage(b: SubjectBuilder, party_id: str, certs: list[Certification]) -> Coverage:
    """Whether the party's HDS certificates existing on the audit day cover activities 1-3:
    one valid then (as HDS-ACT-01 counts it) listing them does; one of unknown validity, or
    listing no activities (scope unknown), may."""
    scope, maybe = certificate_scopes(b, certs)
    how = f"derived: HDS certificates of {party_id} valid on the audit date against "
    how += "activities 1-3 (R.1111-9)"
    missing = INFRASTRUCTURE_ACTIVITIES - scope
    if not missing:
        why = f"HDS certificates of {party_id} valid on the audit date cover them"
        return Coverage(True, why, how)
    if missing <= maybe:
        why = f"whether {party_id} is certified for {activities(missing)} depends on an HDS "
        why += "certificate whose validity on the audit date, or whose scope, is unknown"
        return Coverage(None, why, how)
    why = f"no HDS certificate of {party_id} valid on the audit date covers {activities(missing)}"
    return Coverage(False, why, how)


def kb_coverage(b: SubjectBuilder, provider: Provider) -> Coverage:
    """Whether the provider's HDS certifications in the knowledge base, holding on the audit
    day (their own dates, and their referential's when recorded), list activities 1-3, citing
    the certification decided on. None recorded is unknown (the knowledge base omits what it
    does not know); one holding whose activities are not recorded leaves the scope unknown."""
    name = provider.name
    recorded = [(i, c) for i, c in enumerate(provider.certifications) if c.scheme == "hds"]
    if not recorded:
        why = f"the knowledge base records no HDS certification of {name} (its HDS status is "
        why += "not recorded, not known to be none)"
        return Coverage(None, why, f"derived: no HDS certification recorded in {_at(provider)}")
    held = [
        (i, c) for i, c in recorded if c.holds_on(b.as_of) and _referential_holds(b, c.referential)
    ]
    if not held:
        i, c = recorded[0]
        why = f"the knowledge base records no HDS certification of {name} holding on the audit date"
        return Coverage(False, why, _at(provider, i), c)
    scope = {a for _, c in held for a in c.activities}
    if scope >= INFRASTRUCTURE_ACTIVITIES:
        i, c = next((i, c) for i, c in held if set(c.activities) & INFRASTRUCTURE_ACTIVITIES)
        why = f"the knowledge base records an HDS certification of {name} covering them"
        return Coverage(True, why, _at(provider, i), c)
    unscoped = next(((i, c) for i, c in held if not c.activities), None)
    if unscoped is not None:
        i, c = unscoped
        why = f"the knowledge base records an HDS certification of {name} but not its scope "
        why += "(activities)"
        return Coverage(None, why, _at(provider, i), c)
    i, c = held[0]
    missing = INFRASTRUCTURE_ACTIVITIES - scope
    why = f"the HDS certifications of {name} in the knowledge base do not cover "
    return Coverage(False, why + activities(missing), _at(provider, i), c)


def _at(provider: Provider, index: int | None = None) -> str:
    """The origin of a provider's entry, or of its certification number `index`."""
    origin = f"kb:providers.yaml#{provider.id}"
    return origin if index is None else f"{origin}/certifications[{index}]"


def _referential_holds(b: SubjectBuilder, referential: str | None) -> bool:
    """A knowledge-base HDS certification's referential is in force on the audit day, or not
    recorded (then its own dates decide)."""
    instrument = INSTRUMENTS.get(("hds", referential or ""))
    entry = b.kb.instrument(instrument) if instrument else None
    return entry is None or entry.holds_on(b.as_of)

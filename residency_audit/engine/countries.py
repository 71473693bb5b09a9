"""Country codes a deployment declares that the knowledge base does not know.

Every rule about a country (EEA, adequacy, compelled-access laws) reads it from the knowledge
base; a code it does not know (`UK` for GB, `EL` for Greece, `fr`) leaves those rules unknown.
Each such code becomes a `country` subject, judged by CORE-KB-04 on the line it is written, with
the nearest known code: a typo is named where it is, not only felt in other findings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from residency_audit.kb import UNKNOWN_COUNTRY
from residency_audit.model import Deployment, Fact

if TYPE_CHECKING:
    from residency_audit.engine.subjects import Subject, SubjectBuilder


def declared_countries(d: Deployment) -> Iterator[tuple[str, str]]:
    """(code, YAML path) of every country code the deployment declares."""
    for i, p in enumerate(d.parties):
        yield p.country, f"parties[{i}].country"
        if p.parent is not None:
            yield p.parent.country, f"parties[{i}].parent.country"
        for j, share in enumerate(p.ownership or ()):
            yield share.country, f"parties[{i}].ownership[{j}].country"
    if d.data.pseudonymisation is not None:
        yield d.data.pseudonymisation.country, "data.pseudonymisation.country"
    for i, c in enumerate(d.components):
        base = f"components[{i}]"
        if c.country is not None:
            yield c.country, f"{base}.country"
        for j, copy in enumerate(c.copies):
            if copy.country is not None:
                yield copy.country, f"{base}.copies[{j}].country"
        for j, log in enumerate(c.logs):
            if log.country is not None:
                yield log.country, f"{base}.logs[{j}].country"
        for j, transit in enumerate(c.transit):
            yield transit.country, f"{base}.transit[{j}].country"
    for i, k in enumerate(d.keys):
        if k.country is not None:
            yield k.country, f"keys[{i}].country"
        if k.hsm is not None:
            yield k.hsm.jurisdiction, f"keys[{i}].hsm.jurisdiction"
    for i, a in enumerate(d.access):
        yield a.country, f"access[{i}].country"
    for i, t in enumerate(d.transfers):
        for j, code in enumerate(t.countries):
            yield code, f"transfers[{i}].countries[{j}]"
        for j, onward in enumerate(t.onward):
            yield onward.country, f"transfers[{i}].onward[{j}].country"


def unknown_country_subjects(b: SubjectBuilder) -> Iterator[Subject]:
    """One `country` subject per declared code the knowledge base does not know, but ZZ: a
    country declared unknown on purpose leaves its rules "cannot be verified" already."""
    from residency_audit.engine.subjects import Subject

    d, kb = b.d, b.kb
    for code, path in declared_countries(d):
        if code == UNKNOWN_COUNTRY or kb.country(code) is not None:
            continue
        at = b.at(path)
        facts = {
            "country.code": Fact("country.code", code, at),
            "country.field": Fact("country.field", path, at),
            "country.known": Fact("country.known", False, "derived: knowledge-base lookup"),
            "country.suggestion": Fact(
                "country.suggestion",
                kb.suggest("country", code) or " (no close match)",
                "derived: nearest known country code",
            ),
        }
        span = d.locations.get(path) or d.span
        yield Subject("country", f"country {code}", None, span, facts)

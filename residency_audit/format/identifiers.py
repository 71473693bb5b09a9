"""What a deployment's ids and listed values may hold, checked at load (exit 2).

Findings name their subject from the deployment's own ids and values (`engine.subjects.
subject_id`: `place:records-db/backup@us-east-1`, `transfer:support-co/US/scc-2021`, `#2` for
an entry alike in all of them to an earlier one). Waivers and baselines match those names, so
they must read one way only: an id holding a separator (a component `db/backup@us-east-1`
would be named like db's backup), a value listed twice (two findings for one country of a
transfer, told apart only by their order) or a country code the audit reads as another or as
none (`us`, `ZZ`) is an input error at its line, never a finding silently renamed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence

from residency_audit.model import Access, Component, Deployment, Diagnostic, Key, Party, Span

SEPARATORS = frozenset("/:>#[]@")
"""The characters subject ids join their parts with, besides whitespace."""
_SEPARATOR_OR_SPACE = re.compile("[" + "".join(map(re.escape, sorted(SEPARATORS))) + r"\s]")
"""One of `SEPARATORS` or whitespace (`\\s` is what `str.isspace` takes, each code point)."""


def identifier_problems(d: Deployment) -> Iterator[Diagnostic]:
    """Separators in ids, repeated list entries, unreadable country codes. The ids of a file
    `discover` wrote are the provider's own names (an AWS managed key is
    `alias/aws/s3@eu-west-3`), so their separators are left to it. Regions and providers are
    the knowledge base's names, checked against it (IONOS's regions are `de/fra`, `fr/par`):
    a subject id puts a region last, after `@`, where it cannot be taken for another part."""
    at = _locator(d)
    for path, value in _named(d) if d.observation is None else ():
        found = _separators(value)
        if found:
            yield at(
                path,
                f"{path}: {value!r} holds {', '.join(found)}, which finding subjects use to "
                "join ids (place:db/backup@us-east-1, transfer:support-co/US/scc-2021); write "
                "it without them",
            )
    for base, values, key in _lists(d):
        seen: dict[str, int] = {}
        for j, value in enumerate(values):
            first = seen.setdefault(key(value), j)
            if first != j:
                yield at(
                    f"{base}[{j}]",
                    f"{base}[{j}]: {value!r} is listed twice (first at {base}[{first}]); each "
                    "entry is judged once, so list it once",
                )
    yield from _country_problems(d, at)


def _locator(d: Deployment) -> Callable[[str, str], Diagnostic]:
    root = Span(d.path, 1, 1)

    def at(path: str, message: str) -> Diagnostic:
        return Diagnostic(d.locations.get(path, root), message)

    return at


def _separators(value: str) -> list[str]:
    if _SEPARATOR_OR_SPACE.search(value) is None:  # nearly every value: one scan, in C
        return []
    found = dict.fromkeys(
        "whitespace" if c.isspace() else repr(c) for c in value if c in SEPARATORS or c.isspace()
    )
    return list(found)


def identified(
    d: Deployment,
) -> tuple[tuple[str, tuple[Party | Component | Key | Access, ...]], ...]:
    """The lists of the deployment whose entries have an id, by their YAML name."""
    return (
        ("parties", d.parties),
        ("components", d.components),
        ("keys", d.keys),
        ("access", d.access),
    )


def _named(d: Deployment) -> Iterator[tuple[str, str]]:
    """(YAML path, value) of every id of the deployment a subject id is made of."""
    for label, items in identified(d):
        for i, item in enumerate(items):
            yield f"{label}[{i}].id", item.id


def _same(value: str) -> str:
    return value


def _hostname(value: str) -> str:
    return value.lower().rstrip(".")  # DNS names are case-insensitive; a final dot is the root


def _lists(d: Deployment) -> Iterator[tuple[str, Sequence[str], Callable[[str], str]]]:
    """(YAML path, values, comparison key) of the lists whose entries each make a subject or
    a finding: a repeat would make a second one, numbered `#2`."""
    for i, c in enumerate(d.components):
        base = f"components[{i}]"
        yield f"{base}.hostnames", c.hostnames, _hostname
        yield f"{base}.mail_domains", c.mail_domains, _hostname
        yield f"{base}.hds_activities", [str(a) for a in c.hds_activities], _same
    for i, k in enumerate(d.keys):
        yield f"keys[{i}].replica_regions", k.replica_regions, _same
    for i, a in enumerate(d.access):
        yield f"access[{i}].components", a.components, _same
    for i, t in enumerate(d.transfers):
        yield f"transfers[{i}].countries", t.countries, _same
    for i, cert in enumerate(d.certifications):
        yield f"certifications[{i}].activities", [str(a) for a in cert.activities], _same
    yield "claims.processors", d.claims.processors or (), _same


def _transits(d: Deployment, at: Callable[[str, str], Diagnostic]) -> Iterator[Diagnostic]:
    for i, c in enumerate(d.components):
        seen: dict[str, int] = {}
        for j, transit in enumerate(c.transit):
            first = seen.setdefault(transit.country, j)
            if first != j:
                base = f"components[{i}].transit"
                yield at(
                    f"{base}[{j}].country",
                    f"{base}[{j}].country: {transit.country!r} is listed twice (first at "
                    f"{base}[{first}]); declare each transit country once",
                )


def _declared_codes(d: Deployment) -> Iterable[tuple[str, str]]:
    # NOTE: imported here, not at the top: the knowledge base reads its own files with this
    # package's converter, so this package may not import it while being imported.
    from residency_audit.engine.countries import declared_countries

    yield from declared_countries(d)
    for i, p in enumerate(d.parties):
        if p.central_administration is not None:
            yield p.central_administration, f"parties[{i}].central_administration"
        if p.principal_establishment is not None:
            yield p.principal_establishment, f"parties[{i}].principal_establishment"


def _country_problems(d: Deployment, at: Callable[[str, str], Diagnostic]) -> Iterator[Diagnostic]:
    """A lower-case code the knowledge base would not find (`us` read as an unknown country,
    not as the US), and `ZZ`, the audit's own mark for a country nobody knows, which a
    declaration (not a file `discover` wrote) may not use for a country it states."""
    from residency_audit.kb import COUNTRY_ALIASES, UNKNOWN_COUNTRY, default

    yield from _transits(d, at)
    for code, path in _declared_codes(d):
        # `France` or `United Kingdom` is a name, not a code in the wrong case or holding a
        # space: upper-casing it would suggest `FRANCE`, which is no code either (the knowledge
        # base is read only for a value that would be an error here)
        named = default().country_named(code) if code != code.upper() or _separators(code) else None
        if named is not None:
            yield at(
                path,
                f"{path}: {code!r} is a country name; write its ISO 3166-1 alpha-2 code: "
                f"did you mean {named!r}?",
            )
        elif code != code.upper():
            meant = COUNTRY_ALIASES.get(code.upper(), code.upper())
            yield at(
                path,
                f"{path}: country code {code!r} must be upper case (ISO 3166-1 alpha-2); "
                f"did you mean {meant!r}?",
            )
        elif code == UNKNOWN_COUNTRY and d.observation is None:
            yield at(
                path,
                f"{path}: {code!r} is the audit's mark for a country nobody knows, not a "
                "country; write the ISO 3166-1 alpha-2 code of the country, or leave an "
                "optional country out (its rules then say it cannot be verified)",
            )
        elif _separators(code):
            yield at(path, f"{path}: country code {code!r} holds {', '.join(_separators(code))}")

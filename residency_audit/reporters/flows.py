"""The flows table shared by the text, terminal, Markdown and HTML reports: one row per data flow
with where, who, laws, clear-text reach, risk level, probability, band and binding factor.

A figure computed with a factor value the deployment set itself (`risk.overrides`) is marked
`OWN` (`*`), the binding factor when it is such a value itself, and `own_values` lists those
values under the table with their line and justification: a probability resting on the
deployment owner's estimate must never read as the model's."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby
from operator import attrgetter

from residency_audit.model import Flow
from residency_audit.risk.assess import FactorValue, FlowRisk, band_text, binding_text, percent

COLUMNS = ("Flow", "Where", "Who", "Laws", "Clear", "Level", "p", "Band", "Binding factor")

OWN = "*"
"""Marks a figure that rests on a factor value the deployment overrides."""
OWN_LEGEND = (
    f"{OWN} computed with the deployment's own factor values (risk.overrides, listed below)"
)

CLEAR_WORDS = {True: "yes", False: "no", None: "?"}


UNVERIFIED = "\u2020"
"""Marks, in the text and terminal tables, a cell resting on unverified knowledge (a dagger: the
Markdown and HTML tables, which have room, say "(unverified)")."""
UNVERIFIED_LEGEND = (
    f"{UNVERIFIED} rests on knowledge-base entries not checked against the official text or the "
    "provider's own documentation (listed in the note on unverified knowledge)"
)


def rows(
    flows: Sequence[Flow], marks: Sequence[tuple[bool, bool, frozenset[str]]]
) -> list[tuple[str, ...]]:
    """`row` of each flow, given their `marks`: the risk cells are worked out once per risk
    (a file's flows share a few: about 17 flows to 7 risks)."""
    made: dict[int, tuple[str, str, str, str]] = {}  # by id: `flows` keep the risks alive
    out = []
    for f, mark in zip(flows, marks, strict=True):
        cells = made.get(id(f.risk))
        if cells is None:
            cells = made[id(f.risk)] = risk_cells(f)
        out.append(row(f, mark, cells))
    return out


def row(
    f: Flow,
    marks: tuple[bool, bool, frozenset[str]] | None = None,
    risk: tuple[str, str, str, str] | None = None,
) -> tuple[str, ...]:
    """A flow's cells in the text and terminal tables; `UNVERIFIED` after a country, entity or
    law resting on unverified knowledge, as the other tables say it in words. `marks` is
    `unverified(f)` and `risk` is `risk_cells(f)` when the caller has them already."""
    where_unverified, entity_unverified, laws_unverified = marks or unverified(f)
    who = f.entity_name or f.entity or "unknown"
    parent = f.parent_country or "?"

    def law(x: str) -> str:
        return f"{x}{UNVERIFIED}" if x in laws_unverified else x

    if f.bases is None:  # not all known: those that are, then "?" for the rest
        laws = ", ".join((*map(law, f.jurisdictions), "?")) if f.jurisdictions else "unknown"
    else:
        laws = ", ".join(map(law, f.bases)) if f.bases else "none"
    return (
        f.id,
        (f.country or "?") + (UNVERIFIED if where_unverified else ""),
        f"{who} (parent {parent}){UNVERIFIED if entity_unverified else ''}",
        laws,
        CLEAR_WORDS[f.clear_text_reachable],
        *(risk or risk_cells(f)),
    )


def flow_name(f: Flow) -> str:
    """The Flow column of the Markdown and HTML tables: its kind, and what it is when the kind
    alone does not say (`key-custody: HSM of key k1 (declared under US law)`)."""
    label = f.label
    if not label or label in (f.id, f.component) or label.startswith(f.kind):
        return f.kind
    return f"{f.kind}: {label}"


_ENTITY_FACTS = frozenset(
    ("flow.entity", "flow.entity_country", "flow.parent_country", "flow.region_operator")
)
"""A flow's facts that say who holds or reaches the data and the country of its parent."""


_VERIFIED = attrgetter("verified")
_NO_LAWS: frozenset[str] = frozenset()


def unverified(f: Flow) -> tuple[bool, bool, frozenset[str]]:
    """Which cells of a flows table rest on unverified knowledge, as a finding's facts are
    marked: the country, the entity and parent, and the law ids whose knowledge-base entry is
    unverified. A flow drawn from findings only (`laws_shown`'s `derived`) has no facts: nothing
    is marked, its findings' facts are."""
    if all(map(_VERIFIED, f.facts)):  # most flows, checked in C: no loop step per fact
        return False, False, _NO_LAWS
    country = entity = False
    laws: set[str] = set()
    for x in f.facts:
        if x.verified:
            continue
        if x.path == "flow.country":
            country = True
        elif x.path in _ENTITY_FACTS:
            entity = True
        elif x.path.startswith("kb.law."):
            laws.add(x.path.removeprefix("kb.law."))
    return country, entity, frozenset(laws)


def laws_shown(f: Flow, derived: bool) -> tuple[str, ...] | None:
    """The laws a flows table shows, as the text table does: the flow's bases (`unlisted:XX`
    for a country neither adequate nor known to the knowledge base's laws); None when they are
    unknown, which a table must say rather than "none". A picture drawn from findings only
    (`derived`) has the laws those found."""
    return f.jurisdictions if derived else f.bases


def risk_cells(f: Flow) -> tuple[str, str, str, str]:
    """Level, probability over the period, band and binding factor of a flow ("-" when it has
    no risk), marked `OWN` where they rest on the deployment's own factor values."""
    risk = f.risk if isinstance(f.risk, FlowRisk) else None
    if risk is None:
        return ("-", "-", "-", "-")
    own = overridden(risk)
    mark = OWN if own else ""
    binding = binding_text(risk)
    if own and any(  # nearly every flow has no value of its own: no walk of its factors
        x.overridden and x.factor is risk.binding_factor
        for b in risk.bases
        if b.basis == risk.binding_basis
        for x in b.factors
    ):
        binding += OWN
    return (risk.level.value, percent(risk.p_period) + mark, band_text(risk) + mark, binding)


def overridden(risk: FlowRisk) -> list[FactorValue]:
    """The factor values of `risk` that the deployment set itself."""
    return [x for b in risk.bases for x in b.factors if x.overridden]


def own_values(flows: Sequence[Flow]) -> list[str]:
    """One line per override the deployment made among `flows`: the factor, its value (and
    band), the bases and flows it applied to, its justification and line."""
    applied: dict[tuple[str, str, float, float, float, str], tuple[dict[str, None], ...]] = {}
    for f in flows:
        risk = f.risk if isinstance(f.risk, FlowRisk) else None
        for x in overridden(risk) if risk is not None else ():
            key = (x.origin, x.factor.value, x.value, x.low, x.high, x.justification)
            bases, ids = applied.setdefault(key, ({}, {}))
            bases[x.basis] = ids[f.id] = None
    out = []
    for (origin, factor, value, low, high, why), (bases, ids) in applied.items():
        band = "" if low == high == value else f" (band {low:g} to {high:g})"
        on = ", ".join(ids)  # the flows it touched, by name: "every flow" hid what was written
        out.append(
            f"{OWN} {origin}: {factor} {value:g}{band} for {', '.join(bases)} on {on}: {why}"
        )
    return out


def unverified_legend(
    flows: Sequence[Flow], marks: Iterable[tuple[bool, bool, frozenset[str]]] | None = None
) -> list[str]:
    """The legend of `UNVERIFIED` under a text or terminal table, when some cell has it;
    `marks` are the flows' `unverified` when the caller has them already."""
    marks = map(unverified, flows) if marks is None else marks
    marked = any(where or who or laws for where, who, laws in marks)
    return [UNVERIFIED_LEGEND] if marked else []


def groups(flows: Iterable[Flow]) -> Iterator[tuple[str, str, list[Flow]]]:
    """(deployment, path, flows) in report order."""
    for (path, name), items in groupby(flows, key=lambda f: (f.span.path, f.deployment)):
        yield name, path, list(items)


def caption(flows: list[Flow]) -> str:
    risk = next((f.risk for f in flows if isinstance(f.risk, FlowRisk)), None)
    if risk is None:
        return "transfer risk not assessed"
    own = (
        f"; {OWN_LEGEND}"
        if any(overridden(f.risk) for f in flows if isinstance(f.risk, FlowRisk))
        else ""
    )
    return (
        f"risk of foreign lawful access over {risk.period_years} years, threshold "
        f"{percent(risk.threshold)}; model {risk.model}: tool design, not law - it annotates "
        f"flows and never cures a finding{own}"
    )


def caption_sentence(flows: list[Flow]) -> str:
    """`caption(flows)` as a sentence, for the evidence reports."""
    text = caption(flows)
    return f"{text[:1].upper()}{text[1:]}."

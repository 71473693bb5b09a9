"""The flows table shared by the text and terminal reports: one row per data flow with where,
who, laws, clear-text reach, risk level, band and binding factor."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby

from residency_audit.model import Flow
from residency_audit.risk.assess import FlowRisk, band_text, binding_text, percent

COLUMNS = ("Flow", "Where", "Who", "Laws", "Clear", "Level", "p", "Band", "Binding factor")


def row(f: Flow) -> tuple[str, ...]:
    risk = f.risk if isinstance(f.risk, FlowRisk) else None
    who = f.entity_name or f.entity or "unknown"
    parent = f.parent_country or "?"
    clear = {True: "yes", False: "no", None: "?"}[f.clear_text_reachable]
    laws = ", ".join(f.bases) if f.bases else ("unknown" if f.bases is None else "none")
    if risk is None:
        return (f.id, f.country or "?", f"{who} (parent {parent})", laws, clear, "-", "-", "-", "-")
    return (
        f.id,
        f.country or "?",
        f"{who} (parent {parent})",
        laws,
        clear,
        risk.level.value,
        percent(risk.p_period),
        band_text(risk),
        binding_text(risk),
    )


def groups(flows: Iterable[Flow]) -> Iterator[tuple[str, str, list[Flow]]]:
    """(deployment, path, flows) in report order."""
    for (path, name), items in groupby(flows, key=lambda f: (f.span.path, f.deployment)):
        yield name, path, list(items)


def caption(flows: list[Flow]) -> str:
    risk = next((f.risk for f in flows if isinstance(f.risk, FlowRisk)), None)
    if risk is None:
        return "transfer risk not assessed"
    return (
        f"risk of foreign lawful access over {risk.period_years} years, threshold "
        f"{percent(risk.threshold)}; model {risk.model}: tool design, not law - it annotates "
        "flows and never cures a finding"
    )

"""The deployment's `risk:` settings → the `Parameters` its flows are assessed with: period
and threshold, and factor overrides with the flows they name resolved to flow ids.

An override changes a figure a finding rests on, so it is checked before any flow is assessed:
a band, a justification and a law id of its own, flows named by ids that do not move when a
copy is added or the file reordered, and at least one (flow, basis) pair it applies to. Every
problem is reported at once, as a RiskModelError (exit 2); `assess.py` never sees a bad one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from residency_audit.errors import RiskModelError
from residency_audit.model import CopyKind, Deployment, Diagnostic, Flow, RiskOverride, Span
from residency_audit.risk.assess import Parameters
from residency_audit.risk.spec import RiskModel, check_band


def parameters(
    model: RiskModel, d: Deployment, flows: Iterable[Flow], law_ids: Iterable[str]
) -> Parameters:
    """The model's period and threshold, replaced by the deployment's where it sets them; its
    overrides, checked. Problems are raised together as a RiskModelError (exit 2)."""
    settings = d.risk
    if settings is None:
        return Parameters(model.period_years.value, model.threshold.value, ())
    flows = list(flows)
    by_id = _FlowNames(flows)
    named = [by_id.resolve(d, i, o) for i, o in enumerate(settings.overrides)]
    resolved = [o for o, _ in named]
    problems = sorted([*_check_settings(d, set(law_ids)), *(p for _, ps in named for p in ps)])
    problems += _unused_overrides(d, resolved, flows)
    if problems:
        raise RiskModelError(problems)
    overrides = tuple((o, _at(d, f"risk.overrides[{i}]", o.span)) for i, o in enumerate(resolved))
    return Parameters(
        settings.period_years if settings.period_years is not None else model.period_years.value,
        settings.threshold if settings.threshold is not None else model.threshold.value,
        overrides,
    )


def _at(d: Deployment, path: str, fallback: Span) -> str:
    return str(d.locations.get(path, fallback))


def _check_settings(d: Deployment, law_ids: set[str]) -> Iterator[Diagnostic]:
    settings = d.risk
    assert settings is not None
    at = d.locations
    root = settings.span
    if (settings.period_years is not None or settings.threshold is not None) and not (
        settings.justification or ""
    ).strip():
        yield Diagnostic(
            at.get("risk", root), "risk: changing period_years or threshold needs a justification"
        )
    if settings.period_years is not None and settings.period_years < 1:
        yield Diagnostic(at.get("risk.period_years", root), "risk.period_years: at least 1 year")
    if settings.threshold is not None and not 0 < settings.threshold < 1:
        yield Diagnostic(
            at.get("risk.threshold", root),
            f"risk.threshold: {settings.threshold} must be strictly between 0 and 1",
        )
    for i, o in enumerate(settings.overrides):
        where = f"risk.overrides[{i}]"
        low = o.value if o.low is None else o.low
        high = o.value if o.high is None else o.high
        yield from check_band(low, o.value, high, at.get(where, o.span), where)
        if not o.justification.strip():
            yield Diagnostic(
                at.get(f"{where}.justification", o.span),
                f"{where}: the justification is empty; say why the value holds",
            )
        if o.basis is not None and o.basis not in law_ids and not o.basis.startswith("unlisted:"):
            yield Diagnostic(
                at.get(f"{where}.basis", o.span),
                f"{where}.basis: unknown law id {o.basis!r} (kb/laws.yaml ids, or unlisted:CC)",
            )


_COPY_KINDS = frozenset({*(k.value for k in CopyKind), "log"})
"""The kinds of flow named by their place (`flows.copy_flow_id`): copies and log sinks."""


class _FlowNames:
    """The flow and component ids a deployment's overrides may name. A copy's flow was once
    named by its position (`db/backup`, `db/backup-2`), which moves when a copy is added before
    it, and the override with it: `db/backup` still names the only backup of db, but a
    position, or `db/backup` among several, is an error naming the ids the flows have now
    (`db/backup@us-east-1`). So is an id of copies alike in all their ids (`db/backup@x`,
    `db/backup@x#2`), which moves when they are reordered."""

    def __init__(self, flows: Sequence[Flow]) -> None:
        self.by_place: dict[str, list[str]] = {}  # `db/backup` -> the ids of db's backups
        self.alike: dict[str, list[str]] = {}  # `db/backup@x` -> itself, `db/backup@x#2`...
        for f in flows:
            if f.kind in _COPY_KINDS and f.component is not None:
                self.by_place.setdefault(f"{f.component}/{f.kind}", []).append(f.id)
            self.alike.setdefault(f.id.partition("#")[0], []).append(f.id)
        self.known = {f.id for f in flows} | {f.component for f in flows if f.component}

    def resolve(
        self, d: Deployment, index: int, o: RiskOverride
    ) -> tuple[RiskOverride, list[Diagnostic]]:
        """Override `index` with its `flows` named by id, and what is wrong with them."""
        names: list[str] = []
        problems: list[Diagnostic] = []
        for j, name in enumerate(o.flows):
            problem = self.problem(name)
            if problem is None:
                ids = self.by_place.get(name, [name])  # the only copy of its kind: by its id
                names.append(ids[0])
                continue
            where = f"risk.overrides[{index}].flows[{j}]"
            problems.append(Diagnostic(d.locations.get(where, o.span), f"{where}: {problem}"))
        return replace(o, flows=tuple(names)), problems

    def problem(self, name: str) -> str | None:
        ids = self.by_place.get(name, [])
        positional = re.fullmatch(r"(.+)-[0-9]+", name)
        old = self.by_place.get(positional.group(1), []) if positional else []
        same = self.alike.get(name.partition("#")[0], [])
        if len(ids) == 1:
            return None
        if ids:
            return (
                f"flow {name!r} is one of {len(ids)} {name.partition('/')[2]} flows; "
                f"name it by its id: {_either(ids)}"
            ) + (f" (declare where {name} is to tell it apart)" if name in ids else "")
        if old and name not in self.known:
            return (
                f"flow {name!r} is numbered by position, which moves when a copy is added "
                f"before it; name it by its id: {_either(old)}"
            )
        if name not in self.known:
            known = ", ".join(sorted(self.known)) or "none"
            return f"no flow or component {name!r} (known: {known})"
        if len(same) > 1:
            return (
                f"flow {name!r} is one of copies alike in all their ids ({', '.join(same)}), "
                "numbered in file order, so the override would move when they are reordered; "
                "tell them apart (another region or provider) or name the component"
            )
        return None


def _either(ids: Iterable[str]) -> str:
    """`a`, `a or b`, `a, b or c`, sorted."""
    ordered = sorted(ids)
    return " or ".join([", ".join(ordered[:-1]), ordered[-1]] if len(ordered) > 1 else ordered)


def _unused_overrides(
    d: Deployment, overrides: Sequence[RiskOverride], flows: Sequence[Flow]
) -> list[Diagnostic]:
    """An override that applies to no (flow, basis) pair (`basis: unlisted:US` where the US
    has listed laws, a law no flow is exposed to) would be accepted and change nothing: the
    deployment believes a figure is its own when the model's stands. `overrides` are the
    deployment's, their flows named by id (`_FlowNames`)."""
    out = []
    for i, o in enumerate(overrides):
        if any(
            f.bases
            and (o.basis is None or o.basis in f.bases)
            and (not o.flows or f.id in o.flows or f.component in o.flows)
            for f in flows
        ):
            continue
        where = f"risk.overrides[{i}]"
        exposed = sorted({b for f in flows for b in (f.bases or ())})
        out.append(
            Diagnostic(
                d.locations.get(where, o.span),
                f"{where}: applies to no flow (bases of this deployment's flows: "
                f"{', '.join(exposed) or 'none'}); correct its basis or flows, or remove it",
            )
        )
    return out

"""Flow + risk model (+ the deployment's overrides) → the flow's transfer risk.

Per legal basis and year, the product of the named factors; over bases and years,
`1 - prod_i (1 - p_i)^T`; a band from every factor's low and high values; a qualitative level
and the binding factor. The formula and levels are documented in `default-model.yaml` (tool
design, not law). The result only annotates a flow: rules decide findings, and nothing here can
remove or soften one.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from enum import StrEnum
from types import MappingProxyType

from residency_audit.errors import RiskModelError
from residency_audit.model import (
    CopyKind,
    Deployment,
    Diagnostic,
    Fact,
    Flow,
    RiskFactor,
    RiskOverride,
    Span,
)
from residency_audit.records import Record, record
from residency_audit.risk.spec import BASIS_FACTORS, Estimate, RiskModel, check_band


class RiskLevel(StrEnum):
    """Qualitative level of a flow; `unknown` when the flow cannot be assessed (fail closed)."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    UNKNOWN = "unknown"


@record
class FactorValue(Record):
    """One factor as used for one basis of one flow, and where its value came from."""

    basis: str
    factor: RiskFactor
    value: float
    low: float
    high: float
    justification: str
    source: str | None
    origin: str
    """`path:line:col` of the model entry or of the deployment's override."""
    overridden: bool
    verified: bool


@record
class BasisRisk(Record):
    """The estimated annual probability of access through one legal basis, with its factors."""

    basis: str
    p_year: float
    low: float
    high: float
    factors: tuple[FactorValue, ...]


@record
class FlowRisk(Record):
    """A flow's transfer-risk estimate: level, probabilities, band and binding factor."""

    level: RiskLevel
    p_year: float | None
    p_period: float | None
    band: tuple[float, float] | None
    period_years: int
    threshold: float
    exceeds_threshold: bool | None
    binding_basis: str | None
    binding_factor: RiskFactor | None
    bases: tuple[BasisRisk, ...]
    model: str
    """`id version (path)` of the model used."""


@record
class Parameters(Record):
    """Period, threshold and overrides in force for one deployment's flows."""

    period_years: int
    threshold: float
    overrides: tuple[tuple[RiskOverride, str], ...]
    """Each override with its `path:line:col`."""


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


_ASSESSED: list[tuple[RiskModel, dict[tuple[object, ...], FlowRisk]]] = []
"""The last model used and the risks of flows no override applies to, by (bases, clear-text
reachability, period, threshold): all such a risk depends on. A file's flows share a few of
these, and a shared object is pickled once when a batch worker sends the flows. Bounded by
`_ASSESSED_MAX` (period and threshold come from the deployment)."""
_ASSESSED_MAX = 512


def assess(flow: Flow, model: RiskModel, params: Parameters) -> FlowRisk:
    """The risk of one flow; never raises for a valid model and parameters."""
    if params.overrides:
        return _assess(flow, model, params)
    if not _ASSESSED or _ASSESSED[0][0] is not model or len(_ASSESSED[0][1]) >= _ASSESSED_MAX:
        _ASSESSED[:] = [(model, {})]
    known = _ASSESSED[0][1]
    key = (flow.bases, flow.clear_text_reachable, params.period_years, params.threshold)
    risk = known.get(key)
    if risk is None:
        risk = known[key] = _assess(flow, model, params)
    return risk


def _assess(flow: Flow, model: RiskModel, params: Parameters) -> FlowRisk:
    period, threshold = params.period_years, params.threshold
    label = f"{model.id} {model.version} ({model.path})"
    if flow.bases is None:
        return FlowRisk(
            RiskLevel.UNKNOWN, None, None, None, period, threshold, None, None, None, (), label
        )
    if not flow.bases:
        return FlowRisk(
            RiskLevel.NONE, 0.0, 0.0, (0.0, 0.0), period, threshold, False, None, None, (), label
        )
    bases = tuple(_basis_of(flow, basis, model, params) for basis in flow.bases)
    p_year = 1 - math.prod((1 - b.p_year for b in bases), start=1.0)
    p_period = 1 - math.prod(((1 - b.p_year) ** period for b in bases), start=1.0)
    band = (
        1 - math.prod(((1 - b.low) ** period for b in bases), start=1.0),
        1 - math.prod(((1 - b.high) ** period for b in bases), start=1.0),
    )
    exceeds = p_period > threshold
    if band[0] > threshold:
        level = RiskLevel.CRITICAL
    elif exceeds:
        level = RiskLevel.HIGH
    elif p_period >= model.levels.medium_from.value * threshold:
        level = RiskLevel.MEDIUM
    else:
        level = RiskLevel.LOW
    dominant = max(bases, key=lambda b: b.p_year)  # first of equals: file order
    binding = min(dominant.factors, key=lambda f: f.value)
    return FlowRisk(
        level,
        p_year,
        p_period,
        band,
        period,
        threshold,
        exceeds,
        dominant.basis,
        binding.factor,
        bases,
        label,
    )


_UNCHANGED: list[tuple[RiskModel, dict[tuple[str, bool | None], BasisRisk]]] = []
"""The last model used and its risks per (basis, clear-text reachability), for flows no
override applies to: without overrides a basis' risk depends on nothing else."""


def _basis_of(flow: Flow, basis: str, model: RiskModel, params: Parameters) -> BasisRisk:
    if params.overrides:
        return _basis(flow, basis, model, params)
    if not _UNCHANGED or _UNCHANGED[0][0] is not model:
        _UNCHANGED[:] = [(model, {})]
    known = _UNCHANGED[0][1]
    key = (basis, flow.clear_text_reachable)
    risk = known.get(key)
    if risk is None:
        risk = known[key] = _basis(flow, basis, model, params)
    return risk


def _basis(flow: Flow, basis: str, model: RiskModel, params: Parameters) -> BasisRisk:
    key = f"bases.{basis}" if basis in model.bases else "unlisted_basis"
    entry = model.basis(basis)
    factors = [
        _from_model(basis, name, entry.factor(name), model, f"{key}.{name.value}")
        for name in BASIS_FACTORS
    ]
    state = {True: "reachable", False: "unreachable", None: "unknown"}[flow.clear_text_reachable]
    factors.append(
        _from_model(
            basis,
            RiskFactor.CLEAR_TEXT,
            getattr(model.clear_text, state),
            model,
            f"clear_text.{state}",
        )
    )
    for override, origin in params.overrides:
        if override.basis not in (None, basis):
            continue
        names = override.flows
        if names and flow.id not in names and flow.component not in names:
            continue
        factors = [
            _overridden(f, override, origin) if f.factor is override.factor else f for f in factors
        ]
    return BasisRisk(
        basis,
        math.prod((f.value for f in factors), start=1.0),
        math.prod((f.low for f in factors), start=1.0),
        math.prod((f.high for f in factors), start=1.0),
        tuple(factors),
    )


def _from_model(
    basis: str, name: RiskFactor, e: Estimate, model: RiskModel, where: str
) -> FactorValue:
    origin = str(model.locations.get(where, e.span))
    return FactorValue(
        basis,
        name,
        e.value,
        e.low,
        e.high,
        " ".join(e.justification.split()),
        e.source,
        origin,
        False,
        e.verified,
    )


def _overridden(f: FactorValue, o: RiskOverride, origin: str) -> FactorValue:
    return replace(
        f,
        value=o.value,
        low=o.value if o.low is None else o.low,
        high=o.value if o.high is None else o.high,
        justification=" ".join(o.justification.split()),
        source=o.source,
        origin=origin,
        overridden=True,
        verified=False,
    )


# -- presentation helpers shared by reporters and rule facts ------------------------------------


def significant(x: float, digits: int = 6) -> float:
    """`x` rounded to `digits` significant digits, so JSON does not show float noise."""
    return float(f"{x:.{digits}g}")


def percent(p: float | None) -> str:
    """A probability as a percentage with two significant digits: `0.61 %`, `12 %`."""
    if p is None:
        return "unknown"
    v = p * 100
    if v == 0:
        return "0 %"
    decimals = max(0, 1 - math.floor(math.log10(v)))
    return f"{v:.{decimals}f} %"


def band_text(risk: FlowRisk) -> str:
    if risk.band is None:
        return "unknown"
    return f"{percent(risk.band[0])} to {percent(risk.band[1])}"


def binding_text(risk: FlowRisk) -> str:
    if risk.binding_factor is None:
        return "-"
    return f"{risk.binding_factor.value} ({risk.binding_basis})"


def risk_facts(risk: FlowRisk) -> Mapping[str, Fact]:
    """The risk as facts rules can read (`risk.*` fields of the `flow` subject)."""
    return _risk_facts(
        risk.level,
        risk.p_year,
        risk.p_period,
        risk.band,
        risk.threshold,
        risk.period_years,
        risk.exceeds_threshold,
        risk.binding_factor,
        risk.binding_basis,
        risk.model,
    )


@functools.lru_cache(maxsize=1024)
def _risk_facts(
    level: RiskLevel,
    p_year: float | None,
    p_period: float | None,
    band: tuple[float, float] | None,
    threshold: float,
    period_years: int,
    exceeds_threshold: bool | None,
    binding_factor: RiskFactor | None,
    binding_basis: str | None,
    model: str,
) -> Mapping[str, Fact]:
    # Remembered by the values read (not the FlowRisk: hashing its factors costs more than
    # this): most flows of a batch share a handful of risks, each with ten formatted facts.
    # The mapping is shared, hence read-only.
    origin = f"derived: transfer-risk model {model}"
    binding = f"{binding_factor.value} ({binding_basis})" if binding_factor else None
    values: dict[str, object] = {
        "risk.level": level.value,
        "risk.p_year": None if p_year is None else significant(p_year),
        "risk.p_period": None if p_period is None else significant(p_period),
        "risk.p_period_text": percent(p_period) if p_period is not None else None,
        "risk.band_text": None if band is None else f"{percent(band[0])} to {percent(band[1])}",
        "risk.threshold": threshold,
        "risk.threshold_text": percent(threshold),
        "risk.period_years": period_years,
        "risk.exceeds_threshold": exceeds_threshold,
        "risk.binding_factor": binding,
    }
    return MappingProxyType(
        {path: Fact(path, value, origin) for path, value in values.items() if value is not None}
    )

"""Flow + risk model (+ the deployment's `Parameters`, from `overrides.py`) → the flow's
transfer risk.

Per legal basis and year, the product of the named factors; over bases and years,
`1 - prod_i (1 - p_i)^T`; a band from every factor's low and high values; a qualitative level
and the binding factor. The formula and levels are documented in `default-model.yaml` (tool
design, not law). The result only annotates a flow: rules decide findings, and nothing here can
remove or soften one.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import replace
from enum import StrEnum
from types import MappingProxyType

from residency_audit.model import Fact, Flow, RiskFactor, RiskOverride
from residency_audit.records import Record, record
from residency_audit.risk.spec import BASIS_FACTORS, Estimate, RiskModel


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


_ASSESSED: list[tuple[RiskModel, dict[tuple[object, ...], FlowRisk]]] = []
"""The last model used and the risks of flows no override applies to, by (bases, clear-text
reachability, period, threshold): all such a risk depends on. A file's flows share a few of
these, and a shared object is pickled once when a batch worker sends the flows. Bounded by
`_ASSESSED_MAX` (period and threshold come from the deployment)."""
_ASSESSED_MAX = 512


def assess(flow: Flow, model: RiskModel, params: Parameters) -> FlowRisk:
    """The risk of one flow; never raises for a valid model and parameters."""
    return assess_values(
        (flow.id, flow.component), flow.bases, flow.clear_text_reachable, model, params
    )


Names = tuple[str, str | None]
"""What an override's `flows` may name a flow by: its id and its component."""


def assess_values(
    names: Names,
    bases: tuple[str, ...] | None,
    clear: bool | None,
    model: RiskModel,
    params: Parameters,
) -> FlowRisk:
    """`assess` of a flow whose legal bases and clear-text reachability are `bases` and `clear`,
    given before the flow is made (`flows.derive_flows(risk=...)`); `names` are the flow's id
    and component, for the overrides."""
    if params.overrides:
        return _assess(names, bases, clear, model, params)
    if not _ASSESSED or _ASSESSED[0][0] is not model or len(_ASSESSED[0][1]) >= _ASSESSED_MAX:
        _ASSESSED[:] = [(model, {})]
    known = _ASSESSED[0][1]
    key = (bases, clear, params.period_years, params.threshold)
    risk = known.get(key)
    if risk is None:
        risk = known[key] = _assess(names, bases, clear, model, params)
    return risk


def _assess(
    names: Names,
    flow_bases: tuple[str, ...] | None,
    clear: bool | None,
    model: RiskModel,
    params: Parameters,
) -> FlowRisk:
    period, threshold = params.period_years, params.threshold
    label = f"{model.id} {model.version} ({model.path})"
    if flow_bases is None:
        return FlowRisk(
            RiskLevel.UNKNOWN, None, None, None, period, threshold, None, None, None, (), label
        )
    if not flow_bases:
        return FlowRisk(
            RiskLevel.NONE, 0.0, 0.0, (0.0, 0.0), period, threshold, False, None, None, (), label
        )
    bases = tuple(_basis_of(names, basis, clear, model, params) for basis in flow_bases)
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


def _basis_of(
    names: Names, basis: str, clear: bool | None, model: RiskModel, params: Parameters
) -> BasisRisk:
    if params.overrides:
        return _basis(names, basis, clear, model, params)
    if not _UNCHANGED or _UNCHANGED[0][0] is not model:
        _UNCHANGED[:] = [(model, {})]
    known = _UNCHANGED[0][1]
    key = (basis, clear)
    risk = known.get(key)
    if risk is None:
        risk = known[key] = _basis(names, basis, clear, model, params)
    return risk


def _basis(
    names: Names, basis: str, clear: bool | None, model: RiskModel, params: Parameters
) -> BasisRisk:
    flow_id, component = names
    key = f"bases.{basis}" if basis in model.bases else "unlisted_basis"
    entry = model.basis(basis)
    factors = [
        _from_model(basis, name, entry.factor(name), model, f"{key}.{name.value}")
        for name in BASIS_FACTORS
    ]
    state = {True: "reachable", False: "unreachable", None: "unknown"}[clear]
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
        named = override.flows
        if named and flow_id not in named and component not in named:
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

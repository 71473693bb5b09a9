"""Transfer risk per data flow: an explicit, editable, quantified model (tool design, not law).

`spec` reads and checks the model file (`default-model.yaml` is shipped; `--risk-model FILE`
replaces it), `overrides` checks the deployment's own `risk:` settings, `assess` computes each
flow's risk, and this module joins them for the pipeline: flows with their risk, and the `flow`
subjects the `rules/risk` pack judges.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from residency_audit.engine.subjects import Subject, SubjectBuilder, common_facts
from residency_audit.flows import bases_grounds, derive_flows, subject_facts
from residency_audit.kb import KnowledgeBase
from residency_audit.model import UNLISTED, Deployment, Fact, Flow
from residency_audit.records import replaced
from residency_audit.risk.assess import FlowRisk, assess, risk_facts
from residency_audit.risk.overrides import parameters
from residency_audit.risk.spec import RiskModel, load_model

__all__ = ["FlowRisk", "RiskModel", "flow_subjects", "flows_with_risk", "load_model"]


def flows_with_risk(
    d: Deployment,
    kb: KnowledgeBase,
    as_of: dt.date,
    model: RiskModel,
    builder: SubjectBuilder | None = None,
) -> list[Flow]:
    """Every flow of `d`, each with its `risk`. Raises RiskModelError for bad `risk:` overrides.
    `builder` (see `engine.subjects.SubjectBuilder`) shares subjects with the audit."""
    flows = derive_flows(d, kb, as_of, builder)
    params = parameters(model, d, flows, kb.laws)
    return [replaced(f, "risk", assess(f, model, params)) for f in flows]


def flow_subjects(
    flows: Sequence[Flow],
    d: Deployment,
    kb: KnowledgeBase,
    as_of: dt.date,
    builder: SubjectBuilder | None = None,
) -> list[Subject]:
    """One `flow` subject per flow: the deployment's common facts, the flow's, and its risk."""
    common = common_facts(d, kb, as_of, builder)
    out = []
    for flow in flows:
        facts = dict(common)
        derived = f"derived: flow {flow.id}"
        for path, value in (
            ("flow.id", flow.id),
            ("flow.kind", flow.kind),
            ("flow.label", flow.label),
            ("flow.entity", flow.entity),
            ("flow.entity_name", flow.entity_name),
            ("flow.entity_said", flow.entity_name or "an entity nobody could name"),
            ("flow.jurisdictions", list(flow.jurisdictions)),
            ("flow.bases", None if flow.bases is None else list(flow.bases)),
            ("flow.bases_text", _bases_said(flow, kb)),
        ):
            if value is not None:
                facts[path] = Fact(path, value, derived)
        facts.update({f.path: f for f in subject_facts(flow)})
        if isinstance(flow.risk, FlowRisk):
            facts.update(risk_facts(flow.risk))
            facts["risk.own_values"] = _own_values(flow.risk, d)
        facts["risk.estimate_text"] = _estimate_said(facts)
        unknowns = {} if flow.bases is not None else _unknown_bases(flow)
        out.append(Subject("flow", flow.label, flow.component, flow.span, facts, None, unknowns))
    return out


def _estimate_said(facts: dict[str, Fact]) -> Fact:
    """`risk.estimate_text`: the probability over the period, or why there is none (a message
    saying 'the estimated probability unknown over 5 years' reads as a figure that is missing,
    when none can be made without the flow's legal bases)."""
    p, years = facts.get("risk.p_period_text"), facts.get("risk.period_years")
    if p is not None and p.value is not None and years is not None:
        said = f"estimated at {p.value} over {years.value} years"
        return Fact("risk.estimate_text", said, p.origin)
    return Fact(
        "risk.estimate_text",
        "none could be made, its legal bases not all being known",
        "derived: the transfer-risk model, from flow.bases",
    )


def _bases_said(flow: Flow, kb: KnowledgeBase) -> str | None:
    """`flow.bases_text`: its bases, or, when they are not all known (a country or parent
    nobody knows), the laws known to reach it, said to be a floor; None when none is known."""
    if flow.bases is not None:
        return bases_text(flow.bases, kb)
    if flow.jurisdictions:
        return (
            f"{bases_text(flow.jurisdictions, kb)} at least (whether another country's law "
            "reaches it is unknown)"
        )
    return None


def bases_text(bases: Sequence[str], kb: KnowledgeBase) -> str:
    """The legal bases of a flow as a message says them: law ids as they are, a law that
    reaches data without compelling their holder (EO 12333's signals intelligence) said to be
    one, lest the holder read as answering to it; a country with no law listed as a
    presumption, not as a law (`unlisted:CA` would read to a lawyer as the name of a Canadian
    statute)."""
    words = []
    for b in bases:
        law = kb.laws.get(b)
        if b.startswith(UNLISTED):
            words.append(
                f"the law of {b.removeprefix(UNLISTED)} (none listed in the knowledge base; "
                "presumed to reach it, the country having no general adequacy decision)"
            )
        elif law is not None and not law.compelled_access:
            words.append(f"{b} (without compelling the holder)")
        else:
            words.append(b)
    return ", ".join(words) if words else "no law"


_UNKNOWN_WITH_BASES = (
    "risk.p_year",
    "risk.p_period",
    "risk.p_period_text",
    "risk.band_text",
    "risk.exceeds_threshold",
    "risk.binding_factor",
)
"""The risk fields the model leaves unknown when a flow's legal bases are (`assess`)."""


def _unknown_bases(flow: Flow) -> dict[str, tuple[Fact, ...]]:
    """What a finding cites when it cannot be verified for want of the flow's legal bases, or
    of the estimate made from them (`Subject.unknowns`): the bases with no value at the flow's
    declaration (its component, copy, access path, key or party), then what they were derived
    from (`flows.bases_grounds`)."""
    bases = (Fact("flow.bases", None, str(flow.span)), *bases_grounds(flow))
    out = {"flow.bases": bases}
    if isinstance(flow.risk, FlowRisk):
        origin = f"derived: transfer-risk model {flow.risk.model}, from flow.bases"
        out.update({path: (Fact(path, None, origin), *bases) for path in _UNKNOWN_WITH_BASES})
    return out


_MODEL_ONLY = Fact("risk.own_values", "", "derived: model values only")


def _own_values(risk: FlowRisk, d: Deployment) -> Fact:
    """What of the estimate the deployment set itself (`risk:` period, threshold, factor
    overrides), with each justification and line, for the findings' messages: a figure resting
    on the deployment's own estimate must say so. Empty when the model alone speaks."""
    settings = d.risk
    if settings is None:  # most deployments: one shared fact, nothing to look through
        return _MODEL_ONLY
    parts = []
    if settings.period_years or settings.threshold:
        why = " ".join((settings.justification or "").split()).rstrip(".")
        parts.append(f"period {risk.period_years} years, threshold {risk.threshold:g} ({why})")
    factors = {
        (f.factor.value, f.value, f.basis, f.justification, f.origin): None
        for basis in risk.bases
        for f in basis.factors
        if f.overridden
    }
    parts += [
        f"{name} {value:g} for {basis} ({why.rstrip('.')}, {at})"
        for name, value, basis, why, at in factors
    ]
    text = f"; the deployment's own values: {'; '.join(parts)}" if parts else ""
    origin = next(iter(factors))[4] if factors else "derived: the deployment's risk settings"
    return Fact("risk.own_values", text, origin) if parts else _MODEL_ONLY

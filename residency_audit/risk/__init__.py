"""Transfer risk per data flow: an explicit, editable, quantified model (tool design, not law).

`spec` reads and checks the model file (`default-model.yaml` is shipped; `--risk-model FILE`
replaces it), `overrides` checks the deployment's own `risk:` settings, `assess` computes each
flow's risk, and this module joins them for the pipeline: flows with their risk, and the `flow`
subjects the `rules/risk` pack judges.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

from residency_audit.engine.subjects import Subject, SubjectBuilder, common_facts
from residency_audit.flows import bases_grounds, derive_flows, subject_facts
from residency_audit.kb import KnowledgeBase
from residency_audit.model import UNLISTED, Deployment, Fact, Flow
from residency_audit.records import replaced
from residency_audit.risk.assess import FlowRisk, assess, assess_values, risk_facts
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
    if d.risk is None:
        # no `risk:` settings: the parameters are the model's, known before any flow is, so
        # each flow is made with its risk (not copied to add it)
        params = parameters(model, d, (), kb.laws)
        of = functools.partial(assess_values, model=model, params=params)
        return derive_flows(d, kb, as_of, builder, risk=of)
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
    # the risk facts of each distinct risk object (`assess` shares them between flows alike),
    # made once per call: by `id`, the flows holding the risks being alive until it returns
    risks: dict[int, dict[str, Fact]] = {}
    texts: dict[tuple[object, ...], str | None] = {}  # `_bases_said`, by the laws it says
    out = []
    for flow in flows:
        facts = dict(common)
        derived = f"derived: flow {flow.id}"
        facts["flow.id"] = Fact("flow.id", flow.id, derived)
        facts["flow.kind"] = Fact("flow.kind", flow.kind, derived)
        facts["flow.label"] = Fact("flow.label", flow.label, derived)
        if flow.entity is not None:
            facts["flow.entity"] = Fact("flow.entity", flow.entity, derived)
        said = flow.entity_name
        if said is not None:
            facts["flow.entity_name"] = Fact("flow.entity_name", said, derived)
        said = said or "an entity nobody could name"
        facts["flow.entity_said"] = Fact("flow.entity_said", said, derived)
        laws = list(flow.jurisdictions)
        facts["flow.jurisdictions"] = Fact("flow.jurisdictions", laws, derived)
        if flow.bases is not None:
            facts["flow.bases"] = Fact("flow.bases", list(flow.bases), derived)
        laws_key = (flow.bases, flow.jurisdictions)
        if laws_key not in texts:
            texts[laws_key] = _bases_said(flow, kb)
        words = texts[laws_key]
        if words is not None:
            facts["flow.bases_text"] = Fact("flow.bases_text", words, derived)
        for f in subject_facts(flow):
            facts[f.path] = f
        risk = risks.get(id(flow.risk))
        if risk is None:
            risk = risks[id(flow.risk)] = _risk_part(flow.risk, d)
        facts.update(risk)
        unknowns = {} if flow.bases is not None else _unknown_bases(flow)
        out.append(Subject("flow", flow.label, flow.component, flow.span, facts, None, unknowns))
    return out


def _risk_part(risk: object, d: Deployment) -> dict[str, Fact]:
    """The `risk.*` facts of a flow subject whose risk is `risk`, in the order they are set:
    the risk's own, what the deployment set itself, and the estimate in words."""
    facts: dict[str, Fact] = {}
    if isinstance(risk, FlowRisk):
        facts.update(risk_facts(risk))
        facts["risk.own_values"] = _own_values(risk, d)
    facts["risk.estimate_text"] = _estimate_said(facts)
    return facts


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
    # the words depend on the laws alone: made once per knowledge base for a batch's flows
    return kb.memo(
        ("flow.bases_text", flow.bases, flow.jurisdictions), lambda: _bases_words(flow, kb)
    )


def _bases_words(flow: Flow, kb: KnowledgeBase) -> str | None:
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

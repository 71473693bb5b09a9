"""The JSON result: stable keys and order, no clock, so the same inputs give the same bytes."""

from __future__ import annotations

import json
from typing import Any

from residency_audit.model import Finding, Flow, Report
from residency_audit.risk.assess import FlowRisk, significant


def to_dict(report: Report) -> dict[str, Any]:
    return {
        "tool": {"name": "residency-audit", "version": report.tool_version},
        "as_of": report.as_of.isoformat(),
        "complete": not report.partial and not report.errors,
        "partial": list(report.partial),
        "inputs": [{"path": i.path, "sha256": i.sha256, "deployment": i.deployment}
                   for i in report.inputs],
        "rule_packs": [{"name": p.name, "title": p.title, "version": p.version,
                        "sha256": p.sha256, "rules": p.rules} for p in report.packs],
        "knowledge": {
            "files": [{"path": name, "sha256": digest} for name, digest in report.knowledge],
            "stale": list(report.stale_knowledge),
            "unverified_used": list(report.unverified_knowledge),
        },
        "findings": [finding_dict(f) for f in report.findings],
        "risk_model": None if report.risk_model is None else {
            "path": report.risk_model[0], "sha256": report.risk_model[1]},
        "flows": [flow_dict(f) for f in report.flows],
        "errors": [{"path": e.span.path, "line": e.span.line, "column": e.span.column,
                    "message": e.message} for e in report.errors],
        "summary": {"findings": len(report.findings), "by_severity": report.counts(),
                    "errors": len(report.errors)},
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule_id": f.rule_id,
        "severity": f.severity.label,
        "title": f.title,
        "message": f.message,
        "deployment": f.deployment,
        "component": f.component,
        "location": {"path": f.span.path, "line": f.span.line, "column": f.span.column},
        "unverifiable": f.unverifiable,
        "references": [{"label": r.label, "url": r.url} for r in f.references],
        "facts": [{"path": x.path, "value": _plain(x.value), "source": x.origin, "url": x.url,
                   "verified": x.verified} for x in f.facts],
        "remediation": f.remediation,
    }


def flow_dict(f: Flow) -> dict[str, Any]:
    return {
        "id": f.id,
        "deployment": f.deployment,
        "kind": f.kind,
        "label": f.label,
        "component": f.component,
        "country": f.country,
        "entity": f.entity,
        "entity_name": f.entity_name,
        "entity_country": f.entity_country,
        "parent": f.parent,
        "parent_country": f.parent_country,
        "jurisdictions": list(f.jurisdictions),
        "clear_text_reachable": f.clear_text_reachable,
        "data_categories": list(f.categories),
        "location": {"path": f.span.path, "line": f.span.line, "column": f.span.column},
        "facts": [{"path": x.path, "value": _plain(x.value), "source": x.origin, "url": x.url,
                   "verified": x.verified} for x in f.facts],
        "risk": risk_dict(f.risk) if isinstance(f.risk, FlowRisk) else None,
    }


def risk_dict(r: FlowRisk) -> dict[str, Any]:
    """Probabilities rounded to six significant digits: stable bytes, no false precision."""

    def num(x: float | None) -> float | None:
        return None if x is None else significant(x)

    return {
        "level": r.level.value,
        "p_year": num(r.p_year),
        "p_period": num(r.p_period),
        "period_years": r.period_years,
        "threshold": r.threshold,
        "band": None if r.band is None else [num(r.band[0]), num(r.band[1])],
        "exceeds_threshold": r.exceeds_threshold,
        "binding_factor": None if r.binding_factor is None else r.binding_factor.value,
        "binding_basis": r.binding_basis,
        "bases": [{"basis": b.basis, "p_year": num(b.p_year), "band": [num(b.low), num(b.high)]}
                  for b in r.bases],
        "factors": [{"basis": x.basis, "factor": x.factor.value, "value": x.value, "low": x.low,
                     "high": x.high, "justification": x.justification, "source": x.source,
                     "origin": x.origin, "overridden": x.overridden, "verified": x.verified}
                    for b in r.bases for x in b.factors],
        "model": r.model,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def render(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"

"""The JSON result: stable keys and order, no clock, so the same inputs give the same bytes."""

from __future__ import annotations

import json
from typing import Any

from residency_audit.model import Finding, Report


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

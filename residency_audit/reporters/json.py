"""The JSON result: stable keys and order, no clock, so the same inputs give the same bytes.

`from_dict` reads a result back (baselines, `residency-audit report`); `to_dict(from_dict(d))`
gives `d` again. How a report was produced (`Report.invocation`: command line, timestamp, the
`--fail-on` of the gate) and where the installation's files are (`Report.bundled_at`,
`pack_dirs`) are deliberately not part of the result: the evidence formats show them. The
settings that change findings (`parameters`, e.g. `--tia-max-age`) are, defaults included.
"""

from __future__ import annotations

import datetime as dt
import io
import pickle
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from sys import intern
from typing import Any, TextIO, TypeVar

from residency_audit.clock import parse_day
from residency_audit.model import (
    Check,
    CountryStatus,
    Diagnostic,
    Fact,
    Finding,
    Flow,
    InputFile,
    PackInfo,
    Reference,
    Report,
    RiskFactor,
    RuleInfo,
    Severity,
    Span,
    Status,
    Waiver,
    WaiverTarget,
)
from residency_audit.reporters import put
from residency_audit.reporters.common import unverifiable_count
from residency_audit.reporters.jsonitems import (
    Items,
    Parts,
    finding_dict,
    flow_dict,
    reference_dict,
    waiver_dict,
)
from residency_audit.reporters.jsontext import dumps
from residency_audit.risk.assess import BasisRisk, FactorValue, FlowRisk, RiskLevel
from residency_audit.spool import Spool


def to_dict(report: Report) -> dict[str, Any]:
    return {
        **_skeleton(report),
        "findings": [finding_dict(f) for f in report.findings],
        "flows": [flow_dict(f) for f in report.flows],
        "checks": list(_checks(report.checks)),
    }


def _skeleton(report: Report) -> dict[str, Any]:
    """The result with empty `findings`, `flows` and `checks` (key order as in the result)."""
    return {
        "tool": {"name": "residency-audit", "version": report.tool_version},
        "as_of": report.as_of.isoformat(),
        "parameters": dict(sorted(report.parameters)),
        "complete": not report.partial and not report.errors,
        "partial": list(report.partial),
        "inputs": [
            {
                "path": i.path,
                "sha256": i.sha256,
                "deployment": i.deployment,
                "role": i.role,
                "description": i.description,
            }
            for i in report.inputs
        ],
        "rule_packs": [
            {
                "name": p.name,
                "title": p.title,
                "version": p.version,
                "sha256": p.sha256,
                "rules": p.rules,
            }
            for p in report.packs
        ],
        "knowledge": {
            "files": [{"path": name, "sha256": digest} for name, digest in report.knowledge],
            "stale": list(report.stale_knowledge),
            "unverified_used": list(report.unverified_knowledge),
        },
        "findings": [],
        "risk_model": None
        if report.risk_model is None
        else {"path": report.risk_model[0], "sha256": report.risk_model[1]},
        "flows": [],
        "errors": [
            {
                "path": e.span.path,
                "line": e.span.line,
                "column": e.span.column,
                "message": e.message,
            }
            for e in report.errors
        ],
        "summary": {
            "findings": len(report.findings),
            "violations": len(report.findings) - unverifiable_count(report),
            "unverifiable": unverifiable_count(report),
            "by_severity": report.counts(),
            "by_status": report.status_counts(),
            "errors": len(report.errors),
        },
        "waivers": [waiver_dict(w) for w in report.waivers],
        "rules": [
            {
                "id": r.id,
                "pack": r.pack,
                "title": r.title,
                "severity": r.severity.label,
                "rationale": r.rationale,
                "remediation": r.remediation,
                "references": [reference_dict(x) for x in r.references],
                "notes": r.notes,
            }
            for r in report.rules
        ],
        "checks": [],
        "countries": [
            {"code": c.code, "name": c.name, "status": c.status} for c in report.countries
        ],
    }


def _checks(checks: Iterable[Check]) -> Iterator[dict[str, Any]]:
    """A subject's rules, in the order they were evaluated (JUnit follows it)."""
    for c in checks:
        # interned: a batch's checks come from many pickles, each with its own copy of an id
        yield {
            "deployment": c.deployment,
            "component": c.component,
            "subject": c.subject,
            "rules": [intern(rule) for rule in c.rules],
        }


def render(report: Report) -> str:
    out = io.StringIO()
    write(report, out)
    return out.getvalue()


def write(report: Report, out: TextIO, jobs: int = 1) -> None:
    """`json.dumps(to_dict(report), indent=2)` and a newline, written piece by piece: findings,
    flows and checks are turned into text one file at a time, never all at once (the JSON
    result of a 10,000-file batch is gigabytes); in `jobs` processes for a batch on disk."""
    head = dumps(_skeleton(report))
    items = Items()
    lists = {
        "findings": _texts(report.findings, finding_dict, items, jobs),
        "flows": _texts(report.flows, flow_dict, items, jobs),
        "checks": (items.item(_same, group) for group in _checks(report.checks)),
    }
    for key, texts in lists.items():
        # At the top level, so at two spaces: nested keys are indented more, and a string
        # cannot hold a raw newline.
        before, head = head.split(f'\n  "{key}": []', 1)
        out.write(f'{before}\n  "{key}": [')
        separator = ""
        for text in texts:
            out.write(f"{separator}\n    ")
            put(out, text)
            separator = ","
        out.write("\n  ]" if separator else "]")
    out.write(head)
    out.write("\n")


T = TypeVar("T")


def _same(value: dict[str, Any], parts: Parts) -> dict[str, Any]:
    return value


def _texts(
    items: Sequence[T], to_dict: Callable[[T, Parts], dict[str, Any]], encoder: Items, jobs: int
) -> Iterator[str | bytes]:
    """The texts of `items` as they go in a top-level list, a spool's run at a time. A spool of
    texts has its runs written by the batch's workers already; other items on disk (a batch
    with waivers or a baseline) are read back and encoded in `jobs` processes, since that
    costs a third of their audit."""
    if isinstance(items, Spool) and items.as_texts:
        yield from items.texts("json", partial(encoder.run, to_dict))
        return
    if jobs > 1 and isinstance(items, Spool) and items.spilled:
        from residency_audit.batch import map_ordered

        yield from map_ordered(partial(_encode_run, to_dict), items.pickled_runs(), jobs)
        return
    if isinstance(items, Spool):
        runs: Iterable[Sequence[T]] = items.runs()
    else:  # items in memory: a thousand at a time
        runs = (items[i : i + 1000] for i in range(0, len(items), 1000))
    for run in runs:
        if run:
            yield encoder.run(to_dict, run)


_ITEMS = Items()
"""A worker's encoder (see `_texts`), kept for the worker's life."""


def findings_text(findings: Sequence[Finding]) -> bytes:
    """One run of the result's findings list, as `write` puts it (a batch worker writes a
    file's findings with this, `packing.pack`)."""
    return _ITEMS.run(finding_dict, findings)


def flows_text(flows: Sequence[Flow]) -> bytes:
    """One run of the result's flows list, as `write` puts it."""
    return _ITEMS.run(flow_dict, flows)


def _encode_run(to_dict: Callable[[Any, Parts], dict[str, Any]], run: bytes) -> bytes:
    return _ITEMS.run(to_dict, pickle.loads(run))


# -- reading a result back -----------------------------------------------------------------------


def from_dict(data: dict[str, Any]) -> Report:
    """The Report a JSON result describes. Raises KeyError, TypeError or ValueError when `data`
    is not a result of this tool (callers turn that into an input error)."""
    return from_members(
        data,
        findings=tuple(read_finding(f) for f in data["findings"]),
        flows=tuple(read_flow(f) for f in data.get("flows", [])),
        checks=tuple(read_check(d) for d in data.get("checks", [])),
    )


def from_members(
    data: dict[str, Any],
    *,
    findings: Sequence[Finding],
    flows: Sequence[Flow],
    checks: Sequence[Check],
) -> Report:
    """The Report of a JSON result whose long lists were read item by item (`read_finding`,
    `read_flow`, `read_check`): `data` holds its other members."""
    knowledge = data["knowledge"]
    return Report(
        tool_version=data["tool"]["version"],
        as_of=_read_day(data["as_of"], "as_of"),
        # older results have none: their reports say so (`common.parameters_unknown`)
        parameters=() if "parameters" not in data else read_parameters(data["parameters"]),
        inputs=tuple(
            InputFile(
                i["path"],
                i["sha256"],
                i["deployment"],
                i.get("role", "deployment"),
                _optional_text(i.get("description")),  # older results have none
            )
            for i in data["inputs"]
        ),
        packs=tuple(
            PackInfo(p["name"], p["title"], p["version"], p["sha256"], p["rules"])
            for p in data["rule_packs"]
        ),
        knowledge=tuple((k["path"], k["sha256"]) for k in knowledge["files"]),
        findings=findings,
        errors=tuple(
            Diagnostic(Span(e["path"], e["line"], e["column"]), e["message"])
            for e in data["errors"]
        ),
        flows=flows,
        risk_model=None
        if data.get("risk_model") is None
        else (data["risk_model"]["path"], data["risk_model"]["sha256"]),
        stale_knowledge=tuple(knowledge["stale"]),
        unverified_knowledge=tuple(knowledge["unverified_used"]),
        partial=tuple(data["partial"]),
        rules=tuple(
            RuleInfo(
                r["id"],
                r["pack"],
                r["title"],
                Severity.parse(r["severity"]),
                r["rationale"],
                r["remediation"],
                tuple(_read_reference(x) for x in r["references"]),
                notes=_optional_text(r.get("notes")),  # older results have none
            )
            for r in data.get("rules", [])
        ),
        checks=checks,
        waivers=tuple(read_waiver(w) for w in data.get("waivers", [])),
        countries=tuple(
            CountryStatus(c["code"], c["name"], c["status"]) for c in data.get("countries", [])
        ),
    )


def read_parameters(value: Any) -> tuple[tuple[str, Any], ...]:
    """A result's `parameters`: every setting rules may use (`engine.operators.PARAMETERS`),
    each of its default's kind (a whole number is one of 0 or more, as `check` takes it), by
    name. A result records them all, defaults included, so a missing or unknown one, or a value
    `check` would refuse, is not a result of this tool: its reports would show a setting no
    audit ran with."""
    from residency_audit.engine.operators import PARAMETERS

    if not isinstance(value, dict):
        raise TypeError(f"parameters: expected an object, got {type(value).__name__}")
    names = sorted(PARAMETERS)
    if sorted(value) != names:
        raise ValueError(f"parameters: expected {', '.join(names)}, got {sorted(value)!r}"[:160])
    for name, setting in value.items():
        default = PARAMETERS[name][0]
        if setting.__class__ is not default.__class__:
            raise TypeError(
                f"parameters: {name}: expected a {type(default).__name__}, got {setting!r}"[:160]
            )
        if isinstance(setting, int) and setting < 0:
            raise ValueError(f"parameters: {name}: expected 0 or more, got {setting}")
        if isinstance(setting, str):
            _text(setting)
    return tuple(sorted(value.items()))


def _optional_text(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"expected text or null, got {type(value).__name__}")
    return value


def _text(value: Any, *, lines: bool = False) -> str:
    """What names a finding, a check or a flow (reporters group and sort by it, and print it
    on one line of a CI log): text, on one line and free of the control characters a
    deployment file may not hold either, else the result is not one of this tool's (a
    TypeError or ValueError, which callers make an input error)."""
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    bad = (_UNPRINTABLE_TEXT if lines else _UNPRINTABLE).search(value)
    if bad is not None:
        raise ValueError(f"character U+{ord(bad.group()):04X} in {'a text' if lines else 'a name'}")
    return value


def _optional_name(value: Any) -> str | None:
    return None if value is None else _text(value)


_UNPRINTABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
"""Control, bidirectional and lone surrogate characters: in a name they would forge a line
of the terminal or CI log, reorder what a reader sees, or fail to encode."""
_UNPRINTABLE_TEXT = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
"""The same, but for tab and newline, which a message or title may hold (`lines`)."""


def _read_span(d: dict[str, Any]) -> Span:
    return Span(_text(d["path"]), _count(d["line"]), _count(d["column"]))


def _count(value: Any) -> int:
    """A line or column: reporters sort and compare them."""
    if value.__class__ is not int or value < 0:
        raise TypeError(f"expected a line or column number, got {value!r}"[:120])
    return int(value)


def _read_reference(d: dict[str, Any]) -> Reference:
    return Reference(d["label"], d["url"], d.get("article"))


def _read_day(value: Any, what: str) -> dt.date:
    """A day of a saved result, written YYYY-MM-DD as this tool writes it (`clock.parse_day`:
    a week date or the basic format would be read as another day)."""
    try:
        return parse_day(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: {value!r} is not a date YYYY-MM-DD"[:160]) from None


def read_waiver(d: dict[str, Any]) -> Waiver:
    return Waiver(
        d["rule"],
        WaiverTarget(
            d["deployment"],
            d["component"],
            None if d.get("countries") is None else tuple(d["countries"]),
            d.get("subject"),
        ),
        d["justification"],
        d["approved_by"],
        _read_day(d["expires"], "expires"),
        d["evidence"],
        _read_span(d["location"]),
    )


def read_check(d: dict[str, Any]) -> Check:
    """One item of a result's `checks` list: a subject and its rules (a component and its
    rules in results saved before checks named their subject)."""
    rules = d["rules"]
    if not isinstance(rules, list):
        raise TypeError(f"expected a list of rule ids, got {type(rules).__name__}")
    return Check(
        tuple(_text(r) for r in rules),
        _text(d["deployment"]),
        _optional_name(d["component"]),
        _optional_name(d.get("subject")),
    )


def read_finding(d: dict[str, Any]) -> Finding:
    return Finding(
        rule_id=_text(d["rule_id"]),
        severity=Severity.parse(d["severity"]),
        title=_text(d["title"], lines=True),
        message=_text(d["message"], lines=True),
        deployment=_text(d["deployment"]),
        component=_optional_name(d["component"]),
        span=_read_span(d["location"]),
        references=tuple(_read_reference(r) for r in d["references"]),
        facts=tuple(
            Fact(x["path"], x["value"], x["source"], x["url"], x["verified"]) for x in d["facts"]
        ),
        remediation=d["remediation"],
        unverifiable=bool(d["unverifiable"]),
        status=Status(d.get("status", "open")),
        waiver=None if d.get("waiver") is None else read_waiver(d["waiver"]),
        subject=_optional_name(d.get("subject")),
    )


def read_flow(d: dict[str, Any]) -> Flow:
    return Flow(
        _text(d["id"]),
        _text(d["deployment"]),
        _text(d["kind"]),
        _optional_name(d["component"]),
        d["country"],
        d["entity"],
        d["parent_country"],
        tuple(d["jurisdictions"]),
        d["clear_text_reachable"],
        _read_span(d["location"]),
        None if d.get("risk") is None else _read_risk(d["risk"]),
        label=d.get("label", ""),
        entity_name=d.get("entity_name"),
        entity_country=d.get("entity_country"),
        parent=d.get("parent"),
        categories=tuple(d.get("data_categories", ())),
        bases=None if d["bases"] is None else tuple(d["bases"]),
        facts=tuple(
            Fact(x["path"], x["value"], x["source"], x["url"], x["verified"])
            for x in d.get("facts", ())
        ),
    )


def _read_risk(d: dict[str, Any]) -> FlowRisk:
    factors: dict[str, list[FactorValue]] = {}
    for x in d["factors"]:
        factors.setdefault(x["basis"], []).append(
            FactorValue(
                x["basis"],
                RiskFactor(x["factor"]),
                x["value"],
                x["low"],
                x["high"],
                x["justification"],
                x["source"],
                x["origin"],
                x["overridden"],
                x["verified"],
            )
        )
    bases = tuple(
        BasisRisk(
            b["basis"], b["p_year"], b["band"][0], b["band"][1], tuple(factors.get(b["basis"], ()))
        )
        for b in d["bases"]
    )
    return FlowRisk(
        RiskLevel(d["level"]),
        d["p_year"],
        d["p_period"],
        None if d["band"] is None else (d["band"][0], d["band"][1]),
        d["period_years"],
        d["threshold"],
        d["exceeds_threshold"],
        d["binding_basis"],
        None if d["binding_factor"] is None else RiskFactor(d["binding_factor"]),
        bases,
        d["model"],
    )

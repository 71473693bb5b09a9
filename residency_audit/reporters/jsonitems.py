"""Findings and flows as items of the JSON result's lists: their dicts (`finding_dict`,
`flow_dict`), and `Items`, which writes them fast, with orjson.

The result's bytes are what `json.dumps(result, indent=2, ensure_ascii=False)` writes. orjson
writes the same indentation, separators and string escapes, but not the same floats (`1e-05`
is `0.00001` to it): `Items` has the dicts made with every float as a fragment of Python's own
text, and falls back on `jsontext` for what orjson refuses (integers beyond 64 bits). It also
makes the parts findings and flows share (a fact, a flow's risk, a rule's references) once per
object. tests/reporters/test_jsonitems.py compares the two ways on real and generated items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from itertools import chain
from operator import attrgetter
from typing import Any, TypeVar

import orjson

from residency_audit.model import Fact, Finding, Flow, Reference, Severity, Span, Status, Waiver
from residency_audit.reporters.jsontext import dumps, scalar
from residency_audit.risk.assess import FactorValue, FlowRisk, significant

MARGIN = "    "
"""Where an item of a top-level list starts: the list's key is at two spaces."""

T = TypeVar("T")

_FACTS = attrgetter("facts")
_LABELS = {severity: severity.label for severity in Severity}
_STATUSES = {status: status.value for status in Status}
"""`Severity.label` and `Status.value` by member: a dict lookup, where the property and the
enum's descriptor are two Python calls for each of a file's ~45 findings."""


class Parts:
    """How the parts of an item's dict are made: as plain values, which `json.dumps` takes
    (`to_dict`, reading a result back)."""

    def number(self, x: float) -> Any:
        return x

    def fact(self, x: Fact) -> dict[str, Any]:
        value = x.value
        cls = value.__class__
        return {
            "path": x.path,
            # most values are plain scalars, which `_plain` returns as they are: no call
            "value": value
            if cls is str or cls is bool or value is None or cls is int
            else _plain(value, self.number),
            "source": x.origin,
            "url": x.url,
            "verified": x.verified,
        }

    def risk(self, r: FlowRisk) -> dict[str, Any]:
        return risk_dict(r, self)

    def references(self, refs: tuple[Reference, ...]) -> list[dict[str, Any]]:
        return [reference_dict(r) for r in refs]

    def facts(self, facts: tuple[Fact, ...]) -> list[dict[str, Any]]:
        return [self.fact(x) for x in facts]


PLAIN = Parts()


class Items(Parts):
    """Writes findings and flows as UTF-8 items of the result's top-level lists, indented as
    there. Parts it makes once are kept with their object, so that its id cannot be reused: a
    run's facts for that run (they name their file), risks and references across runs (a
    batch's flows share a few hundred risks, its findings a few hundred reference lists), at
    most `KEPT` of them."""

    KEPT = 4096

    def __init__(self) -> None:
        self._facts: dict[int, tuple[object, Any]] = {}
        self._kept: dict[int, tuple[object, Any]] = {}
        self._make_fact = super().fact  # bound once, not at each of a file's ~200 facts
        self._run_facts: dict[int, Any] = {}
        """The dicts of the facts of the items `run` is writing, by the fact's id (the items
        keep the facts alive while it does)."""

    def number(self, x: float) -> Any:
        return orjson.Fragment(scalar(x)) if x.__class__ is float else x

    def fact(self, x: Fact) -> dict[str, Any]:
        # `_once`, with its usual case (a fact made already: a file's findings and flows
        # cite each about 2.4 times) answered here, without the call
        entry = self._facts.get(id(x))
        if entry is not None and entry[0] is x:
            return entry[1]  # type: ignore[no-any-return]
        made = self._make_fact(x)
        self._facts[id(x)] = (x, made)
        return made

    def facts(self, facts: tuple[Fact, ...]) -> list[dict[str, Any]]:
        try:  # in a run, each looked up in C: no call per fact (a file cites ~700)
            return list(map(self._run_facts.__getitem__, map(id, facts)))
        except KeyError:  # not in a run, or not one of its items' facts
            return list(map(self.fact, facts))

    def risk(self, r: FlowRisk) -> dict[str, Any]:
        return _once(self._kept, r, super().risk, self.KEPT)  # type: ignore[no-any-return]

    def references(self, refs: tuple[Reference, ...]) -> list[dict[str, Any]]:
        return _once(self._kept, refs, super().references, self.KEPT)  # type: ignore[no-any-return]

    def run(self, to_dict: Callable[[T, Parts], dict[str, Any]], items: Sequence[T]) -> bytes:
        """`items` as consecutive items of a top-level list."""
        try:
            if to_dict is finding_dict or to_dict is flow_dict:
                # each fact's dict made once, before the items': a file's ~700 citations
                # of ~200 facts are then looked up in C (`facts`)
                cited = list(chain.from_iterable(map(_FACTS, items)))
                facts = dict(zip(map(id, cited), cited, strict=True))  # each once, in C
                self._run_facts = {k: self._make_fact(x) for k, x in facts.items()}
            made = [to_dict(x, self) for x in items]
            if not made:
                return b""
            try:
                return indented_run(made, MARGIN)
            except orjson.JSONEncodeError:  # an integer beyond 64 bits: item by item
                return f",\n{MARGIN}".encode().join(self.item(to_dict, x) for x in items)
        finally:
            self._facts.clear()
            self._run_facts = {}

    def item(self, to_dict: Callable[[T, Parts], dict[str, Any]], item: T) -> bytes:
        try:
            return _orjson(to_dict(item, self), MARGIN)
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, in a declared value
            return dumps(to_dict(item, PLAIN), margin=MARGIN).encode()


def _once(
    kept: dict[int, tuple[object, Any]], obj: T, make: Callable[[T], Any], limit: int = 0
) -> Any:
    """`make(obj)`, made once while `obj` is in `kept` (at most `limit` entries, if given)."""
    entry = kept.get(id(obj))
    if entry is None or entry[0] is not obj:
        if limit and len(kept) >= limit:
            kept.clear()
        entry = kept[id(obj)] = (obj, make(obj))
    return entry[1]


def indented(value: Any, margin: str) -> bytes:
    """`jsontext.dumps(value, margin)` in UTF-8, written by orjson, for a value without floats
    (orjson writes those its own way: see `Items`); what orjson refuses goes to jsontext."""
    try:
        return _orjson(value, margin)
    except orjson.JSONEncodeError:
        return dumps(value, margin=margin).encode()


def indented_run(values: Sequence[Any], margin: str) -> bytes:
    """`values` as `indented` writes each at `margin` (two spaces or more, an even number),
    joined as consecutive items of a list (",\\n" and `margin`), in one orjson call: nested
    in as many lists as make two spaces each, orjson puts them at `margin` with those
    separators, and only the brackets around are cut off (no call and no re-indenting pass
    per value). Raises `orjson.JSONEncodeError` for what orjson refuses: the caller writes
    those one by one."""
    if not values:
        return b""
    depth, odd = divmod(len(margin), 2)
    if odd or not depth or margin.strip(" "):
        raise ValueError(f"a margin of spaces, two per level, not {margin!r}")
    nested: Any = values
    for _ in range(depth - 1):
        nested = [nested]
    text = orjson.dumps(nested, option=orjson.OPT_INDENT_2)
    # "[\n  [\n    " ... before the first value, "\n    ]\n  ]\n]" ... after the last
    opening = sum(len("[\n") + 2 * level for level in range(1, depth + 1))
    closing = sum(len("\n]") + 2 * level for level in range(depth))
    return text[opening:-closing]


def _orjson(value: Any, margin: str) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).replace(b"\n", b"\n" + margin.encode())


def finding_dict(f: Finding, parts: Parts = PLAIN) -> dict[str, Any]:
    return {
        "rule_id": f.rule_id,
        "severity": _LABELS[f.severity],
        "status": _STATUSES[f.status],
        "title": f.title,
        "message": f.message,
        "deployment": f.deployment,
        "component": f.component,
        "subject": f.subject,
        "location": span_dict(f.span),
        "unverifiable": f.unverifiable,
        "references": parts.references(f.references),
        "facts": parts.facts(f.facts),
        "remediation": f.remediation,
        "waiver": None if f.waiver is None else waiver_dict(f.waiver),
        # only with a baseline, so a result made without one reads as before
        **({"in_baseline": True} if f.in_baseline else {}),
    }


def flow_dict(f: Flow, parts: Parts = PLAIN) -> dict[str, Any]:
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
        "bases": None if f.bases is None else list(f.bases),
        "clear_text_reachable": f.clear_text_reachable,
        "data_categories": list(f.categories),
        "location": span_dict(f.span),
        "facts": parts.facts(f.facts),
        "risk": parts.risk(f.risk) if isinstance(f.risk, FlowRisk) else f.risk,
    }


def risk_dict(r: FlowRisk, parts: Parts = PLAIN) -> dict[str, Any]:
    """Probabilities rounded to six significant digits: stable bytes, no false precision."""
    number = parts.number

    def num(x: float | None) -> Any:
        return None if x is None else number(significant(x))

    return {
        "level": r.level.value,
        "p_year": num(r.p_year),
        "p_period": num(r.p_period),
        "period_years": r.period_years,
        "threshold": number(r.threshold),
        "band": None if r.band is None else [num(r.band[0]), num(r.band[1])],
        "exceeds_threshold": r.exceeds_threshold,
        "binding_factor": None if r.binding_factor is None else r.binding_factor.value,
        "binding_basis": r.binding_basis,
        "bases": [
            {"basis": b.basis, "p_year": num(b.p_year), "band": [num(b.low), num(b.high)]}
            for b in r.bases
        ],
        "factors": [_factor(x, number) for b in r.bases for x in b.factors],
        "model": r.model,
    }


def _factor(x: FactorValue, number: Callable[[float], Any]) -> dict[str, Any]:
    return {
        "basis": x.basis,
        "factor": x.factor.value,
        "value": number(x.value),
        "low": number(x.low),
        "high": number(x.high),
        "justification": x.justification,
        "source": x.source,
        "origin": x.origin,
        "overridden": x.overridden,
        "verified": x.verified,
    }


def waiver_dict(w: Waiver) -> dict[str, Any]:
    return {
        "rule": w.rule,
        "deployment": w.target.deployment,
        "component": w.target.component,
        "subject": w.target.subject,
        "countries": None if w.target.countries is None else list(w.target.countries),
        "justification": w.justification,
        "approved_by": w.approved_by,
        "expires": w.expires.isoformat(),
        "evidence": w.evidence,
        "location": span_dict(w.span),
    }


def span_dict(span: Span) -> dict[str, Any]:
    return {"path": span.path, "line": span.line, "column": span.column}


def reference_dict(r: Reference) -> dict[str, Any]:
    """A reference with the days that say which version of the text it cites (null when its
    rule file gives none, and for the knowledge-base laws a finding relied on)."""
    return {
        "label": r.label,
        "url": r.url,
        "article": r.article,
        "adopted": _day(r.adopted),
        "applies_from": _day(r.applies_from),
        "superseded": _day(r.superseded),
    }


def _day(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _plain(value: Any, number: Callable[[float], Any]) -> Any:
    if value.__class__ is float:
        return number(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v, number) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v, number) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k), number) for k in value.__dataclass_fields__}
    return value

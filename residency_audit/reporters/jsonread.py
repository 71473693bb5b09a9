"""Reading a JSON result back (baselines, `residency-audit report`): `from_dict(d)` gives the
report `reporters.json.to_dict` wrote as `d`. Each kind of object a result holds has one reader,
which checks every field the reporters use; what fails is a TypeError or a ValueError that
`residency_audit.results` turns into an input error at the item.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from residency_audit.clock import parse_day
from residency_audit.loader import CONTROL_CHARACTERS
from residency_audit.model import (
    Check,
    Code,
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
from residency_audit.reporters.common import COUNTRY_STATUS_WORDS
from residency_audit.risk.assess import BasisRisk, FactorValue, FlowRisk, RiskLevel

T = TypeVar("T")


def from_dict(data: dict[str, Any]) -> Report:
    """The Report a JSON result describes. Raises KeyError, TypeError or ValueError when `data`
    is not a result of this tool (callers turn that into an input error)."""
    return from_members(
        data,
        findings=tuple(read_finding(f) for f in data["findings"]),
        flows=tuple(read_flow(f) for f in data.get("flows", [])),
        checks=tuple(read_check(d) for d in data.get("checks", [])),
    )


class MemberError(ValueError):
    """A top-level member of a result refused by its reader: `member` names it, so that the
    caller can say where in the file its value is (`results`, `jsonstream.read_object`'s
    `places`); `cause` is the reader's error."""

    def __init__(self, member: str, cause: Exception) -> None:
        super().__init__(f"{member}: {type(cause).__name__}: {cause}")
        self.member, self.cause = member, cause


def _in(member: str, read: Callable[[], T]) -> T:
    """`read()`, its refusal named after the top-level member it reads."""
    try:
        return read()
    except MemberError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MemberError(member, exc) from None


def from_members(
    data: dict[str, Any],
    *,
    findings: Sequence[Finding],
    flows: Sequence[Flow],
    checks: Sequence[Check],
    errors: Sequence[Diagnostic] | None = None,
) -> Report:
    """The Report of a JSON result whose long lists were read item by item (`read_finding`,
    `read_flow`, `read_check`, and `read_error` when `errors` are given): `data` holds its
    other members. A member refused is a MemberError naming it."""
    if errors is None:
        errors = _in("errors", lambda: tuple(read_error(e) for e in data["errors"]))
    knowledge = _in("knowledge", lambda: _object(data["knowledge"], "knowledge"))
    risk_model = data.get("risk_model")
    return Report(
        tool_version=_in("tool", lambda: _text(_object(data["tool"], "tool")["version"])),
        as_of=_in("as_of", lambda: read_day(data["as_of"], "as_of")),
        # older results have none: their reports say so (`common.parameters_unknown`)
        parameters=()
        if "parameters" not in data
        else _in("parameters", lambda: read_parameters(data["parameters"])),
        inputs=_in("inputs", lambda: _each(_read_input, data["inputs"])),
        packs=_in("rule_packs", lambda: _each(_read_pack, data["rule_packs"])),
        knowledge=_in("knowledge", lambda: _each(_read_file, knowledge["files"])),
        findings=findings,
        errors=errors,  # a spool once spilled (`results.read_result`), as findings are
        flows=flows,
        risk_model=None
        if risk_model is None
        else _in("risk_model", lambda: _read_file(_object(risk_model, "risk_model"))),
        stale_knowledge=_in("knowledge", lambda: _each(_text, knowledge["stale"])),
        unverified_knowledge=_in("knowledge", lambda: _each(_text, knowledge["unverified_used"])),
        # none in a result saved before results recorded it
        knowledge_checked=None
        if knowledge.get("checked") is None
        else _in("knowledge", lambda: read_day(knowledge["checked"], "knowledge.checked")),
        # none in a result saved before results recorded them
        assumptions=_in("assumptions", lambda: _each(_text, data.get("assumptions", []))),
        # one line each, as the text report prints them
        partial=_in("partial", lambda: _each(_text, data["partial"])),
        rules=_in("rules", lambda: _each(read_rule, data.get("rules", []))),
        checks=checks,
        waivers=_in("waivers", lambda: _each(read_waiver, data.get("waivers", []))),
        countries=_in("countries", lambda: _each(_read_country, data.get("countries", []))),
        # none in a result saved before results recorded it, or when no format showed it
        code=_in("tool", lambda: _read_code(_object(data["tool"], "tool").get("code"))),
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


# Each kind of object a result holds has one reader below, which checks every field the
# reporters use as they use it: text (one line where the text report prints it on one), a finite
# number, a flag, a known value of an enum, a list of such. What fails is a TypeError or a
# ValueError, which `residency_audit.results` makes an input error at the item.


def _each(read: Callable[[Any], T], items: Any) -> tuple[T, ...]:
    """`items`, a list, each read by `read`."""
    if not isinstance(items, list):
        raise TypeError(f"expected a list, got {type(items).__name__}")
    return tuple(read(x) for x in items)


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value, lines=True)


def _flag(value: Any) -> bool:
    if value.__class__ is not bool:
        raise TypeError(f"expected true or false, got {value!r}"[:120])
    return bool(value)


def _optional_flag(value: Any) -> bool | None:
    return None if value is None else _flag(value)


def _number(value: Any) -> float:
    """A probability, band or factor value: reporters format it with `:g` and compare it. The
    stream refuses what no float holds (`1e400`), so a float here is finite."""
    if value.__class__ not in (int, float):
        raise TypeError(f"expected a number, got {value!r}"[:120])
    return value


def _optional_number(value: Any) -> float | None:
    return None if value is None else _number(value)


def _pair(value: Any) -> tuple[float, float]:
    """A band: its low and high."""
    if not isinstance(value, list) or len(value) != 2:
        raise TypeError(f"expected a band [low, high], got {value!r}"[:120])
    return _number(value[0]), _number(value[1])


def _web(url: Any, what: str) -> str:
    """A URL the reports link: an http(s) one only. `javascript:` in a link of the HTML report
    would run in its reader's browser; this tool writes none (rule packs and the knowledge base
    refuse them)."""
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"{what} URL {url!r} is not an http:// or https:// address"[:200])
    return _text(url)


def _text(value: Any, *, lines: bool = False, where: str = "a name") -> str:
    """What names a finding, a check or a flow (reporters group and sort by it, and print it
    on one line of a CI log): text, on one line and free of the control characters a
    deployment file may not hold either, else the result is not one of this tool's (a
    TypeError or ValueError, which callers make an input error)."""
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    bad = (_UNPRINTABLE_TEXT if lines else _UNPRINTABLE).search(value)
    if bad is not None:
        raise ValueError(refused_character(bad.group(), "a text" if lines else where))
    return value


def refused_character(char: str, where: str) -> str:
    """Why a character of a saved result is refused, in a reader's words."""
    if char == "\n":
        return f"line break in {where} printed on one line"
    kind = (
        "lone surrogate (text that is not UTF-8)"
        if "\ud800" <= char <= "\udfff"
        else "control, bidirectional or non-XML character"
    )
    return f"{kind} U+{ord(char):04X} in {where}"


def _optional_name(value: Any) -> str | None:
    return None if value is None else _text(value)


_UNPRINTABLE = re.compile(f"[{CONTROL_CHARACTERS}\n\ud800-\udfff]")
"""What a deployment's values may not hold (`loader.CONTROL_CHARACTERS`: control characters but
tab and newline, bidirectional embeddings, overrides and isolates, the noncharacters XML cannot
hold), a line break, and lone surrogates: in a name they would forge a line of the terminal or
CI log, reorder what a reader sees, fail to encode, or break the XML (JUnit's `XML_INVALID`,
which tests/test_hostile_results.py compares). Built from the loader's set, so that whatever
`check` reads, `report` reads back (tab and the left-to-right and right-to-left marks pass)."""
_UNPRINTABLE_TEXT = re.compile(f"[{CONTROL_CHARACTERS}\ud800-\udfff]")
"""The same, but for newline, which a message, title or free text may hold (`lines`)."""


def _read_span(d: dict[str, Any]) -> Span:
    return Span(_text(d["path"]), _count(d["line"]), _count(d["column"]))


def _count(value: Any) -> int:
    """A line or column: reporters sort and compare them."""
    if value.__class__ is not int or value < 0:
        raise TypeError(f"expected a line or column number, got {value!r}"[:120])
    return int(value)


def _read_reference(d: dict[str, Any]) -> Reference:
    """A reference; results written before references carried their days have none."""
    article = d.get("article")
    return Reference(
        _text(d["label"]),
        _web(d["url"], "reference"),
        _optional_name(article),
        *(_optional_day(d.get(key), key) for key in ("adopted", "applies_from", "superseded")),
    )


def _optional_day(value: Any, what: str) -> dt.date | None:
    return None if value is None else read_day(value, what)


def _read_fact(x: dict[str, Any]) -> Fact:
    """A fact: its value is any JSON (the stream refused what no report can write)."""
    url = x["url"]
    return Fact(
        _text(x["path"]),
        x["value"],
        _text(x["source"]),
        url if url in (None, "") else _web(url, "fact"),
        _flag(x["verified"]),
    )


def _read_input(i: dict[str, Any]) -> InputFile:
    return InputFile(
        _text(i["path"]),
        _text(i["sha256"]),
        _optional_name(i["deployment"]),
        _text(i.get("role", "deployment")),
        _optional_text(i.get("description")),  # older results have none
    )


def _read_pack(p: dict[str, Any]) -> PackInfo:
    return PackInfo(
        _text(p["name"]), _text(p["title"]), _text(p["version"]), _text(p["sha256"]),
        _count(p["rules"]),
    )  # fmt: skip


def _read_code(value: Any) -> Code | None:
    """`tool.code`: the digest of the code that made the result, and its commit if known."""
    if value is None:
        return None
    code = _object(value, "tool.code")
    return Code(_text(code["sha256"]), _optional_name(code["commit"]))


def _read_file(k: dict[str, Any]) -> tuple[str, str]:
    """A knowledge-base file or the risk model: its path and SHA-256."""
    return _text(k["path"]), _text(k["sha256"])


def read_rule(r: dict[str, Any]) -> RuleInfo:
    """An item of `rules`: JUnit names its cases by the rule's title; SARIF splits its
    rationale and links its references."""
    return RuleInfo(
        _text(r["id"]),
        _text(r["pack"]),
        _text(r["title"], lines=True),
        Severity.parse(_text(r["severity"])),
        _text(r["rationale"], lines=True),
        _text(r["remediation"], lines=True),
        _each(_read_reference, r["references"]),
        notes=_optional_text(r.get("notes")),  # older results have none
        severities=_each(_read_severity, r.get("severities", [])),  # nor these
    )


def _read_severity(s: Any) -> Severity:
    return Severity.parse(_text(s))


def _read_country(c: dict[str, Any]) -> CountryStatus:
    status = _text(c["status"])
    if status not in COUNTRY_STATUS_WORDS:  # the evidence reports word each status
        raise ValueError(f"country status {status!r} is not one of this tool's"[:120])
    return CountryStatus(_text(c["code"]), _text(c["name"]), status)


def read_day(value: Any, what: str) -> dt.date:
    """A day of a saved result, written YYYY-MM-DD as this tool writes it (`clock.parse_day`:
    a week date or the basic format would be read as another day)."""
    try:
        return parse_day(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: {value!r} is not a date YYYY-MM-DD"[:160]) from None


def read_waiver(d: dict[str, Any]) -> Waiver:
    return Waiver(
        _text(d["rule"]),
        WaiverTarget(
            _text(d["deployment"]),
            _optional_name(d["component"]),
            None if d.get("countries") is None else _each(_text, d["countries"]),
            _optional_name(d.get("subject")),
        ),
        _text(d["justification"], lines=True),
        _text(d["approved_by"], lines=True),
        read_day(d["expires"], "expires"),
        _optional_text(d["evidence"]),
        _read_span(d["location"]),
    )


def read_check(d: dict[str, Any]) -> Check:
    """One item of a result's `checks` list: a subject, the rules that applied to it and those
    that did not (a component and its rules in results saved before checks named their subject;
    every rule as applied in results saved before checks said which did not apply, as they were
    then reported). A rule in both lists would be a pass and not judged at once: refused."""
    rules = _rule_ids(d["rules"], "rules")
    skipped = () if "not_applicable" not in d else _rule_ids(d["not_applicable"], "not_applicable")
    if skipped and not frozenset(skipped).isdisjoint(rules):
        both = next(r for r in skipped if r in rules)
        raise ValueError(f"rule {both!r} is in both rules and not_applicable"[:160])
    return Check(
        rules,
        _text(d["deployment"]),
        _optional_name(d["component"]),
        _optional_name(d.get("subject")),
        skipped,
    )


def _rule_ids(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError(f"{what}: expected a list of rule ids, got {type(value).__name__}")
    return tuple([_text(r) for r in value])


def read_error(d: dict[str, Any]) -> Diagnostic:
    """One item of a result's `errors` list."""
    return Diagnostic(Span(d["path"], d["line"], d["column"]), d["message"])


def read_finding(d: dict[str, Any]) -> Finding:
    status = Status(_text(d.get("status", "open")))
    return Finding(
        rule_id=_text(d["rule_id"]),
        severity=Severity.parse(d["severity"]),
        title=_text(d["title"], lines=True),
        # one line of the text report and of the CI log
        message=_text(d["message"], where="a finding's message"),
        deployment=_text(d["deployment"]),
        component=_optional_name(d["component"]),
        span=_read_span(d["location"]),
        references=_each(_read_reference, d["references"]),
        facts=_each(_read_fact, d["facts"]),
        remediation=_text(d["remediation"], lines=True),
        unverifiable=_flag(d["unverifiable"]),
        status=status,
        waiver=None if d.get("waiver") is None else read_waiver(d["waiver"]),
        subject=_optional_name(d.get("subject")),
        # a result saved before findings carried it: its baselined ones were in its baseline
        in_baseline=_flag(d.get("in_baseline", status is Status.BASELINED)),
    )


def read_flow(d: dict[str, Any]) -> Flow:
    return Flow(
        _text(d["id"]),
        _text(d["deployment"]),
        _text(d["kind"]),
        _optional_name(d["component"]),
        _optional_name(d["country"]),
        _optional_name(d["entity"]),
        _optional_name(d["parent_country"]),
        _each(_text, d["jurisdictions"]),
        _optional_flag(d["clear_text_reachable"]),
        _read_span(d["location"]),
        None if d.get("risk") is None else _read_risk(_object(d["risk"], "risk")),
        label=_text(d.get("label", "")),
        entity_name=_optional_name(d.get("entity_name")),
        entity_country=_optional_name(d.get("entity_country")),
        parent=_optional_name(d.get("parent")),
        categories=_each(_text, d.get("data_categories", [])),
        bases=None if d["bases"] is None else _each(_text, d["bases"]),
        facts=_each(_read_fact, d.get("facts", [])),
    )


def _read_risk(d: dict[str, Any]) -> FlowRisk:
    factors: dict[str, list[FactorValue]] = {}
    for x in _each(_object_of("factor"), d["factors"]):
        factors.setdefault(_text(x["basis"]), []).append(
            FactorValue(
                x["basis"],
                RiskFactor(_text(x["factor"])),
                _number(x["value"]),
                _number(x["low"]),
                _number(x["high"]),
                _text(x["justification"]),  # the text report prints it on a line of its own
                _optional_name(x["source"]),
                _text(x["origin"]),
                _flag(x["overridden"]),
                _flag(x["verified"]),
            )
        )
    bases = tuple(
        BasisRisk(
            _text(b["basis"]),
            _number(b["p_year"]),
            *_pair(b["band"]),
            tuple(factors.get(b["basis"], ())),
        )
        for b in _each(_object_of("basis"), d["bases"])
    )
    return FlowRisk(
        RiskLevel(_text(d["level"])),
        _optional_number(d["p_year"]),
        _optional_number(d["p_period"]),
        None if d["band"] is None else _pair(d["band"]),
        _count(d["period_years"]),
        _number(d["threshold"]),
        _optional_flag(d["exceeds_threshold"]),
        _optional_name(d["binding_basis"]),
        None if d["binding_factor"] is None else RiskFactor(_text(d["binding_factor"])),
        bases,
        _text(d["model"]),
    )


def _object_of(what: str) -> Callable[[Any], dict[str, Any]]:
    return lambda value: _object(value, what)

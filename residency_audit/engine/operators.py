"""The closed set of condition operators, registered in one explicit dict.

Each operator checks its argument when the rule loads (`check`) and, when evaluated, returns a
truth value (None = cannot be decided) and any knowledge-base facts it consulted, so findings can
cite them. A new operator is a class here, an entry in OPERATORS and a test.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from residency_audit.kb import KnowledgeBase, fact_from, in_eea
from residency_audit.model import Fact

Result = tuple[bool | None, list[Fact]]


@dataclass(frozen=True, slots=True)
class Context:
    """What operators may consult besides the fact itself."""

    kb: KnowledgeBase
    as_of: dt.date
    subject: Any
    """The subject being evaluated (for operators that need sibling facts)."""


class Operator(Protocol):
    def check(self, argument: Any) -> str | None: ...
    def apply(self, value: Any, argument: Any, ctx: Context) -> Result: ...


def _as_date(value: Any, ctx: Context) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if value == "as_of":
        return ctx.as_of
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _is_bool(argument: Any) -> str | None:
    return None if isinstance(argument, bool) else "expects true or false"


class Equals:
    def check(self, argument: Any) -> str | None:
        return None if not isinstance(argument, (dict, list)) else "expects a single value"

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        return value == argument, []


class NotEquals(Equals):
    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        return value != argument, []


class In:
    def check(self, argument: Any) -> str | None:
        return None if isinstance(argument, list) and argument else "expects a non-empty list"

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        return value in argument, []


class NotIn(In):
    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        return value not in argument, []


class ContainsAny(In):
    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        items = value if isinstance(value, (list, tuple)) else [value]
        return any(v in argument for v in items), []


class Exists:
    """Handled by the evaluator (a missing field is the point); here only for present ones."""

    def check(self, argument: Any) -> str | None:
        return _is_bool(argument)

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        return argument is True, []


class DateCompare:
    def __init__(self, before: bool) -> None:
        self.before = before

    def check(self, argument: Any) -> str | None:
        if argument == "as_of" or (isinstance(argument, str) and len(argument) == 10):
            return None
        return 'expects a date YYYY-MM-DD or "as_of" (the audit date)'

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        left, right = _as_date(value, ctx), _as_date(argument, ctx)
        if left is None or right is None:
            return None, []
        return (left < right) if self.before else (left >= right), []


class CountryTest:
    """`in_eea`, `in_eu`, `adequate`, `eea_or_adequate`: the country's status on the as-of date."""

    def __init__(self, test: str) -> None:
        self.test = test

    def check(self, argument: Any) -> str | None:
        return _is_bool(argument)

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        kb, day = ctx.kb, ctx.as_of
        country = kb.country(value)
        if country is None:
            return None, []
        facts: list[Fact] = []
        origin = f"kb:countries.yaml#{value}"

        def eea() -> bool:
            status = in_eea(country, day)
            facts.append(fact_from(country, f"kb.country.{value}.eea", status, origin))
            return status

        def eu() -> bool:
            status = any(p.contains(day) for p in country.eu)
            facts.append(fact_from(country, f"kb.country.{value}.eu", status, origin))
            return status

        def adequate() -> bool:
            general = [d for d in kb.adequacy(value, day) if d.scope == "general"]
            facts.extend(fact_from(d, f"kb.adequacy.{d.id}", d.decision,
                                   f"kb:adequacy.yaml#{d.id}") for d in general)
            return bool(general)

        tests = {"in_eea": eea, "in_eu": eu, "adequate": adequate,
                 "eea_or_adequate": lambda: eea() or adequate()}
        return tests[self.test]() is argument, facts


class CompelledAccessLaws:
    """The jurisdiction (a country) has laws that can compel access, and is neither in the EEA
    nor generally adequate on the as-of date; the laws become facts (and so references)."""

    def check(self, argument: Any) -> str | None:
        return _is_bool(argument)

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        kb, day = ctx.kb, ctx.as_of
        if kb.country(value) is None:
            return None, []
        if kb.in_eea(value, day) or kb.generally_adequate(value, day):
            return argument is False, []
        laws = kb.surveillance_laws(value, day)
        facts = [fact_from(law, f"kb.law.{law.id}", law.citation, f"kb:laws.yaml#{law.id}")
                 for law in laws]
        exposed = any(law.compelled_access for law in laws)
        return exposed is argument, facts


class LawsApply:
    """The list of legal bases (knowledge-base law ids, or `unlisted:CC` for a non-adequate
    country without any law in the knowledge base) is not empty; known laws become facts (and
    so references)."""

    def check(self, argument: Any) -> str | None:
        return _is_bool(argument)

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        if not isinstance(value, (list, tuple)):
            return None, []
        facts = [fact_from(law, f"kb.law.{law.id}", law.citation, f"kb:laws.yaml#{law.id}")
                 for law in (ctx.kb.laws.get(str(v)) for v in value) if law is not None]
        return bool(value) is argument, facts


class ValidTransferTool:
    """At least one declared transfer tool of the flow is valid on the as-of date (see
    `residency_audit.engine.tools`). `true` accepts Art. 49; `art45_46` does not."""

    def check(self, argument: Any) -> str | None:
        return None if argument in (True, False, "art45_46") else 'expects true, false or "art45_46"'

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        from residency_audit.engine.tools import assess_tools

        valid, facts = assess_tools(value, ctx, allow_derogations=argument is True)
        return valid is (argument is not False), facts


OPERATORS: dict[str, Operator] = {
    "eq": Equals(),
    "ne": NotEquals(),
    "in": In(),
    "not_in": NotIn(),
    "contains_any": ContainsAny(),
    "exists": Exists(),
    "before": DateCompare(before=True),
    "on_or_after": DateCompare(before=False),
    "in_eea": CountryTest("in_eea"),
    "in_eu": CountryTest("in_eu"),
    "adequate": CountryTest("adequate"),
    "eea_or_adequate": CountryTest("eea_or_adequate"),
    "compelled_access_laws": CompelledAccessLaws(),
    "laws_apply": LawsApply(),
    "valid_transfer_tool": ValidTransferTool(),
}


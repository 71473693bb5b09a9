"""The closed set of condition operators, registered in one explicit dict.

Each operator checks its argument when the rule loads (`check`) and, when evaluated, returns a
truth value (None = cannot be decided) and any knowledge-base facts it consulted, so findings can
cite them. A new operator is a class here, an entry in OPERATORS and a test.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import field
from typing import Any, Protocol

from residency_audit.clock import parse_day
from residency_audit.kb import KnowledgeBase, fact_from, in_eea
from residency_audit.kb.entries import Adequacy, Instrument, Law
from residency_audit.model import Fact
from residency_audit.records import Record, record

Result = tuple[bool | None, Sequence[Fact]]


@record
class Context(Record):
    """What operators may consult besides the fact itself."""

    kb: KnowledgeBase
    as_of: dt.date
    subject: Any
    """The subject being evaluated (for operators that need sibling facts)."""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    """Audit settings rules may name (see PARAMETERS), e.g. the TIA staleness period."""
    answers: dict[Hashable, Any] = field(default_factory=dict)
    """Answers of costly operators about this subject's values (`ValidTransferTool`), by what
    they were asked. A context lives while one subject is judged (`engine.evaluate`)."""


PARAMETERS: dict[str, tuple[Any, str]] = {
    "tia_max_age_days": (
        365,
        "A transfer impact assessment older than this many days is stale "
        "(tool default, not a legal period: EDPB Recommendations 01/2020 "
        "step 6 asks for re-evaluation 'at appropriate intervals'). "
        "Set with `check --tia-max-age DAYS`.",
    ),
}
"""Name -> (default, meaning) of every audit setting a rule may use."""


def parameter(ctx: Context, name: str) -> Any:
    return ctx.parameters.get(name, PARAMETERS[name][0])


class Operator(Protocol):
    def check(self, argument: Any) -> str | None: ...
    def apply(self, value: Any, argument: Any, ctx: Context) -> Result: ...


def as_date(value: Any, ctx: Context) -> dt.date | None:
    """A date given as a date, as text YYYY-MM-DD (`clock.parse_day`: never a week date or
    the basic format, which `fromisoformat` would read as another day), or as `as_of` (the
    audit date); else None, which leaves the condition unknown."""
    if isinstance(value, dt.date):
        return value
    if value == "as_of":
        return ctx.as_of
    if isinstance(value, str):
        try:
            return parse_day(value)
        except ValueError:
            return None
    return None


def _is_day(argument: Any) -> bool:
    """Whether a rule's date argument is a day YYYY-MM-DD (a date if YAML made one of it)."""
    if isinstance(argument, dt.date) and not isinstance(argument, dt.datetime):
        return True
    try:
        parse_day(argument)
    except (TypeError, ValueError):
        return False
    return True


def _is_bool(argument: Any) -> str | None:
    return None if isinstance(argument, bool) else "expects true or false"


class Equals:
    """A plain comparison: `compare` says it all and cites no fact (the rules' deciders call
    `compare` directly, see `conditions.decider`)."""

    compare: Callable[[Any, Any], bool] = staticmethod(operator.eq)

    def check(self, argument: Any) -> str | None:
        return None if not isinstance(argument, (dict, list)) else "expects a single value"

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        return self.compare(value, argument), []


class NotEquals(Equals):
    compare = staticmethod(operator.ne)


class In:
    """A plain membership test, like `Equals`."""

    compare: Callable[[Any, Any], bool] = staticmethod(lambda value, argument: value in argument)

    def check(self, argument: Any) -> str | None:
        return None if isinstance(argument, list) and argument else "expects a non-empty list"

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        return self.compare(value, argument), []


class NotIn(In):
    compare = staticmethod(lambda value, argument: value not in argument)


def _contains_any(value: Any, argument: Any) -> bool:
    items = value if isinstance(value, (list, tuple)) else [value]
    return any(v in argument for v in items)


class ContainsAny(In):
    compare = staticmethod(_contains_any)


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
        if argument == "as_of" or _is_day(argument):
            return None
        return f'expects a date YYYY-MM-DD or "as_of" (the audit date), not {argument!r}'

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        left, right = as_date(value, ctx), as_date(argument, ctx)
        if left is None or right is None:
            return None, []
        return (left < right) if self.before else (left >= right), []


def _each_country(
    value: list[Any] | tuple[Any, ...], test: Callable[[Any], Result], *, settles: bool
) -> Result:
    """A country test over a list of countries, in Kleene logic: `settles` is the verdict one
    country gives the whole list (any exposed country exposes it; any country outside the EEA
    takes the list outside), unknown when no country settles it and one is unknown; the facts
    of every country are kept, so a finding cites them all. An empty list is never settled."""
    facts: list[Fact] = []
    verdicts: list[bool | None] = []
    for code in value:
        verdict, found = test(code)
        verdicts.append(verdict)
        facts.extend(found)
    if settles in verdicts:
        return settles, facts
    return (None if None in verdicts else not settles), facts


def country_codes(value: list[Any] | tuple[Any, ...]) -> tuple[str, ...] | None:
    """`value` as a tuple to remember a list of countries' answer by, when every item is a
    country code (text); else None (a malformed list is walked each time, as before)."""
    codes = tuple(value)
    return codes if set(map(type, codes)) <= _TEXT else None


_TEXT = {str}


def _frozen(result: Result) -> Result:
    """`result` with its facts as a tuple: a remembered answer is shared by every caller."""
    return result[0], tuple(result[1])


class CountryTest:
    """`in_eea`, `in_eu`, `adequate`, `eea_or_adequate`: the country's status on the as-of date.
    A list of countries (where the replicas of a key are, say) has the status when every
    country in it has it; unknown when one is unknown (the knowledge base does not know it, as
    `ZZ`) and none lacks it."""

    by_country = True
    """Its answer about a country code depends only on the code, the argument, the knowledge
    base and the as-of date: a rule's deciders and tracers keep it (`conditions.CountryAnswers`)."""

    def __init__(self, test: str) -> None:
        self.test = test

    def check(self, argument: Any) -> str | None:
        return _is_bool(argument)

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        status, facts = self.status_of(value, ctx.kb, ctx.as_of)
        return (None if status is None else status is argument), facts

    def status_of(self, value: Any, kb: KnowledgeBase, day: dt.date) -> Result:
        """Whether `value`, a country or a list of them, has the status on `day` (None:
        unknown), and the knowledge-base facts that says so."""
        if isinstance(value, str):
            # Rules ask about the same few countries for every subject (several hundred times a
            # file): the knowledge base remembers each (test, country, day) answer and the facts
            # it cites, unknown countries included.
            return kb.memo(
                ("CountryTest", self.test, value, day),
                lambda: (None, ()) if kb.country(value) is None else self.status(kb, value, day),
            )
        if isinstance(value, (list, tuple)):
            codes = country_codes(value)
            if codes is None:
                return _each_country(value, lambda c: self.status_of(c, kb, day), settles=False)
            # The same few lists (a party's seat and parent, a key's replicas) recur for every
            # subject and finding: remembered whole, which saves the per-country walk.
            return kb.memo(
                ("CountryTest", self.test, codes, day),
                lambda: _frozen(
                    _each_country(codes, lambda c: self.status_of(c, kb, day), settles=False)
                ),
            )
        return None, []

    def status(self, kb: KnowledgeBase, code: str, day: dt.date) -> tuple[bool, tuple[Fact, ...]]:
        """The test's answer for a known country and the knowledge-base facts it rests on."""
        if self.test == "in_eu":
            country = kb.countries[code]
            eu = any(p.contains(day) for p in country.eu)
            return eu, (fact_from(country, f"kb.country.{code}.eu", eu, _origin(code)),)
        facts: list[Fact] = []
        if self.test in ("in_eea", "eea_or_adequate"):
            country = kb.countries[code]
            eea = in_eea(country, day)
            facts.append(fact_from(country, f"kb.country.{code}.eea", eea, _origin(code)))
            if eea or self.test == "in_eea":
                return eea, tuple(facts)
        general = [d for d in kb.adequacy(code, day) if d.scope == "general"]
        facts.extend(
            fact_from(d, f"kb.adequacy.{d.id}", d.decision, f"kb:adequacy.yaml#{d.id}")
            for d in general
        )
        if not general:  # the verdict turns on the decision that lapsed, or is yet to apply
            facts.extend(period_fact(d, day) for d in kb.adequacy_around(code, day))
        return bool(general), tuple(facts)


def _origin(code: str) -> str:
    return f"kb:countries.yaml#{code}"


class CompelledAccessLaws:
    """The jurisdiction (a country) has laws that can compel access, and is neither in the EEA
    nor generally adequate on the as-of date; the laws become facts (and so references). A list
    of countries (those whose law reaches a party: its seat and its ultimate parent's country)
    is exposed when one country in it is; unknown when one is unknown (`ZZ`) and none is
    exposed; an empty list (no such party) is not exposed."""

    by_country = True
    """Its answer about a country code depends only on the code, the argument, the knowledge
    base and the as-of date: a rule's deciders and tracers keep it (`conditions.CountryAnswers`)."""

    def check(self, argument: Any) -> str | None:
        return _is_bool(argument)

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        exposed, facts = self.exposed(value, ctx.kb, ctx.as_of)
        return (None if exposed is None else exposed is argument), facts

    def exposed(self, value: Any, kb: KnowledgeBase, day: dt.date) -> Result:
        """Whether `value`, a country or a list of them, is exposed on `day` (None: unknown),
        and the laws that expose it as facts."""
        if isinstance(value, str):
            # Asked for every place and party: remembered per (country, day), like CountryTest.
            return kb.memo(
                ("CompelledAccessLaws", value, day),
                lambda: (None, ()) if kb.country(value) is None else self.exposure(kb, value, day),
            )
        if isinstance(value, (list, tuple)):
            codes = country_codes(value)
            if codes is None:
                return _each_country(value, lambda c: self.exposed(c, kb, day), settles=True)
            # Remembered whole, like CountryTest's lists.
            return kb.memo(
                ("CompelledAccessLaws", codes, day),
                lambda: _frozen(
                    _each_country(codes, lambda c: self.exposed(c, kb, day), settles=True)
                ),
            )
        return None, []

    def exposure(self, kb: KnowledgeBase, code: str, day: dt.date) -> tuple[bool, tuple[Fact, ...]]:
        """Whether a known country exposes data to compelled access, and those laws as facts."""
        laws = exposing_laws(kb, code, day)
        return bool(laws), tuple(kb.law_fact(law) for law in laws)


def exposing_laws(kb: KnowledgeBase, code: str, day: dt.date) -> tuple[Law, ...]:
    """The laws of a known country that can compel access to data, on `day`; none for an EEA
    or generally adequate country. Only the laws that compel: EO 12333 lets agencies collect,
    it orders no one to hand data over, and a finding saying "compelled" must not name it."""
    if kb.in_eea(code, day) or kb.generally_adequate(code, day):
        return ()
    return kb.compelled_access_laws(code, day)


class LawsApply:
    """The list of legal bases (knowledge-base law ids, or `unlisted:CC` for a non-adequate
    country without any law in the knowledge base) is not empty; known laws become facts (and
    so references)."""

    def check(self, argument: Any) -> str | None:
        return _is_bool(argument)

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        if not isinstance(value, (list, tuple)):
            return None, []
        kb = ctx.kb
        codes = country_codes(value)
        if codes is None:
            return bool(value) is argument, _law_facts(kb, value)
        # A flow's few bases recur for every rule judging it: their facts are remembered.
        return bool(value) is argument, kb.memo(("LawsApply", codes), lambda: _law_facts(kb, codes))


def _law_facts(kb: KnowledgeBase, ids: Sequence[Any]) -> tuple[Fact, ...]:
    """The facts of the knowledge-base laws among `ids`, in order."""
    return tuple(
        [kb.law_fact(law) for law in (kb.laws.get(str(v)) for v in ids) if law is not None]
    )


class ValidTransferTool:
    """At least one declared transfer tool of the flow is valid on the as-of date (see
    `residency_audit.engine.tools`). `true` accepts Art. 49; `art45_46` does not; `art45`
    accepts adequacy only (DPF for a listed organisation included): what EDPB use cases 6 and 7
    leave when no technical measure can help."""

    def check(self, argument: Any) -> str | None:
        if argument in (True, False, "art45_46", "art45"):
            return None
        return 'expects true, false, "art45_46" or "art45"'

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        # A finding's tracer asks what its decider asked, and several rules of a place ask
        # about the same tools: answered once per subject, by the value's identity (the value
        # is kept with the answer, so the identity is not reused). The notes `assess_tools`
        # makes (`kb.assume`) are made on the first ask; the context's subject is judged
        # before its file's notes are taken (`kb.take_relied`), so they are still there.
        key = ("valid_transfer_tool", argument, id(value))
        known = ctx.answers.get(key)
        if known is not None and known[0] is value:
            return known[1]  # type: ignore[no-any-return]
        result = self._assess(value, argument, ctx)
        ctx.answers[key] = (value, result)
        return result

    def _assess(self, value: Any, argument: Any, ctx: Context) -> Result:
        from residency_audit.engine.tools import assess_tools

        tools = value
        if argument == "art45":
            tools = [
                t for t in value or () if t.get("tool") in ("adequacy", "dpf", "privacy-shield")
            ]
        valid, facts = assess_tools(tools, ctx, allow_derogations=argument is True)
        if valid is None:
            return None, facts
        return valid is (argument is not False), facts


def period_fact(entry: Instrument | Adequacy, day: dt.date) -> Fact:
    """`kb.<file>.<id>`: whether a knowledge-base instrument or adequacy decision is in force on
    `day`, with as much of its period as had begun or ended by then (`period_text`; as the
    knowledge base gives it, with its source and flag)."""
    kind = "adequacy" if isinstance(entry, Adequacy) else "instruments"
    return fact_from(
        entry, f"kb.{kind}.{entry.id}", period_text(entry, day), f"kb:{kind}.yaml#{entry.id}"
    )


def period_text(entry: Instrument | Adequacy, day: dt.date) -> str:
    """Whether `entry` is in force on `day`, with only the dates of its period up to that day:
    a report as of a past day must not tell what was decided after it. A start after `day`
    (the DPF as of 2020) is not said, nor an end after it (the Privacy Shield's invalidation as
    of the day before): the knowledge base does not record when an end became known, so one
    known in advance (a referential's transition) goes unsaid too."""
    start, end = entry.starts(), entry.valid_until
    if start is not None and day < start:
        return f"not in force on {day}"
    if end is not None and end <= day:
        return f"not in force on {day}: valid {start or 'always'} to {end} (exclusive)"
    return f"in force on {day}: valid from {start}" if start else f"in force on {day}"


class InForce:
    """The knowledge-base instrument or adequacy decision named by the value holds on the as-of
    date (e.g. `hds-referential-2018` until 2026-05-16 inclusive)."""

    def check(self, argument: Any) -> str | None:
        return _is_bool(argument)

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        entry = ctx.kb.instrument(str(value)) or next(
            (d for d in ctx.kb.decisions if d.id == value), None
        )
        if entry is None:
            return None, []
        return entry.holds_on(ctx.as_of) is argument, [period_fact(entry, ctx.as_of)]


class CertificateCurrent:
    """A certificate is valid on the as-of date. The value is `{issued, expires, instrument}`;
    `expires` is the last day of validity, as a certificate states it. The referential's
    `certificate_years` in the knowledge base give the period from `issued` (valid until the
    day before the anniversary). The earlier end wins when both are known. A certificate
    issued before its referential applied (`valid_from`: the 2024 HDS referential, SecNumCloud
    3.2), or once it took no new certificates (`new_certificates_until`), is not valid at all.
    With `expires` and no `issued`, the period bounds the issue day (`earliest_issue`): a day
    before that bound is one the certificate did not exist on, and one within it is unknown."""

    def check(self, argument: Any) -> str | None:
        return _is_bool(argument)

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        current, facts, _ = certificate_verdict(value, ctx)
        return (None if current is None else current is argument), facts


def _years_fact(instrument: Instrument) -> Fact:
    """The knowledge base's certificate length of `instrument`, cited where a verdict uses it."""
    return fact_from(
        instrument,
        f"kb.instruments.{instrument.id}.certificate_years",
        instrument.certificate_years,
        f"kb:instruments.yaml#{instrument.id}",
    )


def certificate_verdict(value: Any, ctx: Context) -> tuple[bool | None, list[Fact], str | None]:
    """Whether a certificate (`{issued, expires, instrument}`) is valid on the as-of date, the
    knowledge-base facts that decide it, and why not, in words, when it is not
    (`CertificateCurrent`; HDS-CERT-01's message says the reason)."""
    if not isinstance(value, Mapping):
        return None, [], None
    issued, expires = as_date(value.get("issued"), ctx), as_date(value.get("expires"), ctx)
    facts: list[Fact] = []
    # Last days of validity, compared inclusively: `expires + 1 day` would overflow on
    # 9999-12-31, the largest date a file can hold.
    # (the reasons name the last day it was valid: "expired on" that day would read as if it
    # was not valid on it, when it was)
    last_days = [(expires, f"its last valid day was {expires}")] if expires else []
    instrument = ctx.kb.instrument(str(value.get("instrument")))
    if issued and instrument is not None and instrument.certificate_years:
        end = _last_day(issued, instrument.certificate_years)
        last_days.append(
            (
                end,
                f"the last day of its {instrument.certificate_years}-year period was {end} "
                f"({instrument.id})",
            )
        )
        facts.append(_years_fact(instrument))
    start = instrument.starts() if instrument is not None else None
    if instrument is not None and start is not None and issued and issued < start:
        # Issued under a referential that did not exist yet: never valid, on any date. Its
        # start is named only once it has come: an audit as of 2020 must not tell that the
        # 2024 HDS referential would apply from 16 November 2024 (`period_text`).
        applied = f"before {instrument.id} applied ({start})"
        what = f"{applied}: {instrument.title}"
        if ctx.as_of < start:  # nor its title, which dates the text (arrêté of 26 April 2024)
            applied = what = f"under {instrument.id}, not in force then nor on {ctx.as_of}"
        facts.append(
            fact_from(
                instrument,
                f"kb.instruments.{instrument.id}.valid_from",
                f"issued on {issued}, {what}",
                f"kb:instruments.yaml#{instrument.id}",
            )
        )
        return False, facts, f"it was issued on {issued}, {applied}"
    earliest = issued or earliest_issue(expires, instrument)
    # `issued` known, or else at the earliest the day its period ending on `expires` began.
    when = f"on {issued}" if issued else f"on or after {earliest}"
    if earliest is not None and issued is None and instrument is not None:
        facts.append(_years_fact(instrument))
        when += f" (a {instrument.certificate_years}-year certificate expiring on {expires})"
    closed = instrument.new_certificates_until if instrument is not None else None
    if instrument is not None and closed is not None and earliest and earliest >= closed:
        # Issued under a referential no longer open to new certificates: never valid.
        facts.append(
            fact_from(
                instrument,
                f"kb.instruments.{instrument.id}.new_certificates_until",
                closed,
                f"kb:instruments.yaml#{instrument.id}",
            )
        )
        return (
            False,
            facts,
            f"it was issued {when}, once {instrument.id} took no new certificates (from {closed})",
        )
    if not last_days:
        return None, facts, None
    if earliest is not None and earliest > ctx.as_of:
        return False, facts, f"it was issued {when}, after the audit date"
    last, why = min(last_days)
    if ctx.as_of > last:
        return False, facts, why
    if issued is None and earliest is not None and expires is not None and ctx.as_of < expires:
        # Issued between `earliest` and `expires`, on a day nobody declared: perhaps after the
        # audit date, when it did not exist yet. HDS-CERT-01 asks for both dates and an unknown
        # issue day already fails closed for the 2018 transition (certificates._current).
        return None, facts, None
    return True, facts, None


def earliest_issue(expires: dt.date | None, instrument: Instrument | None) -> dt.date | None:
    """The first day a certificate valid until `expires` can have been issued, when its
    referential gives the length of a certificate (`certificate_years`): a certificate issued
    earlier ended before `expires`. None when either is unknown. Where a leap day makes the
    bound ambiguous, the earlier day is taken, so no certificate that could exist is denied."""
    if expires is None or instrument is None or not instrument.certificate_years:
        return None
    year = expires.year - instrument.certificate_years
    if year < dt.MINYEAR:
        return dt.date.min
    try:
        start = expires.replace(year=year)
    except ValueError:  # 29 February
        start = expires.replace(year=year, day=28)
    return start + dt.timedelta(days=1)


def _last_day(issued: dt.date, years: int) -> dt.date:
    """The last day of a period of `years` from `issued` (the day before the anniversary);
    a period ending past year 9999 saturates at the largest date, which no audit exceeds.
    In a year without 29 February, a leap-day certificate's anniversary is taken as 28
    February (as date libraries add years), so it is valid until the 27th: of the two readings
    (the other is 1 March), the one that ends validity first: when unsure, fail closed."""
    year = issued.year + years
    if year > dt.MAXYEAR:
        return dt.date.max
    try:
        anniversary = issued.replace(year=year)
    except ValueError:  # 29 February
        anniversary = issued.replace(year=year, day=28)
    return anniversary - dt.timedelta(days=1)


class WithinDays:
    """The date is at most N days before the as-of date, and not after it (a document dated
    later did not exist on that day); N is a number or the name of an audit parameter (see
    PARAMETERS), so a compliance team can set its own period."""

    def check(self, argument: Any) -> str | None:
        if isinstance(argument, int) and not isinstance(argument, bool) and argument >= 0:
            return None
        if argument in PARAMETERS:
            return None
        return f"expects a number of days or a parameter name ({', '.join(PARAMETERS)})"

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        day = as_date(value, ctx)
        days = argument if isinstance(argument, int) else parameter(ctx, argument)
        if day is None:
            return None, []
        facts = (
            []
            if isinstance(argument, int)
            else [Fact(f"parameter.{argument}", days, "derived: audit parameter")]
        )
        # Whole days as integers: a `timedelta` of a huge N (`--tia-max-age 1000000000`)
        # overflows, while any N past the calendar's 3.6 million days simply always holds.
        age = (ctx.as_of - day).days
        return 0 <= age <= days, facts


class NonEuSharesWithin:
    """Shareholdings `[{holder, country, percent, veto}]`: holders seated outside the EU (on the
    as-of date) hold at most `individual` percent each and `collective` percent together, and
    none has a veto (SecNumCloud 3.2 §19.6 b)."""

    def check(self, argument: Any) -> str | None:
        if (
            isinstance(argument, dict)
            and set(argument) == {"individual", "collective"}
            and all(isinstance(v, (int, float)) for v in argument.values())
        ):
            return None
        return "expects {individual: PERCENT, collective: PERCENT}"

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        non_eu: list[dict[str, Any]] = []
        for share in value or ():
            eu = ctx.kb.in_eu(share.get("country"), ctx.as_of)
            if eu is None:
                return None, []
            if not eu:
                non_eu.append(share)
        total = sum(float(s["percent"]) for s in non_eu)
        facts = [
            Fact(
                "derived.non_eu_shares",
                f"{s['holder']} ({s['country']}) {s['percent']} %"
                f"{' with veto' if s.get('veto') else ''}",
                "derived: ownership",
            )
            for s in non_eu
        ]
        ok = (
            all(float(s["percent"]) <= argument["individual"] for s in non_eu)
            and total <= argument["collective"]
            and not any(s.get("veto") for s in non_eu)
        )
        return ok, facts


class CoversAccessLawsOf:
    """The value (law ids disclosed) names every compelled-access law of the country held by
    the sibling field given as argument, on the as-of date (HDS EXI 30 (1)); an EEA or
    generally adequate country has none to disclose."""

    def check(self, argument: Any) -> str | None:
        return None if isinstance(argument, str) and argument else "expects a field name"

    def apply(self, value: Any, argument: Any, ctx: Context) -> Result:
        country = ctx.subject.facts.get(argument) if ctx.subject is not None else None
        if country is None or country.value is None:
            return None, []
        kb, day = ctx.kb, ctx.as_of
        if kb.country(country.value) is None:
            return None, []
        laws = exposing_laws(kb, country.value, day)  # EXI 30: non-adequate countries only
        facts = [kb.law_fact(law) for law in laws]
        disclosed = set(value or ())
        return all(law.id in disclosed for law in laws), facts


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
    "in_force": InForce(),
    "certificate_current": CertificateCurrent(),
    "within_days": WithinDays(),
    "non_eu_shares_within": NonEuSharesWithin(),
    "covers_access_laws_of": CoversAccessLawsOf(),
}

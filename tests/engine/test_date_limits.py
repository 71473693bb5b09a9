"""Dates at the edges of the calendar: no operator, knowledge-base lookup or audit raises on a
date a file or an option may hold (0001-01-01 to 9999-12-31, any number of days), and a document
dated after the audit date did not exist on it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from residency_audit import kb
from residency_audit.engine.operators import OPERATORS, Context
from residency_audit.engine.subjects import Subject
from residency_audit.model import Fact, Span
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF, FIXTURES

KNOWLEDGE = kb.default()
CERTIFIED = sorted(i.id for i in KNOWLEDGE.instruments.values() if i.certificate_years)
INSTRUMENTS = sorted(KNOWLEDGE.instruments)[:6]
TOOLS = ["adequacy", "scc-2021", "scc-2010", "scc-2001", "bcr", "dpf", "privacy-shield", "art49"]
DATE_OPERATORS = {
    "before",
    "on_or_after",
    "within_days",
    "certificate_current",
    "in_force",
    "in_eea",
    "in_eu",
    "adequate",
    "eea_or_adequate",
    "compelled_access_laws",
    "valid_transfer_tool",
    "non_eu_shares_within",
    "covers_access_laws_of",
}
"""Every operator that reads a date of the subject or the audit date."""


def context(as_of: dt.date, **parameters: Any) -> Context:
    facts = {"party.country": Fact("party.country", "US", "test")}
    subject = Subject("party", "test", None, Span("t", 1, 1), facts)
    return Context(KNOWLEDGE, as_of, subject, parameters)


def cases(day: dt.date, other: dt.date, days: int) -> list[tuple[str, Any, Any]]:
    """(operator, value, argument) with the drawn dates wherever an operator takes one."""
    out: list[tuple[str, Any, Any]] = [
        ("before", day, other.isoformat()),
        ("before", day, "as_of"),
        ("on_or_after", day.isoformat(), "as_of"),
        ("within_days", day, days),
        ("within_days", day.isoformat(), "tia_max_age_days"),
        ("certificate_current", {"issued": day, "expires": other}, True),
        (
            "non_eu_shares_within",
            [{"holder": "h", "country": "US", "percent": 10}],
            {
                "individual": 24,
                "collective": 39,
            },
        ),
        ("covers_access_laws_of", ["us-cloud-act"], "party.country"),
    ]
    out += [
        ("certificate_current", {"issued": day, "expires": None, "instrument": i}, True)
        for i in CERTIFIED
    ]
    out += [("in_force", i, True) for i in INSTRUMENTS]
    for test in ("in_eea", "in_eu", "adequate", "eea_or_adequate", "compelled_access_laws"):
        out += [(test, country, True) for country in ("FR", "GB", "US")]
    tools = [
        {
            "tool": tool,
            "country": "US",
            "origin": "test",
            "adequacy_scopes": ["dpf-list"],
            "concluded": day,
            "processing_unchanged": True,
            "approval": "approved",
            "derogation": "49(1)(a)",
            "systematic": False,
        }
        for tool in TOOLS
    ]
    out += [("valid_transfer_tool", tools, argument) for argument in (True, "art45_46", "art45")]
    return out


def test_the_cases_cover_every_date_operator() -> None:
    """A new operator must say here whether it reads dates (and get a case) or not."""
    dateless = {"eq", "ne", "in", "not_in", "contains_any", "exists", "laws_apply"}
    assert set(OPERATORS) - DATE_OPERATORS == dateless
    assert {op for op, _, _ in cases(AS_OF, AS_OF, 1)} == DATE_OPERATORS


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(),
    other=st.dates(),
    as_of=st.one_of(st.sampled_from([dt.date.min, dt.date.max]), st.dates()),
    days=st.one_of(st.sampled_from([0, 999_999_999, 10**9, 10**18]), st.integers(0, 10**18)),
)
def test_no_date_operator_raises_at_the_calendar_limits(
    day: dt.date, other: dt.date, as_of: dt.date, days: int
) -> None:
    ctx = context(as_of, tia_max_age_days=days)
    for op, value, argument in cases(day, other, days):
        assert OPERATORS[op].check(argument) is None, op
        truth, _ = OPERATORS[op].apply(value, argument, ctx)
        assert truth in (True, False, None), op
    assert isinstance(KNOWLEDGE.stale_entries(as_of), list)


def test_within_days_is_false_for_a_document_dated_after_the_audit() -> None:
    within = OPERATORS["within_days"]
    ctx = context(dt.date(2026, 11, 28))
    assert within.apply("2026-11-28", 365, ctx)[0] is True  # dated on the audit day
    assert within.apply("2025-11-28", 365, ctx)[0] is True
    assert within.apply("2025-11-27", 365, ctx)[0] is False
    assert within.apply("2026-11-29", 365, ctx)[0] is False  # did not exist yet
    assert within.apply("9999-12-31", 10**9, ctx)[0] is False
    assert within.apply("0001-01-01", 10**9, ctx)[0] is True  # no timedelta overflow


def test_certificate_periods_past_year_9999_saturate() -> None:
    current = OPERATORS["certificate_current"]
    hds = {"instrument": "hds-referential-2024", "expires": None}
    assert current.apply({**hds, "issued": dt.date(9999, 6, 1)}, True, context(AS_OF))[0] is False
    late = context(dt.date(9999, 12, 31))
    assert current.apply({**hds, "issued": dt.date(9999, 6, 1)}, True, late)[0] is True
    stated = {"issued": dt.date(2025, 1, 1), "expires": dt.date(9999, 12, 31)}
    assert current.apply(stated, True, late)[0] is True  # valid on its last day


def test_stale_knowledge_at_the_first_and_last_day() -> None:
    assert KNOWLEDGE.stale_entries(dt.date.min) == []
    assert KNOWLEDGE.stale_entries(dt.date.max)  # everything was checked long before


def tia_findings(tmp_path: Path, tia_date: str) -> list[str]:
    text = (FIXTURES / "edpb" / "uc6-not-effective.yaml").read_text()
    assert "tia_date: 2026-06-01" in text
    path = tmp_path / "tia.yaml"
    path.write_text(text.replace("tia_date: 2026-06-01", f"tia_date: {tia_date}"))
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    return [str(f.span) for f in report.findings if f.rule_id == "GDPR-TIA-01"]


def test_a_tia_dated_after_the_audit_date_is_not_current(tmp_path: Path) -> None:
    assert tia_findings(tmp_path, "2026-06-01") == []
    assert tia_findings(tmp_path, AS_OF.isoformat()) == []
    assert tia_findings(tmp_path, "2026-11-29") == [f"{tmp_path / 'tia.yaml'}:22:5"]

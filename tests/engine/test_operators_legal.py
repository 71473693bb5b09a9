"""The knowledge-base operators the legal packs use, against the real knowledge base."""

from __future__ import annotations

import datetime as dt

from residency_audit import kb
from residency_audit.engine.operators import OPERATORS, Context
from residency_audit.engine.subjects import Subject
from residency_audit.model import Fact, Span


def ctx(day: str, facts: dict[str, object] | None = None, **params: object) -> Context:
    subject = Subject(
        "party",
        "test",
        None,
        Span("t", 1, 1),
        {k: Fact(k, v, "test") for k, v in (facts or {}).items()},
    )
    return Context(kb.default(), dt.date.fromisoformat(day), subject, params)


def apply(op: str, value: object, argument: object, context: Context) -> bool | None:
    assert OPERATORS[op].check(argument) is None
    return OPERATORS[op].apply(value, argument, context)[0]


def test_in_force_reads_validity_from_the_knowledge_base() -> None:
    assert apply("in_force", "eu-scc-2010", True, ctx("2022-12-27")) is True
    assert apply("in_force", "eu-scc-2010", True, ctx("2022-12-28")) is False
    assert apply("in_force", "us-privacy-shield", True, ctx("2020-07-16")) is False
    assert apply("in_force", "no-such-instrument", True, ctx("2026-01-01")) is None


def test_certificate_current_uses_the_referential_period_and_the_earlier_end() -> None:
    leap = {"issued": dt.date(2028, 2, 29), "instrument": "hds-referential-2024"}
    assert apply("certificate_current", leap, True, ctx("2031-02-27")) is True
    assert apply("certificate_current", leap, True, ctx("2031-02-28")) is False
    early = {**leap, "expires": dt.date(2029, 1, 1)}  # the last day of validity, as stated
    assert apply("certificate_current", early, True, ctx("2029-01-01")) is True
    assert apply("certificate_current", early, True, ctx("2029-01-02")) is False
    assert apply("certificate_current", {"instrument": None}, True, ctx("2025-01-01")) is None


def test_within_days_takes_a_number_or_a_parameter() -> None:
    assert apply("within_days", "2026-01-01", 30, ctx("2026-01-31")) is True
    assert apply("within_days", "2026-01-01", 30, ctx("2026-02-01")) is False
    assert apply("within_days", "2025-06-01", "tia_max_age_days", ctx("2026-05-31")) is True
    assert (
        apply(
            "within_days", "2025-06-01", "tia_max_age_days", ctx("2026-05-31", tia_max_age_days=90)
        )
        is False
    )
    assert OPERATORS["within_days"].check("tia_age") is not None


def test_non_eu_shares_follow_eu_membership_on_the_day() -> None:
    limits = {"individual": 24, "collective": 39}
    uk = [{"holder": "A", "country": "GB", "percent": 30, "veto": False}]
    assert apply("non_eu_shares_within", uk, limits, ctx("2019-06-01")) is True  # UK in the EU
    assert apply("non_eu_shares_within", uk, limits, ctx("2021-06-01")) is False  # after Brexit
    unknown = [{"holder": "A", "country": "XX", "percent": 1, "veto": False}]
    assert apply("non_eu_shares_within", unknown, limits, ctx("2021-06-01")) is None


def test_covers_access_laws_of_a_sibling_country() -> None:
    context = ctx("2026-11-28", {"party.parent.country": "US"})
    arg = "party.parent.country"
    assert apply("covers_access_laws_of", ["us-cloud-act", "us-fisa-702"], arg, context) is True
    assert apply("covers_access_laws_of", ["us-cloud-act"], arg, context) is False
    assert apply("covers_access_laws_of", [], arg, ctx("2026-11-28")) is None


def test_art45_accepts_adequacy_only() -> None:
    scc = [{"tool": "scc-2021", "country": "US", "adequacy_scopes": [], "origin": "t"}]
    assert apply("valid_transfer_tool", scc, "art45_46", ctx("2026-01-01")) is True
    assert apply("valid_transfer_tool", scc, "art45", ctx("2026-01-01")) is False

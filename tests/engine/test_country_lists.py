"""A country operator given a list of countries (a key's replica countries, the seats and
parents whose law reaches a custodian) answers as Kleene logic over its answer for each: every
country must have a status, one exposed country exposes the list; unknown when a country the
knowledge base does not know leaves it open. The facts of every country are cited, in order."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from residency_audit import kb
from residency_audit.engine.operators import OPERATORS, Context

DAY = dt.date(2026, 11, 28)
CODES = st.sampled_from(["FR", "DE", "US", "CH", "GB", "IN", "ZZ", "", 7, None])
VALUES = st.recursive(CODES, lambda inner: st.lists(inner, max_size=3), max_leaves=6)
TESTS = ["in_eea", "in_eu", "adequate", "eea_or_adequate"]


def context() -> Context:
    return Context(kb.default(), DAY, None, {})


def combined(
    answers: list[tuple[bool | None, list[object]]], *, settles: bool
) -> tuple[bool | None, list[object]]:
    verdicts = [verdict for verdict, _ in answers]
    facts = [fact for _, found in answers for fact in found]
    if settles in verdicts:
        return settles, facts
    return (None if None in verdicts else not settles), facts


@given(st.sampled_from(TESTS), st.lists(VALUES, max_size=4), st.booleans())
def test_a_list_has_a_status_when_every_country_has_it(
    test: str, value: list[object], argument: bool
) -> None:
    op = OPERATORS[test]
    each = [op.apply(code, True, context()) for code in value]
    status, facts = combined([(v, list(f)) for v, f in each], settles=False)
    got, cited = op.apply(value, argument, context())
    assert got is (None if status is None else status is argument)
    assert list(cited) == facts


@given(st.lists(VALUES, max_size=4), st.booleans())
def test_a_list_is_exposed_when_one_country_is(value: list[object], argument: bool) -> None:
    op = OPERATORS["compelled_access_laws"]
    each = [op.apply(code, True, context()) for code in value]
    exposed, facts = combined([(v, list(f)) for v, f in each], settles=True)
    got, cited = op.apply(value, argument, context())
    assert got is (None if exposed is None else exposed is argument)
    assert list(cited) == facts


@given(st.sampled_from([*TESTS, "compelled_access_laws"]), CODES, st.booleans())
def test_a_country_asked_again_gets_the_same_answer(
    test: str, code: object, argument: bool
) -> None:
    op = OPERATORS[test]
    first = op.apply(code, argument, context())
    again = op.apply(code, argument, context())
    assert first[0] is again[0]
    assert list(first[1]) == list(again[1])
    if not isinstance(code, str) or kb.default().country(code) is None:  # cannot be decided
        assert first[0] is None
        assert not first[1]

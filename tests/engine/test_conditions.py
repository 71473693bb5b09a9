"""A rule's fast decider (no trace, stops early) and its tracer (every branch, every fact) must
agree on every condition: the decider settles passes, the tracer explains failures."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from residency_audit import kb
from residency_audit.engine.conditions import (
    All,
    AnyOf,
    Condition,
    Leaf,
    Not,
    Trace,
    decider,
    tracer,
)
from residency_audit.engine.operators import Context
from residency_audit.engine.subjects import Subject
from residency_audit.model import Fact, Span

HERE = Span("t.yaml", 1, 1)
FIELDS = ("a", "b", "c")
VALUES = st.sampled_from(["FR", "US", "DE", 1, 2, True, False, None, ("FR", "US"), ()])
LISTS = st.lists(st.sampled_from(["FR", "US", "DE", 1, True]), min_size=1, max_size=3)

LEAVES = st.one_of(
    st.builds(Leaf, st.sampled_from(FIELDS), st.just("eq"), VALUES, st.just(HERE)),
    st.builds(Leaf, st.sampled_from(FIELDS), st.just("ne"), VALUES, st.just(HERE)),
    st.builds(Leaf, st.sampled_from(FIELDS), st.just("in"), LISTS, st.just(HERE)),
    st.builds(Leaf, st.sampled_from(FIELDS), st.just("not_in"), LISTS, st.just(HERE)),
    st.builds(Leaf, st.sampled_from(FIELDS), st.just("contains_any"), LISTS, st.just(HERE)),
    st.builds(Leaf, st.sampled_from(FIELDS), st.just("exists"), st.booleans(), st.just(HERE)),
    st.builds(Leaf, st.sampled_from(FIELDS), st.just("in_eea"), st.booleans(), st.just(HERE)),
)
CONDITIONS: st.SearchStrategy[Condition] = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.builds(All, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(AnyOf, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(Not, inner),
    ),
    max_leaves=8,
)
FACTS = st.dictionaries(st.sampled_from(FIELDS), VALUES)


@given(CONDITIONS, FACTS)
def test_the_decider_and_the_tracer_give_the_same_truth(
    condition: Condition, values: dict[str, object]
) -> None:
    facts = {k: Fact(k, v, "t.yaml:1:1") for k, v in values.items()}
    subject = Subject("component", "c", "c", HERE, facts)
    ctx = Context(kb.default(), dt.date(2026, 11, 28), subject, {})
    assert decider(condition)(facts, ctx) is tracer(condition)(facts, ctx, Trace())

"""Records made and pickled through their fast paths are the records the fields describe, and
the subjects handed from the flows to the audit are those of the deployment audited."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from residency_audit import flows
from residency_audit.engine.evaluate import audit
from residency_audit.engine.rules import load_packs
from residency_audit.engine.subjects import SubjectBuilder
from residency_audit.format import load_deployment
from residency_audit.kb import KnowledgeBase
from residency_audit.model import Check, Fact, Finding, Reference, Severity, Span, Status
from residency_audit.records import replaced
from residency_audit.risk import flows_with_risk, load_model
from tests.conftest import AS_OF, SAMPLES


def test_hand_written_constructors_fill_every_field_with_the_declared_defaults() -> None:
    span = Span("a.yaml", 3, 7)
    fact = Fact("location.country", "DE", "a.yaml:3:7")
    assert (fact.path, fact.value, fact.origin, fact.url, fact.verified) == (
        "location.country",
        "DE",
        "a.yaml:3:7",
        None,
        True,
    )
    assert Fact(path="p", value=0, origin="o", verified=False, url="u").url == "u"
    assert dataclasses.replace(fact, value="FR") == Fact("location.country", "FR", "a.yaml:3:7")
    finding = Finding(
        rule_id="R-1",
        severity=Severity.HIGH,
        title="t",
        message="m",
        deployment="d",
        component=None,
        span=span,
        references=(Reference("label", "https://example.org"),),
        facts=(fact,),
        remediation="r",
    )
    assert (finding.unverifiable, finding.status, finding.waiver) == (False, Status.OPEN, None)
    assert [getattr(finding, f.name) for f in dataclasses.fields(Finding)][:7] == [
        "R-1",
        Severity.HIGH,
        "t",
        "m",
        "d",
        None,
        span,
    ]
    check = Check(("R-1", "R-2"), "d", "db", "place:db")
    for record in (span, fact, finding, check):
        copy = pickle.loads(pickle.dumps(record, pickle.HIGHEST_PROTOCOL))
        assert copy == record and type(copy) is type(record)
        assert all(
            getattr(copy, f.name) == getattr(record, f.name) for f in dataclasses.fields(record)
        )


def test_replaced_copies_a_record_with_one_field_changed(knowledge: KnowledgeBase) -> None:
    d = load_deployment(SAMPLES / "doctolib-2021.yaml")[0]
    flow = flows.derive_flows(d, knowledge, AS_OF)[0]
    assert replaced(flow, "label", "renamed") == dataclasses.replace(flow, label="renamed")
    assert flow.label != "renamed"


def test_audit_ignores_subjects_built_for_another_deployment(knowledge: KnowledgeBase) -> None:
    rules = tuple(r for p in load_packs(()) for r in p.rules)
    model = load_model(None, law_ids=knowledge.laws)
    first = load_deployment(SAMPLES / "doctolib-2021.yaml")[0]
    second = load_deployment(SAMPLES / "sovereign-hospital.yaml")[0]
    builder = SubjectBuilder(first, knowledge, AS_OF)
    shared = flows_with_risk(second, knowledge, AS_OF, model, builder)
    assert shared == flows_with_risk(second, knowledge, AS_OF, model)
    alone = audit(second, rules, kb=knowledge, as_of=AS_OF)
    handed = audit(second, rules, kb=knowledge, as_of=AS_OF, builder=builder)
    assert handed.findings == alone.findings and handed.checks == alone.checks
    assert {f.deployment for f in handed.findings} == {second.name}


def test_a_hand_written_constructor_that_misses_a_field_is_refused_at_import() -> None:
    from residency_audit.records import Record, record, slot_init

    @record
    class Pair(Record):
        left: int
        right: int = 0

    def forgets_right(self: Pair, left: int) -> None:
        pass

    def wrong_default(self: Pair, left: int, right: int = 1) -> None:
        pass

    for init in (forgets_right, wrong_default):
        with pytest.raises(TypeError, match="must take the fields of Pair in order"):
            slot_init(Pair, init)


def test_generated_constructors_behave_as_dataclasses_frozen_ones() -> None:
    from dataclasses import FrozenInstanceError, field

    from residency_audit.records import Record, record

    @record
    class Box(Record):
        name: str
        size: int = 1
        tags: list[str] = field(default_factory=list)
        total: int = field(init=False, default=0)

    @record(kw_only=True)
    class Labelled(Record):
        label: str
        weight: float = 0.5

    @record
    class Doubled(Record):
        base: int
        twice: int = field(init=False)

        def __post_init__(self) -> None:
            object.__setattr__(self, "twice", 2 * self.base)

    first, second = Box("a"), Box("b", 3, tags=["x"])
    assert (first.name, first.size, first.tags, first.total) == ("a", 1, [], 0)
    assert (second.size, second.tags) == (3, ["x"])
    assert Box("c").tags is not first.tags  # a fresh list per object, as default_factory says
    assert Labelled(label="l").weight == 0.5 and Doubled(4).twice == 8
    with pytest.raises(TypeError):
        Labelled("positional")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Box()  # type: ignore[call-arg]
    with pytest.raises(FrozenInstanceError):
        first.size = 2  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del first.size

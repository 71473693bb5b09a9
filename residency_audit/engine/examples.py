"""Run a rule's own pass/fail/unverifiable examples: rules document and test themselves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from residency_audit.clock import parse_day
from residency_audit.engine.evaluate import judge
from residency_audit.engine.rules import Example, Rule
from residency_audit.engine.subjects import Subject
from residency_audit.kb import KnowledgeBase
from residency_audit.model import Fact
from residency_audit.records import Record, record

DEFAULT_AS_OF = dt.date(2026, 11, 28)
"""Examples without `as_of` are judged on this fixed date, so their verdict never drifts."""


@record
class ExampleResult(Record):
    """What the engine decided for one of a rule's own examples."""

    rule: Rule
    example: Example
    outcome: str
    """pass, fail or unverifiable: what the engine decided."""

    @property
    def ok(self) -> bool:
        return self.outcome == self.example.expect

    def __str__(self) -> str:
        verdict = "ok" if self.ok else f"expected {self.example.expect}, got {self.outcome}"
        return f"{self.example.span}: {self.rule.id} example: {verdict}"


def run_example(rule: Rule, example: Example, kb: KnowledgeBase) -> ExampleResult:
    as_of = parse_day(example.as_of) if example.as_of else DEFAULT_AS_OF
    facts = {path: Fact(path, value, str(example.span)) for path, value in example.facts.items()}
    subject = Subject(rule.applies_to[0], "example", None, example.span, facts)
    finding = judge(rule, subject, kb=kb, as_of=as_of, deployment="example")
    outcome = "pass" if finding is None else "unverifiable" if finding.unverifiable else "fail"
    return ExampleResult(rule, example, outcome)


def run_examples(rules: Iterable[Rule], kb: KnowledgeBase) -> list[ExampleResult]:
    return [run_example(rule, example, kb) for rule in rules for example in rule.examples]

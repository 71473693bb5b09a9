"""Every bundled rule's examples give the verdict the rule file promises."""

from __future__ import annotations

import pytest

from residency_audit import kb
from residency_audit.engine.examples import run_example
from residency_audit.engine.rules import load_packs

RULES = [rule for pack in load_packs() for rule in pack.rules]
CASES = [(rule, example) for rule in RULES for example in rule.examples]


@pytest.mark.parametrize(
    ("rule", "example"), CASES, ids=[f"{r.id}-{e.expect}-{e.span.line}" for r, e in CASES]
)
def test_rule_example(rule, example) -> None:  # type: ignore[no-untyped-def]
    result = run_example(rule, example, kb.default())
    assert result.ok, str(result)


def test_every_rule_has_a_failing_example_and_a_url_reference() -> None:
    for rule in RULES:
        assert any(e.expect == "fail" for e in rule.examples), rule.id
        assert all(r.url.startswith("https://") for r in rule.references), rule.id

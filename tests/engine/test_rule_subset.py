"""A subset of the rules judges what the whole set judges with them: `audit` builds only the
subjects of the kinds its rules judge (a pack of place rules builds no party), and what it
skips must change none of the findings or checks of the rules it runs."""

from __future__ import annotations

import datetime as dt

import pytest

from residency_audit import kb
from residency_audit.engine.evaluate import audit
from residency_audit.format import parse_deployment
from residency_audit.loader import load_document
from residency_audit.pipeline import load_rules
from tests.conftest import AS_OF, SAMPLES

SUBSETS = [
    ("HDS-LOC-01", "GDPR-XFER-01", "GDPR-XFER-02", "JUR-EXPO-01"),  # the peer benchmark's
    ("JUR-01", "GDPR-28-01"),  # parties only
    ("HDS-CERT-01", "CORE-KB-01"),  # certificates, and a country nobody knows
]


@pytest.mark.parametrize("subset", SUBSETS)
@pytest.mark.parametrize("as_of", [AS_OF, dt.date(2021, 3, 1)])
@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.yaml")))
def test_a_subset_of_the_rules_finds_what_the_whole_set_finds_with_them(
    subset: tuple[str, ...], as_of: dt.date, sample: str
) -> None:
    knowledge = kb.default()
    rules = [r for p in load_rules([], knowledge) for r in p.rules]
    chosen = [r for r in rules if r.id in subset]
    assert {r.id for r in chosen} == set(subset)
    d = parse_deployment(load_document(SAMPLES / sample))
    whole = audit(d, rules, kb=knowledge, as_of=as_of)
    part = audit(d, chosen, kb=knowledge, as_of=as_of)
    assert part.findings == [f for f in whole.findings if f.rule_id in subset]
    judged = {(c.subject, rule) for c in whole.checks for rule in c.rules if rule in subset}
    assert {(c.subject, rule) for c in part.checks for rule in c.rules} == judged

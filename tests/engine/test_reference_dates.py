"""A finding cites only what existed on its as-of date: each bundled reference to a dated text
(a judgment, a decision, a referential, a version of EDPB guidance) is cited from the day that
text existed, and a superseded version only until the next one."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from residency_audit.engine.rules import Citation, Rule, load_pack, load_packs
from residency_audit.errors import RuleError
from residency_audit.model import Reference

RULES = [r for p in load_packs() for r in p.rules]  # every bundled pack

D = dt.date
DOCUMENTS: list[tuple[str, dt.date, dt.date | None]] = [
    # (label pattern, first day the text existed, first day a later version replaced it)
    (r"Recommendations 01/2020 v1\.0", D(2020, 11, 10), D(2021, 6, 18)),
    (r"Recommendations 01/2020 v2\.0", D(2021, 6, 18), None),
    (r"Guidelines 05/2021 v1\.0", D(2021, 11, 18), D(2023, 2, 14)),
    (r"Guidelines 05/2021 v2\.0", D(2023, 2, 14), None),
    (r"Guidelines 02/2024.* v2\.0", D(2025, 6, 4), None),
    (r"Guidelines 01/2025", D(2025, 1, 16), None),
    (r"C-311/18", D(2020, 7, 16), None),
    (r"444937", D(2020, 10, 13), None),
    (r"T-553/23", D(2025, 9, 3), None),
    (r"2021/914", D(2021, 6, 4), None),
    (r"2023/1795", D(2023, 7, 10), None),
    (r"2016/1250", D(2016, 7, 12), None),
    (r"RRB 542/2022", D(2022, 3, 30), None),
    (r"SecNumCloud.* 3\.2", D(2022, 3, 8), None),
    (r"referential 2024|referential v2|26 April 2024", D(2024, 4, 26), None),
    (r"CLOUD Act", D(2018, 3, 23), None),
    (r"^GDPR\b", D(2016, 4, 27), None),
]


def cited_period(rule: Rule, citation: Citation) -> tuple[dt.date, dt.date | None]:
    """The days an audit cites `citation` in a finding of `rule`: [first, end)."""
    starts = [d for d in (rule.effective_from, citation.first_day) if d is not None]
    ends = [d for d in (rule.effective_until, citation.superseded) if d is not None]
    return max(starts, default=dt.date.min), min(ends, default=None)


CASES = [(rule, c) for rule in RULES for c in rule.citations]


@pytest.mark.parametrize(
    ("rule", "citation"),
    CASES,
    ids=[f"{r.id}-{i}" for r, c in CASES for i in [c.reference.label[:40]]],
)
def test_a_dated_text_is_cited_only_while_it_existed(rule: Rule, citation: Citation) -> None:
    first, end = cited_period(rule, citation)
    label = citation.reference.label
    assert "Recommendations 01/2020" not in label or re.search(r"v[12]\.0", label), label
    for pattern, existed, replaced in DOCUMENTS:
        if re.search(pattern, label):
            assert first >= existed, f"{rule.id}: {label} cited from {first}, exists {existed}"
            if replaced is not None:
                assert end is not None and end <= replaced, f"{rule.id}: {label} after {replaced}"


def test_gdpr_articles_are_cited_only_once_the_gdpr_applies() -> None:
    """Only CORE-LAW-01, which says when the GDPR applies, cites it before 25 May 2018."""
    early = [
        (rule.id, c.reference.label)
        for rule in RULES
        for c in rule.citations
        if re.search(r"^GDPR\b", c.reference.label) and cited_period(rule, c)[0] < D(2018, 5, 25)
    ]
    assert [rule for rule, _ in early] == ["CORE-LAW-01"], early


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_a_rule_cites_something_on_every_day_it_is_in_effect(rule: Rule) -> None:
    """A finding always cites a text that existed on its as-of date."""
    days = {rule.effective_from or D(1990, 1, 1)}
    days |= {d for c in rule.citations for d in (c.first_day, c.superseded) if d is not None}
    for day in sorted(d for d in days if rule.in_effect(d)):
        assert rule.on(day).references, f"{rule.id} cites nothing on {day}"


def test_a_rule_as_of_a_day_keeps_the_version_that_existed() -> None:
    (rule,) = [r for r in RULES if r.id == "EDPB-UC6-01"]
    assert len(rule.references) == 3  # v1.0, v2.0, Schrems II: all listed (explain, rules list)
    on = {
        day: [r.label for r in rule.on(D(*day)).references]
        for day in [(2021, 6, 17), (2021, 6, 18)]
    }
    assert [x.split(" (")[0] for x in on[(2021, 6, 17)]] == [
        "EDPB Recommendations 01/2020 v1.0",
        "CJEU C-311/18 Schrems II, 16 July 2020",
    ]
    assert [x.split(" (")[0] for x in on[(2021, 6, 18)]] == [
        "EDPB Recommendations 01/2020 v2.0",
        "CJEU C-311/18 Schrems II, 16 July 2020",
    ]
    assert rule.on(D(2026, 11, 28)).on(D(2026, 11, 28)) == rule.on(D(2026, 11, 28))


def test_an_undated_rule_is_the_same_on_every_day() -> None:
    rule = next(r for r in RULES if not any(c.first_day or c.superseded for c in r.citations))
    assert rule.on(D(1990, 1, 1)) is rule


def test_citation_period_bounds() -> None:
    citation = Citation(Reference("x", "https://x", None, D(2020, 1, 1), None, D(2021, 1, 1)))
    assert not citation.cited_on(D(2019, 12, 31))
    assert citation.cited_on(D(2020, 1, 1))
    assert citation.cited_on(D(2020, 12, 31))
    assert not citation.cited_on(D(2021, 1, 1))


RULE = """\
id: ACME-REF-01
title: t
severity: low
applies_to: [deployment]
references:
  - label: Example guidance v1.0
    url: https://example.org/v1
REFERENCE
rationale: why the rule exists, in a sentence long enough for lint.
remediation: do it
message: m
require: {field: deployment.name, exists: true}
examples:
  fail:
    - {}
"""


@pytest.mark.parametrize(
    ("dates", "error"),
    [
        ("    adopted: 2021-06-18\n    superseded: 2021-06-18", "is not after 2021-06-18"),
        ("    adopted: 2021-06-18\n    applies_from: 2021-01-01", "applies_from is before adopted"),
        ("    adopted: 18 June 2021", "adopted"),
    ],
)
def test_impossible_reference_dates_are_rule_errors(tmp_path: Path, dates: str, error: str) -> None:
    pack = tmp_path / "acme"
    pack.mkdir()
    (pack / "pack.yaml").write_text("name: acme\ntitle: Acme\nversion: '1'\n")
    (pack / "ACME-REF-01.yaml").write_text(RULE.replace("REFERENCE", dates))
    with pytest.raises(RuleError) as caught:
        load_pack(pack)
    assert error in str(caught.value), str(caught.value)

"""Findings and flows written by orjson (`jsonitems.Items`) read byte for byte as
`json.dumps(indent=2, ensure_ascii=False)` writes them: the JSON result must not depend on
which of the two wrote an item, nor on whether a batch's worker or its parent did."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from residency_audit import pipeline
from residency_audit.model import Fact, Finding, Flow
from residency_audit.reporters.jsonitems import (
    MARGIN,
    Items,
    finding_dict,
    flow_dict,
    indented,
    indented_run,
)
from tests.conftest import AS_OF, SAMPLES


def expected(item: dict[str, Any]) -> bytes:
    return json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n" + MARGIN).encode()


@pytest.fixture(scope="module")
def audited() -> tuple[list[Finding], list[Flow]]:
    report = pipeline.run(pipeline.Options([SAMPLES], as_of=AS_OF, jobs=1))
    return list(report.findings), list(report.flows)


def test_every_sample_finding_and_flow_reads_as_json_writes_it(
    audited: tuple[list[Finding], list[Flow]],
) -> None:
    findings, flows = audited
    assert findings and flows
    items = Items()
    for _ in range(2):  # the second time from the parts it kept
        for f in findings:
            assert items.item(finding_dict, f) == expected(finding_dict(f))
        for flow in flows:
            assert items.item(flow_dict, flow) == expected(flow_dict(flow))
    risks = [json.dumps(flow_dict(f)["risk"]) for f in flows]
    assert any("e-0" in r for r in risks)  # floats orjson would write another way are there
    run = items.run(flow_dict, flows[:3])
    assert run == b",\n    ".join(expected(flow_dict(f)) for f in flows[:3])


TEXT = st.text(st.characters(blacklist_categories=("Cs",)))  # YAML cannot give lone surrogates
DECLARED = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson refuses those, the item still reads the same
    | st.floats()
    | TEXT
    | st.dates(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)


@given(value=DECLARED)
@example(value=1e-05)  # orjson: 0.00001
@example(value={"n": [2.5e-07, float("nan"), -float("inf")]})
@example(value=2**70)  # beyond orjson's integers
def test_any_declared_value_in_a_fact_reads_as_json_writes_it(
    audited: tuple[list[Finding], list[Flow]], value: Any
) -> None:
    finding = dataclasses.replace(
        audited[0][0], facts=(Fact("component.x", value, "a.yaml:1:1"), *audited[0][0].facts)
    )
    assert Items().item(finding_dict, finding) == expected(finding_dict(finding))
    # and in a run (a file's findings, written as one list when orjson takes them all)
    run = [audited[0][1], finding, audited[0][0]]
    assert Items().run(finding_dict, run) == b",\n    ".join(expected(finding_dict(f)) for f in run)


def test_parts_are_kept_with_their_object_not_only_its_id() -> None:
    items = Items()
    first = Fact("p", 1.5, "derived")
    assert items.fact(first)["path"] == "p"
    items._facts[id(first)] = (object(), {"path": "stale"})  # as if the id had been reused
    assert items.fact(first)["path"] == "p"
    assert items.fact(Fact("p", dt.date(2026, 1, 1), "derived"))["value"] == "2026-01-01"


def test_a_run_of_values_reads_as_its_values_indented_one_by_one(
    audited: tuple[list[Finding], list[Flow]],
) -> None:
    values = [{"a": [1, {"b": None}], "c": "d\ne"}, [], {}, "x", [{"e": [[]]}]]
    values += [finding_dict(f) for f in audited[0][:3]]
    for margin in ("  ", MARGIN, "        "):  # a list at the top, JSON's lists, SARIF's results
        assert indented_run(values, margin) == f",\n{margin}".encode().join(
            indented(v, margin) for v in values
        )
    assert indented_run([], MARGIN) == b""
    for margin in ("", "   ", "\t\t"):
        with pytest.raises(ValueError, match="margin"):
            indented_run(values, margin)

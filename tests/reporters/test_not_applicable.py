"""A rule that did not apply to a subject (its `when` did not hold) is not reported as passed
there: JUnit has no case for it, the JSON result lists it under the subject's `not_applicable`,
and reading a result back keeps that apart, refusing a malformed list at its item. A result
saved before checks said which rules did not apply still reads, as it did then."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import FIXTURES
from tests.support.reports import need

AS_OF = "2026-11-29"
PUBLIC = "observation:public share of s3-patients-eu"
"""DRIFT-SHARE-01 (not public) fails on it; DRIFT-SHARE-02 (not shared with another account)
is about stores shared with an account, and does not apply."""
PRIVATE = "observation:sharing of s3-plain-eu"
"""Sharing read, none found: both rules apply and pass."""


def observed(tmp_path: Path) -> Path:
    """What `discover aws` writes for a public bucket and a private one."""
    shares = {
        "- id: s3-patients-eu": "  shared_with: [public]",
        "- id: s3-plain-eu": "  shared_with: []",
    }
    lines = []
    for line in (FIXTURES / "observed" / "s3-replicas.yaml").read_text().splitlines():
        lines += [line, shares[line]] if line in shares else [line]
    path = tmp_path / "observed.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def check(runner: CliRunner, tmp_path: Path, fmt: str) -> str:
    result = runner.invoke(app, ["check", str(observed(tmp_path)), "--as-of", AS_OF, "-f", fmt])
    assert result.exit_code == 1, result.output  # the public store is a critical finding
    return result.stdout


def cases(text: str, tmp_path: Path) -> dict[tuple[str, str], Any]:
    """The JUnit cases by (rule id, subject), as a CI server parses them."""
    junitparser = need("junitparser", "parses JUnit XML like CI servers do")
    path = tmp_path / "report.xml"
    path.write_text(text, encoding="utf-8")
    xml = junitparser.JUnitXml.fromfile(str(path))
    out = {}
    for suite in xml:
        assert suite.tests == len(list(suite))  # the counts are of the cases written
        for case in suite:
            rule, _, rest = case.name.partition(" ")
            out[rule, rest.partition(": ")[0]] = case
    return out


def test_junit_does_not_show_a_rule_that_did_not_apply_as_passed(
    runner: CliRunner, tmp_path: Path
) -> None:
    """On a public store, "not shared with other accounts" showed as a passed case, which a CI
    reader or a lawyer takes for "checked and fine": it was not asked."""
    found = cases(check(runner, tmp_path, "junit"), tmp_path)
    assert not found["DRIFT-SHARE-01", PUBLIC].is_passed
    assert ("DRIFT-SHARE-02", PUBLIC) not in found
    # where it does apply and holds, it is a passed case
    assert found["DRIFT-SHARE-01", PRIVATE].is_passed
    assert found["DRIFT-SHARE-02", PRIVATE].is_passed


def test_json_lists_the_rules_that_did_not_apply_apart(runner: CliRunner, tmp_path: Path) -> None:
    checks = {c["subject"]: c for c in json.loads(check(runner, tmp_path, "json"))["checks"]}
    assert checks[PUBLIC]["rules"] == ["DRIFT-SHARE-01"]
    assert "DRIFT-SHARE-02" in checks[PUBLIC]["not_applicable"]
    assert {"DRIFT-SHARE-01", "DRIFT-SHARE-02"} <= set(checks[PRIVATE]["rules"])
    assert not {"DRIFT-SHARE-01", "DRIFT-SHARE-02"} & set(checks[PRIVATE]["not_applicable"])
    for c in checks.values():
        assert not set(c["rules"]) & set(c["not_applicable"]), c["subject"]


def test_report_renders_the_junit_check_wrote(runner: CliRunner, tmp_path: Path) -> None:
    saved = tmp_path / "result.json"
    saved.write_text(check(runner, tmp_path, "json"))
    again = runner.invoke(app, ["report", str(saved), "-f", "junit"])
    assert again.exit_code == 1, again.output
    assert again.stdout == check(runner, tmp_path, "junit")
    assert ("DRIFT-SHARE-02", PUBLIC) not in cases(again.stdout, tmp_path)


def test_a_result_saved_before_checks_said_what_did_not_apply_still_reads(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Such a result listed every rule of a subject's kind under `rules`: it reads as it did,
    every one a case, and nothing is said not to apply that the result did not say."""
    data = json.loads(check(runner, tmp_path, "json"))
    order = {r["id"]: n for n, r in enumerate(data["rules"])}
    for c in data["checks"]:
        c["rules"] = sorted([*c["rules"], *c.pop("not_applicable")], key=order.__getitem__)
    saved = tmp_path / "old.json"
    saved.write_text(json.dumps(data, indent=2))
    junit = runner.invoke(app, ["report", str(saved), "-f", "junit"])
    assert junit.exit_code == 1, junit.output
    assert cases(junit.stdout, tmp_path)["DRIFT-SHARE-02", PUBLIC].is_passed  # as then
    again = runner.invoke(app, ["report", str(saved), "-f", "json"])
    assert again.exit_code == 1, again.output
    checks = json.loads(again.stdout)["checks"]
    assert [c["rules"] for c in checks] == [c["rules"] for c in data["checks"]]
    assert {len(c["not_applicable"]) for c in checks} == {0}


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("DRIFT-SHARE-02", "not_applicable: expected a list of rule ids, got str"),
        (None, "not_applicable: expected a list of rule ids, got NoneType"),
        ([7], "expected text, got int"),
        (["DRIFT-SHARE-01"], "rule 'DRIFT-SHARE-01' is in both rules and"),
    ],
)
def test_a_malformed_not_applicable_is_refused_at_its_item(
    runner: CliRunner, tmp_path: Path, value: object, said: str
) -> None:
    """A hand-edited list would change which cases JUnit shows passed: an input error (exit 2)
    at the check's line, naming the check and what is wrong, never a silent pass."""
    data = json.loads(check(runner, tmp_path, "json"))
    position = next(n for n, c in enumerate(data["checks"]) if c["subject"] == PUBLIC)
    data["checks"][position]["not_applicable"] = value
    saved = tmp_path / "edited.json"
    text = json.dumps(data, indent=2)
    saved.write_text(text)
    result = runner.invoke(app, ["report", str(saved), "-f", "junit"])
    assert result.exit_code == 2, result.output
    lines = text.splitlines()
    start = lines.index('  "checks": [')
    brace = lines.index(f'      "subject": "{PUBLIC}",', start) - 2  # 1-based: the item's `{`
    where, _, said_there = result.output.partition(": error: ")
    path, line, column = where.rsplit(":", 2)
    assert path == str(saved) and column.isdigit(), result.output
    # at the item: its opening brace, or the comma before it, where the reader stood
    assert brace - 1 <= int(line) <= brace, result.output
    assert f"(checks[{position}]: {said}" in said_there, result.output

"""A waiver file is no deployment: a waiver whose target names a deployment the run did not
audit (a typo, which WAIVER-MATCH-01 reports) is not counted as one, and JUnit puts the
findings about waivers, which are located in the waiver file, in a suite of that file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, FIXTURES, SAMPLES

SAMPLE = str(SAMPLES / "backup-outside-eea.yaml")
TYPO = """  - rule: GDPR-XFER-01
    target: {deployment: clinique-exemple-record}
    justification: a typo in the deployment's name
    approved_by: dpo@example.org
    expires: 2027-01-31
"""


def waivers(tmp_path: Path) -> Path:
    """The sample's waivers (one expired on AS_OF: WAIVER-EXP-01), then one whose target is
    misspelt (WAIVER-MATCH-01, with the deployment name it gives)."""
    path = tmp_path / "waivers.yaml"
    path.write_text((FIXTURES / "waivers" / "backup-tia.yaml").read_text() + TYPO)
    return path


def check(runner: CliRunner, tmp_path: Path, fmt: str) -> str:
    path = waivers(tmp_path)
    args = ["check", SAMPLE, "--waivers", str(path), "--as-of", str(AS_OF), "-f", fmt]
    result = runner.invoke(app, args, env={"NO_COLOR": "1"})
    assert result.exit_code == 1, result.output
    assert "WAIVER-MATCH-01" in result.stdout and "WAIVER-EXP-01" in result.stdout
    return result.stdout


def test_every_format_counts_the_deployments_audited(runner: CliRunner, tmp_path: Path) -> None:
    summary = check(runner, tmp_path, "text").splitlines()[-1]
    assert " in 1 deployment(s);" in summary, summary
    markdown = check(runner, tmp_path, "markdown")
    assert "- **Scope:** 1 deployment(s): `clinique-exemple-records`" in markdown.splitlines()
    assert "clinique-exemple-record —" not in check(runner, tmp_path, "html")  # the title


def test_junit_puts_the_waiver_findings_in_a_suite_of_the_waiver_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    root = ET.fromstring(check(runner, tmp_path, "junit"))
    suites = {s.get("name"): s for s in root}
    path = tmp_path / "waivers.yaml"
    assert list(suites) == ["clinique-exemple-records", f"waivers {path}", "audit scope"]
    waiver_suite = suites[f"waivers {path}"]
    rules = sorted(str(c.get("name")).split()[0] for c in waiver_suite)
    assert rules == ["WAIVER-EXP-01", "WAIVER-MATCH-01"]
    assert {c.get("file") for c in waiver_suite} == {str(path)}
    # each a failure, or a skipped case when below the default --fail-on high
    shown = [
        c for c in waiver_suite if c.find("failure") is not None or c.find("skipped") is not None
    ]
    assert waiver_suite.get("tests") == "2" and len(shown) == 2
    in_deployment = [c.get("name") for c in suites["clinique-exemple-records"]]
    assert not [name for name in in_deployment if str(name).startswith("WAIVER-")]
    cases = sum(len(s) for s in root)
    assert root.get("tests") == str(cases)  # the totals still add up

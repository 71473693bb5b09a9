"""Health data raise what a violation costs by one level; a finding that cannot be verified is
raised only as far as the failure it may hide. Declaring the fact that makes a rule fail must
never lower the finding's severity, or a deployment would be better off declaring the worst."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, ROOT, SAMPLES

OWN_ACCESS = """\
access:
  - id: own-admins
    kind: administration
    entity: hospital
    country: US
    clear_text: true
"""


def findings(runner: CliRunner, path: Path) -> dict[str, dict[str, Any]]:
    result = runner.invoke(app, ["check", str(path), "-f", "json", "--as-of", str(AS_OF)])
    assert result.exit_code in (0, 1), result.output
    return {f["rule_id"]: f for f in json.loads(result.stdout)["findings"]}


def test_an_unknown_of_health_data_is_not_more_severe_than_the_failure_it_may_hide(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The hospital's own administrators work from the US and it declares no parent: which laws
    reach them is unknown. RISK-PROB-01 (medium, high for health data when it fails) said
    critical, above any failure of the rule; it is high."""
    text = (SAMPLES / "sovereign-hospital.yaml").read_text(encoding="utf-8")
    text = text.replace("access:\n", OWN_ACCESS, 1)
    path = tmp_path / "own-access.yaml"
    path.write_text(text, encoding="utf-8")
    found = findings(runner, path)
    prob = found["RISK-PROB-01"]
    assert (prob["unverifiable"], prob["severity"]) == (True, "high")
    assert "administration access own-admins" in prob["message"]


def test_an_unknown_is_raised_when_the_failure_would_cost_more(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Where the rule's failure for health data (high raised to critical) outranks its
    unverifiable severity (high), the unknown is raised with it: a health-data copy in a region
    the knowledge base cannot place is a transfer that may have no tool, critical."""
    text = (SAMPLES / "backup-outside-eea.yaml").read_text(encoding="utf-8")
    assert "region: us-east-1" in text
    path = tmp_path / "unplaced.yaml"
    path.write_text(text.replace("region: us-east-1", "region: nowhere-1", 1), encoding="utf-8")
    found = findings(runner, path)
    for rule in ("GDPR-XFER-01", "EDPB-UC1-01"):
        assert (found[rule]["unverifiable"], found[rule]["severity"]) == (True, "critical"), rule
    # and one whose failure would be high, as its unknown: high, not critical
    prob = found["RISK-PROB-01"]
    assert (prob["unverifiable"], prob["severity"]) == (True, "high")


def test_a_rule_whose_unknown_weighs_less_raises_it_by_one_level_only(
    runner: CliRunner, tmp_path: Path
) -> None:
    """QA: a pack's rule of severity high with `unverifiable_severity: low`, escalating, said
    critical when it could not be verified (it said medium before): an unknown is raised by a
    level like a failure, never to the failure's level in one jump."""
    pack = tmp_path / "pack"
    pack.mkdir()
    source = (ROOT / "rules" / "gdpr" / "pack.yaml").read_text(encoding="utf-8")
    (pack / "pack.yaml").write_text(source.replace("name: gdpr", "name: mine", 1))
    rule = (ROOT / "rules" / "gdpr" / "GDPR-XFER-01.yaml").read_text(encoding="utf-8")
    assert "severity: high\n" in rule and "unverifiable_severity" not in rule
    rule = rule.replace("id: GDPR-XFER-01", "id: MINE-XFER-01", 1)
    rule = rule.replace("severity: high\n", "severity: high\nunverifiable_severity: low\n", 1)
    (pack / "MINE-XFER-01.yaml").write_text(rule, encoding="utf-8")
    text = (SAMPLES / "backup-outside-eea.yaml").read_text(encoding="utf-8")
    path = tmp_path / "unplaced.yaml"
    path.write_text(text.replace("region: us-east-1", "region: nowhere-1", 1), encoding="utf-8")
    result = runner.invoke(
        app, ["check", str(path), "-f", "json", "--as-of", str(AS_OF), "--rules", str(pack)]
    )
    assert result.exit_code in (0, 1), result.output
    [mine] = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "MINE-XFER-01"]
    assert (mine["unverifiable"], mine["severity"]) == (True, "medium")

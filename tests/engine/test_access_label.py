"""An access path is named by its kind and id, the word "access" once: `remote access x`, not
`remote-access access x` (the kind `remote-access` already says it). The name is the flow's
label in the flows tables and the `flow.label` fact RISK-CLEAR-01's message states."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, FIXTURES

DEPLOYMENT = str(FIXTURES / "deployments" / "remote-access-us.yaml")


def test_a_remote_access_path_says_access_once(runner: CliRunner) -> None:
    args = ["check", DEPLOYMENT, "--as-of", str(AS_OF)]
    markdown = runner.invoke(app, [*args, "-f", "markdown"]).stdout
    assert "| access: remote access us-helpdesk |" in markdown
    data = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)
    (risk,) = (f for f in data["findings"] if f["rule_id"] == "RISK-CLEAR-01")
    assert risk["message"].startswith("remote access us-helpdesk: Helpdesk Inc can reach")
    (label,) = (x["value"] for x in risk["facts"] if x["path"] == "flow.label")
    assert label == "remote access us-helpdesk"
    labels = [f["label"] for f in data["flows"] if f["kind"] == "access"]
    assert labels == ["remote access us-helpdesk"]

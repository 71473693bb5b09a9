"""Every file a finding or a flow rests on is in every manifest with its SHA-256: the DNS
observations of `--dns` and the transfer-risk model of `--risk-model`, in the JSON inputs and
the HTML, Markdown and SARIF manifests, also when `report` re-renders a saved result."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, FIXTURES
from tests.reporters.test_html import Page

DEPLOYMENT = FIXTURES / "deployments" / "dns-drift.yaml"
OBSERVATIONS = """\
schema_version: 1
kind: dns-observations
observed_on: '2026-11-28'
resolver: 127.0.0.1:53
names:
- name: api.example-health.test
  purpose: host
  status: resolved
  cnames:
  - name: api.example-health.test
    target: d111.cloudfront.net
  canonical: d111.cloudfront.net
  addresses:
  - 108.138.0.10
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def files(runner: CliRunner, tmp_path: Path) -> dict[str, Path]:
    """The inputs: DNS observations and a risk model of the user's, and where each format of
    one `check` of them went."""
    observations = tmp_path / "observed-dns.yaml"
    observations.write_text(OBSERVATIONS)
    model = tmp_path / "our-model.yaml"
    model.write_text(runner.invoke(app, ["risk-model"]).stdout)
    out = {"dns": observations, "model": model}
    args = ["check", str(DEPLOYMENT), "--as-of", str(AS_OF), "--dns", str(observations)]
    args += ["--risk-model", str(model)]
    for fmt, name in (("json", "r.json"), ("html", "r.html"), ("markdown", "r.md")):
        out[fmt] = tmp_path / name
        args += ["-f", fmt, "-o", str(out[fmt])]
    out["sarif"] = tmp_path / "r.sarif"
    result = runner.invoke(app, [*args, "-f", "sarif", "-o", str(out["sarif"])])
    assert result.exit_code == 1, result.output
    return out


def test_the_dns_observations_findings_cite_are_a_json_input(files: dict[str, Path]) -> None:
    result = json.loads(files["json"].read_text())
    cited = [
        fact["source"]
        for f in result["findings"]
        if f["rule_id"] == "DNS-DRIFT-01"
        for fact in f["facts"]
    ]
    assert f"{files['dns']}:6:3" in cited  # the name observed on its line
    assert {
        "path": str(files["dns"]),
        "sha256": sha256(files["dns"]),
        "deployment": None,
        "role": "dns-observations",
        "description": None,
    } in result["inputs"]
    assert result["risk_model"] == {"path": str(files["model"]), "sha256": sha256(files["model"])}


def test_html_manifest_lists_dns_observations_and_risk_model(files: dict[str, Path]) -> None:
    rows = Page(files["html"].read_text()).rows
    assert ["dns-observations", str(files["dns"]), sha256(files["dns"])] in rows
    assert ["risk model", str(files["model"]), sha256(files["model"])] in rows


def test_markdown_manifest_lists_dns_observations_and_risk_model(files: dict[str, Path]) -> None:
    lines = files["markdown"].read_text().splitlines()
    dns, model = files["dns"], files["model"]
    assert f"| dns-observations | `{dns}` | `{sha256(dns)}` |" in lines
    assert f"| risk model | `{model}` | `{sha256(model)}` |" in lines


def sarif_run(path: Path) -> dict[str, Any]:
    run: dict[str, Any] = json.loads(path.read_text())["runs"][0]
    return run


def test_sarif_lists_dns_observations_and_risk_model(files: dict[str, Path]) -> None:
    run = sarif_run(files["sarif"])
    hashes = {a["location"]["uri"]: a["hashes"]["sha-256"] for a in run["artifacts"]}
    assert hashes[files["dns"].as_uri()] == sha256(files["dns"])  # outside the working dir
    assert run["properties"]["riskModel"] == {
        "path": str(files["model"]),
        "sha256": sha256(files["model"]),
    }


def test_a_re_rendered_result_keeps_them(
    runner: CliRunner, files: dict[str, Path], tmp_path: Path
) -> None:
    again = tmp_path / "again.md"
    result = runner.invoke(
        app, ["report", str(files["json"]), "-f", "markdown", "-o", str(again), "-f", "sarif"]
    )
    assert result.exit_code == 1, result.output  # the result's own, as check exited
    text = again.read_text()
    assert sha256(files["dns"]) in text and sha256(files["model"]) in text
    properties = json.loads(result.stdout)["runs"][0]["properties"]
    assert properties["riskModel"]["sha256"] == sha256(files["model"])


def test_the_bundled_risk_model_is_in_the_manifests(runner: CliRunner, tmp_path: Path) -> None:
    json_result = runner.invoke(
        app, ["check", str(DEPLOYMENT), "--as-of", str(AS_OF), "-f", "json"]
    )
    path, digest = json.loads(json_result.stdout)["risk_model"].values()
    for fmt in ("markdown", "html", "sarif"):
        result = runner.invoke(app, ["check", str(DEPLOYMENT), "--as-of", str(AS_OF), "-f", fmt])
        assert path in result.stdout and digest in result.stdout, fmt

"""Exposure without a transfer - health data kept in the EEA by the EU subsidiary of a provider
whose parent is under foreign compelled-access law - is a risk to assess and disclose, a warning
(legal-notes §2.10, §4.2), not a failure: JUR-EXPO-01 stays medium for health data, below the
default `--fail-on high` gate. Transfers are still judged at high by the transfer rules, whose
findings say what they presume about the third country's law."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, SAMPLES

HOST = "    country: LU\n"  # the seat of aws-emea, AWS Sarl, the only party in Luxembourg
DISCLOSED = (
    "    transparency: {url: https://example.org/hds-transfers, wording: table,"
    " laws: [us-cloud-act, us-fisa-702, us-eo-12333], mitigations: true, residual_risks: true}\n"
)
CLAIMS = (
    "\nclaims:\n"
    "  art48_procedure: PROC-48-01\n"
    "  dpia: DPIA-2021-01\n"
    "  processors: [aws-emea, key-custodian]\n"
)


def check(runner: CliRunner, path: Path, *options: str) -> tuple[int, list[dict]]:
    result = runner.invoke(
        app, ["check", str(path), "--format", "json", "--as-of", AS_OF.isoformat(), *options]
    )
    return result.exit_code, json.loads(result.stdout)["findings"]


def test_health_data_exposed_but_kept_in_the_eea_pass_the_default_gate(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The Doctolib sample (AWS Sarl in France and Germany, US parent) with the host's EXI 30
    disclosure, an Art. 48 procedure, a DPIA and the processor list declared: what remains of
    its exposure is reported, at medium."""
    text = (SAMPLES / "doctolib-2021.yaml").read_text()
    assert text.count(HOST) == 1 and "\nclaims:" not in text
    path = tmp_path / "exposed.yaml"
    path.write_text(text.replace(HOST, HOST + DISCLOSED) + CLAIMS)
    code, findings = check(runner, path)
    exposure = [f for f in findings if f["rule_id"] == "JUR-EXPO-01"]
    assert [(f["component"], f["severity"]) for f in exposure] == [("booking-app", "medium")]
    assert code == 0
    code, _ = check(runner, path, "--fail-on", "medium")
    assert code == 1  # still there for a stricter gate


def test_a_use_case_6_finding_states_its_premise(runner: CliRunner, tmp_path: Path) -> None:
    """Clear-text processing in Japan by a recipient no adequacy decision covers: the rule
    presumes the country's law exceeds what is necessary and proportionate, and says so, rather
    than asserting that no measure could ever make the transfer lawful."""
    path = tmp_path / "jp.yaml"
    path.write_text(
        "schema_version: 1\n"
        "name: jp\n"
        "controller: clinic\n"
        "data: {categories: [contact]}\n"
        "parties:\n"
        "  - {id: clinic, name: Clinique SAS, role: controller, country: FR}\n"
        "  - {id: jp-host, name: JP Host KK, role: processor, country: JP,"
        " parent: {name: JP Host KK, country: JP}}\n"
        "components:\n"
        "  - {id: db, kind: datastore, provider: oracle, operator: jp-host, region: ap-tokyo-1,"
        " clear_text_processing: true}\n"
        "transfers:\n"
        "  - {recipient: jp-host, tool: scc-2021, scc_module: 2}\n"
        "claims: {processors: [jp-host], art48_procedure: P48}\n"
    )
    _, findings = check(runner, path)
    (uc6,) = [f for f in findings if f["rule_id"] == "EDPB-UC6-01"]
    assert "presumed here, not assessed" in uc6["message"]
    assert "beyond what is necessary and proportionate" in uc6["message"]
    assert "no technical measure can make this transfer effective" not in uc6["message"]

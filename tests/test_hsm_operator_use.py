"""Whether the operator of a key's HSM can use the key decides whether its flow reaches the data
in clear. Undeclared, RISK-CLEAR-01 cannot pass (fail closed) and now says which key to declare;
declared (`hsm.operator_can_use`), the flow says so and cites where; an operator in the
provider's group reaches the key as the places' flows already count it, so its flow no longer
"cannot be verified" beside the custody flow that says the same party reaches the data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF

THIRD_PARTY_HSM = """\
schema_version: 1
name: clinique-hsm
controller: clinique
data: {categories: [health], health_context: care}
parties:
  - {id: clinique, name: Clinique Exemple SAS, role: controller, country: FR}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
  - {id: hsm-co, name: HSM Services SAS, role: key-custodian, country: FR,
     parent: {name: HSM Holdings Inc, country: US}}
components:
  - {id: records-db, kind: datastore, provider: aws, operator: aws-emea, region: eu-west-3,
     key: records-key, clear_text_processing: false}
keys:
  - id: records-key
    encryption: client-side
    management: customer-held
    holder: clinique
    country: FR
    hsm: {operator: hsm-co, jurisdiction: FRUSE}
    provider_can_use: false
"""

PROVIDER_HSM = """\
schema_version: 1
name: chu-azure
controller: chu
data: {categories: [health], health_context: care}
parties:
  - {id: chu, name: CHU Exemple, role: controller, country: FR}
  - {id: microsoft, name: Microsoft Ireland Operations Limited, role: processor, country: IE,
     provider: azure}
components:
  - {id: dpi, kind: datastore, provider: azure, operator: microsoft, region: francecentral,
     key: hsm-key, clear_text_processing: true}
keys:
  - id: hsm-key
    encryption: provider-side
    management: customer-managed-in-provider-kms
    holder: chu
    country: FR
    hsm: {operator: microsoft, jurisdiction: IE}
    provider_can_use: true
"""


def audit(tmp_path: Path, text: str) -> dict[str, Any]:
    path = tmp_path / "deployment.yaml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["check", str(path), "--as-of", str(AS_OF), "-f", "json"])
    assert result.exit_code == 1, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def hsm_flow(report: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in report["flows"] if f["id"].endswith("/hsm"))


def clear_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        f
        for f in report["findings"]
        if f["rule_id"] == "RISK-CLEAR-01" and "HSM of key" in f["message"]
    ]


def fact(flow: dict[str, Any], path: str) -> dict[str, Any]:
    return next(f for f in flow["facts"] if f["path"] == path)


def test_an_undeclared_third_party_hsm_cannot_be_verified_and_says_what_to_declare(
    tmp_path: Path,
) -> None:
    report = audit(tmp_path, THIRD_PARTY_HSM.replace("FRUSE", "FR"))
    flow = hsm_flow(report)
    assert flow["clear_text_reachable"] is None
    assert "(hsm.operator_can_use)" in fact(flow, "flow.clear_text_reachable")["source"]
    [finding] = clear_findings(report)
    assert finding["unverifiable"] is True


@pytest.mark.parametrize(("declared", "reachable"), [("false", False), ("true", True)])
def test_a_declared_third_party_hsm_says_whether_it_reaches_the_data(
    tmp_path: Path, declared: str, reachable: bool
) -> None:
    text = THIRD_PARTY_HSM.replace("FRUSE", f"FR, operator_can_use: {declared}")
    report = audit(tmp_path, text)
    flow = hsm_flow(report)
    assert flow["clear_text_reachable"] is reachable
    said = fact(flow, "key.hsm.operator_can_use")
    assert said["value"] is reachable
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "operator_can_use" in row)
    column = text.splitlines()[line - 1].index(declared) + 1
    assert said["source"] == f"{tmp_path / 'deployment.yaml'}:{line}:{column}"  # where written
    findings = clear_findings(report)
    if reachable:  # reached in clear under US law: the annotation, not "cannot be verified"
        [finding] = findings
        assert finding["unverifiable"] is False
        assert "HSM Services SAS can reach health data in clear" in finding["message"]
    else:
        assert findings == []


def test_an_hsm_of_the_providers_group_reaches_the_key_as_its_places_say(tmp_path: Path) -> None:
    """A Microsoft-run HSM holding a key Microsoft can use: the custody flow already says
    Microsoft reaches the data in clear; the HSM's flow said "cannot be verified" (high)."""
    report = audit(tmp_path, PROVIDER_HSM)
    flow = hsm_flow(report)
    assert flow["clear_text_reachable"] is True
    [finding] = clear_findings(report)
    assert finding["unverifiable"] is False
    assert finding["severity"] == "info"

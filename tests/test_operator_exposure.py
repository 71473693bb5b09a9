"""JUR-EXPO-02: a third party running a component reaches what it runs, as the provider does
(JUR-EXPO-01). A French managed-service company owned from the US, running a health database in
clear on a French cloud, is within reach of US law: the same medium exposure as the database
run by a US provider's subsidiary, which only info notes (JUR-01, RISK-CLEAR-01) said before."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit.model import Finding, Report, Severity
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF

MSP = """\
schema_version: 1
name: msp-run
controller: hopital
data: {categories: [health], health_context: care}
parties:
  - {id: hopital, name: Hopital, role: controller, country: FR}
  - {id: msp, name: Infogerance France SAS, role: processor, country: FR, PARENT}
  - {id: kms-fr, name: Tiers de Confiance SAS, role: key-custodian, country: FR,
     parent: {name: Tiers de Confiance SAS, country: FR}}
  - {id: osc, name: Outscale SAS, role: processor, country: FR, provider: outscale}
components:
  - id: db
    kind: datastore
    provider: outscale
    operator: OPERATOR
    region: eu-west-2
    key: k
    clear_text_processing: CLEAR
keys:
  - {id: k, encryption: client-side, management: customer-held, holder: HOLDER, country: FR}
claims:
  processors: [msp, osc, kms-fr]
"""
US_PARENT = "parent: {name: Big US Holdings Inc, country: US}"


def audit(
    tmp_path: Path,
    *,
    parent: str = US_PARENT,
    operator: str = "msp",
    clear: str = "true",
    holder: str = "kms-fr",
) -> Report:
    path = tmp_path / "msp.yaml"
    text = MSP.replace("PARENT", parent).replace("OPERATOR", operator)
    path.write_text(text.replace("CLEAR", clear).replace("HOLDER", holder))
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    return report


def expo02(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.rule_id == "JUR-EXPO-02"]


def judged(report: Report) -> bool:
    return any("JUR-EXPO-02" in c.rules for c in report.checks)


def test_a_us_owned_operator_running_the_database_in_clear_reaches_it(tmp_path: Path) -> None:
    (finding,) = expo02(audit(tmp_path))
    assert finding.severity is Severity.MEDIUM  # exposure without a transfer, health data included
    assert finding.message == (
        "db is run by msp (seat FR, ultimate parent in US), whom foreign compelled-access law "
        "can reach, and is reachable in clear by it (encryption: client-side; keys: "
        "customer-held, held or kept in an HSM by the operator: no; clear-text processing: yes)"
    )


def test_keys_the_operator_holds_leave_the_data_within_its_reach(tmp_path: Path) -> None:
    (finding,) = expo02(audit(tmp_path, clear="false", holder="msp"))
    assert "held or kept in an HSM by the operator: yes" in finding.message


def test_client_side_encryption_with_keys_held_by_someone_else_keeps_it_out(
    tmp_path: Path,
) -> None:
    report = audit(tmp_path, clear="false")
    assert judged(report) and expo02(report) == []


def test_an_operator_whose_parent_is_not_declared_cannot_be_verified_at_low(
    tmp_path: Path,
) -> None:
    (finding,) = expo02(audit(tmp_path, parent="provider: null"))
    assert finding.unverifiable and finding.severity is Severity.LOW


@pytest.mark.parametrize(
    ("parent", "operator"),
    [
        ("parent: {name: Infogerance Holding SA, country: FR}", "msp"),  # no foreign law
        (US_PARENT, "hopital"),  # the controller's own staff: no third party
        (US_PARENT, "osc"),  # the provider's own party: JUR-EXPO-01's to judge
    ],
    ids=["french-owned", "controller", "provider-party"],
)
def test_an_operator_no_foreign_law_reaches_or_no_third_party_is_not_found_exposed(
    tmp_path: Path, parent: str, operator: str
) -> None:
    assert expo02(audit(tmp_path, parent=parent, operator=operator)) == []

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
        "db (primary) is run by msp (seat FR, ultimate parent in US), whom foreign "
        "compelled-access law "
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


def test_a_backup_a_us_owned_company_keeps_is_within_its_reach(tmp_path: Path) -> None:
    """Review: only the component's operator was judged; a backup company owned from the US
    keeping the backups (with keys in the provider's KMS, which whoever runs the backups can
    have used) went unreported."""
    path = tmp_path / "msp.yaml"
    text = MSP.replace("PARENT", "parent: {name: Holding SA, country: FR}")
    text = text.replace("CLEAR", "false").replace("HOLDER", "kms-fr").replace("OPERATOR", "osc")
    text = text.replace(
        "    clear_text_processing: false\n",
        "    clear_text_processing: false\n"
        "    copies: [{kind: backup, region: eu-west-2, operator: backup-co}]\n",
    ).replace(
        "  - {id: osc,",
        "  - {id: backup-co, name: Backup Inc, role: processor, country: FR,\n"
        "     parent: {name: Backup Holdings Inc, country: US}}\n  - {id: osc,",
    )
    text = text.replace(
        "encryption: client-side, management: customer-held, holder: kms-fr",
        "encryption: provider-side, management: customer-managed-in-provider-kms",
    )
    path.write_text(text.replace("[msp, osc, kms-fr]", "[osc, kms-fr, backup-co]"))
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    (finding,) = expo02(report)
    assert finding.subject == "place:db/backup@eu-west-2"
    assert finding.message.startswith(
        "db (backup) is run by backup-co (seat FR, ultimate parent in US)"
    )


BEIJING = """\
schema_version: 1
name: cn
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR, parent: {name: C, country: FR}}
  - {id: sinnet, name: Beijing Sinnet Technology, role: processor, country: CN,
     parent: {name: Sinnet Group, country: CN}}
components:
  - id: db
    kind: datastore
    provider: aws
    region: cn-north-1
    operator: sinnet
    clear_text_processing: true
    logs: [{provider: aws, region: us-east-1, operator: clinic}]
claims:
  processors: [sinnet]
"""


def test_the_operator_of_a_region_another_entity_runs_is_judged_once_as_its_provider(
    tmp_path: Path,
) -> None:
    """Review: Sinnet running the Beijing region stands for the provider there, so JUR-EXPO-01
    judges it; JUR-EXPO-02 judged it a second time, as a third party. And its logs, sent to
    Amazon's us-east-1, were said to be on its systems."""
    path = tmp_path / "cn.yaml"
    path.write_text(BEIJING)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    assert expo02(report) == []
    (expo,) = [f for f in report.findings if f.rule_id == "JUR-EXPO-01"]
    assert "(Sinnet Group, CN)" in expo.message
    assert expo.message.endswith("personal-data logs on its systems: no)")

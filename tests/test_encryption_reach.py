"""What a key keeps out of the provider's reach: only client-side encryption with keys it cannot
use (EDPB use case 1). Provider-side encryption, even with keys in an external key store, has the
provider's service see the data in clear and have the key used; and the component's key does not
cover the log lines it writes in clear."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit.model import Report
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF

XKS = """\
schema_version: 1
name: hopital-xks
controller: hopital
data: {categories: [health], health_context: care}
parties:
  - {id: hopital, name: Hopital Exemple, role: controller, country: FR}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
  - {id: kms-fr, name: Tiers de Confiance SAS, role: key-custodian, country: FR,
     parent: {name: Tiers de Confiance SAS, country: FR}}
components:
  - id: records
    kind: datastore
    provider: aws
    operator: aws-emea
    service: s3
    region: eu-west-3
    key: xks-key
    clear_text_processing: false
    LOGS
keys:
  - id: xks-key
    encryption: ENCRYPTION
    management: external-key-store
    holder: kms-fr
    country: FR
    hsm: {operator: kms-fr, jurisdiction: FR}
    provider_can_use: false
transfers:
  - {recipient: aws-emea, tool: scc-2021, scc_module: 2, countries: [US], concluded: 2024-01-01,
     tia_reference: TIA-9, tia_date: 2026-06-01}
claims:
  processors: [aws-emea, kms-fr]
"""


def audit(tmp_path: Path, encryption: str, logs: str = "") -> Report:
    path = tmp_path / "xks.yaml"
    path.write_text(XKS.replace("ENCRYPTION", encryption).replace("LOGS", logs))
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    return report


def verdicts(report: Report, subject: str) -> dict[str, str]:
    """Rule id to 'pass' or the finding's message, for the rules that judged `subject`."""
    found = {f.rule_id: f.message for f in report.findings if f.subject == subject}
    judged = {r for c in report.checks if c.subject == subject for r in c.rules}
    return {rule: found.get(rule, "pass") for rule in judged}


def test_client_side_encryption_with_keys_out_of_reach_keeps_the_provider_out(
    tmp_path: Path,
) -> None:
    report = audit(tmp_path, "client-side")
    assert verdicts(report, "component:records")["JUR-EXPO-01"] == "pass"
    assert verdicts(report, "place:records")["EDPB-KEY-01"] == "pass"


def test_provider_side_encryption_with_an_external_key_store_does_not(tmp_path: Path) -> None:
    report = audit(tmp_path, "provider-side")
    judged = verdicts(report, "component:records")
    assert judged["JUR-EXPO-01"].startswith(
        "records on Amazon Web Services (Amazon.com, Inc., US) is reachable in clear under "
        "foreign compelled-access laws (encryption: provider-side; keys: external-key-store"
    )
    # the declared `provider_can_use: false` cannot hold: the provider's service uses the key
    assert (
        "provider-side encryption, keys external-key-store, held in FR, provider can use "
        "them: yes" in verdicts(report, "place:records")["EDPB-KEY-01"]
    )
    flow = next(f for f in report.flows if f.id == "records")
    assert flow.clear_text_reachable is True


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-3"])
def test_log_lines_get_no_credit_for_the_components_key(tmp_path: Path, region: str) -> None:
    logs = f"logs: [{{region: {region}, personal_data: true}}]"
    report = audit(tmp_path, "client-side", logs)
    judged = verdicts(report, f"place:records/log@{region}")
    if region == "us-east-1":  # stored in the US with keys that do not protect them
        assert judged["EDPB-UC1-01"].startswith("records (log) stores data in US but the keys")
    assert "EDPB-KEY-01" not in judged  # no key of theirs to judge
    # and the provider whose log service holds them reaches the data in clear, in the EEA too
    assert verdicts(report, "component:records")["JUR-EXPO-01"].endswith(
        "(encryption: client-side; keys: external-key-store; clear-text processing: no; "
        "personal-data logs on its systems: yes)"
    )
    flow = next(f for f in report.flows if f.id == f"records/log@{region}")
    assert flow.clear_text_reachable is True

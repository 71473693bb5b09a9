"""JUR-EXPO-03: a copy or log sink held by another provider is within reach of that provider's
law. A clinic whose database runs on OVHcloud (French) but whose backups go to Amazon S3 in
Paris, or whose personal-data logs go to an AWS log service, has health data reachable in
clear under US law; JUR-EXPO-01 judges only the component's own provider, so only low and info
notes (JUR-02, RISK-CLEAR-01) said so before."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit.model import Finding, Report, Severity
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF

CLINIC = """\
schema_version: 1
name: clinic-ovh
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique Exemple, role: controller, country: FR}
  - {id: ovh, name: OVH SAS, role: processor, country: FR, provider: ovhcloud}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU,
     provider: aws}
  - {id: kms-fr, name: Tiers de Confiance SAS, role: key-custodian, country: FR,
     parent: {name: Tiers de Confiance SAS, country: FR}}
  - {id: vault, name: Coffre SAS, role: key-custodian, country: FR}
components:
  - id: records-db
    kind: datastore
    provider: PROVIDER
    operator: OPERATOR
    region: REGION
    key: k
    clear_text_processing: false
    copies: [COPY]
    logs: [LOG]
keys:
  - {id: k, encryption: ENCRYPTION, management: MANAGEMENT, holder: HOLDER, country: FR,
     provider_can_use: false}
claims:
  processors: [ovh, aws-emea, kms-fr, vault]
"""
S3_BACKUP = "{kind: backup, provider: aws, region: eu-west-3}"
OVH_LOG = "{region: gra, personal_data: true}"
AWS_LOG = "{provider: aws, region: eu-west-3, personal_data: true}"
OUT_OF_REACH = {"ENCRYPTION": "client-side", "MANAGEMENT": "customer-held", "HOLDER": "kms-fr"}
PROVIDER_SIDE = {
    "ENCRYPTION": "provider-side",
    "MANAGEMENT": "provider-managed",
    "HOLDER": "kms-fr",
}


def audit(
    tmp_path: Path,
    *,
    copy: str = S3_BACKUP,
    log: str = OVH_LOG,
    key: dict[str, str] = PROVIDER_SIDE,
    home: tuple[str, str, str] = ("ovhcloud", "ovh", "gra"),
) -> Report:
    values = {"COPY": copy, "LOG": log, **key}
    values.update(zip(("PROVIDER", "OPERATOR", "REGION"), home, strict=True))
    text = CLINIC
    for name, value in values.items():
        text = text.replace(name, value)
    path = tmp_path / "clinic.yaml"
    path.write_text(text)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    return report


def found(report: Report, rule: str = "JUR-EXPO-03") -> list[Finding]:
    return [f for f in report.findings if f.rule_id == rule]


def judged(report: Report, subject: str) -> bool:
    return any(c.subject == subject and "JUR-EXPO-03" in c.rules for c in report.checks)


def test_backups_on_s3_of_a_database_on_a_french_cloud_are_within_reach_of_us_law(
    tmp_path: Path,
) -> None:
    (finding,) = found(audit(tmp_path))
    assert finding.subject == "place:records-db/backup@aws:eu-west-3"
    assert finding.severity is Severity.MEDIUM  # exposure without a transfer, health data too
    assert not finding.unverifiable
    assert finding.message == (
        "records-db (backup) is held by Amazon Web Services (Amazon.com, Inc., US), another "
        "provider than the component's own, and is reachable in clear under foreign "
        "compelled-access laws (key: the component's key k (provider-side, provider-managed))"
    )
    # the laws it cites are JUR-EXPO-01's
    assert {r.article for r in finding.references} >= {"C-311/18", "EXI 30", "Art. 48"}
    assert found(audit(tmp_path), "JUR-EXPO-01") == []  # OVHcloud itself is not exposed


def test_client_side_keys_held_in_the_eea_outside_aws_keep_the_backup_out_of_reach(
    tmp_path: Path,
) -> None:
    report = audit(tmp_path, key=OUT_OF_REACH)
    assert judged(report, "place:records-db/backup@aws:eu-west-3")
    assert found(report) == []


def test_a_log_sink_on_aws_is_within_reach_even_with_the_component_s_key_out_of_reach(
    tmp_path: Path,
) -> None:
    (finding,) = found(audit(tmp_path, key=OUT_OF_REACH, log=AWS_LOG))
    assert finding.subject == "place:records-db/log@aws:eu-west-3"
    assert finding.severity is Severity.MEDIUM and not finding.unverifiable
    assert finding.message.endswith(
        "(key: none (log lines are written in clear, which the component's key does not cover))"
    )


@pytest.mark.parametrize(
    ("copy", "log", "place"),
    [
        ("{kind: backup, region: eu-west-1}", OVH_LOG, "backup"),  # the component's own provider
        ("{kind: backup, provider: aws, region: eu-central-1}", AWS_LOG, "log"),  # its log service
    ],
    ids=["backup", "log"],
)
def test_a_copy_on_the_component_s_own_provider_is_left_to_jur_expo_01(
    tmp_path: Path, copy: str, log: str, place: str
) -> None:
    report = audit(tmp_path, copy=copy, log=log, home=("aws", "aws-emea", "eu-west-3"))
    assert found(report) == []
    (check,) = (c for c in report.checks if c.subject.startswith(f"place:records-db/{place}@"))
    assert "JUR-EXPO-03" in check.not_applicable  # judged, and found JUR-EXPO-01's
    (component,) = found(report, "JUR-EXPO-01")  # reported once, on the component
    assert component.subject == "component:records-db"


@pytest.mark.parametrize(
    "copy",
    [
        # a region another entity operates, with no operator declared: whose law is unknown
        "{kind: backup, provider: aws, region: cn-north-1}",
        # a provider the knowledge base does not know
        "{kind: backup, provider: backup-cloud, country: FR}",
    ],
    ids=["region-operated-apart", "unknown-provider"],
)
def test_a_copy_whose_provider_s_parent_is_unknown_cannot_be_verified(
    tmp_path: Path, copy: str
) -> None:
    # keys the provider's service uses: only whose law reaches that provider is unknown (keys
    # out of anyone's reach keep the copy out of reach whoever holds it, and pass)
    (finding,) = found(audit(tmp_path, copy=copy))
    assert finding.unverifiable
    assert finding.message.startswith(
        "cannot be verified for backup of records-db: unknown provider.parent.country"
    )


def test_a_backup_key_held_by_a_custodian_whose_parent_is_unknown_cannot_be_verified(
    tmp_path: Path,
) -> None:
    (finding,) = found(audit(tmp_path, key={**OUT_OF_REACH, "HOLDER": "vault"}))
    assert finding.unverifiable
    assert finding.message.startswith(
        "cannot be verified for backup of records-db: unknown key.holder_jurisdictions"
    )


def test_a_copy_on_another_provider_finds_its_components_key_in_that_components_kms(
    tmp_path: Path,
) -> None:
    """The expo helper's note: a KMS key's `region` and `replica_regions` were looked up among
    the regions of the provider keeping the copy, so OVHcloud's `gra` and `sbg` were unknown to
    AWS and the backup's key was 'held in unknown', its replica 'in sbg (ZZ): a region unknown
    to the knowledge base'. The component's key is in its own provider's KMS."""
    text = CLINIC
    for name, value in {
        "PROVIDER": "ovhcloud",
        "OPERATOR": "ovh",
        "REGION": "gra",
        "COPY": S3_BACKUP,
        "LOG": OVH_LOG,
        "HOLDER": "clinic",
        "ENCRYPTION": "client-side",
        "MANAGEMENT": "customer-managed-in-provider-kms",
        "country: FR,\n     provider_can_use": "region: gra, replica_regions: [sbg],\n"
        "     provider_can_use",
    }.items():
        text = text.replace(name, value)
    path = tmp_path / "clinic.yaml"
    path.write_text(text)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    [backup] = [f for f in found(report, "EDPB-KEY-01") if "(backup)" in f.message]
    assert "held in FR, provider can use them: no" in backup.message, backup.message
    assert "unknown" not in backup.message
    [exposed] = found(report)
    assert "(backup)" in exposed.message and "region unknown" not in exposed.message

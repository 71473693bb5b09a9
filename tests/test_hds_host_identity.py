"""Who hosts each place, and which certificates count: the host of a place with no `operator`
is the one declared party of its provider, never whichever comes first in the file; the
controller keeping its own data hosts nothing on anyone's behalf (L.1111-8, legal notes §1.1);
only a certificate valid on the audit date under a referential in force covers activities."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit.model import Finding, Severity
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF

AWS_EMEA = (
    "  - {id: aws-emea, name: AWS EMEA SARL, role: sub-processor, country: LU, provider: aws}\n"
)
AWS_X = (
    "  - {id: aws-x, name: Reseller SAS, role: sub-processor, country: FR,\n"
    "     parent: {name: R, country: FR}, provider: aws}\n"
)

TWO_AWS = """\
schema_version: 1
name: two-aws
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR, parent: {name: C, country: FR}}
  - {id: host, name: Host SAS, role: processor, country: FR, parent: {name: Host SA, country: FR}}
AWS_PARTIES\
components:
  - id: db
    kind: datastore
    provider: ovhcloud
    operator: host
    region: gra
    hds_activities: [1, 2, 3, 4, 5, 6]
    copies: [{kind: backup, provider: aws, region: eu-west-3}]
certifications:
  - {holder: aws-emea, scheme: hds, activities: [1,2,3,4,5,6], referential: "2024",
     issued: 2025-01-01}
  - {holder: host, scheme: hds, activities: [1,2,3,4,5,6], referential: "2024", issued: 2025-03-01}
claims:
  processors: [host]
"""

AWS_EMEA_CERTIFICATE = (
    '  - {holder: aws-emea, scheme: hds, activities: [1,2,3,4,5,6], referential: "2024",\n'
    "     issued: 2025-01-01}\n"
)


def without_aws_emea(parties: str) -> str:
    """The deployment with only `parties` of AWS, and no certificate of AWS EMEA."""
    return TWO_AWS.replace("AWS_PARTIES", parties).replace(AWS_EMEA_CERTIFICATE, "")


CONTROLLER_IN_CH = """\
schema_version: 1
name: ctrl-ch
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR, parent: {name: C, country: FR},
     provider: on-prem}
  - {id: backup-co, name: Sauvegarde SAS, role: processor, country: FR,
     parent: {name: S, country: FR}}
components:
  - id: db
    kind: datastore
    provider: on-prem
    operator: clinic
    country: CH
    hds_activities: [1, 2, 3, 4, 5]
    copies: [{kind: backup, provider: ovhcloud, operator: backup-co, region: gra}]
certifications:
  - {holder: backup-co, scheme: hds, activities: [1,2,3,4,5,6], referential: "2024",
     issued: 2025-03-01}
claims:
  processors: [backup-co]
"""

BACKUP_CERTIFICATE = """\
schema_version: 1
name: copy-host
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR, parent: {name: C, country: FR}}
  - {id: host, name: Host SAS, role: processor, country: FR, parent: {name: Host SA, country: FR}}
  - {id: backup-co, name: Sauvegarde SAS, role: sub-processor, country: FR,
     parent: {name: S, country: FR}}
components:
  - id: db
    kind: datastore
    provider: ovhcloud
    operator: host
    region: gra
    hds_activities: [1, 2, 3, 4, 5, 6]
    copies: [{kind: backup, provider: ovhcloud, operator: backup-co, region: gra}]
certifications:
  - {holder: backup-co, scheme: hds, activities: [1,2,3,4,5,6], CERTIFICATE}
  - {holder: host, scheme: hds, activities: [1,2,3,4,5,6], referential: "2024", issued: 2025-03-01}
claims:
  processors: [host, backup-co]
"""


def findings(tmp_path: Path, text: str, *rules: str) -> list[Finding]:
    path = tmp_path / "deployment.yaml"
    path.write_text(text)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    return [f for f in report.findings if f.rule_id in rules]


@pytest.mark.parametrize("reverse", [False, True])
def test_a_copy_on_a_provider_with_two_declared_parties_has_no_host_known(
    tmp_path: Path, reverse: bool
) -> None:
    """A certified and an uncertified AWS party: the order of the file must not decide
    whether the copy passes silently or is reported."""
    parties = AWS_X + AWS_EMEA if reverse else AWS_EMEA + AWS_X
    found = findings(
        tmp_path, TWO_AWS.replace("AWS_PARTIES", parties), "HDS-ACT-01", "HDS-ACT-02", "HDS-ACT-03"
    )
    assert [(f.rule_id, f.severity, f.unverifiable) for f in found] == [
        ("HDS-ACT-03", Severity.HIGH, False)
    ]
    candidates = "aws-x, aws-emea" if reverse else "aws-emea, aws-x"
    assert f"several declared parties of provider aws may run it: {candidates}," in found[0].message
    assert found[0].message.startswith("db (backup) on aws names no host")


def test_a_copy_with_no_operator_and_no_party_of_its_provider_fails_high(tmp_path: Path) -> None:
    """Leaving `operator` out must not pass a gate (`--fail-on high`) that declaring an
    uncertified operator fails."""
    found = findings(tmp_path, without_aws_emea(""), "HDS-ACT-03")
    assert [(f.severity, f.unverifiable) for f in found] == [(Severity.HIGH, False)]
    assert "no `operator`, and no party of provider aws is declared, so" in found[0].message


def test_the_one_declared_party_of_the_provider_hosts_the_copy(tmp_path: Path) -> None:
    text = without_aws_emea(AWS_X)
    found = findings(tmp_path, text, "HDS-ACT-01", "HDS-ACT-03")
    # AWS is HDS-certified per the knowledge base, with no declared scope: coverage unknown
    assert [(f.rule_id, f.unverifiable) for f in found] == [("HDS-ACT-01", True)]
    assert "HDS certificates of aws-x" in found[0].message


def test_the_controller_keeping_its_own_data_outside_the_eea_is_no_uncertified_host(
    tmp_path: Path,
) -> None:
    """HDS binds hosts: the controller's own primary in CH, on its own infrastructure (it is
    the declared party of its provider), with a processor keeping its backup in France, gets
    neither HDS-ACT-01 nor HDS-LOC-01."""
    found = findings(tmp_path, CONTROLLER_IN_CH, "HDS-ACT-01", "HDS-LOC-01", "HDS-ACT-03")
    assert found == []


def test_a_processor_copy_outside_the_eea_is_still_reported(tmp_path: Path) -> None:
    text = CONTROLLER_IN_CH.replace(
        "provider: ovhcloud, operator: backup-co, region: gra",
        "provider: ovhcloud, operator: backup-co, country: CH",
    )
    found = findings(tmp_path, text, "HDS-LOC-01")
    assert [(f.severity, f.unverifiable) for f in found] == [(Severity.HIGH, False)]
    assert found[0].message.startswith("db (backup) stores health data in CH")


@pytest.mark.parametrize(
    "certificate",
    [
        'referential: "2024", issued: 2024-12-01, expires: 2026-01-01',  # expired
        'referential: "2018", issued: 2021-01-01',  # three years over, referential ended
        'referential: "2018", issued: 2024-01-01',  # 2018 referential ended on 2026-05-16
    ],
)
def test_a_certificate_not_valid_on_the_audit_date_covers_nothing(
    tmp_path: Path, certificate: str
) -> None:
    found = findings(
        tmp_path,
        BACKUP_CERTIFICATE.replace("CERTIFICATE", certificate),
        "HDS-ACT-01",
        "HDS-ACT-02",
    )
    assert [(f.rule_id, f.severity, f.unverifiable) for f in found] == [
        ("HDS-ACT-01", Severity.HIGH, False),
        ("HDS-ACT-02", Severity.MEDIUM, False),
    ]
    assert found[0].message.endswith(
        "no HDS certificate declared for it and valid on the audit date covers backup of db"
    )


def test_an_undated_certificate_leaves_coverage_unverifiable(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        BACKUP_CERTIFICATE.replace("CERTIFICATE", 'referential: "2024"'),
        "HDS-ACT-01",
        "HDS-ACT-02",
    )
    assert [(f.rule_id, f.unverifiable) for f in found] == [
        ("HDS-ACT-01", True),
        ("HDS-ACT-02", False),
    ]


def test_a_valid_certificate_of_all_six_activities_still_covers_the_copy(tmp_path: Path) -> None:
    text = BACKUP_CERTIFICATE.replace("CERTIFICATE", 'referential: "2024", issued: 2025-03-01')
    assert findings(tmp_path, text, "HDS-ACT-01", "HDS-ACT-02") == []


def copy_flow_entity(tmp_path: Path, text: str) -> tuple[str | None, str | None]:
    path = tmp_path / "deployment.yaml"
    path.write_text(text)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    (flow,) = [f for f in report.flows if f.id == "db/backup@aws:eu-west-3"]
    return flow.entity, flow.entity_name


def test_the_flow_of_a_copy_nobody_is_known_to_host_names_no_entity(tmp_path: Path) -> None:
    """The flows table agrees with HDS-ACT-03: no provider's entity is presumed."""
    assert copy_flow_entity(tmp_path, TWO_AWS.replace("AWS_PARTIES", AWS_EMEA + AWS_X)) == (
        None,
        None,
    )
    assert copy_flow_entity(tmp_path, without_aws_emea("")) == (None, None)
    assert copy_flow_entity(tmp_path, without_aws_emea(AWS_X))[0] == "aws-x"

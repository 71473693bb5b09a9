"""HDS applies when a third party hosts any copy of the health data, even if the controller runs
every component itself (L.1111-8 CSP): a processor keeping the backup, or the personal-data
logs, of a clinic's own database hosts health data on the clinic's behalf. Who hosts a place is
judged the same way for applicability, for each party's certificate (HDS-ACT-01), for the
activity declarations (HDS-ACT-02) and for the EXI 31 page (HDS-PUB-01)."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit.model import Finding, Report
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF

SELF_HOSTED = """\
schema_version: 1
name: self-hosted
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR, parent: {name: C, country: FR}}
  - id: backup-co
    name: Sauvegarde SAS
    role: processor
    country: FR
    parent: {name: Sauvegarde Holding GmbH, country: DE}
components:
  - id: db
    kind: datastore
    provider: ovhcloud
    operator: clinic
    region: gra
    PLACE
claims:
  processors: [backup-co]
"""

EEA_BACKUP = "copies: [{kind: backup, provider: ovhcloud, operator: backup-co, region: gra}]"
US_BACKUP = "copies: [{kind: backup, provider: aws, operator: backup-co, region: us-east-1}]"
LOGS = "logs: [{region: gra, operator: backup-co, personal_data: true}]"


def audit(tmp_path: Path, place: str) -> Report:
    path = tmp_path / "self-hosted.yaml"
    path.write_text(SELF_HOSTED.replace("PLACE", place))
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    return report


def hds(report: Report) -> dict[str, Finding]:
    return {f.rule_id: f for f in report.findings if f.rule_id.startswith("HDS-")}


@pytest.mark.parametrize(
    ("place", "hosted"),
    [(EEA_BACKUP, "backup of db"), (LOGS, "logs of db")],
    ids=["backup", "logs"],
)
def test_the_processor_keeping_a_self_hosted_clinic_s_copy_needs_an_hds_certificate(
    tmp_path: Path, place: str, hosted: str
) -> None:
    found = hds(audit(tmp_path, place))
    finding = found["HDS-ACT-01"]
    assert not finding.unverifiable
    assert finding.message == (
        "backup-co hosts health data (declared HDS activities: none) but no HDS certificate "
        f"declared for it and valid on the audit date covers {hosted}"
    )
    assert "HDS-PUB-01" in found  # its EXI 31 page is asked for, as of any host


def test_a_self_hosted_clinic_s_backup_in_the_us_breaks_the_eea_storage_rule(
    tmp_path: Path,
) -> None:
    finding = hds(audit(tmp_path, US_BACKUP))["HDS-LOC-01"]
    assert finding.message == (
        "db (backup) stores health data in US (region us-east-1), outside the EEA"
    )


def test_a_clinic_running_everything_itself_on_its_own_infrastructure_hosts_nothing(
    tmp_path: Path,
) -> None:
    """The boundary: the controller keeping its database and backup in its own datacentre
    (declared as the party of `on-prem`, a provider the knowledge base does not know) needs no
    HDS host."""
    own = "copies: [{kind: backup, provider: on-prem, operator: clinic, country: FR}]"
    text = SELF_HOSTED.replace("PLACE", own).replace("provider: ovhcloud\n", "provider: on-prem\n")
    text = text.replace("region: gra\n", "country: FR\n", 1)
    path = tmp_path / "self-hosted.yaml"
    path.write_text(text.replace("country: FR}}", "country: FR}, provider: on-prem}", 1))
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    assert hds(report) == {}


def test_a_clinic_declared_as_a_cloud_provider_s_party_is_its_customer_not_its_host(
    tmp_path: Path,
) -> None:
    """A French clinic cannot be OVHcloud's contracting entity: declaring it the party of
    `ovhcloud` does not make OVHcloud's systems its own. HDS applies, and OVHcloud (the
    knowledge base's, no party of it declared) is judged for activities 1-3."""
    own = EEA_BACKUP.replace("operator: backup-co", "operator: clinic")
    path = tmp_path / "self-hosted.yaml"
    text = SELF_HOSTED.replace("PLACE", own)
    path.write_text(text.replace("country: FR}}", "country: FR}, provider: ovhcloud}", 1))
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    found = [f for f in report.findings if f.rule_id == "HDS-ACT-04"]
    assert [(f.component, f.unverifiable) for f in found] == [("db", True), ("db", True)]
    assert all("(candidates: ovhcloud)" in f.message for f in found)
    assert "HDS-PUB-03" in hds(report)  # no OVHcloud party: its EXI 30-31 duties unchecked


def test_a_clinic_running_everything_itself_on_a_cloud_provider_has_it_hosted(
    tmp_path: Path,
) -> None:
    """OVHcloud's systems hold the clinic's database and backup: HDS applies, and OVHcloud's
    certification is checked for activities 1-3 (the knowledge base records it without its
    scope: cannot be verified), not the clinic's."""
    found = hds(audit(tmp_path, EEA_BACKUP.replace("operator: backup-co", "operator: clinic")))
    assert "HDS-ACT-01" not in found
    finding = found["HDS-ACT-04"]
    assert finding.unverifiable
    assert "(candidates: ovhcloud)" in finding.message

"""A transfer needs an importer (EDPB Guidelines 05/2021): the controller keeping a copy on its own
infrastructure in a third country discloses it to no one. GDPR-XFER-01 and the EDPB use cases
judge transfers only; GDPR-XFER-04 reports the risks of the country's law instead. Whoever else
runs the place, or the infrastructure under it, makes it a transfer again."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit.model import Report
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF

CLINIC = """\
schema_version: 1
name: own-backup
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR, parent: {name: C, country: FR},
     provider: on-prem}
  - {id: backup-co, name: Sauvegarde Inc., role: processor, country: US,
     parent: {name: Sauvegarde Inc., country: US}}
components:
  - id: db
    kind: datastore
    provider: on-prem
    operator: clinic
    country: FR
    copies: [BACKUP]
claims:
  processors: [backup-co]
"""

TRANSFER_RULES = {"GDPR-XFER-01", "EDPB-UC1-01"}
OWN_BACKUP = "{kind: backup, provider: on-prem, operator: clinic, country: COUNTRY}"


def audit(tmp_path: Path, backup: str) -> Report:
    path = tmp_path / "own-backup.yaml"
    path.write_text(CLINIC.replace("BACKUP", backup))
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    return report


def failing(report: Report) -> dict[str, str]:
    """Rule id to message of the failed or unverifiable findings on the backup."""
    return {f.rule_id: f.message for f in report.findings if "backup" in f.message}


def test_the_controllers_own_backup_abroad_is_no_transfer_but_its_risks_are_reported(
    tmp_path: Path,
) -> None:
    found = failing(
        audit(tmp_path, "{kind: backup, provider: on-prem, operator: clinic, country: US}")
    )
    assert not TRANSFER_RULES & found.keys(), found
    assert found["GDPR-XFER-04"] == (
        "db (backup) keeps personal data on the controller's own infrastructure in US: not a "
        "transfer, but within reach of that country's authorities; its risks need a documented "
        "assessment"
    )


def test_the_controllers_own_backup_in_an_adequate_country_is_reported_by_neither(
    tmp_path: Path,
) -> None:
    found = failing(
        audit(tmp_path, "{kind: backup, provider: on-prem, operator: clinic, country: CH}")
    )
    assert not (TRANSFER_RULES | {"GDPR-XFER-04"}) & found.keys(), found


@pytest.mark.parametrize(
    "backup",
    [
        # another entity runs it on the controller's machines
        "{kind: backup, provider: on-prem, operator: backup-co, country: US}",
        # the controller runs it, on a provider's infrastructure
        "{kind: backup, provider: aws, operator: clinic, region: us-east-1}",
        # nobody is named: the host is unknown, so presumed a third party
        "{kind: backup, provider: aws, region: us-east-1}",
    ],
    ids=["processor-runs-it", "provider-infrastructure", "host-unknown"],
)
def test_a_copy_abroad_anyone_else_hosts_is_a_transfer(tmp_path: Path, backup: str) -> None:
    found = failing(audit(tmp_path, backup))
    assert found.keys() >= TRANSFER_RULES, found
    assert "GDPR-XFER-04" not in found

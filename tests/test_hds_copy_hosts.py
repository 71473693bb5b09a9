"""A third party hosting a copy of the health data (a backup, replica or export) is a host of
health data as surely as the host of the primary copy (L.1111-8 CSP): without an HDS
certificate it gets the same certificate finding, HDS-ACT-01, whether or not the deployment
declares which of the six R.1111-9 activities it performs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit import kb
from residency_audit.cli import app
from residency_audit.engine.subjects import subjects
from residency_audit.format import load_deployment
from residency_audit.model import Finding, Severity
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF

DEPLOYMENT = """\
schema_version: 1
name: copy-host
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR, parent: {name: C, country: FR}}
  - {id: host, name: Host SAS, role: processor, country: FR, parent: {name: Host SA, country: FR}}
  - id: backup-co
    name: Sauvegarde SAS
    role: sub-processor
    country: FR
    parent: {name: Sauvegarde Holding GmbH, country: DE}
components:
  - id: db
    kind: datastore
    provider: ovhcloud
    operator: host
    region: gra
    hds_activities: [1, 2, 3, 4, 5, 6]
    copies: [{kind: COPY, provider: ovhcloud, operator: backup-co, region: gra}]
certifications:
  - {holder: host, scheme: hds, activities: [1, 2, 3, 4, 5, 6], referential: "2024",
     issued: 2025-03-01}
BACKUP_CERTIFICATE
claims:
  processors: [host, backup-co]
"""


def write(tmp_path: Path, *, copy: str = "backup", certificate: str = "") -> Path:
    path = tmp_path / "copy-host.yaml"
    text = DEPLOYMENT.replace("COPY", copy).replace("BACKUP_CERTIFICATE", certificate)
    path.write_text(text)
    return path


def act_01(path: Path, day: dt.date = AS_OF) -> dict[str, Finding]:
    """The HDS-ACT-01 findings by the line's party id."""
    report = run(Options(paths=[path], as_of=day))
    assert not report.errors, report.errors
    lines = path.read_text().splitlines()
    return {
        lines[f.span.line - 1].split("id: ")[1].split(",")[0]: f
        for f in report.findings
        if f.rule_id == "HDS-ACT-01"
    }


@pytest.mark.parametrize("copy", ["backup", "replica", "disaster-recovery", "export"])
def test_an_uncertified_host_of_a_copy_is_reported_as_an_uncertified_host(
    tmp_path: Path, copy: str
) -> None:
    found = act_01(write(tmp_path, copy=copy))
    assert set(found) == {"backup-co"}  # the certified host of the primary data passes
    finding = found["backup-co"]
    assert finding.severity is Severity.HIGH and not finding.unverifiable
    assert finding.message == (
        "backup-co hosts health data (declared HDS activities: none) but no HDS certificate "
        f"declared for it and valid on the audit date covers {copy} of db"
    )


def test_the_same_finding_as_for_an_uncertified_host_of_the_primary_data(tmp_path: Path) -> None:
    path = write(tmp_path)
    text = path.read_text()
    path.write_text(text.replace("{holder: host, scheme: hds", "{holder: clinic, scheme: hds"))
    found = act_01(path)
    assert {party: (f.severity, f.unverifiable) for party, f in found.items()} == {
        "host": (Severity.HIGH, False),
        "backup-co": (Severity.HIGH, False),
    }


def test_an_uncertified_copy_host_with_an_eu_parent_fails_the_ci_gate(
    tmp_path: Path, runner: CliRunner
) -> None:
    path = write(tmp_path)
    result = runner.invoke(app, ["check", str(path), "--as-of", str(AS_OF), "--fail-on", "high"])
    assert result.exit_code == 1, result.output
    assert "high HDS-ACT-01 backup-co hosts health data" in result.output


@pytest.mark.parametrize(("day", "reported"), [("2018-03-31", False), ("2018-04-01", True)])
def test_certification_is_judged_from_1_april_2018(
    tmp_path: Path, day: str, reported: bool
) -> None:
    """Before décret n° 2018-137 hosting needed an approval, which is not encoded."""
    found = act_01(write(tmp_path), dt.date.fromisoformat(day))
    assert ("backup-co" in found) is reported


def test_a_certificate_listing_all_six_activities_covers_the_copy(tmp_path: Path) -> None:
    certificate = (
        "  - {holder: backup-co, scheme: hds, activities: [1, 2, 3, 4, 5, 6], "
        'referential: "2024", issued: 2025-06-01}'
    )
    assert "backup-co" not in act_01(write(tmp_path, certificate=certificate))


def test_a_certificate_for_some_activities_cannot_be_said_to_cover_the_copy(
    tmp_path: Path,
) -> None:
    """A copy cannot declare its activities: whether activity 6 alone covers hosting it is
    unknown, never a silent pass."""
    certificate = (
        '  - {holder: backup-co, scheme: hds, activities: [6], referential: "2024", '
        "issued: 2025-06-01}"
    )
    finding = act_01(write(tmp_path, certificate=certificate))["backup-co"]
    assert finding.unverifiable and finding.severity is Severity.MEDIUM


def test_a_certificate_counts_for_a_copy_host_only_from_its_issue(tmp_path: Path) -> None:
    certificate = (
        "  - {holder: backup-co, scheme: hds, activities: [1, 2, 3, 4, 5, 6], "
        'referential: "2024", issued: 2026-03-01}'
    )
    path = write(tmp_path, certificate=certificate)
    assert "backup-co" in act_01(path, dt.date(2025, 6, 1))
    assert "backup-co" not in act_01(path, dt.date(2026, 6, 1))


def test_the_controller_keeping_its_own_copy_hosts_nothing_for_others(tmp_path: Path) -> None:
    path = write(tmp_path)
    path.write_text(path.read_text().replace("operator: backup-co", "operator: clinic"))
    assert act_01(path) == {}


def test_a_log_sink_without_personal_data_is_no_hosting_of_health_data(tmp_path: Path) -> None:
    path = write(tmp_path)
    path.write_text(
        path.read_text().replace(
            "copies: [{kind: backup, provider: ovhcloud, operator: backup-co, region: gra}]",
            "logs: [{region: gra, operator: backup-co, personal_data: false}]",
        )
    )
    assert act_01(path) == {}


def findings(path: Path) -> list[Finding]:
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    return report.findings


ALL_SIX = (
    "  - {holder: backup-co, scheme: hds, activities: [1, 2, 3, 4, 5, 6], "
    'referential: "2024", issued: 2025-06-01}'
)


def test_a_copy_host_certified_for_all_six_activities_is_asked_for_no_declaration(
    tmp_path: Path,
) -> None:
    """The format cannot declare the activities of a copy, and a certificate listing all six
    covers whatever they are: nothing is left for HDS-ACT-02 to ask."""
    found = findings(write(tmp_path, certificate=ALL_SIX))
    assert not [f for f in found if f.rule_id in ("HDS-ACT-01", "HDS-ACT-02")]


def test_a_copy_host_certified_for_some_activities_still_shows_the_undeclared_gap(
    tmp_path: Path,
) -> None:
    certificate = ALL_SIX.replace("[1, 2, 3, 4, 5, 6]", "[6]")
    found = {f.rule_id: f for f in findings(write(tmp_path, certificate=certificate))}
    assert not found["HDS-ACT-02"].unverifiable
    assert found["HDS-ACT-02"].message == (
        "backup-co hosts health data but no HDS activity is declared for what it hosts, and no "
        "certificate of its is known to cover all six activities"
    )
    unverifiable = found["HDS-ACT-01"].message
    assert "declared HDS activities: none" in unverifiable
    assert "covered only by a certificate listing all six activities" in unverifiable


def test_a_log_sink_without_personal_data_makes_its_operator_no_host(tmp_path: Path) -> None:
    """No HDS rule about hosts judges a party whose only place holds no personal data."""
    path = write(tmp_path)
    path.write_text(
        path.read_text().replace(
            "copies: [{kind: backup, provider: ovhcloud, operator: backup-co, region: gra}]",
            "logs: [{region: gra, operator: backup-co, personal_data: false}]",
        )
    )
    lines = path.read_text().splitlines()
    about_backup_co = [f.rule_id for f in findings(path) if "backup-co" in lines[f.span.line - 1]]
    assert not [r for r in about_backup_co if r.startswith(("HDS-", "SNC-"))], about_backup_co


BACKUP_CO_COPY = "copies: [{kind: backup, provider: ovhcloud, operator: backup-co, region: gra}]"
AWS_COPY = "copies: [{kind: backup, provider: aws, region: eu-west-3}]"


def test_a_copy_on_another_provider_with_no_operator_is_not_the_component_operator_s(
    tmp_path: Path,
) -> None:
    """`host` runs the database on OVHcloud in France and states on its EXI 31 page that it
    transfers nothing outside the EEA; the backup is on AWS in the US and names no operator.
    Nobody says `host` keeps it, so its page is not wrong for it; whoever keeps it cannot be
    checked (a high finding, never a pass), and the US copy breaks EEA storage."""
    path = write(tmp_path)
    text = path.read_text().replace(BACKUP_CO_COPY, AWS_COPY.replace("eu-west-3", "us-east-1"))
    text = text.replace(
        "parent: {name: Host SA, country: FR}}",
        "parent: {name: Host SA, country: FR},\n"
        '     transparency: {url: "https://host.example/hds", wording: no-transfer}}',
    )
    path.write_text(text)
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "provider: aws" in x)
    found = {f.rule_id: f for f in findings(path)}
    assert "HDS-PUB-02" not in found  # host's page is judged on what host runs
    act_03 = found["HDS-ACT-03"]
    assert (act_03.severity, act_03.unverifiable, act_03.span.line) == (Severity.HIGH, False, line)
    assert act_03.message.startswith("db (backup) on aws names no host")
    assert found["HDS-LOC-01"].span.line == line


def test_a_copy_on_another_provider_is_hosted_by_that_provider_s_declared_party(
    tmp_path: Path,
) -> None:
    path = write(tmp_path)
    text = path.read_text().replace(BACKUP_CO_COPY, AWS_COPY)
    text = text.replace(
        "  - id: backup-co\n",
        "  - id: aws-emea\n    provider: aws\n    name: AWS EMEA SARL\n"
        "    role: sub-processor\n    country: LU\n  - id: backup-co\n",
    )
    path.write_text(text)
    found = findings(path)
    assert not [f for f in found if f.rule_id == "HDS-ACT-03"]
    # AWS is HDS-certified per the knowledge base, with no declared scope: judged, unverifiable
    assert [f.subject for f in found if f.rule_id == "HDS-ACT-01"] == ["party:aws-emea"]


def test_what_no_certificate_covers_is_text_in_saved_results(tmp_path: Path) -> None:
    """Activity numbers and hosted places alike, so that a saved result has one type."""
    path = write(tmp_path)
    path.write_text(
        path.read_text()
        .replace("hds_activities: [1, 2, 3, 4, 5, 6]", "hds_activities: [5, 6]")
        .replace("activities: [1, 2, 3, 4, 5, 6], referential", "activities: [5], referential")
    )
    d, _ = load_deployment(path)
    party = next(
        s for s in subjects(d, kb.default(), AS_OF) if s.kind == "party" and s.label == "party host"
    )
    assert party.facts["party.hds_uncovered"].value == ["6"]

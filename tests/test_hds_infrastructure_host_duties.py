"""The declared party of a cloud provider whose systems hold a place the controller (or another
party) runs hosts that place's infrastructure (R.1111-9 activities 1-3, HDS-ACT-04): it is an
HDS host, so a host's EXI 30 disclosure (HDS-EXT-01) and EXI 31 page (HDS-PUB-01, HDS-PUB-02,
which maps the storage of those places too) bind it, although it runs nothing itself. Its own
certificate decides whether the 2024 referential binds it yet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from residency_audit.model import Finding
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF

CLINIC = """\
schema_version: 1
name: clinic-own-db
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR, parent: {name: C, country: FR}}
  - PROVIDER_PARTY
components:
  - id: db
    kind: datastore
    provider: PROVIDER
    operator: clinic
    region: REGION
COPIES\
certifications:
  - {holder: HOLDER, scheme: hds, activities: [1, 2, 3, 4, 5, 6],
     referential: "REFERENTIAL", issued: ISSUED}
"""
AWS_EMEA = "{id: aws-emea, name: AWS EMEA SARL, role: processor, country: LU, provider: aws}"
OVH = (
    "{id: ovh, name: OVH SAS, role: processor, country: FR, provider: ovhcloud, "
    "transparency: {url: 'https://ovh.example/hds', wording: no-transfer}}"
)


def findings(
    tmp_path: Path,
    *,
    party: str = AWS_EMEA,
    provider: str = "aws",
    region: str = "eu-west-3",
    holder: str = "aws-emea",
    copies: str = "",
    referential: str = "2024",
    issued: str = "2025-03-01",
    day: dt.date = AS_OF,
) -> dict[str, Finding]:
    text = (
        CLINIC.replace("PROVIDER_PARTY", party)
        .replace("PROVIDER", provider)
        .replace("REGION", region)
        .replace("HOLDER", holder)
        .replace("COPIES", copies)
        .replace("REFERENTIAL", referential)
        .replace("ISSUED", issued)
    )
    path = tmp_path / "clinic.yaml"
    path.write_text(text)
    report = run(Options(paths=[path], as_of=day))
    assert not report.errors, report.errors
    return {f.rule_id: f for f in report.findings if f.subject == f"party:{holder}"}


def test_the_provider_party_hosting_only_infrastructure_has_the_host_disclosure_duties(
    tmp_path: Path,
) -> None:
    found = findings(tmp_path)
    # AWS EMEA (parent US): its EXI 30 disclosure is not declared, nor its EXI 31 page
    assert found["HDS-EXT-01"].unverifiable
    assert "aws-emea (seat LU, ultimate parent US)" in found["HDS-EXT-01"].message
    assert found["HDS-PUB-01"].unverifiable
    # HDS-ACT-04 judges its certificate on the place, HDS-ACT-01 is not asked twice
    assert "HDS-ACT-01" not in found


def test_its_exi_31_statement_maps_the_storage_of_the_places_it_hosts_the_infrastructure_of(
    tmp_path: Path,
) -> None:
    """OVH (French parent) hosts the clinic's database in France and its backup in Canada:
    its page must show the table, not "no transfer"."""
    backup = "    copies:\n      - {kind: backup, region: bhs}\n"
    common = {"party": OVH, "provider": "ovhcloud", "region": "gra", "holder": "ovh"}
    finding = findings(tmp_path, copies=backup, **common)["HDS-PUB-02"]
    assert not finding.unverifiable
    assert "states no-transfer but its status requires table" in finding.message
    assert "HDS-PUB-02" not in findings(tmp_path, **common)  # all in France: no transfer


def test_its_own_2018_certificate_in_transition_decides_what_binds_it(tmp_path: Path) -> None:
    v1 = {"referential": "2018", "issued": "2023-01-10"}
    during = findings(tmp_path, day=dt.date(2025, 6, 1), **v1)
    assert "HDS-EXT-01" not in during
    assert "HDS-PUB-01" not in during
    after = findings(tmp_path, day=dt.date(2026, 6, 1), **v1)
    assert "HDS-EXT-01" in after
    assert "HDS-PUB-01" in after

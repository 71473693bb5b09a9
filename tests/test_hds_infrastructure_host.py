"""The cloud provider whose systems hold a place hosts its infrastructure (R.1111-9 activities
1-3, legal-notes §1.7) on behalf of whoever runs it: a clinic running its own database on a
cloud provider, or a vendor running a component there, has it hosted by the provider, which
must be HDS-certified for those activities (HDS-ACT-04). The provider is its one declared
party, else the provider as the knowledge base records it; HDS then applies, and EXI 28 binds
the storage, even when the controller runs the place itself."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from residency_audit.engine.evaluate import audit
from residency_audit.engine.rules import load_packs
from residency_audit.format import load_deployment
from residency_audit.kb import DATA_DIR, KnowledgeBase
from residency_audit.model import Finding, Severity
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF

CLINIC = """\
schema_version: 1
name: clinic-own-db
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR, parent: {name: C, country: FR}}
PARTIES\
components:
  - id: db
    kind: datastore
    provider: PROVIDER
    operator: OPERATOR
    region: REGION
certifications:
CERTIFICATES\
  - {holder: clinic, scheme: iso27001}
"""

AWS_EMEA = "  - {id: aws-emea, name: AWS EMEA SARL, role: processor, country: LU, provider: aws}\n"
AWS_X = (
    "  - {id: aws-x, name: Reseller SAS, role: sub-processor, country: FR,\n"
    "     parent: {name: R, country: FR}, provider: aws}\n"
)
ALL_SIX = '  - {holder: aws-emea, scheme: hds, activities: [1,2,3,4,5,6], referential: "2024", '


def deployment(
    tmp_path: Path,
    *,
    provider: str = "aws",
    region: str = "eu-west-3",
    operator: str = "clinic",
    parties: str = "",
    certificates: str = "",
) -> Path:
    text = (
        CLINIC.replace("PROVIDER", provider)
        .replace("REGION", region)
        .replace("OPERATOR", operator)
        .replace("PARTIES", parties)
        .replace("CERTIFICATES", certificates)
    )
    path = tmp_path / "clinic.yaml"
    path.write_text(text)
    return path


def findings(path: Path, rule: str, day: dt.date = AS_OF) -> list[Finding]:
    report = run(Options(paths=[path], as_of=day))
    assert not report.errors, report.errors
    return [f for f in report.findings if f.rule_id == rule]


def test_a_provider_with_no_hds_certification_recorded_cannot_be_verified_not_failed(
    tmp_path: Path,
) -> None:
    """The knowledge base records no HDS certification of Hetzner: it omits what it does not
    know ("no HDS evidence", from memory), so the clinic's database on it cannot be verified;
    the fact cites the provider's entry as a derivation, not as a source saying "none"."""
    (finding,) = findings(deployment(tmp_path, provider="hetzner", region="fsn1"), "HDS-ACT-04")
    assert finding.severity is Severity.MEDIUM and finding.unverifiable
    assert finding.message.endswith(
        "the knowledge base records no HDS certification of Hetzner (its HDS status is not "
        "recorded, not known to be none)"
    )
    assert "L.1111-8, R.1111-9" in [r.article for r in finding.references]
    origins = {f.path: f.origin for f in finding.facts}
    # cited with no value where it is missing, never as a knowledge-base source saying "none"
    certified = [f for f in finding.facts if f.path == "place.infrastructure_certified"]
    assert [(f.value, f.origin.startswith("kb:")) for f in certified] == [(None, False)]
    assert origins["place.infrastructure_coverage"] == (
        "derived: no HDS certification recorded in kb:providers.yaml#hetzner"
    )


def test_a_knowledge_base_certification_without_its_scope_cannot_be_verified(
    tmp_path: Path,
) -> None:
    """AWS is HDS-certified per the knowledge base, which does not record the activities."""
    (finding,) = findings(deployment(tmp_path), "HDS-ACT-04")
    assert finding.severity is Severity.MEDIUM and finding.unverifiable
    assert "(candidates: aws)" in finding.message
    assert finding.message.endswith(
        "the knowledge base records an HDS certification of Amazon Web Services but not its "
        "scope (activities)"
    )


def test_a_vendor_running_a_component_on_a_provider_leaves_the_provider_s_part_judged(
    tmp_path: Path,
) -> None:
    """The Doctolib shape: a third-party operator runs the database on AWS, whose declared
    party performs the infrastructure activities for it, declaring no certificate here."""
    vendor = "  - {id: vendor, name: Vendor SAS, role: processor, country: FR}\n"
    path = deployment(tmp_path, operator="vendor", parties=vendor + AWS_EMEA)
    (finding,) = findings(path, "HDS-ACT-04")
    assert finding.severity is Severity.MEDIUM and finding.unverifiable
    assert "(candidates: aws-emea)" in finding.message
    assert finding.message.endswith(
        "aws-emea declares no HDS certificate, and the knowledge base records an HDS "
        "certification of Amazon Web Services but not its scope (activities)"
    )


def test_a_declared_party_with_a_valid_certificate_of_all_six_activities_passes(
    tmp_path: Path,
) -> None:
    certificate = ALL_SIX + "issued: 2025-01-01}\n"
    path = deployment(tmp_path, parties=AWS_EMEA, certificates=certificate)
    assert findings(path, "HDS-ACT-04") == []
    # the same file with an expired certificate is reported
    expired = ALL_SIX + "issued: 2022-01-01, expires: 2025-01-01}\n"
    path = deployment(tmp_path, parties=AWS_EMEA, certificates=expired)
    (finding,) = findings(path, "HDS-ACT-04")
    assert finding.severity is Severity.HIGH and not finding.unverifiable
    assert finding.message.endswith(
        "no HDS certificate of aws-emea valid on the audit date covers activities 1, 2, 3"
    )


def test_a_certificate_of_unknown_validity_leaves_it_unverifiable(tmp_path: Path) -> None:
    path = deployment(tmp_path, parties=AWS_EMEA, certificates=ALL_SIX + "}\n")
    (finding,) = findings(path, "HDS-ACT-04")
    assert finding.unverifiable and finding.severity is Severity.MEDIUM


@pytest.mark.parametrize("reverse", [False, True])
def test_two_declared_parties_of_the_provider_leave_it_unverifiable_naming_both(
    tmp_path: Path, reverse: bool
) -> None:
    """A certified and an uncertified AWS party: the order of the file must not decide."""
    certificate = ALL_SIX + "issued: 2025-01-01}\n"
    parties = AWS_X + AWS_EMEA if reverse else AWS_EMEA + AWS_X
    (finding,) = findings(
        deployment(tmp_path, parties=parties, certificates=certificate), "HDS-ACT-04"
    )
    assert finding.unverifiable and finding.severity is Severity.MEDIUM
    candidates = "aws-x, aws-emea" if reverse else "aws-emea, aws-x"
    assert f"(candidates: {candidates})" in finding.message
    assert "several declared parties of provider aws may host it" in finding.message


def test_the_provider_s_own_party_running_the_place_gets_no_second_finding(
    tmp_path: Path,
) -> None:
    """HDS-ACT-01 judges the provider's party for what it runs, infrastructure included."""
    hetzner = (
        "  - {id: hz, name: Hetzner Online GmbH, role: processor, country: DE, provider: hetzner}\n"
    )
    path = deployment(tmp_path, provider="hetzner", region="fsn1", operator="hz", parties=hetzner)
    assert findings(path, "HDS-ACT-04") == []
    assert [f.severity for f in findings(path, "HDS-ACT-01")] == [Severity.HIGH]


def test_the_rule_applies_from_1_april_2018(tmp_path: Path) -> None:
    path = deployment(tmp_path, provider="hetzner", region="fsn1")
    assert findings(path, "HDS-ACT-04", dt.date(2017, 6, 1)) == []
    assert findings(path, "HDS-ACT-04", dt.date(2018, 3, 31)) == []
    assert len(findings(path, "HDS-ACT-04", dt.date(2018, 4, 1))) == 1


def test_the_controller_declared_as_the_party_of_its_own_datacentre_hosts_its_own_data(
    tmp_path: Path,
) -> None:
    """Its own infrastructure (`on-prem`, which the knowledge base does not know): HDS does
    not apply, and no HDS rule reports anything."""
    path = deployment(tmp_path, provider="on-prem", region="x")
    text = path.read_text().replace("region: x", "country: FR")
    path.write_text(text.replace("country: FR}}", "country: FR}, provider: on-prem}"))
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    assert [f.rule_id for f in report.findings if f.rule_id.startswith("HDS-")] == []


def test_the_controller_declared_as_a_cloud_provider_s_party_does_not_turn_hds_off(
    tmp_path: Path,
) -> None:
    """A French clinic cannot be Amazon's contracting entity: declared as AWS's party, its
    database in us-east-1 is still on AWS's systems, so EXI 28 and HDS-ACT-04 bind AWS, and
    the flows table names AWS, not the clinic, as the entity holding it."""
    path = deployment(tmp_path, region="us-east-1")
    path.write_text(path.read_text().replace("country: FR}}", "country: FR}, provider: aws}"))
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    found = {f.rule_id: f for f in report.findings if f.rule_id.startswith("HDS-")}
    assert found["HDS-LOC-01"].severity is Severity.HIGH
    assert not found["HDS-LOC-01"].unverifiable
    assert "(candidates: aws)" in found["HDS-ACT-04"].message
    (flow,) = [f for f in report.flows if f.id == "db"]
    assert flow.entity == "aws"


def test_the_clinic_s_own_database_on_a_provider_outside_the_eea_breaks_eea_storage(
    tmp_path: Path,
) -> None:
    """EXI 28 binds the provider storing the data for the clinic (HDS-LOC-01)."""
    (finding,) = findings(deployment(tmp_path, provider="hetzner", region="ash"), "HDS-LOC-01")
    assert finding.severity is Severity.HIGH and not finding.unverifiable
    assert finding.message == "db (primary) stores health data in US (region ash), outside the EEA"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "kb"
    shutil.copytree(DATA_DIR, copy)
    return copy


def with_scaleway_certification(data_dir: Path, **fields: object) -> KnowledgeBase:
    """The knowledge base with Scaleway's HDS certification given `fields` (activities,
    dates): the bundled one records none of them."""
    path = data_dir / "providers.yaml"
    data = yaml.safe_load(path.read_text())
    (scaleway,) = [p for p in data["providers"] if p["id"] == "scaleway"]
    (hds,) = [c for c in scaleway["certifications"] if c["scheme"] == "hds"]
    hds.update(fields)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return KnowledgeBase(data_dir)


def act_04(path: Path, knowledge: KnowledgeBase) -> list[Finding]:
    d, _ = load_deployment(path)
    rules = [r for pack in load_packs() for r in pack.rules if r.id == "HDS-ACT-04"]
    return audit(d, rules, kb=knowledge, as_of=AS_OF).findings


def test_a_knowledge_base_certification_listing_activities_1_to_3_covers_the_place(
    tmp_path: Path, data_dir: Path
) -> None:
    path = deployment(tmp_path, provider="scaleway", region="fr-par")
    assert [f.unverifiable for f in act_04(path, KnowledgeBase(DATA_DIR))] == [True]
    assert act_04(path, with_scaleway_certification(data_dir, activities=[1, 2, 3])) == []


def test_a_knowledge_base_certification_counts_only_within_its_own_dates(
    tmp_path: Path, data_dir: Path
) -> None:
    path = deployment(tmp_path, provider="scaleway", region="fr-par")
    ended = with_scaleway_certification(
        data_dir, activities=[1, 2, 3], valid_until=dt.date(2026, 1, 1)
    )
    (finding,) = act_04(path, ended)
    assert finding.severity is Severity.HIGH and not finding.unverifiable
    assert finding.message.endswith(
        "the knowledge base records no HDS certification of Scaleway holding on the audit date"
    )

"""Who hosts a place's infrastructure, and whether it is HDS-certified for activities 1-3
(HDS-ACT-04), when the file or the knowledge base says less: declaring less must never report
less. No party of the provider, or several, leave its EXI 30-31 duties unchecked or unknown
(HDS-PUB-03, HDS-EXT-01, HDS-PUB-01), never silently met; several candidates all certified
pass; a certificate listing no activities has an unknown scope for HDS-ACT-01 and HDS-ACT-04
alike; and the findings carry the facts, and the knowledge, their messages state."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit.model import Finding, Report, Severity
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
  - {id: db, kind: datastore, provider: PROVIDER, operator: clinic, region: REGION}
certifications:
CERTIFICATES\
  - {holder: clinic, scheme: iso27001}
"""
AWS_EMEA = "  - {id: aws-emea, name: AWS EMEA SARL, role: processor, country: LU, provider: aws}\n"
AWS_FR = (
    "  - {id: aws-fr, name: Amazon Web Services France SAS, role: sub-processor, country: FR,\n"
    "     provider: aws}\n"
)


def certificate(
    holder: str,
    fields: str = "activities: [1,2,3,4,5,6], ",
    dates: str = "issued: 2025-01-01, expires: 2027-12-31",
) -> str:
    return f'  - {{holder: {holder}, scheme: hds, {fields}referential: "2024", {dates}}}\n'


def audit(
    tmp_path: Path,
    *,
    parties: str = "",
    certificates: str = "",
    provider: str = "aws",
    region: str = "eu-west-3",
) -> Report:
    text = (
        CLINIC.replace("PARTIES", parties)
        .replace("CERTIFICATES", certificates)
        .replace("PROVIDER", provider)
        .replace("REGION", region)
    )
    path = tmp_path / "clinic.yaml"
    path.write_text(text)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    return report


def found(report: Report, rule: str, subject: str | None = None) -> list[Finding]:
    return [
        f
        for f in report.findings
        if f.rule_id == rule and (subject is None or f.subject == subject)
    ]


def facts(finding: Finding) -> dict[str, tuple[object, str, bool]]:
    return {x.path: (x.value, x.origin, x.verified) for x in finding.facts}


# -- EXI 30-31 duties of the provider hosting the infrastructure ------------------------------


def test_no_party_of_the_provider_reports_its_exi_30_31_duties_unchecked(tmp_path: Path) -> None:
    """With one AWS party, its EXI 30 disclosure and EXI 31 page are asked for; with none,
    the deployment reports that AWS's cannot be checked, at the same severity."""
    one = audit(tmp_path, parties=AWS_EMEA)
    assert [f.severity for f in found(one, "HDS-EXT-01")] == [Severity.HIGH]
    assert found(one, "HDS-PUB-03") == []
    (finding,) = found(audit(tmp_path), "HDS-PUB-03")
    assert finding.severity is Severity.HIGH and not finding.unverifiable
    assert finding.message == (
        "no party is declared for aws, whose systems hold places of the health data (R.1111-9 "
        "activities 1-3, HDS-ACT-04), so its EXI 30 disclosure (HDS-EXT-01) and EXI 31 page "
        "(HDS-PUB-01, HDS-PUB-02) cannot be checked"
    )


@pytest.mark.parametrize("rule", ["HDS-EXT-01", "HDS-PUB-01"])
def test_a_second_party_of_the_provider_leaves_each_one_s_duties_unverifiable(
    tmp_path: Path, rule: str
) -> None:
    report = audit(tmp_path, parties=AWS_EMEA + AWS_FR, certificates=certificate("aws-emea"))
    for party in ("aws-emea", "aws-fr"):
        (finding,) = found(report, rule, f"party:{party}")
        assert finding.unverifiable
        assert "party.hosts_infrastructure" in finding.message


# -- several candidate hosts ------------------------------------------------------------------


def test_two_candidates_each_certified_pass_whichever_hosts(tmp_path: Path) -> None:
    both = certificate("aws-emea") + certificate("aws-fr")
    assert found(audit(tmp_path, parties=AWS_EMEA + AWS_FR, certificates=both), "HDS-ACT-04") == []


def test_two_candidates_neither_certified_fail_whichever_hosts(tmp_path: Path) -> None:
    ended = "issued: 2022-01-01, expires: 2025-01-01"
    none = certificate("aws-emea", dates=ended) + certificate("aws-fr", dates=ended)
    (finding,) = found(audit(tmp_path, parties=AWS_EMEA + AWS_FR, certificates=none), "HDS-ACT-04")
    assert finding.severity is Severity.HIGH and not finding.unverifiable
    assert "hosted by AWS EMEA SARL or Amazon Web Services France SAS (aws-emea, aws-fr)" in (
        finding.message
    )
    assert "none of the declared parties of provider aws that may host it" in finding.message


# -- what the knowledge base does not record ------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "region"), [("oracle", "eu-paris-1"), ("ionos", "de-fra"), ("ibm", "eu-de")]
)
def test_a_provider_whose_hds_status_is_unknown_cannot_be_verified(
    tmp_path: Path, provider: str, region: str
) -> None:
    (finding,) = found(audit(tmp_path, provider=provider, region=region), "HDS-ACT-04")
    assert finding.unverifiable and finding.severity is Severity.MEDIUM
    _, origin, _ = facts(finding)["place.infrastructure_coverage"]
    assert origin == f"derived: no HDS certification recorded in kb:providers.yaml#{provider}"


def test_the_findings_trace_the_host_its_name_and_the_certification_they_rest_on(
    tmp_path: Path,
) -> None:
    """GCP's HDS certification (not verified) decides "cannot be verified" rather than "not
    certified": it is cited, as the entry it is, among the facts and the knowledge used."""
    report = audit(tmp_path, provider="gcp", region="europe-west9")
    (finding,) = found(report, "HDS-ACT-04")
    traced = facts(finding)
    assert traced["place.infrastructure_coverage"][1:] == (
        "kb:providers.yaml#gcp/certifications[0]",
        False,
    )
    assert traced["place.infrastructure_candidates"][0] == ["gcp"]
    assert traced["place.infrastructure_host_name"][1:] == (
        "kb:providers.yaml#gcp/entities[0]",
        False,
    )
    assert "kb:providers.yaml#gcp/certifications[0]" in report.unverified_knowledge


def test_an_unverified_host_entity_counts_as_knowledge_used(tmp_path: Path) -> None:
    report = audit(tmp_path, provider="aws-eusc", region="eusc-de-east-1")
    (finding,) = found(report, "HDS-ACT-04")
    assert facts(finding)["place.infrastructure_host_name"] == (
        "AWS European Sovereign Cloud GmbH",
        "kb:providers.yaml#aws-eusc/entities[0]",
        False,
    )
    assert "kb:providers.yaml#aws-eusc/entities[0]" in report.unverified_knowledge


# -- wording and the scope of a certificate ---------------------------------------------------


def test_one_missing_activity_is_named_in_the_singular(tmp_path: Path) -> None:
    two = certificate("aws-emea", "activities: [1, 2], ")
    (finding,) = found(audit(tmp_path, parties=AWS_EMEA, certificates=two), "HDS-ACT-04")
    assert finding.message.endswith(
        "no HDS certificate of aws-emea valid on the audit date covers activity 3"
    )


def test_a_certificate_issued_after_the_audit_date_is_said_to_be_not_valid_yet(
    tmp_path: Path,
) -> None:
    later = certificate("aws-emea", dates="issued: 2027-01-01, expires: 2029-12-31")
    (finding,) = found(audit(tmp_path, parties=AWS_EMEA, certificates=later), "HDS-ACT-04")
    assert "aws-emea declares no HDS certificate valid yet (issued after the audit date)" in (
        finding.message
    )


def test_a_certificate_listing_no_activities_has_an_unknown_scope_for_both_rules(
    tmp_path: Path,
) -> None:
    """HDS-ACT-04 on the infrastructure and HDS-ACT-01 on what the party runs agree: neither
    reads an unlisted scope as covering nothing."""
    unscoped = certificate("aws-emea", "")
    report = audit(tmp_path, parties=AWS_EMEA, certificates=unscoped)
    (infrastructure,) = found(report, "HDS-ACT-04")
    assert infrastructure.unverifiable
    assert "or whose scope, is unknown" in infrastructure.message
    runs = CLINIC.replace("operator: clinic", "operator: aws-emea, hds_activities: [1, 2, 3]")
    path = tmp_path / "runs.yaml"
    path.write_text(
        runs.replace("PARTIES", AWS_EMEA)
        .replace("CERTIFICATES", unscoped)
        .replace("PROVIDER", "aws")
        .replace("REGION", "eu-west-3")
    )
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    (hosting,) = found(report, "HDS-ACT-01")
    assert hosting.unverifiable

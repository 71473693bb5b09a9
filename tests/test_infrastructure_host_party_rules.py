"""The declared party of a cloud provider whose systems hold a place the controller (or another
party) runs hosts that place's infrastructure (`party.hosts_infrastructure`, HDS-ACT-04). It runs
nothing of the deployment, yet the data are on its systems: it is a processor to list under
Art. 28 (GDPR-28-01), its parent's compelled-access laws reach the data (JUR-01, GDPR-48-01),
and a SecNumCloud claim rests on its qualification and its independence from non-EU law
(SNC-196-A, SNC-196-B, SNC-QUAL-01). The same party declared while hosting nothing gets none."""

from __future__ import annotations

from pathlib import Path

import pytest

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
  - {id: db, kind: datastore, provider: PROVIDER, operator: clinic, region: REGION}
claims: CLAIMS
"""
AWS_EMEA = "{id: aws-emea, name: AWS EMEA SARL, role: processor, country: LU, provider: aws}"
SECNUMCLOUD = "secnumcloud: true, secnumcloud_offer: Elastic Compute Cloud"
ON_AWS = {"provider": "aws", "region": "eu-west-3"}
"""The clinic's own database on AWS: the AWS party hosts its infrastructure."""
ON_OVH = {"provider": "ovhcloud", "region": "gra"}
"""The same database on OVHcloud: the AWS party is declared but hosts nothing."""


def party_findings(
    tmp_path: Path,
    where: dict[str, str],
    *,
    party: str = AWS_EMEA,
    party_id: str = "aws-emea",
    claims: str = f"{{processors: [], {SECNUMCLOUD}}}",
) -> dict[str, Finding]:
    text = (
        CLINIC.replace("PROVIDER_PARTY", party)
        .replace("PROVIDER", where["provider"])
        .replace("REGION", where["region"])
        .replace("CLAIMS", claims)
    )
    path = tmp_path / "clinic.yaml"
    path.write_text(text)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    return {f.rule_id: f for f in report.findings if f.subject == f"party:{party_id}"}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        pytest.param(
            "GDPR-28-01",
            "aws-emea (processor) takes part in the processing but is not on the Art. 28 "
            "processor list",
            id="GDPR-28-01",
        ),
        pytest.param(
            "GDPR-48-01",
            "aws-emea (seat LU, ultimate parent US) is subject to compelled-access laws and no "
            "Art. 48 request-handling procedure is declared",
            id="GDPR-48-01",
        ),
        pytest.param(
            "JUR-01",
            "aws-emea (AWS EMEA SARL) is under law that can compel access to data it holds "
            "(seat LU, ultimate parent US)",
            id="JUR-01",
        ),
        pytest.param(
            "SNC-196-B",
            "aws-emea hosts data of a deployment claiming SecNumCloud, but its non-EU ownership",
            id="SNC-196-B",
        ),
        pytest.param(
            "SNC-QUAL-01",
            "aws-emea hosts data of a deployment claiming SecNumCloud for offer Elastic Compute "
            "Cloud, but holds no SecNumCloud qualification for it (its qualified offers: none)",
            id="SNC-QUAL-01",
        ),
    ],
)
def test_the_provider_party_hosting_only_the_infrastructure_is_judged_as_a_party_holding_data(
    tmp_path: Path, rule: str, message: str
) -> None:
    finding = party_findings(tmp_path, ON_AWS)[rule]
    assert not finding.unverifiable
    assert message in finding.message
    assert rule not in party_findings(tmp_path, ON_OVH)


def test_a_secnumcloud_claim_on_an_iaas_seated_outside_the_eu_fails_on_the_iaas(
    tmp_path: Path,
) -> None:
    """§19.6 a: the clinic runs its database itself, so the only host the claim can rest on
    is the provider's contracting entity, here seated in the US."""
    us = (
        "{id: aws-inc, name: Amazon Web Services Inc., role: processor, country: US, provider: aws}"
    )
    found = party_findings(tmp_path, ON_AWS, party=us, party_id="aws-inc")["SNC-196-A"]
    assert not found.unverifiable
    assert "aws-inc hosts data of a deployment claiming SecNumCloud, but its seat (US)" in (
        found.message
    )
    assert "SNC-196-A" not in party_findings(tmp_path, ON_OVH, party=us, party_id="aws-inc")


def test_without_a_processor_list_the_infrastructure_host_cannot_be_verified_as_listed(
    tmp_path: Path,
) -> None:
    finding = party_findings(tmp_path, ON_AWS, claims="{}")["GDPR-28-01"]
    assert finding.unverifiable
    assert "party.on_processor_list" in finding.message
    listed = party_findings(tmp_path, ON_AWS, claims="{processors: [aws-emea]}")
    assert "GDPR-28-01" not in listed


def test_a_claim_naming_no_offer_leaves_the_qualification_of_the_iaas_unverified(
    tmp_path: Path,
) -> None:
    """A SecNumCloud claim naming no offer: whether the provider holds a qualification for
    the one used is unknown, never a pass."""
    found = party_findings(tmp_path, ON_AWS, claims="{secnumcloud: true}")
    assert found["SNC-QUAL-01"].unverifiable
    assert "SNC-QUAL-01" not in party_findings(tmp_path, ON_OVH, claims="{secnumcloud: true}")


def test_a_declared_provider_party_hosting_nothing_gets_none_of_the_party_rules(
    tmp_path: Path,
) -> None:
    rules = {"GDPR-28-01", "GDPR-48-01", "JUR-01", "SNC-196-B", "SNC-QUAL-01"}
    assert rules <= set(party_findings(tmp_path, ON_AWS))  # AWS EMEA's seat passes SNC-196-A
    assert not (rules | {"SNC-196-A"}) & set(party_findings(tmp_path, ON_OVH))

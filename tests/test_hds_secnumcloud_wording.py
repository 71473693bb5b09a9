"""EXI 31 allows a host's page to say "no risk of access imposed by a third country's law" only
for an offer qualified under SecNumCloud 3.2 (legal-notes §1.4). A qualification counts as
SNC-QUAL-02 judges it (version 3.2, valid on the audit date) and, when the file names the offer
used, only for that offer; one of unknown validity leaves the expected statement unknown
(HDS-PUB-02 cannot be verified), never a pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit.model import Finding
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF

# A US-parented host whose page uses the SecNumCloud wording.
HOST = """\
schema_version: 1
name: snc-wording
controller: clinique
data: {categories: [health], health_context: care}
parties:
  - {id: clinique, name: Clinique Exemple SAS, role: controller, country: FR}
  - id: aws-emea
    name: Amazon Web Services EMEA SARL
    role: processor
    country: LU
    provider: aws
    transparency:
      url: https://aws.example/hds
      wording: secnumcloud
      laws: [us-cloud-act, us-fisa-702]
      mitigations: true
      residual_risks: true
components:
  - id: records-db
    kind: datastore
    provider: aws
    operator: aws-emea
    region: eu-west-3
    hds_activities: [1, 2, 3, 4]
certifications:
  - {holder: aws-emea, scheme: hds, activities: [1, 2, 3, 4, 5, 6], referential: "2024",
     issued: 2025-03-01}
"""


def eu_owned(text: str) -> str:
    """The same deployment with a French-owned host: no third-country law reaches it."""
    return (
        text.replace("Amazon Web Services EMEA SARL", "Outscale SAS")
        .replace("country: LU", "country: FR")
        .replace("provider: aws", "provider: outscale")
        .replace("region: eu-west-3", "region: eu-west-2")
        .replace("laws: [us-cloud-act, us-fisa-702]", "laws: []")
        .replace("aws-emea", "outscale-sas")
    )


def pub02(
    tmp_path: Path, qualification: str, claims: str = "", *, host: str = HOST, eu: bool = False
) -> list[Finding]:
    path = tmp_path / "host.yaml"
    text = host + (f"  - {{holder: aws-emea, scheme: secnumcloud, {qualification}}}\n")
    text = eu_owned(text) if eu else text
    path.write_text(text + (f"claims: {{{claims}}}\n" if claims else ""))
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    return [f for f in report.findings if f.rule_id == "HDS-PUB-02"]


@pytest.mark.parametrize(
    "qualification",
    [
        # expired, issued before version 3.2 existed (8 March 2022), for another offer
        'referential: "3.2", offer: Something Else, issued: 2019-01-01, expires: 2020-01-01',
        # expired
        'referential: "3.2", offer: Cloud, issued: 2022-06-01, expires: 2025-06-01',
        # under another version than 3.2
        'referential: "3.1", offer: Cloud, issued: 2023-01-01, expires: 2029-01-01',
    ],
)
def test_a_qualification_not_valid_on_the_audit_date_does_not_allow_the_no_risk_wording(
    tmp_path: Path, qualification: str
) -> None:
    (finding,) = pub02(tmp_path, qualification)
    assert not finding.unverifiable
    assert "states secnumcloud but its status requires table" in finding.message
    (matches,) = [f for f in finding.facts if f.path == "party.transparency.wording_matches"]
    assert "holds no SecNumCloud 3.2 qualification valid on the audit date" in matches.origin


def test_a_valid_qualification_for_another_offer_than_the_one_used_does_not_count(
    tmp_path: Path,
) -> None:
    valid = 'referential: "3.2", offer: Cloud Souverain, issued: 2025-01-01, expires: 2028-01-01'
    (finding,) = pub02(tmp_path, valid, "secnumcloud_offer: Public IaaS", eu=True)
    assert not finding.unverifiable
    assert "requires no-transfer" in finding.message
    assert pub02(tmp_path, valid, "secnumcloud_offer: Cloud Souverain", eu=True) == []


def test_a_valid_qualification_of_the_offer_used_allows_the_no_risk_wording(
    tmp_path: Path,
) -> None:
    valid = 'referential: "3.2", offer: Cloud Souverain, issued: 2025-01-01, expires: 2028-01-01'
    assert pub02(tmp_path, valid, "secnumcloud_offer: Cloud Souverain", eu=True) == []


@pytest.mark.parametrize("wording", ["secnumcloud", "table"])
def test_a_qualification_declared_for_a_host_third_country_law_reaches_decides_no_wording(
    tmp_path: Path, wording: str
) -> None:
    """SecNumCloud 3.2 qualifies no offer of a host under a third country's compelled-access
    law (SNC-196-B): the declared qualification contradicts the host's own exposure, so neither
    the "no risk" wording passes nor the table is required of it."""
    valid = 'referential: "3.2", offer: Cloud Souverain, issued: 2025-01-01, expires: 2028-01-01'
    host = HOST.replace("wording: secnumcloud", f"wording: {wording}")
    (finding,) = pub02(tmp_path, valid, "secnumcloud_offer: Cloud Souverain", host=host)
    assert finding.unverifiable
    assert "a host whose ultimate parent is under a third country's compelled-access law" in (
        finding.message
    )


@pytest.mark.parametrize(
    "qualification",
    [
        'referential: "3.2", offer: Cloud Souverain, issued: 2025-01-01, expires: 2028-01-01',
        'referential: "3.2", issued: 2025-01-01, expires: 2028-01-01',  # names no offer
    ],
)
def test_a_valid_qualification_when_the_offer_used_is_not_named_cannot_be_verified(
    tmp_path: Path, qualification: str
) -> None:
    """The qualified offer may not be the one used: the statement due is unknown, as
    SNC-QUAL-01 finds it on the same file, never a pass."""
    (finding,) = pub02(tmp_path, qualification, "secnumcloud: true")
    assert finding.unverifiable
    path = tmp_path / "host.yaml"
    report = run(Options(paths=[path], as_of=AS_OF))
    snc = [f for f in report.findings if f.rule_id == "SNC-QUAL-01" and "aws-emea" in f.subject]
    assert [f.unverifiable for f in snc] == [True]


@pytest.mark.parametrize(
    ("qualification", "claims"),
    [
        ('referential: "3.2", offer: Cloud, issued: 2025-01-01', ""),  # no expiry known
        ("offer: Cloud, issued: 2025-01-01, expires: 2028-01-01", ""),  # version not declared
        # the offer used is named, the qualification's is not
        ('referential: "3.2", issued: 2025-01-01, expires: 2028-01-01', "secnumcloud_offer: X"),
    ],
)
def test_a_qualification_of_unknown_validity_leaves_the_wording_unverifiable(
    tmp_path: Path, qualification: str, claims: str
) -> None:
    (finding,) = pub02(tmp_path, qualification, claims)
    assert finding.unverifiable
    assert "SecNumCloud qualification of unknown referential, dates or offer" in finding.message


PARENTLESS = """\
schema_version: 1
name: pub02
controller: clinique
data: {categories: [health], health_context: care}
parties:
  - {id: clinique, name: Clinique Exemple SAS, role: controller, country: FR}
  - id: hostco
    name: Hebergeur France SAS
    role: processor
    country: FR
    PARENT
    transparency: {url: https://hostco.example/hds, wording: WORDING, laws: [],
                   mitigations: true, residual_risks: true}
components:
  - {id: records-db, kind: datastore, provider: own-dc, operator: hostco, country: FR,
     hds_activities: [1, 2, 3, 4, 5, 6]}
certifications:
  - {holder: hostco, scheme: hds, activities: [1, 2, 3, 4, 5, 6], referential: "2024",
     issued: 2025-03-01}
claims:
  processors: [hostco]
"""


@pytest.mark.parametrize("wording", ["no-transfer", "table"])
def test_a_host_whose_parent_is_not_declared_is_due_no_known_wording(
    tmp_path: Path, wording: str
) -> None:
    """Review: a French host declaring no parent passed its "no transfer" page, its seat taken
    for its parent's country, while HDS-EXT-01 in the same run found its parent unknown: a
    parent in the US would make the table due."""
    path = tmp_path / "host.yaml"
    path.write_text(PARENTLESS.replace("PARENT", "").replace("WORDING", wording))
    report = run(Options(paths=[path], as_of=AS_OF))
    (finding,) = [f for f in report.findings if f.rule_id == "HDS-PUB-02"]
    assert finding.unverifiable
    assert "its ultimate parent not declared" in finding.message
    declared = PARENTLESS.replace("PARENT", "parent: {name: Groupe SA, country: FR}")
    path.write_text(declared.replace("WORDING", wording))
    report = run(Options(paths=[path], as_of=AS_OF))
    found = [f for f in report.findings if f.rule_id == "HDS-PUB-02"]
    assert [f.message for f in found] == (
        []
        if wording == "no-transfer"
        else ["hostco's EXI 31 page states table but its status requires no-transfer"]
    )

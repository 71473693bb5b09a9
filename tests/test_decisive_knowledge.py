"""A verdict cites the knowledge-base entry it turned on, with its source and flag, whether the
entry holds on the audit date or not; the report lists the unverified entries a pass rested on
as well as a finding; and a certificate or contract dated before its instrument applied is
never valid."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from residency_audit.batch import FILES_PER_WORKER
from residency_audit.kb import default
from residency_audit.model import Fact, Finding, Report
from residency_audit.pipeline import Options, run
from tests.conftest import FIXTURES
from tests.support.samples import copy_renamed

DEPLOYMENTS = FIXTURES / "deployments"

STORED_IN = """\
schema_version: 1
name: stored-in-{country}
controller: clinic
data:
  categories: [appointment]
parties:
  - {{id: clinic, name: Clinique Exemple SAS, role: controller, country: FR}}
  - {{id: host, name: Example Host, role: processor, country: {country}, provider: aws}}
components:
  - {{id: appointments, kind: datastore, provider: aws, operator: host, region: {region}}}
"""
"""A store in a region of `country`, hosted there, with no transfer tool: it passes the
transfer rules only while `country` is adequate."""


def audited(path: Path, day: str, **options: object) -> Report:
    report = run(Options(paths=[path], as_of=dt.date.fromisoformat(day), **options))  # type: ignore[arg-type]
    assert not report.errors, report.errors
    return report


def findings(report: Report, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule_id == rule]


def cited(finding: Finding, entry: str) -> list[Fact]:
    return [x for x in finding.facts if x.origin == entry]


def stored_in(tmp_path: Path, country: str, region: str) -> Path:
    path = tmp_path / f"stored-in-{country}.yaml"
    path.write_text(STORED_IN.format(country=country, region=region))
    return path


@pytest.mark.parametrize(
    ("fixture", "day", "rule", "decision", "said"),
    [
        # the decision that ended (Schrems II), and the one not adopted yet, whose start a
        # report of that day does not tell
        ("us-storage-privacy-shield.yaml", "2020-07-16", "US-PS-01", "us-privacy-shield",
         "not in force on 2020-07-16: valid 2016-08-01 to 2020-07-16 (exclusive)"),
        ("us-storage-dpf.yaml", "2023-07-09", "US-DPF-01", "us-dpf", "not in force on 2023-07-09"),
    ],
)  # fmt: skip
def test_an_invalid_adequacy_tool_cites_the_decision_it_turned_on(
    fixture: str, day: str, rule: str, decision: str, said: str
) -> None:
    report = audited(DEPLOYMENTS / fixture, day)
    entry = default().entry(decision)
    assert entry is not None
    for finding in [*findings(report, rule), *findings(report, "GDPR-XFER-01")]:
        (fact,) = cited(finding, f"kb:adequacy.yaml#{decision}")
        assert fact.value == said
        assert (fact.url, fact.verified) == (entry[1].source, entry[1].verified)
    assert {f.rule_id for f in report.findings} >= {rule, "GDPR-XFER-01"}


def test_a_dpf_tool_is_judged_by_the_dpf_not_by_the_privacy_shield(tmp_path: Path) -> None:
    """In 2019 a recipient on the Privacy Shield list relying on the DPF: the tool fails because
    the DPF did not exist yet, not because the recipient is off the Privacy Shield list."""
    text = (DEPLOYMENTS / "us-storage-dpf.yaml").read_text()
    path = tmp_path / "dpf-in-2019.yaml"
    path.write_text(
        text.replace("adequacy_scopes: [dpf-list]", "adequacy_scopes: [privacy-shield-list]")
    )
    (transfer,) = findings(audited(path, "2019-01-01"), "GDPR-XFER-01")
    tool, *decisions = [
        x for x in transfer.facts if x.path.startswith(("transfer.tool.", "kb.adequacy."))
    ]
    assert tool.value == "invalid: no dpf-list adequacy decision for US in force on 2019-01-01"
    assert tool.origin.startswith(f"{path}:")
    assert [(x.origin, x.value) for x in decisions] == [
        (
            "kb:adequacy.yaml#us-dpf",
            "not in force on 2019-01-01",
        )
    ]


def test_a_country_whose_adequacy_lapsed_cites_the_decision_that_ended(tmp_path: Path) -> None:
    """The UK decision of 2025 (from secondary sources: unverified) ends on 2031-12-28: the
    finding that day cites it, and the report lists it as unverified knowledge used."""
    report = audited(stored_in(tmp_path, "GB", "eu-west-2"), "2031-12-28")
    (transfer,) = findings(report, "GDPR-XFER-01")
    (fact,) = cited(transfer, "kb:adequacy.yaml#united-kingdom-2025")
    assert fact.value == "not in force on 2031-12-28: valid 2025-12-28 to 2031-12-28 (exclusive)"
    assert fact.verified is False
    assert "kb:adequacy.yaml#united-kingdom-2025" in report.unverified_knowledge


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_pass_resting_on_unverified_knowledge_lists_it(tmp_path: Path, jobs: int) -> None:
    """Brazil's adequacy decision (secondary sources: unverified) lets a store in São Paulo
    pass; no finding cites it, yet the report says the audit relied on it, batch or not."""
    path = stored_in(tmp_path, "BR", "sa-east-1")
    for i in range(2 * FILES_PER_WORKER):  # enough for two workers
        copy_renamed(path, tmp_path / f"copy-{i}.yaml", str(i))
    report = audited(tmp_path, "2026-01-26", jobs=jobs)
    assert not findings(report, "GDPR-XFER-01")
    assert not [f for f in report.findings if cited(f, "kb:adequacy.yaml#brazil")]
    assert "kb:adequacy.yaml#brazil" in report.unverified_knowledge
    # A later run in the same process does not inherit it.
    later = audited(DEPLOYMENTS / "us-storage-dpf.yaml", "2026-01-26")
    assert "kb:adequacy.yaml#brazil" not in later.unverified_knowledge


def test_a_pass_resting_on_an_unverified_fact_of_the_deployment_lists_it(tmp_path: Path) -> None:
    """The country of Alibaba's eu-central-1 region is unverified knowledge: the store there
    passes the EEA-storage rules on it, so the audit relied on it, though no finding cites it."""
    path = tmp_path / "alibaba.yaml"
    path.write_text(
        "schema_version: 1\n"
        "name: ali\n"
        "controller: clinic\n"
        "data: {categories: [contact]}\n"
        "parties: [{id: clinic, name: Clinique SAS, role: controller, country: FR}]\n"
        "components:\n"
        "  - {id: web, kind: compute, provider: alibaba, operator: clinic, region: eu-central-1}\n"
    )
    report = audited(path, "2026-11-28")
    entry = "kb:regions.yaml#alibaba/eu-central-1"
    assert not [f for f in report.findings if cited(f, entry)]
    assert entry in report.unverified_knowledge


def certified(tmp_path: Path, referential: str, issued: str) -> Path:
    text = (DEPLOYMENTS / "hds-2018-certificate.yaml").read_text()
    declared = 'referential: "2018", issued: 2024-01-10'
    assert declared in text
    path = tmp_path / "host.yaml"
    path.write_text(text.replace(declared, f'referential: "{referential}", issued: {issued}'))
    return path


@pytest.mark.parametrize(
    ("referential", "issued", "day", "instrument", "applied"),
    [
        # published on 16 May 2024, applied to certificates from 16 November 2024
        ("2024", "2024-06-01", "2024-12-01", "hds-referential-2024", "2024-11-16"),
        # before HDS certification existed (décret n° 2018-137, from 1 April 2018)
        ("2018", "2017-01-01", "2019-06-01", "hds-referential-2018", "2018-04-01"),
    ],
)
def test_an_hds_certificate_issued_before_its_referential_applied_is_not_valid(
    tmp_path: Path, referential: str, issued: str, day: str, instrument: str, applied: str
) -> None:
    report = audited(certified(tmp_path, referential, issued), day)
    (cert,) = findings(report, "HDS-CERT-01")
    (fact,) = [x for x in cert.facts if x.path == f"kb.instruments.{instrument}.valid_from"]
    assert str(fact.value).startswith(
        f"issued on {issued}, before {instrument} applied ({applied})"
    )
    assert fact.origin == f"kb:instruments.yaml#{instrument}"
    assert findings(report, "HDS-ACT-01")  # it covers no activity
    # Issued on the day it applied, the same certificate is valid and covers the hosting.
    on_time = audited(certified(tmp_path, referential, applied), day)
    assert not findings(on_time, "HDS-CERT-01") and not findings(on_time, "HDS-ACT-01")


@pytest.mark.parametrize(("issued", "valid"), [("2022-03-07", False), ("2022-03-08", True)])
def test_a_secnumcloud_qualification_issued_before_version_3_2_is_not_valid(
    tmp_path: Path, issued: str, valid: bool
) -> None:
    text = (DEPLOYMENTS / "secnumcloud-claim-us-owned.yaml").read_text()
    declared = "offer: Private Cloud, expires: 2027-06-30"
    assert declared in text
    path = tmp_path / "claim.yaml"
    path.write_text(text.replace(declared, f"{declared}, issued: {issued}"))
    qualification = findings(audited(path, "2023-01-01"), "SNC-QUAL-02")
    assert (not qualification) is valid
    for finding in qualification:
        (fact,) = [x for x in finding.facts if x.path.endswith("secnumcloud-3.2.valid_from")]
        assert "before secnumcloud-3.2 applied (2022-03-08)" in str(fact.value)


@pytest.mark.parametrize(("concluded", "valid"), [("2005-01-01", False), ("2010-05-15", True)])
def test_a_contract_concluded_before_its_clauses_applied_is_no_transfer_tool(
    tmp_path: Path, concluded: str, valid: bool
) -> None:
    """Decision 2010/87/EU applies from 15 May 2010: a contract dated 2005 never rested on
    it, though audited while those clauses were in force."""
    text = (DEPLOYMENTS / "transfer-scc-2010.yaml").read_text()
    path = tmp_path / "transfer.yaml"
    path.write_text(text.replace("concluded: 2019-05-01", f"concluded: {concluded}"))
    transfer = findings(audited(path, "2020-01-01"), "GDPR-XFER-01")
    assert (not transfer) is valid
    for finding in transfer:
        (tool,) = cited(finding, "kb:instruments.yaml#eu-scc-2010")
        assert str(tool.value).startswith(
            f"invalid: concluded on {concluded}, before it applied (2010-05-15)"
        )
        assert ("transfer.concluded", dt.date(2005, 1, 1)) in [
            (x.path, x.value) for x in finding.facts if x.origin.startswith(str(path))
        ]

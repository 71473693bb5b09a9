"""Every rule honours --as-of: the legal dates come from the knowledge base and the findings
change on the exact day the law did."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.engine.rules import load_packs
from residency_audit.model import Finding
from residency_audit.pipeline import Options, run
from tests.conftest import FIXTURES, SAMPLES

DEPLOYMENTS = FIXTURES / "deployments"


def rule_ids(name: str, day: str, **options: object) -> set[str]:
    report = run(Options(paths=[DEPLOYMENTS / name], as_of=dt.date.fromisoformat(day), **options))  # type: ignore[arg-type]
    assert not report.errors, report.errors
    return {f.rule_id for f in report.findings}


@pytest.mark.parametrize(("day", "fails"), [("2020-07-15", False), ("2020-07-16", True)])
def test_privacy_shield_reliance_ends_with_schrems_ii(day: str, fails: bool) -> None:
    found = rule_ids("us-storage-privacy-shield.yaml", day)
    assert ("US-PS-01" in found) is fails
    assert ("GDPR-XFER-01" in found) is fails


@pytest.mark.parametrize(("day", "fails"), [("2023-07-09", True), ("2023-07-10", False)])
def test_dpf_reliance_starts_with_decision_2023_1795(day: str, fails: bool) -> None:
    found = rule_ids("us-storage-dpf.yaml", day)
    assert ("US-DPF-01" in found) is fails
    assert ("GDPR-XFER-01" in found) is fails


def old_scc_findings(
    tmp_path: Path, declared: str, instead: str, day: str
) -> tuple[Path, list[Finding]]:
    """The GDPR-SCC-02 and GDPR-XFER-01 findings of the 2010-SCC fixture with one line of its
    transfer replaced, audited on `day`."""
    text = (DEPLOYMENTS / "transfer-scc-2010.yaml").read_text()
    assert declared in text
    path = tmp_path / "transfer.yaml"
    path.write_text(text.replace(declared, instead))
    report = run(Options(paths=[path], as_of=dt.date.fromisoformat(day)))
    assert not report.errors, report.errors
    return path, [f for f in report.findings if f.rule_id in ("GDPR-SCC-02", "GDPR-XFER-01")]


@pytest.mark.parametrize(
    ("concluded", "day", "expected"),
    [
        ("2019-05-01", "2021-09-27", "pass"),  # repealed, but the contract predates it
        ("2019-05-01", "2022-12-27", "pass"),  # last day of the transition
        ("2019-05-01", "2022-12-28", "fail"),
        ("2021-09-27", "2022-06-01", "fail"),  # concluded on the repealed clauses: never covered
        (None, "2021-09-26", "pass"),  # before the repeal any contract on them stood
        (None, "2022-06-01", "unverifiable"),  # in the transition only an older contract does
    ],
)
def test_old_sccs_carry_only_contracts_concluded_before_their_repeal(
    tmp_path: Path, concluded: str | None, day: str, expected: str
) -> None:
    line = "" if concluded is None else f"concluded: {concluded}"
    path, scc = old_scc_findings(tmp_path, "concluded: 2019-05-01", line, day)
    if expected == "pass":
        assert scc == []
    else:  # the transfer rule and the place's tool check agree
        assert {f.rule_id for f in scc} == {"GDPR-SCC-02", "GDPR-XFER-01"}
        assert all(f.unverifiable is (expected == "unverifiable") for f in scc)
    if concluded is not None and day >= "2021-09-27":  # the date it turned on, and where
        cited = [(x.value, x.origin.split(":")[0]) for f in scc for x in f.facts]
        assert expected == "pass" or (dt.date.fromisoformat(concluded), str(path)) in cited


@pytest.mark.parametrize(
    ("unchanged", "day", "expected"),
    [
        ("true", "2022-06-01", "pass"),
        ("false", "2022-06-01", "fail"),  # a changed processing needed the new clauses
        (None, "2022-06-01", "unverifiable"),
        (None, "2021-09-26", "pass"),  # before the repeal the question does not arise
    ],
)
def test_old_sccs_carry_an_earlier_contract_only_while_its_processing_is_unchanged(
    tmp_path: Path, unchanged: str | None, day: str, expected: str
) -> None:
    line = "" if unchanged is None else f"processing_unchanged: {unchanged}"
    path, scc = old_scc_findings(tmp_path, "processing_unchanged: true", line, day)
    if expected == "pass":
        assert scc == []
        return
    assert {f.rule_id for f in scc} == {"GDPR-SCC-02", "GDPR-XFER-01"}
    assert all(f.unverifiable is (expected == "unverifiable") for f in scc)
    tools = [x.value for f in scc for x in f.facts if x.path == "transfer.tool.scc-2010"]
    assert tools and all("processing" in why for why in tools)
    if unchanged is not None:  # the declaration it turned on, and where
        cited = [
            (x.value, x.origin.split(":")[0])
            for f in scc
            for x in f.facts
            if x.path == "transfer.processing_unchanged"
        ]
        assert cited and set(cited) == {(False, str(path))}


@pytest.mark.parametrize(("day", "fails"), [("2028-02-29", False), ("2028-03-01", True)])
def test_a_certificate_is_valid_on_its_expiry_date(day: str, fails: bool) -> None:
    """`expires: 2028-02-29` is the last day of validity, as on the certificate; it agrees with
    three years from `issued: 2025-03-01`."""
    report = run(
        Options(paths=[SAMPLES / "sovereign-hospital.yaml"], as_of=dt.date.fromisoformat(day))
    )
    assert not report.errors, report.errors
    assert ("HDS-CERT-01" in {f.rule_id for f in report.findings}) is fails


@pytest.mark.parametrize(
    ("referential", "issued", "day", "fails"),
    [
        (None, None, "2024-11-15", False),  # before the 2024 referential applied to anyone
        (None, None, "2025-06-01", True),  # a host with no 2018 certificate is bound
        ("2018", "2024-01-10", "2025-06-01", False),  # a 2018 host in its transition is not
        ("2018", "2024-01-10", "2026-05-16", False),
        ("2018", "2024-01-10", "2026-05-17", True),  # until the transition ended
        ("2024", "2025-01-10", "2025-06-01", True),
    ],
)
def test_eea_only_storage_binds_a_2018_certified_host_only_after_its_transition(
    tmp_path: Path, referential: str | None, issued: str | None, day: str, fails: bool
) -> None:
    text = (DEPLOYMENTS / "hds-2018-certificate.yaml").read_text()
    text = text.replace(
        # Tokyo: outside the EEA, with no other operator in the knowledge base (the US regions
        # have OUTSCALE, Inc.: a copy there would have no known host)
        "region: eu-west-2,",
        "region: eu-west-2, copies: [{kind: backup, region: ap-northeast-1}],",
    )
    line = '  - {holder: host, scheme: hds, activities: [1, 2, 3, 4, 5, 6], referential: "2018", '
    assert line in text
    if referential is None:
        text = text.split("certifications:")[0]
    else:
        text = text.replace(
            'referential: "2018", issued: 2024-01-10',
            f'referential: "{referential}", issued: {issued}',
        )
    path = tmp_path / "host.yaml"
    path.write_text(text)
    report = run(Options(paths=[path], as_of=dt.date.fromisoformat(day)))
    assert not report.errors, report.errors
    assert ("HDS-LOC-01" in {f.rule_id for f in report.findings}) is fails


HOST_2018 = """\
schema_version: 1
name: clinic-records
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique Exemple SAS, role: controller, country: FR}
  - id: aws-emea
    name: Amazon Web Services EMEA SARL
    role: processor
    country: LU
    provider: aws
    transparency: {url: "https://host.example/hds", wording: no-transfer}
components:
  - id: records-db
    kind: datastore
    provider: aws
    operator: aws-emea
    region: eu-west-3
    hds_activities: [1, 2, 3, 4, 5, 6]
    copies: [{kind: snapshot-copy, region: us-east-1}]
access:
  - {id: support, kind: support, entity: aws-emea, country: IN}
certifications:
  - {holder: aws-emea, scheme: hds, activities: [1, 2, 3, 4, 5, 6]CERTIFICATE}
"""
REFERENTIAL_2024 = {
    "HDS-RISK-01",  # EXI 05 H
    "HDS-SUB-01",  # EXI 12
    "HDS-SUB-02",  # EXI 14
    "HDS-LOC-01",  # EXI 28
    "HDS-INFO-01",
    "HDS-RA-01",  # EXI 29
    "HDS-RA-02",
    "HDS-EXT-01",  # EXI 30
    "HDS-PUB-02",  # EXI 31 (HDS-PUB-01 passes: the page is recorded)
}
"""The rules of the 2024 referential's requirements this deployment breaks, or cannot show it
meets, once the referential binds its host."""


@pytest.mark.parametrize(
    ("certificate", "day", "bound"),
    [
        # QA reproduction: the host's only certificate is a current 2018 one
        (', referential: "2018", issued: 2023-01-10, expires: 2026-01-09', "2025-06-01", False),
        (', referential: "2018", issued: 2024-01-10', "2026-05-16", False),
        (', referential: "2018", issued: 2024-01-10', "2026-05-17", True),  # transition over
        # a 2018 certificate that lapsed is no transition: the next one is a 2024 certificate
        (', referential: "2018", issued: 2023-01-10, expires: 2026-01-09', "2026-03-01", True),
        (', referential: "2024", issued: 2025-01-10', "2025-06-01", True),
        # fail closed: referential or issue date unknown
        (", issued: 2023-01-10", "2025-06-01", True),
        (', referential: "2018"', "2025-06-01", True),
        (None, "2025-06-01", True),  # no certificate at all
        (', referential: "2018", issued: 2023-01-10', "2024-11-15", False),  # before 2024 rules
    ],
)
def test_2024_referential_requirements_bind_a_2018_certified_host_only_after_its_transition(
    tmp_path: Path, certificate: str | None, day: str, bound: bool
) -> None:
    """EXI 05 H, 12, 14, 28, 29, 30 and 31 bind a host certified under the 2018 referential
    only once its transition ended (16 May 2026 inclusive), as they do for HDS-LOC-01."""
    text = HOST_2018.replace("CERTIFICATE", certificate or "")
    if certificate is None:
        text = text.split("certifications:")[0]
    path = tmp_path / "host.yaml"
    path.write_text(text)
    found = rule_ids_of(path, day)
    assert found & REFERENTIAL_2024 == (REFERENTIAL_2024 if bound else set()), sorted(found)


def rule_ids_of(path: Path, day: str) -> set[str]:
    report = run(Options(paths=[path], as_of=dt.date.fromisoformat(day)))
    assert not report.errors, report.errors
    return {f.rule_id for f in report.findings}


@pytest.mark.parametrize(("issued", "fails"), [("2024-11-15", False), ("2024-11-16", True)])
def test_no_new_2018_hds_certificate_from_16_november_2024(
    tmp_path: Path, issued: str, fails: bool
) -> None:
    text = (DEPLOYMENTS / "hds-2018-certificate.yaml").read_text()
    path = tmp_path / "host.yaml"
    path.write_text(text.replace("issued: 2024-01-10", f"issued: {issued}"))
    report = run(Options(paths=[path], as_of=dt.date(2025, 6, 1)))
    assert not report.errors, report.errors
    assert ("HDS-CERT-01" in {f.rule_id for f in report.findings}) is fails


def test_dpf_alone_is_flagged_even_when_valid() -> None:
    assert "US-DPF-02" in rule_ids("us-storage-dpf.yaml", "2026-11-28")


@pytest.mark.parametrize(
    ("day", "fails"), [("2026-05-15", False), ("2026-05-16", False), ("2026-05-17", True)]
)
def test_2018_hds_certificate_accepted_until_the_transition_ends(day: str, fails: bool) -> None:
    assert ("HDS-CERT-02" in rule_ids("hds-2018-certificate.yaml", day)) is fails


def test_hds_certificate_expires_three_years_after_issue() -> None:
    # issued 2024-01-10, no expiry declared: the 3 years come from the knowledge base
    assert "HDS-CERT-01" not in rule_ids("hds-2018-certificate.yaml", "2026-05-15")
    assert "HDS-CERT-01" in rule_ids("hds-2018-certificate.yaml", "2027-01-10")


def test_tia_staleness_is_configurable(runner: CliRunner) -> None:
    path = str(DEPLOYMENTS / "transfers-mixed.yaml")  # TIA dated 2026-03-01

    def tia_findings(*extra: str) -> list[dict]:
        result = runner.invoke(
            app,
            [
                "check",
                path,
                "--as-of",
                "2026-11-28",
                "--format",
                "json",
                "--fail-on",
                "never",
                *extra,
            ],
        )
        assert result.exit_code == 0, result.output
        return [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "GDPR-TIA-01"]

    assert tia_findings() == []  # 272 days old, within the default 365
    (stale,) = tia_findings("--tia-max-age", "180")
    assert "transfer to us-lab" in stale["message"]
    assert any(
        f["path"] == "parameter.tia_max_age_days" and f["value"] == 180 for f in stale["facts"]
    )


def report_on(path: Path, day: str, **options: object):  # type: ignore[no-untyped-def]
    report = run(Options(paths=[path], as_of=dt.date.fromisoformat(day), **options))  # type: ignore[arg-type]
    assert not report.errors, report.errors
    return report


GDPR_PACKS = ("GDPR-", "US-", "EDPB-", "JUR-")


@pytest.mark.parametrize(("day", "gdpr_applies"), [("2018-05-24", False), ("2018-05-25", True)])
def test_gdpr_rules_apply_from_25_may_2018_and_not_before(day: str, gdpr_applies: bool) -> None:
    """GDPR Art. 99(2): a US store relying on a DPF that did not exist yet is a GDPR-XFER-01
    finding from the GDPR's first day; the day before, no GDPR rule judges it and the audit
    says that the law of that day is not encoded, instead of passing."""
    found = rule_ids("us-storage-dpf.yaml", day)
    assert ("GDPR-XFER-01" in found) is gdpr_applies
    assert ("US-DPF-01" in found) is gdpr_applies
    assert ("CORE-LAW-01" in found) is not gdpr_applies


BEFORE_GDPR = ("gdpr", "edpb", "jurisdiction", "dns", "drift", "risk", "waivers")
"""The packs none of whose rules judge a day before the GDPR applied (25 May 2018)."""


@pytest.mark.parametrize("day", ["2017-01-01", "1990-01-01"])
def test_an_audit_before_the_gdpr_fails_closed_on_the_law_it_does_not_encode(
    runner: CliRunner, day: str
) -> None:
    """Nothing was judged under the law of the day: the CORE-LAW findings say the audit cannot
    be verified (high, never a pass), not that a violation was established, and they name no
    text as the law of a day before it existed (Directive 95/46/EC: 24 October 1995)."""
    path = str(SAMPLES / "doctolib-2021.yaml")
    result = runner.invoke(app, ["check", path, "--as-of", day, "--format", "json"])
    assert result.exit_code == 1, result.output  # never a pass
    findings = json.loads(result.stdout)["findings"]
    assert not [f for f in findings if f["rule_id"].startswith(GDPR_PACKS)]
    by_rule = {f["rule_id"]: f for f in findings}
    assert set(by_rule) == {"CORE-LAW-01", "CORE-LAW-02"}
    for law in by_rule.values():
        assert law["unverifiable"] is True
        assert law["severity"] == "high"
        assert "then in force" not in law["message"]
    gdpr = by_rule["CORE-LAW-01"]
    assert gdpr["message"].startswith(
        "cannot be verified for doctolib-vaccination-2021: unknown law.gdpr. "
        "doctolib-vaccination-2021 is audited as of a day before the GDPR applied (25 May 2018): "
        "no data protection law of that day is encoded (neither Directive 95/46/EC of 24 October "
        "1995 as transposed by each Member State, nor any earlier law), so no rule of the gdpr, "
        "edpb, jurisdiction, dns, drift, risk or waivers packs judged this deployment"
    )
    assert all(f" {pack}" in gdpr["message"] for pack in BEFORE_GDPR)
    assert (
        "neither the ministerial approval (agrément) required under art. L.1111-8 CSP"
        in (by_rule["CORE-LAW-02"]["message"])
    )
    # The GDPR is cited once it existed (adopted 27 April 2016), the Directive always: an audit
    # of any earlier day cites the first law not encoded, its label giving its date.
    gdpr_label = (
        "GDPR Art. 99(2) (applies from 25 May 2018; the Regulation repeals Directive 95/46/EC)"
    )
    assert [r["label"] for r in gdpr["references"]] == [
        *([gdpr_label] if day >= "2016-04-27" else []),
        # no word of the GDPR replacing it: an audit of 2015 cites it before that was known
        "Directive 95/46/EC of 24 October 1995 (not encoded)",
    ]
    text = runner.invoke(app, ["check", path, "--as-of", day, "--format", "text"])
    assert (
        "2 finding(s): 0 failed check(s), 2 cannot be verified (all 2 by severity: 2 high)"
        in text.stdout
    )


def test_every_pack_named_by_core_law_01_starts_with_the_gdpr_or_later() -> None:
    packs = {p.name: p for p in load_packs()}
    for name in BEFORE_GDPR:
        starts = [r.effective_from for r in packs[name].rules]
        assert all(d is not None and d >= dt.date(2018, 5, 25) for d in starts), name
    judging = {
        p.name for p in packs.values() if any(r.in_effect(dt.date(2018, 5, 24)) for r in p.rules)
    }
    assert judging == {"core", "hds"}  # hds: certification from 1 April 2018 (CORE-LAW-02)


@pytest.mark.parametrize(
    ("name", "day", "rule"),
    [
        ("hds-2018-certificate.yaml", "2018-03-31", "CORE-LAW-02"),
        ("secnumcloud-claim-us-owned.yaml", "2022-03-07", "CORE-LAW-03"),
    ],
)
def test_a_regime_not_encoded_on_the_day_cannot_be_verified(name: str, day: str, rule: str) -> None:
    report = run(Options(paths=[DEPLOYMENTS / name], as_of=dt.date.fromisoformat(day)))
    assert not report.errors, report.errors
    (law,) = [f for f in report.findings if f.rule_id == rule]
    assert law.unverifiable and law.severity.name == "HIGH"
    assert "then in force" not in law.message and " is encoded" in law.message


@pytest.mark.parametrize(("day", "certification"), [("2018-03-31", False), ("2018-04-01", True)])
def test_hds_rules_judge_certification_only_from_1_april_2018(
    day: str, certification: bool
) -> None:
    """Before décret n° 2018-137, hosting health data needed a ministerial approval, which the
    hds rules do not encode: no certification is judged, and the audit says so."""
    found = rule_ids("hds-2018-certificate.yaml", day)
    # the host's certificate was issued on 2024-01-10: in 2018 its activities were uncovered
    assert ("HDS-ACT-01" in found) is certification
    assert ("CORE-LAW-02" in found) is not certification


def test_no_hds_law_finding_when_hds_does_not_apply() -> None:
    assert "CORE-LAW-02" not in rule_ids("us-storage-dpf.yaml", "2017-06-01")  # no health data


@pytest.mark.parametrize(("day", "judged"), [("2022-03-07", False), ("2022-03-08", True)])
def test_secnumcloud_claims_are_judged_only_under_version_3_2(day: str, judged: bool) -> None:
    found = rule_ids("secnumcloud-claim-us-owned.yaml", day)
    assert ("SNC-196-B" in found) is judged
    assert ("CORE-LAW-03" in found) is not judged


def labels(report, rule: str) -> list[str]:  # type: ignore[no-untyped-def]
    cited = [r.label for f in report.findings if f.rule_id == rule for r in f.references]
    described = [r.label for info in report.rules if info.id == rule for r in info.references]
    return cited + described


@pytest.mark.parametrize(
    ("day", "version", "absent"),
    [
        ("2021-03-01", "v1.0 (adopted 10 November 2020", "v2.0"),
        ("2021-06-17", "v1.0 (adopted 10 November 2020", "v2.0"),
        ("2021-06-18", "v2.0 (adopted 18 June 2021)", "v1.0"),
    ],
)
def test_findings_cite_the_version_of_the_edpb_recommendations_that_existed(
    day: str, version: str, absent: str
) -> None:
    """Recommendations 01/2020: v1.0 of 10 November 2020 until v2.0 of 18 June 2021."""
    report = report_on(SAMPLES / "doctolib-2021.yaml", day)
    recommendations = [x for x in labels(report, "JUR-EXPO-01") if "01/2020" in x]
    assert recommendations and all(version in x for x in recommendations), recommendations
    assert not [x for x in recommendations if absent in x]


@pytest.mark.parametrize(("day", "cited"), [("2021-06-01", False), ("2025-06-04", True)])
def test_guidelines_adopted_after_the_as_of_date_are_not_cited(day: str, cited: bool) -> None:
    """EDPB Guidelines 02/2024 v2.0 (4 June 2025) did not exist for an audit of 2021: neither
    the finding nor the rule's description in the report (SARIF) cites them."""
    report = report_on(SAMPLES / "doctolib-2021.yaml", day)
    found = labels(report, "GDPR-48-01")
    assert found  # the rule judged the deployment (AWS: US parent, no Art. 48 procedure)
    assert any("GDPR Art. 48" in x for x in found)
    assert any("Guidelines 02/2024" in x for x in found) is cited


@pytest.mark.parametrize(("day", "judged"), [("2022-03-29", False), ("2022-03-30", True)])
def test_the_probability_threshold_is_judged_from_its_source_rrb_542_2022(
    day: str, judged: bool
) -> None:
    """The 10 % threshold's only source is the canton of Zurich's RRB 542/2022 of 30 March
    2022: no threshold is judged on an earlier day (the flows still show their estimate)."""
    report = report_on(FIXTURES / "risk" / "override-interest.yaml", day)
    assert report.flows
    found = [f for f in report.findings if f.rule_id == "RISK-PROB-01"]
    assert bool(found) is judged
    assert all(any("542/2022" in r.label for r in f.references) for f in found)


def test_privacy_shield_remediation_names_only_tools_of_their_day() -> None:
    """On the day of Schrems II neither the 2021/914 clauses nor the DPF existed: the advice
    dates each tool instead of prescribing them."""
    report = report_on(DEPLOYMENTS / "us-storage-privacy-shield.yaml", "2020-07-16")
    (shield,) = [f for f in report.findings if f.rule_id == "US-PS-01"]
    text = " ".join(shield.remediation.split())
    assert not text.startswith("Rely on SCCs 2021/914")
    assert "Decision 2010/87/EU (controller to processor)" in text
    assert "those of Decision (EU) 2021/914 from 27 June 2021" in text
    assert "From 10 July 2023, the EU-US Data Privacy Framework" in text


def test_a_certificate_declared_under_a_referential_not_yet_in_force(tmp_path: Path) -> None:
    """A 2024 certificate as of 1 April 2018 (its issue date not given, so it is judged): the
    advice is not to declare what is declared."""
    text = (DEPLOYMENTS / "hds-2018-certificate.yaml").read_text()
    path = tmp_path / "host.yaml"
    declared = 'referential: "2018", issued: 2024-01-10'
    assert declared in text
    path.write_text(text.replace(declared, 'referential: "2024"'))
    report = report_on(path, "2018-04-01")
    (cert,) = [f for f in report.findings if f.rule_id == "HDS-CERT-02"]
    assert cert.message == (
        "HDS certificate of host is declared under the 2024 referential, which is not in force on "
        "the audit date"
    )
    remediation = " ".join(cert.remediation.split())
    assert 'declare `referential: "2024"`' not in remediation
    assert "the 2024 referential from 16 November 2024" in remediation
    assert "check the declared referential and the audit date" in remediation

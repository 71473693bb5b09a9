"""Every rule honours --as-of: the legal dates come from the knowledge base and the findings
change on the exact day the law did."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
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
        "region: eu-west-2,", "region: eu-west-2, copies: [{kind: backup, region: us-east-2}],"
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
    says that the law then in force is not encoded, instead of passing."""
    found = rule_ids("us-storage-dpf.yaml", day)
    assert ("GDPR-XFER-01" in found) is gdpr_applies
    assert ("US-DPF-01" in found) is gdpr_applies
    assert ("CORE-LAW-01" in found) is not gdpr_applies


def test_an_audit_before_the_gdpr_fails_closed_on_the_law_it_does_not_encode(
    runner: CliRunner,
) -> None:
    path = str(SAMPLES / "doctolib-2021.yaml")
    result = runner.invoke(app, ["check", path, "--as-of", "2017-06-01", "--format", "json"])
    assert result.exit_code == 1, result.output  # never a pass
    findings = json.loads(result.stdout)["findings"]
    assert not [f for f in findings if f["rule_id"].startswith(GDPR_PACKS)]
    (law,) = [f for f in findings if f["rule_id"] == "CORE-LAW-01"]
    assert law["severity"] == "high"
    assert "before the GDPR applied (25 May 2018)" in law["message"]
    assert "Directive 95/46/EC" in law["message"]
    kb_fact = next(x for x in law["facts"] if x["path"] == "kb.instruments.gdpr")
    assert kb_fact["value"].startswith("not in force on 2017-06-01")
    assert kb_fact["source"] == "kb:instruments.yaml#gdpr"
    # The GDPR is cited for the day it applies from (it existed: adopted 27 April 2016), with
    # the law in force instead, which is not encoded.
    assert [r["label"] for r in law["references"]] == [
        "GDPR Art. 99(2) (applies from 25 May 2018; the Regulation repeals Directive 95/46/EC)",
        "Directive 95/46/EC (replaced by the GDPR on 25 May 2018; not encoded)",
    ]


@pytest.mark.parametrize(("day", "certification"), [("2018-03-31", False), ("2018-04-01", True)])
def test_hds_rules_judge_certification_only_from_1_april_2018(
    day: str, certification: bool
) -> None:
    """Before décret n° 2018-137, hosting health data needed a ministerial approval, which the
    hds rules do not encode: no certificate is judged, and the audit says so."""
    found = rule_ids("hds-2018-certificate.yaml", day)
    assert ("HDS-CERT-01" in found) is certification  # issued 2024-01-10: not yet current
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

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

"""A certificate declared with `expires` and no `issued` counts only on days it can have
existed: its referential's length (`certificate_years`) bounds its issue day, as HDS-CERT-01
bounds its end from `issued`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import FIXTURES

EXPIRES_ONLY = FIXTURES / "deployments" / "hds-certificate-expires-only.yaml"
"""A French host certified for activities 4-6, its certificate declared as `expires:
2029-12-31` only: with 3-year certificates it was issued on 2027-01-01 at the earliest."""


def verdicts(runner: CliRunner, path: Path, day: str) -> dict[str, str]:
    """Rule id -> "fail" or "unverifiable" of the HDS certificate rules, audited on `day`."""
    result = runner.invoke(
        app, ["check", str(path), "--as-of", day, "-f", "json", "--fail-on", "never"]
    )
    assert result.exit_code == 0, result.output
    return {
        f["rule_id"]: "unverifiable" if f["unverifiable"] else "fail"
        for f in json.loads(result.stdout)["findings"]
        if f["rule_id"] in ("HDS-CERT-01", "HDS-ACT-01")
    }


def with_referential(tmp_path: Path, referential: str) -> Path:
    path = tmp_path / "host.yaml"
    text = EXPIRES_ONLY.read_text()
    assert 'referential: "2018"' in text
    path.write_text(text.replace('referential: "2018"', f'referential: "{referential}"'))
    return path


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # before 2027-01-01 it did not exist: uncovered, as a certificate issued later is
        ("2019-01-01", {"HDS-ACT-01": "fail"}),
        ("2026-12-31", {"HDS-ACT-01": "fail"}),
        # then issued on an unknown day, perhaps after the audit date: fail closed
        ("2027-01-01", {"HDS-ACT-01": "unverifiable", "HDS-CERT-01": "unverifiable"}),
        ("2029-12-30", {"HDS-ACT-01": "unverifiable", "HDS-CERT-01": "unverifiable"}),
        ("2029-12-31", {}),  # issued by its last day, whatever the day was
        ("2030-01-01", {"HDS-ACT-01": "fail", "HDS-CERT-01": "fail"}),  # expired
    ],
)
def test_a_certificate_without_issue_date_counts_only_when_it_must_have_existed(
    runner: CliRunner, tmp_path: Path, day: str, expected: dict[str, str]
) -> None:
    assert verdicts(runner, with_referential(tmp_path, "2024"), day) == expected


@pytest.mark.parametrize("day", ["2019-01-01", "2026-05-16"])
def test_a_2018_certificate_expiring_in_2029_did_not_exist_before_2027(
    runner: CliRunner, day: str
) -> None:
    """QA reproduction: no finding at all on these days before the fix."""
    assert verdicts(runner, EXPIRES_ONLY, day) == {"HDS-ACT-01": "fail"}


def test_a_2018_certificate_issued_after_the_referential_closed_is_not_valid(
    runner: CliRunner,
) -> None:
    """Expiring 2029-12-31, it was issued from 2027-01-01: the 2018 referential took no new
    certificates from 2024-11-16, so it is treated as `issued: 2027-01-01` would be."""
    result = runner.invoke(
        app, ["check", str(EXPIRES_ONLY), "--as-of", "2027-06-01", "--fail-on", "never"]
    )
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.stdout.splitlines() if "HDS-CERT-01" in x]
    assert "issued on or after 2027-01-01" in line
    assert "hds-referential-2018 took no new certificates (from 2024-11-16)" in line
    assert verdicts(runner, EXPIRES_ONLY, "2027-06-01")["HDS-CERT-01"] == "fail"


def test_an_expiry_before_the_issue_date_is_an_input_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "host.yaml"
    path.write_text(
        EXPIRES_ONLY.read_text().replace(
            "    expires: 2029-12-31", "    issued: 2025-06-01\n    expires: 2025-01-01"
        )
    )
    result = runner.invoke(app, ["check", str(path), "--as-of", "2025-03-01"])
    assert result.exit_code == 2, result.output
    assert (
        f"{path}:25:14: error: certifications[0].expires: 2025-01-01 is before its issue date "
        "2025-06-01" in result.stderr
    )


def test_a_certificate_without_issue_date_says_which_date_is_missing(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Its validity was declared (an expiry date): a finding saying only "unknown
    certification.validity" reads as if nothing were; it names the missing issue date."""
    result = runner.invoke(
        app,
        ["check", str(with_referential(tmp_path, "2024")), "--as-of", "2028-01-01"],
    )
    (line,) = [x for x in result.stdout.splitlines() if "HDS-CERT-01" in x]
    assert "cannot be verified" in line
    assert "(issue date: unknown; expiry date: 2029-12-31)" in line
    assert "issued on a day nobody declared, perhaps after the audit date" in line

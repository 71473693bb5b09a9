"""The 2024 HDS referential was published in the JO on 16 May 2024 and applies from 16 November
2024, when new applicants were first assessed against it (legal-notes §11.4). A certificate
declared under it does not count before that day, whatever the audit date: HDS-CERT-02 says it is
not in force before 16 November 2024, and HDS-CERT-01 says one issued earlier is not valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import SAMPLES

DECLARED = """\
    referential: "2024"
    issued: 2025-03-01                   # illustrative
    expires: 2028-02-29                  # illustrative
"""


def certified(tmp_path: Path, dates: str) -> Path:
    """The sovereign-hospital sample, its host's 2024 HDS certificate carrying `dates`."""
    text = (SAMPLES / "sovereign-hospital.yaml").read_text()
    assert DECLARED in text
    path = tmp_path / "host.yaml"
    path.write_text(text.replace(DECLARED, f'    referential: "2024"\n{dates}'))
    return path


def check(runner: CliRunner, path: Path, day: str) -> tuple[int, dict[str, list[dict]]]:
    result = runner.invoke(app, ["check", str(path), "--format", "json", "--as-of", day])
    findings: dict[str, list[dict]] = {}
    for f in json.loads(result.stdout)["findings"]:
        findings.setdefault(f["rule_id"], []).append(f)
    return result.exit_code, findings


@pytest.mark.parametrize(
    ("day", "dates", "in_force"),
    [
        # no issue date: it may have existed on 2024-11-15 (issued from then, three years
        # before its expiry), so it is judged on that day
        ("2024-11-15", "    expires: 2027-11-14\n", False),
        # one issued on the day the referential applied (one with no issue date would be
        # issued on a day nobody knows, perhaps after the audit date: cannot be verified)
        ("2024-11-16", "    issued: 2024-11-16\n    expires: 2027-11-15\n", True),
    ],
)
def test_a_2024_certificate_counts_from_16_november_2024_not_from_its_publication(
    runner: CliRunner, tmp_path: Path, day: str, dates: str, in_force: bool
) -> None:
    path = certified(tmp_path, dates)
    code, findings = check(runner, path, day)
    assert ("HDS-CERT-02" not in findings) is in_force
    assert ("HDS-ACT-01" not in findings) is in_force  # a certificate not in force covers nothing
    assert (code == 0) is in_force
    if not in_force:
        (cert,) = findings["HDS-CERT-02"]
        assert cert["severity"] == "high"
        assert cert["message"].endswith("which is not in force on the audit date")


def test_a_2024_certificate_issued_before_the_referential_applied_is_never_valid(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Issued on 1 June 2024, between publication and application: no certifier could issue it
    under the 2024 referential then, so it is not valid, on that day's audit or a later one.
    An audit before the referential applied does not name the day it would (the knowledge base
    does not say when that day became known: QA, a lawyer reading past audits)."""
    path = certified(tmp_path, "    issued: 2024-06-01\n    expires: 2027-05-31\n")
    code, findings = check(runner, path, "2024-07-01")
    assert code == 1
    assert {"HDS-CERT-01", "HDS-CERT-02"} <= set(findings)
    (cert,) = findings["HDS-CERT-01"]
    said = " ".join(str(x["value"]) for x in cert["facts"])
    assert (
        "issued on 2024-06-01, under hds-referential-2024, not in force then nor on 2024-07-01"
        in (said)
    )
    assert cert["message"].endswith(
        "it was issued on 2024-06-01, under hds-referential-2024, not in force then nor on "
        "2024-07-01"
    )
    assert "2024-11-16" not in said + cert["message"]
    code, findings = check(runner, path, "2025-06-01")
    assert "HDS-CERT-02" not in findings  # the referential is in force then
    assert "HDS-CERT-01" in findings and code == 1


@pytest.mark.parametrize(
    ("dates", "day", "because"),
    [
        (
            "    issued: 2024-06-01\n    expires: 2027-05-31\n",
            "2025-06-01",
            "it was issued on 2024-06-01, before hds-referential-2024 applied (2024-11-16)",
        ),
        (
            "    issued: 2025-03-01\n    expires: 2026-03-01\n",
            "2026-03-02",
            "its last valid day was 2026-03-01",
        ),
        (
            "    issued: 2025-03-01\n    expires: 2031-03-01\n",
            "2028-03-01",
            "the last day of its 3-year period was 2028-02-29 (hds-referential-2024)",
        ),
    ],
)
def test_hds_cert_01_says_why_a_certificate_is_not_valid(
    runner: CliRunner, tmp_path: Path, dates: str, day: str, because: str
) -> None:
    """QA: "(issued 2024-06-01, expires 2027-05-31) is not valid on the audit date" on a day
    within those dates read as a contradiction in a CI log or SARIF; the reason was only among
    the facts."""
    _, findings = check(runner, certified(tmp_path, dates), day)
    (cert,) = findings["HDS-CERT-01"]
    assert cert["message"].endswith(f"is not valid on the audit date: {because}"), cert["message"]

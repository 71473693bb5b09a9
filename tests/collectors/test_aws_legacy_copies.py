"""Observed files written before copies named their keys (`Key=`): an S3 replica or an AWS
Backup copy naming none is on an unknown key, not silently on its source's."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import FIXTURES

OBSERVED = FIXTURES / "observed"
AS_OF = "2026-11-29"


def key_findings(runner: CliRunner, observed: Path) -> list[tuple[bool, str]]:
    """(unverifiable, message) of the DRIFT-KEY-01 findings comparing `observed` with the
    declaration (an external key store for every bucket)."""
    result = runner.invoke(
        app,
        [
            "check",
            str(OBSERVED / "s3-declared.yaml"),
            "--observed",
            str(observed),
            "--as-of",
            AS_OF,
            "-f",
            "json",
        ],
    )
    report = json.loads(result.stdout)
    return sorted(
        (f["unverifiable"], f["message"])
        for f in report["findings"]
        if f["rule_id"] == "DRIFT-KEY-01"
    )


def test_an_s3_replica_naming_no_key_is_on_an_unknown_key(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The same observation as discover writes it today, with its copies' `Key=` tokens taken
    out (as an earlier version wrote it): the replica whose rule names a KMS key was judged on
    the bucket's declared external key store and passed; it cannot be verified instead."""
    today = OBSERVED / "s3-replicas.yaml"
    legacy = tmp_path / "legacy.yaml"
    text = today.read_text()
    assert "Key=" in text
    legacy.write_text(
        "\n".join(
            line.split(" Key=")[0].rstrip()
            for line in text.splitlines()
            if not line.strip().startswith("Key=")
        )
        + "\n"
    )
    assert "Key=" not in legacy.read_text()
    now = key_findings(runner, today)
    before = key_findings(runner, legacy)
    kms = [m for u, m in now if not u and "observed customer-managed-in-provider-kms" in m]
    assert kms  # today: the replica's KMS key, judged against the external key store
    unread = [m for u, m in before if u and "unread key of replica of" in m]
    assert len(unread) == 2, before  # legacy: both replicas' keys unknown, none passed
    assert not [m for u, m in before if "observed customer-managed" in m]

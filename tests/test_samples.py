"""The bundled samples give the outcomes the README promises."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, SAMPLES


def check(runner: CliRunner, *args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["check", *args, "--format", "json", "--as-of", str(AS_OF)])
    return result.exit_code, json.loads(result.stdout)


def test_doctolib_reports_us_law_exposure_with_cloud_act_and_fisa(runner: CliRunner) -> None:
    code, report = check(runner, str(SAMPLES / "doctolib-2021.yaml"))
    exposure = [f for f in report["findings"] if f["rule_id"] == "JUR-EXPO-01"]
    assert [f["component"] for f in exposure] == ["booking-app"]
    labels = " ".join(r["label"] for r in exposure[0]["references"])
    assert "CLOUD Act" in labels and "FISA" in labels
    assert not [f for f in report["findings"] if f["rule_id"].startswith("HDS-LOC")]
    assert exposure[0]["severity"] == "medium"  # exposure without a transfer: a warning
    # the host's EXI 30 disclosure and an Art. 48 procedure are not declared (high)
    assert code == 1


def test_backup_copy_to_us_fails_on_the_backup_line(runner: CliRunner) -> None:
    path = SAMPLES / "backup-outside-eea.yaml"
    code, report = check(runner, str(path))
    line = next(
        i
        for i, text in enumerate(path.read_text().splitlines(), 1)
        if "kind: snapshot-copy" in text
    )
    located = {(f["rule_id"], f["location"]["line"]) for f in report["findings"]}
    assert ("HDS-LOC-01", line) in located
    assert ("GDPR-XFER-01", line) in located
    assert code == 1


def test_sovereign_hospital_passes_at_medium(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "check",
            str(SAMPLES / "sovereign-hospital.yaml"),
            "--fail-on",
            "medium",
            "--as-of",
            str(AS_OF),
        ],
    )
    assert result.exit_code == 0, result.stdout

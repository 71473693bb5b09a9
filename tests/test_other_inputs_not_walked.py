"""A directory audited with `check DIR` holds other inputs of the run too: the waiver file at a
repository's root (the GitHub Action audits "."), an observation beside its declaration, a rule
pack. Its walk leaves them out; one named as a deployment as well is an input error."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, FIXTURES, SAMPLES

READ_ON = dt.date(2026, 11, 29)
"""The day tests/fixtures/observed/s3-replicas.yaml was read (test_drift_found.READ_ON)."""


def check(runner: CliRunner, *args: str, as_of: dt.date = AS_OF) -> tuple[int, dict, str]:
    result = runner.invoke(
        app, ["check", *args, "--format", "json", "--as-of", str(as_of), "--fail-on", "never"]
    )
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_the_waiver_file_in_the_audited_directory_is_no_deployment(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: `check . --waivers residency-waivers.yaml` reported `residency-waivers.yaml:1:1:
    error: missing required key 'components'` and exited 2, so the Action's gate always failed."""
    shutil.copy(SAMPLES / "backup-outside-eea.yaml", tmp_path / "backup.yaml")
    shutil.copy(FIXTURES / "waivers" / "backup-tia.yaml", tmp_path / "residency-waivers.yaml")
    monkeypatch.chdir(tmp_path)
    code, report, stderr = check(runner, ".", "--waivers", "residency-waivers.yaml")
    assert (code, report["errors"], stderr) == (0, [], "")
    deployments = [i["path"] for i in report["inputs"] if i["role"] == "deployment"]
    assert deployments == ["backup.yaml"]
    assert any(f["status"] == "waived" for f in report["findings"])


def test_an_observation_beside_its_declaration_is_audited_once(
    runner: CliRunner, tmp_path: Path
) -> None:
    """QA: `check deploy/ --observed deploy/s3-replicas.yaml` audited the observation twice,
    as a deployment and as an observation: 86 findings instead of 44, SARIF fingerprints twice."""
    deploy = tmp_path / "deploy"
    shutil.copytree(FIXTURES / "observed", deploy)
    seen = str(deploy / "s3-replicas.yaml")
    _, alone, _ = check(runner, str(deploy / "s3-declared.yaml"), "--observed", seen, as_of=READ_ON)
    code, walked, stderr = check(runner, str(deploy), "--observed", seen, as_of=READ_ON)
    assert (code, walked["errors"], stderr) == (0, [], "")
    assert len(walked["findings"]) == len(alone["findings"]) > 0
    keys = [json.dumps(f, sort_keys=True) for f in walked["findings"]]
    assert len(keys) == len(set(keys))


def test_a_rule_pack_under_the_audited_directory_is_no_deployment(
    runner: CliRunner, tmp_path: Path
) -> None:
    shutil.copy(SAMPLES / "sovereign-hospital.yaml", tmp_path / "hospital.yaml")
    shutil.copytree(FIXTURES / "user_rules" / "good", tmp_path / "packs" / "acme")
    code, report, stderr = check(runner, str(tmp_path), "--rules", str(tmp_path / "packs"))
    assert (code, report["errors"], stderr) == (0, [], "")
    assert [i["path"] for i in report["inputs"] if i["role"] == "deployment"] == [
        str(tmp_path / "hospital.yaml")
    ]


def test_a_file_named_both_as_deployment_and_as_waivers_is_an_input_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    backup = tmp_path / "backup.yaml"
    shutil.copy(SAMPLES / "backup-outside-eea.yaml", backup)
    waivers = tmp_path / "residency-waivers.yaml"
    shutil.copy(FIXTURES / "waivers" / "backup-tia.yaml", waivers)
    code, report, stderr = check(runner, str(backup), str(waivers), "--waivers", str(waivers))
    assert code == 2
    assert stderr == (
        f"{waivers}:1:1: error: also given as --waivers, which is not a deployment; leave it "
        "out of the files to audit\n"
    )
    assert report["findings"]  # the deployment is still audited

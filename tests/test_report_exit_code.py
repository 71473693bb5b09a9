"""`residency-audit report` exits as `check` did on the result it renders, with its own
`--fail-on`: a CI step gating on it gates the same, and never exits 0 under a SARIF saying 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, FIXTURES, SAMPLES

FAILING = str(SAMPLES / "backup-outside-eea.yaml")
CLEAN = str(SAMPLES / "sovereign-hospital.yaml")


def checked(runner: CliRunner, saved: Path, *args: str) -> int:
    """`check ARGS --format json -o SAVED`, and its exit code."""
    result = runner.invoke(
        app, ["check", *args, "--as-of", str(AS_OF), "-f", "json", "-o", str(saved)]
    )
    return result.exit_code


def rendered(runner: CliRunner, saved: Path, *args: str) -> tuple[int, int, str]:
    """`report SAVED -f sarif ARGS`: the exit code, the one SARIF says, and stderr."""
    result = runner.invoke(app, ["report", str(saved), "-f", "sarif", *args])
    sarif = json.loads(result.stdout)
    return result.exit_code, sarif["runs"][0]["invocations"][0]["exitCode"], result.stderr


@pytest.mark.parametrize(
    ("paths", "fail_on", "code"),
    [
        ([FAILING], "high", 1),
        ([FAILING], "never", 0),
        ([CLEAN], "high", 0),
        ([CLEAN, str(FIXTURES / "deployments" / "malformed.yaml")], "never", 2),
    ],
)
def test_report_exits_as_check_did(
    runner: CliRunner, tmp_path: Path, paths: list[str], fail_on: str, code: int
) -> None:
    saved = tmp_path / "r.json"
    assert checked(runner, saved, *paths, "--fail-on", fail_on) == code
    exit_code, said, _ = rendered(runner, saved, "--fail-on", fail_on)
    assert exit_code == said == code


def test_report_gates_with_its_own_fail_on(runner: CliRunner, tmp_path: Path) -> None:
    saved = tmp_path / "r.json"
    checked(runner, saved, CLEAN, "--fail-on", "never")
    assert rendered(runner, saved, "--fail-on", "medium")[:2] == (0, 0)
    assert rendered(runner, saved, "--fail-on", "low")[:2] == (1, 1)


def test_a_partial_result_fails_report_as_it_failed_check(
    runner: CliRunner, tmp_path: Path
) -> None:
    saved = tmp_path / "r.json"
    checked(runner, saved, CLEAN)
    data = json.loads(saved.read_text())
    # as `check --observed` saves it when an AWS call was refused
    data.update(complete=False, partial=["obs.yaml: rds DescribeDBInstances not observed"])
    saved.write_text(json.dumps(data, indent=2))
    assert rendered(runner, saved)[:2] == (1, 1)


def test_the_input_errors_of_the_result_are_on_stderr(runner: CliRunner, tmp_path: Path) -> None:
    """As `check` writes them: the reason for exit 2 is in the CI log, whatever the format."""
    saved, malformed = tmp_path / "r.json", str(FIXTURES / "deployments" / "malformed.yaml")
    checked(runner, saved, CLEAN, malformed)
    (error,) = json.loads(saved.read_text())["errors"]
    _, _, stderr = rendered(runner, saved)
    assert f"{error['path']}:{error['line']}:{error['column']}: error: {error['message']}" in stderr

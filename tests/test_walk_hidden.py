"""A directory's audit reads its deployment files, not the YAML of other tools kept in hidden
directories (`check .` in a repository: .github/workflows/*.yml, .pre-commit-config.yaml),
which would stop the run with exit 2; a hidden path named on the command line is still read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, SAMPLES

WORKFLOW = "on: push\njobs: {audit: {runs-on: ubuntu-latest, steps: [{run: make}]}}\n"


def repository(root: Path) -> Path:
    shutil.copy(SAMPLES / "backup-outside-eea.yaml", root / "prod.yaml")
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    (root / ".pre-commit-config.yaml").write_text("repos: []\n")
    (root / ".hidden-deploy").mkdir()
    shutil.copy(SAMPLES / "doctolib-2021.yaml", root / ".hidden-deploy" / "old.yaml")
    return root


def audited(runner: CliRunner, *paths: Path) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["check", *map(str, paths), "-f", "json", "--as-of", str(AS_OF)])
    return result.exit_code, [i["path"] for i in json.loads(result.stdout)["inputs"]]


def test_a_directory_walk_skips_hidden_directories_and_files(
    runner: CliRunner, tmp_path: Path
) -> None:
    root = repository(tmp_path)
    code, inputs = audited(runner, root)
    assert inputs == [str(root / "prod.yaml")]
    assert code == 1  # the sample's findings, not an input error


def test_a_hidden_path_named_is_read(runner: CliRunner, tmp_path: Path) -> None:
    root = repository(tmp_path)
    code, inputs = audited(runner, root / ".hidden-deploy", root / ".github" / "workflows")
    assert inputs == [  # in path order, as every run's files
        str(root / ".github" / "workflows" / "ci.yml"),
        str(root / ".hidden-deploy" / "old.yaml"),
    ]
    assert code == 2  # the workflow is read, and is no deployment


def test_a_directory_holding_only_hidden_yaml_is_still_an_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / ".only.yaml").write_text("name: x\n")
    result = runner.invoke(app, ["check", str(tmp_path), "--as-of", str(AS_OF)])
    assert result.exit_code == 2
    assert "no deployment files (*.yaml, *.yml) found under" in result.stderr

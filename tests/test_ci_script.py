"""`.ci/run` runs the suite with CI=true whatever the caller inherited: with CI=false, tests
whose real servers (moto, unbound) are missing would skip instead of failing the build."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.mark.parametrize("inherited", ["false", "0", ""])
def test_the_ci_script_runs_the_suite_with_ci_true(tmp_path: Path, inherited: str) -> None:
    # The script in a copy of the tree whose dependency installer does nothing, and with a
    # `python` that reports the CI it was given instead of running the suite.
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    _executable(tmp_path / "scripts" / "install-test-deps.sh", "#!/bin/sh\nexit 0\n")
    _executable(tmp_path / "bin" / "python", '#!/bin/sh\necho "CI=$CI"\n')
    env = {**os.environ, "CI": inherited, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", str(tmp_path / ".ci" / "run")], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout == "CI=true\n"

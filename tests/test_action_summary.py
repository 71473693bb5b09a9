"""The GitHub Action's job summary stays small: the Markdown report of one sample is 75,000
characters, past what a pull-request comment takes, and a batch's runs to megabytes, past what
GitHub keeps of a step summary (scripts/step_summary.py cites where these limits come from).
The action writes the full report to a file and the summary shows it whole only when it fits.

These tests run the script of action.yml's audit step in bash, as the runner would, with the
`${{ }}` values it reads through `env` given as environment variables."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT, SAMPLES

LIMIT = 60_000  # characters: scripts/step_summary.py


def run_step(workspace: Path, paths: str) -> tuple[int, str, dict[str, str]]:
    """Run the action's audit step; its exit code, step summary and outputs."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "run"]
    # `residency-audit` as the action installs it: this checkout's code, on the PATH.
    bin_dir = workspace / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "residency-audit"
    tool.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m residency_audit "$@"\n')
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    if shutil.which("python") is None:  # the action's setup-python puts `python` on the PATH
        (bin_dir / "python").symlink_to(sys.executable)
    summary, outputs = workspace / "step_summary", workspace / "outputs"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "RA_PATHS": paths,
        "RA_FAIL_ON": "high",
        "RA_SARIF": "residency-audit.sarif",
        "RA_MARKDOWN": "residency-audit.md",
        "RA_ACTION": str(ROOT),
        "RA_WAIVERS": "",
        "RA_BASELINE": "",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    written = dict(line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines())
    return done.returncode, summary.read_text(encoding="utf-8"), written


def test_a_large_report_is_cut_in_the_summary_and_kept_whole_in_its_file(
    tmp_path: Path,
) -> None:
    shutil.copy(SAMPLES / "backup-outside-eea.yaml", tmp_path / "records.yaml")
    code, summary, outputs = run_step(tmp_path, "records.yaml")
    full = (tmp_path / "residency-audit.md").read_text(encoding="utf-8")
    assert (code, outputs["exit-code"]) == (1, "1")
    assert len(full) > 65_536  # what the old action wrote to the summary: too long a comment
    assert len(summary) <= LIMIT
    kept, note = summary.split("\n---\n\n**Report cut for the step summary:** ")
    assert full.startswith(kept)  # its beginning: scope, CI gate and summary table
    assert "**CI gate (fail-on high):** failed" in kept
    assert "| Severity | Failed checks | Cannot be verified | Findings |" in kept
    assert kept.endswith("\n")  # cut between lines, never inside one
    assert note.endswith(
        f"({len(kept):,} of {len(full):,} characters) shown. The full report is "
        "`residency-audit.md`: upload it as an artifact to read it all.\n"
    )


def test_a_small_report_is_the_summary_whole(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "sovereign-hospital.yaml", tmp_path / "prod.yaml")
    code, summary, outputs = run_step(tmp_path, "prod.yaml")
    assert (code, outputs["exit-code"]) == (0, "0")
    assert summary == (tmp_path / "residency-audit.md").read_text(encoding="utf-8")
    assert "Report cut" not in summary

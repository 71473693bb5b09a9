"""The manifest's "Reproduce with" and "How to verify", followed to the letter where the report
was filed (QA: `Reproduce with: residency-audit check ... -f html -o d1.html` run in the same
directory overwrote the filed report, whose hash then changed with its Generated line)."""

from __future__ import annotations

import datetime as dt
import hashlib
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.model import Report
from residency_audit.reporters.common import reproduce_command
from tests.conftest import SAMPLES
from tests.support.reports import invocation

DATED = ["--as-of", "2026-11-28"]
FILED = ["-f", "html", "-o", "d1.html", "-f", "markdown", "-o", "d1.md"]


def said(report: str, start: str) -> list[str]:
    """The command a Markdown report gives after `start`, as a shell splits it."""
    (line,) = (line for line in report.splitlines() if line.startswith(start))
    command = line.removeprefix(start).split("`")[1]
    words = shlex.split(command)
    assert words[0] == "residency-audit"
    return words[1:]


@pytest.fixture
def filed(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A lawyer's directory: the deployment, and the reports of its audit (today's date)."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLES / "backup-outside-eea.yaml", "deploy.yaml")
    result = runner.invoke(app, ["check", "deploy.yaml", *FILED, "-f", "json", "-o", "d1.json"])
    assert result.exit_code == 1, result.output
    return Path("d1.md").read_text(encoding="utf-8")


def test_the_reproduce_line_run_as_written_leaves_the_filed_reports_alone(
    runner: CliRunner, filed: str
) -> None:
    before = {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in ("d1.html", "d1.md")}
    args = said(filed, "- Reproduce with: ")
    assert args[-2:] == ["--as-of", args[-1]]  # the audit date, left to default, is added
    assert runner.invoke(app, args).exit_code == 1
    after = {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in ("d1.html", "d1.md")}
    assert after == before
    # what the re-run's report differs in is what "How to verify" says it differs in
    again = Path("reproduced-d1.md").read_text(encoding="utf-8").splitlines()
    changed = {a.split(":")[0] for a, b in zip(filed.splitlines(), again, strict=True) if a != b}
    assert changed <= {"- **Generated", "- Generated", "- Command line", "- Reproduce with"}
    assert Path("reproduced-d1.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_json_of_the_verify_command_is_the_audits_byte_for_byte(
    runner: CliRunner, filed: str
) -> None:
    args = said(filed, "- Re-run: ")
    assert args[-4:] == ["-f", "json", "-o", "reproduced.json"]
    assert "d1.html" not in args
    assert runner.invoke(app, args).exit_code == 1
    assert Path("reproduced.json").read_bytes() == Path("d1.json").read_bytes()
    for step in ("- Inputs: `sha256sum FILE`", "- Rule packs: a pack's SHA-256 covers"):
        assert any(line.startswith(step) for line in filed.splitlines())
    assert "### How to verify" in filed.splitlines()
    page = Path("d1.html").read_text(encoding="utf-8")
    assert f"<li>Re-run: <code>{shlex.join(['residency-audit', *args])}</code> writes" in page


@pytest.mark.parametrize(
    ("written", "reproduced"),
    [
        (["-o", "out/d1.html"], ["-o", "out/reproduced-d1.html", *DATED]),
        (["--output=d1.html"], ["--output=reproduced-d1.html", *DATED]),
        (["-od1.html"], ["-oreproduced-d1.html", *DATED]),
        (["-o", "-"], ["-o", "-", *DATED]),  # stdout
        # after `--`, "-o" is a deployment file's name
        (["-o", "d1.html", "--", "-o"], ["-o", "reproduced-d1.html", *DATED, "--", "-o"]),
    ],
)
def test_every_way_of_naming_an_output_is_renamed(
    written: list[str], reproduced: list[str]
) -> None:
    command = shlex.join(["residency-audit", "check", "d.yaml", "-f", "html", *written])
    report = Report("0.1.0", dt.date(2026, 11, 28), (), (), (), (), invocation=invocation(command))
    assert reproduce_command(report) == shlex.join(
        ["residency-audit", "check", "d.yaml", "-f", "html", *reproduced]
    )

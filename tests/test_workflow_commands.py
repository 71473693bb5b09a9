"""The GitHub Action prints the text report in the job's log, where the runner reads a line
starting with `::` (after blanks) or holding `##[` as a workflow command (an annotation, a
masked value, stopped commands). Names, ids and messages from the inputs must not print one."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF, SAMPLES

ANNOTATION = "::error file=evil.yaml,line=1::injected annotation"
LEGACY = "##[error]legacy command"
COMMAND = re.compile(r"^\s*::|##\[", re.MULTILINE)


def commands(text: str) -> list[str]:
    """The lines of `text` the Actions runner would take for workflow commands."""
    return [line for line in text.splitlines() if COMMAND.search(line)]


def hostile(tmp_path: Path) -> list[Path]:
    """The sovereign-hospital sample named as a workflow command; the backup sample named as
    a legacy one, with another in a party's name (the flows table shows it) and in a key the
    input-error message quotes."""
    text = (SAMPLES / "sovereign-hospital.yaml").read_text(encoding="utf-8")
    one = tmp_path / "one.yaml"
    one.write_text(
        re.sub(r"(?m)^name: .*$", f'name: "{ANNOTATION}"', text, count=1), encoding="utf-8"
    )
    backup = (SAMPLES / "backup-outside-eea.yaml").read_text(encoding="utf-8")
    two = tmp_path / "two.yaml"
    two.write_text(
        re.sub(r"(?m)^name: .*$", f'name: "{LEGACY}"', backup, count=1)
        .replace("name: Amazon Web Services EMEA SARL", 'name: "##[warning]AWS EMEA"')
        .replace("description:", '"##[error]in a key": 1\ndescription:', 1),
        encoding="utf-8",
    )
    return [one, two]


def test_the_text_report_prints_no_workflow_command(tmp_path: Path) -> None:
    one, two = hostile(tmp_path)
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        "waivers:\n  - rule: GDPR-XFER-01\n"
        "    target: {deployment: '::notice::waived'}\n"  # its WAIVER-EXP-01 heads a section
        "    justification: x\n    approved_by: dpo@example.org\n    expires: 2026-01-31\n",
        encoding="utf-8",
    )
    args = ["check", str(one), str(two), "--waivers", str(waivers), "--as-of", str(AS_OF)]
    result = CliRunner().invoke(app, [*args, "--fail-on", "never"], env={"NO_COLOR": "1"})
    assert result.exit_code == 2, result.output  # the unknown key
    assert commands(result.stdout) == []
    assert commands(result.stderr) == []
    # shown, with a backslash, not dropped
    assert f"\\{ANNOTATION} ({one})" in result.stdout.splitlines()
    assert "\\::notice::waived (" in result.stdout
    assert "unknown key '##\\[error]in a key'" in result.stderr


def test_a_report_written_with_a_batch_of_workers_prints_none_either(tmp_path: Path) -> None:
    one, _ = hostile(tmp_path)
    for i in range(3):
        (tmp_path / f"{i}.yaml").write_text(
            one.read_text().replace(ANNOTATION, f"{ANNOTATION} {i}"), encoding="utf-8"
        )
    one.unlink()
    (tmp_path / "two.yaml").unlink()
    result = CliRunner().invoke(
        app, ["check", str(tmp_path), "-j", "2", "--as-of", str(AS_OF), "--fail-on", "never"]
    )
    assert result.exit_code == 0, result.output
    assert commands(result.stdout) == [] and result.stdout.count(f"\\{ANNOTATION}") >= 3


def test_markdown_and_the_terminal_print_none(tmp_path: Path) -> None:
    from rich.console import Console

    from residency_audit.reporters import OutputFormat, render, terminal

    one, two = hostile(tmp_path)
    two.write_text(two.read_text().replace('"##[error]in a key": 1\n', ""))
    report = run(Options(paths=[one, two], as_of=AS_OF))
    assert not report.errors
    markdown = render(report, OutputFormat.MARKDOWN)
    assert isinstance(markdown, str)
    assert [line for line in markdown.splitlines() if re.match(r"\s*::", line)] == []
    out = io.StringIO()
    terminal.show(report, Console(file=out, width=300, color_system=None), None)
    assert commands(out.getvalue()) == []


def test_a_file_named_as_a_command_with_many_errors_prints_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past 50 errors of one file, the text says how many more the JSON lists, on a line that
    starts with the file's name: a file named `::error::x.yaml`, audited from its directory
    (the Action's `paths: .`), must not make it a command."""
    monkeypatch.chdir(tmp_path)
    bad = Path("::error::x.yaml")
    components = "".join(
        f"  - {{id: c{i}, kind: datastore, provider: aws, region: eu-west-3, colour: red}}\n"
        for i in range(60)
    )
    bad.write_text(f"schema_version: 1\nname: x\ncomponents:\n{components}", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(bad), "--as-of", str(AS_OF), "-f", "text"])
    said = result.stdout + result.stderr
    assert result.exit_code == 2, said
    assert "more errors (--format json lists them)" in said
    assert commands(said) == []

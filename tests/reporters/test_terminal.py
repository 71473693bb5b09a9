"""The rich terminal report prints what the inputs say, as written: a name holding rich markup
is text, never styling, and never stops the run."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from residency_audit.pipeline import Options, run
from residency_audit.reporters import terminal
from tests.conftest import AS_OF, SAMPLES

NAME = "Amazon [/b] EMEA [bold red]SARL"


def test_markup_in_a_name_prints_as_written(tmp_path: Path) -> None:
    sample = (SAMPLES / "doctolib-2021.yaml").read_text(encoding="utf-8")
    assert "name: Amazon Web Services EMEA SARL" in sample
    hostile = tmp_path / "deploy [red].yaml"
    hostile.write_text(
        sample.replace("name: Amazon Web Services EMEA SARL", f'name: "{NAME}"'), encoding="utf-8"
    )
    report = run(Options(paths=[hostile], as_of=AS_OF))
    console = Console(record=True, width=400, color_system="truecolor", highlight=False)
    terminal.show(report, console, None)
    text = console.export_text(clear=False)
    assert f"aws-emea ({NAME})" in text  # the JUR-01 finding
    assert f"{NAME} (parent US)" in text  # the flows table
    assert f"{hostile}" in text  # the table titles
    assert "\x1b[1;31mhigh" in console.export_text(styles=True)  # severities keep their colour


def _rows(report_text: str, rule: str) -> list[tuple[str, str]]:
    """Each row of `rule`: its first line and the line under it."""
    lines = report_text.splitlines()
    return [
        (line, lines[i + 1])
        for i, line in enumerate(lines)
        if line.startswith("│") and f" {rule} " in line
    ]


def test_the_table_tells_a_failure_from_a_finding_that_cannot_be_verified_and_a_waived_one(
    tmp_path: Path,
) -> None:
    """Both kinds were in one red `high`, told apart only by the words their message starts
    with, and a waived finding looked open: the text report says ` [waived]`, the table did
    not. A Verdict column says which each row is."""
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - rule: HDS-LOC-01\n    target: {deployment: clinique-exemple-records}\n"
        "    justification: Backup repatriation planned\n    approved_by: dpo@example.org\n"
        "    expires: 2099-12-31\n"
    )
    report = run(Options(paths=[SAMPLES / "backup-outside-eea.yaml"], as_of=AS_OF, waivers=waivers))
    console = Console(record=True, width=200, highlight=False)
    terminal.show(report, console, None)
    text = console.export_text(clear=False)
    assert "┃ Severity ┃ Verdict       ┃ Rule" in text
    [(failed, _)] = _rows(text, "GDPR-ART9-01")  # no DPIA declared: a failure
    assert "│ failed        │" in failed
    unknown = _rows(text, "GDPR-28-01")  # no processor list declared: unknown
    assert unknown and all("│ cannot verify │" in first for first, _ in unknown)
    [(waived, under)] = _rows(text, "HDS-LOC-01")
    assert "│ failed        │" in waived and "│ waived        │" in under

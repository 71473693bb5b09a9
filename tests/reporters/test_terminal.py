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

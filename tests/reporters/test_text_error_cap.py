"""The text report shows a file's first input errors, then says how many more the JSON report
lists, and that the loader stopped reading the file: "lists them all" would promise errors the
loader never read."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF


def test_the_text_counts_the_errors_json_holds_and_says_reading_stopped(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "hostile.yaml"
    rows = [f"  - {{id: c{i}, kind: bogus{i}, bad_key: 1}}" for i in range(1200)]
    path.write_text("name: hostile\ncomponents:\n" + "\n".join(rows) + "\n")
    listed = json.loads(
        runner.invoke(app, ["check", str(path), "-f", "json", "--as-of", str(AS_OF)]).stdout
    )["errors"]
    result = runner.invoke(app, ["check", str(path), "-f", "text", "--as-of", str(AS_OF)])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith(str(path))]
    (stop,) = [e for e in listed if e["message"].endswith("stopped reading this file")]
    assert lines[-1] == f"{path}:{stop['line']}:{stop['column']}: error: {stop['message']}"
    more = len(listed) - 1 - 50  # less the note and the errors the text shows
    assert lines[-2] == f"{path}: ... and {more} more errors (--format json lists them)"
    assert len(lines) == 52

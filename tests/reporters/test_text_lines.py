"""The plain text report (a pipe, a CI log, NO_COLOR) gives each finding on a line of its own
that starts with `path:line:col:`, so a CI problem matcher anchored at `^` picks it up."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, SAMPLES


def test_every_finding_is_a_line_starting_with_its_place(runner: CliRunner) -> None:
    sample = str(SAMPLES / "backup-outside-eea.yaml")
    args = ["check", sample, "--as-of", str(AS_OF)]
    findings = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)["findings"]
    text = runner.invoke(app, args, env={"NO_COLOR": "1"}).stdout
    matched = [
        line
        for line in text.splitlines()
        if re.match(r"^([^:\s]+):(\d+):(\d+): (\w+) (\S+) ", line)
    ]
    expected = [
        "{path}:{line}:{column}: ".format(**f["location"]) + f"{f['severity']} {f['rule_id']} "
        for f in findings
    ]
    assert len(findings) > 10 and len(matched) == len(findings)
    assert [line[: len(start)] for line, start in zip(matched, expected, strict=True)] == expected

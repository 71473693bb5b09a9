"""`discover aws --help` names every service the collector reads: it listed six of nine, so
its reader did not learn that EBS, EC2 and Lambda are read too (and need IAM permissions),
which the README said."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.collectors.aws import SERVICES


def test_the_help_names_every_service_read(runner: CliRunner) -> None:
    result = runner.invoke(app, ["discover", "aws", "--help"])
    assert result.exit_code == 0
    said = re.search(r"\(([^)]*)\)", " ".join(result.stdout.split()))
    assert said is not None
    named = {name.strip().lower() for name in said.group(1).split(",")}
    assert named == set(SERVICES)

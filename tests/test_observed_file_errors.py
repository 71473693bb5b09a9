"""An observed file (`discover aws` output) that no collector of this tool could have written is
an input error at its line, exit 2, audited alone or with `--observed`: never judged as an AWS
account, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.collectors.test_aws_discovery import line_after
from tests.conftest import AS_OF
from tests.test_declared_not_observed import DECLARED, observed_text, write

EVIDENCE = '"2026-11-20T10:00:00Z", region: eu-west-3, resource: "arn:aws:s3:::patients-eu"}\n'
"""The tail of the bucket's evidence, to which `observed(at=...)` gives another time."""


def observed(tmp_path: Path, *, collector: str = "aws", started: str = "", at: str = "") -> Path:
    """An observation of one bucket read with evidence, its collector, start or evidence time
    replaced."""
    text = observed_text().replace(
        "    shared_with: []\n",
        "    shared_with: []\n"
        f"    evidence: {{service: s3, call: ListBuckets, observed_at: {EVIDENCE}",
    )
    text = text.replace("collector: aws", f"collector: {collector}")
    if started:
        text = text.replace('started_at: "2026-11-20T10:00:00Z"', f'started_at: "{started}"')
    if at:
        text = text.replace(EVIDENCE, EVIDENCE.replace("2026-11-20T10:00:00Z", at))
    return write(tmp_path, "observed.yaml", text)


def refused(runner: CliRunner, tmp_path: Path, seen: Path) -> list[str]:
    """The errors of `seen`, audited alone and with `--observed` (the same), exit 2 both."""
    decl = write(tmp_path, "declared.yaml", DECLARED.replace("{region}", "eu-west-3"))
    out = []
    for args in ([str(seen)], [str(decl), "--observed", str(seen)]):
        result = runner.invoke(app, ["check", *args, "--as-of", str(AS_OF)])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.stdout + result.stderr
        errors = [line for line in result.stderr.splitlines() if ": error: " in line]
        out.append(errors)
    assert out[0] == out[1]
    return out[0]


def test_an_unknown_collector_is_an_input_error_at_its_line(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: `collector: gcp` was audited as an AWS account (AWS rules, AWS regions)."""
    seen = observed(tmp_path, collector="gcp")
    line = line_after(seen, "observation:", "collector:")
    assert refused(runner, tmp_path, seen) == [
        f"{seen}:{line}:14: error: observation.collector: unknown collector 'gcp'; expected "
        "aws (the files `residency-audit discover` writes)"
    ]


@pytest.mark.parametrize(
    ("stamp", "why"),
    [
        # year 0 once in UTC: the date library overflowed (internal error, exit 3)
        ("0001-01-01T00:30:00+01:00", "falls outside the years 1 to 9999 in UTC"),
        ("2026-02-30T10:00:00Z", "is not an ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ)"),
        ("2026-11-20", "is not an ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ)"),
    ],
)
def test_an_observation_time_that_is_no_time_is_an_input_error_at_its_line(
    stamp: str, why: str, tmp_path: Path, runner: CliRunner
) -> None:
    seen = observed(tmp_path, started=stamp)
    line = line_after(seen, "observation:", "started_at:")
    hint = "the files `residency-audit discover aws` writes have one such as 2026-11-28T09:30:00Z"
    assert refused(runner, tmp_path, seen) == [
        f"{seen}:{line}:15: error: started_at {stamp!r} {why}; {hint}"
    ]


def test_an_evidence_time_beyond_the_calendar_is_an_input_error_at_its_line(
    tmp_path: Path, runner: CliRunner
) -> None:
    seen = observed(tmp_path, at="9999-12-31T23:30:00-01:00")
    [error] = refused(runner, tmp_path, seen)
    line = line_after(seen, "id: s3-patients-eu", "evidence:")
    assert error.startswith(f"{seen}:{line}:")
    assert "observed_at '9999-12-31T23:30:00-01:00' falls outside the years 1 to 9999" in error

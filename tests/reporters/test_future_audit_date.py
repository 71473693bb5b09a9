"""An audit dated after the day its report is made presumes that what was known that day still
holds then (QA: `--as-of 2027-03-01` reported the DPF valid that day with no note, though the
knowledge base records an appeal pending): the human and evidence formats say so; the JSON
result, the same whatever day it is made, does not."""

from __future__ import annotations

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import SAMPLES

MADE = "1795824000"  # SOURCE_DATE_EPOCH: 2026-11-28, the day the report is made
SAMPLE = str(SAMPLES / "doctolib-2021.yaml")
SAID = "is after the day this report was made (2026-11-28): its verdicts presume"


def check(runner: CliRunner, as_of: str, *options: str) -> str:
    result = runner.invoke(
        app, ["check", SAMPLE, "--as-of", as_of, *options], env={"SOURCE_DATE_EPOCH": MADE}
    )
    assert result.exit_code == 1, result.output
    return result.stdout


def test_a_later_audit_date_is_said_to_presume_what_was_known(runner: CliRunner) -> None:
    text = check(runner, "2026-11-29")
    assert f"warning: the audit date 2026-11-29 {SAID}" in text.splitlines()[1]
    assert f"> **Audit date after this report.** The audit date 2026-11-29 {SAID}" in check(
        runner, "2026-11-29", "-f", "markdown"
    )
    assert f"Audit date after this report.</strong> The audit date 2026-11-29 {SAID}" in check(
        runner, "2026-11-29", "-f", "html"
    )
    assert "after the day" not in check(runner, "2026-11-29", "-f", "json")


def test_an_audit_dated_the_day_it_is_made_or_before_says_nothing_of_it(
    runner: CliRunner,
) -> None:
    for as_of in ("2026-11-28", "2021-03-01"):
        for fmt in ("text", "markdown", "html"):
            assert "after the day this report was made" not in check(runner, as_of, "-f", fmt)

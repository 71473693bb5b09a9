"""An audit dated after the day its report is made presumes that what was known that day still
holds then (QA: `--as-of 2027-03-01` reported the DPF valid that day with no note, though the
knowledge base records an appeal pending): the human and evidence formats say so; the JSON
result, the same whatever day it is made, does not. That day is the clock's: SOURCE_DATE_EPOCH
pins the timestamp for reproducible output, and may be any day (QA: with a 2021 epoch, an audit
as of today was said to be after the day the report was made, 2021-03-12)."""

from __future__ import annotations

import datetime as dt

from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.clock import utc_today
from tests.conftest import SAMPLES

EPOCH_2021 = "1615507200"  # SOURCE_DATE_EPOCH: 2021-03-12T00:00:00Z
SAMPLE = str(SAMPLES / "doctolib-2021.yaml")


def check(runner: CliRunner, as_of: dt.date, *options: str, epoch: str | None = None) -> str:
    env = {"SOURCE_DATE_EPOCH": epoch}  # None: unset
    result = runner.invoke(app, ["check", SAMPLE, "--as-of", as_of.isoformat(), *options], env=env)
    assert result.exit_code == 1, result.output
    return result.stdout


def said(as_of: dt.date, today: dt.date) -> str:
    return f"he audit date {as_of} is after the day this report was made ({today}): its verdicts"


def test_a_later_audit_date_is_said_to_presume_what_was_known(runner: CliRunner) -> None:
    today = utc_today()
    later = today + dt.timedelta(days=1)
    assert f"warning: t{said(later, today)}" in check(runner, later).splitlines()[1]
    assert f"> **Audit date after this report.** T{said(later, today)}" in check(
        runner, later, "-f", "markdown"
    )
    assert f"Audit date after this report.</strong> T{said(later, today)}" in check(
        runner, later, "-f", "html"
    )
    assert "after the day" not in check(runner, later, "-f", "json")


def test_the_day_compared_is_the_clocks_not_source_date_epochs(runner: CliRunner) -> None:
    today = utc_today()
    for fmt in ("text", "markdown", "html"):
        assert "after the day" not in check(runner, today, "-f", fmt, epoch=EPOCH_2021)
    later = today + dt.timedelta(days=1)
    text = check(runner, later, "-f", "markdown", epoch=EPOCH_2021)
    assert f"T{said(later, today)}" in text
    assert "(2021-03-12)" not in text


def test_an_audit_dated_the_day_it_is_made_or_before_says_nothing_of_it(
    runner: CliRunner,
) -> None:
    for as_of in (utc_today(), dt.date(2021, 3, 1)):
        for fmt in ("text", "markdown", "html"):
            assert "after the day this report was made" not in check(runner, as_of, "-f", fmt)

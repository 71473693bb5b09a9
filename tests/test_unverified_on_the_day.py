"""The report's "unverified knowledge used" names only what the audit could rest on that day:
a rule's `depends_on` entries in effect on the as-of date (a text not yet adopted, or already
replaced, is not relied on), plus any entry whose dates a verdict of that day consulted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import FIXTURES, SAMPLES

DEPLOYMENTS = FIXTURES / "deployments"


def unverified_used(runner: CliRunner, path: Path, day: str) -> list[str]:
    result = runner.invoke(
        app, ["check", str(path), "--as-of", day, "-f", "json", "--fail-on", "never"]
    )
    assert result.exit_code == 0, result.output
    used: list[str] = json.loads(result.stdout)["knowledge"]["unverified_used"]
    return used


def entry(name: str) -> str:
    return f"kb:instruments.yaml#{name}"


@pytest.mark.parametrize(
    ("path", "day", "absent", "present"),
    [
        # décret 2026-209 (SREN art. 32) was adopted in 2026 (HDS-LOC-01, HDS-RA-01/02)
        (DEPLOYMENTS / "uk-host-store.yaml", "2024-11-16", "sren-decree-2026-209", None),
        (DEPLOYMENTS / "uk-host-store.yaml", "2026-11-28", None, "sren-decree-2026-209"),
        # Conseil d'État ruling 444937 is of 13 October 2020 (JUR-02)
        (SAMPLES / "backup-outside-eea.yaml", "2020-10-12", "ce-444937", None),
        (SAMPLES / "backup-outside-eea.yaml", "2020-10-13", None, "ce-444937"),
        # Recommendations 01/2020: v1.0 of 10 November 2020, replaced by v2.0 of 18 June 2021
        (SAMPLES / "doctolib-2021.yaml", "2021-03-01", "edpb-recommendations-01-2020-v2", None),
        (SAMPLES / "doctolib-2021.yaml", "2021-03-01", None, "edpb-recommendations-01-2020-v1"),
        (SAMPLES / "doctolib-2021.yaml", "2026-03-01", "edpb-recommendations-01-2020-v1", None),
        (SAMPLES / "doctolib-2021.yaml", "2026-03-01", None, "edpb-recommendations-01-2020-v2"),
    ],
)
def test_unverified_knowledge_used_lists_only_texts_in_effect_that_day(
    runner: CliRunner, path: Path, day: str, absent: str | None, present: str | None
) -> None:
    used = unverified_used(runner, path, day)
    if absent is not None:
        assert entry(absent) not in used
    if present is not None:
        assert entry(present) in used


def test_the_text_header_agrees(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        ["check", str(DEPLOYMENTS / "uk-host-store.yaml"), "--as-of", "2024-11-16"],
    )
    (note,) = [x for x in result.output.splitlines() if "unverified knowledge" in x]
    assert "hds-decree-2018-137" in note
    assert "sren-decree-2026-209" not in note


@pytest.mark.parametrize(("day", "referential"), [("2026-11-28", "2018"), ("2020-10-12", "2024")])
def test_a_verdict_resting_on_a_text_not_in_force_still_lists_it(
    runner: CliRunner, day: str, referential: str
) -> None:
    """A 2018 HDS certificate judged after the 2018 referential ended (HDS-CERT-02 fails on
    that end date), or a 2024 one judged before the 2024 referential applied: the finding
    rests on that referential's unverified dates, so the audit still lists it."""
    path = (
        DEPLOYMENTS / "hds-2018-certificate.yaml"
        if referential == "2018"
        else SAMPLES / "backup-outside-eea.yaml"
    )
    result = runner.invoke(
        app, ["check", str(path), "--as-of", day, "-f", "json", "--fail-on", "never"]
    )
    report = json.loads(result.stdout)
    (cert,) = [f for f in report["findings"] if f["rule_id"] == "HDS-CERT-02"]
    assert any(x["source"] == entry(f"hds-referential-{referential}") for x in cert["facts"])
    assert entry(f"hds-referential-{referential}") in report["knowledge"]["unverified_used"]


def test_rules_bound_by_the_end_of_the_2018_transition_still_list_that_referential(
    runner: CliRunner,
) -> None:
    """On 2026-11-28 the 2018 referential had ended: the host holds only a 2024 certificate,
    yet the 2024 requirements bind it because the 2018 transition ended on the knowledge
    base's (unverified) date, so the findings cite that entry and the audit lists it."""
    result = runner.invoke(
        app,
        ["check", str(SAMPLES / "backup-outside-eea.yaml"), "--as-of", "2026-11-28", "-f", "json"],
    )
    report = json.loads(result.stdout)
    binds = [
        x
        for f in report["findings"]
        for x in f["facts"]
        if x["path"] == "hds.referential_2024_binds"
    ]
    assert binds and all(x["source"] == entry("hds-referential-2018") for x in binds)
    assert entry("hds-referential-2018") in report["knowledge"]["unverified_used"]

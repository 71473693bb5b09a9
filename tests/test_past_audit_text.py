"""A report of a past day states no legal fact that was not yet true on that day: rule titles
name no later event, knowledge-base facts tell no later start or end, a law's uncertain status
is said only from the day it was recorded, prose written as of the knowledge base says so when
it may name later instruments, and values from unverified knowledge are marked in the flows
table as in the findings (QA, a lawyer reading reports as of 2015 to 2023)."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit import kb
from residency_audit.cli import app
from residency_audit.engine.rules import load_packs
from tests.conftest import SAMPLES

US_STORE = """\
schema_version: 1
name: us-{tool}
controller: clinic
data: {{categories: [health], health_context: care}}
parties:
  - {{id: clinic, name: Clinique SAS, role: controller, country: FR}}
  - {{id: aws-us, name: "Amazon Web Services, Inc.", role: processor, country: US, provider: aws}}
components:
  - id: records
    kind: datastore
    provider: aws
    operator: aws-us
    service: s3
    region: us-east-1
transfers:
  - {{recipient: aws-us, tool: {tool}, countries: [US], tia_reference: TIA-1, tia_date: 2015-01-01}}
"""
"""The QA lawyer's deployments: AWS in us-east-1 on the Privacy Shield or the DPF, the
recipient declared on no adequacy list."""

NOTE = (
    "Rationale, remediation and caveats are written as of the knowledge base (checked {day}) "
    "and may mention later instruments; what existed on the audit date is in each finding's "
    "references and facts."
)


def deployment(tmp_path: Path, tool: str) -> Path:
    path = tmp_path / f"us-{tool}.yaml"
    path.write_text(US_STORE.format(tool=tool))
    return path


def report(runner: CliRunner, path: Path, day: str | None, fmt: str = "markdown") -> str:
    args = ["check", str(path), "-f", fmt, "--fail-on", "never"]
    result = runner.invoke(app, [*args, *(["--as-of", day] if day else [])])
    assert result.exit_code == 0, result.output
    return result.stdout


def checked() -> dt.date:
    day = kb.default().checked()
    assert day is not None
    return day


# -- 1. rule titles --------------------------------------------------------------------------


YEAR = re.compile(r"\b(?:19|20)\d\d\b")
"""A year named in a title (16 July 2020, Decision 2010/87/EU), taken as its 1 January."""


def test_no_rule_title_names_a_year_after_the_first_day_the_rule_is_in_effect() -> None:
    """A title is every report's heading, whatever the audit date: "No reliance on the EU-US
    Privacy Shield after its invalidation on 16 July 2020" headed a report as of 15 July 2020.
    The dates are in the rationale and the references, which are chosen per date."""
    late = {
        rule.id: rule.title
        for pack in load_packs()
        for rule in pack.rules
        if any(
            dt.date(int(year), 1, 1) > (rule.effective_from or dt.date.min)
            for year in YEAR.findall(rule.title)
        )
    }
    assert late == {}


def test_the_privacy_shield_heading_of_the_day_before_schrems_ii(
    runner: CliRunner, tmp_path: Path
) -> None:
    text = report(runner, deployment(tmp_path, "privacy-shield"), "2020-07-15")
    [heading] = [x for x in text.splitlines() if x.startswith("#### CRITICAL US-PS-01")]
    assert "16 July 2020" not in heading
    assert "invalidation" not in heading


# -- 2. knowledge-base facts -------------------------------------------------------------------


def test_a_decision_not_yet_adopted_is_not_in_force_with_no_date_to_come(
    runner: CliRunner, tmp_path: Path
) -> None:
    text = report(runner, deployment(tmp_path, "dpf"), "2020-07-15")
    facts = {x for x in text.splitlines() if x.startswith("- `kb.adequacy.us-dpf` = ")}
    assert facts
    assert {x.split(" — ")[0] for x in facts} == {
        "- `kb.adequacy.us-dpf` = not in force on 2020-07-15"
    }


def test_a_decision_in_force_does_not_tell_its_later_end(runner: CliRunner, tmp_path: Path) -> None:
    """The day before Schrems II, the Privacy Shield was in force with no end anyone knew."""
    path = deployment(tmp_path, "privacy-shield")
    before = report(runner, path, "2020-07-15")
    assert (
        "- `kb.adequacy.us-privacy-shield` = in force on 2020-07-15: valid from 2016-08-01 — "
        in (before)
    )
    assert "2020-07-16" not in before
    after = report(runner, path, "2020-07-17")  # once ended, its period is said in full
    assert (
        "- `kb.adequacy.us-privacy-shield` = not in force on 2020-07-17: valid 2016-08-01 to "
        "2020-07-16 (exclusive) — "
    ) in after


# -- 3. a law's uncertain status ---------------------------------------------------------------


@pytest.mark.parametrize("day", ["2020-07-15", "2023-07-11"])
def test_fisa_702_is_not_said_uncertain_before_the_day_the_knowledge_base_recorded_it(
    runner: CliRunner, tmp_path: Path, day: str
) -> None:
    """It was checked `uncertain` on 2026-10-01 (lapsed in June 2026, by its note)."""
    text = report(runner, deployment(tmp_path, "privacy-shield"), day)
    assert "FISA Section 702" in text
    assert "status uncertain" not in text


def test_fisa_702_is_said_uncertain_from_that_day(runner: CliRunner, tmp_path: Path) -> None:
    law = kb.default().laws["us-fisa-702"]
    assert law.status == "uncertain" and law.status_as_of is not None
    path = deployment(tmp_path, "privacy-shield")
    on = report(runner, path, law.status_as_of.isoformat())
    assert f"status uncertain on {law.status_as_of}" in on
    before = report(runner, path, (law.status_as_of - dt.timedelta(days=1)).isoformat())
    assert "status uncertain" not in before


# -- 4. prose written as of the knowledge base ---------------------------------------------------


def test_a_past_audit_says_once_that_rule_prose_may_name_later_instruments(
    runner: CliRunner, tmp_path: Path
) -> None:
    """US-PS-01's remediation as of 15 July 2020 names Decision (EU) 2021/914 and the 2023
    DPF; HDS-CERT-02's, the 2024 referential in an audit of Doctolib as of 12 March 2021."""
    note = NOTE.format(day=checked())
    path = deployment(tmp_path, "privacy-shield")
    for text in (
        report(runner, path, "2020-07-15"),
        report(runner, SAMPLES / "doctolib-2021.yaml", "2021-03-12"),
    ):
        assert text.count(note) == 1
    page = report(runner, path, "2020-07-15", "html")
    assert page.count(note.replace("'", "&#39;")) == 1
    result = json.loads(report(runner, path, "2020-07-15", "json"))
    assert result["knowledge"]["prose_note"] == note
    assert result["knowledge"]["checked"] == checked().isoformat()
    sarif = json.loads(report(runner, path, "2020-07-15", "sarif"))
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes if n["level"] == "note"] == [note]
    junit = ET.fromstring(report(runner, path, "2020-07-15", "junit"))
    assert [s.get("message") for s in junit.iter("skipped")].count(note) == 1


def test_an_audit_as_of_the_knowledge_base_check_has_no_such_note(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = deployment(tmp_path, "privacy-shield")
    text = report(runner, path, checked().isoformat())
    assert "written as of the knowledge base" not in text
    assert (
        json.loads(report(runner, path, checked().isoformat(), "json"))["knowledge"]["prose_note"]
        is None
    )


# -- 5. what is only undeclared ----------------------------------------------------------------


def test_a_recipient_not_declared_on_the_privacy_shield_list_is_said_so(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Amazon Web Services, Inc. was on the Privacy Shield list; the deployment does not say so.
    The report must not state that the Privacy Shield did not cover it."""
    text = report(runner, deployment(tmp_path, "privacy-shield"), "2020-07-15")
    [message] = [x for x in text.splitlines() if x.startswith("transfer to aws-us (US) relies")]
    assert "the recipient is not declared on the Privacy Shield list (recipient lists: none)" in (
        message
    )
    assert (
        "- `transfer.tool.privacy-shield` = invalid: recipient not declared on the EU-U.S. "
        "Privacy Shield list (privacy-shield-list)"
    ) in text
    [placed] = [x for x in text.splitlines() if x.startswith("records (primary) puts")]
    assert placed.endswith("with no transfer tool valid on the audit date as declared")


# -- 6. unverified knowledge in the flows -------------------------------------------------------


def test_unverified_knowledge_only_flows_use_is_listed_and_marked(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Before 25 May 2018 no finding cites the provider's parent or the US laws, but the flows
    table shows them: the banner lists them and the table marks them."""
    path = deployment(tmp_path, "privacy-shield")
    result = json.loads(report(runner, path, "2015-10-05", "json"))
    used = result["knowledge"]["unverified_used"]
    assert {"kb:providers.yaml#aws", "kb:laws.yaml#us-fisa-702"} <= set(used)
    text = report(runner, path, "2015-10-05")
    assert "> **Unverified knowledge used:** " in text
    [row] = [x for x in text.splitlines() if x.startswith("| `records` | storage")]
    assert "aws-us (parent: US) **(unverified)**" in row
    assert "`us-fisa-702` **(unverified)**" in row
    page = report(runner, path, "2015-10-05", "html")
    assert 'aws-us (parent: US) <span class="unverified">(unverified)</span>' in page
    assert '<code>us-fisa-702</code> <span class="unverified">(unverified)</span>' in page


def test_a_saved_result_re_rendered_keeps_the_note(runner: CliRunner, tmp_path: Path) -> None:
    """`report` re-renders a JSON result: the check date it recorded gives the same note."""
    saved = tmp_path / "result.json"
    saved.write_text(report(runner, deployment(tmp_path, "privacy-shield"), "2020-07-15", "json"))
    result = runner.invoke(app, ["report", str(saved), "-f", "markdown", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count(NOTE.format(day=checked())) == 1


# -- 7. a reference's later replacement ----------------------------------------------------------


EDPB_V1 = "EDPB Recommendations 01/2020 v1.0 (adopted 10 November 2020, for public consultation)"
V1_DAYS = "(adopted 2020-11-10, cited from 2020-11-10)"


@pytest.mark.parametrize(
    ("sample", "day", "label", "days"),
    [
        # v1.0, cited until v2.0 replaced it on 18 June 2021
        ("doctolib-2021.yaml", "2021-03-01", EDPB_V1, V1_DAYS),
        # the Directive, repealed from 25 May 2018 by a GDPR adopted after this day
        ("health-data-hub-2020.yaml", "2015-06-01", "Directive 95/46/EC of 24 October 1995", ""),
    ],
)
def test_a_reference_cited_on_a_past_day_does_not_tell_its_later_replacement(
    runner: CliRunner, sample: str, day: str, label: str, days: str
) -> None:
    """A finding cites a reference only before the day a later version replaced it, so that day
    is always after the audit date: "superseded 2021-06-18: not cited from then" told a report as
    of 1 March 2021 what the EDPB would adopt in June. `explain` still gives it."""
    text = report(runner, SAMPLES / sample, day)
    lines = [x for x in text.splitlines() if x.startswith(f"- [{label}")]
    assert lines
    assert all(x.endswith(days) and "superseded" not in x for x in lines)
    page = report(runner, SAMPLES / sample, day, "html")
    spans = re.findall(r'<span class="dates">\(([^)]*)\)</span>', page)
    assert label in page
    assert bool(spans) is bool(days)
    assert not [x for x in spans if "superseded" in x]
    explained = runner.invoke(app, ["explain", "EDPB-UC6-01" if days else "CORE-LAW-01"]).stdout
    assert "superseded" in explained


# -- 8. pack titles ------------------------------------------------------------------------------


def test_no_pack_title_names_a_version_or_a_year() -> None:
    """A pack's title heads its line in every report's manifest, whatever the audit date: one as
    of 2019 read "EDPB Recommendations 01/2020 v2.0" (adopted 18 June 2021) and "SecNumCloud 3.2"
    (8 March 2022). The versions and dates are in each pack's description and its rules'
    references, which are chosen per date."""
    dated = {pack.name: pack.title for pack in load_packs() if re.search(r"\d", pack.title)}
    assert dated == {}

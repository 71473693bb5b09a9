"""The flows table in the text, rich, Markdown and HTML reports: where, who, laws, level, band,
binding factor, and which figures rest on the deployment's own factor values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.pipeline import Options, run
from residency_audit.reporters import flows, html, markdown, terminal
from tests.conftest import AS_OF, FIXTURES, SAMPLES
from tests.reporters.test_html import Page
from tests.reporters.test_markdown import html_of


def doctolib_text_flows(runner: CliRunner) -> tuple[list[str], int]:
    """The lines of the doctolib sample's text report, and where its flows table starts."""
    result = runner.invoke(
        app,
        ["check", str(SAMPLES / "doctolib-2021.yaml"), "--as-of", str(AS_OF)],
        env={"NO_COLOR": "1"},
    )
    lines = result.stdout.splitlines()
    return lines, next(i for i, t in enumerate(lines) if t.startswith("flows of doctolib"))


def test_text_report_has_a_flows_table_per_deployment(runner: CliRunner) -> None:
    lines, start = doctolib_text_flows(runner)
    assert "tool design, not law" in lines[start] and "threshold 10 %" in lines[start]
    header = lines[start + 1].split()
    assert header[:4] == ["Flow", "Where", "Who", "Laws"]
    rows = {line.split()[0]: line for line in lines[start + 2 : start + 7]}
    assert set(rows) == {
        "booking-app",
        "booking-db",
        "booking-db/replica@eu-central-1",
        "booking-db/backup@eu-west-3",
        "key/third-party-key",
    }
    app_row = rows["booking-app"]
    for cell in (
        "FR",
        "Amazon Web Services EMEA SARL (parent US)",
        "us-fisa-702",
        " yes ",
        " low ",
        "0.31 %",
        "interest (us-fisa-702)",
    ):
        assert cell in app_row, cell
    assert " DE " in rows["booking-db/replica@eu-central-1"]
    assert " none " in rows["key/third-party-key"]


def test_rich_report_draws_the_same_flows(tmp_path: Path) -> None:
    report = run(Options(paths=[SAMPLES / "sovereign-hospital.yaml"], as_of=AS_OF))
    console = Console(record=True, width=220, color_system=None, highlight=False)
    terminal.show(report, console, None)
    text = console.export_text()
    assert "flows of centre-hospitalier-exemple" in text
    assert "access/outscale-support" in text and "3DS Outscale SAS (parent FR)" in text
    assert "never cures a finding" in text


OVERRIDE = FIXTURES / "risk" / "override-interest.yaml"
"""Raises `interest` for us-fisa-702 on records-db only (line 35), with its justification."""
OWN_LINE = (
    f"* {OVERRIDE}:35:7: interest 0.5 (band 0.2 to 0.8) for us-fisa-702 on records-db: "
    "Patients include senior officials of a foreign ministry (threat assessment TA-7)."
)


def test_figures_resting_on_the_deployment_s_own_factor_values_are_marked(
    runner: CliRunner,
) -> None:
    result = runner.invoke(
        app, ["check", str(OVERRIDE), "--as-of", str(AS_OF)], env={"NO_COLOR": "1"}
    )
    lines = result.stdout.splitlines()
    start = next(i for i, t in enumerate(lines) if t.startswith("flows of clinic-with-override"))
    assert "own factor values" in lines[start]
    rows = {line.split()[0]: line for line in lines[start + 2 : start + 4]}
    # records-db: p and band computed with the override; its binding factor (route) is the
    # model's. web: the model's values only.
    assert "44 %* " in rows["records-db"] and "3.5 % to 96 %* " in rows["records-db"]
    assert rows["records-db"].endswith("route (us-fisa-702)")
    assert "*" not in rows["web"]
    assert lines[start + 4].strip() == OWN_LINE


def test_the_rich_table_lists_the_deployment_s_own_values_too() -> None:
    report = run(Options(paths=[OVERRIDE], as_of=AS_OF))
    console = Console(record=True, width=250, color_system=None, highlight=False)
    terminal.show(report, console, None)
    text = " ".join(console.export_text().split())
    assert "44 %*" in text and OWN_LINE in text


def test_an_override_names_the_flows_it_applies_to_even_when_it_is_all_of_them(
    tmp_path: Path,
) -> None:
    """The note says which flows the justification covers, by name: "every flow" would hide
    that the author wrote one component, whose key custody it also covers."""
    source = OVERRIDE.read_text().replace("      flows: [records-db]\n", "")
    path = tmp_path / "everywhere.yaml"
    path.write_text(source)
    report = run(Options(paths=[path], as_of=AS_OF))
    [note] = flows.own_values(report.flows)
    touched = [
        f.id for f in report.flows if f.risk is not None and "us-fisa-702" in f.jurisdictions
    ]
    assert len(touched) > 1 and note.split(" on ", 1)[1].startswith(", ".join(touched) + ":")


def test_a_binding_factor_the_deployment_set_is_marked(tmp_path: Path) -> None:
    # The override lowers `interest` below every other factor: it becomes the binding one.
    source = (
        OVERRIDE.read_text()
        .replace("value: 0.5", "value: 0.01")
        .replace("low: 0.2", "low: 0.005")
        .replace("high: 0.8", "high: 0.02")
    )
    path = tmp_path / "low-interest.yaml"
    path.write_text(source)
    report = run(Options(paths=[path], as_of=AS_OF))
    [db] = [f for f in report.flows if f.id == "records-db"]
    assert flows.row(db)[-1] == "interest (us-fisa-702)*"


def test_html_and_markdown_flows_have_the_risk_figures_with_the_same_marks() -> None:
    report = run(Options(paths=[OVERRIDE], as_of=AS_OF))
    header = [
        "Component", "Flow", "Country", "Status (as of 2026-11-28)", "Entity / parent",
        "Laws that can reach it", "Clear text reachable", "Level", "Probability", "Band",
        "Binding factor",
    ]  # fmt: skip
    for page in (Page(html.render(report)), Page(html_of(markdown.render(report)))):
        rows = page.rows[page.rows.index(header) + 1 :][:2]
        figures = {row[0]: row[6:] for row in rows}
        assert figures == {
            "records-db": ["yes", "high", "44 %*", "3.5 % to 96 %*", "route (us-fisa-702)"],
            "web": ["yes", "low", "0.31 %", "0.012 % to 4.9 %", "interest (us-fisa-702)"],
        }
        assert OWN_LINE in page.words
        assert "tool design, not law" in page.words


def test_the_status_column_names_the_law_of_the_as_of_date() -> None:
    """Before 25 May 2018 the EEA was under Directive 95/46/EC, not the GDPR; since, the GDPR
    applies in the EEA, through the EEA Agreement in its EFTA states (QA: 'applies directly'
    was said of Norway too)."""
    path = SAMPLES / "doctolib-2021.yaml"
    for as_of, law, not_law in (
        (
            dt.date(2017, 1, 1),
            "EEA (Directive 95/46/EC, through national law)",
            "EEA (GDPR applies)",
        ),
        (AS_OF, "EEA (GDPR applies)", "Directive 95/46/EC, through"),
    ):
        report = run(Options(paths=[path], as_of=as_of))
        for page in (markdown.render(report), html.render(report)):
            assert law in page and not_law not in page, as_of


UNKNOWN_REPLICA = """\
schema_version: 1
name: custody
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR, parent: {name: G, country: FR}}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
components:
  - id: records
    kind: datastore
    provider: aws
    operator: aws-emea
    region: eu-west-3
    key: k1
    clear_text_processing: false
keys:
  - id: k1
    encryption: client-side
    management: customer-held
    holder: clinic
    country: FR
    replica_regions: [nowhere-9]
    provider_can_use: false
"""


def test_every_table_says_unknown_laws_where_text_and_json_do(tmp_path: Path) -> None:
    """A key replica in a region nobody knows reaches laws nobody knows: JSON says `bases: null`
    and the text table `unknown`; Markdown and HTML said "none known", which reads as a pass.
    The Flow column names the replica, not only its kind."""
    path = tmp_path / "custody.yaml"
    path.write_text(UNKNOWN_REPLICA)
    report = run(Options(paths=[path], as_of=AS_OF))
    [replica] = [f for f in report.flows if f.id == "key/k1/replica-nowhere-9"]
    assert replica.bases is None
    assert flows.row(replica)[3] == "unknown"
    [row] = [
        line
        for line in markdown.render(report).splitlines()
        if line.startswith("| `records` | key-custody")
    ]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "key-custody: replica of key k1 in nowhere-9"
    assert cells[5] == "unknown"
    page = Page(html.render(report))
    [tr] = [r for r in page.rows if len(r) > 5 and "replica of key k1 in nowhere-9" in r[1]]
    assert tr[5] == "unknown"
    [primary] = [r for r in page.rows if len(r) > 5 and r[1] == "storage"]
    # known laws still named, each marked as its unverified knowledge-base entry is
    assert primary[5] == (
        "us-cloud-act (unverified), us-fisa-702 (unverified), us-eo-12333 (unverified)"
    )


def test_text_and_rich_tables_mark_what_rests_on_unverified_knowledge(
    runner: CliRunner,
) -> None:
    """The knowledge base does not mark AWS's parent or the US laws verified: their cells carry
    a dagger, explained under the table, as the Markdown and HTML tables say "(unverified)"; the
    key custodian declared in the deployment itself carries none."""
    lines, start = doctolib_text_flows(runner)
    rows = {line.split()[0]: line for line in lines[start + 2 : start + 7]}
    assert "(parent US)\u2020" in rows["booking-app"]
    assert "us-fisa-702\u2020" in rows["booking-app"]
    assert "\u2020" not in rows["key/third-party-key"]
    assert lines[start + 7].strip().startswith("\u2020 rests on knowledge-base entries not checked")
    report = run(Options(paths=[SAMPLES / "doctolib-2021.yaml"], as_of=AS_OF))
    console = Console(record=True, width=260, color_system=None, highlight=False)
    terminal.show(report, console, None)
    text = console.export_text()
    assert "us-fisa-702\u2020" in text and "\u2020 rests on knowledge-base entries" in text

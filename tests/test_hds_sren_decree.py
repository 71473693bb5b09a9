"""Décret n° 2026-209 (SREN art. 32) requires health data to be stored exclusively in an EU or
EEA State (new art. R.1111-9-1 CSP) and allows transfers, remote access included, only on an
Art. 45 decision or Art. 46 safeguards described in the hosting contract (legal-notes §1.1,
§11.4). The storage and remote-access findings cite it from 26 September 2026, the date the
secondary source gives, and never before; `explain` shows it and that it is unverified.

Also here: HDS-RA-02 says what it tests. For a DPF-listed US organisation the DPF is an Art. 45
decision, scoped to that organisation: the rule still asks that the client be informed, and its
messages must not say the access has no adequacy decision at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.model import Finding
from residency_audit.pipeline import Options, run

# A backup in Canada (OVHcloud bhs) and support from India without any transfer tool.
DEPLOYMENT = """\
schema_version: 1
name: sren
controller: clinique
data: {categories: [health], health_context: care}
parties:
  - {id: clinique, name: Clinique Exemple SAS, role: controller, country: FR}
  - {id: ovh, name: OVH SAS, role: processor, country: FR, provider: ovhcloud}
  - RECIPIENT
components:
  - id: records-db
    kind: datastore
    provider: ovhcloud
    operator: ovh
    region: gra
    hds_activities: [1, 2, 3, 4]
    copies:
      - {kind: backup, region: bhs}
access:
  - {id: support, kind: support, entity: support-co, country: COUNTRY, clear_text: true}
TRANSFERS\
certifications:
  - {holder: ovh, scheme: hds, activities: [1, 2, 3, 4, 5, 6], referential: "2024",
     issued: 2025-03-01}
"""
INDIA = "{id: support-co, name: Support Pvt Ltd, role: sub-processor, country: IN}"
DPF_LISTED = (
    "{id: support-co, name: Support Inc., role: sub-processor, country: US, "
    "adequacy_scopes: [dpf-list]}"
)
DECREE = "Décret n° 2026-209"


def findings(
    tmp_path: Path,
    day: dt.date,
    *,
    recipient: str = INDIA,
    country: str = "IN",
    transfers: str = "",
) -> dict[str, Finding]:
    text = DEPLOYMENT.replace("RECIPIENT", recipient).replace("COUNTRY", country)
    path = tmp_path / "sren.yaml"
    path.write_text(text.replace("TRANSFERS", transfers))
    report = run(Options(paths=[path], as_of=day))
    assert not report.errors, report.errors
    return {f.rule_id: f for f in report.findings if f.rule_id.startswith("HDS-")}


@pytest.mark.parametrize("rule", ["HDS-LOC-01", "HDS-RA-01", "HDS-RA-02"])
@pytest.mark.parametrize(
    ("day", "cited"), [(dt.date(2026, 9, 25), False), (dt.date(2026, 9, 26), True)]
)
def test_the_storage_and_remote_access_findings_cite_the_decree_from_26_september_2026(
    tmp_path: Path, rule: str, day: dt.date, cited: bool
) -> None:
    finding = findings(tmp_path, day)[rule]
    labels = [r.label for r in finding.references]
    assert any(label.startswith(DECREE) for label in labels) is cited, labels


def test_the_storage_finding_cites_the_new_csp_article(tmp_path: Path) -> None:
    finding = findings(tmp_path, dt.date(2026, 11, 28))["HDS-LOC-01"]
    (decree,) = [r for r in finding.references if r.label.startswith(DECREE)]
    assert decree.article == "R.1111-9-1 CSP"
    assert decree.url.startswith("https://")


@pytest.mark.parametrize("rule", ["HDS-LOC-01", "HDS-RA-01", "HDS-RA-02"])
def test_explain_shows_the_decree_and_that_it_is_unverified(rule: str) -> None:
    result = CliRunner().invoke(app, ["explain", rule])
    assert result.exit_code == 0, result.output
    assert DECREE in result.output
    assert "sren-decree-2026-209 (instruments.yaml)" in result.output
    assert "valid from 2026-09-26" in result.output
    assert "NOT VERIFIED" in result.output
    assert "JORFTEXT000053717250" in result.output  # the notes say it was not opened


def test_remote_access_by_a_dpf_listed_organisation_is_not_said_to_lack_any_adequacy_decision(
    tmp_path: Path,
) -> None:
    """The /tmp/qa-time/tl/access.yaml case: support from the US by a DPF-listed organisation,
    on the DPF. HDS-RA-01 accepts the DPF as its Art. 45 basis; HDS-RA-02 still asks that the
    client be informed, and says so without claiming there is no adequacy decision."""
    found = findings(
        tmp_path,
        dt.date(2026, 1, 1),
        recipient=DPF_LISTED,
        country="US",
        transfers="transfers:\n  - {recipient: support-co, tool: dpf}\n",
    )
    assert "HDS-RA-01" not in found
    finding = found["HDS-RA-02"]
    assert finding.unverifiable
    for text in (finding.title, finding.message):
        assert "non-adequate country" not in text
        assert "without a general adequacy decision" in text
    assert "organisation-scoped decision such as the EU-US DPF is not relied on" in finding.message


def test_a_violation_of_hds_ra_02_names_what_is_missing(tmp_path: Path) -> None:
    text = DEPLOYMENT.replace("clear_text: true}", "clear_text: true, client_informed: false}")
    path = tmp_path / "informed.yaml"
    path.write_text(
        text.replace("RECIPIENT", INDIA).replace("COUNTRY", "IN").replace("TRANSFERS", "")
    )
    report = run(Options(paths=[path], as_of=dt.date(2026, 11, 28)))
    (finding,) = [f for f in report.findings if f.rule_id == "HDS-RA-02"]
    assert not finding.unverifiable
    assert "(no adequacy decision for the country as a whole;" in finding.message

"""Some facts a verdict rests on carry no day from which they hold: a party's membership of an
adequacy list (`adequacy_scopes: [dpf-list]`), a BCR `approval` (free text) and a waiver (it
records its end only). An audit as of any date takes them to hold on that date; the report says
so, in the header of every text format and in the JSON, passes included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import FIXTURES, SAMPLES

DPF_LIST = FIXTURES / "deployments" / "us-importer-dpf-list.yaml"
ASSUMED_DPF = (
    "uscorp is within the restricted scope of the EU-US Data Privacy Framework decision "
    "(adequacy_scopes: dpf-list)"
)
"""A US importer declared on the DPF list, its transfer on the DPF: no date says since when."""


def check(runner: CliRunner, *args: str, form: str = "json") -> str:
    result = runner.invoke(app, ["check", *args, "-f", form, "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    return result.stdout


def with_bcr(tmp_path: Path) -> Path:
    path = tmp_path / "bcr.yaml"
    text = DPF_LIST.read_text()
    assert "    tool: dpf\n" in text
    text = text.replace("name: us-importer-dpf-list", "name: us-importer-bcr")
    bcr = "    tool: bcr\n    approval: CNIL deliberation of 2025-03-01\n"
    path.write_text(text.replace("    tool: dpf\n", bcr))
    return path


def test_dpf_list_membership_is_said_to_be_assumed_on_the_audit_date(runner: CliRunner) -> None:
    """QA reproduction: the transfer passes GDPR-XFER-01 and US-DPF-01 on 2023-07-10, the day
    the DPF applied, on a membership the file does not date."""
    report = json.loads(check(runner, str(DPF_LIST), "--as-of", "2023-07-10"))
    assert not {"GDPR-XFER-01", "US-DPF-01"} & {f["rule_id"] for f in report["findings"]}
    assert report["assumptions"] == [ASSUMED_DPF]
    text = check(runner, str(DPF_LIST), "--as-of", "2023-07-10", form="text")
    assert (
        "note: assumed to hold on the audit date (2023-07-10), the input giving no day from "
        f"which it holds (passes included): {ASSUMED_DPF}"
    ) in text


@pytest.mark.parametrize("form", ["markdown", "html"])
def test_the_evidence_reports_state_the_assumption(runner: CliRunner, form: str) -> None:
    out = check(runner, str(DPF_LIST), "--as-of", "2023-07-10", form=form)
    assert "Assumed</strong> to hold" in out or "**Assumed** to hold" in out
    assert "to hold on the audit date (2023-07-10), the input giving no day" in out
    assert "uscorp is within the restricted scope of the EU-US Data Privacy Framework" in out


def test_a_bcr_approval_is_said_to_be_assumed(runner: CliRunner, tmp_path: Path) -> None:
    """QA: an approval "of 2025-03-01" passes an audit as of 2018-06-01; the approval is free
    text, so the tool cannot date it, but it says it took it to hold then."""
    report = json.loads(check(runner, str(with_bcr(tmp_path)), "--as-of", "2018-06-01"))
    assert report["assumptions"] == [
        "the binding corporate rules of uscorp are approved (CNIL deliberation of 2025-03-01)"
    ]


def test_a_waiver_applied_is_said_to_be_assumed_in_place(runner: CliRunner) -> None:
    out = check(
        runner,
        str(SAMPLES / "backup-outside-eea.yaml"),
        "--waivers",
        str(FIXTURES / "waivers" / "backup-tia.yaml"),
        "--as-of",
        "2026-11-28",
    )
    assert json.loads(out)["assumptions"] == [
        "the waiver of GDPR-XFER-01 for clinique-exemple-records/records-db (approved by "
        "dpo@example.org) is in place"
    ]


def test_nothing_is_assumed_without_such_facts(runner: CliRunner) -> None:
    report = json.loads(
        check(runner, str(SAMPLES / "backup-outside-eea.yaml"), "--as-of", "2026-11-28")
    )
    assert report["assumptions"] == []


def test_a_batch_states_what_its_workers_assumed(runner: CliRunner, tmp_path: Path) -> None:
    report = json.loads(
        check(runner, str(DPF_LIST), str(with_bcr(tmp_path)), "--as-of", "2024-01-01")
    )
    assert report["assumptions"] == [
        "the binding corporate rules of uscorp are approved (CNIL deliberation of 2025-03-01)",
        ASSUMED_DPF,
    ]


def test_a_saved_result_keeps_its_assumptions(runner: CliRunner, tmp_path: Path) -> None:
    saved = tmp_path / "result.json"
    saved.write_text(check(runner, str(DPF_LIST), "--as-of", "2023-07-10"))
    result = runner.invoke(app, ["report", str(saved), "-f", "markdown", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert (
        "uscorp is within the restricted scope of the EU-US Data Privacy Framework" in result.stdout
    )

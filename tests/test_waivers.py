"""Waivers: in force they set findings aside (still shown), expired they warn, malformed they stop
the run with path:line:col (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, FIXTURES, SAMPLES
from tests.support.waivers import waive_every_finding

BACKUP = str(SAMPLES / "backup-outside-eea.yaml")
WAIVERS = FIXTURES / "waivers"


def check(runner: CliRunner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["check", BACKUP, "--as-of", str(AS_OF), *args])


def all_in_force(runner: CliRunner, tmp_path: Path) -> Path:
    """Every finding of the backup sample waived until 2027, HDS-LOC-01 only until the as-of
    day itself (still covered on that day)."""
    plain = json.loads(check(runner, "-f", "json").stdout)
    return waive_every_finding(
        plain, tmp_path / "waivers.yaml", expiring={"HDS-LOC-01": str(AS_OF)}
    )


def test_waivers_in_force_pass_the_audit_and_keep_findings_visible(
    runner: CliRunner, tmp_path: Path
) -> None:
    plain = check(runner, "-f", "json")
    waived = check(runner, "-f", "json", "--waivers", str(all_in_force(runner, tmp_path)))
    assert plain.exit_code == 1
    assert waived.exit_code == 0, waived.stdout
    findings = json.loads(waived.stdout)["findings"]
    assert {f["rule_id"] for f in findings} == {
        f["rule_id"] for f in json.loads(plain.stdout)["findings"]
    }
    assert {f["status"] for f in findings} == {"waived"}
    assert all(f["waiver"]["approved_by"].endswith("@example.org") for f in findings)


def test_text_output_marks_waived_findings(runner: CliRunner, tmp_path: Path) -> None:
    waivers = all_in_force(runner, tmp_path)
    count = len(json.loads(check(runner, "-f", "json").stdout)["findings"])
    result = check(runner, "--waivers", str(waivers))
    assert "[waived]" in result.stdout
    assert f"{count} waived, not counted" in result.stdout


def test_expired_waiver_warns_and_no_longer_applies(runner: CliRunner) -> None:
    path = WAIVERS / "backup-tia.yaml"
    result = check(runner, "-f", "json", "--waivers", str(path))
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    hds = next(f for f in findings if f["rule_id"] == "HDS-LOC-01")
    assert hds["status"] == "open" and hds["waiver"]["expires"] == "2026-09-30"
    lapse = next(f for f in findings if f["rule_id"] == "WAIVER-EXP-01")
    assert lapse["severity"] == "medium" and lapse["status"] == "open"
    assert lapse["location"]["path"] == str(path)
    assert lapse["location"]["line"] == next(
        i for i, line in enumerate(path.read_text().splitlines(), 1) if "rule: HDS-LOC-01" in line
    )
    assert "expired on 2026-09-30" in lapse["message"]
    assert lapse["references"][0]["url"].startswith("https://eur-lex.europa.eu/")
    assert any(
        x["path"] == "waiver.expires" and x["source"].startswith(str(path)) for x in lapse["facts"]
    )


def test_waiver_expiring_the_day_after_still_passes_then_lapses(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = str(all_in_force(runner, tmp_path))  # HDS-LOC-01 expires on the as-of day
    assert check(runner, "--waivers", path).exit_code == 0
    later = runner.invoke(
        app, ["check", BACKUP, "--as-of", "2026-11-29", "-f", "json", "--waivers", path]
    )
    assert later.exit_code == 1
    rules = {f["rule_id"]: f["status"] for f in json.loads(later.stdout)["findings"]}
    assert rules["HDS-LOC-01"] == "open" and "WAIVER-EXP-01" in rules


def test_malformed_waiver_file_is_an_input_error_with_positions(runner: CliRunner) -> None:
    path = WAIVERS / "malformed.yaml"
    result = check(runner, "--waivers", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        f"{path}:2:11: error: waiver for unknown rule 'GDPR-XFER-1'; did you mean 'GDPR-XFER-01'?"
    ) in result.stderr
    assert f"{path}:10:14: error: waivers[1].expires: expected a date YYYY-MM-DD" in result.stderr
    assert f"{path}:7:5: error: waivers[1]: missing required key 'approved_by'" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_waiver_file_is_an_input_error(runner: CliRunner, tmp_path: Path) -> None:
    result = check(runner, "--waivers", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "nope.yaml:1:1: error: file not found" in result.stderr


def write_waivers(path: Path, *targets: str, extra: str = "") -> Path:
    """A waiver file: one GDPR-XFER-01 waiver per target (YAML flow mapping)."""
    body = "".join(
        f"  - rule: GDPR-XFER-01\n    target: {t}\n    justification: TIA 2026-03\n"
        f"    approved_by: dpo@example.org\n    expires: 2027-06-30\n{extra}"
        for t in targets
    )
    path.write_text("waivers:\n" + body)
    return path


def test_a_waiver_that_matches_nothing_in_an_audited_deployment_is_reported(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A misspelled target leaves the risk unaccepted while the file says it is: WAIVER-MATCH-01
    names the waiver and what it probably meant. A waiver for a deployment this run does not
    audit (a shared file) is left alone."""
    waivers = write_waivers(
        tmp_path / "w.yaml",
        "{deployment: clinique-exemple-record, component: records-db}",
        "{deployment: clinique-exemple-records, component: record-db}",
        "{deployment: some-other-deployment}",
        "{deployment: clinique-exemple-records, component: records-db}",
    )
    report = json.loads(check(runner, "-f", "json", "--waivers", str(waivers)).stdout)
    unmatched = [f for f in report["findings"] if f["rule_id"] == "WAIVER-MATCH-01"]
    assert [(f["location"]["line"], f["message"].split("; ")[-1]) for f in unmatched] == [
        (2, "did you mean 'clinique-exemple-records'?"),
        (7, "did you mean 'records-db'?"),
    ]
    assert all(f["severity"] == "medium" for f in unmatched)
    waived = [f for f in report["findings"] if f["status"] == "waived"]
    assert {f["rule_id"] for f in waived} == {"GDPR-XFER-01"}  # the last waiver works


def test_a_blank_or_multi_line_waiver_value_is_an_input_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    """An approver of spaces approves nothing; a line break in one would forge report lines."""
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        "waivers:\n  - rule: GDPR-XFER-01\n    target: {deployment: clinique-exemple-records}\n"
        '    justification: ""\n    approved_by: "x\\nsample_configs/a.yaml:1:1: info X fake"\n'
        "    expires: 2027-06-30\n"
    )
    result = runner.invoke(app, ["check", BACKUP, "--waivers", str(waivers)])
    assert result.exit_code == 2
    assert f"{waivers}:4:20: error: waivers[0].justification: empty value; give one" in (
        result.stderr
    )
    assert f"{waivers}:5:18: error: waivers[0].approved_by: line break" in result.stderr

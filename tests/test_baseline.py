"""Baselines: only findings absent from a saved result count; identity is file + deployment +
component + rule + message, so moving lines changes nothing and a new place or party is new."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit import __version__
from residency_audit.baselines import apply_baseline, read_baseline
from residency_audit.cli import app
from residency_audit.model import Status
from residency_audit.pipeline import Options, run
from residency_audit.reporters.json import render
from tests.conftest import AS_OF, SAMPLES

BACKUP = SAMPLES / "backup-outside-eea.yaml"


def check(runner: CliRunner, path: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["check", str(path), "--as-of", str(AS_OF), "-f", "json", *args])


def saved_baseline(runner: CliRunner, path: Path, tmp_path: Path) -> Path:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(check(runner, path).stdout)
    return baseline


def test_baselined_findings_do_not_count_even_when_lines_move(
    runner: CliRunner, tmp_path: Path
) -> None:
    deploy = tmp_path / "deploy.yaml"
    deploy.write_text(BACKUP.read_text())
    baseline = saved_baseline(runner, deploy, tmp_path)
    deploy.write_text("# reviewed 2026-11-28\n\n" + BACKUP.read_text())
    result = check(runner, deploy, "--baseline", str(baseline))
    assert result.exit_code == 0, result.stdout
    findings = json.loads(result.stdout)["findings"]
    assert findings and {f["status"] for f in findings} == {"baselined"}
    assert any(i["role"] == "baseline" for i in json.loads(result.stdout)["inputs"])


def test_a_new_finding_fails_and_only_it_is_open(runner: CliRunner, tmp_path: Path) -> None:
    deploy = tmp_path / "deploy.yaml"
    deploy.write_text(BACKUP.read_text())
    baseline = saved_baseline(runner, deploy, tmp_path)
    # a second copy of the data, to Singapore: new place, same component and rules...
    text = BACKUP.read_text().replace(
        "        region: us-east-1\n",
        "        region: us-east-1\n"
        "  - id: analytics-db\n    kind: datastore\n    provider: aws\n    operator: aws-emea\n"
        "    region: ap-southeast-1\n",
    )
    deploy.write_text(text)
    result = check(runner, deploy, "--baseline", str(baseline))
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    open_ = {(f["component"], f["rule_id"]) for f in findings if f["status"] == "open"}
    assert open_ and {component for component, _ in open_} == {"analytics-db"}
    assert {f["status"] for f in findings if f["component"] == "records-db"} == {"baselined"}


def test_waived_findings_of_the_baseline_are_not_baselined(
    runner: CliRunner, tmp_path: Path
) -> None:
    from tests.support.waivers import waive_every_finding

    waivers = waive_every_finding(json.loads(check(runner, BACKUP).stdout), tmp_path / "w.yaml")
    baseline = tmp_path / "baseline.json"
    baseline.write_text(check(runner, BACKUP, "--waivers", str(waivers)).stdout)
    result = check(runner, BACKUP, "--baseline", str(baseline))
    assert result.exit_code == 1  # the waivers are gone: the findings count again
    assert {f["status"] for f in json.loads(result.stdout)["findings"]} == {"open"}


def test_a_baseline_that_is_not_a_result_is_an_input_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "baseline.json"
    bad.write_text('{\n  "findings": [\n    {"rule_id": "X",}\n  ]\n}\n')
    result = check(runner, BACKUP, "--baseline", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:3:21: error: invalid JSON" in result.stderr
    bad.write_text('{"findings": []}\n')
    result = check(runner, BACKUP, "--baseline", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:1:1: error: not a residency-audit result" in result.stderr


def test_a_new_copy_or_party_under_a_baselined_component_is_new(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Same component, same rules: a backup copy to China and a second processor are still new
    violations, and fail the gate."""
    deploy = tmp_path / "deploy.yaml"
    deploy.write_text(BACKUP.read_text())
    baseline = saved_baseline(runner, deploy, tmp_path)
    text = BACKUP.read_text().replace(
        "        region: us-east-1\n",
        "        region: us-east-1\n      - {kind: backup, region: ap-southeast-1}\n",
    )
    deploy.write_text(text)
    result = check(runner, deploy, "--baseline", str(baseline))
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    new = [f for f in findings if f["status"] == "open"]
    assert {f["rule_id"] for f in new} >= {"GDPR-XFER-01", "HDS-LOC-01"}
    assert all("SG" in f["message"] for f in new if f["rule_id"] == "GDPR-XFER-01")
    assert any(f["status"] == "baselined" and "US" in f["message"] for f in findings)


def test_a_baseline_matches_however_the_file_is_spelled(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("deploy.yaml").write_text(BACKUP.read_text())
    baseline = saved_baseline(runner, Path("deploy.yaml"), tmp_path)
    result = check(runner, tmp_path / "deploy.yaml", "--baseline", str(baseline))
    assert result.exit_code == 0, result.stdout
    assert {f["status"] for f in json.loads(result.stdout)["findings"]} == {"baselined"}


@pytest.mark.parametrize(
    "text",
    [
        '{"tool": "residency-audit", "findings": []}',
        '{"tool": {"name": "residency-audit"}, "findings": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
)
def test_a_crafted_baseline_is_an_input_error_not_a_crash(
    runner: CliRunner, tmp_path: Path, text: str
) -> None:
    bad = tmp_path / "baseline.json"
    bad.write_text(text)
    result = check(runner, BACKUP, "--baseline", str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{bad}:1:"), result.stderr
    assert ": error: not a residency-audit result" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_baseline_from_another_version_is_named_on_stderr_and_the_exit_code_kept(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A baseline made by another version (or with other rules or knowledge) is used as it is,
    but the run says so: both versions, what changed, and to regenerate the baseline. Here the
    old version worded a finding differently, so that finding is new and fails the gate."""
    saved = json.loads(check(runner, BACKUP).stdout)
    pack = saved["rule_packs"][0]
    saved["tool"]["version"] = "0.0.9"
    pack["version"], pack["sha256"] = "0.9.0", "0" * 64
    reworded = next(f for f in saved["findings"] if f["severity"] == "critical")
    reworded["message"] = "worded otherwise by 0.0.9"
    old = tmp_path / "old.json"
    old.write_text(json.dumps(saved, indent=2))
    result = check(runner, BACKUP, "--baseline", str(old))
    assert result.exit_code == 1  # the reworded finding counts as new, as without the warning
    assert [
        f["rule_id"] for f in json.loads(result.stdout)["findings"] if f["status"] == "open"
    ] == [reworded["rule_id"]]
    current = json.loads(check(runner, BACKUP).stdout)["rule_packs"][0]["version"]
    assert result.stderr.startswith(
        f"{old}:1:1: warning: baseline made by residency-audit 0.0.9, this run is "
        f"residency-audit {__version__}; changed: rule pack {pack['name']} 0.9.0 -> {current}. "
    )
    assert "regenerate the baseline with this version" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_baseline_cannot_forge_a_line_of_the_ci_log(runner: CliRunner, tmp_path: Path) -> None:
    """A version holding a line break is refused on one line of its own (it was once printed
    in the warning, line breaks and escapes made visible)."""
    saved = json.loads(check(runner, BACKUP).stdout)
    saved["tool"]["version"] = "0.0.9\n::error::all checks passed\x1b[32m"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(saved))
    result = check(runner, BACKUP, "--baseline", str(forged))
    assert result.stderr.count("\n") == 1  # refused on one line, as `report` refuses it
    assert "(tool: line break in a name printed on one line)" in result.stderr
    assert "::error::" not in result.stderr
    saved["tool"]["version"] = 9  # not text
    forged.write_text(json.dumps(saved))
    said = check(runner, BACKUP, "--baseline", str(forged)).stderr
    assert "(tool: expected text, got int)" in said


def test_a_baseline_warns_only_when_its_rules_or_knowledge_differ(
    runner: CliRunner, tmp_path: Path
) -> None:
    """No warning when version, rules and knowledge agree; one for a knowledge file changed
    under the same version (a fix in the knowledge base rewords findings too)."""
    baseline = saved_baseline(runner, BACKUP, tmp_path)
    result = check(runner, BACKUP, "--baseline", str(baseline))
    assert result.exit_code == 0
    assert result.stderr == ""
    knowledge = json.loads(baseline.read_text())
    knowledge["knowledge"]["files"][0]["sha256"] = "1" * 64  # same version, other knowledge
    baseline.write_text(json.dumps(knowledge))
    result = check(runner, BACKUP, "--baseline", str(baseline))
    assert result.exit_code == 0
    name = knowledge["knowledge"]["files"][0]["path"]
    assert f"changed: knowledge {name} (sha256 111111111111 -> " in result.stderr


def test_a_second_copy_in_the_same_country_is_new_though_its_message_is_the_same(
    tmp_path: Path,
) -> None:
    """A second snapshot copy to us-east-1 words its findings as the first does: only its
    subject (`place:records-db/snapshot-copy@us-east-1#2`, alike in kind and region) says it is
    another copy of the data in the US."""
    deploy = tmp_path / "deploy.yaml"
    deploy.write_text(BACKUP.read_text())
    before = run(Options(paths=[deploy], as_of=AS_OF))
    deploy.write_text(
        BACKUP.read_text().replace(
            "        region: us-east-1\n",
            "        region: us-east-1\n      - {kind: snapshot-copy, region: us-east-1}\n",
        )
    )
    saved = tmp_path / "baseline.json"
    saved.write_text(render(before))
    known = read_baseline(saved).identities
    after = apply_baseline(run(Options(paths=[deploy], as_of=AS_OF)).findings, known)
    new = [f for f in after if f.status is Status.OPEN]
    assert {f.subject for f in new} == {
        "place:records-db/snapshot-copy@us-east-1#2",
        "flow:records-db/snapshot-copy@us-east-1#2",
    }
    assert "HDS-LOC-01" in {f.rule_id for f in new}
    first = {f.message for f in after if f.subject == "place:records-db/snapshot-copy@us-east-1"}
    assert {
        f.message for f in new if f.subject == "place:records-db/snapshot-copy@us-east-1#2"
    } <= first
    assert all(f.status is Status.BASELINED for f in after if f not in new)


def test_a_baseline_saved_before_findings_named_their_subject_still_matches(
    runner: CliRunner, tmp_path: Path
) -> None:
    """An upgrade must not turn every finding of an older baseline into a new one: its findings
    name no subject, and match on file, deployment, component, rule and message."""
    deploy = tmp_path / "deploy.yaml"
    deploy.write_text(BACKUP.read_text())
    saved = json.loads(check(runner, deploy).stdout)
    for finding in saved["findings"]:
        finding.pop("subject", None)
    for group in saved["checks"]:
        group.pop("subject", None)
    baseline = tmp_path / "old-baseline.json"
    baseline.write_text(json.dumps(saved))
    result = check(runner, deploy, "--baseline", str(baseline))
    assert result.exit_code == 0, result.stdout
    assert {f["status"] for f in json.loads(result.stdout)["findings"]} == {"baselined"}


def test_a_baseline_made_in_another_directory_is_named_on_stderr(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: a baseline made at the repository's root (`check deploy/`) and used from `deploy/`
    (`cd deploy && check records.yaml`) set nothing aside, silently: every finding failed the
    gate as new. Fail closed still (exit 1), but stderr now says why; run from the root it
    says nothing."""
    monkeypatch.chdir(tmp_path)
    Path("deploy").mkdir()
    Path("deploy/records.yaml").write_text(BACKUP.read_text())
    baseline = saved_baseline(runner, Path("deploy/records.yaml"), tmp_path)
    at_root = check(runner, Path("deploy/records.yaml"), "--baseline", str(baseline))
    assert at_root.exit_code == 0 and "warning" not in at_root.stderr
    monkeypatch.chdir(tmp_path / "deploy")
    inside = check(runner, Path("records.yaml"), "--baseline", str(baseline))
    assert inside.exit_code == 1
    assert {f["status"] for f in json.loads(inside.stdout)["findings"]} == {"open"}
    assert inside.stderr == (
        f"{baseline}:1:1: warning: the baseline holds deployments of this run under other file "
        "paths (clinique-exemple-records in deploy/records.yaml, here records.yaml): a baseline "
        "matches a finding by its file's path relative to the directory the audit runs in, so "
        "none of their findings is set aside. Run the audit from the directory the baseline "
        "was made in (the repository's root in CI), or regenerate the baseline\n"
    )

"""What a CI reading the SARIF log (code scanning, a script following the SARIF spec) and the
log of the job that printed it are told, run through the CLI as a workflow runs it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, SAMPLES
from tests.reporters.test_sarif import validate

CLEAN = str(SAMPLES / "sovereign-hospital.yaml")


def invocation_of(stdout: str) -> dict[str, Any]:
    document = json.loads(stdout)
    validate(document)
    invocation: dict[str, Any] = document["runs"][0]["invocations"][0]
    return invocation


def test_a_timestamp_from_source_date_epoch_is_no_end_time(runner: CliRunner) -> None:
    """QA: with SOURCE_DATE_EPOCH=1615507200 a SARIF log made in 2026 said `endTimeUtc`
    2021-03-12T00:00:00Z, unlabelled, where the HTML and Markdown say "Fixed timestamp ... not
    the time of generation". The log now keeps no end time then, and says what its fixed one
    is."""
    args = ["check", CLEAN, "--as-of", str(AS_OF), "-f", "sarif"]
    pinned = invocation_of(runner.invoke(app, args, env={"SOURCE_DATE_EPOCH": "1615507200"}).stdout)
    assert "endTimeUtc" not in pinned
    assert pinned["properties"] == {
        "fixedTimestamp": "2021-03-12T00:00:00Z",
        "fixedTimestampSource": "taken from SOURCE_DATE_EPOCH: not the time of generation",
    }
    clock = invocation_of(runner.invoke(app, args, env={"SOURCE_DATE_EPOCH": None}).stdout)
    assert clock["endTimeUtc"].startswith("20") and "properties" not in clock


@pytest.mark.parametrize("fail_on", ["high", "never"])
def test_a_partial_audit_is_an_error_notification(
    runner: CliRunner, tmp_path: Path, fail_on: str
) -> None:
    """QA: a PARTIAL audit's notification had level "warning"; SARIF 2.1.0's Appendix I tells
    a consumer that results may be taken as complete unless a tool execution notification has
    level "error", so a script gating on the log read an audit that could not observe
    everything as a complete one. Whatever --fail-on, the results are incomplete."""
    saved = tmp_path / "r.json"
    runner.invoke(app, ["check", CLEAN, "--as-of", str(AS_OF), "-f", "json", "-o", str(saved)])
    data = json.loads(saved.read_text())
    data.update(complete=False, partial=["obs.yaml: rds DescribeDBInstances not observed"])
    saved.write_text(json.dumps(data, indent=2))
    result = runner.invoke(app, ["report", str(saved), "-f", "sarif", "--fail-on", fail_on])
    notes = invocation_of(result.stdout)["toolExecutionNotifications"]
    [partial] = [n for n in notes if n["message"]["text"].startswith("partial audit: ")]
    assert partial["level"] == "error"
    assert partial["message"]["text"].endswith("rds DescribeDBInstances not observed")


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_printed_json_and_sarif_hold_no_workflow_command(
    runner: CliRunner, tmp_path: Path, fmt: str
) -> None:
    """QA: a deployment named `hosp ##[error]injected` printed `"hosp ##[error]injected"` in
    the JSON result and SARIF log on stdout, which the GitHub Actions runner reads anywhere in
    a line as a legacy workflow command (an annotation, a masked value). The `#` is escaped
    as JSON allows, so a reader gets the same name."""
    deployment = tmp_path / "h.yaml"
    text = Path(CLEAN).read_text(encoding="utf-8")
    deployment.write_text(
        text.replace("name: centre-hospitalier-exemple", 'name: "hosp ##[error]injected"', 1),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check", str(deployment), "--as-of", str(AS_OF), "-f", fmt])
    assert result.exit_code == 0, result.output
    assert "##[" not in result.stdout
    assert "#\\u0023[error]" in result.stdout
    document = json.loads(result.stdout)
    if fmt == "sarif":
        validate(document)
        names = {r["properties"]["deployment"] for r in document["runs"][0]["results"]}
    else:
        names = {f["deployment"] for f in document["findings"]}
    assert names == {"hosp ##[error]injected"}


def test_printed_junit_holds_no_workflow_command(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: `check -f junit` printed to a GitHub Actions log kept `##[error]` from a deployment's
    name, and a failure's details line starting with a file named `::warning::x.yaml`, both
    of which the runner reads as workflow commands. Written with character references now:
    an XML reader gets the same names and paths."""
    import xml.etree.ElementTree as ET

    monkeypatch.chdir(tmp_path)
    text = (SAMPLES / "backup-outside-eea.yaml").read_text(encoding="utf-8")
    name = "clinique-exemple-records"
    odd = Path("::warning::x.yaml")
    odd.write_text(text.replace(f"name: {name}", 'name: "clinic ##[error]x"', 1), "utf-8")
    result = runner.invoke(app, ["check", str(odd), "--as-of", str(AS_OF), "-f", "junit"])
    assert result.exit_code == 1, result.output
    assert "##[" not in result.stdout
    assert not any(line.lstrip().startswith("::") for line in result.stdout.splitlines())
    root = ET.fromstring(result.stdout.encode("utf-8"))
    assert {s.get("name") for s in root.iter("testsuite")} >= {"clinic ##[error]x"}
    failures = [f.text or "" for f in root.iter("failure")]
    assert failures and all(f.startswith("::warning::x.yaml:") for f in failures)


def test_a_sarif_log_past_what_code_scanning_keeps_is_named_on_stderr(
    runner: CliRunner, tmp_path: Path
) -> None:
    """QA: a batch of 218 clinics (23 findings each) wrote a SARIF log of 5,014 results, and
    GitHub code scanning keeps only the 5,000 most severe of a run's results (its SARIF limits
    table), so alerts went missing without a word. The log is still written whole and the exit
    code is the audit's, but stderr says so; one clinic's log says nothing."""
    text = (SAMPLES / "backup-outside-eea.yaml").read_text(encoding="utf-8")
    batch = tmp_path / "batch"
    batch.mkdir()
    for i in range(218):
        renamed = text.replace("name: clinique-exemple-records", f"name: clinic-{i}", 1)
        (batch / f"c{i}.yaml").write_text(renamed, encoding="utf-8")
    log = tmp_path / "ra.sarif"
    args = ["--as-of", str(AS_OF), "-f", "sarif", "-o", str(log)]
    result = runner.invoke(app, ["check", str(batch), *args])
    assert result.exit_code == 1, result.output
    assert len(json.loads(log.read_text())["runs"][0]["results"]) == 5_014
    assert result.stderr == (
        "warning: the SARIF log holds 5,014 results and GitHub code scanning keeps only the "
        "5,000 most severe of a run's results (its SARIF limits): the exit code counts every "
        "finding; to see them all in code scanning, audit the deployments in smaller batches, "
        "each uploaded with its own category\n"
    )
    one = runner.invoke(app, ["check", str(batch / "c0.yaml"), *args])
    assert one.exit_code == 1 and one.stderr == ""

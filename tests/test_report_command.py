"""`residency-audit report RESULT.json` re-renders a saved result; `check` writes several formats
in one run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from residency_audit import spool
from residency_audit.cli import app
from tests.conftest import AS_OF, SAMPLES

BACKUP = str(SAMPLES / "backup-outside-eea.yaml")


def test_one_check_writes_several_formats(runner: CliRunner, tmp_path: Path) -> None:
    out = {name: tmp_path / name for name in ("r.sarif", "r.html", "r.xml", "r.md")}
    result = runner.invoke(
        app,
        [
            "check",
            BACKUP,
            "--as-of",
            str(AS_OF),
            "-f",
            "sarif",
            "-o",
            str(out["r.sarif"]),
            "-f",
            "html",
            "-o",
            str(out["r.html"]),
            "-f",
            "junit",
            "-o",
            str(out["r.xml"]),
            "-f",
            "markdown",
            "-o",
            str(out["r.md"]),
            "-f",
            "text",
        ],
        env={"SOURCE_DATE_EPOCH": "1795824000"},
    )
    assert result.exit_code == 1
    assert "HDS-LOC-01" in result.stdout  # the text report went to stdout
    assert json.loads(out["r.sarif"].read_text())["runs"][0]["invocations"][0]["exitCode"] == 1
    assert out["r.html"].read_text().startswith("<!DOCTYPE html>")
    assert out["r.xml"].read_text().startswith("<?xml")
    markdown = out["r.md"].read_text()
    assert "2026-11-28T00:00:00Z" in markdown  # SOURCE_DATE_EPOCH 1795824000
    assert f"residency-audit check {BACKUP} --as-of 2026-11-28" in markdown


def test_unknown_format_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", BACKUP, "-f", "pdfx"])
    assert result.exit_code == 2
    assert (
        "--format: 'pdfx' is not one of text, json, sarif, junit, markdown, html, pdf"
        in result.stderr
    )


def test_report_re_renders_a_saved_result(runner: CliRunner, tmp_path: Path) -> None:
    saved = tmp_path / "result.json"
    saved.write_text(
        runner.invoke(app, ["check", BACKUP, "--as-of", str(AS_OF), "-f", "json"]).stdout
    )
    html = tmp_path / "again.html"
    result = runner.invoke(
        app, ["report", str(saved), "-f", "html", "-o", str(html), "-f", "sarif"]
    )
    assert result.exit_code == 1, result.stderr  # the result's: high findings are open
    sarif = json.loads(result.stdout)
    assert sarif["runs"][0]["invocations"][0]["exitCode"] == 1
    original = json.loads(saved.read_text())
    rules = {r["properties"]["rule"] for r in sarif["runs"][0]["results"]}
    assert rules == {f["rule_id"] for f in original["findings"]}
    assert {"HDS-LOC-01", "GDPR-XFER-01", "JUR-EXPO-01"} <= rules
    text = html.read_text()
    assert "Rendered from" in text and str(saved) in text
    assert "as of 2026-11-28" in text


def test_report_of_a_broken_result_is_an_input_error(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "result.json"
    broken.write_text('{"tool": {"name": "residency-audit"}}')
    result = runner.invoke(app, ["report", str(broken), "-f", "markdown"])
    assert result.exit_code == 2
    assert f"{broken}:1:1: error: incomplete residency-audit result" in result.stderr


def test_report_refuses_to_overwrite_the_result_it_reads(runner: CliRunner, tmp_path: Path) -> None:
    saved = tmp_path / "result.json"
    saved.write_text(
        runner.invoke(app, ["check", BACKUP, "--as-of", str(AS_OF), "-f", "json"]).stdout
    )
    before = saved.read_bytes()
    result = runner.invoke(app, ["report", str(saved), "-f", "html", "-o", str(saved)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --output {saved}: this is the result file {saved}, an input of this run; "
        "refusing to overwrite it with the html report (write it elsewhere)\n"
    )
    assert saved.read_bytes() == before


def test_report_re_renders_the_junit_check_wrote(runner: CliRunner, tmp_path: Path) -> None:
    """A saved result keeps each component's checks together; the XML `check` writes follows
    the same order, so re-rendering gives the same bytes (a party's rules come after the
    components' in a file, and would otherwise move)."""
    written, saved, again = tmp_path / "c.xml", tmp_path / "r.json", tmp_path / "r.xml"
    args = ["check", str(SAMPLES), "--as-of", str(AS_OF)]
    runner.invoke(app, [*args, "-f", "junit", "-o", str(written), "-f", "json", "-o", str(saved)])
    result = runner.invoke(app, ["report", str(saved), "-f", "junit", "-o", str(again)])
    assert result.exit_code == 1, result.output  # as check's: the samples fail --fail-on high
    assert again.read_bytes() == written.read_bytes()


@pytest.mark.parametrize("fmt", ["json", "sarif", "markdown", "junit"])
def test_report_of_a_result_too_large_for_memory_gives_what_check_wrote(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """A saved result is read item by item, its findings, flows and checks into spools that
    move to disk (as a batch of thousands of files does, whose result json.loads could not
    hold): re-rendered from disk, every format is the bytes `check` wrote."""
    monkeypatch.setattr(spool, "KEEP_IN_MEMORY", 5)
    written, saved = tmp_path / f"check.{fmt}", tmp_path / "result.json"
    again = tmp_path / f"report.{fmt}"
    args = ["check", str(SAMPLES), "--as-of", str(AS_OF)]
    checked = runner.invoke(
        app, [*args, "-f", fmt, "-o", str(written), "-f", "json", "-o", str(saved)]
    )
    result = runner.invoke(app, ["report", str(saved), "-f", fmt, "-o", str(again)])
    assert result.exit_code == checked.exit_code == 1, result.output
    if fmt == "markdown":  # the header and manifest say when and how it was made
        body = again.read_text().split("## Summary")[1].split("## Manifest")[0]
        assert body == written.read_text().split("## Summary")[1].split("## Manifest")[0]
    elif fmt == "sarif":
        assert (
            json.loads(again.read_text())["runs"][0]["results"]
            == (json.loads(written.read_text())["runs"][0]["results"])
        )
    else:
        assert again.read_bytes() == written.read_bytes()


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("findings.0.subject", 123),
        ("findings.0.subject", ["party:a"]),
        ("findings.0.deployment", None),
        ("checks.0.rules", "CORE-LAW-01"),
        ("checks.0.subject", {"a": 1}),
        ("flows.0.id", 7),
    ],
)
def test_a_saved_result_with_a_value_of_the_wrong_type_is_an_input_error(
    runner: CliRunner, tmp_path: Path, where: str, value: object
) -> None:
    """Every format groups and sorts by these names: a hand-edited result whose subject is a
    number crashed JUnit (exit 3); it is an input error naming the file (exit 2)."""
    saved = tmp_path / "result.json"
    runner.invoke(app, ["check", BACKUP, "--as-of", str(AS_OF), "-f", "json", "-o", str(saved)])
    data = json.loads(saved.read_text())
    *path, last = where.split(".")
    node = data
    for step in path:
        node = node[int(step)] if step.isdigit() else node[step]
    node[last] = value
    saved.write_text(json.dumps(data))
    for fmt in ("junit", "sarif", "markdown"):
        result = runner.invoke(app, ["report", str(saved), "-f", fmt])
        assert result.exit_code == 2, (fmt, result.output)
        assert result.output.startswith(f"{saved}:1:"), result.output  # the item's column
        assert ": error: incomplete residency-audit result (" in result.output
        assert "expected" in result.output and "Traceback" not in result.output
        assert "Error" not in result.output  # said in a user's words, not Python's


def saved_result(runner: CliRunner, tmp_path: Path) -> tuple[Path, dict[str, object]]:
    saved = tmp_path / "result.json"
    runner.invoke(
        app, ["check", str(SAMPLES), "--as-of", str(AS_OF), "-f", "json", "-o", str(saved)]
    )
    return saved, json.loads(saved.read_text())


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda d: d.pop("findings"), "incomplete residency-audit result: no findings"),
        (lambda d: d.update(Findings=d.pop("findings")), "no findings"),
        (lambda d: d.pop("checks"), "no checks"),
        (lambda d: d["findings"].pop(), "its summary counts"),
    ],
)
def test_a_result_missing_its_findings_is_no_pass(
    runner: CliRunner, tmp_path: Path, change: object, said: str
) -> None:
    """QA: with no `findings` member, a result re-rendered as '0 finding(s) ... pass' (exit 0):
    a damaged or forged file read as a clean audit."""
    saved, data = saved_result(runner, tmp_path)
    change(data)  # type: ignore[operator]
    saved.write_text(json.dumps(data))
    result = runner.invoke(app, ["report", str(saved)])
    assert result.exit_code == 2, result.output
    assert said in result.output
    baseline = runner.invoke(app, ["check", BACKUP, "--baseline", str(saved)])
    assert baseline.exit_code == 2 and said in baseline.output


@pytest.mark.parametrize("index", [0, -1])
@pytest.mark.parametrize("fmt", ["markdown", "junit"])
def test_a_bad_item_is_an_input_error_wherever_it_sits(
    runner: CliRunner, tmp_path: Path, index: int, fmt: str
) -> None:
    """A location path that is not text, first or last in a list of more findings than a run
    holds: exit 2 at the item's line in both cases (the last one crashed sorting, exit 3)."""
    saved, data = saved_result(runner, tmp_path)
    findings = data["findings"]
    assert isinstance(findings, list)
    data["findings"] = findings * (1200 // len(findings) + 1)
    data["summary"]["findings"] = len(data["findings"])  # type: ignore[index]
    data["findings"][index] = {**findings[0], "location": {"path": 7, "line": 1, "column": 1}}
    saved.write_text(json.dumps(data, indent=2))
    result = runner.invoke(app, ["report", str(saved), "-f", fmt])
    assert result.exit_code == 2, result.output
    line = int(result.output.split(":")[1])
    assert line > 1 and "expected text, got int" in result.output


@pytest.mark.parametrize("name", ["db\n/work/x:1:1: error: forged", "db\x1b[32m", "db\u202e"])
def test_control_characters_in_a_saved_name_are_refused(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    """The loader refuses them in a deployment; a hand-edited result must not bring them into a
    CI log or JUnit XML."""
    saved, data = saved_result(runner, tmp_path)
    data["findings"][0]["deployment"] = name  # type: ignore[index]
    saved.write_text(json.dumps(data))
    result = runner.invoke(app, ["report", str(saved), "-f", "junit"])
    assert result.exit_code == 2 and "in a name" in result.output, result.output
    assert "forged" not in result.output.split("error:", 1)[0]


def test_a_baseline_without_packs_still_warns_of_another_version(
    runner: CliRunner, tmp_path: Path
) -> None:
    saved, data = saved_result(runner, tmp_path)
    data["tool"]["version"] = "0.0.1"  # type: ignore[index]
    del data["rule_packs"]
    saved.write_text(json.dumps(data))
    result = runner.invoke(app, ["check", BACKUP, "--baseline", str(saved)])
    # refused as `report` refuses it (a baseline is checked as strictly), which says what to do
    assert result.exit_code == 2
    assert "(no member 'rule_packs'); regenerate it with this version" in result.stderr


def backup_result(runner: CliRunner, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    saved = tmp_path / "result.json"
    runner.invoke(app, ["check", BACKUP, "--as-of", str(AS_OF), "-f", "json", "-o", str(saved)])
    return saved, json.loads(saved.read_text())


def refused_at_item(
    runner: CliRunner, saved: Path, data: dict[str, Any], said: str, *formats: str
) -> None:
    """`data` saved with an indent, so each item has a line of its own: every format is an
    input error (exit 2) at the changed item's line, saying `said`."""
    saved.write_text(json.dumps(data, indent=2))
    for fmt in formats:
        result = runner.invoke(app, ["report", str(saved), "-f", fmt])
        assert result.exit_code == 2, (fmt, result.output)
        assert result.output.startswith(f"{saved}:"), result.output
        assert int(result.output.split(":")[1]) > 1, result.output  # the item's line, not 1:1
        assert said in result.output and "Traceback" not in result.output, result.output


@pytest.mark.parametrize("line", ["a", None, True, -1, 1.5])
def test_an_input_error_of_a_saved_result_must_have_a_place(
    runner: CliRunner, tmp_path: Path, line: object
) -> None:
    """QA: an `errors` entry with line "a" or null crashed SARIF (exit 3, TypeError comparing
    int and str) and was accepted silently by the other formats."""
    saved, data = backup_result(runner, tmp_path)
    data["errors"].append({"path": "x.yaml", "line": line, "column": 1, "message": "m"})
    data["summary"]["errors"] = 1
    said = "(errors[0]: expected a line number, got "
    refused_at_item(runner, saved, data, said, "sarif", "text", "html", "junit", "markdown")


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ({"path": "x\n/work/y.yaml:1:1: error: forged", "line": 1, "column": 1}, "in a path"),
        ({"path": 7, "line": 1, "column": 1}, "expected text, got int"),
        ({"path": "x.yaml", "line": 1}, "no member 'column'"),
    ],
)
def test_an_input_error_of_a_saved_result_is_checked_like_a_finding(
    runner: CliRunner, tmp_path: Path, entry: dict[str, Any], said: str
) -> None:
    saved, data = backup_result(runner, tmp_path)
    data["errors"] = [{"message": "m", **entry}]
    data["summary"]["errors"] = 1
    refused_at_item(runner, saved, data, said, "sarif", "text")


@pytest.mark.parametrize("url", ["javascript:alert(document.domain)", "data:text/html,x"])
@pytest.mark.parametrize("where", ["reference", "fact", "rule"])
def test_a_saved_url_that_is_not_a_web_address_is_refused(
    runner: CliRunner, tmp_path: Path, url: str, where: str
) -> None:
    """QA: `report` linked a hand-edited `javascript:` reference or fact URL in the HTML report.
    The tool writes http(s) URLs only (rule packs refuse others), so a result holding another
    is not one of its own: an input error at the item, for `report` and for `--baseline`."""
    saved, data = backup_result(runner, tmp_path)
    if where == "rule":
        data["rules"][0]["references"][0]["url"] = url
    elif where == "reference":
        data["findings"][0]["references"][0]["url"] = url
    else:
        data["findings"][0]["facts"][0]["url"] = url
    said = f"{where if where != 'rule' else 'reference'} URL {url!r} is not an http:// or https://"
    refused_at_item(runner, saved, data, said, "html", "sarif")
    if where != "rule":  # a baseline reads findings only
        baseline = runner.invoke(app, ["check", BACKUP, "--baseline", str(saved)])
        assert baseline.exit_code == 2 and said in baseline.output, baseline.output


@pytest.mark.parametrize("char", ["\uffff", "\ufffe", "\ud800", "\x01"])
@pytest.mark.parametrize("where", ["message", "remediation", "rule title", "check"])
def test_a_character_xml_cannot_hold_is_refused_in_a_saved_result(
    runner: CliRunner, tmp_path: Path, char: str, where: str
) -> None:
    """QA: a finding message with U+FFFF gave JUnit XML that no CI server parses (exit 0). The
    loader refuses such characters in deployments and rule packs, so a result holding one was
    edited: an input error at the item."""
    saved, data = backup_result(runner, tmp_path)
    if where == "rule title":
        data["rules"][0]["title"] += char
    elif where == "check":
        data["checks"][0]["rules"][0] += char
    else:
        data["findings"][0][where] += char
    refused_at_item(runner, saved, data, f"U+{ord(char):04X} in a", "junit", "text")

"""The settings findings rest on (`--tia-max-age`) are part of the JSON result, defaults
included, so that a report re-rendered from it (`report`) can say which value was in force:
GDPR-TIA-01 comes and goes with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, FIXTURES
from tests.reporters.test_html import Page
from tests.support.jsonplaces import member_at

DEPLOYMENT = str(FIXTURES / "deployments" / "transfers-mixed.yaml")  # TIA 272 days old


def saved(runner: CliRunner, path: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    """The JSON result of a check of DEPLOYMENT with `extra` options, written to `path`."""
    args = ["check", DEPLOYMENT, "--as-of", str(AS_OF), "-f", "json", "-o", str(path)]
    result = runner.invoke(app, [*args, "--fail-on", "never", *extra])
    assert result.exit_code == 0, result.output
    data: dict = json.loads(path.read_text())  # type: ignore[type-arg]
    return data


def tia_findings(result: dict) -> list[str]:  # type: ignore[type-arg]
    return [f["message"] for f in result["findings"] if f["rule_id"] == "GDPR-TIA-01"]


def test_the_result_records_the_value_its_findings_rest_on(
    runner: CliRunner, tmp_path: Path
) -> None:
    stricter = saved(runner, tmp_path / "180.json", "--tia-max-age", "180")
    default = saved(runner, tmp_path / "default.json")
    assert tia_findings(stricter) and not tia_findings(default)
    assert stricter["parameters"] == {"tia_max_age_days": 180}
    assert default["parameters"] == {"tia_max_age_days": 365}  # the default in force, said


def test_a_re_rendered_report_shows_them(runner: CliRunner, tmp_path: Path) -> None:
    result = tmp_path / "r.json"
    saved(runner, result, "--tia-max-age", "180")
    markdown, html = tmp_path / "again.md", tmp_path / "again.html"
    formats = ["-f", "markdown", "-o", str(markdown), "-f", "html", "-o", str(html), "-f", "sarif"]
    rendered = runner.invoke(app, ["report", str(result), *formats, "--fail-on", "never"])
    assert rendered.exit_code == 0, rendered.output
    assert "- Parameters: `tia_max_age_days = 180`" in markdown.read_text().splitlines()
    assert "Parameters tia_max_age_days = 180" in Page(html.read_text()).words
    properties = json.loads(rendered.stdout)["runs"][0]["properties"]
    assert properties["parameters"] == {"tia_max_age_days": 180}


def test_a_result_saved_without_them_says_they_are_unknown(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = tmp_path / "r.json"
    data = saved(runner, result, "--tia-max-age", "180")
    del data["parameters"]  # as a result written before they were kept
    result.write_text(json.dumps(data, indent=2))
    rendered = runner.invoke(app, ["report", str(result), "-f", "markdown", "--fail-on", "never"])
    assert rendered.exit_code == 0, rendered.output
    assert (
        "- Parameters: not recorded in this result (saved by a version that did not keep them)"
        in rendered.stdout.splitlines()
    )


@pytest.mark.parametrize(
    "parameters",
    [
        [["tia_max_age_days", 180]],
        {"tia_max_age_days": True},
        {"tia\nx": 1},
        # QA: shown as if an audit had run with them
        {"tia_max_age_days": "abc"},
        {"tia_max_age_days": -5},
        {"tia_max_age_days": 365, "zz": 3},
        {},
    ],
)
def test_a_saved_parameter_of_another_kind_is_an_input_error(
    runner: CliRunner, tmp_path: Path, parameters: object
) -> None:
    result = tmp_path / "r.json"
    data = saved(runner, result)
    data["parameters"] = parameters
    result.write_text(json.dumps(data, indent=2))
    rendered = runner.invoke(app, ["report", str(result), "-f", "markdown"])
    assert rendered.exit_code == 2, rendered.output
    at = member_at(result.read_text(), "parameters")  # the value refused, not 1:1
    assert rendered.stderr.startswith(f"{result}:{at}: error: incomplete residency-audit result")

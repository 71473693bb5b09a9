"""From 1 January to 27 June 2021 transfers to the UK rested on the interim provision of the
EU-UK Trade and Cooperation Agreement, which the knowledge base records as "not an adequacy
decision" (united-kingdom-tca-bridge); the Art. 45 decision 2021/1772 applies from 28 June 2021
(legal-notes §11.3). The flows and countries say which one the audit date falls under."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import FIXTURES

UK_STORE = FIXTURES / "deployments" / "uk-host-store.yaml"


def output(runner: CliRunner, day: str, form: str) -> str:
    result = runner.invoke(
        app, ["check", str(UK_STORE), "--as-of", day, "-f", form, "--fail-on", "never"]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize(
    ("day", "status", "words"),
    [
        ("2021-03-01", "interim", "interim provision (not an adequacy decision)"),
        ("2021-06-27", "interim", "interim provision (not an adequacy decision)"),
        ("2021-06-28", "adequate", "adequacy decision (Art. 45)"),
    ],
)
def test_the_uk_bridge_is_not_called_an_adequacy_decision(
    runner: CliRunner, day: str, status: str, words: str
) -> None:
    countries = json.loads(output(runner, day, "json"))["countries"]
    assert {"code": "GB", "name": "United Kingdom", "status": status} in countries
    (row,) = [x for x in output(runner, day, "markdown").splitlines() if "GB (United Kingdom)" in x]
    assert f"| {words} |" in row
    picture = output(runner, day, "html")
    assert ("interim provision, not adequacy" in picture) is (status == "interim")


def test_a_saved_result_with_the_bridge_is_read_back(runner: CliRunner, tmp_path: Path) -> None:
    saved = tmp_path / "result.json"
    saved.write_text(output(runner, "2021-03-01", "json"))
    result = runner.invoke(app, ["report", str(saved), "-f", "markdown"])
    assert result.exit_code in (0, 1), result.output
    assert "interim provision (not an adequacy decision)" in result.stdout

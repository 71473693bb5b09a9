"""The SecNumCloud pack follows the ANSSI referential's own words (version 3.2 of 8 March 2022),
as stored copies of it quote them, no longer a blog's analysis of a draft.

QA (a helper reading the text): §19.6 a requires the seat, the central administration AND the
principal establishment in the EU, where the rule said "or"; the criterion SNC-196-D checks (a
non-EU third company, a sub-contractor included, has no technical possibility to obtain the
data) is §19.6 c, where the rule and the coverage map said d; §19.6 f was not listed.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app

ROOT = Path(__file__).resolve().parent.parent
ANSSI = (
    "https://cyber.gouv.fr/sites/default/files/document/secnumcloud-referentiel-exigences-v3.2.pdf"
)


def test_coverage_maps_each_criterion_of_19_6_to_the_rule_that_checks_it(
    runner: CliRunner,
) -> None:
    result = runner.invoke(app, ["rules", "coverage", "--pack", "secnumcloud"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line for line in result.stdout.splitlines() if "§19.6" in line}
    assert set(rows) == {"a", "b", "c", "d", "e", "f"}
    assert rows["c"].endswith("SNC-196-D")
    assert "MANUAL" in rows["d"] and "MANUAL" in rows["f"]
    assert ANSSI in result.stdout


def test_19_6_a_asks_for_all_three_places_in_the_eu(runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", "SNC-196-A"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "administration centrale et principal établissement" in text
    assert "all three, not one of them" in text
    assert "§19.6 c" in runner.invoke(app, ["explain", "SNC-196-D"]).stdout


def test_no_bundled_rule_cites_a_secondary_analysis_of_secnumcloud() -> None:
    secondary = ("pialab.io", "nosdeputes.fr")
    cited = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "rules").rglob("*.yaml")
        if any(host in path.read_text(encoding="utf-8") for host in secondary)
    ]
    assert cited == []

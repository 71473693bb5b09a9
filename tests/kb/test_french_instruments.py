"""French instruments an HDS or SecNumCloud audit rests on are cited for what was read: the
SecNumCloud 3.2 entry was checked against the ANSSI referential's text (§19.6), so a lawyer
reading `explain` sees it cited as verified against ANSSI's document, not a blog's analysis."""

from __future__ import annotations

from typer.testing import CliRunner

from residency_audit.cli import app


def test_secnumcloud_3_2_is_cited_as_verified_against_the_anssi_referential(
    runner: CliRunner,
) -> None:
    result = runner.invoke(app, ["explain", "SNC-196-A"])
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("  - secnumcloud-3.2 (")]
    assert "8 March 2022" in line
    assert "verified against https://cyber.gouv.fr/" in line
    assert "NOT VERIFIED" not in line
    caveats = result.stdout.split("Unverified facts and caveats:")[1]
    assert "secnumcloud-3.2:" not in caveats

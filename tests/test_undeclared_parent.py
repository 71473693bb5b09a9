"""A party with no ultimate parent declared (and no provider the knowledge base knows) has an
unknown parent, also when its seat's own laws compel access: the rules do not state the seat
as its parent's country, and every flow naming it shows "parent ?", as its place's flow did."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF

DEPLOYMENT = """\
schema_version: 1
name: clinique-keys
controller: clinique
data: {categories: [health, identification], health_context: care}
parties:
  - {id: clinique, name: Clinique Exemple SAS, role: controller, country: FR}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
  - {id: keyco, name: Key Custody Co, role: sub-processor, country: CN, TRANSPARENCY}
components:
  - id: records-db
    kind: datastore
    provider: aws
    operator: aws-emea
    region: eu-west-3
    key: records-key
    clear_text_processing: false
    copies:
      - {kind: backup, region: eu-west-1, operator: keyco}
keys:
  - {id: records-key, encryption: client-side, management: customer-held, holder: keyco,
     country: FR, provider_can_use: false}
"""
DISCLOSED = (
    "transparency: {url: 'https://keyco.example/hds', laws: [cn-national-intelligence-law-art7, "
    "cn-cybersecurity-law-art28, cn-counter-espionage-law], mitigations: true, "
    "residual_risks: true}"
)


def run(tmp_path: Path, runner: CliRunner, *args: str, disclosed: bool = False) -> str:
    path = tmp_path / "keys.yaml"
    path.write_text(DEPLOYMENT.replace(", TRANSPARENCY", f", {DISCLOSED}" if disclosed else ""))
    result = runner.invoke(app, ["check", str(path), "--as-of", str(AS_OF), *args])
    assert result.exit_code == 1, result.output
    return result.output


def test_the_key_holder_s_flow_shows_the_parent_nobody_declared_as_unknown(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: keyco's backup flow said 'Key Custody Co (parent ?)' but its key-custody flow
    'Key Custody Co (parent CN)', and JUR-01 'ultimate parent CN', though no parent is
    declared: its seat was presented as its parent's country."""
    output = run(tmp_path, runner)
    rows = {
        line.split()[0]: line for line in output.splitlines() if line.startswith("  records-db")
    }
    rows |= {line.split()[0]: line for line in output.splitlines() if "key/records-key" in line}
    assert "Key Custody Co (parent ?)" in rows["records-db/backup@eu-west-1"]
    assert "Key Custody Co (parent ?)" in rows["key/records-key"]
    assert (
        "info JUR-01 keyco (Key Custody Co) is under law that can compel access to data it holds "
        "(seat CN, ultimate parent unknown)"
    ) in output
    assert "ultimate parent CN" not in output


def test_disclosing_the_seat_s_laws_alone_does_not_clear_an_undeclared_parent_s(
    tmp_path: Path, runner: CliRunner
) -> None:
    """HDS-EXT-01 passed for keyco disclosing China's laws, as if its parent were Chinese too:
    a parent elsewhere would bring laws the disclosure does not name."""
    output = run(tmp_path, runner, "-f", "json", disclosed=True)
    [ext] = [
        f
        for f in json.loads(output)["findings"]
        if f["rule_id"] == "HDS-EXT-01" and f["subject"] == "party:keyco"
    ]
    assert ext["unverifiable"] is True
    assert ext["message"].startswith("cannot be verified for party keyco: unknown party.parent")


def test_the_seat_s_law_still_reaches_the_key_in_clear_whatever_the_parent(
    tmp_path: Path, runner: CliRunner
) -> None:
    """Review: with the parent unknown, the key-custody flow's legal bases became unknown as a
    whole, so RISK-CLEAR-01 could no longer be verified and China's laws left the flows table,
    though they reach a custodian seated in China whatever its parent. They are a floor: the
    finding stands on them, and the estimate alone stays unknown."""
    output = run(tmp_path, runner, "-f", "json")
    found = json.loads(output)["findings"]
    [clear] = [
        f for f in found if f["rule_id"] == "RISK-CLEAR-01" and "custody of key" in f["message"]
    ]
    assert clear["unverifiable"] is False
    assert (
        "Key Custody Co can reach health data in clear in FR; legal bases for access to them: "
        "cn-national-intelligence-law-art7, cn-cybersecurity-law-art28, cn-counter-espionage-law "
        "at least (whether another country's law reaches it is unknown)"
    ) in clear["message"]
    [row] = [line for line in run(tmp_path, runner).splitlines() if "key/records-key" in line]
    # each law's knowledge-base entry is unverified: the text table marks it with a dagger
    assert "cn-national-intelligence-law-art7\u2020, cn-cybersecurity-law-art28\u2020, " in row
    assert "cn-counter-espionage-law\u2020, ?" in row

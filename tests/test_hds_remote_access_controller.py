"""HDS-RA-01 (EXI 29) judges remote access by the host and its sub-processors. The controller's
own staff working from outside the EEA is the same entity, not a transfer (EDPB Guidelines
05/2021), and not a host: its access is no HDS-RA-01 finding, while a processor's access from the
same country without an Art. 45/46 basis still is."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, SAMPLES

SUPPORT = """\
  - id: outscale-support
    kind: support
    entity: outscale
    country: FR
"""
HOSPITAL = """\
  - id: hospital
    name: Centre Hospitalier Exemple
    role: controller
    country: FR
"""


def remote_access(tmp_path: Path, entity: str) -> Path:
    """The sovereign-hospital sample with its only access path served from the US by `entity`,
    with no transfer tool declared. The hospital's ultimate parent is declared (French), so that
    the risk model knows whose law reaches its own staff's access."""
    text = (SAMPLES / "sovereign-hospital.yaml").read_text()
    assert SUPPORT in text and HOSPITAL in text
    parent = "    parent: {name: Centre Hospitalier Exemple, country: FR}\n"
    text = text.replace(HOSPITAL, HOSPITAL + parent)
    path = tmp_path / f"{entity}-from-us.yaml"
    moved = SUPPORT.replace("outscale-support", f"{entity}-admin").replace(
        "entity: outscale", f"entity: {entity}"
    )
    path.write_text(text.replace(SUPPORT, moved.replace("country: FR", "country: US")))
    return path


def rule_ids(runner: CliRunner, path: Path) -> tuple[int, set[str]]:
    result = runner.invoke(
        app, ["check", str(path), "--format", "json", "--as-of", AS_OF.isoformat()]
    )
    report = json.loads(result.stdout)
    return result.exit_code, {f["rule_id"] for f in report["findings"]}


def test_the_controllers_own_staff_abroad_is_no_hds_remote_access_finding(
    runner: CliRunner, tmp_path: Path
) -> None:
    code, rules = rule_ids(runner, remote_access(tmp_path, "hospital"))
    assert "HDS-RA-01" not in rules
    assert "GDPR-XFER-02" not in rules  # the transfer rule draws the same line
    assert code == 0


def test_a_processors_access_from_outside_the_eea_without_a_basis_still_fails(
    runner: CliRunner, tmp_path: Path
) -> None:
    code, rules = rule_ids(runner, remote_access(tmp_path, "outscale"))
    assert {"HDS-RA-01", "GDPR-XFER-02"} <= rules
    assert code == 1

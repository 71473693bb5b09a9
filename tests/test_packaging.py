"""The built wheel carries the rule packs and the knowledge base, so an installed tool works
outside the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_wheel_contains_rule_packs_and_knowledge(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("residency_audit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped_rules = {str(p.relative_to(ROOT)) for p in (ROOT / "rules").rglob("*.yaml")}
    assert {f"residency_audit/{name}" for name in shipped_rules} <= names
    data = {
        f"residency_audit/kb/data/{p.name}"
        for p in (ROOT / "residency_audit" / "kb" / "data").glob("*.yaml")
    }
    assert data <= names

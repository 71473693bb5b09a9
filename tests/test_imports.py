"""Start-up stays fast: the CLI and the non-terminal check path import no heavy module.

Each check runs in a fresh interpreter, since this test session has imported everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import AS_OF, ROOT, SAMPLES

HEAVY = (
    "boto3",
    "botocore",
    "dns",
    "jinja2",
    "orjson",  # JSON results only
    "weasyprint",
    "rich",
    "multiprocessing",
    "concurrent.futures",
    "residency_audit.packing",  # batch workers only
)


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    names = json.loads(result.stdout.splitlines()[-1])
    return {
        heavy for heavy in HEAVY for name in names if name == heavy or name.startswith(heavy + ".")
    }


def test_importing_the_cli_imports_no_heavy_module() -> None:
    assert loaded_after("import residency_audit.cli") == set()


def test_checking_one_file_off_a_terminal_imports_no_heavy_module() -> None:
    run = (
        "import sys\nfrom residency_audit.cli import app\n"
        f"sys.argv = ['residency-audit', 'check', {str(SAMPLES / 'doctolib-2021.yaml')!r},"
        f" '--as-of', {str(AS_OF)!r}]\n"
        "try:\n    app()\nexcept SystemExit:\n    pass"
    )
    assert loaded_after(run) == set()

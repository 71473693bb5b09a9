"""The real command in a fresh interpreter, for tests that need what a user's shell gets: an
exit code, stdout and stderr apart, and a crash as a signal rather than a dead pytest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def residency_audit(
    *args: str, cwd: Path | None = None, timeout: float = 60, **options: Any
) -> subprocess.CompletedProcess[str]:
    """`python -m residency_audit ARGS` with this checkout on the path; the timeout only
    guards against a hang. `options` go to `subprocess.run` (`errors`, `preexec_fn`)."""
    return subprocess.run(
        [sys.executable, "-m", "residency_audit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        check=False,
        **options,
    )

"""Start-up benchmark: `residency-audit check <one sample>` against `python -c "import typer,
yaml"` (the floor of any typer CLI reading YAML), median of repeated runs, as a ratio.

The package is byte-compiled first and PYTHONDONTWRITEBYTECODE is dropped, as for an installed
wheel; otherwise every run would recompile our modules and measure the compiler.

    python benchmarks/startup.py [RUNS]
"""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_configs" / "doctolib-2021.yaml"
TARGET = 2.0


def median_seconds(command: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(runs: int) -> None:
    compileall.compile_dir(ROOT / "residency_audit", quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    commands = {
        'python -c "import typer, yaml"': [sys.executable, "-c", "import typer, yaml"],
        "residency-audit --version": [sys.executable, "-m", "residency_audit", "--version"],
        f"residency-audit check {SAMPLE.name}": [
            sys.executable,
            "-m",
            "residency_audit",
            "check",
            str(SAMPLE),
            "--as-of",
            "2026-11-28",
        ],
    }
    for command in commands.values():  # warm the page cache
        median_seconds(command, 2, env)
    results = {label: median_seconds(command, runs, env) for label, command in commands.items()}
    floor = next(iter(results.values()))
    print(f"start-up, median of {runs} runs (load average {os.getloadavg()[0]:.2f})")
    print(f"{'command':<48}{'ms':>8}{'ratio':>8}")
    for label, seconds in results.items():
        print(f"{label:<48}{seconds * 1000:>8.1f}{seconds / floor:>8.2f}")
    ratio = list(results.values())[-1] / floor
    print(f"check / floor = {ratio:.2f} (target <= {TARGET})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 21)

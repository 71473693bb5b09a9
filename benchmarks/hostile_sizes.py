"""The largest deployment the caps of `format/limits.py` let through, every cap reached at once:
what it costs to audit, in CPU seconds (start-up included) and peak memory of the process. Issue
8 promises a hostile file bounded time (under 2 s) and memory; the caps are what bound it.

    python benchmarks/hostile_sizes.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from tests.test_hostile_sizes import probe, worst_deployment


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        worst = Path(tmp) / "worst.yaml"
        text = worst_deployment()
        worst.write_text(text)
        print(f"worst file under every cap: {len(text.encode()):,} bytes")
        print(f"{'format':>8}{'exit':>6}{'CPU s':>8}{'peak MB':>9}")
        for fmt in ("json", "text"):
            code, cpu, rss_kb = probe(worst, fmt, Path(tmp) / f"out.{fmt}")
            print(f"{fmt:>8}{code:>6}{cpu:>8.2f}{rss_kb / 1024:>9.0f}")
        print("issue 8: a hostile file in under 2 s and bounded memory")


if __name__ == "__main__":
    main()

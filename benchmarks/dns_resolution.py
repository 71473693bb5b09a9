"""Benchmark: resolve 1,000 names concurrently against unbound on 127.0.0.1 and print wall time.

    python benchmarks/dns_resolution.py [--names 1000] [--workers 32]

Starts Debian's unbound (apt-get install -y --no-install-recommends unbound) with the test zones
plus a generated zone of N names: a third CNAME into CloudFront (two zones away), a third plain
A records, a third NXDOMAIN. Times `discover.resolve` (collector + attribution), as the CLI runs
it. No assertion: compare runs by eye, on the same machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from residency_audit import kb
from residency_audit.discover import DnsSettings, resolve
from residency_audit.observations import Purpose
from tests.support.dns_server import running_unbound


def zone(count: int) -> str:
    lines = [
        "$ORIGIN bench.test.",
        "$TTL 300",
        "@ IN SOA ns1.example-health.test. hostmaster.example-health.test. 1 3600 600 86400 300",
        "@ IN NS ns1.example-health.test.",
    ]
    for i in range(count):
        if i % 3 == 0:
            lines.append(f"name-{i} IN CNAME d111.cloudfront.net.")
        elif i % 3 == 1:
            lines.append(f"name-{i} IN A 15.236.{i // 256 % 256}.{i % 256}")
        # i % 3 == 2: not in the zone, NXDOMAIN
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=32)
    args = parser.parse_args()
    knowledge = kb.default()
    knowledge.network()  # load the IP-range snapshots before timing
    with tempfile.TemporaryDirectory() as work:
        bench_zone = Path(work) / "bench.test.zone"
        bench_zone.write_text(zone(args.names))
        server_dir = Path(work) / "server"
        server_dir.mkdir()
        with running_unbound(server_dir, extra_zones={"bench.test.": bench_zone}) as server:
            requests = [(f"name-{i}.bench.test", Purpose.HOST) for i in range(args.names)]
            settings = DnsSettings((server.host,), server.port, timeout=2.0, workers=args.workers)
            started = time.perf_counter()
            observed = resolve(requests, settings, knowledge, observed_on=dt.date.today())
            elapsed = time.perf_counter() - started
    statuses: dict[str, int] = {}
    for name in observed.names:
        statuses[name.status.value] = statuses.get(name.status.value, 0) + 1
    attributed = sum(1 for n in observed.names if n.attributions)
    print(
        f"{args.names} names, {args.workers} workers: {elapsed:.2f} s wall "
        f"({args.names / elapsed:.0f} names/s); "
        + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
        + f"; {attributed} attributed"
    )


if __name__ == "__main__":
    main()

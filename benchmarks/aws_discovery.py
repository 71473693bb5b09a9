"""Discover 500 S3 buckets across 5 regions in moto; print wall time and API calls.

    python benchmarks/aws_discovery.py [--buckets 500] [--workers 8]

Regions are read concurrently (`Settings.workers`); rerun with `--workers 1` to compare. moto
answers in a few CPU-bound milliseconds, so on a small machine the server, not the collector,
sets the pace and concurrency gains little; against AWS, where each call waits tens of
milliseconds on the network, regions overlap. API calls are counted with a botocore
`before-call` event hook.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REGIONS = ("eu-west-3", "eu-central-1", "eu-west-1", "us-east-1", "ap-southeast-2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, default=500)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    # moto in its own process: in a thread it would share the GIL with the collector and
    # hide the concurrency being measured.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        host, port = probe.getsockname()
    server = subprocess.Popen(
        [sys.executable, "-c", "from moto.server import main; main()", "-H", host, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://{host}:{port}/moto-api/", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise SystemExit("moto server did not start") from None
            time.sleep(0.1)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-west-3",
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    try:
        import boto3

        from residency_audit.collectors.aws import AwsCollector
        from residency_audit.collectors.aws_client import Settings

        setup = boto3.session.Session()
        clients = {r: setup.client("s3", region_name=r) for r in REGIONS}

        def create(i: int) -> None:
            region = REGIONS[i % len(REGIONS)]
            extra = (
                {}
                if region == "us-east-1"
                else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            )
            clients[region].create_bucket(Bucket=f"bench-{i:04d}-{region}", **extra)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(create, range(args.buckets)))

        calls: Counter[str] = Counter()
        lock = threading.Lock()

        def count(event_name: str, **_: Any) -> None:
            with lock:
                calls[event_name.split(".", 1)[1]] += 1

        session = boto3.session.Session()
        session.events.register("before-call", count)
        collector = AwsCollector(session, settings=Settings(max_attempts=2, workers=args.workers))
        start = time.perf_counter()
        found = collector.collect(REGIONS)
        wall = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=10)
    buckets = sum(1 for r in found.resources if r.service == "s3")
    print(
        f"{buckets} buckets in {len(REGIONS)} regions, {args.workers} workers: "
        f"{wall:.2f} s wall, {sum(calls.values())} API calls, {len(found.gaps)} not observed"
    )
    for name, n in sorted(calls.items()):
        print(f"  {n:5d} {name}")


if __name__ == "__main__":
    main()

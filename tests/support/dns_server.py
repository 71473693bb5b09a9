"""A real recursive DNS server on 127.0.0.1 for the tests and the benchmark: Debian's unbound
serving the zone files of `tests/support/dns/` as auth-zones (`for-upstream`), so it chases CNAME
chains across zones like a real resolver, and never talks to the real root servers.

See ../shared/ecosystem-notes.md §6. Unbound lives in /usr/sbin, which may not be on PATH.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ZONE_DIR = Path(__file__).resolve().parent / "dns"
ZONES = {
    ".": "root.zone",
    "example-health.test.": "example-health.test.zone",
    "clinic.test.": "clinic.test.zone",
    "cloudfront.net.": "cloudfront.net.zone",
    "ovh.net.": "ovh.net.zone",
    "mimecast.com.": "mimecast.com.zone",
    "outlook.com.": "outlook.com.zone",
    "google.com.": "google.com.zone",
}
INSTALL_HINT = "apt-get install -y --no-install-recommends unbound"


@dataclass(frozen=True, slots=True)
class DnsServer:
    host: str
    port: int


def unbound_path() -> str | None:
    found = shutil.which("unbound")
    if found:
        return found
    return "/usr/sbin/unbound" if Path("/usr/sbin/unbound").exists() else None


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unbound_conf(work: Path, port: int, zones: dict[str, str]) -> str:
    auth = "".join(
        f'auth-zone:\n    name: "{name}"\n    zonefile: "{work / f}"\n'
        "    for-downstream: no\n    for-upstream: yes\n    fallback-enabled: no\n"
        for name, f in zones.items()
    )
    return f"""server:
    interface: 127.0.0.1
    port: {port}
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "{work}"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 0
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    local-zone: "test." nodefault
    do-not-query-localhost: no
    do-not-query-address: 0.0.0.0/0
    do-not-query-address: ::0/0
    num-threads: 1
    msg-cache-size: 16m
    rrset-cache-size: 32m
{auth}remote-control:
    control-enable: no
"""


def wait_ready(port: int, deadline_s: float = 10.0) -> None:
    """Poll with a raw SOA query until unbound answers (no dnspython needed)."""
    query = (
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
        b"\x0eexample-health\x04test\x00\x00\x06\x00\x01"
    )
    end = time.monotonic() + deadline_s
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        while True:
            try:
                s.sendto(query, ("127.0.0.1", port))
                reply = s.recv(512)
                if reply[:2] == b"\x12\x34" and reply[3] & 0x0F == 0:
                    return
            except OSError:
                pass
            if time.monotonic() > end:
                raise RuntimeError(
                    f"unbound did not answer on 127.0.0.1:{port} within {deadline_s} s"
                )
            time.sleep(0.02)


@contextmanager
def running_unbound(
    work: Path, *, extra_zones: dict[str, Path] | None = None
) -> Iterator[DnsServer]:
    """Start unbound on a free loopback port with the test zones (plus `extra_zones`), yield
    where it listens, stop it afterwards. Raises FileNotFoundError when unbound is missing."""
    unbound = unbound_path()
    if unbound is None:
        raise FileNotFoundError(f"unbound is not installed ({INSTALL_HINT})")
    zones = dict(ZONES)
    for f in ZONES.values():
        shutil.copy(ZONE_DIR / f, work / f)
    for name, path in (extra_zones or {}).items():
        shutil.copy(path, work / path.name)
        zones[name] = path.name
    last_error: Exception | None = None
    for _attempt in range(2):  # the free port is released before unbound binds it: retry once
        port = free_udp_port()
        (work / "unbound.conf").write_text(unbound_conf(work, port, zones))
        proc = subprocess.Popen(
            [unbound, "-d", "-c", str(work / "unbound.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_ready(port)
        except RuntimeError as exc:
            last_error = exc
            _stop(proc)
            continue
        try:
            yield DnsServer("127.0.0.1", port)
        finally:
            _stop(proc)
        return
    raise RuntimeError(f"unbound would not start: {last_error}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()

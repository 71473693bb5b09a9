"""A reader that goes before stdout is all written (`| head -c 100`, a pipe nobody reads): every
command that writes to stdout exits 2 with one line on stderr saying so, never 0 or 1 (a pass,
or a verdict the reader never saw), never a traceback, and no "Exception ignored" from Python's
flush at exit. Real pipes and real processes: the error comes from the kernel (EPIPE)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from residency_audit.cli.base import STDOUT_CUT
from tests.conftest import AS_OF, ROOT, SAMPLES
from tests.support.moto_server import aws, moto_endpoint

__all__ = ["aws", "moto_endpoint"]  # fixtures

DOCTOLIB = str(SAMPLES / "doctolib-2021.yaml")


def env() -> dict[str, str]:
    """The environment as it is now (the `aws` fixture points it at moto), and this source;
    stdout block-buffered, as for most users (CI may set PYTHONUNBUFFERED): what a command
    writes without flushing then meets the broken pipe only at the flush on exit."""
    now = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return {**now, "PYTHONPATH": str(ROOT)}


def unread(*args: str) -> tuple[int, str]:
    """Exit code and stderr of `residency-audit ARGS` whose stdout is a pipe already closed at
    its reading end: the first write, or the flush at exit, meets a broken pipe."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "residency_audit", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=env(),
            timeout=300,
            check=False,
        )
    finally:
        os.close(write)
    return done.returncode, done.stderr


@pytest.fixture(scope="module")
def silent_dns() -> Iterator[int]:
    """The port of a UDP socket on loopback that never answers: `discover dns` records a
    timeout and still writes its YAML."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved JSON result without input errors, for `report`."""
    path = tmp_path_factory.mktemp("result") / "result.json"
    args = ["check", DOCTOLIB, "--as-of", str(AS_OF), "-f", "json", "-o", str(path)]
    subprocess.run([sys.executable, "-m", "residency_audit", *args], env=env(), check=False)
    assert path.is_file()
    return path


COMMANDS = {
    "version": ["--version"],
    "help": ["--help"],
    "group help": ["rules", "--help"],
    "schema": ["schema"],
    "risk-model": ["risk-model"],
    "explain": ["explain", "HDS-LOC-01"],
    "rules list": ["rules", "list"],
    "rules list json": ["rules", "list", "--format", "json"],
    "rules lint": ["rules", "lint", str(ROOT / "rules" / "hds")],
    "check json": ["check", DOCTOLIB, "--as-of", str(AS_OF), "-f", "json", "--fail-on", "never"],
    "check text": ["check", DOCTOLIB, "--as-of", str(AS_OF), "--fail-on", "never"],
}


@pytest.mark.parametrize("args", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_command_whose_stdout_nobody_reads_exits_2_with_one_line(args: list[str]) -> None:
    """`schema`, `risk-model`, `explain` and `rules ...` exited 3; `--version` and `--help` 1,
    the code of findings, and `check ... --fail-on never` 0, a pass, both with nothing said."""
    assert unread(*args) == (2, STDOUT_CUT + "\n")


def test_report_whose_stdout_nobody_reads_exits_2(result: Path) -> None:
    assert unread("report", str(result), "--fail-on", "never") == (2, STDOUT_CUT + "\n")


def test_discover_dns_whose_stdout_nobody_reads_exits_2(silent_dns: int) -> None:
    """The YAML goes to stdout at the end, unflushed: the pipe breaks at the flush on exit,
    where Python said 'Exception ignored ... BrokenPipeError' and exited 120."""
    args = ["discover", "dns", "api.example.test", "--nameserver", "127.0.0.1"]
    code, errors = unread(*args, "--port", str(silent_dns), "--timeout", "0.2")
    assert code == 2, errors
    assert errors.splitlines()[-1:] == [STDOUT_CUT]
    assert "Traceback" not in errors and "Exception ignored" not in errors


def test_discover_aws_whose_stdout_nobody_reads_exits_2(aws: str) -> None:
    code, errors = unread("discover", "aws", "--region", "eu-west-3", "--max-attempts", "1")
    assert code == 2, errors
    assert errors.splitlines()[-1:] == [STDOUT_CUT]
    assert "Traceback" not in errors and "Exception ignored" not in errors


def test_check_piped_to_head_does_not_pass() -> None:
    """`check sample_configs/ -f json | head -c 100` exited 0 with `--fail-on never` (1 without):
    under `set -o pipefail` a CI gate saw the verdict of a JSON it had cut at 100 bytes."""
    command = [sys.executable, "-m", "residency_audit", "check", str(SAMPLES), "-f", "json"]
    command += ["--as-of", str(AS_OF), "--fail-on", "never"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env()
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert len(process.stdout.read(100)) == 100  # what head -c 100 reads, then it goes
        process.stdout.close()
        errors = process.stderr.read().decode()
        code = process.wait(timeout=300)
    assert (code, errors) == (2, STDOUT_CUT + "\n")

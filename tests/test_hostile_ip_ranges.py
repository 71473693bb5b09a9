"""`kb refresh-ip-ranges` on hostile downloads: each gets `path:line:col: error:` and exit 2,
and the knowledge base is left as it was. Deep nesting and a 5000-digit integer were
tracebacks (exit 3), a FIFO hung, /dev/zero filled the memory, and a region holding a line
break or a megabyte was written into the knowledge base, from where findings print it.

Reading a FIFO or a device runs in a subprocess with its address space capped, so that a
regression fails instead of hanging the session or taking the machine down.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.kb import DATA_DIR
from tests.conftest import ROOT

ITEM = {
    "ip_prefix": "13.36.0.0/14",
    "region": "eu-west-3",
    "service": "EC2",
    "network_border_group": "eu-west-3",
}


def aws_text(**changes: Any) -> str:
    """AWS's ip-ranges.json as AWS lays it out (two-space indentation), with `changes`."""
    data = {
        "syncToken": "1792000000",
        "createDate": "2026-11-20-10-11-12",
        "prefixes": [ITEM],
        "ipv6_prefixes": [],
        **changes,
    }
    return json.dumps(data, indent=2)


def replaced(old: str, new: str) -> str:
    text = aws_text()
    assert text.count(old) == 1
    return text.replace(old, new)


HOSTILE = {
    # name: (file text, line and column of the error, start of its message)
    "deep-nesting": (
        aws_text().replace(
            '"ipv6_prefixes": []', '"ipv6_prefixes": ' + "[" * 100_000 + "]" * 100_000
        ),
        (12, 20 + 63),  # the 64th [ is 65 levels deep, in the top-level object
        "nested deeper than 64 levels",
    ),
    "huge-integer": (
        replaced('"1792000000"', "9" * 5000),
        (2, 16),
        "an integer of 5000 digits",
    ),
    "nan": (replaced('"1792000000"', "NaN"), (2, 16), "NaN is not a JSON number"),
    "member-twice": (
        aws_text()[:-2] + ',\n  "prefixes": []\n}',
        (13, 3),
        "member 'prefixes' given twice",
    ),
    "line-break-in-region": (
        replaced('"region": "eu-west-3"', '"region": "eu\\n::error::forged"'),
        (6, 20),  # at the entry's prefix
        "prefixes[0].region: 'eu\\n::error::forged' is not a name",
    ),
    "megabyte-region": (
        replaced('"region": "eu-west-3"', '"region": "' + "r" * 1_000_000 + '"'),
        (6, 20),  # at the entry's prefix
        "prefixes[0].region: 'rrrr",
    ),
    "line-break-in-border-group": (
        replaced('"network_border_group": "eu-west-3"', '"network_border_group": "a\\u001b[31m"'),
        (6, 20),  # at the entry's prefix
        "prefixes[0].network_border_group: 'a\\x1b[31m' is not a name",
    ),
    "line-break-in-sync-token": (
        replaced('"1792000000"', '"1\\n::error::forged"'),
        (2, 3),
        "syncToken '1\\n::error::forged' is not AWS's",
    ),
    "no-such-day": (
        replaced("2026-11-20-10-11-12", "2026-13-45-10-11-12"),
        (3, 3),
        "createDate must be a date and time",
    ),
    "not-utf-8": (None, (7, 22), "invalid UTF-8 byte 0xe9"),
}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    return copy


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_download_is_a_located_error_and_nothing_is_written(
    runner: CliRunner, data_dir: Path, tmp_path: Path, name: str
) -> None:
    text, (line, column), message = HOSTILE[name]
    downloaded = tmp_path / "ip-ranges.json"
    if text is None:
        downloaded.write_bytes(aws_text().replace("eu-west-3", "eu-w\xe9st-3", 1).encode("latin-1"))
    else:
        downloaded.write_text(text)
    before = (data_dir / "ip-ranges" / "aws.json").read_bytes()
    result = runner.invoke(
        app, ["kb", "refresh-ip-ranges", str(downloaded), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 2, result.output[-2000:]
    assert result.stderr.startswith(f"{downloaded}:{line}:{column}: error: {message}"), (
        result.stderr[:500]
    )
    assert len(result.stderr) < 500  # no megabyte echoed, one line
    assert (data_dir / "ip-ranges" / "aws.json").read_bytes() == before


def test_a_download_that_is_no_regular_file_or_too_large_is_refused_unread(
    data_dir: Path, tmp_path: Path
) -> None:
    fifo, zero, big = tmp_path / "fifo.json", tmp_path / "zero.json", tmp_path / "big.json"
    os.mkfifo(fifo)  # opening it blocks until someone writes
    zero.symlink_to("/dev/zero")
    with open(big, "wb") as handle:
        handle.truncate(1 << 30)  # sparse: 1 GiB on paper

    def capped() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    data = ("--data-dir", str(data_dir))
    for path, message in (
        (fifo, "not a regular file (device, pipe or socket); expected a JSON file"),
        (zero, "not a regular file (device, pipe or socket); expected a JSON file"),
        (big, "file is 1024.0 MiB or more, larger than the 8 MiB limit for a JSON file"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "residency_audit", "kb", "refresh-ip-ranges", str(path), *data],
            capture_output=True,
            text=True,
            timeout=60,  # a hang detector only
            env=env,
            check=False,
            preexec_fn=capped,
        )
        assert result.returncode == 2, result.stderr[-2000:]
        assert result.stderr.startswith(f"{path}:1:1: error: {message}"), result.stderr[-2000:]


def test_a_good_download_is_still_installed(
    runner: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    """What the hostile files are compared with: the same file unchanged is accepted."""
    downloaded = tmp_path / "ip-ranges.json"
    downloaded.write_text(aws_text())
    result = runner.invoke(
        app, ["kb", "refresh-ip-ranges", str(downloaded), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    installed = json.loads((data_dir / "ip-ranges" / "aws.json").read_text())
    assert installed["prefixes"] == [ITEM]

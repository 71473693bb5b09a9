"""File names found on disk are input too: one holding a line break or another control
character (`x\\n::error file=a::forged.yaml`) was audited and printed as it is, so its path
started a line of its own in the CI log, which GitHub Actions reads as a workflow command, and
the run's JSON could not be read back (`report`, `--baseline`). Such a file is now an input
error shown escaped, never read; the rest of the batch is audited and the JSON reads back.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import AS_OF, FIXTURES, ROOT, SAMPLES
from tests.support.command import residency_audit

GOOD = SAMPLES / "backup-outside-eea.yaml"
HOSTILE_NAMES = {
    b"x\n::error file=a::forged.yaml": (
        "x\\n::error file=a::forged.yaml",
        "control character U+000A",
    ),
    b"esc\x1b[31m.yaml": ("esc\\x1b[31m.yaml", "control character U+001B"),
    # Latin-1, not UTF-8: no report could encode it
    b"caf\xe9.yaml": ("caf\\xe9.yaml", "byte 0xE9 that is not UTF-8"),
}
"""Each name as written to disk, then as errors show it and what they say it holds."""
RENAME = (
    "(shown escaped); rename the file: a name printed as it is could forge lines of the "
    "terminal or CI log"
)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    # surrogateescape: a raw non-UTF-8 name would show, not crash here
    return residency_audit(*args, errors="surrogateescape")


def _lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stdout.splitlines() + result.stderr.splitlines()


def _no_forged_line(result: subprocess.CompletedProcess[str]) -> None:
    for line in _lines(result):
        assert not line.startswith("::"), line
        assert "\x1b" not in line and "\udce9" not in line, line


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """A directory holding a good deployment and copies of it under hostile names."""
    directory = tmp_path / "deploy"
    directory.mkdir()
    shutil.copy(GOOD, directory / "good.yaml")
    for name in HOSTILE_NAMES:
        shutil.copy(GOOD, os.path.join(os.fsencode(directory), name))
    return directory


def _expected(directory: Path) -> list[str]:
    return sorted(
        f"{directory}/{shown}:1:1: error: file name holds a {what} {RENAME}"
        for shown, what in HOSTILE_NAMES.values()
    )


@pytest.mark.parametrize("named", [False, True], ids=["walked", "named"])
def test_a_hostile_file_name_is_an_escaped_error_and_the_json_reads_back(
    batch: Path, tmp_path: Path, named: bool
) -> None:
    """`check deploy/` walks the names; `check deploy/*` gets them from the shell."""
    inputs = (
        sorted(
            os.fsdecode(os.path.join(os.fsencode(batch), n)) for n in os.listdir(os.fsencode(batch))
        )
        if named
        else [str(batch)]
    )
    saved = tmp_path / "ra.json"
    result = cli(
        "check", *inputs, "--as-of", str(AS_OF), "-f", "json", "-o", str(saved), "-f", "text"
    )
    assert result.returncode == 2, result.stderr[-2000:]
    _no_forged_line(result)
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert sorted(errors) == _expected(batch)
    assert f"{batch}/good.yaml:" in result.stdout  # the rest of the batch is audited

    report = json.loads(saved.read_text())
    assert {i["path"] for i in report["inputs"]} == {str(batch / "good.yaml")}
    saved_errors = [f"{e['path']}:1:1: error: {e['message']}" for e in report["errors"]]
    assert sorted(saved_errors) == _expected(batch)
    replayed = cli("report", str(saved), "-f", "text")
    assert replayed.returncode == 2, replayed.stderr[-2000:]  # its input errors, as in the run
    _no_forged_line(replayed)
    assert sorted(replayed.stderr.splitlines()) == sorted(errors)
    baseline = cli(
        "check", str(batch / "good.yaml"), "--as-of", str(AS_OF), "--baseline", str(saved)
    )
    assert baseline.returncode == 0, baseline.stderr[-2000:]  # every finding is in the baseline


def test_a_hostile_file_name_in_a_rule_pack_is_an_escaped_error(tmp_path: Path) -> None:
    pack = tmp_path / "mine"
    shutil.copytree(FIXTURES / "user_rules" / "good", pack)
    rule = (pack / "ACME-LOG-01.yaml").read_bytes()
    (Path(os.fsdecode(os.path.join(os.fsencode(pack), b"ZZ\n::error::forged.yaml")))).write_bytes(
        rule
    )
    for args in (["rules", "lint", str(pack)], ["check", str(GOOD), "--rules", str(pack)]):
        result = cli(*args, "--as-of", str(AS_OF)) if args[0] == "check" else cli(*args)
        assert result.returncode == 2, result.stderr[-2000:]
        _no_forged_line(result)
        shown = f"{pack}/ZZ\\n::error::forged.yaml:1:1: error: file name holds a control character"
        assert f"{shown} U+000A" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("option", "source"),
    [
        ("--waivers", FIXTURES / "waivers" / "backup-tia.yaml"),
        ("--risk-model", ROOT / "residency_audit" / "risk" / "default-model.yaml"),
        ("--baseline", None),
    ],
)
def test_a_run_wide_input_with_such_a_name_stops_the_run_shown_escaped(
    tmp_path: Path, option: str, source: Path | None
) -> None:
    """QA: the walk refused such names, but `--waivers`, `--risk-model` and `--baseline` were
    read and their names printed as they are (a forged `::error::` line in the CI log, and a
    result `report` could not read back)."""
    name = tmp_path / "w\n::error::x.yaml"
    if source is None:
        made = cli("check", str(GOOD), "--as-of", str(AS_OF), "-f", "json", "-o", str(name))
        assert made.returncode == 1, made.stderr
    else:
        shutil.copy(source, name)
    result = cli("check", str(GOOD), "--as-of", str(AS_OF), option, str(name))
    assert result.returncode == 2, result.stderr
    _no_forged_line(result)
    assert f"{tmp_path}/w\\n::error::x.yaml:1:1: error: file name holds a control character" in (
        result.stderr
    )

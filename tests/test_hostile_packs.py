"""Rule pack directories from strangers: every file a pack holds is read as a deployment is
(a regular file of at most 1 MiB), before anything, the parse cache's key included, reads it.
A FIFO once hung `check --rules` forever, a link to /dev/zero filled the memory, link loops and
dangling links were tracebacks (exit 3); every command that loads packs now says which file,
at 1:1, and exits 2.

The real command runs in a subprocess with its address space capped, so that a regression
fails (MemoryError, timeout) instead of taking the machine down; the timeout only detects a
hang.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import AS_OF, FIXTURES, ROOT, SAMPLES
from tests.support.command import residency_audit

GOOD_PACK = FIXTURES / "user_rules" / "good"
MEMORY = 1 << 30
"""Address space a run may use: a normal run needs a few hundred MB; reading /dev/zero or a
1 GiB file whole does not fit."""


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return residency_audit(*args, preexec_fn=_capped)


@pytest.fixture
def packs(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A directory of three packs, next to good files: each hostile file with the start of the
    error it must get."""
    root = tmp_path / "packs"
    mine = root / "mine"
    shutil.copytree(GOOD_PACK, mine)
    os.mkfifo(mine / "ZZ-FIFO.yaml")  # opening it blocks until someone writes
    os.mkfifo(mine / "mapping.yaml")  # only `rules coverage` uses it; it is read all the same
    (mine / "ZZ-ZERO.yaml").symlink_to("/dev/zero")
    (mine / "ZZ-LOOP.yaml").symlink_to(mine / "ZZ-LOOP.yaml")
    (mine / "ZZ-GONE.yaml").symlink_to(tmp_path / "gone.yaml")
    with open(mine / "ZZ-BIG.yaml", "wb") as big:
        big.truncate(1 << 30)  # sparse: 1 GiB on paper, nothing on disk
    looped, dangling = root / "looped", root / "dangling"
    shutil.copytree(GOOD_PACK, looped)
    (looped / "pack.yaml").unlink()
    (looped / "pack.yaml").symlink_to(looped / "pack.yaml")
    shutil.copytree(GOOD_PACK, dangling)
    (dangling / "pack.yaml").unlink()
    (dangling / "pack.yaml").symlink_to(tmp_path / "no-pack.yaml")
    regular = "not a regular file (device, pipe or socket); expected a YAML file"
    expected = {
        f"{mine}/ZZ-FIFO.yaml": regular,
        f"{mine}/mapping.yaml": regular,
        f"{mine}/ZZ-ZERO.yaml": regular,
        f"{mine}/ZZ-LOOP.yaml": "cannot read file: ",
        f"{mine}/ZZ-GONE.yaml": f"symbolic link to '{tmp_path / 'gone.yaml'}', which does not "
        "exist; fix or remove the link",
        f"{mine}/ZZ-BIG.yaml": "file is 1024.0 MiB or more, larger than the 1 MiB limit",
        f"{looped}/pack.yaml": "cannot read file: ",
        f"{dangling}/pack.yaml": f"symbolic link to '{tmp_path / 'no-pack.yaml'}', which does "
        "not exist; fix or remove the link",
    }
    return root, expected


COMMANDS = {
    "check": ["check", str(SAMPLES / "backup-outside-eea.yaml"), "--as-of", str(AS_OF), "--rules"],
    "rules list": ["rules", "list", "--rules"],
    "rules coverage": ["rules", "coverage", "--rules"],
    "explain": ["explain", "HDS-LOC-01", "--rules"],
    "rules lint": ["rules", "lint"],
    "rules test": ["rules", "test"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_names_each_unreadable_pack_file(
    packs: tuple[Path, dict[str, str]], command: str
) -> None:
    root, expected = packs
    result = cli(*COMMANDS[command], str(root))
    assert result.returncode == 2, result.stderr[-2000:]
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    lines = result.stderr.splitlines() + result.stdout.splitlines()
    for path, message in expected.items():
        assert any(line.startswith(f"{path}:1:1: error: {message}") for line in lines), (
            path,
            result.stderr[-2000:],
        )
    assert "not a rule pack" not in result.stderr  # a broken pack.yaml is named as such


def test_a_pack_of_good_files_still_loads(tmp_path: Path) -> None:
    """What the hostile packs are compared with: the same good pack is accepted."""
    shutil.copytree(GOOD_PACK, tmp_path / "mine")
    result = cli(*COMMANDS["rules lint"], str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize(
    "command",
    [["rules", "test"], ["explain", "HP-01", "--rules"], ["rules", "coverage", "--rules"]],
)
def test_a_rule_file_of_a_thousand_errors_shows_fifty_in_every_command(
    tmp_path: Path, command: list[str]
) -> None:
    """As `check` shows a stopping input's errors: fifty, then how many more and where
    reading stopped; not a thousand lines. (`rules lint` lists them all: that is its job.)"""
    from residency_audit.format.budget import MAX_ERRORS
    from residency_audit.reporters.text import ERRORS_SHOWN_PER_FILE

    pack = tmp_path / "hp"
    pack.mkdir()
    (pack / "pack.yaml").write_text("name: hp\ntitle: Hostile\nversion: '1'\n")
    rule = pack / "HP-01.yaml"
    rule.write_text("id: HP-01\n" + "".join(f"bogus{i}: 1\n" for i in range(3000)))
    done = cli(*command, str(pack))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == ERRORS_SHOWN_PER_FILE + 2, done.stderr
    assert all(line.startswith(f"{rule}:") and ": error: " in line for line in lines[:-2])
    assert lines[-2].startswith(f"{rule}: ... and ")
    assert lines[-2].endswith(" more errors; fix these and run again")
    assert lines[-1].endswith(f"error: more than {MAX_ERRORS} errors; stopped reading this file")


GOOD_MAPPING = """framework: ACME logs
instrument: hds-referential-2024
url: https://example.org/acme
requirements:
  - {id: LOG 01, title: Logs stay in the EU, rules: [ACME-LOG-01]}
"""
ALIAS_BOMB = GOOD_MAPPING + "".join(
    f"  - {{id: LOG {i:02}, title: {'&t ' + 'x' * 500_000 if i == 2 else '*t'}, manual: m}}\n"
    for i in range(2, 40)
)  # 38 titles of 500,000 characters through aliases: 19 million, from a 500 KB file


MAPPINGS = {
    "python-object": (
        '!!python/object/apply:os.system ["true"]\n',
        "1:1: error: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'",
    ),
    "syntax": ("framework: [x\n", "error: YAML syntax"),
    "alias-bomb": (ALIAS_BOMB, "characters of text (YAML aliases of a long value?)"),
    "unknown rule": (
        GOOD_MAPPING.replace("ACME-LOG-01", "ACME-LOG-99"),
        "unknown rule ACME-LOG-99",
    ),
}


@pytest.mark.parametrize("case", sorted(MAPPINGS))
def test_lint_reads_a_packs_mapping_as_coverage_does_and_both_name_its_path(
    tmp_path: Path, case: str
) -> None:
    """QA: `rules lint` never read `mapping.yaml` (a `!!python/object/apply` tag or a syntax
    error in it passed lint, which `rules coverage` then refused), and `rules coverage` named
    an external pack's mapping `rules/<pack>/mapping.yaml`, a path that does not exist."""
    text, said = MAPPINGS[case]
    pack = tmp_path / "mine"
    shutil.copytree(GOOD_PACK, pack)
    (pack / "mapping.yaml").write_text(text)
    where = f"{pack}/mapping.yaml:"
    linted = cli("rules", "lint", str(pack))
    assert linted.returncode == 2, linted.stdout + linted.stderr
    assert any(line.startswith(where) and said in line for line in linted.stderr.splitlines()), (
        linted.stderr
    )
    covered = cli("rules", "coverage", "--rules", str(pack), "--pack", "acme")
    assert covered.returncode == 2
    assert covered.stderr.startswith(where), covered.stderr


def test_lint_passes_a_pack_with_a_good_mapping(tmp_path: Path) -> None:
    pack = tmp_path / "mine"
    shutil.copytree(GOOD_PACK, pack)
    (pack / "mapping.yaml").write_text(GOOD_MAPPING)
    assert cli("rules", "lint", str(pack)).returncode == 0
    covered = cli("rules", "coverage", "--rules", str(pack), "--pack", "acme")
    assert covered.returncode == 0, covered.stderr
    assert "ACME-LOG-01" in covered.stdout


def test_a_rule_message_may_not_break_lines(tmp_path: Path) -> None:
    """A message is one line of the text report (and `report` refuses a saved finding whose
    message breaks lines): a rule whose message holds a line break is refused where it is."""
    pack = tmp_path / "mine"
    shutil.copytree(GOOD_PACK, pack)
    rule = pack / "ACME-LOG-01.yaml"
    rule.write_text(
        rule.read_text().replace(
            'message: "logs of {component.id} go to {location.country}"',
            'message: "logs of {component.id}\\n::error::go to {location.country}"',
        )
    )
    linted = cli("rules", "lint", str(pack))
    assert linted.returncode == 2
    assert f"{rule}:12:10: error: message: line break in a message" in linted.stderr, linted.stderr

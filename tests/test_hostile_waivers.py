"""Hostile waiver files: bounded time and output, as for a hostile deployment file.

A waiver file is read by the converter (its budget of values, its cap on errors) and then its
rule ids, countries, subjects and evidence are checked on the nodes; those checks once walked
every alias again and printed every error, so a 14 KB file ran for minutes. Each test runs the
real command in a subprocess; its timeout only guards against a hang.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from residency_audit.format.budget import MAX_ERRORS, MAX_NODES
from residency_audit.reporters.text import ERRORS_SHOWN_PER_FILE
from tests.conftest import AS_OF, ROOT, SAMPLES

BACKUP = SAMPLES / "backup-outside-eea.yaml"
DEPLOYMENT = "clinique-exemple-records"
REST = "justification: j, approved_by: dpo@example.org, expires: 2027-06-30"


def check_with(waivers: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    check = [sys.executable, "-m", "residency_audit", "check", str(BACKUP), "--as-of", str(AS_OF)]
    return subprocess.run(
        [*check, "-j", "1", "--waivers", str(waivers)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def errors(result: subprocess.CompletedProcess[str], path: Path) -> list[str]:
    """The `path:line:col: error:` lines on stderr."""
    located = re.compile(rf"{re.escape(str(path))}:[0-9]+:[0-9]+: error: ")
    return [line for line in result.stderr.splitlines() if located.match(line)]


def write(path: Path, *lines: str) -> Path:
    path.write_text("waivers:\n" + "".join(f"{line}\n" for line in lines))
    return path


def test_an_alias_bomb_of_waivers_stops_at_the_converters_budget(tmp_path: Path) -> None:
    # 14 KB: a waiver listing 1000 codes, aliased 2000 times, is two million values.
    codes = ", ".join(["XX"] * 1000)
    bomb = write(
        tmp_path / "bomb.yaml",
        f"- &w {{rule: GDPR-XFER-01, target: {{deployment: {DEPLOYMENT}, countries: [{codes}]}}, "
        f"{REST}}}",
        *["- *w"] * 2000,
    )
    result = check_with(bomb)
    assert result.returncode == 2, result.stderr
    assert errors(result, bomb) == [
        f"{bomb}:2:1726: error: document expands to more than {MAX_NODES} values "
        "(YAML alias bomb?); remove the aliases"
    ]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("first", "again"),
    [
        pytest.param(
            "- &w {rule: NOPE-XFER-01, target: {deployment: d}, " + REST + "}",
            "- *w",
            id="aliased-waiver",
        ),
        pytest.param(
            "- {rule: GDPR-XFER-01, target: {deployment: d, countries: &c [QQ]}, " + REST + "}",
            "- {rule: GDPR-XFER-01, target: {deployment: d, countries: *c}, " + REST + "}",
            id="aliased-countries",
        ),
        pytest.param(
            "- {rule: GDPR-XFER-01, target: {deployment: d, subject: &s 'nokind:x'}, " + REST + "}",
            "- {rule: GDPR-XFER-01, target: {deployment: d, subject: *s}, " + REST + "}",
            id="aliased-subject",
        ),
    ],
)
def test_a_mistake_repeated_by_aliases_is_one_error_where_it_is_written(
    tmp_path: Path, first: str, again: str
) -> None:
    path = write(tmp_path / "aliases.yaml", first, *[again] * 1000)
    result = check_with(path)
    assert result.returncode == 2, result.stderr
    [error] = errors(result, path)  # once, not once per alias
    assert error.startswith(f"{path}:2:"), error


def test_thousands_of_unknown_codes_stop_at_the_error_cap_and_show_fifty(tmp_path: Path) -> None:
    codes = ", ".join(["XX"] * 20_000)
    path = write(
        tmp_path / "codes.yaml",
        f"- {{rule: GDPR-XFER-01, target: {{deployment: {DEPLOYMENT}, countries: [{codes}]}}, "
        f"{REST}}}",
    )
    result = check_with(path)
    assert result.returncode == 2, result.stderr
    shown = errors(result, path)
    assert len(shown) == ERRORS_SHOWN_PER_FILE + 1  # and the note that reading stopped
    assert all("unknown country code 'XX'" in line for line in shown[:-1])
    assert shown[-1].endswith(f"error: more than {MAX_ERRORS} errors; stopped reading this file")
    hidden = MAX_ERRORS - ERRORS_SHOWN_PER_FILE
    assert f"{path}: ... and {hidden} more errors; fix these and run again" in result.stderr
    assert "--format json" not in result.stderr  # no result is written: none lists them


def test_a_long_value_repeated_by_aliases_is_not_echoed_whole(tmp_path: Path) -> None:
    long = "N" * 100_000
    path = write(
        tmp_path / "long.yaml",
        f"- {{rule: &r {long}, target: {{deployment: d}}, {REST}}}",
        *[f"- {{rule: *r, target: {{deployment: d{i}}}, {REST}}}" for i in range(50)],
    )
    result = check_with(path)
    assert result.returncode == 2, result.stderr
    [error] = errors(result, path)
    assert f"waiver for unknown rule '{'N' * 80}'... (100000 characters)" in error
    assert len(result.stderr) < 1000


def test_limits_name_what_was_given_not_a_deployment(tmp_path: Path) -> None:
    """QA: a waiver file over the size limit or nested too deep was told it was 'not a
    deployment file' or over 'the limit for a deployment or rule file'."""
    big = write(tmp_path / "big.yaml", "# " + "x" * (1024 * 1024))
    deep = tmp_path / "deep.yaml"
    deep.write_text("waivers: " + "[" * 1000 + "]" * 1000 + "\n")
    for path in (big, deep):
        result = check_with(path)
        assert result.returncode == 2, result.stderr
        [error] = errors(result, path)
        assert "deployment" not in error, error
    assert "limit for a YAML input" in errors(check_with(big), big)[0]

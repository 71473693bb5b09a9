"""Dates are read YYYY-MM-DD and only so wherever they come from, as `--as-of` is: a rule's
date argument, a saved result's `as_of` and waiver expiry dates. Python's `fromisoformat`
would read the week date `2026-W01-1` as 29 December 2025 and `2027W261` as a day of 2027, so
a typo would decide a finding on another day."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, SAMPLES
from tests.support.jsonplaces import member_at

RULE = """\
id: OUR-DATE-01
title: A waiver expires on or after the start of 2026
severity: low
applies_to: [waiver]
references:
  - label: GDPR Art. 5(2) (accountability)
    article: Art. 5(2)
    url: https://eur-lex.europa.eu/eli/reg/2016/679/oj
rationale: >
  A waiver accepted before 2026 rests on assessments made under the previous guidance and must
  be reviewed again; this rule tests how a rule's date argument is read.
remediation: Review the waiver.
message: "waiver expires {{waiver.expires}}"
require: {{field: waiver.expires, on_or_after: "{day}"}}
examples:
  pass:
    - {{waiver: {{rule: GDPR-XFER-01, expires: 2027-06-30}}}}
  fail:
    - {{waiver: {{rule: GDPR-XFER-01, expires: 2025-12-30}}}}
"""


def rule_pack(root: Path, day: str) -> Path:
    pack = root / "ours" / "p1"
    pack.mkdir(parents=True)
    (pack / "pack.yaml").write_text('name: ours\ntitle: Ours\nversion: "0.1.0"\n')
    (pack / "OUR-DATE-01.yaml").write_text(RULE.format(day=day))
    return root / "ours"


@pytest.mark.parametrize("day", ["2026-W01-1", "2026-13-45", "2026-001"])
@pytest.mark.parametrize(
    "command", [["rules", "lint"], ["check", str(SAMPLES / "backup-outside-eea.yaml"), "--rules"]]
)
def test_a_rule_date_argument_that_is_not_yyyy_mm_dd_is_refused_at_load(
    runner: CliRunner, tmp_path: Path, day: str, command: list[str]
) -> None:
    pack = rule_pack(tmp_path, day)
    result = runner.invoke(app, [*command, str(pack)])
    assert result.exit_code == 2, result.output
    rule = pack / "p1" / "OUR-DATE-01.yaml"
    line, text = next(
        (n, t) for n, t in enumerate(rule.read_text().splitlines(), 1) if "on_or_after" in t
    )
    assert (
        f"{rule}:{line}:{text.index(day)}: error: operator 'on_or_after': expects a "
        f'date YYYY-MM-DD or "as_of" (the audit date), not {day!r}'
    ) in result.stderr


def test_a_rule_date_argument_written_yyyy_mm_dd_decides_on_that_day(
    runner: CliRunner, tmp_path: Path
) -> None:
    pack = rule_pack(tmp_path, "2026-01-01")
    result = runner.invoke(app, ["rules", "test", str(pack)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def saved(runner: CliRunner, tmp_path: Path) -> str:
    """A saved result of an audit with a waiver, as JSON text."""
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        "waivers:\n  - rule: GDPR-XFER-01\n    target: {deployment: clinique-exemple-records}\n"
        "    justification: Transfer impact assessment accepted by counsel\n"
        "    approved_by: dpo@example.org\n    expires: 2027-06-30\n"
    )
    args = [str(SAMPLES / "backup-outside-eea.yaml"), "--waivers", str(waivers)]
    result = runner.invoke(app, ["check", *args, "-f", "json", "--as-of", str(AS_OF)])
    return result.stdout


def re_render(runner: CliRunner, path: Path, text: str) -> tuple[int, str]:
    path.write_text(text)
    result = runner.invoke(app, ["report", str(path), "-f", "markdown", "-o", str(path) + ".md"])
    return result.exit_code, result.stderr


def test_a_saved_waiver_expiry_not_yyyy_mm_dd_is_refused_at_its_place(
    runner: CliRunner, tmp_path: Path, saved: str
) -> None:
    at = saved.index('"waivers": [')
    text = saved[:at] + saved[at:].replace('"expires": "2027-06-30"', '"expires": "2027W261"', 1)
    line = text[:at].count("\n") + 2  # the waiver's `{` opens the line after the member's
    code, stderr = re_render(runner, tmp_path / "r.json", text)
    assert code == 2
    assert re.fullmatch(
        rf"{re.escape(str(tmp_path / 'r.json'))}:{line}:5: error: incomplete residency-audit "
        r"result \(waivers\[0\]: expires: '2027W261' is not a date YYYY-MM-DD\); "
        r"regenerate it with this version\n",
        stderr,
    )


@pytest.mark.parametrize(
    ("as_of", "shown"), [(20261128, "20261128"), ("2026-W48-6", "'2026-W48-6'")]
)
def test_a_saved_as_of_not_yyyy_mm_dd_is_an_input_error(
    runner: CliRunner, tmp_path: Path, saved: str, as_of: object, shown: str
) -> None:
    data = json.loads(saved)
    assert data["as_of"] == str(AS_OF)
    text = saved.replace(f'"as_of": "{AS_OF}"', f'"as_of": {json.dumps(as_of)}', 1)
    code, stderr = re_render(runner, tmp_path / "r.json", text)
    assert code == 2
    assert stderr == (
        f"{tmp_path / 'r.json'}:{member_at(text, 'as_of')}: error: incomplete residency-audit "
        "result ("
        f"as_of: {shown} is not a date YYYY-MM-DD); regenerate it with this version\n"
    )

"""Saved results from strangers (`report`, `--baseline`): each is either read into something
every format renders, or refused with a located `path:line:col: error:` and exit 2; never a
traceback or exit 3 (issue 8; the QA report's mutations of a real result, one value at a time).
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from residency_audit import jsonstream
from residency_audit.reporters.jsonread import _UNPRINTABLE_TEXT
from residency_audit.reporters.junit import XML_INVALID
from tests.conftest import AS_OF, ROOT, SAMPLES
from tests.support.command import residency_audit
from tests.support.jsonplaces import member_at

FORMATS = ("text", "json", "sarif", "junit", "markdown", "html")


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return residency_audit(*args, cwd=cwd)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real result with findings, facts, flows with risk, rules and countries."""
    out = tmp_path_factory.mktemp("result") / "result.json"
    samples = [str(SAMPLES / n) for n in ("backup-outside-eea.yaml", "doctolib-2021.yaml")]
    done = cli("check", *samples, "--as-of", str(AS_OF), "-f", "json", "-o", str(out))
    assert done.returncode in (0, 1), done.stderr
    return json.loads(out.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _risky(d: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in d["flows"] if f.get("risk"))


def _with_facts(d: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in d["findings"] if f["facts"])


Mutation = Callable[[dict[str, Any]], None]


def _set(get: Callable[[dict[str, Any]], Any], key: Any, value: Any) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        get(d)[key] = value

    return mutate


TOP = lambda d: d  # noqa: E731
MUTATIONS: dict[str, Mutation] = {
    "risk band not a pair": _set(lambda d: _risky(d)["risk"], "band", "ab"),
    "risk p_year text": _set(lambda d: _risky(d)["risk"], "p_year", "x"),
    "factor value text": _set(lambda d: _risky(d)["risk"]["factors"][0], "value", "x"),
    "partial item a number": _set(TOP, "partial", [123]),
    "partial item an object": _set(TOP, "partial", [{}]),
    "partial with a line break": _set(TOP, "partial", ["x\n::error::forged"]),
    "tool version with a line break": _set(lambda d: d["tool"], "version", "1\n::error::forged"),
    "stale knowledge numbers": _set(lambda d: d["knowledge"], "stale", [1, 2]),
    "unverified knowledge objects": _set(lambda d: d["knowledge"], "unverified_used", [{}]),
    "country status unknown": _set(lambda d: d["countries"][0], "status", "weird"),
    "input path a number": _set(lambda d: d["inputs"][0], "path", 123),
    "rule rationale a number": _set(lambda d: d["rules"][0], "rationale", 1),
    "input description surrogate": _set(lambda d: d["inputs"][0], "description", "\ud800"),
    "input path surrogate": _set(lambda d: d["inputs"][0], "path", "\udc80x"),
    "pack title surrogate": _set(lambda d: d["rule_packs"][0], "title", "\ud800"),
    "rule rationale surrogate": _set(lambda d: d["rules"][0], "rationale", "\ud800"),
    "country name surrogate": _set(lambda d: d["countries"][0], "name", "\ud800"),
    "fact value surrogate": _set(lambda d: _with_facts(d)["facts"][0], "value", "\ud800"),
    "fact source surrogate": _set(lambda d: _with_facts(d)["facts"][0], "source", "\ud800"),
    "flow country surrogate": _set(lambda d: _risky(d), "country", "\ud800"),
    "factor justification surrogate": _set(
        lambda d: _risky(d)["risk"]["factors"][0], "justification", "\ud800"
    ),
}
RAW: dict[str, Callable[[str], str]] = {
    "p_year 1e400": lambda t: re.sub(r'"p_year": [0-9.e+-]+', '"p_year": 1e400', t, count=1),
    "rule_id given twice in a finding": lambda t: t.replace(
        '"rule_id": ', '"rule_id": "FAKE-01", "rule_id": ', 1
    ),
}


def _render_all(path: Path, out: Path) -> subprocess.CompletedProcess[str]:
    args = ["report", str(path)]
    for fmt in FORMATS:
        args += ["-f", fmt, "-o", str(out / f"out.{fmt}")]
    return cli(*args)


def _refused_or_rendered(path: Path, out: Path) -> None:
    done = _render_all(path, out)
    assert "Traceback" not in done.stderr and "This is a bug" not in done.stderr, done.stderr
    assert done.returncode in (0, 1, 2), done.stderr
    if done.returncode == 2:
        assert re.search(rf"^{re.escape(str(path))}:\d+:\d+: error: ", done.stderr, re.M), (
            done.stderr
        )
        return
    text = (out / "out.text").read_text(encoding="utf-8")
    assert not re.search(r"^::", text, re.M)  # no forged line of a CI log
    for fmt in FORMATS:
        (out / f"out.{fmt}").read_bytes().decode("utf-8")


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_a_mutated_value_is_refused_or_rendered(
    saved: dict[str, Any], tmp_path: Path, name: str
) -> None:
    d = copy.deepcopy(saved)
    MUTATIONS[name](d)
    path = tmp_path / "mutated.json"
    path.write_text(json.dumps(d, indent=2), encoding="utf-8")
    _refused_or_rendered(path, tmp_path)


@pytest.mark.parametrize("name", sorted(RAW))
def test_a_mutated_text_is_refused_or_rendered(
    saved: dict[str, Any], tmp_path: Path, name: str
) -> None:
    text = json.dumps(saved, indent=2, ensure_ascii=False)
    mutated = RAW[name](text)
    assert mutated != text
    path = tmp_path / "mutated.json"
    path.write_text(mutated, encoding="utf-8")
    done = _render_all(path, tmp_path)
    # both are refused: a result rendering FAKE-01 or writing `Infinity` back is forged
    assert done.returncode == 2, done.stderr
    assert re.search(rf"^{re.escape(str(path))}:\d+:\d+: error: ", done.stderr, re.M)


def test_a_summary_counting_errors_its_list_lacks_is_refused(
    saved: dict[str, Any], tmp_path: Path
) -> None:
    """As a summary counting findings its list lacks is: a result's errors cut out of it would
    otherwise render as a complete audit."""
    path = tmp_path / "cut.json"
    cut = {**saved, "errors": [], "summary": {**saved["summary"], "errors": 3}, "complete": True}
    path.write_text(json.dumps(cut, indent=2), encoding="utf-8")
    done = _render_all(path, tmp_path)
    assert done.returncode == 2
    at = member_at(path.read_text(), "summary")  # the value refused, not 1:1
    assert (
        f"{path}:{at}: error: incomplete residency-audit result: its summary counts 3 errors"
        in (done.stderr)
    )


def _gravest(d: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in d["findings"] if f["severity"] in ("critical", "high")]


def _lowered(d: dict[str, Any]) -> None:
    for f in _gravest(d):
        f["severity"] = "low"


def _waived(d: dict[str, Any]) -> None:
    """Its gravest findings called waived, the summary's statuses counted to agree."""
    for f in _gravest(d):
        f["status"], f["waiver"] = "waived", None
    d["summary"]["by_status"]["open"] -= len(_gravest(d))
    d["summary"]["by_status"]["waived"] += len(_gravest(d))


def _baselined(d: dict[str, Any]) -> None:
    for f in _gravest(d):
        f["status"] = "baselined"
    d["summary"]["by_status"]["open"] -= len(_gravest(d))
    d["summary"]["by_status"]["baselined"] += len(_gravest(d))


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (_lowered, "its summary counts by_severity"),
        (_waived, "is waived, but names no waiver"),
        (_baselined, "is baselined, but the result lists no baseline among its inputs"),
    ],
    ids=["severity-lowered", "waived-without-waiver", "baselined-without-baseline"],
)
def test_a_result_edited_to_pass_the_gate_is_refused(
    saved: dict[str, Any], tmp_path: Path, edit: Callable[[dict[str, Any]], None], said: str
) -> None:
    """`report` gates as `check` did: findings lowered below the gate, or called waived or
    baselined with no waiver or baseline behind them, would turn a failing result into a
    pass, and show waivers nobody granted in the evidence report."""
    d = copy.deepcopy(saved)
    edit(d)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(d, indent=2), encoding="utf-8")
    done = cli("report", str(path), "-f", "text")
    assert done.returncode == 2, done.stdout
    assert re.search(
        rf"^{re.escape(str(path))}:\d+:\d+: error: incomplete residency-audit result: .*{said}",
        done.stderr,
        re.M,
    ), done.stderr


@pytest.mark.parametrize("as_of", ["0000-01-01", 20261128])
def test_a_baseline_with_a_bad_day_is_refused_as_report_refuses_it(
    saved: dict[str, Any], tmp_path: Path, as_of: object
) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({**saved, "as_of": as_of}, indent=2), encoding="utf-8")
    sample = str(SAMPLES / "backup-outside-eea.yaml")
    done = cli("check", sample, "--as-of", str(AS_OF), "--baseline", str(path))
    assert done.returncode == 2
    at = member_at(path.read_text(), "as_of")
    assert f"{path}:{at}: error: " in done.stderr and "as_of" in done.stderr


def test_a_value_of_more_than_64_mib_of_utf8_is_refused(tmp_path: Path) -> None:
    """17 Mi emoji: fewer characters than the limit, four times more bytes."""
    path = tmp_path / "emoji.json"
    head = '{"tool": {"name": "residency-audit", "version": "0.1.0"}, "as_of": "'
    path.write_text(head + "\U0001f600" * (17 << 20) + '"}', encoding="utf-8")
    done = cli("report", str(path), "-f", "json", "-o", str(tmp_path / "out.json"))
    assert done.returncode == 2
    assert f"{path}:1:" in done.stderr and "larger than 64 MiB" in done.stderr


def _python_lines(document: str) -> int:
    """How many lines of jsonstream's Python run to read `document` (its cost in Python, not in
    C), counted by a tracer: a per-character loop costs millions."""
    count = 0
    here = jsonstream.__file__

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if frame.f_code.co_filename != here:
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        jsonstream.read_object(io.BytesIO(document.encode()), keep=frozenset())
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize(
    "document",
    [
        " " * (4 << 20) + "{}",
        '{"unknown": [' + "0," * (1 << 20) + "0]}",
        '{"unknown": [' + '"a",' * (1 << 19) + "[], {}, null]}",
    ],
    ids=["4 MB of blanks", "a dropped list of a million zeros", "a dropped list of strings"],
)
def test_blanks_and_dropped_lists_cost_per_chunk_not_per_character(document: str) -> None:
    assert _python_lines(document) < 100 * len(document) // jsonstream.CHUNK + 200


def test_the_reader_refuses_every_character_xml_cannot_hold() -> None:
    """One definition of what a result's text may not hold: JUnit's, and the terminal's."""
    missed = [
        hex(c)
        for c in range(0x110000)
        if XML_INVALID.match(chr(c)) and not _UNPRINTABLE_TEXT.match(chr(c))
    ]
    assert missed == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # a tab in a one-line value, which deployments accept
        ("name: Amazon Web Services EMEA SARL", 'name: "Amazon Web Services\\tEMEA SARL"'),
        # the right-to-left mark of Hebrew or Arabic text, which deployments accept anywhere
        ("name: Amazon Web Services EMEA SARL", 'name: "Amazon Web Services EMEA \\u200f SARL"'),
    ],
    ids=["tab", "rtl-mark"],
)
def test_what_check_reads_report_and_baseline_read_back(tmp_path: Path, old: str, new: str) -> None:
    """QA: the strict reader refused a tab or a right-to-left mark that `check` had accepted
    and written, so `report` and `--baseline` failed on a result this version made."""
    text = (SAMPLES / "backup-outside-eea.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "marked.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    result = tmp_path / "r.json"
    checked = cli("check", str(path), "--as-of", str(AS_OF), "-f", "json", "-o", str(result))
    assert checked.returncode == 1, checked.stderr
    reported = cli("report", str(result), "-f", "text", "-o", str(tmp_path / "r.txt"))
    assert reported.returncode == 1, reported.stderr
    again = cli("check", str(path), "--as-of", str(AS_OF), "--baseline", str(result))
    assert again.returncode == 0, again.stderr


def _an_error(d: dict[str, Any]) -> None:
    """An input error whose path holds a line break, the summary counting it."""
    d["errors"] = [{"path": "x.yaml\n::error::forged", "line": 1, "column": 1, "message": "m"}]
    d["summary"]["errors"], d["complete"] = 1, False


REFUSED_BY_BOTH: dict[str, Mutation] = {
    "finding message with a line break": _set(
        lambda d: d["findings"][0], "message", "evil\n::error::forged"
    ),
    "input path with a line break": _set(lambda d: d["inputs"][0], "path", "x\n::error::forged"),
    "rule title a number": _set(lambda d: d["rules"][0], "title", 1),
    "pack version with a line break": _set(lambda d: d["rule_packs"][0], "version", "1\n::x"),
    "error path with a line break": _an_error,
}


@pytest.mark.parametrize("name", sorted(REFUSED_BY_BOTH))
def test_a_baseline_is_refused_where_report_refuses_the_result(
    saved: dict[str, Any], tmp_path: Path, name: str
) -> None:
    """QA: `report` refused a result whose input path held a line break, `--baseline` took
    it; and both printed a finding message holding `\\n::error::forged`, a forged workflow
    command line of the CI log. Both now refuse the same, at the same value; only a baseline's
    flows and checks, which it does not use, are checked as JSON alone."""
    d = copy.deepcopy(saved)
    REFUSED_BY_BOTH[name](d)
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(d, indent=2), encoding="utf-8")
    reported = cli("report", str(path), "-f", "text")
    sample = str(SAMPLES / "backup-outside-eea.yaml")
    baseline = cli("check", sample, "--as-of", str(AS_OF), "--baseline", str(path))
    assert (reported.returncode, baseline.returncode) == (2, 2), (reported, baseline)
    said = [r.stderr.splitlines()[0] for r in (reported, baseline)]
    assert said[0] == said[1], said
    assert re.match(rf"{re.escape(str(path))}:(\d+):\d+: error: ", said[0]), said
    assert not said[0].startswith(f"{path}:1:1:")  # at the value, not the file
    assert "::error::forged" not in reported.stdout + baseline.stdout


@pytest.mark.parametrize(
    ("edit", "said", "not_said"),
    [
        (
            lambda t: t.replace('"line": ', '"line": ' + "9" * 5000 + ', "x": ', 1),
            "an integer of more than 4,300 digits",
            "sys.set_int_max_str_digits",
        ),
        (
            lambda t: t.replace('"message": "', '"message": "\\u0000', 1),
            "control, bidirectional or non-XML character U+0000",
            "ValueError",
        ),
        (
            lambda t: t.replace('"message": "', '"message": "evil\\n', 1),
            "line break in a finding's message printed on one line",
            "in a name",
        ),
    ],
    ids=["long-integer", "nul-in-message", "line-break-in-message"],
)
def test_a_refused_baseline_is_said_in_a_users_words(
    saved: dict[str, Any], tmp_path: Path, edit: Callable[[str], str], said: str, not_said: str
) -> None:
    """QA: baseline errors showed Python's own (`use sys.set_int_max_str_digits()`,
    `ValueError: character U+0000 in a text`)."""
    path = tmp_path / "baseline.json"
    path.write_text(edit(json.dumps(saved, indent=2)), encoding="utf-8")
    sample = str(SAMPLES / "backup-outside-eea.yaml")
    done = cli("check", sample, "--as-of", str(AS_OF), "--baseline", str(path))
    assert done.returncode == 2, done.stderr
    assert said in done.stderr and not_said not in done.stderr, done.stderr

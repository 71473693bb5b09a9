"""Inputs from strangers: each gets a clear error naming the file (exit 2, never a traceback or
exit 3), and the other files of a batch are still audited and reported.

Small hostile files live in tests/fixtures/hostile/; big ones are generated into tmp_path. Cases
that once crashed the interpreter run in a subprocess, so a regression fails this test instead
of killing the whole test session. The subprocess timeout only guards against a hang.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from residency_audit import pipeline
from residency_audit.cli import app
from tests.conftest import AS_OF, FIXTURES, ROOT, SAMPLES
from tests.support.command import residency_audit

HOSTILE = FIXTURES / "hostile"
GOOD = SAMPLES / "backup-outside-eea.yaml"

EXPECTED = {
    "alias-bomb.yaml": "unknown key 'lol'",
    "python-object.yaml": "unsupported YAML tag 'tag:yaml.org,2002:python/object/apply",
    "unknown-tag.yaml": "unsupported YAML tag '!custom'",
    "set-tag.yaml": "unsupported YAML tag 'tag:yaml.org,2002:set'",
    # the key is unknown, and its value's tag is named too
    "tag-under-unknown-key.yaml": "2:6: error: unsupported YAML tag 'tag:yaml.org,2002:python/",
    "empty.yaml": "empty file",
    "comments-only.yaml": "empty file",
    "latin-1.yaml": "invalid UTF-8 byte 0xe9",
    "utf-16.yaml": "UTF-16 text; save the file as UTF-8",
    # no byte-order mark: a NUL in every character, but no binary file
    "utf-16-no-bom.yaml": "looks like UTF-16 text (no byte-order mark); save the file as UTF-8",
    "binary.yaml": "binary file (NUL byte)",
    "two-documents.yaml": "expected a single document",
    "control-characters.yaml": "control character U+0001 in a value",
}


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return residency_audit("check", *args, timeout=timeout)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_is_a_located_error(runner: CliRunner, name: str) -> None:
    path = HOSTILE / name
    result = runner.invoke(app, ["check", str(path), "--as-of", str(AS_OF), "-j", "1"])
    assert result.exit_code == 2, result.output
    first = next(line for line in result.stderr.splitlines() if "error:" in line)
    assert first.startswith(f"{path}:"), first
    assert EXPECTED[name] in result.stderr


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("- " * 100_000 + "x\n", id="block-sequence-100k-deep"),
        pytest.param("[" * 100_000 + "]" * 100_000 + "\n", id="flow-100k-deep"),
        pytest.param("{a: " * 10_000 + "1" + "}" * 10_000 + "\n", id="flow-mapping-10k-deep"),
        pytest.param(
            "".join(" " * i + f"k{i}:\n" for i in range(1200)) + "  " * 1200 + "v\n",
            id="block-mapping-1200-deep",
        ),
        pytest.param("? " * 50_000 + "x\n", id="complex-keys-50k-deep"),
    ],
)
def test_deep_nesting_is_refused_before_libyaml_recurses(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    result = cli(str(path), "--format", "json", "--as-of", str(AS_OF))
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.startswith(f"{path}:")
    assert "nesting" in result.stderr or "YAML syntax" in result.stderr


def test_fifty_megabyte_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w") as handle:
        line = "- " + "x" * 98 + "\n"
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            handle.write(line)
    result = cli(str(path), "--as-of", str(AS_OF))
    assert result.returncode == 2
    assert (
        f"{path}:1:1: error: file is 50.0 MiB or more, larger than the 1 MiB limit" in result.stderr
    )


def test_a_flood_of_errors_is_capped_on_the_terminal_but_not_in_json(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text("".join(f"key{i}: {i}\n" for i in range(5000)))
    result = cli(str(path), "--format", "json", "--as-of", str(AS_OF))
    assert result.returncode == 2
    shown = result.stderr.splitlines()
    assert len(shown) == 52  # 50 errors, how many more the JSON lists, and where it stopped
    assert shown[-2].startswith(f"{path}: ... and ")
    assert shown[-1].endswith("error: more than 1000 errors; stopped reading this file")
    errors = json.loads(result.stdout)["errors"]
    assert len(errors) == 1001  # every error up to the converter's limit, then where it stopped
    assert errors[-1]["message"] == "more than 1000 errors; stopped reading this file"


def test_rule_file_with_unknown_operator_is_a_located_error(tmp_path: Path) -> None:
    pack = tmp_path / "mine"
    pack.mkdir()
    (pack / "pack.yaml").write_text("name: mine\ntitle: Mine\nversion: '1'\n")
    rule = (ROOT / "rules" / "hds" / "HDS-LOC-01.yaml").read_text()
    rule = rule.replace("id: HDS-LOC-01", "id: MINE-01").replace(
        "require: {field: location.country, in_eea: true}",
        "require: {field: location.country, inside: [FR]}",
    )
    (pack / "MINE-01.yaml").write_text(rule)
    line = next(i for i, text in enumerate(rule.splitlines(), 1) if text.startswith("require:"))
    column = rule.splitlines()[line - 1].index("inside") + 1
    result = cli(str(GOOD), "--rules", str(pack), "--as-of", str(AS_OF))
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"{pack / 'MINE-01.yaml'}:{line}:{column}: error: unknown operator 'inside'"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "bomb",
    [
        pytest.param("examples:\n  pass: [*l8]\n  fail: [{a: 1}]\n", id="alias-bomb-in-examples"),
        pytest.param(
            "examples:\n  pass: &self [{x: *self}]\n  fail: [{a: 1}]\n",
            id="self-reference-in-examples",
        ),
    ],
)
def test_rule_file_alias_bomb_is_a_located_error(tmp_path: Path, bomb: str) -> None:
    pack = tmp_path / "mine"
    pack.mkdir()
    (pack / "pack.yaml").write_text("name: mine\ntitle: Mine\nversion: '1'\n")
    rule = (
        (ROOT / "rules" / "hds" / "HDS-LOC-01.yaml")
        .read_text()
        .replace("id: HDS-LOC-01", "id: MINE-01")
    )
    rule = rule[: rule.index("examples:")]
    bomb_text = bomb.replace("[*l8]", _laughs_inline())
    (pack / "MINE-01.yaml").write_text(rule + bomb_text)
    result = cli(str(GOOD), "--rules", str(pack), "--as-of", str(AS_OF))
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.startswith(f"{pack / 'MINE-01.yaml'}:")
    assert "Traceback" not in result.stderr


def test_an_alias_bomb_in_a_rule_condition_is_a_located_error(tmp_path: Path) -> None:
    """Ten copies of ten copies... of one leaf: shallow enough for the depth limit, a billion
    conditions once expanded. Refused at the budget, in about a second."""
    pack = tmp_path / "mine"
    pack.mkdir()
    (pack / "pack.yaml").write_text("name: mine\ntitle: Mine\nversion: '1'\n")
    rule = (ROOT / "rules" / "hds" / "HDS-LOC-01.yaml").read_text()
    rule = rule.replace("id: HDS-LOC-01", "id: MINE-01")
    start, end = rule.index("when:"), rule.index("require:")
    levels = ["    - &c0 {field: place.role, eq: log}"]
    levels += [f"    - &c{i} {{all: [{', '.join([f'*c{i - 1}'] * 10)}]}}" for i in range(1, 10)]
    rule = rule[:start] + "when:\n  all:\n" + "\n".join(levels) + "\n" + rule[end:]
    (pack / "MINE-01.yaml").write_text(rule)
    result = cli(str(GOOD), "--rules", str(pack), "--as-of", str(AS_OF))
    assert result.returncode == 2, result.stderr[-2000:]
    assert "condition expands to more than 200000 conditions" in result.stderr
    assert result.stderr.startswith(f"{pack / 'MINE-01.yaml'}:")


def _laughs_inline() -> str:
    """A billion-laughs list written inside a rule's examples (anchors defined in place)."""
    inner = '&a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
    for i in range(1, 9):
        inner = f"&a{i} [{inner}, " + ", ".join([f"*a{i - 1}"] * 8) + "]"
    return f"[{{x: {inner}}}]"


def test_batch_keeps_every_good_file_and_lists_every_error(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(HOSTILE, corpus)
    shutil.copy(GOOD, corpus / "good.yaml")
    shutil.copy(SAMPLES / "doctolib-2021.yaml", corpus / "zz-good.yaml")
    (corpus / "loop").mkdir()
    (corpus / "loop" / "up").symlink_to(corpus, target_is_directory=True)  # directory loop
    (corpus / "a-loop.yaml").symlink_to(corpus / "b-loop.yaml")
    (corpus / "b-loop.yaml").symlink_to(corpus / "a-loop.yaml")
    (corpus / "dangling.yaml").symlink_to(corpus / "gone.yaml")
    os.mkfifo(corpus / "pipe.yaml")  # opening it would block the run forever

    outputs = []
    for jobs in ("1", "2"):
        result = cli(str(corpus), "--format", "json", "--as-of", str(AS_OF), "-j", jobs)
        assert result.returncode == 2, result.stderr[-2000:]
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]  # workers change nothing, not even the order

    report = json.loads(outputs[0])
    audited = {i["path"] for i in report["inputs"] if i["deployment"]}
    assert audited == {str(corpus / "good.yaml"), str(corpus / "zz-good.yaml")}
    located = {(f["location"]["path"], f["rule_id"]) for f in report["findings"]}
    assert (str(corpus / "good.yaml"), "HDS-LOC-01") in located
    assert (str(corpus / "zz-good.yaml"), "JUR-EXPO-01") in located
    failed = {e["path"] for e in report["errors"]}
    expected = {str(corpus / n) for n in EXPECTED} | {
        str(corpus / n) for n in ("a-loop.yaml", "b-loop.yaml", "dangling.yaml", "pipe.yaml")
    }
    assert failed == expected
    [dangling] = [e for e in report["errors"] if e["path"] == str(corpus / "dangling.yaml")]
    assert dangling["message"].startswith(f"symbolic link to '{corpus / 'gone.yaml'}', which")
    for error in report["errors"]:
        assert set(error) == {"path", "line", "column", "message"}
        assert error["line"] >= 1 and error["column"] >= 1 and error["message"]
    assert report["complete"] is False


def test_file_deleted_during_the_run_is_an_error_for_that_file_only(tmp_path: Path) -> None:
    doomed = tmp_path / "doomed.yaml"
    shutil.copy(GOOD, doomed)
    shutil.copy(GOOD, tmp_path / "kept.yaml")
    files, errors = pipeline.collect([tmp_path])
    assert files == [doomed, tmp_path / "kept.yaml"] and not errors
    doomed.unlink()  # after discovery, before it is read
    auditor = pipeline.Auditor.load(pipeline.Options(paths=[], as_of=AS_OF))
    result = auditor.file(doomed)
    assert (result.entry.deployment, result.findings) == (None, [])
    assert [str(p) for p in result.errors] == [
        f"{doomed}:1:1: error: file not found (deleted during the run?)"
    ]
    assert auditor.file(tmp_path / "kept.yaml").findings


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param(
            '"clin\\x01ique\\e[31mRED"',
            "control character U+0001 in a value; remove it (only tab and newline may appear "
            "in text)",
            id="ansi-escape",
        ),
        pytest.param(
            '"clinique\\nforged.yaml:1:1: critical FAKE-01 all is well"',
            "name: line break in a one-line value; write it on one line; only free text such "
            "as description may span lines",
            id="forged-line",
        ),
    ],
)
def test_a_name_can_neither_colour_nor_forge_the_reports(
    tmp_path: Path, name: str, message: str
) -> None:
    """Control characters broke the JUnit XML and coloured the terminal; a newline in a name
    wrote a finding line of its own. The file is refused where the value is; the batch goes on."""
    text = GOOD.read_text()
    assert "name: clinique-exemple-records\n" in text
    path = tmp_path / "hostile-name.yaml"
    path.write_text(text.replace("clinique-exemple-records", name, 1))
    junit = tmp_path / "ra.xml"
    result = cli(
        str(path), str(GOOD), "--as-of", str(AS_OF), "-f", "junit", "-o", str(junit), "-f", "text"
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.splitlines() == [f"{path}:11:7: error: {message}"]
    assert "FAKE-01" not in result.stdout and "\x1b" not in result.stdout
    assert f"{GOOD}:" in result.stdout  # the other file of the batch is audited
    ElementTree.parse(junit)  # well-formed


DATE_LIMITS = {
    "issued: 2025-03-01": "issued: 9999-06-01",
    "expires: 2028-02-29": "expires: 9999-12-31",
}


def test_dates_at_the_calendar_limits_never_stop_a_batch(tmp_path: Path) -> None:
    """`issued: 9999-06-01` once raised in the certificate period (exit 3, no report at all),
    `--as-of 0001-01-01` in the knowledge base's staleness and `--tia-max-age 1000000000` in
    the TIA age: none is an error, each is a date like another."""
    text = (SAMPLES / "sovereign-hospital.yaml").read_text()
    for old, new in DATE_LIMITS.items():
        assert old in text
        text = text.replace(old, new)
    (tmp_path / "far-certificate.yaml").write_text(text)
    tia = (FIXTURES / "edpb" / "uc6-not-effective.yaml").read_text()
    assert "tia_date: 2026-06-01}" in tia
    tia = tia.replace(
        "tia_date: 2026-06-01}",
        "tia_date: 0001-01-01, concluded: 9999-12-31}\n"
        "  - {recipient: cloud, tool: bcr, approval: X, tia_date: 9999-12-31}",
    )
    (tmp_path / "far-tia.yaml").write_text(tia)
    shutil.copy(GOOD, tmp_path / "good.yaml")
    for as_of in ("0001-01-01", str(AS_OF), "9999-12-31"):
        result = cli(
            str(tmp_path), "-f", "json", "--as-of", as_of, "--tia-max-age", "1000000000", "-j", "1"
        )
        assert result.returncode == 1, (as_of, result.stderr[-2000:])
        report = json.loads(result.stdout)
        assert report["errors"] == []
        assert len([i for i in report["inputs"] if i["deployment"]]) == 3
        files = {Path(f["location"]["path"]).name for f in report["findings"]}
        assert {"far-certificate.yaml", "far-tia.yaml", "good.yaml"} <= files, as_of


def test_numbers_past_what_python_reads_are_located_errors_in_a_batch(tmp_path: Path) -> None:
    """QA: a 5,000-digit integer raised in `int()` (exit 3, the whole batch lost, with
    `-j 1` and `-j 2`), and `1e400` read as infinity. Each is an error at its line and column,
    not echoed whole, and the good file is still audited."""
    text = GOOD.read_text(encoding="utf-8")
    assert "schema_version: 1\n" in text
    huge = text.replace("schema_version: 1\n", f"schema_version: 1{'0' * 5000}\n")
    (tmp_path / "huge-int.yaml").write_text(huge, encoding="utf-8")
    infinite = text + "risk:\n  threshold: 1e400\n"
    (tmp_path / "infinite.yaml").write_text(infinite, encoding="utf-8")
    shutil.copy(GOOD, tmp_path / "good.yaml")
    for jobs in ("1", "2"):
        result = cli(str(tmp_path), "-f", "json", "-j", jobs)
        assert result.returncode == 2, result.stderr[-2000:]
        report = json.loads(result.stdout)
        errors = {Path(e["path"]).name: e for e in report["errors"]}
        assert sorted(errors) == ["huge-int.yaml", "infinite.yaml"], errors
        assert errors["huge-int.yaml"]["message"].startswith(
            "schema_version: an integer of 5001 digits ('1000"
        )
        assert "at most 18 are read" in errors["huge-int.yaml"]["message"]
        assert len(errors["huge-int.yaml"]["message"]) < 300
        line = text.splitlines().index("schema_version: 1") + 1
        assert (errors["huge-int.yaml"]["line"], errors["huge-int.yaml"]["column"]) == (line, 17)
        assert errors["infinite.yaml"]["message"] == "risk.threshold: '1e400' is too large a number"
        assert any(f["location"]["path"].endswith("good.yaml") for f in report["findings"])


@pytest.mark.parametrize(
    ("option", "kept"),
    [
        ("--observed", True),
        ("--dns", True),
        ("--waivers", False),
        ("--baseline", False),
        ("--risk-model", False),
        ("--rules", False),
    ],
)
def test_a_bad_run_wide_input_stops_the_run_a_bad_file_is_left_out(
    tmp_path: Path, option: str, kept: bool
) -> None:
    """As the README's exit codes say: an observed or DNS file in error is left out and the
    batch still reported, with the error listed; a waiver, baseline, risk model or rule pack
    in error changes how every file is judged, so the run stops with no result at all."""
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    bad = empty
    if option == "--rules":
        bad = tmp_path / "pack"
        bad.mkdir()
        (bad / "pack.yaml").write_text("", encoding="utf-8")
    result = cli(str(GOOD), option, str(bad), "-f", "json", "-j", "1")
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"{bad if option != '--rules' else bad / 'pack.yaml'}:1:1: error:" in result.stderr
    if not kept:
        assert result.stdout == ""
        return
    report = json.loads(result.stdout)
    assert [Path(e["path"]).name for e in report["errors"]] == ["empty.yaml"]
    assert any(f["location"]["path"] == str(GOOD) for f in report["findings"])


def test_aliases_of_a_long_value_stop_at_a_budget_of_characters(tmp_path: Path) -> None:
    """3,000 aliases of an 800 KB value are 2.4 GB of text within the budget of values: each
    visit scanned it and each error echoed it (about 2 minutes and gigabytes on stderr). The
    text a document expands to is bounded too: one error, where the aliased value is."""
    lines = GOOD.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("description:"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
    lines[start:end] = ["description: &n " + "x" * 800_000]
    lines += ["claims:", "  processors: [" + ", ".join(["*n"] * 3000) + "]"]
    path = tmp_path / "long-aliases.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli(str(path))
    assert result.returncode == 2
    assert result.stderr == (
        f"{path}:{start + 1}:14: error: document expands to more than 10485760 characters of "
        "text (YAML aliases of a long value?); remove the aliases\n"
    )


def test_a_directory_without_deployments_fails_instead_of_passing(
    tmp_path: Path, runner: CliRunner
) -> None:
    """An audit of nothing must not pass a CI gate (it printed "0 file(s) ... pass", exit 0)."""
    empty = tmp_path / "emptydir"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a deployment\n")
    result = runner.invoke(app, ["check", f"{empty}/", "--as-of", str(AS_OF)])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"{empty}:1:1: error: no deployment files (*.yaml, *.yml) found under {empty}/; check "
        "the path, or name the files to audit"
    ]


def test_deployment_suffixes_match_in_any_case(tmp_path: Path) -> None:
    shutil.copy(GOOD, tmp_path / "DEPLOY.YAML")
    shutil.copy(GOOD, tmp_path / "other.Yml")
    files, errors = pipeline.collect([tmp_path])
    assert files == [tmp_path / "DEPLOY.YAML", tmp_path / "other.Yml"] and not errors


def test_control_characters_are_reported_everywhere_up_to_a_limit(tmp_path: Path) -> None:
    """Keys and values, each at its place; a file full of them gets a hundred and a count."""
    path = tmp_path / "escapes.yaml"
    path.write_text('"k\\e": 1\n' + "".join(f'v{i}: "\\x7f{i}"\n' for i in range(150)))
    result = cli(str(path), "--format", "json", "--as-of", str(AS_OF))
    assert result.returncode == 2
    errors = json.loads(result.stdout)["errors"]
    assert len(errors) == 101
    assert (errors[0]["line"], errors[0]["column"]) == (1, 1)
    assert errors[0]["message"].startswith("control character U+001B in a value")
    assert (errors[1]["line"], errors[1]["column"]) == (2, 5)
    assert errors[1]["message"].startswith("control character U+007F in a value")
    assert errors[-1]["message"] == "51 more values with control characters; remove them all"


def test_bidirectional_controls_written_as_they_are_are_refused(tmp_path: Path) -> None:
    """U+202E reverses what follows on screen ("Trojan Source"): a component id could read as
    another in every report. YAML accepts it unescaped; the loader does not."""
    text = GOOD.read_text(encoding="utf-8")
    line, column = next(
        (n + 1, row.index("name:") + 7)
        for n, row in enumerate(text.splitlines())
        if row.startswith("name:")
    )
    path = tmp_path / "bidi.yaml"
    path.write_text(text.replace("name: ", "name: \u202e", 1), encoding="utf-8")
    result = cli(str(path), "--format", "json", "--as-of", str(AS_OF))
    assert result.returncode == 2
    [error] = json.loads(result.stdout)["errors"]
    assert error["message"].startswith("control character U+202E in a value")
    assert (error["line"], error["column"]) == (line, column)


def test_a_file_reached_two_ways_is_audited_once(tmp_path: Path) -> None:
    """A directory, a symlink to it and one of its files by an absolute path: one audit each."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(GOOD, data / "a.yaml")
    (tmp_path / "link").symlink_to(data, target_is_directory=True)
    files, errors = pipeline.collect([data, tmp_path / "link", (data / "a.yaml").resolve()])
    assert files == [data / "a.yaml"] and not errors


@pytest.mark.parametrize("char", ["\uffff", "\ufffe", "\x01", "\x7f"])
def test_a_character_yaml_refuses_is_reported_where_it_is(tmp_path: Path, char: str) -> None:
    """QA: a `name` holding U+FFFF was refused at 1:1 ("position 507", counted in UTF-8 bytes by
    libyaml). The error names its line and column, counted in characters as editors do, past
    the non-ASCII text before it."""
    text = GOOD.read_text(encoding="utf-8")
    line, column = next(
        (n + 1, row.index("name:") + 9)  # after `name: ` and `é😀`
        for n, row in enumerate(text.splitlines())
        if row.startswith("name:")
    )
    path = tmp_path / "odd.yaml"
    path.write_text("# Déploiement\n" + text.replace("name: ", f"name: é😀{char}", 1))
    result = cli(str(path), "--format", "json", "--as-of", str(AS_OF))
    assert result.returncode == 2
    [error] = json.loads(result.stdout)["errors"]
    assert (error["line"], error["column"]) == (line + 1, column), error
    kind = "noncharacter" if char in "\ufffe\uffff" else "control character"
    assert error["message"] == (
        f"{kind} U+{ord(char):04X} in the text, which YAML does not allow; remove it"
    )


def test_a_noncharacter_written_as_an_escape_is_refused(tmp_path: Path) -> None:
    """YAML lets `"\\uffff"` make the character it refuses written as it is; XML (JUnit) has
    no way to hold it, and a saved result holding it would not be read back."""
    path = tmp_path / "escaped.yaml"
    path.write_text(GOOD.read_text(encoding="utf-8").replace("name: ", 'name: "\\uffff"\nx: ', 1))
    result = cli(str(path), "--format", "json", "--as-of", str(AS_OF))
    assert result.returncode == 2
    errors = json.loads(result.stdout)["errors"]
    assert errors[0]["message"].startswith("noncharacter U+FFFF in a value; remove it"), errors

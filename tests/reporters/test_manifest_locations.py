"""A reader of the evidence can find every file its manifest hashes: the manifest says where the
bundled knowledge (`kb/NAME`), risk model (`risk/NAME`) and rule packs are on the machine that
ran the audit, and where each `--rules` pack is. Those paths are of one installation, so the
JSON result, the same on every machine, does not hold them."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, FIXTURES, SAMPLES
from tests.reporters.test_html import Page

PACK = FIXTURES / "user_rules" / "good"
LOCATED = re.compile(r"^  - [^:]+: `(\w+/)NAME` is `(.+)NAME`$")
HASHED = re.compile(r"^\| (knowledge|risk model) \| `([^`]+)` \| `([0-9a-f]{64})` \|$")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Markdown, HTML and JSON of one check with an extra rule pack, run from a directory that is
    neither the package's nor the inputs' (as a user's CI job is)."""
    where = tmp_path_factory.mktemp("run")
    runner = CliRunner()
    args = ["check", str(SAMPLES / "backup-outside-eea.yaml"), "--as-of", str(AS_OF)]
    args += ["--rules", str(PACK)]
    for fmt in ("markdown", "html", "json"):
        args += ["-f", fmt, "-o", str(where / fmt)]
    before = Path.cwd()
    os.chdir(where)
    try:
        result = runner.invoke(app, args)
    finally:
        os.chdir(before)
    assert result.exit_code == 1, result.output
    return {fmt: (where / fmt).read_text() for fmt in ("markdown", "html", "json")}


def test_every_bundled_file_the_markdown_hashes_is_found_where_it_says(
    outputs: dict[str, str],
) -> None:
    lines = outputs["markdown"].splitlines()
    places = {m[1]: m[2] for m in map(LOCATED.match, lines) if m}
    assert set(places) == {"kb/", "risk/", "rules/"}
    hashed = [m.groups() for m in map(HASHED.match, lines) if m]
    assert {kind for kind, _, _ in hashed} == {"knowledge", "risk model"}
    for _, name, digest in hashed:
        prefix, rest = name.split("/", 1)
        path = Path(places[prefix + "/"]) / rest
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, name
    assert (Path(places["rules/"]) / "hds" / "pack.yaml").is_file()


def test_a_rules_pack_is_shown_with_its_directory(outputs: dict[str, str]) -> None:
    (row,) = [x for x in outputs["markdown"].splitlines() if x.startswith("| rule pack acme ")]
    assert row.startswith(f"| rule pack acme 0.1.0 | `{PACK}`, 1 rules | `")
    (cells,) = [r for r in Page(outputs["html"]).rows if "acme" in " ".join(r)]
    assert cells[1].endswith(f"(1 rules) in {PACK}")


def test_the_html_says_where_the_bundled_files_are(outputs: dict[str, str]) -> None:
    words = Page(outputs["html"]).words
    places = dict(re.findall(r"(\w+/)NAME is (\S+)NAME", words))
    assert set(places) == {"kb/", "risk/", "rules/"}
    assert (Path(places["kb/"]) / "countries.yaml").is_file()


def test_the_json_result_holds_no_path_of_the_installation(outputs: dict[str, str]) -> None:
    places = re.findall(r"`(\w+/)NAME` is `(.+)NAME`", outputs["markdown"])
    text = outputs["json"]
    for _, directory in places:
        assert directory.rstrip("/") not in text, directory
    assert str(PACK) not in text
    assert "bundled_at" not in json.loads(text)

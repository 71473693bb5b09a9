"""A run with a great many input errors (a hostile batch: a thousand per file) gives a result
the tool takes back, as `--baseline` and for `report`, with its errors read one by one and
moved to disk as findings are, never held whole; and its JSON is the same bytes whether the
errors were in memory or on disk."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from residency_audit import spool
from residency_audit.jsonstream import MAX_VALUE
from residency_audit.reporters import json as json_result
from residency_audit.reporters import junit, sarif, text
from residency_audit.reporters.jsontext import dumps
from residency_audit.results import read_result
from residency_audit.spool import Spool
from tests.conftest import AS_OF, ROOT, SAMPLES
from tests.support.command import residency_audit

GOOD = SAMPLES / "backup-outside-eea.yaml"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return residency_audit(*args, cwd=cwd)


def saved_with_errors(directory: Path, count: int, *, message: str = "") -> Path:
    """A result of `check` on a sample and a file with unknown keys, its errors list grown to
    `count` errors at that file (written as `check` writes them: in order, indented as in the
    result), `message` making each longer."""
    directory.mkdir(exist_ok=True)
    (directory / "broken.yaml").write_text("name: broken\nkey0: 0\nkey1: 1\n")
    base = directory / "base.json"
    ran = cli("check", str(GOOD), "broken.yaml", "--as-of", str(AS_OF), "-f", "json",
              "-o", str(base), cwd=directory)  # fmt: skip
    assert ran.returncode == 2, ran.stderr
    result = json.loads(base.read_text())
    assert [e["path"] for e in result["errors"]] == ["broken.yaml"] * len(result["errors"])
    result["errors"], result["summary"]["errors"] = [], count
    head, tail = dumps(result).split('\n  "errors": []', 1)
    errors = ",\n    ".join(
        f'{{\n      "path": "broken.yaml",\n      "line": {i + 1},\n      "column": 1,\n'
        f'      "message": "unknown key \'k{i}\'{message}"\n    }}'
        for i in range(count)
    )
    path = directory / "many-errors.json"
    path.write_text(f'{head}\n  "errors": [\n    {errors}\n  ]{tail}\n')
    return path


@pytest.fixture(scope="module")
def huge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A result whose errors list alone is larger than a single JSON value may be."""
    filler = "; did you mean 'keys'? " + "see the deployment file reference " * 12
    count = MAX_VALUE // (len(filler) + 100) + 1000
    path = saved_with_errors(tmp_path_factory.mktemp("huge"), count, message=filler)
    assert path.stat().st_size > MAX_VALUE
    return path


def test_a_result_with_more_errors_than_a_value_may_hold_is_a_baseline(huge: Path) -> None:
    ran = cli("check", str(GOOD), "--baseline", str(huge), "--as-of", str(AS_OF), "-f", "json",
              cwd=huge.parent)  # fmt: skip
    assert ran.returncode == 0, ran.stderr  # every finding is known: baselined
    findings = json.loads(ran.stdout)["findings"]
    assert findings and {f["status"] for f in findings} == {"baselined"}
    assert "error" not in ran.stderr


def test_report_renders_every_error_of_a_large_result(huge: Path) -> None:
    """`report` lists them on stderr as `check` does (fifty per file, then how many more), and
    its JSON gives the result back byte for byte."""
    count = json.loads(huge.read_text())["summary"]["errors"]
    out = huge.parent / "again.json"
    ran = cli("report", str(huge), "-f", "json", "-o", str(out), cwd=huge.parent)
    assert ran.returncode == 2
    assert out.read_bytes() == huge.read_bytes()
    lines = ran.stderr.splitlines()
    assert lines[0].startswith("broken.yaml:1:1: error: unknown key 'k0'; did you mean")
    assert f"broken.yaml: ... and {count - 50} more errors (--format json lists them)" in lines


def test_errors_read_back_are_moved_to_disk_and_render_as_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = saved_with_errors(tmp_path, 2500)
    in_memory = read_result(path, role="result").report
    assert not isinstance(in_memory.errors, Spool)
    monkeypatch.setattr(spool, "KEEP_IN_MEMORY", 100)
    on_disk = read_result(path, role="result").report
    assert isinstance(on_disk.errors, Spool) and on_disk.errors.spilled
    assert len(on_disk.errors) == 2500 and on_disk.errors == in_memory.errors
    rendered = json_result.render(on_disk)
    assert rendered == path.read_text()
    assert rendered == dumps(json_result.to_dict(on_disk)) + "\n"  # written whole, the same
    for render in (text.render, sarif.render, junit.render):
        assert render(on_disk) == render(in_memory)
    assert on_disk.exit_code(None) == in_memory.exit_code(None) == 2


@pytest.mark.parametrize("jobs", [1, 2])
def test_errors_are_written_as_the_whole_result_would_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """The JSON writer streams errors a run at a time, in worker processes for a spool on disk:
    the same text as the result encoded in one piece."""
    path = saved_with_errors(tmp_path, 1200)
    monkeypatch.setattr(spool, "KEEP_IN_MEMORY", 100)
    report = read_result(path, role="result").report
    out = io.StringIO()
    json_result.write(report, out, jobs=jobs)
    assert out.getvalue() == dumps(json_result.to_dict(report)) + "\n" == path.read_text()


def test_a_result_without_errors_is_refused(tmp_path: Path) -> None:
    """No `errors` member is no result: read as none, it would pass as a complete audit."""
    path = saved_with_errors(tmp_path, 3)
    result = json.loads(path.read_text())
    del result["errors"]
    result["complete"], result["summary"]["errors"] = True, 0  # as if it said so throughout
    path.write_text(json.dumps(result, indent=2))
    ran = cli("report", str(path), cwd=tmp_path)
    assert ran.returncode == 2
    assert "incomplete residency-audit result (no member 'errors')" in ran.stderr


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_batch_keeps_its_errors_on_disk_and_reports_them_as_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """Files with hundreds of errors each, named out of order, and a path that does not exist
    (an error of the walk, not of a file): the errors come out sorted, as in memory."""
    from residency_audit import pipeline

    for i in range(6):
        keys = "".join(f"key{k}: {k}\n" for k in range(150 + i))
        (tmp_path / f"broken-{i}.yaml").write_text(f"name: broken-{i}\n{keys}")
    named = [tmp_path / "broken-5.yaml", GOOD, tmp_path / "gone.yaml", tmp_path]
    options = pipeline.Options(named, as_of=AS_OF, jobs=jobs)
    in_memory = pipeline.run(options)
    monkeypatch.setattr(spool, "KEEP_IN_MEMORY", 100)
    on_disk = pipeline.run(options)
    assert isinstance(on_disk.errors, Spool) and on_disk.errors.spilled
    assert len(on_disk.errors) == len(in_memory.errors) > sum(150 + i for i in range(6))
    assert list(on_disk.errors) == sorted(in_memory.errors) == list(in_memory.errors)
    assert json_result.render(on_disk) == json_result.render(in_memory)
    assert text.render(on_disk) == text.render(in_memory)
    assert on_disk.exit_code(None) == 2

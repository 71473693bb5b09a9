"""A TMPDIR that cannot be used stops a run that writes temporary files, naming it: Python's
`tempfile` would quietly write to /tmp instead, the disk the user set TMPDIR to spare."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit import spool
from residency_audit.cli import app
from tests.conftest import AS_OF
from tests.test_streaming import corpus


@pytest.fixture
def bad_tmpdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> str:
    """TMPDIR set to a missing directory or to a file, with `tempfile`'s choice not yet made
    (as in a fresh process)."""
    if request.param == "missing":
        wanted = tmp_path / "no-such-dir"
    else:
        wanted = tmp_path / "a-file"
        wanted.write_text("")
    monkeypatch.setenv("TMPDIR", str(wanted))
    monkeypatch.setattr(tempfile, "tempdir", None)
    return str(wanted)


@pytest.mark.parametrize("bad_tmpdir", ["missing", "file"], indirect=True)
def test_workers_writing_texts_refuse_an_unusable_tmpdir(tmp_path: Path, bad_tmpdir: str) -> None:
    files = corpus(tmp_path / "in", 10)  # 40 files: two workers, which write the texts
    out = tmp_path / "t.json"
    args = ["check", str(files), "--as-of", str(AS_OF), "-j", "2", "-f", "json", "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        f"error: {bad_tmpdir}: cannot write the batch's temporary files: TMPDIR names it"
    )
    assert "set TMPDIR to a writable directory" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


@pytest.mark.parametrize("bad_tmpdir", ["missing"], indirect=True)
def test_a_spool_moving_to_disk_refuses_an_unusable_tmpdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_tmpdir: str
) -> None:
    files = corpus(tmp_path / "in", 2)
    monkeypatch.setattr(spool, "KEEP_IN_MEMORY", 5)
    result = CliRunner().invoke(app, ["check", str(files), "--as-of", str(AS_OF), "-j", "1"])
    assert result.exit_code == 2, result.output
    assert f"{bad_tmpdir}: cannot write the batch's temporary files" in result.stderr


@pytest.mark.parametrize("bad_tmpdir", ["missing"], indirect=True)
def test_a_run_that_writes_no_temporary_file_ignores_tmpdir(
    tmp_path: Path, bad_tmpdir: str
) -> None:
    files = corpus(tmp_path / "in", 1)
    result = CliRunner().invoke(app, ["check", str(files), "--as-of", str(AS_OF), "-f", "json"])
    assert result.exit_code == 1, result.output

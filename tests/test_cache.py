"""The parse cache makes runs faster; only a cache the user alone can write can make them
different, and evidence runs never read it."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit import kb
from residency_audit.cli import app
from residency_audit.engine.rules import load_packs
from tests.conftest import AS_OF, ROOT, SAMPLES


def test_cached_knowledge_equals_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESIDENCY_AUDIT_CACHE_DIR", str(tmp_path))
    first = kb.load()
    assert len(list(tmp_path.glob("kb-*.pickle"))) == 1
    second = kb.load()
    assert second.countries == first.countries
    assert second.decisions == first.decisions
    assert second.files == first.files


def test_knowledge_cached_from_another_copy_reads_its_network_files_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two copies with the same top-level files share a cache entry; the IP ranges and edges
    read later come from the copy loaded, even once the first copy is gone."""
    monkeypatch.setenv("RESIDENCY_AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(kb.DATA_DIR, first)
    shutil.copytree(kb.DATA_DIR, second)
    kb.load(first)
    shutil.rmtree(first)
    here = kb.load(second)
    assert here.directory == second
    assert here.network().files  # read from `second`: `first` no longer exists


def test_corrupt_cache_entry_falls_back_to_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESIDENCY_AUDIT_CACHE_DIR", str(tmp_path))
    packs = load_packs()
    for entry in tmp_path.glob("rules-*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert [r.id for p in load_packs() for r in p.rules] == [r.id for p in packs for r in p.rules]


def test_changed_rule_file_is_not_served_from_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESIDENCY_AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    pack = tmp_path / "mine"
    pack.mkdir()
    (pack / "pack.yaml").write_text("name: mine\ntitle: Mine\nversion: '1'\n")
    rule = Path(__file__).parent.parent / "rules" / "core" / "CORE-KB-01.yaml"
    text = rule.read_text().replace("CORE-KB-01", "MINE-01")
    (pack / "MINE-01.yaml").write_text(text)
    before = {r.id: r.title for p in load_packs([pack]) for r in p.rules}
    (pack / "MINE-01.yaml").write_text(text.replace("Provider is known", "Changed title"))
    after = {r.id: r.title for p in load_packs([pack]) for r in p.rules}
    assert before["MINE-01"] != after["MINE-01"] == "Changed title to the knowledge base"


class _Interrupted:
    """Pickling it is interrupted, as a TERM or Ctrl-C would interrupt writing an entry."""

    def __reduce__(self) -> tuple[object, ...]:
        raise KeyboardInterrupt


def test_an_interrupted_entry_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from residency_audit import cache

    monkeypatch.setenv("RESIDENCY_AUDIT_CACHE_DIR", str(tmp_path))
    with pytest.raises(KeyboardInterrupt):
        cache.cached("test", [("a", b"a")], _Interrupted, lambda v: True)
    assert list(tmp_path.iterdir()) == []


SAMPLE = SAMPLES / "backup-outside-eea.yaml"  # HDS-LOC-01: its backups are stored outside the EEA


def _tamper(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What anyone able to write `cache_dir` can do: load the rules entry, drop HDS-LOC-01 from
    the hds pack and store it again under the same name (the key hashes the rule files, which
    did not change). Made as the QA engineer made it, the entry kept private; returns it."""
    cache_dir.mkdir(mode=0o700)
    monkeypatch.setenv("RESIDENCY_AUDIT_CACHE_DIR", str(cache_dir))
    load_packs()
    [entry] = cache_dir.glob("rules-*.pickle")
    packs = pickle.loads(entry.read_bytes())
    changed = tuple(
        dataclasses.replace(p, rules=tuple(r for r in p.rules if r.id != "HDS-LOC-01"))
        if p.name == "hds"
        else p
        for p in packs
    )
    assert changed != packs
    entry.write_bytes(pickle.dumps(changed, protocol=pickle.HIGHEST_PROTOCOL))
    entry.chmod(0o600)
    return entry


def _rules_found(*extra: str) -> set[str]:
    """The rule ids of the sample's findings, from `check --format json` (after `extra`)."""
    result = CliRunner().invoke(
        app, ["check", str(SAMPLE), "--as-of", str(AS_OF), *extra, "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    return {f["rule_id"] for f in json.loads(result.stdout)["findings"]}


def test_a_private_cache_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's own cache is trusted, tampered or not: a user who can write it could as well
    change the tool (README). This also shows the other tests' tampering takes effect."""
    _tamper(tmp_path / "cache", monkeypatch)
    rules = _rules_found()
    assert "HDS-LOC-01" not in rules
    assert "GDPR-XFER-01" in rules


def test_a_cache_others_can_write_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "cache"
    _tamper(shared, monkeypatch)
    shared.chmod(0o770)  # a directory a CI group shares
    assert "HDS-LOC-01" in _rules_found()


def test_an_entry_others_can_write_is_ignored_and_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = _tamper(tmp_path / "cache", monkeypatch)
    entry.chmod(0o666)
    assert "HDS-LOC-01" in _rules_found()
    assert entry.stat().st_mode & 0o777 == 0o600  # parsed again and stored private
    assert "HDS-LOC-01" in _rules_found()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_cache_owned_by_another_user_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = tmp_path / "cache"
    _tamper(theirs, monkeypatch)
    os.chown(theirs, 65534, 65534)  # nobody's, mode 0700 still
    assert "HDS-LOC-01" in _rules_found()


def test_evidence_formats_never_read_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Markdown, HTML and PDF are filed as evidence: their manifest hashes the rule files, so
    the rules evaluated must be those files, even against the user's own tampered entry."""
    _tamper(tmp_path / "cache", monkeypatch)
    evidence = tmp_path / "evidence.md"
    assert "HDS-LOC-01" in _rules_found("--format", "markdown", "--output", str(evidence))
    text = evidence.read_text()
    assert "HDS-LOC-01" in text.split("## Manifest")[0]
    assert "- Knowledge and rules parsed from source (no cache)\n" in text


def test_a_run_for_evidence_formats_never_reads_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same through `pipeline.run`, for a program that writes HTML itself."""
    from residency_audit.pipeline import Options, run
    from residency_audit.reporters import OutputFormat

    _tamper(tmp_path / "cache", monkeypatch)
    report = run(Options(paths=[SAMPLE], as_of=AS_OF, formats=(OutputFormat.HTML,)))
    assert "HDS-LOC-01" in {f.rule_id for f in report.findings}


def _command(cache_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command in a fresh process: nothing loaded yet, nothing noted yet."""
    env = {**os.environ, "RESIDENCY_AUDIT_CACHE_DIR": str(cache_dir), "PYTHONPATH": str(ROOT)}
    env.pop("RESIDENCY_AUDIT_NO_CACHE", None)
    return subprocess.run(
        [sys.executable, "-m", "residency_audit", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_an_html_report_rendered_again_does_not_touch_the_cache(tmp_path: Path) -> None:
    """Its flow map reads the knowledge base: from the files, as the audit's evidence does."""
    result = tmp_path / "result.json"
    check = ["check", str(SAMPLE), "--as-of", str(AS_OF), "--format", "json", "-o", str(result)]
    assert _command(tmp_path / "first", *check).returncode == 1
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir(mode=0o700)
    done = _command(cache_dir, "report", str(result), "--format", "html", "-o", "/dev/null")
    assert done.returncode == 1, done.stderr  # the result's, as check's
    assert list(cache_dir.iterdir()) == []


def test_an_ignored_cache_is_noted_once_on_stderr(tmp_path: Path) -> None:
    shared = tmp_path / "cache"
    shared.mkdir()
    shared.chmod(0o777)
    done = _command(shared, "check", str(SAMPLE), "--as-of", str(AS_OF), "--format", "json")
    assert done.returncode == 1, done.stderr
    note = f"note: ignoring the cache at {shared}: writable by others; parsed from source\n"
    assert done.stderr.count(note) == 1, done.stderr
    assert list(shared.iterdir()) == []  # nothing stored where others could change it


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a directory to another user needs root")
def test_the_note_says_why_a_cache_is_ignored(tmp_path: Path) -> None:
    """A private directory that is another user's is not 'writable by others': the note says
    whose it is, so the user knows what to fix."""
    theirs = tmp_path / "cache"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 65534, 65534)
    done = _command(theirs, "check", str(SAMPLE), "--as-of", str(AS_OF), "--format", "json")
    assert done.returncode == 1, done.stderr
    assert (
        f"note: ignoring the cache at {theirs}: owned by another user; parsed from source\n"
    ) in done.stderr


class _Mkdir:
    """Unpickled, it calls `os.mkdir`: what a crafted entry would do to run any code."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[object, ...]:
        return (os.mkdir, (self.path,))


def test_an_entry_that_would_run_code_is_refused_noted_and_replaced(tmp_path: Path) -> None:
    """A private cache may still hold what another wrote (a CI job restores a cache a pull
    request saved, as the job's user): its entries can describe data, never call code."""
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir(mode=0o700)
    check = ["check", str(SAMPLE), "--as-of", str(AS_OF), "--format", "json"]
    assert _command(cache_dir, *check).returncode == 1
    [entry] = cache_dir.glob("rules-*.pickle")
    marker = tmp_path / "ran"
    entry.write_bytes(pickle.dumps(_Mkdir(marker), protocol=pickle.HIGHEST_PROTOCOL))
    done = _command(cache_dir, *check)
    assert not marker.exists()
    assert done.returncode == 1, done.stderr
    assert "HDS-LOC-01" in {f["rule_id"] for f in json.loads(done.stdout)["findings"]}
    assert (
        f"note: ignoring the cache at {cache_dir}: an entry names {os.mkdir.__module__}.mkdir, "
        "which no parse result holds; parsed from source\n"
    ) in done.stderr
    assert _command(cache_dir, *check).stderr == ""  # parsed again and stored over it


def test_entries_are_read_by_a_fresh_process(tmp_path: Path) -> None:
    """What the restricted unpickler accepts covers every parse result: a second run reads
    the knowledge base, the rule packs and the risk model from the cache, rewriting none."""
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir(mode=0o700)
    check = ["check", str(SAMPLE), "--as-of", str(AS_OF), "--format", "json"]
    first = _command(cache_dir, *check)
    entries = {p.name: p.stat().st_ino for p in cache_dir.iterdir()}
    assert {name.split("-")[0] for name in entries} == {"kb", "rules", "risk"}
    second = _command(cache_dir, *check)
    assert second.stderr == ""
    assert {p.name: p.stat().st_ino for p in cache_dir.iterdir()} == entries
    assert second.stdout == first.stdout


@pytest.mark.parametrize("kind", ["rules", "kb", "risk-model"])
@pytest.mark.parametrize("value", [[], (), None, 42])
def test_an_entry_holding_something_else_is_not_used(
    tmp_path: Path, kind: str, value: object
) -> None:
    """QA: an entry of the rules holding an empty list audited nothing and passed (exit 0, 0
    findings, "complete"); None in the knowledge base's was exit 3. An entry is used only if
    it holds what its parse gives; otherwise the run parses from source and says why."""
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir(mode=0o700)
    check = ["check", str(SAMPLE), "--as-of", str(AS_OF), "--format", "json"]
    first = _command(cache_dir, *check)
    assert first.returncode == 1
    [entry] = cache_dir.glob(f"{kind}-*.pickle")
    entry.write_bytes(pickle.dumps(value))
    done = _command(cache_dir, *check)
    assert done.returncode == 1, done.stderr
    assert done.stdout == first.stdout
    assert (
        f"note: ignoring the cache at {cache_dir}: an entry holds {type(value).__name__}, not a "
        f"{kind} parse; parsed from source\n"
    ) == done.stderr

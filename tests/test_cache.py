"""The parse cache makes runs faster, never different."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from residency_audit import kb
from residency_audit.engine.rules import load_packs


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
        cache.cached("test", [("a", b"a")], _Interrupted)
    assert list(tmp_path.iterdir()) == []

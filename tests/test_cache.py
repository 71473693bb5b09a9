"""The bundled knowledge and rule packs are cached like bytecode, and never served stale."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from residency_audit import cache


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "prefix"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return cache.directory()


def test_an_edited_source_is_rebuilt_not_served_stale(tmp_path: Path, cache_dir: Path) -> None:
    source = tmp_path / "facts.yaml"
    source.write_text("country: FR\n")
    builds: list[str] = []

    def build() -> str:
        builds.append(source.read_text())
        return source.read_text()

    assert cache.cached("facts", [source], build) == "country: FR\n"
    assert cache.cached("facts", [source], build) == "country: FR\n"
    assert len(builds) == 1 and len(list(cache_dir.glob("facts-*.pickle"))) == 1
    source.write_text("country: US\n")
    assert cache.cached("facts", [source], build) == "country: US\n"
    assert len(builds) == 2
    assert len(list(cache_dir.glob("facts-*.pickle"))) == 1  # the stale entry is gone


def test_a_corrupt_cache_file_is_rebuilt(tmp_path: Path, cache_dir: Path) -> None:
    source = tmp_path / "facts.yaml"
    source.write_text("x: 1\n")
    cache.cached("facts", [source], lambda: "first")
    (entry,) = cache_dir.glob("facts-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert cache.cached("facts", [source], lambda: "rebuilt") == "rebuilt"


def test_nothing_is_written_when_python_writes_no_bytecode(
        tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    source = tmp_path / "facts.yaml"
    source.write_text("x: 1\n")
    assert cache.cached("facts", [source], lambda: "value") == "value"
    assert not cache_dir.exists()

"""The files a batch's workers write their texts to: every text reads back as written, the
names go as soon as the parent holds the files, and nothing is left when the shelves close."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from residency_audit.errors import ResourceError
from residency_audit.shelf import Shelf, Shelves


def test_texts_read_back_from_the_workers_files_after_their_names_are_gone() -> None:
    shelves = Shelves()
    directory = Path(shelves.directory)
    first, second = Shelf(shelves.directory), Shelf(shelves.directory)  # two workers
    places = [
        first.put(b"alpha"),
        second.put(b"\xc3\xa9t\xc3\xa9"),
        first.put(b""),
        first.put(b"omega" * 1000),
    ]
    assert {p.name for p in places} == {x.name for x in directory.iterdir()}
    for place in places:
        shelves.claim(place)
    assert list(directory.iterdir()) == []  # held open by the parent, no longer named
    assert [shelves.read(p) for p in places] == [b"alpha", "été".encode(), b"", b"omega" * 1000]
    shelves.seal()
    assert not directory.exists()
    assert shelves.read(places[1]) == "été".encode()  # still readable after the batch
    shelves.close()
    with pytest.raises(KeyError):
        shelves.read(places[0])


def test_closing_removes_the_files_of_workers_never_heard_from() -> None:
    shelves = Shelves()
    directory = Path(shelves.directory)
    Shelf(shelves.directory).put(b"never claimed")
    shelves.close()
    assert not directory.exists()


def test_a_worker_that_cannot_write_says_where(tmp_path: Path) -> None:
    with pytest.raises(ResourceError, match=f"{tmp_path / 'gone'}: cannot write"):
        Shelf(str(tmp_path / "gone")).put(b"text")


def test_the_shelves_are_closed_when_no_spool_needs_them() -> None:
    shelves = Shelves()
    place = Shelf(shelves.directory).put(b"text")
    shelves.claim(place)
    fd = shelves._files[place.name]
    directory = shelves.directory
    del shelves
    assert not os.path.exists(directory)
    with pytest.raises(OSError):
        os.fstat(fd)

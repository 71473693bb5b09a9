"""The spool that holds a large batch's findings on disk: same items, same order, any number of
passes, whether the items stayed in memory or not."""

from __future__ import annotations

import pickle

import pytest

from residency_audit.spool import Spool


def filled(keep: int, *runs: list[int]) -> Spool[int]:
    spool: Spool[int] = Spool(key=lambda n: n, keep=keep)
    for run in runs:
        spool.add(run)
    return spool


@pytest.mark.parametrize("keep", [0, 3, 100])
def test_items_come_back_in_order_on_every_pass(keep: int) -> None:
    spool = filled(keep, [2, 1], [3], [], [5, 4, 6])
    assert list(spool) == list(spool) == [1, 2, 3, 4, 5, 6]  # each run sorted by the key
    assert len(spool) == 6
    assert (spool[0], spool[4], spool[-1], list(spool[1:3])) == (1, 5, 6, [2, 3])
    assert spool.spilled is (keep < 6)
    with pytest.raises(IndexError):
        spool[6]


def test_pickled_runs_from_workers_mix_with_runs_of_objects() -> None:
    spool = filled(2, [1, 2])
    spool.add_pickled(pickle.dumps([3, 4]), 2, (3, 4))
    spool.add([5])
    assert spool.spilled and spool.ordered
    assert list(spool.settle()) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("keep", [0, 100])
def test_runs_added_out_of_order_are_read_in_order_without_loading_them(keep: int) -> None:
    spool = filled(keep, [7, 8], [1, 2], [4, 5])  # e.g. files named in reverse order
    assert not spool.ordered
    settled = spool.settle()
    assert list(settled) == list(settled) == [1, 2, 4, 5, 7, 8]
    assert (settled is spool) is (keep == 0)  # still on disk: memory stays bounded


@pytest.mark.parametrize("keep", [0, 100])
def test_interleaved_runs_are_sorted_when_settled(keep: int) -> None:
    spool = filled(keep, [5, 6], [1, 9], [7])
    assert list(spool.settle()) == [1, 5, 6, 7, 9]


def test_items_with_equal_keys_keep_the_order_a_stable_sort_gives() -> None:
    spool: Spool[tuple[int, str]] = Spool(key=lambda item: item[0], keep=0)
    spool.add([(3, "late"), (4, "x")])
    spool.add([(1, "y"), (3, "early")])  # touches the first run at key 3
    assert list(spool.settle()) == [(1, "y"), (3, "late"), (3, "early"), (4, "x")]


def test_a_spool_that_fits_in_memory_settles_to_a_tuple() -> None:
    assert filled(100, [1], [2]).settle() == (1, 2)
    spilled = filled(0, [1], [2])
    assert spilled.settle() is spilled and spilled == (1, 2) and spilled != (1, 3)


def test_a_keyed_spool_refuses_pickled_runs_without_bounds() -> None:
    with pytest.raises(ValueError, match="bounds"):
        filled(10).add_pickled(pickle.dumps([1]), 1, None)


@pytest.mark.parametrize("keep", [0, 100])
def test_runs_given_as_texts_are_read_as_texts_in_order(keep: int) -> None:
    spool = filled(keep, [5, 6])
    spool.add_texts({"text": b"1 2\n"}, 2, (1, 2))  # a worker's file, named before the others
    spool.add([8, 7])
    assert spool.as_texts and len(spool) == 6
    settled = spool.settle()
    assert settled is spool  # never turned back into items, even in memory
    rendered = list(spool.texts("text", lambda run: " ".join(map(str, run)) + "\n"))
    assert rendered == [b"1 2\n", "5 6\n", "7 8\n"]  # as the workers encoded them
    with pytest.raises(TypeError, match="texts"):  # a reporter that needs the items is a bug
        list(spool)


def test_runs_given_as_texts_that_overlap_cannot_be_settled() -> None:
    spool = filled(100, [3, 9])
    spool.add_texts({"text": b"4 5\n"}, 2, (4, 5))
    with pytest.raises(RuntimeError, match="overlap"):
        spool.settle()


def test_texts_move_to_disk_by_their_size_not_only_their_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from residency_audit import spool as spool_module

    monkeypatch.setattr(spool_module, "KEEP_TEXT", 1000)
    spool = filled(100)
    spool.add_texts({"json": b"x" * 600}, 1, (1, 1))
    assert not spool.spilled
    spool.add_texts({"json": b"y" * 600}, 1, (2, 2))  # two items, 1,200 bytes
    assert spool.spilled
    assert list(spool.texts("json", lambda run: "")) == [b"x" * 600, b"y" * 600]

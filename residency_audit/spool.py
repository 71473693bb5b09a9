"""`Spool`: a sequence built run by run (one file's findings, flows or checks at a time) that
moves to an anonymous temporary file once it holds more than `KEEP_IN_MEMORY` items (or
`KEEP_TEXT` bytes of texts).

A 10,000-file batch yields about half a million findings and a million checks: held as objects
they need gigabytes, while reporters only ever walk them once, in order. A spool keeps each run
pickled on disk and unpickles one run at a time when iterated, so memory stays bounded by the
largest run. Runs come either as objects (audits in this process) or already pickled (from
batch workers, which pickle their results anyway: the parent then never unpickles them twice).
A batch whose output formats are known before it starts gets its runs as text instead, written
by the workers in each format (`add_texts`), often to files of their own (`residency_audit.shelf`)
of which the spool holds only the places: such a run is never turned back into objects, and a
reporter reads it with `texts`.

Findings and flows must come out sorted. Files are audited in path order and each run is
sorted, so the concatenation normally is; the spool checks that every run starts at or after
the end of the previous one. When one does not (paths named out of order, the findings of a
waiver file added last), `settle` reads the runs in the order of their first keys, which sorts
the items as long as no two runs overlap: each file's findings point into that file. Only runs
that interleave are sorted in memory, so the order never depends on how results were stored.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import pairwise, starmap
from typing import IO, TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar, overload

from residency_audit.errors import ResourceError

if TYPE_CHECKING:  # batch workers' files: the spool only holds and hands over their places
    from residency_audit.shelf import Shelves, Stored

    Run = tuple[Any, ...] | bytes | Mapping[str, bytes | Stored]
    """A run as held: a tuple of items, the pickle of a list of items, or texts by format."""

T = TypeVar("T")

KEEP_IN_MEMORY = 10_000
"""Items held before the spool moves to disk: about 20 MB of findings (some 200 files)."""
KEEP_TEXT = 16 << 20
"""Bytes of texts held before the spool moves to disk (runs given as texts)."""


def require_tmpdir() -> None:
    """Refuse a `TMPDIR` that is set but names no writable directory. Python's `tempfile` then
    quietly writes to /tmp (or the working directory) instead, while the user chose TMPDIR for
    a reason (a disk with space, a private mount): the run must say so rather than fill the
    disk they meant to spare. Called only where a run is about to write temporary files."""
    wanted = os.environ.get("TMPDIR")
    if not wanted:
        return
    if not os.path.isdir(wanted):
        problem = "not an existing directory"
    elif not os.access(wanted, os.W_OK | os.X_OK):
        problem = "a directory this user cannot write"
    else:
        return
    raise ResourceError(
        f"{wanted}: cannot write the batch's temporary files: TMPDIR names it, and it is "
        f"{problem}; set TMPDIR to a writable directory with space, or unset it"
    )


class Plain(NamedTuple, Generic[T]):
    """How a spool pickles its items as tuples of plain values (text, numbers): `dump` makes
    the tuple, `load` the item again from its values. Pickling a record runs Python code for
    each (`records.Record.__reduce__`), which made a million input errors cost seconds to
    move to disk and back; tuples of text and numbers are pickled in C."""

    dump: Callable[[T], tuple[Any, ...]]
    load: Callable[..., T]


class Spool(Sequence[T], Generic[T]):
    """Items run by run, in order (see `settle`); iterable any number of times."""

    def __init__(
        self,
        key: Callable[[T], Any] | None = None,
        keep: int | None = None,
        *,
        plain: Plain[T] | None = None,
    ) -> None:
        self._key = key
        self._keep = KEEP_IN_MEMORY if keep is None else keep
        self._plain = plain
        """How the items are pickled on disk, if not as themselves (runs added as items only)."""
        self._runs: list[Run] = []
        """In memory: a tuple of items, the pickle of a list of items, or texts by format."""
        self._texts: list[bool] = []
        """For each run, whether it is held as texts (`add_texts`) rather than items."""
        self._spans: list[tuple[int, int]] = []
        """On disk: (offset, length) of each pickled run, once spilled."""
        self._file: IO[bytes] | None = None
        self._size = 0
        self._text_bytes = 0
        self._bounds: list[tuple[Any, Any]] = []
        """Keys of the first and last item of each run (a keyed spool)."""
        self._sequence: list[int] | None = None
        """The order to read the runs in, when not the order they were added (`settle`)."""
        self.ordered = True
        """False when a run started before the previous one ended (see `settle`)."""
        self._shelves: Shelves | None = None
        """Where the texts of runs given as `Stored` places are (`add_texts`)."""

    # -- building -------------------------------------------------------------------------------

    def add(self, items: Sequence[T]) -> None:
        """Append a run of items (sorted first when the spool has a key)."""
        if not items:
            return
        run = tuple(items) if self._key is None else tuple(sorted(items, key=self._key))
        if self._key is not None:
            self._order(self._key(run[0]), self._key(run[-1]))
        self._store(run, len(run))

    def add_pickled(self, blob: bytes, count: int, bounds: tuple[Any, Any] | None) -> None:
        """Append a run given as the pickle of a sorted list of `count` items; `bounds` are the
        keys of its first and last items (needed when the spool has a key)."""
        if not count:
            return
        if self._key is not None:
            if bounds is None:
                raise ValueError("a keyed spool needs the bounds of a pickled run")
            self._order(*bounds)
        self._store(blob, count)

    def add_texts(
        self,
        texts: Mapping[str, bytes | Stored],
        count: int,
        bounds: tuple[Any, Any] | None,
        shelves: Shelves | None = None,
    ) -> None:
        """Append a run of `count` items given only as their UTF-8 texts, by format name (what
        `texts` yields for it), or as the places of those texts in `shelves`; `bounds` as for
        `add_pickled`."""
        if not count:
            return
        for text in texts.values():
            if not isinstance(text, bytes):  # a place in a worker's file
                if shelves is None:
                    raise ValueError("texts given by place need the shelves they are on")
                if self._shelves is not None and shelves is not self._shelves:
                    raise ValueError("a spool reads texts from one batch's shelves")
                self._shelves = shelves
                shelves.claim(text)
        if self._key is not None:
            if bounds is None:
                raise ValueError("a keyed spool needs the bounds of a run given as texts")
            self._order(*bounds)
        self._store(dict(texts), count, as_texts=True)

    def _order(self, first: Any, last: Any) -> None:
        if self._bounds and first < self._bounds[-1][1]:
            self.ordered = False
        self._bounds.append((first, last))

    def _store(self, run: Run, count: int, as_texts: bool = False) -> None:
        self._size += count
        self._texts.append(as_texts)
        if as_texts:  # a run's texts weigh more than its count says (JSON: 2 KB an item)
            assert not isinstance(run, (tuple, bytes))
            self._text_bytes += sum(len(t) for t in run.values() if isinstance(t, bytes))
        if self._file is None and self._size <= self._keep and self._text_bytes <= KEEP_TEXT:
            self._runs.append(run)
            return
        try:
            if self._file is None:
                import tempfile  # only a large batch gets here (start-up time)

                require_tmpdir()
                # Closed with the spool (deleted by the system even if the process is killed).
                self._file = tempfile.TemporaryFile(prefix="residency-audit-")  # noqa: SIM115
                for held in self._runs:
                    self._write(held)
                self._runs = []
            self._write(run)
        except OSError as exc:  # no temporary directory, or a full disk: say which and why
            import tempfile

            raise ResourceError(
                f"{tempfile.gettempdir()}: cannot write the batch's temporary file: "
                f"{exc.strerror or exc}; set TMPDIR to a writable directory with space "
                "(about 60 KB per deployment file)"
            ) from exc

    def _write(self, run: Run) -> None:
        assert self._file is not None
        blob = run if isinstance(run, bytes) else self._dump(run)
        offset = self._file.seek(0, 2)
        self._file.write(blob)
        self._spans.append((offset, len(blob)))

    # -- reading --------------------------------------------------------------------------------

    @property
    def spilled(self) -> bool:
        """True once the items are on disk rather than in memory."""
        return self._file is not None

    @property
    def as_texts(self) -> bool:
        """True when some runs are held only as texts: read them with `texts`."""
        return any(self._texts)

    def _stored(self) -> Iterator[tuple[Run, bool]]:
        """The runs as stored (a tuple, a pickle, or texts) and whether each is texts, in
        order: as added, unless `settle` reordered them. Each is read whole before it is
        yielded, so two walks may interleave."""
        count = len(self._runs) if self._file is None else len(self._spans)
        for i in range(count) if self._sequence is None else self._sequence:
            yield self._held(i), self._texts[i]

    def _held(self, i: int) -> Run:
        """Run `i` (in the order added) as stored."""
        if self._file is None:
            return self._runs[i]
        offset, length = self._spans[i]
        self._file.seek(offset)
        return self._file.read(length)

    def _dump(self, run: Run) -> bytes:
        if self._plain is not None and isinstance(run, tuple):
            run = tuple(map(self._plain.dump, run))
        return pickle.dumps(run, pickle.HIGHEST_PROTOCOL)

    def _load(self, blob: bytes) -> Any:
        """A run read back from its pickle (`_dump`)."""
        run = pickle.loads(blob)
        if self._plain is None or isinstance(run, Mapping):
            return run
        return tuple(starmap(self._plain.load, run))

    def _items(self) -> Iterator[tuple[Any, ...] | bytes]:
        for run, as_texts in self._stored():
            if as_texts:  # a bug: the caller should have asked for texts
                raise TypeError("this spool holds runs as texts only; read it with texts()")
            assert not isinstance(run, Mapping)
            yield run

    def runs(self) -> Iterator[Sequence[T]]:
        """The runs, one at a time, in order."""
        for run in self._items():
            yield self._load(run) if isinstance(run, bytes) else run

    def run_at(self, position: int) -> Sequence[T]:
        """The run `runs()` yields at `position` (counted from 0), read on its own."""
        i = position if self._sequence is None else self._sequence[position]
        if self._texts[i]:
            raise TypeError("this spool holds runs as texts only; read it with texts()")
        run = self._held(i)
        assert not isinstance(run, Mapping)
        return self._load(run) if isinstance(run, bytes) else run

    def pickled_runs(self) -> Iterator[bytes]:
        """The runs pickled (each a list or tuple of items), in order: to hand to other
        processes without unpickling what is stored pickled."""
        for run in self._items():
            if isinstance(run, bytes) and self._plain is not None:  # items, not their tuples
                run = self._load(run)
            yield run if isinstance(run, bytes) else pickle.dumps(run, pickle.HIGHEST_PROTOCOL)

    def texts(
        self, fmt: str, render: Callable[[Sequence[T]], str | bytes]
    ) -> Iterator[str | bytes]:
        """The text of each run in format `fmt`, in order: UTF-8 bytes as stored for runs given
        as texts (`reporters.put` writes them), else `render(run)`."""
        for run, as_texts in self._stored():
            held: Any = self._load(run) if isinstance(run, bytes) else run
            if not as_texts:
                yield render(held)
                continue
            text = held[fmt]
            if not isinstance(text, bytes):  # a place in a worker's file
                assert self._shelves is not None  # checked in add_texts
                text = self._shelves.read(text)
            yield text

    def __iter__(self) -> Iterator[T]:
        for run in self.runs():
            yield from run

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        """By position: a scan of the runs (reporters iterate; this is for callers that index)."""
        if isinstance(index, slice):
            return list(self)[index]
        position = index + self._size if index < 0 else index
        if not 0 <= position < self._size:
            raise IndexError("spool index out of range")
        for run in self.runs():
            if position < len(run):
                return run[position]
            position -= len(run)
        raise IndexError("spool index out of range")  # pragma: no cover - sizes agree

    def settle(self) -> Sequence[T]:
        """What a report should hold: a tuple when the items fit in memory, the spool itself
        when they were moved to disk or are held as texts; sorted by the key in all cases."""
        if not self.ordered and self._key is not None and not self._reorder():
            if self.as_texts:  # each file's items point into that file: runs never interleave
                raise RuntimeError("runs given as texts overlap; they cannot be sorted")
            return tuple(sorted(self, key=self._key))  # runs interleave: see the module doc
        return tuple(self) if self._file is None and not self.as_texts else self

    def _reorder(self) -> bool:
        """Read the runs by their first keys when that sorts the items: true when no two runs
        overlap (strictly, so items with equal keys keep the order a stable sort gives them)."""
        order = sorted(range(len(self._bounds)), key=self._bounds.__getitem__)
        if any(self._bounds[a][1] >= self._bounds[b][0] for a, b in pairwise(order)):
            return False
        self._sequence, self.ordered = order, True
        return True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        where = "on disk" if self.spilled else "in memory"
        return f"Spool({self._size} items {where})"

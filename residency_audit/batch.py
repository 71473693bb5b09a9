"""Auditing many files in parallel: one worker process per job, each loading the rule packs and
the knowledge base once, files handed out in chunks, results returned in input order.

`pipeline.run` calls `audit_parallel` only when there are enough files to repay starting the
workers; this module (and `multiprocessing`) is imported only then, so checking one file starts
as fast as before. Workers are forks of this process when it runs a single thread (the CLI):
nothing to re-import, and the main module is not run again. A process with threads (a test's
local servers, a host application) gets them from a fork server instead, since forking a thread
that holds a lock can deadlock the child.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TypeVar

from residency_audit.packing import Packed, pack, writers
from residency_audit.pipeline import Auditor, Options
from residency_audit.reporters import RunTexts
from residency_audit.shelf import Shelf, Shelves
from residency_audit.spool import require_tmpdir

FILES_PER_WORKER = 16
"""Fewer files than this per worker are audited in-process: starting a worker (about 0.1 s)
would cost more than it saves."""

_auditor: Auditor | None = None
_writers: dict[str, RunTexts] = {}
_shelf: Shelf | None = None
A = TypeVar("A")
R = TypeVar("R")


def default_jobs() -> int:
    """The cores this process may run on (CPU affinity, as in a container), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def worker_count(jobs: int, files: int) -> int:
    """How many workers are worth starting for `files` files with `--jobs jobs`."""
    return max(1, min(jobs, files // FILES_PER_WORKER))


def _start(options: Options, directory: str | None, parent: int | None) -> None:
    """Worker initialiser: load the knowledge base, rules and risk model once per worker, and
    the writers of the formats it writes in (to a file of its own in `directory`). The
    parent is watched from the start: it may be killed while this worker loads."""
    global _auditor, _writers, _shelf
    _watch_parent(parent)  # first: it also sets a TERM while loading to kill it
    _auditor = Auditor.load(options)
    _writers = writers(_auditor)
    _shelf = None if directory is None else Shelf(directory)
    gc.disable()  # a worker only audits files: see pipeline.collector_paused


def _watch_parent(parent: int | None) -> None:
    """Make this worker exit once `parent`, the process that forked it, is gone (killed
    alone: SIGKILL, or a TERM sent to its pid only, as many CI cancellations do). It would
    otherwise wait forever on a pipe nobody reads, holding the run's stdout open and its
    deleted files' space. Checked every second by a daemon thread, which the blocked main
    thread cannot stop. `parent` is the pid the run gave (`_forker`), not this worker's
    `getppid()` when it gets here: a parent killed before then has left it init's, which never
    changes. None: forked by a fork server, which exits when the run does; its pid is read
    here, first thing (NOTE: a fork server gone in the instants before is not seen)."""
    if parent is None:
        parent = os.getppid()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's unwinding (cli.main)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # nor a KeyboardInterrupt: see _start

    def watch() -> None:
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                if _shelf is not None:
                    _shelf.abandon()
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _audit(path: Path) -> Packed:
    assert _auditor is not None, "worker used before its initialiser ran"
    return pack(_auditor.file(path), _writers, _shelf)


def _forker(context: BaseContext) -> int | None:
    """The pid of the process that will fork `context`'s workers, for them to watch: this one,
    unless a fork server forks them (None: they read it)."""
    return None if context.get_start_method() == "forkserver" else os.getpid()


def _start_method() -> str:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


@contextmanager
def _pool(
    workers: int,
    context: BaseContext,
    initializer: Callable[..., None],
    initargs: tuple[object, ...] = (),
) -> Iterator[ProcessPoolExecutor]:
    """A process pool joined when its block ends normally, abandoned when it ends by an
    exception (a TERM or Ctrl-C unwinding the run, a worker that died or raised, a reader that
    stopped): its workers are killed and nobody waits for them. Joining could hang for good: a
    worker stopped or killed while writing its result leaves CPython's pool thread reading a
    message that never ends, from a pipe this process also holds open for writing; and a worker
    that does not die of the TERM keeps `shutdown(wait=True)` waiting for its item."""
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=initializer, initargs=initargs
    )
    try:
        yield pool
    except BaseException:
        _abandon(pool)
        raise
    pool.shutdown(wait=True)


def _abandon(pool: ProcessPoolExecutor) -> None:
    """Kill `pool`'s workers and let its thread wind it down without waiting for it. CPython
    offers no public way to either: the workers are in `_processes`, and closing this process's
    end of the result pipe (`_result_queue._writer`) is what lets a thread reading a
    half-written result see the pipe end, mark the pool broken and stop, so that interpreter
    exit, which joins it, does not wait for ever. Futures are not cancelled: the pool's thread
    sets its error on each pending one, and CPython 3.11 trips over cancelled ones there.
    The thread is then given a moment to finish (`_executor_manager_thread`): interpreter exit
    wakes it through a pipe it may be closing at that very moment (EBADF, a traceback on the
    way out)."""
    # Best effort, on the way out of an exception that matters more: a TERM may land while the
    # pool is still starting (its thread not started yet, a worker half made).
    with contextlib.suppress(Exception):
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
        results = getattr(pool, "_result_queue", None)
        if results is not None:
            results._writer.close()
    thread = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False)
    if thread is not None and thread.is_alive():
        thread.join(timeout=5 * WATCH_EVERY)


WATCH_EVERY = 1.0
"""Seconds between checks, while waiting for a result, that no worker has died."""


def _ordered(
    pool: ProcessPoolExecutor, func: Callable[[A], R], items: Iterable[A], window: int
) -> Iterator[R]:
    """`func(item)` for each item in `pool`, yielded in order, at most `window` in flight:
    `items` may be a batch's runs read from disk, which `Executor.map` would all read (and
    hold) at once."""
    pending: deque[Future[R]] = deque()
    for item in items:
        pending.append(pool.submit(func, item))
        if len(pending) >= window:
            yield _result(pool, pending.popleft())
    while pending:
        yield _result(pool, pending.popleft())


def _result(pool: ProcessPoolExecutor, future: Future[R]) -> R:
    """`future`'s result, or BrokenProcessPool once a worker has died: CPython's pool notices a
    dead worker only between results, so one killed while writing its result (out of memory)
    would leave the batch waiting for ever. Workers only exit when the pool shuts down."""
    while True:
        try:
            return future.result(timeout=WATCH_EVERY)
        except TimeoutError:
            workers = list((getattr(pool, "_processes", None) or {}).values())
            if any(worker.exitcode is not None for worker in workers):
                raise BrokenProcessPool("a worker exited while the batch ran") from None


def map_ordered(
    func: Callable[[A], R], items: Iterable[A], workers: int, ahead: int = 4
) -> Iterator[R]:
    """`func(item)` for each item, in `workers` forked processes, yielded in order, at most
    `ahead` items per worker in flight."""
    context = multiprocessing.get_context(_start_method())
    try:
        with _pool(workers, context, _watch_parent, (_forker(context),)) as pool:
            yield from _ordered(pool, func, items, workers * ahead)
    except BrokenProcessPool as exc:
        raise RuntimeError(f"a worker process died: {exc}; rerun with --jobs 1") from exc


def _audit_chunk(paths: list[Path]) -> list[Packed]:
    return [_audit(path) for path in paths]


def audit_parallel(paths: Sequence[Path], *, options: Options, workers: int) -> Iterator[Packed]:
    """`pipeline.Auditor.file` for each path, in `workers` processes; yields results in order,
    packed (`packing.Packed`). When the workers write the report's texts, they write them to
    files of their own (`residency_audit.shelf`), which the results point into."""
    context = multiprocessing.get_context(_start_method())
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(["residency_audit.pipeline", "residency_audit.batch"])
    chunk = max(1, min(64, len(paths) // (workers * 8)))
    if options.run_formats():
        require_tmpdir()
    shelves = Shelves() if options.run_formats() else None
    directory = None if shelves is None else shelves.directory
    try:
        with _pool(workers, context, _start, (options, directory, _forker(context))) as pool:
            chunks = (list(paths[i : i + chunk]) for i in range(0, len(paths), chunk))
            for done in _ordered(pool, _audit_chunk, chunks, workers * 8):
                for packed in done:
                    packed.shelves = shelves
                    yield packed
    except BrokenProcessPool as exc:
        # A worker died without raising (killed, out of memory, or a crash in libyaml that the
        # loader's bounds did not prevent): a bug or the machine, never a verdict on the input.
        raise RuntimeError(
            f"a worker process died: {exc}; rerun with --jobs 1 to find the file"
        ) from exc
    finally:
        if shelves is not None:
            shelves.seal()

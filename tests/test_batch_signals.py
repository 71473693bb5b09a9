"""A batch whose main process is killed alone (SIGKILL, or a TERM to its pid only, as CI
cancellations often send) leaves no worker behind: they notice and exit. A TERM to the whole
process group unwinds the run and leaves no temporary file."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from residency_audit import batch
from tests.conftest import AS_OF, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import write


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its entry waits to be reaped


def interruptible() -> None:
    """In the child, before it runs: Ctrl-C's default, as in a CI job or a terminal. A suite
    started in the background of a shell without job control (`cmd &` in a script) has SIGINT
    ignored, and a Python started with it ignored keeps ignoring it, so the INT cases would
    test the shell's setting rather than the run's handling."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_batch(tmp_path: Path, settle: float = 0.5) -> tuple[subprocess.Popen[bytes], list[int]]:
    """A 1,500-file JSON batch with 2 workers, its temporary files in `tmp_path`; returned
    `settle` seconds after its workers started, with their pids."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write(corpus, 1500)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "residency_audit",
            "check",
            str(corpus),
            "--jobs",
            "2",
            "-f",
            "json",
            "-o",
            str(tmp_path / "r.json"),
            "--as-of",
            str(AS_OF),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "stderr").open("wb"),
        start_new_session=True,  # its own process group, as a CI job's
        preexec_fn=interruptible,
    )
    workers: list[int] = []
    deadline = time.monotonic() + 30
    while len(workers) < 2 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.1)
        workers = [w for w in children(run.pid) if alive(w)]
    assert workers, "the batch started no worker"
    time.sleep(settle)
    return run, workers


def leftovers(tmp_path: Path) -> list[str]:
    """What the batch left in TMPDIR and beside its output."""
    return sorted(p.name for p in tmp_path.iterdir() if p.name not in ("corpus", "stderr"))


@pytest.mark.parametrize("settle", [0.5, 0.0], ids=["auditing", "still-loading"])
def test_workers_exit_when_the_main_process_is_killed_alone(tmp_path: Path, settle: float) -> None:
    """Also when it is killed as soon as they start, while they load the rules: a worker that
    took its parent's pid once loaded found init's, and waited for good (seen under load)."""
    run, workers = start_batch(tmp_path, settle)
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 10
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(w) for w in workers), "a worker outlived its parent"
    # killed, it leaves its half-written output; the directory of texts goes with the workers
    assert [name for name in leftovers(tmp_path) if name.startswith("residency-audit-")] == []


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_signal_to_the_process_group_leaves_nothing_behind(
    tmp_path: Path, sent: signal.Signals
) -> None:
    """A cancelled CI job or a Ctrl-C: every process gets TERM or INT. The temporary directory
    of the workers' texts and the half-written output are removed, and the exit code says which
    (128 + 15, 128 + 2); workers leave the interruption to the parent, without a traceback."""
    run, workers = start_batch(tmp_path)
    os.killpg(run.pid, sent)
    assert run.wait(timeout=30) == 128 + sent
    assert not any(alive(w) for w in workers)
    assert leftovers(tmp_path) == []
    # nothing but what a cancelled run says: no traceback from the pool's threads
    assert "Traceback" not in (tmp_path / "stderr").read_text()


MID_RESULT = """
import os, signal, struct, sys
from residency_audit import batch, cli


def stall(path):
    '''A worker stopped or killed while writing its result: it writes the start of a 1 MB
    message to the pool's result pipe (CPython's worker loop holds it as `result_queue`), then
    sends itself SIGNAL.'''
    frame = sys._getframe(1)
    while "result_queue" not in frame.f_locals:
        frame = frame.f_back
    writer = frame.f_locals["result_queue"]._writer
    os.write(writer.fileno(), struct.pack("!i", 1 << 20) + b"x" * 1000)
    os.kill(os.getpid(), signal.SIGNAL)


batch._audit = stall  # the workers are forks of this process: they run it
sys.argv = ["residency-audit", *sys.argv[1:]]
cli.main()
"""


def mid_result_batch(tmp_path: Path, sent: str, stderr: Any) -> subprocess.Popen[bytes]:
    """A 40-file batch with 2 workers, in a process group of its own, whose workers send
    themselves `sent` (a signal's name) half-way through writing their first result."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write(corpus, 40)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    command = ["check", str(corpus), "--jobs", "2", "--as-of", str(AS_OF)]
    return subprocess.Popen(
        [sys.executable, "-c", MID_RESULT.replace("SIGNAL", sent), *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,
        preexec_fn=interruptible,
    )


def stopped(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"
    except OSError:
        return False


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_cancelled_run_ends_even_when_a_worker_stopped_mid_result(
    tmp_path: Path, sent: signal.Signals
) -> None:
    """Joining the pool would wait forever: CPython's pool thread reads a result that never
    ends (the parent holds the pipe's other end). A cancelled CI job (GitHub Actions sends INT,
    then TERM) or a Ctrl-C must end at once, with the workers and the temporary files gone."""
    run = mid_result_batch(tmp_path, "SIGSTOP", (tmp_path / "stderr").open("wb"))
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 60
        while not (workers and all(stopped(w) for w in workers)):
            assert time.monotonic() < deadline, "the workers never stopped mid-result"
            assert run.poll() is None, (tmp_path / "stderr").read_text()
            time.sleep(0.1)
            workers = [w for w in children(run.pid) if alive(w)]
        os.killpg(run.pid, sent)
        assert run.wait(timeout=30) == 128 + sent
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert not any(alive(w) for w in workers)
    assert leftovers(tmp_path) == []
    assert "Traceback" not in (tmp_path / "stderr").read_text()


def test_a_worker_killed_mid_result_ends_the_run_with_an_error(tmp_path: Path) -> None:
    """Out of memory, the kernel kills a worker while it writes a result: CPython's pool thread
    would read the rest for ever. The batch notices the dead worker, exits 3 saying so, and
    leaves nothing behind."""
    run = mid_result_batch(tmp_path, "SIGKILL", subprocess.PIPE)
    try:
        _, stderr = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert run.returncode == 3
    assert b"a worker process died" in stderr and b"rerun with --jobs 1" in stderr
    assert b"Traceback" not in stderr
    assert leftovers(tmp_path) == []


def test_a_pool_left_while_it_starts_lets_the_interruption_through() -> None:
    """A TERM may land while the pool is starting, between making its thread and starting it
    (seen in a stress run: exit 3, 'cannot join thread before it is started', instead of 143).
    Abandoning the pool must not raise over the interruption."""
    context = multiprocessing.get_context("fork")
    watch = (batch._watch_parent, (os.getpid(),))
    with pytest.raises(KeyboardInterrupt), batch._pool(1, context, *watch) as pool:
        pool._executor_manager_thread = threading.Thread(target=lambda: None)  # not started
        raise KeyboardInterrupt


FORK_SERVER = """
import threading, time
from residency_audit import batch

if __name__ == "__main__":  # the fork server imports this file again
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()  # a host's thread
    assert batch._start_method() == "forkserver"
    print(len(list(batch.map_ordered(time.sleep, [0.4] * 8, 2))))
"""


def test_workers_a_fork_server_started_outlive_their_first_second(tmp_path: Path) -> None:
    """From a process running threads (a host application, a test's servers) workers are forked
    by a fork server: the one they watch is that server, not the run's process, or each exits
    after its first second of watching and the run dies ('a worker process died')."""
    script = tmp_path / "host.py"
    script.write_text(FORK_SERVER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "8"

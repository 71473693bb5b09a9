"""A content-addressed cache of parsed knowledge-base files and rule packs.

Parsing and validating the bundled YAML costs tens of milliseconds on every run, which CI gates
and pre-commit hooks pay thousands of times. The result depends only on the bytes of those files,
the tool version and the Python version, so it is stored under a key made of their SHA-256 and
reused. Entries are pickles of our own parse results, written atomically to a directory only the
user can write (`$RESIDENCY_AUDIT_CACHE_DIR`, else `$XDG_CACHE_HOME/residency-audit`, else
`~/.cache/residency-audit`); set `RESIDENCY_AUDIT_NO_CACHE=1` to bypass it.

The key attests to the files on disk, not to what an entry holds, and unpickling can run code:
an entry is read only when it and its directory belong to the user and no one else can write
them, as ssh treats its keys; otherwise the cache is ignored, once said on stderr. A cache that
passes that check may still come from elsewhere (a CI job restoring a cache a pull request
wrote unpacks it as the job's user), so entries are also read by an unpickler that builds only
what parse results are made of (`_ParseResults`): a crafted entry can then change what a run
finds, as the README says, but cannot run code. Evidence runs (`bypassed`) never read the
cache. Any other problem reading or writing the cache falls back to parsing.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from residency_audit import __version__

T = TypeVar("T")

_STANDARD = frozenset(
    {
        ("builtins", "dict"),
        ("builtins", "frozenset"),
        ("builtins", "list"),
        ("builtins", "set"),
        ("datetime", "date"),
        ("datetime", "datetime"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("pathlib", "PosixPath"),
        ("pathlib", "PurePosixPath"),
        ("pathlib", "PureWindowsPath"),
        ("pathlib", "WindowsPath"),
    }
)
"""The standard-library names a parse result may hold (dates, paths, containers)."""


class _Refused(pickle.UnpicklingError):
    """An entry names something a parse result never holds: crafted, not merely corrupt."""


class _ParseResults(pickle.Unpickler):
    """Builds only our own records (`records.Record`, rebuilt through `records._rebuild`),
    enumerations, the knowledge base and `_STANDARD`: what a knowledge base, rule packs and a
    risk model are made of. Anything else a pickle names (`os.system`, `builtins.eval`, a
    dotted path through a module) is refused before it is looked up, so that an entry can only
    describe data, never call code of its choosing (the Python documentation's "restricting
    globals")."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _STANDARD:
            return super().find_class(module, name)
        if module.startswith("residency_audit.") and name.isidentifier():
            from residency_audit import records
            from residency_audit.kb import KnowledgeBase

            found = getattr(sys.modules.get(module), name, None)
            if found is records._rebuild or found is KnowledgeBase:
                return found
            if (
                isinstance(found, type)
                and found.__module__ == module
                and issubclass(found, (records.Record, enum.Enum))
            ):
                return found
        raise _Refused(f"{module}.{name}")


def directory() -> Path | None:
    if os.environ.get("RESIDENCY_AUDIT_NO_CACHE"):
        return None
    explicit = os.environ.get("RESIDENCY_AUDIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "residency-audit"


def key(kind: str, contents: Iterable[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256(f"{kind}\0{__version__}\0{sys.version}\0".encode())
    for name, raw in contents:
        digest.update(name.encode() + b"\0" + hashlib.sha256(raw).digest())
    return digest.hexdigest()


_bypassed = False
_noted = False


@contextlib.contextmanager
def bypassed() -> Iterator[None]:
    """Within it, `cached` always builds: for evidence runs, whose manifest hashes the files
    read, so what is hashed is what is evaluated whatever the cache holds."""
    global _bypassed
    before, _bypassed = _bypassed, True
    try:
        yield
    finally:
        _bypassed = before


def _unsafe(status: os.stat_result) -> str | None:
    """Why someone else could have written what `status` describes, or None when only this
    user can: theirs, and not writable by group or others (ssh's rule for its keys). Anyone
    else could have put any pickle there."""
    if status.st_uid != os.geteuid():
        return "owned by another user"
    if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "writable by others"
    return None


def _ignored(where: Path, why: str) -> None:
    """Say once per process that the cache at `where` is not used, and why, so a slower run is
    explained and a tampered cache is noticed."""
    global _noted
    if not _noted:
        _noted = True
        sys.stderr.write(f"note: ignoring the cache at {where}: {why}; parsed from source\n")


def cached(
    kind: str,
    contents: Iterable[tuple[str, bytes]],
    build: Callable[[], T],
    fits: Callable[[object], bool],
) -> T:
    """`build()`, or its stored result for exactly these file contents when the cache is the
    user's alone and the entry `fits` (is what `build` returns: an empty list in place of the
    rule packs would audit nothing and pass, a None crash the run)."""
    where = directory()
    if where is None or _bypassed:
        return build()
    try:
        unsafe = _unsafe(os.stat(where))
    except OSError:  # not there yet: created below, private
        unsafe = None
    if unsafe is not None:
        _ignored(where, unsafe)
        return build()
    path = where / f"{kind}-{key(kind, contents)}.pickle"
    try:
        with open(path, "rb") as handle:
            unsafe = _unsafe(os.fstat(handle.fileno()))  # the file read, not a name swapped
            if unsafe is None:
                value = _ParseResults(handle).load()
                if fits(value):
                    return value  # type: ignore[no-any-return]
                _ignored(where, f"an entry holds {type(value).__name__}, not a {kind} parse")
            else:
                _ignored(where, f"an entry {unsafe}")  # replaced by a private one below
    except _Refused as refused:  # said: someone other than this tool wrote it
        _ignored(where, f"an entry names {refused}, which no parse result holds")
    except Exception:
        pass
    value = build()
    written = ""
    try:
        import tempfile

        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        # mkstemp creates the entry with mode 0600, owned by this user
        with tempfile.NamedTemporaryFile(dir=where, delete=False, suffix=".tmp") as temporary:
            written = temporary.name
            pickle.dump(value, temporary, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(written, path)
        written = ""
    except OSError:  # read-only home, full disk: the run is just slower
        pass
    finally:  # also when interrupted (TERM, Ctrl-C): no half-written entry is left behind
        if written:
            with contextlib.suppress(OSError):
                os.unlink(written)
    return value

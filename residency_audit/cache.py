"""A content-addressed cache of parsed knowledge-base files and rule packs.

Parsing and validating the bundled YAML costs tens of milliseconds on every run, which CI gates
and pre-commit hooks pay thousands of times. The result depends only on the bytes of those files,
the tool version and the Python version, so it is stored under a key made of their SHA-256 and
reused. Entries are pickles of our own parse results, written atomically to a directory only the
user can write (`$RESIDENCY_AUDIT_CACHE_DIR`, else `$XDG_CACHE_HOME/residency-audit`, else
`~/.cache/residency-audit`); set `RESIDENCY_AUDIT_NO_CACHE=1` to bypass it. Any problem reading
or writing the cache falls back to parsing: the cache can make a run faster, never different.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from residency_audit import __version__

T = TypeVar("T")


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


def cached(kind: str, contents: Iterable[tuple[str, bytes]], build: Callable[[], T]) -> T:
    """`build()`, or its stored result for exactly these file contents."""
    where = directory()
    if where is None:
        return build()
    path = where / f"{kind}-{key(kind, contents)}.pickle"
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)  # type: ignore[no-any-return]
    except Exception:
        pass
    value = build()
    written = ""
    try:
        import tempfile

        where.mkdir(parents=True, exist_ok=True, mode=0o700)
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

"""A bytecode-style cache for the bundled knowledge base and rule packs.

Validating them from YAML takes about 30 ms, a fifth of a one-file check; unpickling takes 3 ms.
The cache sits in the package's own `__pycache__` (or under PYTHONPYCACHEPREFIX), beside the
`.pyc` files Python executes, so it is exactly as trusted as they are: whoever can change it can
change our code. It is keyed by the SHA-256 of every source file and its path, the tool version
and the Python version, so an edited file is simply a miss. Like bytecode, it is written only
when Python writes bytecode (not under PYTHONDONTWRITEBYTECODE) and never when the directory is
read-only; any failure to read or write it falls back to loading the YAML. User-supplied packs
and knowledge are never cached.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from residency_audit import __version__

T = TypeVar("T")
PACKAGE = Path(__file__).resolve().parent


def directory() -> Path:
    if sys.pycache_prefix:
        return Path(sys.pycache_prefix) / PACKAGE.relative_to(PACKAGE.anchor)
    return PACKAGE / "__pycache__"


def cached(name: str, sources: Sequence[Path], build: Callable[[], T]) -> T:
    """`build()`, or its result pickled by an earlier run from the same `sources`."""
    key = hashlib.sha256(f"{__version__}\0{sys.version}\0{name}".encode())
    try:
        for source in sources:
            key.update(f"\0{source}\0".encode() + source.read_bytes())
    except OSError:
        return build()  # the build reports the unreadable file properly
    path = directory() / f"{name}-{key.hexdigest()[:32]}.pickle"
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)  # type: ignore[no-any-return]
    except Exception:  # missing, truncated, or pickled by another version: rebuild it
        pass
    value = build()
    if not sys.dont_write_bytecode:
        _write(path, value, stale=f"{name}-*.pickle")
    return value


def _write(path: Path, value: object, *, stale: str) -> None:
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob(stale):
            old.unlink(missing_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)  # atomic: a concurrent reader sees all or nothing
        temporary = None
    except (OSError, pickle.PicklingError):
        pass
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)

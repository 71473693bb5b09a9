"""Which code made a report: a SHA-256 over the running package's own files, and the commit pip
recorded when it installed the package from a repository URL.

There are no release tags: users install from a git URL pinned to a commit, so "residency-audit
0.1.0" does not say which code ran. The digest is over `sha256sum`-style lines ("HASH  PATH\n",
the path relative to the package directory, in byte order) of every file of the package but
`__pycache__` and `rules/` (the build copies the rule packs in from the repository's top level,
and the manifest hashes each pack already), so the same commit gives the same digest installed
or checked out, and an expert can recompute it with `find`, `sort` and `sha256sum` (README,
"Which code made a report"). It is computed only for the formats that show it, once per process.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from pathlib import Path

from residency_audit.model import Code

PACKAGE = Path(__file__).resolve().parent
LEFT_OUT = ("rules",)
"""Top-level directories of the package left out of the digest (see the module's docstring)."""
DISTRIBUTION = "residency-audit"
_COMMIT = re.compile(r"[0-9a-f]{7,64}")


@functools.cache
def code() -> Code:
    """The running code: its digest, and pip's record of its commit when there is one."""
    return Code(source_sha256(PACKAGE), installed_commit())


def source_sha256(package: Path) -> str:
    """The digest of the files under `package` (see the module's docstring)."""
    lines = [
        f"{hashlib.sha256((package / name).read_bytes()).hexdigest()}  {name}\n"
        for name in sorted(
            _files(package), key=lambda name: name.encode("utf-8", "surrogateescape")
        )
    ]
    return hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def _files(package: Path) -> list[str]:
    out = []
    for directory, subdirectories, names in os.walk(package):
        here = Path(directory).relative_to(package)
        subdirectories[:] = [
            d
            for d in subdirectories
            if d != "__pycache__" and not (here == Path(".") and d in LEFT_OUT)
        ]
        out += [(here / name).as_posix() for name in names]
    return out


def installed_commit() -> str | None:
    """`vcs_info.commit_id` of the installed distribution's `direct_url.json` (PEP 610, written
    by pip for an install from a repository URL), or None: not installed so (from a directory, a
    wheel, an index), or the distribution found is not the package running (a source tree on
    PYTHONPATH, an editable install), whose record would name other code."""
    from importlib import metadata

    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    located = Path(str(distribution.locate_file("residency_audit/__init__.py")))
    if not located.is_file() or located.resolve() != PACKAGE / "__init__.py":
        return None
    text = distribution.read_text("direct_url.json")
    try:
        commit = json.loads(text or "null")["vcs_info"]["commit_id"]
    except (ValueError, KeyError, TypeError):
        return None
    return commit if isinstance(commit, str) and _COMMIT.fullmatch(commit) else None

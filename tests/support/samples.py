"""Copies of a deployment file under a name of their own: a run refuses two deployment files
declaring one deployment name (waivers, baselines and JUnit tell deployments apart by name), so
a test auditing one sample several times gives each copy its own name."""

from __future__ import annotations

import re
from pathlib import Path

_NAME = re.compile(rb"^name:[ \t]*([^\s#][^\n#]*?)[ \t]*(?:#.*)?$", re.MULTILINE)


def renamed(text: bytes, suffix: str) -> bytes:
    """`text`, a deployment, with `-suffix` appended to its top-level `name:`."""
    match = _NAME.search(text)
    if match is None:
        raise ValueError("no top-level `name:` line to rename")
    value = match.group(1)
    quote = value[:1] if value[:1] in (b"'", b'"') else b""
    new = value[: len(value) - len(quote)] + b"-" + suffix.encode() + quote
    return text[: match.start(1)] + new + text[match.end(1) :]


def copy_renamed(source: Path, target: Path, suffix: str) -> Path:
    """Write `source` to `target` with its deployment name suffixed (`renamed`)."""
    target.write_bytes(renamed(source.read_bytes(), suffix))
    return target

"""Where a top-level member's value is in a JSON result written with `json.dumps(indent=2)`, as
an error about it must say (`path:line:col`), found from the text alone."""

from __future__ import annotations


def member_at(text: str, name: str) -> str:
    """`line:col` (1-based) of the value of top-level member `name` of `text`."""
    key = f'\n  "{name}": '
    start = text.index(key) + len(key)
    line = text.count("\n", 0, start) + 1
    return f"{line}:{start - text.rindex(chr(10), 0, start)}"

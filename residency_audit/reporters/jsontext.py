"""`dumps(value)`: the text `json.dumps(value, indent=2, ensure_ascii=False)` writes, faster.

With `indent`, the standard library encodes in pure Python through a chain of nested
generators (its C encoder only writes compact JSON): that was most of the cost of a batch's
JSON result. This encoder walks the value once, appending to a list, and uses the standard
library's own string escaping and number formatting, so every byte is the same
(tests/reporters/test_jsontext.py compares the two on generated values).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # the C escaper when available, as json uses
from typing import Any

_INDENT = "  "
_INF = float("inf")
_NAMES: dict[str, str] = {}
"""Encoded texts of dict keys: the same few dozen names, millions of times in a batch."""
_NAMES_KEPT = 4096


def dumps(value: Any, margin: str = "") -> str:
    """The JSON text of `value`; every line after the first starts with `margin` (spaces), as
    when the value is nested in a larger document."""
    parts: list[str] = []
    _encode(value, "\n" + margin, parts)
    return "".join(parts)


def _encode(o: Any, newline: str, parts: list[str]) -> None:
    """Append `o` encoded as at the indentation `newline` (a newline and its spaces)."""
    if isinstance(o, (list, tuple)):
        if not o:
            parts.append("[]")
            return
        inner = newline + _INDENT
        separator = "[" + inner
        for item in o:
            if item.__class__ is str:  # most items: no call
                parts += (separator, encode_basestring(item))
            else:
                parts.append(separator)
                _encode(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "]")
    elif isinstance(o, dict):
        if not o:
            parts.append("{}")
            return
        inner = newline + _INDENT
        separator = "{" + inner
        for key, item in o.items():
            name = _NAMES.get(key) if key.__class__ is str else None
            if name is None:
                name = encode_basestring(key if isinstance(key, str) else _key(key))
                if key.__class__ is str and len(_NAMES) < _NAMES_KEPT:
                    _NAMES[key] = name
            # The common scalars inline, without a call (a batch writes millions of them).
            cls = item.__class__
            if cls is str:
                parts += (separator, name, ": ", encode_basestring(item))
            elif item is None:
                parts += (separator, name, ": null")
            elif cls is bool:
                parts += (separator, name, ": true" if item else ": false")
            elif cls is int:
                parts += (separator, name, ": ", int.__repr__(item))
            else:
                parts += (separator, name, ": ")
                _encode(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "}")
    else:
        parts.append(scalar(o))


def scalar(o: Any) -> str:
    """The JSON text of a value that is not a list or a dict."""
    if isinstance(o, str):
        return encode_basestring(o)
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if isinstance(o, int):
        return int.__repr__(o)
    if o.__class__ is float and o == o and o not in (_INF, -_INF):
        return float.__repr__(o)
    return json.dumps(o, ensure_ascii=False)  # NaN, Infinity, and what json itself rejects


def _key(key: Any) -> str:
    """A non-string key as json writes it (floats, booleans, None, integers); others raise."""
    return json.loads(json.dumps({key: 0}, ensure_ascii=False)).popitem()[0]  # type: ignore[no-any-return]

"""Reading a provider's IP-range download (`kb refresh-ip-ranges`) as JSON: where the first
problem is, for what Python's decoder refuses without a position (a member given twice, NaN,
an integer longer than Python converts, nesting deeper than any range file's), so that each is
an error at its line and column.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from residency_audit.errors import KnowledgeBaseError
from residency_audit.model import Span

MAX_NESTING = 64
"""Deepest JSON nesting named in an error (AWS's file nests three levels); deeper than
Python's decoder recurses, it is a located error instead of a RecursionError."""


def read_json(raw: bytes, display: str) -> tuple[Any, str]:
    """The JSON value in `raw` and its text; a KnowledgeBaseError at the line and column of the
    first problem otherwise: a byte that is not UTF-8, invalid JSON, NaN or Infinity, a member
    given twice in an object, an integer longer than Python converts, too deep a nesting."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise KnowledgeBaseError.at(
            Span(display, before.count(b"\n") + 1, column),
            f"invalid UTF-8 byte 0x{raw[exc.start]:02x}; expected the file as downloaded",
        ) from None
    try:
        return json.loads(text, parse_constant=_constant, object_pairs_hook=_members), text
    except json.JSONDecodeError as exc:
        raise KnowledgeBaseError.at(
            Span(display, exc.lineno, exc.colno), f"invalid JSON: {exc.msg}"
        ) from None
    except (RecursionError, ValueError):  # from the hooks, or int(): no position, found here
        raise KnowledgeBaseError.at(*_first_problem(text, display)) from None


def _constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity: Python's decoder takes them, JSON has none


def _members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) < len(pairs):  # plain json keeps the last: `"prefixes": []` again
        raise ValueError("a member given twice")
    return members


_TOKEN = re.compile(
    r'[\s,]*+("[^"\\]*+(?:\\.[^"\\]*+)*+"|[][{}:]|-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?'
    r"|[A-Za-z]+)"
)
"""The tokens `_first_problem` needs (group 1): strings (skipped whole), brackets, colons,
numbers and words; the blanks and commas before one are matched with it, which is faster."""


def _first_problem(text: str, display: str) -> tuple[Span, str]:
    """Where and what the first problem is that Python's decoder raises without a position
    (`_json`). Read only when there is one: it walks every token in Python."""
    digits = sys.get_int_max_str_digits()  # 0: no limit
    stack: list[set[str] | None] = []  # the keys of each open object; None for a list
    string: re.Match[str] | None = None  # the string just read: a key if a colon follows
    for token in _TOKEN.finditer(text):
        value = token.group(1)
        if value in ("[", "{"):
            stack.append(set() if value == "{" else None)
            if len(stack) > MAX_NESTING:
                message = f"nested deeper than {MAX_NESTING} levels; AWS's file nests three"
                return _at(text, token.start(1), display), message
        elif value in ("]", "}"):
            if stack:
                stack.pop()
        elif value == ":" and string is not None and stack and stack[-1] is not None:
            quoted = string.group(1)
            key = json.loads(quoted) if "\\" in quoted else quoted[1:-1]  # "\\u0061" is "a"
            if key in stack[-1]:
                return _at(text, string.start(1), display), f"member {key[:60]!r} given twice"
            stack[-1].add(key)
        elif value in ("NaN", "Infinity"):
            return _at(text, token.start(1), display), f"{value} is not a JSON number"
        elif value.lstrip("-").isdigit() and len(value.lstrip("-")) > digits > 0:
            message = f"an integer of {len(value.lstrip('-'))} digits; no range file holds one"
            return _at(text, token.start(1), display), message
        string = token if value.startswith('"') else None
    return Span(display, 1, 1), "invalid JSON"


def where_in(text: str, needle: str, display: str) -> Span:
    """The line of the first occurrence of `needle`, to point at a bad entry."""
    index = text.find(needle) if needle else -1
    return _at(text, index, display) if index >= 0 else Span(display, 1, 1)


def _at(text: str, index: int, display: str) -> Span:
    line = text.count("\n", 0, index) + 1
    return Span(display, line, index - (text.rfind("\n", 0, index) + 1) + 1)

"""Text helpers of conversion: whether a value is one line of text, and how an error message
shows a value (`shown`), a type (`describe`), the nearest known name (`suggestion`) and why an
empty list is refused (`empty_message`)."""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections.abc import Iterable
from dataclasses import is_dataclass
from enum import Enum
from typing import Any

from residency_audit.format.plans import FieldPlan, shape, unwrap_optional

LINE_BREAK = re.compile("[\n\u2028\u2029]")
"""Newline and the Unicode line and paragraph separators (`str.splitlines` breaks at them)."""


def one_line(text: str) -> bool:
    """`text` holds no `LINE_BREAK` and is not blank (the test `Converter._one_line` makes,
    without its regular expression: `in` finds nothing in the time it takes to call one)."""
    return (
        "\n" not in text
        and "\u2028" not in text
        and "\u2029" not in text
        and text != ""
        and not text.isspace()  # `text.strip()` empty, without making the stripped copy
    )


def one_line_already(value: Any) -> bool:
    """Whether a textual value is None, one non-blank line, or a tuple of such lines: what
    `Converter._constrained` passes without a word when the field has no `non_empty` (nearly every
    value, which then skips its calls)."""
    if value is None:
        return True
    if value.__class__ is str:
        return one_line(value)
    if value.__class__ is tuple:
        return all(t.__class__ is str and one_line(t) for t in value)
    return False


def suggestion(value: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str:
    """`; did you mean 'x'?` for the closest choice, or an empty string. Case counts for less
    than spelling: `DPF` means `dpf`, and `GRA7` is nearest `gra`, whatever difflib says of
    upper against lower case."""
    import difflib  # only on the error path

    choices = list(choices)
    by_fold = {choice.casefold(): choice for choice in reversed(choices)}  # the first wins
    close = [by_fold[value.casefold()]] if value.casefold() in by_fold else []
    close = close or difflib.get_close_matches(value, choices, n=1, cutoff=cutoff)
    close = close or [
        by_fold[near]
        for near in difflib.get_close_matches(value.casefold(), by_fold, n=1, cutoff=cutoff)
    ]
    return f"; did you mean {close[0]!r}?" if close else ""


def describe(kind: Any) -> str:
    kind, _ = unwrap_optional(kind)
    if typing.get_origin(kind) is tuple:
        one = describe(typing.get_args(kind)[0])
        article, _, noun = one.partition(" ")
        if article in ("a", "an"):  # "a mapping" -> "a list of mappings"
            return f"a list of {noun}s"
        return f"a list of values, each {one}"
    if isinstance(kind, type) and issubclass(kind, Enum):
        return "one of " + ", ".join(str(m.value) for m in kind)
    if is_dataclass(kind):
        return "a mapping"
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        dt.date: "a date",
    }.get(kind, str(kind))


def shown(text: str) -> str:
    """`text` quoted for a message, cut at 80 characters: a 50 MB value is not echoed."""
    return repr(text) if len(text) <= 80 else f"{text[:80]!r}... ({len(text)} characters)"


def empty_message(field_plan: FieldPlan, where: str) -> str:
    """Why an empty list is refused, saying what leaving the field out means when it may be."""
    noun = field_plan.non_empty
    if not field_plan.required:  # the doc says what leaving it out means
        meaning = field_plan.doc.rstrip(".")
        return f"{where}: must list at least one {noun}, or be left out ({meaning})"
    item = shape(field_plan.kind).item
    if isinstance(item, type) and issubclass(item, Enum):
        return f"{where}: must list at least one {noun} ({describe(item)})"
    return f"{where}: must list at least one {noun}"

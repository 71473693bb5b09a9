"""YAML scalars read the YAML 1.2 way, and `plain_value`, which reads a node no model type directs.

Plain PyYAML follows YAML 1.1 (`NO` loads as false, `on` as true); here a plain scalar is null,
a boolean, an integer or a number only when written as below, and a quoted or block scalar is
always a string. `Converter` reads a scalar by the type its field expects, with these spellings.
"""

from __future__ import annotations

import math
import re
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from residency_audit.format.budget import MAX_DEPTH, MAX_NODES
from residency_audit.format.text import shown

STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)
"""Explicit tags other than these (`!!python/object`, `!!set`, `!custom`) are input errors."""
NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})
TRUE_WORDS = frozenset({"true", "True", "TRUE"})
FALSE_WORDS = frozenset({"false", "False", "FALSE"})
INT_TEXT = re.compile(r"[-+]?[0-9]+")
MAX_DIGITS = 18
"""Digits an integer of a file may have: every count, version and year fits, and a longer
one (Python will not convert 4,301) is an input error, not a crash."""
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FLOAT_TEXT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


def too_long(text: str) -> str:
    digits = len(text.lstrip("+-"))
    return f"an integer of {digits} digits ({shown(text)}); at most {MAX_DIGITS} are read"


def plain_value(node: Node, depth: int = 0, budget: list[int] | None = None) -> Any:
    """A node as plain Python data, with YAML 1.2 core-schema scalars (for rule arguments and
    examples, where no model type directs the reading). Dates stay strings. Raises ValueError
    for nesting deeper than MAX_DEPTH, more than MAX_NODES values (aliases) or an unknown tag."""
    budget = [MAX_NODES] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError(f"expands to more than {MAX_NODES} values (YAML alias bomb?)")
    if depth > MAX_DEPTH:
        raise ValueError("nesting too deep")
    if node.tag not in STANDARD_TAGS:
        raise ValueError(f"unsupported YAML tag {node.tag!r}; use plain values")
    if isinstance(node, MappingNode):
        if any(not isinstance(k, ScalarNode) for k, _ in node.value):
            raise ValueError("keys must be plain strings")
        return {k.value: plain_value(v, depth + 1, budget) for k, v in node.value}
    if isinstance(node, SequenceNode):
        return [plain_value(v, depth + 1, budget) for v in node.value]
    assert isinstance(node, ScalarNode)
    text = node.value
    if node.style:  # quoted or block scalar: always a string (plain style is None or '')
        return text
    if text in NULL_WORDS:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    if INT_TEXT.fullmatch(text):
        if len(text.lstrip("+-")) > MAX_DIGITS:
            raise ValueError(too_long(text))
        return int(text)
    if FLOAT_TEXT.fullmatch(text):
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(f"{shown(text)} is too large a number")
        return number
    return text

"""Located YAML nodes → frozen dataclasses, collecting every error of a file at once.

Scalars are read the YAML 1.2 way and by the type the field expects: a `str` field takes the text
as written (`country: NO` is Norway, `referential: 2018` is "2018"), a `bool` accepts only
true/false, dates are ISO `YYYY-MM-DD`. Unknown keys are errors with a "did you mean". Aliases
are allowed but every node visit is counted, so an alias bomb stops at a budget instead of eating
memory. A field's metadata may add constraints: `non_empty` (a list given must name something)
and, for converters that refuse line breaks in text, `free_text` (this field may span lines).

What it reads with lives beside it: the caps (`format.budget`), the YAML 1.2 scalar spellings
(`format.scalars`), each type's reading plan (`format.plans`), message text (`format.text`) and
where each value is written (`format.locations`).
"""

from __future__ import annotations

import datetime as dt
import math
from enum import Enum
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

import residency_audit.format.scalars as _scalars
import residency_audit.format.text as _text
from residency_audit.format.budget import MAX_CHARS, MAX_DEPTH, MAX_ERRORS, MAX_NODES
from residency_audit.format.locations import Locations
from residency_audit.format.plans import (
    BOOL_FORM,
    CLASS_FORM,
    DATE_FORM,
    DICT_FORM,
    ENUM_FORM,
    INT_FORM,
    STR_FORM,
    TUPLE_FORM,
    FieldPlan,
    Reading,
    class_plan,
    field_readings,
    plan,
    reading_of,
)
from residency_audit.format.scalars import (
    FALSE_WORDS,
    MAX_DIGITS,
    NULL_WORDS,
    STANDARD_TAGS,
    TRUE_WORDS,
    too_long,
)
from residency_audit.format.text import describe, empty_message, one_line_already, shown, suggestion
from residency_audit.model import Diagnostic, Span

# NOTE: assigned, not imported by name: CPython 3.11 compiles `NAME.method(...)` without its
# method-call fast path when NAME is bound by an import (compile.c, is_import_originated),
# which would make a bound method at each date and each one-line check of a file.
DATE_TEXT, FLOAT_TEXT, INT_TEXT = _scalars.DATE_TEXT, _scalars.FLOAT_TEXT, _scalars.INT_TEXT
LINE_BREAK = _text.LINE_BREAK


class _Invalid:
    """Marks a value that failed conversion (its error is already recorded)."""


INVALID: Any = _Invalid()


class Converter:
    """Converts one file's nodes; errors accumulate in `diagnostics`."""

    def __init__(
        self, path: str, *, track_locations: bool = True, single_line: bool = False
    ) -> None:
        self.path = path
        self.single_line = single_line
        """Refuse line breaks in the text of fields not marked `free_text` (names, ids,
        countries...): one would forge a line of the text report."""
        self.diagnostics: list[Diagnostic] = []
        self.locations = Locations(path)
        # Untracked marks go to a dict nobody reads: one test less per value.
        self._marks = self.locations._marks if track_locations else {}
        self._left = MAX_NODES
        """Values the document may still expand to; below zero once conversion stopped, for
        whatever reason (`_stop`), so that one test per value says both."""
        self._chars = 0
        self.gave_up = False
        """Set once MAX_ERRORS errors are recorded: conversion then stops."""
        self._stopped = False

    @property
    def exhausted(self) -> bool:
        """Conversion stopped early: past MAX_ERRORS errors, or past the budget of values
        (MAX_NODES) or characters (MAX_CHARS) aliases may expand to. Walking the nodes again
        would cost what the budget refused."""
        return self.gave_up or self._left < 0 or self._chars > MAX_CHARS

    def _stop(self) -> None:
        self._stopped = True
        self._left = -1

    def span(self, node: Node) -> Span:
        return Span(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def error(self, node: Node, message: str) -> Any:
        if len(self.diagnostics) < MAX_ERRORS:
            self.diagnostics.append(Diagnostic(self.span(node), message))
        elif not self.gave_up:
            self.diagnostics.append(
                Diagnostic(
                    self.span(node), f"more than {MAX_ERRORS} errors; stopped reading this file"
                )
            )
            self.gave_up = True
            self._stop()
        return INVALID

    def convert(self, node: Node, kind: Any, where: str, depth: int = 0) -> Any:
        return self._value(node, reading_of(kind), where, depth)

    def _value(self, node: Node, reading: Reading, where: str, depth: int) -> Any:
        # Run for every value of a file: the common case, a plain string, goes through as few
        # lines as it can (a line of Python costs about what its test does).
        self._left -= 1
        if self._left < 0:
            return self._past_budget(node)
        scalar = isinstance(node, ScalarNode)
        if scalar:
            self._chars += len(node.value)
            if self._chars > MAX_CHARS:
                self._stop()
                self.error(
                    node,
                    f"document expands to more than {MAX_CHARS} characters of text (YAML "
                    "aliases of a long value?); remove the aliases",
                )
                return INVALID
        if depth > MAX_DEPTH:
            return self.error(node, f"nesting deeper than {MAX_DEPTH} levels")
        self._marks[where] = node.start_mark
        if node.tag not in STANDARD_TAGS:
            return self.error(node, f"unsupported YAML tag {node.tag!r}; use plain values")
        form = reading.form
        if scalar:
            text = node.value
            plain = not node.style  # type: ignore[attr-defined]  # a ScalarNode (`scalar`)
            if plain and text in NULL_WORDS:
                if reading.optional:
                    return None
                return self.error(
                    node, f"{where}: missing value, expected {describe(reading.kind)}"
                )
            if form == STR_FORM:
                return text
            if form == ENUM_FORM:
                member = reading.members.get(text)  # type: ignore[union-attr]
                if member is not None:
                    return member
            elif form == BOOL_FORM and plain:  # as `_scalar` reads it, without a call
                if text in TRUE_WORDS:
                    return True
                if text in FALSE_WORDS:
                    return False
            elif form == INT_FORM:
                # Plain ASCII digits (a case of `INT_TEXT`; isdigit alone takes other scripts'
                # digits) short enough to read: no regular expression, no detour through
                # `_scalar`, which reads the rest (signs, errors).
                if plain and text.isdigit() and text.isascii() and len(text) <= MAX_DIGITS:
                    return int(text)
            elif form == DATE_FORM and DATE_TEXT.fullmatch(text):
                try:
                    return dt.date.fromisoformat(text)
                except ValueError:
                    pass  # `_scalar` says what is wrong
            if form < TUPLE_FORM:
                return self._scalar(node, reading.base, where)  # type: ignore[arg-type]
        if form == TUPLE_FORM:
            return self._sequence(node, reading, where, depth)
        if form == DICT_FORM:
            return self._dict(node, reading.item, where, depth)  # type: ignore[arg-type]
        if form == CLASS_FORM:
            return self.mapping(node, reading.base, where, depth)
        return self.error(
            node,
            f"{where}: expected {describe(reading.kind)}, not a "
            f"{'list' if isinstance(node, SequenceNode) else 'mapping'}",
        )

    def _past_budget(self, node: Node) -> Any:
        """INVALID, once the document expanded to more than MAX_NODES values (said once) or
        conversion stopped for another reason."""
        if not self._stopped:
            self._stop()
            self.error(
                node,
                f"document expands to more than {MAX_NODES} values (YAML alias bomb?); "
                "remove the aliases",
            )
        return INVALID

    def _scalar(self, node: ScalarNode, kind: Any, where: str) -> Any:
        text = node.value
        quoted = bool(node.style)
        if kind is str:
            return text
        if isinstance(kind, type) and issubclass(kind, Enum):
            try:
                return kind(text)
            except ValueError:
                values = [str(m.value) for m in kind]
                more = suggestion(text, values) or f"; expected one of {', '.join(values)}"
                return self.error(node, f"{where}: unknown value {shown(text)}{more}")
        if kind is bool:
            if not quoted and text in TRUE_WORDS:
                return True
            if not quoted and text in FALSE_WORDS:
                return False
            return self.error(
                node, f"{where}: expected true or false, got {shown(text)}{_unquote(node, kind)}"
            )
        if kind is int:
            if not quoted and INT_TEXT.fullmatch(text):
                if len(text.lstrip("+-")) > MAX_DIGITS:  # int() refuses 4,301: exit 3 before
                    return self.error(node, f"{where}: {too_long(text)}")
                return int(text)
            return self.error(
                node, f"{where}: expected an integer, got {shown(text)}{_unquote(node, kind)}"
            )
        if kind is float:
            if not quoted and FLOAT_TEXT.fullmatch(text):
                number = float(text)
                if not math.isfinite(number):  # 1e400 reads as infinity
                    return self.error(node, f"{where}: {shown(text)} is too large a number")
                return number
            return self.error(
                node, f"{where}: expected a number, got {shown(text)}{_unquote(node, kind)}"
            )
        if kind is dt.date:
            if DATE_TEXT.fullmatch(text):
                try:
                    return dt.date.fromisoformat(text)
                except ValueError:
                    return self.error(node, f"{where}: {shown(text)} is not a day of the calendar")
            return self.error(node, f"{where}: expected a date YYYY-MM-DD, got {shown(text)}")
        raise TypeError(f"no converter for {kind!r}")  # a model bug, not an input error

    def _sequence(self, node: Node, reading: Reading, where: str, depth: int) -> Any:
        if not isinstance(node, SequenceNode):
            return self.error(
                node, f"{where}: expected {describe(reading.base)}{_got(node, a_list=True)}"
            )
        item: Reading = reading.item  # type: ignore[assignment]
        values = []
        ok = True
        for i, n in enumerate(node.value):
            value = self._value(n, item, f"{where}[{i}]", depth + 1)
            if value is INVALID:
                ok = False
            values.append(value)
        return tuple(values) if ok else INVALID

    def _dict(self, node: Node, item: Reading, where: str, depth: int) -> Any:
        if not isinstance(node, MappingNode):
            return self.error(node, f"{where}: expected a mapping{_got(node)}")
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str) or key == "<<":
                self.error(key_node, "keys must be plain strings")
            elif key in out:
                self.error(key_node, f"duplicate key {key!r}")
            else:
                out[key] = self._value(value_node, item, f"{where}.{key}", depth + 1)
                continue
            out[f"<invalid {len(out)}>"] = INVALID
        return INVALID if any(v is INVALID for v in out.values()) else out

    def _constrained(self, field_plan: FieldPlan, node: Node, value: Any, where: str) -> bool:
        """Whether a converted value meets its field's `non_empty` and `single_line` marks;
        each miss is recorded at the value (or list item) that causes it."""
        ok = True
        if field_plan.non_empty is not None and value == ():
            self.error(node, empty_message(field_plan, where))
            ok = False
        if self.single_line and field_plan.single_line:
            optional = not field_plan.required
            if isinstance(value, str):
                ok = self._one_line(node, value, where, optional) and ok
            elif isinstance(node, SequenceNode):  # a tuple of strings, converted item by item
                for i, (item, text) in enumerate(zip(node.value, value, strict=True)):
                    ok = self._one_line(item, text, f"{where}[{i}]", False) and ok
        return ok

    def _one_line(self, node: Node, text: str, where: str, optional: bool) -> bool:
        """A one-line value says something: no line break, not empty or only spaces (an empty
        `dpia: ""` would read as a DPIA reference, an empty name as a deployment)."""
        if LINE_BREAK.search(text):
            return self._line_break(node, where)
        if not text.strip():
            self.error(
                node,
                f"{where}: empty value; give one" + (", or leave the key out" if optional else ""),
            )
            return False
        return True

    def _line_break(self, node: Node, where: str) -> bool:
        block = isinstance(node, ScalarNode) and node.style in ("|", ">")
        self.error(
            node,
            f"{where}: line break in a one-line value; write it on one line"
            + (" (a `>` or `|` block keeps a final line break: use `>-`)" if block else "")
            + "; only free text such as description may span lines",
        )
        return False

    def mapping(self, node: Node, cls: type, where: str, depth: int = 0) -> Any:
        """Convert a mapping node into `cls`, reporting unknown, duplicate and missing keys."""
        if node.tag not in STANDARD_TAGS:  # the root mapping does not pass through convert()
            return self.error(node, f"unsupported YAML tag {node.tag!r}; use plain values")
        if not isinstance(node, MappingNode):
            return self.error(
                node,
                f"{where or 'document'}: expected a mapping with keys "
                f"{', '.join(p.name for p in plan(cls))}{_got(node)}",
            )
        cplan = class_plan(cls)
        plans = cplan.by_key
        readings = field_readings(cls)
        single_line = self.single_line
        seen: dict[str, Node] = {}
        values: dict[str, Any] = {}
        ok = True
        for key_node, value_node in node.value:
            if self.gave_up:
                return INVALID
            if not isinstance(key_node, ScalarNode) or key_node.tag not in STANDARD_TAGS:
                self.error(key_node, "keys must be plain strings")
                ok = False
                continue
            key = key_node.value
            if key in seen:  # never "<<", which is not kept
                first = seen[key].start_mark.line + 1
                self.error(key_node, f"duplicate key {key!r} (first defined on line {first})")
                ok = False
                continue
            field = readings.get(key)
            if field is None:
                ok = False
                if key == "<<":
                    self.error(key_node, "merge keys (<<) are not supported; write the keys out")
                    continue
                seen[key] = key_node
                more = suggestion(key, plans) or f"; known keys: {', '.join(plans)}"
                self.error(key_node, f"unknown key {key!r}{more}")
                if value_node.tag not in STANDARD_TAGS:
                    # an unknown key's value is never converted, where a tag is refused: say
                    # it here too, so that a `!!python/object` under a misspelt key is named
                    self.error(
                        value_node, f"unsupported YAML tag {value_node.tag!r}; use plain values"
                    )
                continue
            seen[key] = key_node
            child = f"{where}.{key}" if where else key
            value = self._value(value_node, field.reading, child, depth + 1)
            if value is INVALID:
                ok = False
            elif field.checked and (
                field.non_empty is not None
                or (single_line and field.single_line and not one_line_already(value))
            ):
                ok = self._constrained(field.plan, value_node, value, child) and ok
            values[field.attr] = value
        if not seen.keys() >= cplan.required_keys:  # one test in C while none is missing
            for field_plan in cplan.required:
                if field_plan.name not in seen:
                    self.error(
                        node,
                        f"{where + ': ' if where else ''}missing required key "
                        f"{field_plan.name!r} ({field_plan.doc.rstrip('.')})",
                    )
                    ok = False
        if not ok:
            return INVALID
        if cplan.has_span:
            values["span"] = self.span(node)
        return cls(**values)


def _got(node: Node, *, a_list: bool = False) -> str:
    """What was written instead of a list or a mapping, and how to write what was expected:
    a newcomer's `- key: value` entries where keys belong, or one value where a list does."""
    if isinstance(node, SequenceNode):
        if node.value and all(isinstance(n, MappingNode) for n in node.value):
            return "; got a list of entries (`- key: value`): write the keys without `- `"
        return "; got a list"
    if isinstance(node, MappingNode):
        return "; got a mapping (`key: value`)"
    if isinstance(node, ScalarNode):
        return f"; got {shown(node.value)}" + (
            "; write a list in brackets, as [a, b]" if a_list else ""
        )
    return ""


def _unquote(node: ScalarNode, kind: Any) -> str:
    """`schema_version: "1"` or `provider_can_use: "true"`: the value is right, its quotes make
    it text; say so rather than leave the reader puzzling over `got '1'`."""
    if not node.style:
        return ""
    text = node.value
    right = (
        text in TRUE_WORDS or text in FALSE_WORDS
        if kind is bool
        else bool(INT_TEXT.fullmatch(text))
        if kind is int
        else bool(FLOAT_TEXT.fullmatch(text))
    )
    return "; write it without quotes, which make it text" if right else ""

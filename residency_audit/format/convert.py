"""Located YAML nodes → frozen dataclasses, collecting every error of a file at once.

Scalars are read the YAML 1.2 way and by the type the field expects: a `str` field takes the text
as written (`country: NO` is Norway, `referential: 2018` is "2018"), a `bool` accepts only
true/false, dates are ISO `YYYY-MM-DD`. Unknown keys are errors with a "did you mean". Aliases
are allowed but every node visit is counted, so an alias bomb stops at a budget instead of eating
memory. A field's metadata may add constraints: `non_empty` (a list given must name something)
and, for converters that refuse line breaks in text, `free_text` (this field may span lines).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import MISSING, fields, is_dataclass
from enum import Enum
from functools import cache
from typing import Any

from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from residency_audit.model import Diagnostic, Span
from residency_audit.records import Record, record

MAX_NODES = 200_000
MAX_CHARS = 10 * 1024 * 1024
"""Characters of text a document may expand to through aliases: ten times what a file may
hold (`loader.MAX_BYTES`). Each visit reads its value's text (line breaks, blanks), so 3,000
aliases of an 800 KB name cost 30 s while well within MAX_NODES values."""
MAX_DEPTH = 64
MAX_ERRORS = 1000
"""Errors recorded per file; past this, conversion stops (each one costs a "did you mean")."""

_STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)
"""Explicit tags other than these (`!!python/object`, `!!set`, `!custom`) are input errors."""
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INT = re.compile(r"[-+]?[0-9]+")
_MAX_DIGITS = 18
"""Digits an integer of a file may have: every count, version and year fits, and a longer
one (Python will not convert 4,301) is an input error, not a crash."""
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
LINE_BREAK = re.compile("[\n\u2028\u2029]")
"""Newline and the Unicode line and paragraph separators (`str.splitlines` breaks at them)."""


class _Invalid:
    """Marks a value that failed conversion (its error is already recorded)."""


INVALID: Any = _Invalid()


@record
class FieldPlan(Record):
    """How one documented dataclass field is read from YAML."""

    name: str
    """The YAML key (the attribute name unless the field's metadata gives a `key`)."""
    attr: str
    kind: Any
    required: bool
    default: Any
    doc: str
    non_empty: str | None = None
    """A list that must name at least one of these (`doc(..., non_empty="country")`) when
    given: an empty list would silently mean something else (all countries, no category)."""
    single_line: bool = False
    """Its text (a string or list of strings) may neither break lines nor be blank, for a
    converter that asks (`Converter(single_line=True)`); fields marked
    `doc(..., free_text=True)` may."""


@cache
def plan(cls: type) -> tuple[FieldPlan, ...]:
    """The documented fields of a model dataclass, with resolved types (computed once)."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in fields(cls):
        text = f.metadata.get("doc")
        if text is None:  # internal fields (span, path, locations) are not part of the format
            continue
        required = f.default is MISSING and f.default_factory is MISSING
        default = None if required else f.default
        key = f.metadata.get("key", f.name)
        kind = hints[f.name]
        form = shape(kind)
        textual = form.kind is str or (form.form == "tuple" and form.item is str)
        out.append(
            FieldPlan(
                key,
                f.name,
                kind,
                required,
                default,
                text,
                non_empty=f.metadata.get("non_empty"),
                single_line=textual and not f.metadata.get("free_text", False),
            )
        )
    return tuple(out)


def unwrap_optional(kind: Any) -> tuple[Any, bool]:
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        return args[0], True
    return kind, False


@record
class Shape(Record):
    """A field type taken apart once: `form` is tuple, dict, enum or scalar."""

    kind: Any
    optional: bool
    form: str
    item: Any = None


@cache
def shape(kind: Any) -> Shape:
    base, optional = unwrap_optional(kind)
    origin = typing.get_origin(base)
    if origin is tuple:
        return Shape(base, optional, "tuple", typing.get_args(base)[0])
    if origin is dict:
        return Shape(base, optional, "dict", typing.get_args(base)[1])
    if is_dataclass(base):
        return Shape(base, optional, "dataclass")
    if isinstance(base, type) and issubclass(base, Enum):
        return Shape(base, optional, "enum")
    return Shape(base, optional, "scalar")


@record
class ClassPlan(Record):
    """A dataclass's field plans by YAML key, computed once."""

    by_key: dict[str, FieldPlan]
    required: tuple[FieldPlan, ...]
    has_span: bool
    required_keys: frozenset[str] = frozenset()


@cache
def class_plan(cls: type) -> ClassPlan:
    plans = plan(cls)
    return ClassPlan(
        {p.name: p for p in plans},
        tuple(p for p in plans if p.required),
        any(f.name == "span" for f in fields(cls)),
        frozenset(p.name for p in plans if p.required),
    )


_STR_FORM, _ENUM_FORM, _BOOL_FORM, _INT_FORM, _DATE_FORM, _SCALAR_FORM = range(6)
_TUPLE_FORM, _DICT_FORM, _CLASS_FORM = range(6, 9)
"""`_Reading.form`: the scalar forms first (read by `Converter._scalar` when the fast paths of
`Converter._value` do not settle them), then the containers."""


class _Reading:
    """How a value of one field type is read, worked out once per type (`_reading`): the
    converter's loop, run for each of a file's few hundred values, then tests a small int
    where it would take the type apart (`shape`, hashing a union or generic alias) each time."""

    __slots__ = ("base", "form", "item", "kind", "members", "optional")

    def __init__(self, kind: Any) -> None:
        spec = shape(kind)
        self.kind = kind
        """The type as declared (optional or not), for messages."""
        self.base = spec.kind
        self.optional = spec.optional
        self.item = _reading(spec.item) if spec.form in ("tuple", "dict") else None
        self.members: Mapping[Any, Any] | None = None
        if spec.form == "tuple":
            self.form = _TUPLE_FORM
        elif spec.form == "dict":
            self.form = _DICT_FORM
        elif spec.form == "dataclass":
            self.form = _CLASS_FORM
        elif spec.kind is str:
            self.form = _STR_FORM
        elif spec.kind is bool:
            self.form = _BOOL_FORM
        elif spec.kind is int:
            self.form = _INT_FORM
        elif spec.kind is dt.date:
            self.form = _DATE_FORM
        elif spec.form == "enum":
            self.form = _ENUM_FORM
            # The map `Enum.__call__` looks a value up in first (a miss goes through it)
            self.members = spec.kind._value2member_map_
        else:
            self.form = _SCALAR_FORM


@cache
def _reading(kind: Any) -> _Reading:
    return _Reading(kind)


class _FieldReading:
    """A field plan with the reading of its type, as `Converter.mapping` looks it up by key."""

    __slots__ = ("attr", "checked", "non_empty", "plan", "reading", "single_line")

    def __init__(self, field_plan: FieldPlan) -> None:
        self.plan = field_plan
        self.attr = field_plan.attr
        self.reading = _reading(field_plan.kind)
        self.non_empty = field_plan.non_empty
        self.single_line = field_plan.single_line
        self.checked = field_plan.non_empty is not None or field_plan.single_line
        """Whether `_constrained` may have something to say (with `single_line` asked for)."""


@cache
def _field_readings(cls: type) -> dict[str, _FieldReading]:
    return {key: _FieldReading(p) for key, p in class_plan(cls).by_key.items()}


def _one_line(text: str) -> bool:
    """`text` holds no `LINE_BREAK` and is not blank (the test `Converter._one_line` makes,
    without its regular expression: `in` finds nothing in the time it takes to call one)."""
    return (
        "\n" not in text
        and "\u2028" not in text
        and "\u2029" not in text
        and text != ""
        and not text.isspace()  # `text.strip()` empty, without making the stripped copy
    )


def _one_line_already(value: Any) -> bool:
    """Whether a textual value is None, one non-blank line, or a tuple of such lines: what
    `_constrained` passes without a word when the field has no `non_empty` (nearly every
    value, which then skips its calls)."""
    if value is None:
        return True
    if value.__class__ is str:
        return _one_line(value)
    if value.__class__ is tuple:
        return all(t.__class__ is str and _one_line(t) for t in value)
    return False


def suggestion(value: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str:
    """`; did you mean 'x'?` for the closest choice, or an empty string."""
    import difflib  # only on the error path

    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=cutoff)
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


class Locations(Mapping[str, Span]):
    """Where each value of a file is written, by YAML path (`components[0].region`). A file has
    hundreds of values and its findings cite a few dozen: a span is made when asked for."""

    __slots__ = ("_marks", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self._marks: dict[str, Mark] = {}

    def __getitem__(self, where: str) -> Span:
        mark = self._marks[where]
        return Span(self.path, mark.line + 1, mark.column + 1)

    def get(self, where: str, default: Any = None) -> Any:
        # Subjects ask for several hundred places per file: no detour through __getitem__.
        mark = self._marks.get(where)
        return default if mark is None else Span(self.path, mark.line + 1, mark.column + 1)

    def __contains__(self, where: object) -> bool:
        return where in self._marks

    def __iter__(self) -> Iterator[str]:
        return iter(self._marks)

    def __len__(self) -> int:
        return len(self._marks)

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self.items()),))  # sent to another process as spans, not marks


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
        return self._value(node, _reading(kind), where, depth)

    def _value(self, node: Node, reading: _Reading, where: str, depth: int) -> Any:
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
        if node.tag not in _STANDARD_TAGS:
            return self.error(node, f"unsupported YAML tag {node.tag!r}; use plain values")
        form = reading.form
        if scalar:
            text = node.value
            plain = not node.style  # type: ignore[attr-defined]  # a ScalarNode (`scalar`)
            if plain and text in _NULLS:
                if reading.optional:
                    return None
                return self.error(
                    node, f"{where}: missing value, expected {describe(reading.kind)}"
                )
            if form == _STR_FORM:
                return text
            if form == _ENUM_FORM:
                member = reading.members.get(text)  # type: ignore[union-attr]
                if member is not None:
                    return member
            elif form == _BOOL_FORM and plain:  # as `_scalar` reads it, without a call
                if text in _TRUE:
                    return True
                if text in _FALSE:
                    return False
            elif form == _INT_FORM:
                # Plain ASCII digits (a case of `_INT`; isdigit alone takes other scripts'
                # digits) short enough to read: no regular expression, no detour through
                # `_scalar`, which reads the rest (signs, errors).
                if plain and text.isdigit() and text.isascii() and len(text) <= _MAX_DIGITS:
                    return int(text)
            elif form == _DATE_FORM and _DATE.fullmatch(text):
                try:
                    return dt.date.fromisoformat(text)
                except ValueError:
                    pass  # `_scalar` says what is wrong
            if form < _TUPLE_FORM:
                return self._scalar(node, reading.base, where)  # type: ignore[arg-type]
        if form == _TUPLE_FORM:
            return self._sequence(node, reading, where, depth)
        if form == _DICT_FORM:
            return self._dict(node, reading.item, where, depth)  # type: ignore[arg-type]
        if form == _CLASS_FORM:
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
            if not quoted and text in _TRUE:
                return True
            if not quoted and text in _FALSE:
                return False
            return self.error(node, f"{where}: expected true or false, got {shown(text)}")
        if kind is int:
            if not quoted and _INT.fullmatch(text):
                if len(text.lstrip("+-")) > _MAX_DIGITS:  # int() refuses 4,301: exit 3 before
                    return self.error(node, f"{where}: {_too_long(text)}")
                return int(text)
            return self.error(node, f"{where}: expected an integer, got {shown(text)}")
        if kind is float:
            if not quoted and _FLOAT.fullmatch(text):
                number = float(text)
                if not math.isfinite(number):  # 1e400 reads as infinity
                    return self.error(node, f"{where}: {shown(text)} is too large a number")
                return number
            return self.error(node, f"{where}: expected a number, got {shown(text)}")
        if kind is dt.date:
            if _DATE.fullmatch(text):
                try:
                    return dt.date.fromisoformat(text)
                except ValueError:
                    return self.error(node, f"{where}: {shown(text)} is not a day of the calendar")
            return self.error(node, f"{where}: expected a date YYYY-MM-DD, got {shown(text)}")
        raise TypeError(f"no converter for {kind!r}")  # a model bug, not an input error

    def _sequence(self, node: Node, reading: _Reading, where: str, depth: int) -> Any:
        if not isinstance(node, SequenceNode):
            return self.error(node, f"{where}: expected {describe(reading.base)}")
        item: _Reading = reading.item  # type: ignore[assignment]
        values = []
        ok = True
        for i, n in enumerate(node.value):
            value = self._value(n, item, f"{where}[{i}]", depth + 1)
            if value is INVALID:
                ok = False
            values.append(value)
        return tuple(values) if ok else INVALID

    def _dict(self, node: Node, item: _Reading, where: str, depth: int) -> Any:
        if not isinstance(node, MappingNode):
            return self.error(node, f"{where}: expected a mapping")
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
            self.error(node, _empty_message(field_plan, where))
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
        if node.tag not in _STANDARD_TAGS:  # the root mapping does not pass through convert()
            return self.error(node, f"unsupported YAML tag {node.tag!r}; use plain values")
        if not isinstance(node, MappingNode):
            return self.error(
                node,
                f"{where or 'document'}: expected a mapping with keys "
                f"{', '.join(p.name for p in plan(cls))}",
            )
        cplan = class_plan(cls)
        plans = cplan.by_key
        readings = _field_readings(cls)
        single_line = self.single_line
        seen: dict[str, Node] = {}
        values: dict[str, Any] = {}
        ok = True
        for key_node, value_node in node.value:
            if self.gave_up:
                return INVALID
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _STANDARD_TAGS:
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
                if value_node.tag not in _STANDARD_TAGS:
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
                or (single_line and field.single_line and not _one_line_already(value))
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


def _empty_message(field_plan: FieldPlan, where: str) -> str:
    noun = field_plan.non_empty
    if not field_plan.required:  # the doc says what leaving it out means
        meaning = field_plan.doc.rstrip(".")
        return f"{where}: must list at least one {noun}, or be left out ({meaning})"
    item = shape(field_plan.kind).item
    if isinstance(item, type) and issubclass(item, Enum):
        return f"{where}: must list at least one {noun} ({describe(item)})"
    return f"{where}: must list at least one {noun}"


_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


def shown(text: str) -> str:
    """`text` quoted for a message, cut at 80 characters: a 50 MB value is not echoed."""
    return repr(text) if len(text) <= 80 else f"{text[:80]!r}... ({len(text)} characters)"


def _too_long(text: str) -> str:
    digits = len(text.lstrip("+-"))
    return f"an integer of {digits} digits ({shown(text)}); at most {_MAX_DIGITS} are read"


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
    if node.tag not in _STANDARD_TAGS:
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
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.fullmatch(text):
        if len(text.lstrip("+-")) > _MAX_DIGITS:
            raise ValueError(_too_long(text))
        return int(text)
    if _FLOAT.fullmatch(text):
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(f"{shown(text)} is too large a number")
        return number
    return text

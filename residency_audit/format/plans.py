"""How each model dataclass and field type is read from YAML, worked out once per type.

`plan` lists a dataclass's documented fields, the file format (`format.schema` and
`format.dump` read it too), and `class_plan` indexes them by YAML key; `Reading` and
`FieldReading` are what `Converter` tests for each value instead of taking a type apart again.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, fields, is_dataclass
from enum import Enum
from functools import cache
from typing import Any

from residency_audit.records import Record, record


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


STR_FORM, ENUM_FORM, BOOL_FORM, INT_FORM, DATE_FORM, SCALAR_FORM = range(6)
TUPLE_FORM, DICT_FORM, CLASS_FORM = range(6, 9)
"""`Reading.form`: the scalar forms first (read by `Converter._scalar` when the fast paths of
`Converter._value` do not settle them), then the containers."""


class Reading:
    """How a value of one field type is read, worked out once per type (`reading_of`): the
    converter's loop, run for each of a file's few hundred values, then tests a small int
    where it would take the type apart (`shape`, hashing a union or generic alias) each time."""

    __slots__ = ("base", "form", "item", "kind", "members", "optional")

    def __init__(self, kind: Any) -> None:
        spec = shape(kind)
        self.kind = kind
        """The type as declared (optional or not), for messages."""
        self.base = spec.kind
        self.optional = spec.optional
        self.item = reading_of(spec.item) if spec.form in ("tuple", "dict") else None
        self.members: Mapping[Any, Any] | None = None
        if spec.form == "tuple":
            self.form = TUPLE_FORM
        elif spec.form == "dict":
            self.form = DICT_FORM
        elif spec.form == "dataclass":
            self.form = CLASS_FORM
        elif spec.kind is str:
            self.form = STR_FORM
        elif spec.kind is bool:
            self.form = BOOL_FORM
        elif spec.kind is int:
            self.form = INT_FORM
        elif spec.kind is dt.date:
            self.form = DATE_FORM
        elif spec.form == "enum":
            self.form = ENUM_FORM
            # The map `Enum.__call__` looks a value up in first (a miss goes through it)
            self.members = spec.kind._value2member_map_
        else:
            self.form = SCALAR_FORM


@cache
def reading_of(kind: Any) -> Reading:
    return Reading(kind)


class FieldReading:
    """A field plan with the reading of its type, as `Converter.mapping` looks it up by key."""

    __slots__ = ("attr", "checked", "non_empty", "plan", "reading", "single_line")

    def __init__(self, field_plan: FieldPlan) -> None:
        self.plan = field_plan
        self.attr = field_plan.attr
        self.reading = reading_of(field_plan.kind)
        self.non_empty = field_plan.non_empty
        self.single_line = field_plan.single_line
        self.checked = field_plan.non_empty is not None or field_plan.single_line
        """Whether `Converter._constrained` may have something to say (with `single_line` asked
        for)."""


@cache
def field_readings(cls: type) -> dict[str, FieldReading]:
    return {key: FieldReading(p) for key, p in class_plan(cls).by_key.items()}

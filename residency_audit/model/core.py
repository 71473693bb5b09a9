"""Places and severities: the vocabulary every stage of an audit shares."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from residency_audit.records import Record, slot_init


@dataclass(repr=False, frozen=True, slots=True, order=True)
class Span(Record):
    """A place in a source file; line and column count from 1, as editors and SARIF do."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


def _span_init(self: Span, path: str, line: int, column: int) -> None:
    _set_path(self, path)
    _set_line(self, line)
    _set_column(self, column)


# Reading a file makes a span per YAML node: set through the slot descriptors, not the
# generated frozen `__init__`'s `object.__setattr__` (twice as fast, the same object).
_set_path, _set_line, _set_column = (
    getattr(Span, name).__set__ for name in ("path", "line", "column")
)
slot_init(Span, _span_init)


@dataclass(repr=False, frozen=True, slots=True, order=True)
class Diagnostic(Record):
    """An input problem: where it is and what to do about it."""

    span: Span
    message: str

    def __str__(self) -> str:
        return f"{self.span}: error: {self.message}"


class Severity(IntEnum):
    """How much a finding matters; ordered so that `--fail-on high` is a comparison."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


def doc(text: str, **extra: Any) -> Any:
    """Field metadata: the description shown in the JSON Schema and in error messages."""
    return {"doc": text, **extra}

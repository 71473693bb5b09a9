"""`Locations`: where each value of a converted file is written, by YAML path."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from yaml.error import Mark

from residency_audit.model import Span


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

    def origin(self, where: str) -> str | None:
        """`str(self[where])`, or None when `where` is not written: subjects cite a hundred
        positions a file as text, and the span made only to be formatted cost two calls each."""
        mark = self._marks.get(where)
        return None if mark is None else f"{self.path}:{mark.line + 1}:{mark.column + 1}"

    def __contains__(self, where: object) -> bool:
        return where in self._marks

    def __iter__(self) -> Iterator[str]:
        return iter(self._marks)

    def __len__(self) -> int:
        return len(self._marks)

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self.items()),))  # sent to another process as spans, not marks

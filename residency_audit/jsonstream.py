"""A JSON object read from a file member by member, with the long lists it names handed over
item by item: how a saved result of a large batch is read back in bounded memory.

`json.loads` needs the whole text and about ten times its size once parsed; a batch of a
thousand files writes some 300 MB of JSON, so a baseline or a `report` of it would need
gigabytes. Here the file is read in chunks, each member's value and each item of a streamed
list is parsed with the standard library's decoder (`raw_decode`, in C) as soon as it is
complete, and the text before it is dropped. Memory is bounded by the largest single value
(`MAX_VALUE`), plus what the callbacks keep.

Errors carry the line and column of the file, as `json.loads` gives them.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Protocol

CHUNK = 64 << 10
"""Characters read at a time. Larger chunks read no faster, and their strings, freed and
allocated again and again, left glibc's heap at 150 MB for a 300 MB result (17 MB at 64 K)."""
MAX_VALUE = 64 << 20
"""Largest member value or list item, in characters: a result's largest (its rules, the
knowledge it used) is well under a megabyte; anything bigger is not a result of this tool."""

_BLANK = " \t\n\r"
MAX_MEMBERS = 1000
"""Top-level members read at most (a result has sixteen)."""


class Readable(Protocol):
    """What the JSON is read from: a binary file, or anything reading like one."""

    def read(self, size: int, /) -> bytes: ...


class JSONStreamError(ValueError):
    """Invalid JSON, or JSON that is not an object of the expected shape, at a line and
    column counted from 1."""

    def __init__(self, message: str, line: int, column: int, *, syntax: bool = False) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.msg, self.lineno, self.colno = message, line, column
        self.syntax = syntax
        """True for what is not JSON at all (json.loads's message), False for JSON that is no
        result (a member twice, a list that is not one, a value too large or too deep)."""


class _Text:
    """The part of the file not yet parsed, refilled on demand, with the line and column of
    its first character."""

    def __init__(self, handle: Readable, chunk: int) -> None:
        self._handle, self.chunk = handle, chunk
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text, self.pos, self.eof = "", 0, False
        self._line, self._column = 1, 1
        """Line and column of `text[0]`."""
        self.dropped = 0
        """Characters dropped so far: `dropped + pos` is a position in the whole file."""

    def more(self, at_least: int = 0) -> bool:
        """Read at least `at_least` more characters, and at least a chunk (fewer at the end):
        False at the end."""
        if self.eof:
            return False
        self._drop()
        parts, got = [], 0
        while got < max(at_least, 1):
            raw = self._handle.read(max(at_least - got, self.chunk))
            part = self._decoder.decode(raw, final=not raw)
            parts.append(part)
            got += len(part)
            if not raw:
                self.eof = True
                break
        self.text += "".join(parts)
        return got > 0

    def _drop(self) -> None:
        """Forget the text already parsed, keeping the position of what follows."""
        gone = self.text[: self.pos]
        lines = gone.count("\n")
        if lines:
            self._line += lines
            self._column = len(gone) - gone.rfind("\n")
        else:
            self._column += len(gone)
        self.dropped += self.pos
        self.text, self.pos = self.text[self.pos :], 0

    def where(self, pos: int) -> tuple[int, int]:
        """Line and column of `text[pos]`."""
        lines = self.text.count("\n", 0, pos)
        if not lines:
            return self._line, self._column + pos
        return self._line + lines, pos - self.text.rfind("\n", 0, pos)

    def mark(self) -> int:
        """The position of the next character in the whole file (see `at`)."""
        return self.dropped + self.pos

    def at(self, mark: int) -> tuple[int, int]:
        """Line and column of a `mark`, if its text is still held (else of the text held)."""
        return self.where(max(mark - self.dropped, 0))

    def error(
        self, message: str, pos: int | None = None, *, syntax: bool = True
    ) -> JSONStreamError:
        line, column = self.where(self.pos if pos is None else pos)
        return JSONStreamError(message, line, column, syntax=syntax)

    def peek(self) -> str:
        """The next character that is not blank ("" at the end of the file)."""
        while True:
            text, pos = self.text, self.pos
            while pos < len(text) and text[pos] in _BLANK:
                pos += 1
            self.pos = pos
            if pos < len(text) or not self.more():
                return text[pos] if pos < len(text) else ""

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            raise self.error(f"Expecting {what}")
        self.pos += 1

    def value(self, decoder: json.JSONDecoder) -> Any:
        """The next JSON value, read in full."""
        self.peek()
        while True:
            try:
                value, end = decoder.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof or not _maybe_cut(exc, len(self.text)):
                    raise self.error(exc.msg, exc.pos) from None
                self._grow()
                continue
            except RecursionError:
                raise self.error("nested too deeply for a result", syntax=False) from None
            except _Constant as exc:
                raise self.error(f"{exc} is not a JSON number", syntax=True) from None
            except ValueError as exc:  # an integer of more digits than Python converts
                raise self.error(f"a number too long ({exc})", syntax=False) from None
            # A number may go on in the next chunk ("0" of "0.5"): complete only once what
            # follows it cannot be part of it.
            if not self.eof and (
                end == len(self.text)
                or (value.__class__ in (int, float) and _NUMBER_TAIL.fullmatch(self.text, end))
            ):
                self._grow()
                continue
            self.pos = end
            return value

    def _grow(self) -> None:
        """More text for a value that does not end in what was read (at most `MAX_VALUE`)."""
        size = len(self.text) - self.pos
        if size >= MAX_VALUE:
            message = f"a value larger than {MAX_VALUE >> 20} MiB; not a result file"
            raise self.error(message, syntax=False)
        self.more(min(size, MAX_VALUE - size))


class _Constant(ValueError):
    """NaN or Infinity, which Python's decoder takes and JSON does not have."""


def _constant(name: str) -> Any:
    raise _Constant(name)


def _maybe_cut(exc: json.JSONDecodeError, held: int) -> bool:
    """Whether decoding may have failed only because the value goes on past what was read: a
    string not closed yet, or an error at the very end (a token, an escape or a delimiter
    cut short). Any other error is the document's, however much follows."""
    return exc.msg.startswith("Unterminated string") or exc.pos >= held - _CUT_MARGIN


_CUT_MARGIN = 8
"""How far before the end of a cut value an error can point: the start of a token or of a
unicode escape (`false`, six characters for a u-escape)."""
_NUMBER_TAIL = re.compile(r"[0-9.eE+\-]*")
"""What may still belong to a number at the end of what was read."""


def read_object(
    handle: Readable,
    streamed: Mapping[str, Callable[[Any], None]] = MappingProxyType({}),
    *,
    keep: frozenset[str] | None = None,
    stop_after: frozenset[str] | None = None,
    chunk: int = CHUNK,
) -> dict[str, Any]:
    """The members of the JSON object in `handle` (UTF-8, a BOM allowed), except the lists
    named in `streamed`: each of their items goes to its callback and is not kept (the member
    maps to the number of items). With `keep`, other members are checked and dropped, their
    lists item by item. With `stop_after`, reading stops once those members are read (the
    rest of the file is not checked). Raises JSONStreamError on invalid JSON (NaN and Infinity
    included), a streamed member that is not a list, a member given twice, more than
    `MAX_MEMBERS` members, or data after the object; ItemError when a callback refuses an
    item, at the item's line and column."""
    text, out = _Text(handle, chunk), dict[str, Any]()
    decoder = json.JSONDecoder(parse_constant=_constant)
    seen: set[str] = set()
    if text.peek() != "{":
        raise text.error("Expecting '{' (a JSON object)", syntax=False)
    text.pos += 1
    if text.peek() == "}":
        text.pos += 1
    else:
        while True:
            if text.peek() != '"':
                raise text.error("Expecting property name enclosed in double quotes")
            mark = text.mark()  # reading on may drop the text before it
            key = text.value(decoder)
            if key in seen:
                raise JSONStreamError(f"member {key!r} given twice", *text.at(mark))
            if len(seen) >= MAX_MEMBERS:
                message = f"more than {MAX_MEMBERS} members; not a result file"
                raise JSONStreamError(message, *text.at(mark))
            seen.add(key)
            text.expect(":", "':' delimiter")
            if key in streamed:
                out[key] = _items(text, decoder, streamed[key], key)
            elif keep is None or key in keep:
                out[key] = text.value(decoder)
            elif text.peek() == "[":  # not needed: read (it must be JSON) and dropped
                _items(text, decoder, _drop, key)
            else:
                text.value(decoder)
            if stop_after is not None and stop_after <= seen:
                return out
            following = text.peek()
            text.pos += 1
            if following == "}":
                break
            if following != ",":
                raise text.error("Expecting ',' delimiter", text.pos - 1)
    if text.peek():
        raise text.error("Extra data")
    return out


class ItemError(JSONStreamError):
    """A callback refused an item of a streamed list (`cause`): the item is valid JSON, but
    not of the shape its list holds."""

    def __init__(self, key: str, cause: Exception, line: int, column: int) -> None:
        super().__init__(f"{key}: {type(cause).__name__}: {cause}", line, column)
        self.cause = cause


def _items(text: _Text, decoder: json.JSONDecoder, take: Callable[[Any], None], key: str) -> int:
    """The items of the list `key`, one by one to `take`; how many there were."""
    if text.peek() != "[":
        at = text.where(text.pos)
        text.value(decoder)  # invalid JSON is said as json.loads says it
        raise JSONStreamError(f"Expecting a list for {key!r}", *at)
    text.pos += 1
    if text.peek() == "]":
        text.pos += 1
        return 0
    count = 0
    while True:
        mark = text.mark()
        item = text.value(decoder)
        try:
            take(item)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ItemError(f"{key}[{count}]", exc, *text.at(mark)) from None
        count += 1
        following = text.peek()
        text.pos += 1
        if following == "]":
            return count
        if following != ",":
            raise text.error("Expecting ',' delimiter", text.pos - 1)


def _drop(item: Any) -> None:
    """An item not needed."""

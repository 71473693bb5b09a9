"""A JSON object read from a file member by member, with the long lists it names handed over
item by item: how a saved result of a large batch is read back in bounded memory.

`json.loads` needs the whole text and about ten times its size once parsed; a batch of a
thousand files writes some 300 MB of JSON, so a baseline or a `report` of it would need
gigabytes. Here the file is read in chunks, each member's value and each item of a streamed
list is parsed with the standard library's decoder (`raw_decode`, in C) as soon as it is
complete, and the text before it is dropped. Memory is bounded by the largest single value
(`MAX_VALUE`), plus what the callbacks keep.

Errors carry the line and column of the file, as `json.loads` gives them; a byte that is not
UTF-8 is said where it is, as the YAML loader says it.

What Python's decoder takes and a result cannot hold is refused as it is read: NaN and
Infinity, a number too large for a float (`1e400`, which Python reads as infinity and would
write back as `Infinity`), a name given twice in any object (Python keeps the last), and a
lone surrogate (`"\\ud800"`, which no report can encode).
"""

from __future__ import annotations

import codecs
import gc
import itertools
import json
import math
import re
import sys
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Protocol

CHUNK = 64 << 10
"""Characters read at a time. Larger chunks read no faster, and their strings, freed and
allocated again and again, left glibc's heap at 150 MB for a 300 MB result (17 MB at 64 K)."""
MAX_VALUE = 64 << 20
"""Largest member value or list item, in bytes of UTF-8 (so in characters too): a result's
largest (its rules, the knowledge it used) is well under a megabyte; anything bigger is not a
result of this tool. Bytes, not characters: 64 Mi emoji are 256 MB of text, which Python holds
at four bytes a character, twice over while it decodes them."""

_NOT_BLANK = re.compile(r"[^ \t\n\r]")
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
        parts: list[str] = []
        got = 0
        while got < max(at_least, 1):
            raw = self._handle.read(max(at_least - got, self.chunk))
            try:
                part = self._decoder.decode(raw, final=not raw)
            except UnicodeDecodeError as exc:
                raise self._not_utf8(exc, "".join(parts)) from None
            parts.append(part)
            got += len(part)
            if not raw:
                self.eof = True
                break
        self.text += "".join(parts)
        return got > 0

    def _not_utf8(self, exc: UnicodeDecodeError, read: str) -> JSONStreamError:
        """The error for the first byte that is not UTF-8, at its line and column (in
        characters, as the other errors of the file), after `read`, what was read before it."""
        self.text += read + exc.object[: exc.start].decode("utf-8")
        bad = exc.object[exc.start]
        return self.error(f"invalid UTF-8 byte 0x{bad:02x}; save the file as UTF-8", len(self.text))

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
            found = _NOT_BLANK.search(self.text, self.pos)  # in C: 50 MB of blanks take 0.1 s
            if found is not None:
                self.pos = found.start()
                return found.group()
            self.pos = len(self.text)
            if not self.more():
                return ""

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
            except _Refused as exc:  # valid JSON no result holds: at the value, not the file
                raise self.error(str(exc), syntax=False) from None
            except ValueError:  # an integer of more digits than Python converts
                limit = sys.get_int_max_str_digits()
                raise self.error(
                    f"an integer of more than {limit:,} digits; no result holds one", syntax=False
                ) from None
            # A number may go on in the next chunk ("0" of "0.5"): complete only once what
            # follows it cannot be part of it.
            if not self.eof and (
                end == len(self.text)
                or (value.__class__ in (int, float) and _NUMBER_TAIL.fullmatch(self.text, end))
            ):
                self._grow()
                continue
            lone = _SURROGATE_ESCAPE.search(self.text, self.pos, end) and _lone_surrogate(value)
            if lone:
                message = f"character U+{ord(lone):04X} in a text (a lone surrogate)"
                raise self.error(message, syntax=False)
            self.pos = end
            return value

    def _grow(self) -> None:
        """More text for a value that does not end in what was read (at most `MAX_VALUE`)."""
        size = len(self.text) - self.pos
        held = self.text[self.pos :]
        if size >= MAX_VALUE or (not held.isascii() and len(held.encode()) >= MAX_VALUE):
            message = f"a value larger than {MAX_VALUE >> 20} MiB; not a result file"
            raise self.error(message, syntax=False)
        self.more(min(size, MAX_VALUE - size))


class _Constant(ValueError):
    """NaN or Infinity, which Python's decoder takes and JSON does not have."""


def _constant(name: str) -> Any:
    raise _Constant(name)


class _Refused(ValueError):
    """Valid JSON that no result holds, found while decoding a value."""


def _finite(text: str) -> float:
    """A JSON number with a fraction or exponent, refused when a float cannot hold it."""
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:40]} is too large for a float")
    return value


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object, refused when it names a member twice (the decoder keeps the last)."""
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _Refused(f"member {twice[:80]!r} given twice in an object")
    return value


_CHECKING = json.JSONDecoder(parse_constant=_constant, parse_float=_finite, object_pairs_hook=_once)
"""The decoder of `read_object`, for the first item of a run not needed (`_first_item`)."""


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
"""What a lone surrogate is written as in valid UTF-8 JSON (raw, UTF-8 cannot hold one); a
pair is written so too, so a match is looked at closer (`_lone_surrogate`)."""
_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(value: Any) -> str:
    """The first lone surrogate a decoded value holds, in a string or a name, or "" (a pair
    decodes to one character beyond U+FFFF)."""
    todo = [value]
    while todo:  # not recursive: the value may be as deep as the decoder allows
        x = todo.pop()
        if isinstance(x, str):
            found = _SURROGATE.search(x)
            if found is not None:
                return found.group()
        elif isinstance(x, list):
            todo += x
        elif isinstance(x, dict):
            todo += x
            todo += x.values()
    return ""


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
    places: dict[str, tuple[int, int]] | None = None,
    chunk: int = CHUNK,
) -> dict[str, Any]:
    """The members of the JSON object in `handle` (UTF-8, a BOM allowed), except the lists
    named in `streamed`: each of their items goes to its callback and is not kept (the member
    maps to the number of items, or to None for `drop`). With `keep`, other members are checked
    and dropped, their lists in runs (`_skip_run`). With `stop_after`, reading stops once those
    members are read (the rest of the file is not checked). With `places`, the line and column
    of each member's value go there, by name, so that a caller can say where a value it refuses
    is. Raises JSONStreamError on a byte that is not UTF-8, invalid JSON (NaN and Infinity
    included, and numbers no float holds), a streamed member that is not a list, a member given
    twice (in any object), a lone surrogate, more than `MAX_MEMBERS` members, or data after the
    object; ItemError when a callback refuses an item, at the item's line and column."""
    text, out = _Text(handle, chunk), dict[str, Any]()
    decoder = json.JSONDecoder(
        parse_constant=_constant, parse_float=_finite, object_pairs_hook=_once
    )
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
            if places is not None:
                text.peek()
                places[key] = text.where(text.pos)
            if key in streamed:
                out[key] = _items(text, decoder, streamed[key], key)
            elif keep is None or key in keep:
                out[key] = text.value(decoder)
            elif text.peek() == "[":  # not needed: read (it must be JSON) and dropped
                _items(text, decoder, drop, key)
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


def _items(
    text: _Text, decoder: json.JSONDecoder, take: Callable[[Any], None], key: str
) -> int | None:
    """The items of the list `key`, one by one to `take`; how many there were (None for `drop`,
    whose items are skipped in runs, not counted)."""
    if text.peek() != "[":
        at = text.where(text.pos)
        text.value(decoder)  # invalid JSON is said as json.loads says it
        raise JSONStreamError(f"Expecting a list for {key!r}", *at)
    text.pos += 1
    if text.peek() == "]":
        text.pos += 1
        return 0
    count, runs_from = 0, 0
    while True:
        if take is drop and text.mark() >= runs_from:
            closed, runs_from = _skip_run(text)
            if closed:
                return None
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
            return None if take is drop else count
        if following != ",":
            raise text.error("Expecting ',' delimiter", text.pos - 1)


def drop(item: Any) -> None:
    """An item not needed: read (it must be JSON) and dropped. Given as a list's callback, the
    list's items are checked in runs (`_skip_run`), and the list is not counted."""


# Skipping a list not needed. Item by item, each item costs some microseconds of Python: 25
# million zeros took 35 s, ten million `[0]` 20 s. Here the items held are checked together by
# the decoder, in C (an item repeated, once), and what fails is read again item by item, which
# says what is wrong and where: every refusal stays the decoder's, only found faster.

_WINDOW = CHUNK
"""Characters of a list not needed looked at together, at most."""
_BATCH = 16 << 10
"""Characters of items decoded together, at most: their values, some twenty times their size,
are held until the check is done."""
_WALK = 4096
"""Characters counted back, in Python, from the end of a window in search of the comma after
its last whole item, at most, before a shorter window is tried."""


def _skip_run(text: _Text) -> tuple[bool, int]:
    """Skip the whole items of a list not needed that follow, a window at a time, reading on:
    (whether the list's closing bracket was passed too, the mark before which no run is tried
    again). An item that does not end in a window is read as any other."""
    collecting = gc.isenabled()
    gc.disable()  # the items are freed by reference counts, as they came, and have no cycles
    try:  # NOTE: else every 700 lists made start a collection of all that are held: 3x slower
        return _skip_windows(text)
    finally:
        if collecting:
            gc.enable()


def _skip_windows(text: _Text) -> tuple[bool, int]:
    while True:
        _skip_numbers(text)
        window = text.text[text.pos : text.pos + _WINDOW]
        first = _first_item(window)
        if first is None:  # cut short by the end of what was read, or not valid
            if len(window) < _WINDOW and text.more():
                continue
            return False, 0
        repeated = first * (len(window) // len(first))
        if window.startswith(repeated) and not _lone_surrogate_in(_masked(first), len(first)):
            text.pos += len(repeated)  # one item over and over (`[0]`, ten million times)
            continue
        masked = _masked(window[: max(_BATCH, len(first))])
        cut = _last_separator(masked, len(first) - 1)
        closed = _skip_items(text, window, masked, cut)
        if closed is None:  # not valid, or not a result's: item by item up to the cut, which
            return False, text.mark() + cut  # says what and where
        if closed:
            return True, 0


def _skip_items(text: _Text, window: str, masked: str, cut: int) -> bool | None:
    """Skip the items before `cut` if they are valid, all at once (whether the list closed
    before it, its bracket passed too), or None. Objects are made by the decoder's C, not
    checked one by one by `_once` (0.4 us each): each object's members are counted once made,
    and a member given twice is one less than there are colons."""
    if _lone_surrogate_in(masked, cut):
        return None
    objects: list[dict[str, Any]] = []
    decoder = json.JSONDecoder(
        parse_constant=_constant, parse_float=_finite, object_hook=objects.append
    )
    try:
        end = decoder.raw_decode(f"[{window[:cut]}]")[1]
    except (ValueError, RecursionError):  # JSONDecodeError, and what the hooks refuse
        return None
    closed = end <= cut + 1  # the list closed before the bracket added: its own is passed too
    region, members = end - 2 if closed else cut, sum(map(len, objects))
    if members != masked.count(":", 0, region) and members != _colons(masked[:region]):
        return None  # (a colon in a string makes the first count larger)
    text.pos += end - 1 if closed else cut + 1
    return closed


def _first_item(window: str) -> str | None:
    """The text of the first item of `window` up to the comma after it, if it is valid and
    whole (else None)."""
    start = _NOT_BLANK.search(window)
    try:
        end = _CHECKING.raw_decode(window, start.start() if start else len(window))[1]
    except (ValueError, RecursionError):
        return None
    comma = _NOT_BLANK.search(window, end)
    return window[: comma.end()] if comma and comma.group() == "," else None


def _lone_surrogate_in(masked: str, end: int) -> bool:
    return masked.find("\\u", 0, end) >= 0 and _LONE_SURROGATE.search(masked, 0, end) is not None


def _skip_numbers(text: _Text) -> None:
    """Skip the run of numbers that follows in the text held, each with its comma, checked by
    the decoder with no Python per number: a run of one number repeated (25 million zeros) as
    that number, else each distinct number once when they repeat."""
    run = _NUMBERS.match(text.text, text.pos)
    end = text.text.rfind(",", text.pos, run.end() if run else text.pos) + 1
    if not end:
        return
    numbers = text.text[text.pos : end]
    unit = numbers[: numbers.find(",") + 1]
    if len(numbers) % len(unit) == 0 and unit * (len(numbers) // len(unit)) == numbers:
        numbers = unit
    else:
        distinct = set(numbers[:-1].split(","))
        if len(distinct) * 4 <= numbers.count(","):
            numbers = ",".join(distinct) + ","
    try:
        values = _PLAIN_DECODER.raw_decode(f"[{numbers[:-1]}]")[0]
    except ValueError:  # not numbers after all, or an integer Python does not convert
        return
    # An empty list is an empty item (`[ ,0]`); an infinity a number too large for a float.
    if values and math.inf not in values and -math.inf not in values:
        text.pos = end


_NUMBERS = re.compile(r"[-0-9.eE+, \t\n\r]*+")
"""What a run of numbers, and only numbers, is made of."""
_PLAIN_DECODER = json.JSONDecoder()
"""Numbers read without `_finite`, a call of Python each: infinities are looked for after."""


def _masked(window: str) -> str:
    """`window` (text from the start of an item) with its escapes blanked, the same length:
    every quote left opens or closes a string. Escapes pair from the left, so an escaped
    backslash is blanked before an escaped quote is looked for."""
    if "\\" not in window:
        return window
    return window.replace("\\\\", "  ").replace('\\"', "  ")


def _last_separator(masked: str, first: int) -> int:
    """Where in `masked` (items of a list, the last cut short, escapes blanked) the last comma
    between two items is, or at least `first`, the comma after the first item: the nesting
    depth is counted back from the end (`_separator_in`), and in a window half as long when
    the last item is long (its item is read whole, by the decoder, later)."""
    end = len(masked)
    while end > _WALK:
        found = _separator_in(masked[:end])
        if found >= 0:
            return max(found, first)
        end //= 2
    return max(_separator_in(masked[:end]), first)


def _separator_in(masked: str) -> int:
    """The last comma between two items in `masked` if it is less than `_WALK` characters
    (strings not counted) from its end, else -1. Strings are emptied (`masked` is split at its
    quotes), then the depth is counted back from the end."""
    parts = masked.split('"')
    if len(parts) % 2 == 0:  # it ends in a string: what follows its quote is not looked at
        parts.pop()
        masked = masked[: masked.rfind('"')]
    outside = '""'.join(parts[::2])
    depth = sum(outside.count(c) for c in "[{") - sum(outside.count(c) for c in "]}")
    for back, char in enumerate(itertools.islice(reversed(outside), _WALK)):
        if char != ",":
            depth += _DEPTH.get(char, 0)
        elif not depth:  # as far from the end of `masked`, and the strings after it
            after = outside.count('"', len(outside) - back) // 2
            return len(masked) - back - 1 - sum(map(len, parts[len(parts) - 2 * after :: 2]))
    return -1


def _colons(masked: str) -> int:
    """The colons of `masked` (whole items, escapes blanked) outside strings: one a member."""
    return '"'.join(masked.split('"')[::2]).count(":")


_DEPTH = {"]": 1, "}": 1, "[": -1, "{": -1}
"""How the depth changes over each bracket, counted back from the end of the text."""
_LONE_SURROGATE = re.compile(
    r"\\u[dD](?:[89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    r"|[c-fC-F][0-9a-fA-F]{2}(?<!\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}))"
)
"""A lone surrogate as escaped in text whose escaped backslashes are blanked (`_masked`): a
high one not followed by a low one, a low one not after a high one (as the decoder pairs
them)."""

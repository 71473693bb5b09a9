"""YAML text → located nodes, safely and within bounds.

Only composing happens here (no constructors run, so no tag can execute anything); turning nodes
into model objects is `residency_audit.format`. Inputs come from strangers, so size, nesting and
encoding are checked before libyaml sees the text: libyaml's C composer recurses and crashes the
interpreter on very deep flow nesting.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from residency_audit.errors import InputError
from residency_audit.model import Diagnostic, Span
from residency_audit.records import Record, record

MAX_BYTES = 1024 * 1024
"""Largest input accepted. A real deployment file is a few kilobytes (a 160-line one is 5 KB);
one MiB of `[a,a,a,...]` is already 500,000 nodes, about half a second and 150 MB to compose."""
MAX_FLOW_DEPTH = 200
"""Deepest `[`/`{` nesting accepted; libyaml segfaults somewhere past ~50,000."""
MAX_INDENT = 1000
"""Widest run of indentation and block indicators (`- - - x`) opening a line. Block nesting
needs a deeper column at each level, so this bounds it; PyYAML's libyaml composer recurses in C
and crashed the interpreter on `- ` repeated 100,000 times."""

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_STR, _NULL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null"
_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Composes only, and resolves untagged scalars to null or str.

    The converter reads each scalar by the type its field expects (YAML 1.2: `NO` stays Norway),
    so PyYAML's regex-based YAML 1.1 resolution, called back from libyaml for every scalar,
    would be a third of the parse time for nothing.
    """

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            return _NULL if implicit[0] and value in _NULLS else _STR
        return _SEQ if kind is SequenceNode else _MAP


_BIDI = "\u202a-\u202e\u2066-\u2069"
"""Unicode bidirectional embeddings, overrides and isolates: they reorder how a report shows a
name or path (a file name read backwards), and YAML lets them in unescaped."""
_NONCHARACTERS = "\ufffe\uffff"
"""The noncharacters XML cannot hold (not even as `&#xFFFF;`); YAML refuses them written as
they are, but lets a double-quoted escape (`"\\uffff"`) make one."""
CONTROL_CHARACTERS = rf"\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_NONCHARACTERS}"
"""What no value may hold, as the body of a character class (`_CONTROL`); the saved-result
reader refuses the same (`reporters/jsonread`), so that whatever `check` reads reads back."""
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
"""C0 and C1 control characters (DEL included) but tab and newline, bidirectional controls
and `_NONCHARACTERS`. In a value they make JUnit XML ill-formed, let a name colour the terminal
(ANSI escapes), rewrite report lines or reorder what a reader sees; a saved result holding
one is refused (`residency_audit.results`)."""
_MAY_CONTROL = re.compile(rf"[\\\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")
"""Text that may yield a control character in a scalar: YAML readers refuse raw C0 and C1
characters (and turn line breaks into newlines), so only a double-quoted escape (`"\\e"`) can
make one, while bidirectional controls may be written as they are; files with neither, nearly
all, are never walked."""
MAX_CONTROL_ERRORS = 100
"""Scalars reported per file for control characters; the rest are summed up in one line."""
_UNSHOWABLE = re.compile(rf"[\x00-\x1f\x7f-\x9f\u200e\u200f{_BIDI}\ud800-\udfff]")
"""What a file name found on disk may not hold: control characters, line breaks included (a
name holding `\\n::error::` would print a line of its own, which GitHub Actions reads as a
workflow command), bidirectional marks, and lone surrogates (bytes that are not UTF-8, which no
report can encode). The saved-result reader refuses the same in a path."""

_BRACKETS = re.compile(r"[\[\]{}]")
_DEEP_BLOCK = re.compile(rf"^[ \t?:-]{{{MAX_INDENT + 1}}}", re.MULTILINE)
"""A line opening with more indentation and block indicators than `MAX_INDENT`."""
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


@record
class Document(Record):
    """A parsed YAML file: its path as given, its bytes (for hashing) and its root node."""

    path: str
    raw: bytes
    root: Node | None


def read_bytes(path: Path, display: str, limit: int = MAX_BYTES, kind: str = "YAML") -> bytes:
    """Read a file, refusing what is larger than `limit` or not a regular file."""
    where = Span(display, 1, 1)
    with open_input(path, display, kind) as (handle, size):
        _check_size(size, where, limit, kind)
        try:
            raw = handle.read(limit + 1)
        except OSError as exc:
            raise InputError.at(where, f"cannot read file: {exc.strerror or exc}") from None
        _check_size(len(raw), where, limit, kind)  # it may have grown since stat
        return raw


@contextlib.contextmanager
def open_input(path: Path, display: str, kind: str = "YAML") -> Iterator[tuple[IO[bytes], int]]:
    """The file open for reading, with its size, once it is known to be a regular file; what
    is not (a directory, a FIFO, a dangling link) is an input error naming it."""
    where = Span(display, 1, 1)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the run, /dev/zero never end
            raise InputError.at(
                where, f"not a regular file (device, pipe or socket); expected a {kind} file"
            )
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the caller's block
    except FileNotFoundError:
        if os.path.islink(path):
            target = os.readlink(path)
            raise InputError.at(
                where, f"symbolic link to {target!r}, which does not exist; fix or remove the link"
            ) from None
        raise InputError.at(where, "file not found (deleted during the run?)") from None
    except IsADirectoryError:
        raise InputError.at(where, f"is a directory, expected a {kind} file") from None
    except OSError as exc:
        raise InputError.at(where, f"cannot read file: {exc.strerror or exc}") from None
    with handle:
        yield handle, info.st_size


def _check_size(size: int, where: Span, limit: int, kind: str) -> None:
    if size > limit:
        what = "a YAML input" if kind == "YAML" else f"a {kind} file"
        raise InputError.at(
            where,
            f"file is {size / 1048576:.1f} MiB or more, larger than the {limit // 1048576} "
            f"MiB limit for {what}; split it or check it is the right file",
        )


def _wide_encoding(raw: bytes) -> str | None:
    """UTF-32 or UTF-16 (either byte order) without a BOM, told by where the NUL bytes of
    its first characters fall: YAML's keys, indentation and punctuation are ASCII, which these
    encodings write with one (UTF-16) or three (UTF-32) NUL bytes each. None for anything else."""
    head = raw[:64]
    for name, width in (("UTF-32", 4), ("UTF-16", 2)):
        units = [head[i : i + width] for i in range(0, len(head) - width + 1, width)]
        if len(units) < 4:
            continue
        for zeros in (b"\x00" * (width - 1) + b"?", b"?" + b"\x00" * (width - 1)):
            ascii_like = [
                u
                for u in units
                if all(z == 0 for z, mark in zip(u, zeros, strict=True) if mark == 0)
                and u[zeros.index(b"?")] != 0
            ]
            if len(ascii_like) >= len(units) * 3 // 4:
                return name
    return None


def decode(raw: bytes, display: str) -> str:
    """Decode UTF-8 strictly, pointing at the first bad byte."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            raise InputError.at(Span(display, 1, 1), f"{name} text; save the file as UTF-8")
    wide = _wide_encoding(raw) if b"\x00" in raw else None  # UTF-16 and -32 of ASCII hold NULs
    if wide is not None:  # as with a BOM: a NUL in every character is no binary file
        raise InputError.at(
            Span(display, 1, 1),
            f"looks like {wide} text (no byte-order mark); save the file as UTF-8",
        )
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputError.at(
            Span(display, line, 1), "binary file (NUL byte), expected UTF-8 YAML text"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InputError.at(
            Span(display, line, column),
            f"invalid UTF-8 byte 0x{raw[exc.start]:02x}; save the file as UTF-8",
        ) from None
    check_nesting(text, display)
    return text


def check_nesting(text: str, display: str) -> None:
    """Refuse nesting that could exhaust libyaml's C stack, before it sees the text."""
    _check_flow_depth(text, display)
    deep = _DEEP_BLOCK.search(text)
    if deep is not None:
        line = text.count("\n", 0, deep.start()) + 1
        raise InputError.at(
            Span(display, line, 1),
            f"indentation and block indicators wider than {MAX_INDENT} columns (nesting too "
            "deep); no file this tool reads nests so deep",
        )


def _check_flow_depth(text: str, display: str) -> None:
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return  # not enough openers to nest that deep: no need to walk them
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_FLOW_DEPTH:
            line = text.count("\n", 0, match.start()) + 1
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            raise InputError.at(
                Span(display, line, column),
                f"nesting deeper than {MAX_FLOW_DEPTH} levels; no file this tool reads nests so "
                "deep",
            )


def compose(text: str, display: str) -> Node | None:
    """Parse one YAML document into nodes; syntax errors become diagnostics with a position."""
    loader = _Loader(text)
    # Composed nodes hold no reference cycles (an alias to an ancestor, the only way to make
    # one, is collected after re-enabling), yet every allocation counts towards a collection
    # that rescans the whole growing tree: a large file composed 4x slower with gc on.
    collecting = gc.isenabled()
    gc.disable()
    try:
        root: Node | None = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "invalid YAML"
        mark = exc.problem_mark or exc.context_mark
        if "expected ':'" in problem and exc.context_mark is not None:
            mark = exc.context_mark  # the key missing its colon, not the line after it
        span = Span(display, mark.line + 1, mark.column + 1) if mark else Span(display, 1, 1)
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        raise InputError.at(
            span, f"YAML syntax: {problem}{context}{_syntax_hint(problem)}"
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML refuses: no mark, a position
        raise InputError.at(
            _reader_span(text, exc, display),
            f"{_kind(chr(exc.character))} U+{exc.character:04X} in the text, which YAML does "
            "not allow; remove it",
        ) from None
    except yaml.YAMLError as exc:
        raise InputError.at(Span(display, 1, 1), f"YAML: {exc}") from None
    except RecursionError:
        raise InputError.at(Span(display, 1, 1), "nesting too deep to parse") from None
    finally:
        loader.dispose()
        if collecting:
            gc.enable()
    if root is not None and _MAY_CONTROL.search(text):
        _refuse_control_characters(root, display)
    return root


def _syntax_hint(problem: str) -> str:
    """What to do about the YAML mistakes a newcomer makes most, by libyaml's or PyYAML's
    wording of them; else nothing (the problem and its position say enough)."""
    if "tab character" in problem or "'\\t'" in problem:
        return "; indent with spaces: YAML does not allow tabs for indentation"
    if "expected ':'" in problem:
        return "; write a key as `key: value`, with a space after the colon"
    if "mapping values are not allowed" in problem:
        return "; quote a value that holds ': ' (`name: \"A: B\"`)"
    return ""


def _reader_span(text: str, exc: yaml.reader.ReaderError, display: str) -> Span:
    """Where the character the YAML reader refused is. libyaml gives its position in UTF-8
    bytes, PyYAML in characters; either reader stops at the first character it refuses, so
    that is the first of its kind in the text."""
    index = text.find(chr(exc.character))
    if index < 0:  # not a character of the text (never seen): its position, at worst nearby
        index = min(exc.position, len(text))
    line = text.count("\n", 0, index) + 1
    return Span(display, line, index - (text.rfind("\n", 0, index) + 1) + 1)


def _kind(char: str) -> str:
    return "noncharacter" if char in _NONCHARACTERS else "control character"


def _refuse_control_characters(root: Node, display: str) -> None:
    """Every scalar, keys included, is free of control characters other than tab and newline
    (each node is visited once, however many aliases point at it)."""
    problems: list[Diagnostic] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            found = _CONTROL.search(node.value)
            if found is not None:
                problems.append(
                    diagnostic(
                        node,
                        display,
                        f"{_kind(found.group())} U+{ord(found.group()):04X} in a value; remove "
                        "it (only tab and newline may appear in text)",
                    )
                )
        elif isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
        else:
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
    if problems:
        problems.sort()
        if len(problems) > MAX_CONTROL_ERRORS:
            more = len(problems) - MAX_CONTROL_ERRORS
            problems[MAX_CONTROL_ERRORS:] = [
                Diagnostic(
                    problems[MAX_CONTROL_ERRORS].span,
                    f"{more} more values with control characters; remove them all",
                )
            ]
        raise InputError(problems)


def unshowable_name(path: str) -> Diagnostic | None:
    """An input error for a file whose name cannot be printed as it is (see `_UNSHOWABLE`),
    located at the name escaped; None for every other name. Such a file is never read."""
    bad = _UNSHOWABLE.search(path)
    if bad is None:
        return None
    char = bad.group()
    what = (
        f"byte 0x{ord(char) - 0xDC00:02X} that is not UTF-8"
        if "\udc80" <= char <= "\udcff"
        else f"{_kind(char)} U+{ord(char):04X}"
    )
    return Diagnostic(
        Span(escaped_name(path), 1, 1),
        f"file name holds a {what} (shown escaped); rename the file: a name printed as it is "
        "could forge lines of the terminal or CI log",
    )


def escaped_name(path: str) -> str:
    """`path` with each character `_UNSHOWABLE` refuses written as an escape (`\\n`, `\\x1b`,
    `\\xe9` for a byte that is not UTF-8), so that it prints on one line as it reads."""
    return _UNSHOWABLE.sub(_escape, path)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte Python could not decode (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(match.group())
    return named or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def load_document(path: Path, display: str | None = None) -> Document:
    """Read, decode and compose a YAML file; `display` is the path shown in messages."""
    shown = display if display is not None else str(path)
    raw = read_bytes(path, shown)
    text = decode(raw, shown)
    return Document(shown, raw, compose(text, shown))


def load_text(text: str, display: str) -> Document:
    """Compose YAML given as text (rule examples, tests)."""
    raw = text.encode("utf-8")
    check_nesting(text, display)
    return Document(display, raw, compose(text, display))


def span_of(node: Node, path: str) -> Span:
    return Span(path, node.start_mark.line + 1, node.start_mark.column + 1)


def diagnostic(node: Node, path: str, message: str) -> Diagnostic:
    return Diagnostic(span_of(node, path), message)

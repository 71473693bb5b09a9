"""Could another YAML parser make loading cheaper? Times libyaml (what the loader uses) against
rapidyaml (C++, `pip install rapidyaml`) and yaml-rs (Rust, `pip install yaml-rs`) on the
generated corpus, in one process, and checks a prototype rapidyaml composer against ours.

    python benchmarks/parsers.py [COUNT]      # default: 300 generated files

Rows, in ms per file (best of five passes):
- raw parse: each parser's own call on the text, producing whatever it produces;
- what the converter needs: a tree holding each scalar's text as written, its tag and style,
  and each node's line and column. libyaml's compose gives it at once; rapidyaml's Python
  binding (SWIG) has no node positions, so the prototype below reads each scalar's byte offset
  from the address of the memoryview rapidyaml hands back (an in-place parse points into our
  buffer) and walks the tree one SWIG call at a time; yaml-rs returns plain Python objects
  (no positions, no tags, no styles), so it has no such row;
- end to end: that tree converted to a `Deployment`, today's `parse_deployment`.

The prototype is not wired into the tool: it is here to be measured, and it shows what the
binding cannot give (see `ryml_compose`). A candidate that is not installed is left out.
"""

from __future__ import annotations

import bisect
import ctypes
import gc
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import yaml
from corpus import write
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from residency_audit.format import parse_deployment
from residency_audit.loader import Document, compose, decode

try:
    import ryml
except ImportError:
    ryml = None
try:
    import yaml_rs
except ImportError:
    yaml_rs = None

_TAG = "tag:yaml.org,2002:"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_NEWLINE = re.compile(b"\n")
if ryml is not None:
    KEY, VALNIL = ryml.KEY, ryml.VALNIL
    VAL, MAP, SEQ, FLOW = ryml.VAL, ryml.MAP, ryml.SEQ, ryml.FLOW_SL | ryml.FLOW_ML
    KEYREF, VALREF, KEYANCH, VALANCH = ryml.KEYREF, ryml.VALREF, ryml.KEYANCH, ryml.VALANCH
    KEYTAG, VALTAG, KEY_DQUO, KEY_SQUO = ryml.KEYTAG, ryml.VALTAG, ryml.KEY_DQUO, ryml.KEY_SQUO
    VAL_DQUO, VAL_SQUO = ryml.VAL_DQUO, ryml.VAL_SQUO
    VAL_LITERAL, VAL_FOLDED = ryml.VAL_LITERAL, ryml.VAL_FOLDED


class _PyBuffer(ctypes.Structure):
    _fields_ = [
        ("buf", ctypes.c_void_p),
        ("obj", ctypes.c_void_p),
        ("len", ctypes.c_ssize_t),
        ("itemsize", ctypes.c_ssize_t),
        ("readonly", ctypes.c_int),
        ("ndim", ctypes.c_int),
        ("format", ctypes.c_char_p),
        ("shape", ctypes.c_void_p),
        ("strides", ctypes.c_void_p),
        ("suboffsets", ctypes.c_void_p),
        ("internal", ctypes.c_void_p),
    ]


_get_buffer = ctypes.pythonapi.PyObject_GetBuffer
_get_buffer.argtypes = [ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int]
_release = ctypes.pythonapi.PyBuffer_Release
_release.argtypes = [ctypes.POINTER(_PyBuffer)]


def _address(view: memoryview, scratch: _PyBuffer = _PyBuffer()) -> int:  # noqa: B008
    """Where a memoryview's bytes start: the binding offers no other way to a node's place."""
    _get_buffer(view, ctypes.byref(scratch), 0)
    address: int = scratch.buf
    _release(ctypes.byref(scratch))
    return address


def ryml_compose(text: str) -> tuple[Node | None, int]:
    """Compose `text` with rapidyaml into PyYAML nodes (what the converter reads), and count
    the nodes whose position had to be guessed: the binding gives none, so a scalar's is the
    offset of its text (a quote before it, if quoted), and a collection's, an empty value's and
    a block scalar's (`|`, `>`) are borrowed from a neighbour. Raises ValueError where the
    loader would raise an input error (several documents, an unknown anchor).

    Written for speed within the binding: one call for a node's type bits, tested in Python,
    and the SWIG functions called directly rather than through `ryml.Tree`'s methods."""
    assert ryml is not None
    raw = ryml._ryml
    buf = bytearray(text.encode("utf-8"))
    base = ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf)) if buf else 0
    # Line starts are taken before parsing: the in-place parse rewrites the buffer where it
    # unescapes and folds scalars (a quoted value's line break is gone from it afterwards).
    # Columns count bytes: a line holding `é` before the value is one column off.
    starts = [0, *(m.end() for m in _NEWLINE.finditer(buf))]
    t = ryml.parse_in_place(buf)
    kind, key_of, val_of = raw.Tree_type, raw.Tree_key, raw.Tree_val
    first, after, none = raw.Tree_first_child, raw.Tree_next_sibling, ryml.NONE
    guessed = [0]
    anchors: dict[str, Node] = {}

    def mark(offset: int) -> Mark:
        line = bisect.bisect_right(starts, offset) - 1
        return Mark("", offset, line, offset - starts[line], None, None)

    def scalar(view: memoryview | None, tag: Any, style: str | None, near: int) -> ScalarNode:
        if view is None:
            guessed[0] += 1
            value, offset = "", near
        else:
            value = str(view, "utf-8")
            offset = _address(view) - base
            if style in ('"', "'"):
                offset -= 1
            elif style in ("|", ">"):
                guessed[0] += 1  # the indicator is on an earlier line
        if tag is None:
            tag = f"{_TAG}null" if style is None and value in _NULLS else f"{_TAG}str"
        return ScalarNode(tag, value, mark(offset), None, style)

    def tag_of(view: memoryview) -> str:
        written = str(view, "utf-8")
        if written.startswith("!!"):
            return _TAG + written[2:]
        return written  # `!x`, `<verbatim>`, `!handle!x`: kept, so refused as unknown

    def referred(view: memoryview) -> Node:
        name = str(view, "utf-8")
        if name not in anchors:
            raise ValueError(f"unknown anchor {name!r}")
        return anchors[name]

    def value(n: int, flags: int, near: int) -> Node:
        if flags & VALREF:
            return referred(raw.Tree_val_ref(t, n))
        tag = tag_of(raw.Tree_val_tag(t, n)) if flags & VALTAG else None
        node: Node
        if flags & MAP:
            pairs = []
            c = first(t, n)
            while c != none:
                f = kind(t, c)
                k = key(c, f)
                pairs.append((k, value(c, f, k.start_mark.index)))
                c = after(t, c)
            at = pairs[0][0].start_mark if pairs else mark(near)
            node = MappingNode(tag or f"{_TAG}map", pairs, at, None, bool(flags & FLOW))
            guessed[0] += 1  # libyaml marks a `{`; this is the first key's
        elif flags & SEQ:
            items = []
            c = first(t, n)
            while c != none:
                items.append(value(c, kind(t, c), near))
                c = after(t, c)
            at = items[0].start_mark if items else mark(near)
            node = SequenceNode(tag or f"{_TAG}seq", items, at, None, bool(flags & FLOW))
            guessed[0] += 1  # libyaml marks the `-` or `[`; this is the first item's
        else:
            style = (
                '"' if flags & VAL_DQUO else "'" if flags & VAL_SQUO
                else "|" if flags & VAL_LITERAL else ">" if flags & VAL_FOLDED else None
            )  # fmt: skip
            node = scalar(val_of(t, n), tag, style, near)
        if flags & VALANCH:
            anchors[str(raw.Tree_val_anchor(t, n), "utf-8")] = node
        return node

    def key(n: int, flags: int) -> Node:
        if flags & KEYREF:
            return referred(raw.Tree_key_ref(t, n))
        tag = tag_of(raw.Tree_key_tag(t, n)) if flags & KEYTAG else None
        style = '"' if flags & KEY_DQUO else "'" if flags & KEY_SQUO else None
        node = scalar(key_of(t, n), tag, style, 0)
        if flags & KEYANCH:
            anchors[str(raw.Tree_key_anchor(t, n), "utf-8")] = node
        return node

    root = t.root_id()
    if t.is_stream(root):
        if t.num_children(root) != 1:
            raise ValueError("expected a single document")
        root = t.first_child(root)
    flags = kind(t, root)
    if not flags & (MAP | SEQ | VAL):
        return None, 0
    return value(root, flags, 0), guessed[0]


def best(fn: Callable[[Any], object], inputs: Sequence[Any]) -> float:
    """Milliseconds per input, best of five passes, with the collector off (as the loader):
    the best pass is the one other work on the machine disturbed least."""
    times = []
    for _ in range(5):
        gc.disable()
        start = time.perf_counter()
        for item in inputs:
            fn(item)
        times.append(time.perf_counter() - start)
        gc.enable()
    return min(times) * 1000 / len(inputs)


def _load_ours(text: str) -> object:
    return parse_deployment(Document("f.yaml", b"", compose(text, "f.yaml")))


def _load_ryml(text: str) -> object:
    return parse_deployment(Document("f.yaml", b"", ryml_compose(text)[0]))


def _json_ryml(data: bytes) -> object:
    """rapidyaml's fastest way to Python objects: one call to emit JSON, one to read it (no
    positions, no tags, and numbers no longer as written: `1.10` reads back as 1.1)."""
    return json.loads(ryml.emit_json(ryml.parse_in_arena(data)))


def _walk_ryml(data: bytes) -> int:
    """rapidyaml's floor through its binding: per node, one SWIG call for its type bits, one
    per child link and one for its key and value text, decoded; no tags, anchors, positions."""
    raw = ryml._ryml
    t = ryml.parse_in_arena(data)
    kind, key_of, val_of = raw.Tree_type, raw.Tree_key, raw.Tree_val
    first, after, none = raw.Tree_first_child, raw.Tree_next_sibling, ryml.NONE
    stack, count = [t.root_id()], 0
    while stack:
        n = stack.pop()
        flags = kind(t, n)
        if flags & KEY:
            str(key_of(t, n), "utf-8")
        if flags & VAL and not flags & VALNIL:
            str(val_of(t, n), "utf-8")
        count += 1
        c = first(t, n)
        while c != none:
            stack.append(c)
            c = after(t, c)
    return count


def compare(texts: Sequence[str]) -> str:
    """How the prototype's deployments and spans differ from today's, over the corpus."""
    same_model = spans = spans_differ = guessed = 0
    for text in texts:
        ours = _load_ours(text)
        root, guesses = ryml_compose(text)
        guessed += guesses
        theirs = parse_deployment(Document("f.yaml", b"", root))
        same_model += ours == theirs
        here, there = dict(ours.locations.items()), dict(theirs.locations.items())  # type: ignore[attr-defined]
        spans += len(here)
        spans_differ += sum(here[k] != there.get(k) for k in here)
    return (
        f"rapidyaml prototype: {same_model}/{len(texts)} deployments equal to today's; "
        f"{spans_differ} of {spans} value positions differ; {guessed} node positions guessed"
    )


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = write(Path(tmp), count)
        raws = [p.read_bytes() for p in paths]
    texts = [decode(raw, "f.yaml") for raw in raws]
    rows: list[tuple[str, str, float]] = [
        (
            "raw parse",
            "libyaml yaml.load (CSafeLoader, objects)",
            best(lambda s: yaml.load(s, Loader=yaml.CSafeLoader), texts),
        ),
        (
            "raw parse",
            "libyaml compose (loader.compose, nodes)",
            best(lambda s: compose(s, "f"), texts),
        ),
    ]
    if yaml_rs is not None:
        rows.append(("raw parse", "yaml-rs loads (objects, no positions)",
                     best(lambda s: yaml_rs.loads(s, parse_datetime=False), texts)))  # fmt: skip
    if ryml is not None:
        rows += [
            ("raw parse", "rapidyaml parse_in_arena (C++ tree)", best(ryml.parse_in_arena, raws)),
            ("raw parse", "rapidyaml + emit_json + json.loads (objects)", best(_json_ryml, raws)),
            ("tree", "rapidyaml + walk: text only", best(_walk_ryml, raws)),
            ("tree", "rapidyaml + prototype composer (nodes)", best(ryml_compose, texts)),
        ]
    rows.append(("end to end", "libyaml compose + convert (today)", best(_load_ours, texts)))
    if ryml is not None:
        rows.append(("end to end", "rapidyaml prototype + convert", best(_load_ryml, texts)))
    reference = rows[1][2]
    print(f"parsers: {count} generated deployments, ms per file (x = vs libyaml compose)")
    for stage, name, ms in rows:
        print(f"  {stage:<11}{name:<44}{ms:>8.3f}{ms / reference:>7.2f}x")
    if ryml is not None:
        print(compare(texts))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)

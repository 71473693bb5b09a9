"""A saved result read member by member gives what `json.loads` gives, the same errors at the
same places, and never holds the whole document."""

from __future__ import annotations

import functools
import io
import json
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from residency_audit import jsonstream
from residency_audit.cli import app
from residency_audit.jsonstream import JSONStreamError, read_object
from residency_audit.pipeline import Options, run
from residency_audit.reporters.json import to_dict
from tests.conftest import AS_OF, SAMPLES

LISTS = ("findings", "flows", "checks")


def streamed(text: bytes, chunk: int) -> dict[str, Any]:
    """What read_object gives, with the streamed lists put back in place (all three: an empty
    list and no list are one to the callbacks)."""
    items: dict[str, list[Any]] = {k: [] for k in LISTS}
    out = read_object(io.BytesIO(text), {k: items[k].append for k in LISTS}, chunk=chunk)
    return {**out, **items}


def loaded(text: bytes) -> Any:
    """What json.loads gives, with the lists `streamed` always has."""
    return {**{k: [] for k in LISTS}, **json.loads(text)}


@functools.cache
def sample_result() -> bytes:
    """The JSON result of the bundled samples (a function, not a fixture: hypothesis would
    print a fixture's 60 KB with every failing example)."""
    report = run(Options(paths=sorted(SAMPLES.glob("*.yaml")), as_of=AS_OF))
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False).encode()


@pytest.fixture
def result() -> bytes:
    return sample_result()


@pytest.mark.parametrize("chunk", [1, 3, 97, 4096, 1 << 20])
def test_a_result_reads_as_json_loads_reads_it_whatever_the_chunks(
    result: bytes, chunk: int
) -> None:
    expected = loaded(result)
    assert expected["findings"] and expected["flows"] and expected["checks"]
    assert streamed(result, chunk) == expected


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    members=st.dictionaries(st.text(max_size=8), json_values, max_size=5),
    lists=st.dictionaries(st.sampled_from(LISTS), st.lists(json_values, max_size=4)),
    indent=st.sampled_from([None, 0, 2]),
    chunk=st.integers(1, 64),
)
def test_any_object_reads_as_json_loads_reads_it(
    members: dict[str, Any], lists: dict[str, list[Any]], indent: int | None, chunk: int
) -> None:
    document = {**{k: v for k, v in members.items() if k not in LISTS}, **lists}
    text = json.dumps(document, indent=indent, ensure_ascii=False).encode()
    assert streamed(text, chunk) == loaded(text)


@settings(max_examples=300, deadline=None)
@given(cut=st.integers(0, 10_000), junk=st.sampled_from(["", "x", "]", "}", ",", '"', "1e"]))
def test_broken_results_fail_where_json_loads_fails(cut: int, junk: str) -> None:
    """A truncated or corrupted result is refused at the line and column json.loads names (and
    read as it reads it, in the rare case it is whole again)."""
    whole = sample_result().decode()
    text = (whole[: cut % len(whole)] + junk).encode()
    try:
        json.loads(text)
    except json.JSONDecodeError as expected:
        with pytest.raises(JSONStreamError) as got:
            streamed(text, 7)
        if not text.startswith(b"{"):  # json.loads reads any value; a result is an object
            assert (got.value.msg, got.value.colno) == ("Expecting '{' (a JSON object)", 1)
            return
        assert (got.value.lineno, got.value.colno) == (expected.lineno, expected.colno)
        assert got.value.msg == expected.msg
    else:  # `{` and `}`: whole again
        assert streamed(text, 7) == loaded(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"[1, 2]", "Expecting '{' (a JSON object) (line 1, column 1)"),
        (b'{"a": 1,\n "a": 2}', "member 'a' given twice (line 2, column 2)"),
        (b'{"findings": {"a": 1}}', "Expecting a list for 'findings' (line 1, column 14)"),
        (b'{"a": 1}\n{"b": 2}', "Extra data (line 2, column 1)"),
    ],
)
def test_what_json_loads_would_take_but_no_result_is(text: bytes, message: str) -> None:
    with pytest.raises(JSONStreamError, match=message.replace("(", r"\(").replace(")", r"\)")):
        streamed(text, 4)


def test_a_value_too_large_is_refused_without_reading_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonstream, "MAX_VALUE", 1000)
    text = b'{"a": "' + b"x" * 5000 + b'"}'
    with pytest.raises(JSONStreamError, match="a value larger than"):
        streamed(text, 100)


def test_reading_a_large_result_holds_one_item_at_a_time(result: bytes) -> None:
    """Forty copies of the samples' findings (some 10 MB): the reader's own memory stays that
    of a few chunks, not the document's."""
    data = json.loads(result)
    data["findings"] = data["findings"] * 40
    text = json.dumps(data, indent=2).encode()
    assert len(text) > 5_000_000
    count = 0

    def take(item: Any) -> None:
        nonlocal count
        count += 1

    tracemalloc.start()
    try:
        read_object(io.BytesIO(text), {"findings": take})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == len(data["findings"])
    assert peak < 2_000_000, peak


class Counted(io.BytesIO):
    """Bytes read, so a test can tell the reader stopped."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.read_bytes += len(data)
        return data


def test_a_corrupt_byte_is_reported_where_it_is_without_reading_the_rest() -> None:
    """One `false` made `fals3` in a finding: json.loads's message and place, and not the rest
    of a long file read in search of the value's end (it said "a value larger than 64 MiB")."""
    data = json.loads(sample_result())
    data["findings"] = data["findings"] * 200
    text = json.dumps(data, indent=2).encode()
    cut = text.index(b'"unverifiable": false', len(text) // 4)
    broken = text[:cut] + b'"unverifiable": fals3' + text[cut + len(b'"unverifiable": false') :]
    with pytest.raises(json.JSONDecodeError) as loaded_error:
        json.loads(broken)
    expected = loaded_error.value
    handle = Counted(broken)
    with pytest.raises(JSONStreamError) as got:
        read_object(handle, {k: lambda item: None for k in LISTS})
    assert (got.value.msg, got.value.lineno, got.value.colno) == (
        expected.msg,
        expected.lineno,
        expected.colno,
    )
    assert handle.read_bytes < cut + 4 * jsonstream.CHUNK


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_are_not_json(constant: bytes) -> None:
    with pytest.raises(JSONStreamError, match="is not a JSON number") as got:
        streamed(b'{"summary": {"p": ' + constant + b"}}", 5)
    assert got.value.syntax


def test_members_not_kept_are_read_and_dropped_item_by_item() -> None:
    """A member no result has (a list of a hundred thousand objects) is checked and dropped,
    not held (it took 1.5 GB at 20 million)."""
    text = b'{"tool": 1, "junk": [' + b",".join([b"{}"] * 100_000) + b'], "other": {"a": 1}}'
    tracemalloc.start()
    try:
        out = read_object(io.BytesIO(text), keep=frozenset({"tool"}))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out == {"tool": 1}
    assert peak < 1_000_000, peak


def test_a_value_one_byte_over_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit is the limit: a value up to twice as long was read before the check."""
    monkeypatch.setattr(jsonstream, "MAX_VALUE", 1000)
    for size, refused in ((990, False), (1001, True), (1900, True)):
        text = b'{"a": "' + b"x" * size + b'"}'
        if refused:
            with pytest.raises(JSONStreamError, match="a value larger than"):
                streamed(text, 100)
        else:
            assert streamed(text, 100)["a"] == "x" * size


def test_too_many_members_are_refused() -> None:
    members = b",".join(b'"k%d": 0' % i for i in range(jsonstream.MAX_MEMBERS + 1))
    with pytest.raises(JSONStreamError, match="more than 1000 members"):
        streamed(b"{" + members + b"}", 4096)


# A list not needed (a member no result has, or a result's list a reader does not use) is
# checked in runs, not item by item: what it refuses, and where, is still what json.loads says.

STRICT = json.JSONDecoder(
    parse_constant=jsonstream._constant,
    parse_float=jsonstream._finite,
    object_pairs_hook=jsonstream._once,
)


def _dropped(text: bytes, chunk: int) -> dict[str, Any]:
    return read_object(io.BytesIO(text), keep=frozenset({"kept"}), chunk=chunk)


@settings(max_examples=300, deadline=None)
@given(
    items=st.lists(json_values, min_size=1, max_size=8),
    repeat=st.integers(1, 400),
    indent=st.sampled_from([None, 0, 2]),
    chunk=st.sampled_from([1, 7, 64, 4096, 1 << 16]),
    at=st.integers(0, 1 << 30),
    junk=st.sampled_from(["", "x", "]", "}", ",", '"', "1e", "[", "{", ":", " ,", "\\"]),
)
def test_a_list_not_needed_is_refused_where_json_loads_refuses_it(
    items: list[Any], repeat: int, indent: int | None, chunk: int, at: int, junk: str
) -> None:
    """A long list not needed, one character of it replaced (or none): read as json.loads reads
    it, or refused at the line and column where json.loads refuses it."""
    document = {"kept": 1, "junk": items * repeat, "after": [2]}
    whole = json.dumps(document, indent=indent, ensure_ascii=False)
    start = whole.index('"junk"')
    place = start + at % (whole.index('"after"') - start)
    text = (whole[:place] + junk + whole[place + (1 if junk else 0) :]).encode()
    try:
        STRICT.decode(text.decode())
    except json.JSONDecodeError as expected:
        with pytest.raises(JSONStreamError) as got:
            _dropped(text, chunk)
        assert (got.value.msg, got.value.lineno, got.value.colno) == (
            expected.msg,
            expected.lineno,
            expected.colno,
        )
    except ValueError:  # valid JSON no result holds (a name twice, 1e400): refused too
        with pytest.raises(JSONStreamError):
            _dropped(text, chunk)
    else:
        assert _dropped(text, chunk) == {"kept": 1}


@pytest.mark.parametrize(
    ("items", "place"),
    [
        ("[ ,0]", (1, 23)),  # read as an empty item before the comma, and skipped
        ("[0, ,0]", (1, 25)),
        ("[[0], ,[0]]", (1, 27)),
        ('["a", ,"b"]', (1, 27)),
    ],
)
def test_an_empty_item_in_a_list_not_needed_is_refused(items: str, place: tuple[int, int]) -> None:
    text = b'{"kept": 1, "junk": ' + items.encode() + b"}"
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    assert (expected.value.lineno, expected.value.colno) == place
    with pytest.raises(JSONStreamError, match="Expecting value") as got:
        _dropped(text, 1 << 16)
    assert (got.value.lineno, got.value.colno) == place


REFUSED_IN_RUNS = {
    "a member twice": ('{"a": [1], "b": {"c": 1, "c": 2}}', "member 'c' given twice"),
    "a number no float holds": ('{"a": [1, 2e400]}', "too large for a float"),
    "a lone surrogate": ('{"a": ["\\udc00"]}', "lone surrogate"),
    "a lone surrogate after a pair": ('["\\ud83d\\ude00\\ud800"]', "lone surrogate"),
    "NaN": ("[0, NaN]", "NaN is not a JSON number"),
}


@pytest.mark.parametrize("name", sorted(REFUSED_IN_RUNS))
@pytest.mark.parametrize("varied", [False, True], ids=["repeated", "varied"])
def test_what_no_result_holds_is_refused_deep_in_a_long_list_not_needed(
    name: str, varied: bool
) -> None:
    """One bad item after twenty thousand good ones, in a list not needed: refused at its line
    (the items are one a line), as item by item."""
    bad, message = REFUSED_IN_RUNS[name]
    good = [f'{{"a": [{i % 7 if varied else 0}], "b": "x"}}' for i in range(20_000)]
    lines = ["{", '"kept": 1,', '"junk": [', ",\n".join([*good, bad, *good]), "]}"]
    text = "\n".join(lines).encode()
    with pytest.raises(JSONStreamError, match=message) as got:
        _dropped(text, 1 << 16)
    assert got.value.lineno == 4 + len(good)


def test_a_list_not_needed_that_closes_in_a_run_reads_on_after_it() -> None:
    items = ",".join(f'[{i % 10}, {{"k": {i}}}]' for i in range(30_000))
    text = f'{{"junk": [{items}], "kept": {{"a": [1, 2]}}, "z": 3}}'.encode()
    assert _dropped(text, 1 << 16) == {"kept": {"a": [1, 2]}}
    with pytest.raises(JSONStreamError, match="Extra data"):
        _dropped(text + b"]", 1 << 16)


def _python_lines(document: bytes) -> int:
    """Lines of jsonstream's Python run to read `document` (its cost in Python, not in C)."""
    count = 0

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if frame.f_code.co_filename != jsonstream.__file__:
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        read_object(io.BytesIO(document), keep=frozenset())
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize(
    "items",
    [
        ["[0]"] * 300_000,
        ['{"a": []}'] * 200_000,
        ["[" * 30 + "0" + "]" * 30] * 20_000,
        [f"[{i % 10}, 1]" for i in range(200_000)],
        [f'{{"a": {i % 10}, "b": "x,y]"}}' for i in range(100_000)],
        [f"{i}.5" for i in range(300_000)],
    ],
    ids=["lists", "objects", "deep", "varied lists", "varied objects", "varied numbers"],
)
def test_nested_items_not_needed_cost_per_chunk_not_per_item(items: list[str]) -> None:
    """Item by item, ten million `[0]` took 20 s (some thirty lines of Python an item, 2,000
    items a chunk); now lines of Python run per chunk read, not per item."""
    document = f'{{"unknown": [{",".join(items)}]}}'.encode()
    assert _python_lines(document) < 1000 * len(document) // jsonstream.CHUNK + 200


@pytest.mark.parametrize(
    ("raw", "place"),
    [
        (b'{"a": 1,\n "b": "caf\xe9"}', (2, 11)),
        (b'\xef\xbb\xbf{"a": "\xff"}', (1, 8)),  # the BOM is not a column
        (b'{"a": "\xc3"}', (1, 8)),  # a sequence cut short
        (b'{"a": "' + "é".encode() * 100_000 + b'",\n\n"b": "x\xe9"}', (3, 8)),
    ],
    ids=["latin-1", "after a BOM", "cut short", "after 100,000 characters"],
)
@pytest.mark.parametrize("chunk", [3, 1 << 16])
def test_a_byte_that_is_not_utf8_is_refused_where_it_is(
    raw: bytes, place: tuple[int, int], chunk: int
) -> None:
    with pytest.raises(JSONStreamError, match="invalid UTF-8 byte 0x") as got:
        read_object(io.BytesIO(raw), chunk=chunk)
    assert (got.value.lineno, got.value.colno) == place
    assert got.value.syntax


def test_members_are_placed_where_their_values_are() -> None:
    places: dict[str, tuple[int, int]] = {}
    text = b'{"a": 1,\n  "junk": [0, 0],\n  "b":\n   {"c": 2}}'
    out = read_object(io.BytesIO(text), keep=frozenset({"a", "b"}), places=places, chunk=3)
    assert out == {"a": 1, "b": {"c": 2}}
    assert places == {"a": (1, 7), "junk": (2, 11), "b": (4, 4)}


def test_report_skips_a_member_not_needed_and_renders_as_without_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Issue 8: a saved result with a member no result has, a list of two million zeros (it
    took 4.5 s at 25 million), renders as the result does without it."""
    plain, padded = tmp_path / "plain.json", tmp_path / "padded.json"
    plain.write_bytes(sample_result())
    padded.write_bytes(sample_result()[:-2] + b',\n"junk": [' + b"0," * 2_000_000 + b"0]\n}")
    expected = runner.invoke(app, ["report", str(plain), "-f", "text"])
    got = runner.invoke(app, ["report", str(padded), "-f", "text"])
    assert expected.exit_code == 1, expected.output
    assert (got.exit_code, got.stdout) == (expected.exit_code, expected.stdout)


def test_report_says_where_a_byte_that_is_not_utf8_is(runner: CliRunner, tmp_path: Path) -> None:
    """It said `1:1` (\"not UTF-8 text\") wherever the byte was; a deployment's loader says
    where."""
    text = sample_result().decode()
    at = text.index('"as_of"')
    line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at) + 4
    broken = tmp_path / "latin-1.json"
    broken.write_bytes(text[:at].encode() + b'"as_\xe9f"' + text[at + 7 :].encode())
    result = runner.invoke(app, ["report", str(broken), "-f", "text"])
    assert result.exit_code == 2
    assert f"{broken}:{line}:{column}: error: invalid JSON: invalid UTF-8 byte 0xe9" in (
        result.output
    )

"""A saved result read member by member gives what `json.loads` gives, the same errors at the
same places, and never holds the whole document."""

from __future__ import annotations

import functools
import io
import json
import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from residency_audit import jsonstream
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

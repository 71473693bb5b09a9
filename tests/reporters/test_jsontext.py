"""The fast indented encoder writes exactly what `json.dumps(indent=2, ensure_ascii=False)`
writes: the JSON result's bytes must not depend on which of the two produced them."""

from __future__ import annotations

import json
from enum import IntEnum, StrEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from residency_audit.reporters.jsontext import dumps


class Level(IntEnum):
    HIGH = 3


class Kind(StrEnum):
    STORE = "store"


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and the infinities included, as json writes them
    | st.text()  # quotes, control characters, non-ASCII, lone surrogates
    | st.sampled_from([Level.HIGH, Kind.STORE])
)
KEYS = st.text() | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none()
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(KEYS, inner, max_size=4)
    ),
    max_leaves=30,
)


@given(VALUES)
def test_same_text_as_json_dumps(value: Any) -> None:
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


@given(VALUES)
def test_a_margin_indents_every_line_after_the_first(value: Any) -> None:
    expected = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n    ")
    assert dumps(value, margin="    ") == expected


def test_what_json_rejects_is_rejected() -> None:
    with pytest.raises(TypeError):
        dumps({"when": object()})
    with pytest.raises(TypeError):
        dumps({(1, 2): "tuple key"})

"""Faster pickling of our frozen, slotted dataclasses (the parse cache, batch worker results).

For such a class `dataclasses` generates `__getstate__`/`__setstate__` that call `fields()` on
every object; unpickling the cached knowledge base and rule packs (about 2,000 objects) spent
most of its time there. `install` gives each class a pair bound to its field names, computed
once. The state is the same sequence of field values in field order, so a pickle written with
either pair loads with the other.
"""

from __future__ import annotations

import dataclasses
import sys
from operator import attrgetter
from typing import Any

_DONE: set[type] = set()


def install() -> None:
    """Faster state methods for every frozen, slotted dataclass of our modules imported so far
    (classes imported later keep the dataclasses pair: slower, same pickles)."""
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "residency_audit" or name.startswith("residency_audit.")):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, type) and value not in _DONE and _eligible(value):
                _speed_up(value)


def _eligible(cls: type) -> bool:
    params = cls.__dict__.get("__dataclass_params__")
    return (
        params is not None
        and params.frozen
        and "__slots__" in cls.__dict__
        and "__setstate__" in cls.__dict__
    )


def _speed_up(cls: type) -> None:
    names = tuple(f.name for f in dataclasses.fields(cls))
    setter = object.__setattr__
    if len(names) < 2:  # attrgetter of one name returns the value, of none raises

        def __getstate__(self: Any) -> tuple[Any, ...]:
            return tuple(getattr(self, name) for name in names)

    else:
        get = attrgetter(*names)

        def __getstate__(self: Any) -> tuple[Any, ...]:
            return get(self)

    def __setstate__(self: Any, state: Any) -> None:
        for name, value in zip(names, state, strict=False):
            setter(self, name, value)

    setattr(cls, "__getstate__", __getstate__)  # noqa: B010 (mypy: methods are read-only)
    setattr(cls, "__setstate__", __setstate__)  # noqa: B010
    _DONE.add(cls)

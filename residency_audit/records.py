"""`record`: how the project declares its frozen dataclasses, and their shared `Record` base.

`dataclasses` generates each method of each class with `exec`; with about 120 classes that was
most of the CLI's start-up time. `Record` supplies once the methods that need nothing
class-specific: `__repr__`, equality and hashing over the fields that take part in comparison,
and pickling through `__reduce__` (the parse cache and batch workers pickle these objects; the
generated state methods of frozen slotted dataclasses call `fields()` for every object).
`@record` is `@dataclass(frozen=True, slots=True)` without the generated repr and eq, and
with the rest made cheaper: `Record.__setattr__`/`__delattr__` refuse assignment for every
class (dataclasses would `exec` both for each frozen class), and a class's `__init__` is
generated on its first call, so the many classes only ever unpickled from the parse cache
(knowledge base, rules) never pay for one. Start-up time of a one-file check was a third
record decoration before this.

    @record
    class Span(Record):
        path: str
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields, replace
from itertools import repeat
from operator import attrgetter, call
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T", bound=type)
R = TypeVar("R", bound="Record")

_NAMES: dict[type, tuple[str, ...]] = {}
_COMPARED: dict[type, Callable[[Any], tuple[Any, ...]]] = {}
_STATE: dict[type, Callable[[Any], tuple[Any, ...]]] = {}
_SETTERS: dict[type, tuple[Callable[[Any, Any], None], ...]] = {}
_SLOT_INITS: dict[type, Callable[..., None]] = {}


@overload
def record(cls: T, /) -> T: ...
@overload
def record(*, kw_only: bool = False) -> Callable[[T], T]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: Any = None, /, *, kw_only: bool = False) -> Any:
    def wrap(c: T) -> T:
        make: Any = dataclass(repr=False, eq=False, init=False, slots=True, kw_only=kw_only)
        made: T = make(c)
        setattr(made, "__init__", _first_init)  # noqa: B010 (type checkers keep the signature)
        return made

    return wrap if cls is None else wrap(cls)


def _first_init(self: Any, *args: Any, **kwargs: Any) -> None:
    """A record class's `__init__` until its first call, which makes and installs its own."""
    cls = type(self)
    init = _make_init(cls)
    setattr(cls, "__init__", init)  # noqa: B010
    init(self, *args, **kwargs)


_NOTHING: Any = object()
"""Default of a parameter whose field has a `default_factory`."""


def _make_init(cls: type) -> Callable[..., None]:
    """The `__init__` dataclasses would write for a frozen `cls`: same parameters, defaults,
    factories and `__post_init__` call, each field set through its slot descriptor."""
    names: dict[str, Any] = {"_NOTHING": _NOTHING}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for f in fields(cls):
        names[f"_set_{f.name}"] = getattr(cls, f.name).__set__
        if f.default is not MISSING:
            names[f"_default_{f.name}"] = f.default
            parameter, value = f"{f.name}=_default_{f.name}", f.name
            fixed = f"_default_{f.name}"
        elif f.default_factory is not MISSING:
            names[f"_factory_{f.name}"] = f.default_factory
            parameter = f"{f.name}=_NOTHING"
            value = f"_factory_{f.name}() if {f.name} is _NOTHING else {f.name}"
            fixed = f"_factory_{f.name}()"
        else:
            parameter = value = f.name
            fixed = ""
        if not f.init:
            if fixed:  # otherwise left to __post_init__
                body.append(f"_set_{f.name}(self, {fixed})")
            continue
        (keyword if f.kw_only else positional).append(parameter)
        body.append(f"_set_{f.name}(self, {value})")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    parameters = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({parameters}):\n" + "".join(f"    {line}\n" for line in body)
    exec(source + "    pass\n", names)  # our own field names, as dataclasses does; never input
    init: Callable[..., None] = names["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def field_names(cls: type) -> tuple[str, ...]:
    """The field names of a dataclass, in declaration order (remembered per class)."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def _compared(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """The function giving an object's compared fields as a tuple (one `attrgetter` call)."""
    key = _COMPARED.get(cls)
    if key is None:
        names = tuple(f.name for f in fields(cls) if f.compare)
        if len(names) > 1:
            key = attrgetter(*names)
        elif names:
            one = attrgetter(names[0])
            key = lambda obj: (one(obj),)  # noqa: E731
        else:
            key = lambda obj: ()  # noqa: E731
        _COMPARED[cls] = key
    return key


def _state(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """The function giving all of an object's fields as a tuple, in declaration order."""
    get = _STATE.get(cls)
    if get is None:
        names = field_names(cls)
        if len(names) > 1:
            get = attrgetter(*names)
        else:
            get = lambda obj: tuple(getattr(obj, n) for n in names)  # noqa: E731
        _STATE[cls] = get
    return get


def _rebuild(cls: type, values: tuple[Any, ...]) -> Any:
    """Unpickle: set each slot through its descriptor, which a frozen class's `__setattr__`
    does not guard (a batch's parent unpickles about 450 records per file)."""
    obj: Any = object.__new__(cls)
    init = _SLOT_INITS.get(cls)
    if init is not None:
        init(obj, *values)
        return obj
    setters = _SETTERS.get(cls)
    if setters is None:
        setters = _SETTERS[cls] = tuple(getattr(cls, n).__set__ for n in field_names(cls))
    if len(values) != len(setters):
        raise ValueError(f"{cls.__name__}: {len(values)} values for {len(setters)} fields")
    deque(map(call, setters, repeat(obj), values), 0)  # setter(obj, value), looped in C
    return obj


def slot_init(cls: type, init: Callable[..., None]) -> None:
    """Make `init` the `__init__` of the record class `cls`: a hand-written one that sets the
    slots through their descriptors (`_set(self, value)`), for the classes made by the
    hundred (facts, spans). The generated `__init__` of a frozen dataclass goes through
    `object.__setattr__`, twice as slow for the same object. `init` takes every field, in
    order, with the same defaults, and the class must have no `__post_init__`; unpickling
    uses it too. Checked here, at import: a field added to the class but not to `init` would
    otherwise be silently missing from every object."""
    names = field_names(cls)
    defaults = tuple(f.default for f in fields(cls) if f.default is not MISSING)
    code = init.__code__
    if code.co_varnames[1 : code.co_argcount] != names or (init.__defaults__ or ()) != defaults:
        raise TypeError(f"{init.__name__} must take the fields of {cls.__name__} in order")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__; slot_init would skip it")
    setattr(cls, "__init__", init)  # noqa: B010 (type checkers keep the dataclass signature)
    _SLOT_INITS[cls] = init


def replaced(obj: R, name: str, value: Any) -> R:
    """`dataclasses.replace(obj, **{name: value})` for a record: a copy with one field changed.
    `replace` goes through `fields()` and `__init__`; this copies the slots (a file's flows are
    each copied once to add their risk). Records with a `__post_init__` take the slow path."""
    cls = type(obj)
    if hasattr(cls, "__post_init__"):
        changed: R = replace(obj, **{name: value})  # type: ignore[type-var]
        return changed
    state = list(_state(cls)(obj))
    state[field_names(cls).index(name)] = value
    copy: R = _rebuild(cls, tuple(state))
    return copy


class Record:
    """Shared `__repr__`, equality, hashing and pickling for `@record` classes."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)  # type: ignore[arg-type]
            if f.repr
        )
        return f"{type(self).__name__}({shown})"

    def _key(self) -> tuple[Any, ...]:
        return _compared(type(self))(self)

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        cls = self.__class__
        if other.__class__ is not cls:
            return NotImplemented
        key = _compared(cls)
        return key(self) == key(other)

    def __hash__(self) -> int:
        return hash(_compared(self.__class__)(self))

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        # pickle asks `__reduce_ex__` first: answering it here skips `object.__reduce_ex__`
        # and its look-up of `__reduce__` for each of the ~450 records of a file's result.
        cls = self.__class__
        get = _STATE.get(cls)
        if get is None:
            get = _state(cls)
        return _rebuild, (cls, get(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return self.__reduce_ex__(None)

"""The rule condition language: `all`/`any`/`not` over leaves `{field: PATH, OPERATOR: ARG}`.

Evaluation is three-valued (Kleene): a leaf whose field is missing or whose knowledge-base lookup
fails is *unknown* (None), and unknown propagates, so a rule can never pass on a fact nobody knows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from residency_audit.engine.operators import OPERATORS, Context, Result, country_codes
from residency_audit.format.budget import MAX_DEPTH, MAX_NODES
from residency_audit.format.scalars import plain_value
from residency_audit.format.text import suggestion
from residency_audit.kb import rely, rely_on_entries
from residency_audit.model import Diagnostic, Fact, Span
from residency_audit.records import Record, record

Truth = bool | None
Operator = Callable[[Any, Any, Context], Result]


@record
class Leaf(Record):
    """`{field: PATH, OPERATOR: ARGUMENT}`: one fact tested by one operator."""

    field: str
    operator: str
    argument: Any
    span: Span


@record
class All(Record):
    """True when every item is; unknown when none is false and one is unknown."""

    items: tuple[Condition, ...]


@record
class AnyOf(Record):
    """True when one item is; unknown when none is true and one is unknown."""

    items: tuple[Condition, ...]


@record
class Not(Record):
    """The negation of its item; unknown stays unknown."""

    item: Condition


Condition = Leaf | All | AnyOf | Not


@dataclass(slots=True)
class Trace:
    """What an evaluation read: facts used and fields found missing."""

    facts: list[Fact] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """What the result is unknown for, as the finding's message names it: fields with no value,
    and `field (operator)` when an operator could not answer for a value."""
    absent: list[str] = field(default_factory=list)
    """The fields read with no value: a finding cites each as a fact with no value
    (`engine.evaluate`), as it cites the facts it read with one."""


def evaluate(cond: Condition, facts: Mapping[str, Fact], ctx: Context, trace: Trace) -> Truth:
    """Evaluate every branch (no short-circuit) so the trace names all the facts involved."""
    return tracer(cond)(facts, ctx, trace)


Decider = Callable[[Mapping[str, Fact], Context], Truth]


def decider(cond: Condition) -> Decider:
    """`decide(cond, ...)` as a function, made once per rule: `evaluate` without a trace,
    stopping at the first item that settles an `all` or `any`. The truth value is the same
    (Kleene logic does not depend on evaluation order); the many checks that pass or do not
    apply need no account of the facts they read. A file's audit makes several hundred such
    decisions, so operators and arguments are looked up here rather than on every call."""
    if isinstance(cond, Leaf):
        return _leaf(cond.field, cond.argument, OPERATORS[cond.operator].apply, cond.operator)
    if isinstance(cond, Not):
        return _negation(decider(cond.item))
    return _junction(tuple(_junction_item(c) for c in cond.items), settles=isinstance(cond, AnyOf))


JunctionItem = tuple[str, Any, Decider | None]
"""An item of an `all` or `any` as its decider sees it: (field, argument, None) for an `eq`
leaf, which the junction tests inline, else ("", None, the item's decider)."""


def _junction_item(cond: Condition) -> JunctionItem:
    if isinstance(cond, Leaf) and cond.operator == "eq":
        return (cond.field, cond.argument, None)
    return ("", None, decider(cond))


def _leaf(name: str, argument: Any, apply: Operator, operator: str) -> Decider:
    # A missing or null field is unknown, except to `exists`, for which it is the answer.
    absent = (argument is False) if operator == "exists" else None
    # Operators that only compare the value with the argument (most leaves of most rules) have
    # a `compare`: called directly, without the (result, facts) pair `apply` builds for a trace.
    compare = getattr(OPERATORS[operator], "compare", None)
    if operator == "eq":  # most leaves of the shipped packs: `==` inline, a call saved

        def equals(facts: Mapping[str, Fact], ctx: Context) -> Truth:
            fact = facts.get(name)
            if fact is None or (value := fact.value) is None:
                return None
            if not fact.verified:
                rely((fact,))
            return value == argument  # type: ignore[no-any-return]

        return equals
    if compare is not None:

        def comparison(facts: Mapping[str, Fact], ctx: Context) -> Truth:
            fact = facts.get(name)
            if fact is None or fact.value is None:
                return absent
            if not fact.verified:  # a pass rests on it too (the traced findings keep theirs)
                rely((fact,))
            return compare(fact.value, argument)  # type: ignore[no-any-return]

        return comparison

    def leaf(facts: Mapping[str, Fact], ctx: Context) -> Truth:
        fact = facts.get(name)
        if fact is None or fact.value is None:
            return absent
        if not fact.verified:
            rely((fact,))
        result, used = apply(fact.value, argument, ctx)
        if used:  # the knowledge the operator consulted (a pass keeps no facts)
            rely(used)
        return result

    if getattr(OPERATORS[operator], "by_country", False):
        return _by_country(name, argument, apply, leaf)
    return leaf


Answer = tuple[Truth, tuple[Fact, ...], tuple[str, ...]]
"""An operator's (result, facts consulted, origins of the unverified ones among them)."""


class CountryAnswers:
    """The answers of one leaf's operator about country codes, for an operator whose answer
    depends on nothing but the code (or list of codes), the argument, the knowledge base and
    the as-of date (`CountryTest`, `CompelledAccessLaws`: `by_country`). The few codes of a
    batch are asked about for every place, party and flow, two hundred times a file: the
    operator's call, its memo key and the walk of its facts for the unverified ones are made
    once per code. Kept by the leaf's decider or tracer (`Prepared`, made per rule, knowledge
    base and day), for the knowledge base and day they were given for."""

    __slots__ = ("answers", "day", "kb")

    LIMIT = 4096
    """Answers kept at most: codes come from the deployments, a hostile batch may name
    millions."""

    def __init__(self) -> None:
        self.answers: dict[str | tuple[str, ...], Answer] = {}
        self.kb: Any = None
        self.day: Any = None

    def answer(self, value: Any, argument: Any, apply: Operator, ctx: Context) -> Answer | None:
        """(result, facts consulted, origins of the unverified ones among them) for `value`, a
        code or a list of codes; None for anything else (a number, a list holding one, no
        value), which is asked of the operator each time."""
        # What the answer is kept by: a code, or a list of codes as a tuple, as the operator
        # remembers them (`operators.country_codes`); found here, a call saved for each leaf.
        key: str | tuple[str, ...] | None
        if type(value) is str:
            key = value
        elif type(value) in (list, tuple):
            key = country_codes(value)
            if key is None:
                return None
        else:
            return None
        if ctx.kb is not self.kb or ctx.as_of != self.day:
            self.answers.clear()
            self.kb, self.day = ctx.kb, ctx.as_of
        known = self.answers.get(key)
        if known is None:
            if len(self.answers) >= self.LIMIT:
                self.answers.clear()
            result, used = apply(value, argument, ctx)
            used = tuple(used)
            # as `kb.rely(used)` notes them
            relied = tuple(
                [f.origin for f in used if not f.verified and f.origin.startswith("kb:")]
            )
            known = self.answers[key] = (result, used, relied)
        return known


def _by_country(name: str, argument: Any, apply: Operator, leaf: Decider) -> Decider:
    """`leaf`, with its answers about country codes kept (`CountryAnswers`)."""
    answers = CountryAnswers()

    def by_country(facts: Mapping[str, Fact], ctx: Context) -> Truth:
        fact = facts.get(name)
        if fact is None:
            return None
        known = answers.answer(fact.value, argument, apply, ctx)
        if known is None:  # no value too, unknown (as `leaf` says)
            return leaf(facts, ctx)
        if not fact.verified:
            rely((fact,))
        result, _, relied = known
        if relied:
            rely_on_entries(relied)
        return result

    return by_country


def _negation(inner: Decider) -> Decider:
    def negation(facts: Mapping[str, Fact], ctx: Context) -> Truth:
        result = inner(facts, ctx)
        return None if result is None else not result

    return negation


def _junction(items: tuple[JunctionItem, ...], *, settles: bool) -> Decider:
    """`all` (settled by False) or `any` (settled by True)."""

    def junction(facts: Mapping[str, Fact], ctx: Context) -> Truth:
        unknown = False
        for name, argument, item in items:
            if item is not None:
                result = item(facts, ctx)
            else:  # an `eq` leaf, as `_leaf`'s `equals` tests it: a call saved for each
                fact = facts.get(name)
                if fact is None or (value := fact.value) is None:
                    result = None
                else:
                    if not fact.verified:
                        rely((fact,))
                    result = value == argument
            if result is settles:
                return settles
            if result is None:
                unknown = True
        return None if unknown else not settles

    return junction


Tracer = Callable[[Mapping[str, Fact], Context, Trace], Truth]


def tracer(cond: Condition) -> Tracer:
    """`evaluate(cond, ...)` as a function, made once per rule like `decider`: every branch is
    evaluated and traced. A file's audit traces a few dozen findings, each through several
    conditions; the closures skip the type tests and operator lookups of the tree walk."""
    if isinstance(cond, Leaf):
        return _traced_leaf(
            cond.field, cond.argument, OPERATORS[cond.operator].apply, cond.operator
        )
    if isinstance(cond, Not):
        return _traced_negation(tracer(cond.item))
    return _traced_junction(
        tuple(_traced_junction_item(c) for c in cond.items), settles=isinstance(cond, AnyOf)
    )


TracedJunctionItem = tuple[str, Any, Callable[[Any, Any], bool] | None, Tracer | None]
"""An item of an `all` or `any` as its tracer sees it: (field, argument, compare, None) for a
leaf of a plain comparison (`compare`), which the junction traces inline, else
("", None, None, the item's tracer)."""


def _traced_junction_item(cond: Condition) -> TracedJunctionItem:
    if isinstance(cond, Leaf) and cond.operator != "exists":
        compare = getattr(OPERATORS[cond.operator], "compare", None)
        if compare is not None:
            return (cond.field, cond.argument, compare, None)
    return ("", None, None, tracer(cond))


def _traced_leaf(name: str, argument: Any, apply: Operator, operator: str) -> Tracer:
    exists = operator == "exists"
    unknown = f"{name} ({operator})"
    # As in `_leaf`: a plain comparison consults nothing and is never unknown for a value.
    compare = getattr(OPERATORS[operator], "compare", None)
    if compare is not None and not exists:

        def comparison(facts: Mapping[str, Fact], ctx: Context, trace: Trace) -> Truth:
            fact = facts.get(name)
            if fact is None or fact.value is None:
                trace.missing.append(name)
                trace.absent.append(name)
                return None
            trace.facts.append(fact)
            return compare(fact.value, argument)  # type: ignore[no-any-return]

        return comparison

    answers = CountryAnswers() if getattr(OPERATORS[operator], "by_country", False) else None

    def leaf(facts: Mapping[str, Fact], ctx: Context, trace: Trace) -> Truth:
        fact = facts.get(name)
        if fact is None or fact.value is None:
            if exists:
                return argument is False
            trace.missing.append(name)
            trace.absent.append(name)
            return None
        trace.facts.append(fact)
        value = fact.value
        extra: Sequence[Fact]
        if answers is None or (known := answers.answer(value, argument, apply, ctx)) is None:
            result, extra = apply(value, argument, ctx)
        else:  # the same answer and facts, kept (`CountryAnswers`)
            result, extra, _ = known
        if extra:
            trace.facts.extend(extra)
        if result is None:  # the operator's own unknown facts name what to declare, if any
            lacking = [x.path for x in extra or () if x.value is None]
            trace.missing.extend(lacking or [unknown])
        return result

    return leaf


def _traced_negation(inner: Tracer) -> Tracer:
    def negation(facts: Mapping[str, Fact], ctx: Context, trace: Trace) -> Truth:
        result = inner(facts, ctx, trace)
        return None if result is None else not result

    return negation


def _traced_junction(items: tuple[TracedJunctionItem, ...], *, settles: bool) -> Tracer:
    def junction(facts: Mapping[str, Fact], ctx: Context, trace: Trace) -> Truth:
        # Flags, not a list of results searched twice: every traced finding runs a few.
        settled = unknown = False
        for name, argument, compare, item in items:
            if item is not None:
                result = item(facts, ctx, trace)
            else:  # a plain comparison, as `_traced_leaf` traces it: a call saved for each
                fact = facts.get(name)
                if fact is None or (value := fact.value) is None:
                    trace.missing.append(name)
                    trace.absent.append(name)
                    result = None
                else:
                    trace.facts.append(fact)
                    result = compare(value, argument)  # type: ignore[misc]
            if result is None:
                unknown = True
            elif result == settles:  # as `settles in results` compared
                settled = True
        if settled:
            return settles
        return None if unknown else not settles

    return junction


def fields_of(cond: Condition) -> list[str]:
    if isinstance(cond, Leaf):
        return [cond.field]
    if isinstance(cond, Not):
        return fields_of(cond.item)
    return [f for c in cond.items for f in fields_of(c)]


class ConditionParser:
    """Parses condition nodes, checking operators, arguments and field names."""

    def __init__(self, path: str, known_fields: Callable[[], frozenset[str]]) -> None:
        self.path = path
        self.known_fields = known_fields
        self.diagnostics: list[Diagnostic] = []
        self.visits = 0
        """Condition nodes read, aliases counted each time: a shallow alias bomb (ten copies
        of ten copies of ...) stays under the depth limit but not under this budget."""

    def span(self, node: Node) -> Span:
        return Span(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def fail(self, node: Node, message: str) -> None:
        self.diagnostics.append(Diagnostic(self.span(node), message))

    def parse(self, node: Node, depth: int = 0) -> Condition | None:
        if depth > MAX_DEPTH:  # aliases can make a condition contain itself
            self.fail(node, f"condition nested deeper than {MAX_DEPTH} levels")
            return None
        self.visits += 1
        if self.visits > MAX_NODES:
            if self.visits == MAX_NODES + 1:
                self.fail(node, f"condition expands to more than {MAX_NODES} conditions (aliases?)")
            return None
        if not isinstance(node, MappingNode) or not node.value:
            self.fail(
                node,
                "a condition is a mapping: {all: [...]}, {any: [...]}, {not: ...} "
                "or {field: PATH, OPERATOR: VALUE}",
            )
            return None
        keys: dict[str, tuple[Node, Node]] = {
            k.value: (k, v) for k, v in node.value if isinstance(k, ScalarNode)
        }
        for word, cls in (("all", All), ("any", AnyOf)):
            if word in keys:
                if len(keys) != 1:
                    self.fail(node, f"'{word}' must be the only key of its condition")
                    return None
                items_node = keys[word][1]
                if not isinstance(items_node, SequenceNode) or not items_node.value:
                    self.fail(items_node, f"'{word}' takes a non-empty list of conditions")
                    return None
                items: list[Condition] = []
                for item_node in items_node.value:
                    item = self.parse(item_node, depth + 1)
                    if item is None:  # reported; stop here (an alias bomb must not go on)
                        return None
                    items.append(item)
                return cls(tuple(items))
        if "not" in keys:
            if len(keys) != 1:
                self.fail(node, "'not' must be the only key of its condition")
                return None
            inner = self.parse(keys["not"][1], depth + 1)
            return None if inner is None else Not(inner)
        return self._leaf(node, keys)

    def _leaf(self, node: Node, keys: dict[str, tuple[Node, Node]]) -> Leaf | None:
        if "field" not in keys:
            self.fail(node, "a leaf condition needs 'field' (or use all/any/not)")
            return None
        field_node = keys["field"][1]
        name = field_node.value if isinstance(field_node, ScalarNode) else None
        ops = [k for k in keys if k != "field"]
        if len(ops) != 1:
            self.fail(
                node,
                f"a leaf condition has exactly one operator besides 'field'; "
                f"got {', '.join(ops) or 'none'}",
            )
            return None
        op_name = ops[0]
        op_key, op_value = keys[op_name]
        operator = OPERATORS.get(op_name)
        if operator is None:
            more = suggestion(op_name, OPERATORS)
            self.fail(
                op_key,
                f"unknown operator {op_name!r}{more} (operators: {', '.join(sorted(OPERATORS))})",
            )
            return None
        known = self.known_fields()
        if not isinstance(name, str) or name not in known:
            more = suggestion(str(name), known)
            self.fail(field_node, f"unknown field {name!r}{more}")
            return None
        try:
            argument = plain_value(op_value)
        except ValueError as exc:
            self.fail(op_value, f"operator {op_name!r}: {exc}")
            return None
        problem = operator.check(argument)
        if problem:
            self.fail(op_value, f"operator {op_name!r}: {problem}")
            return None
        return Leaf(name, op_name, argument, self.span(node))

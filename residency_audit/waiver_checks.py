"""The checks of a waiver file made on its YAML nodes after conversion (`waivers.load_waivers`):
rules and country codes the file names that do not exist, subjects no finding can have, and
evidence links the reports would not follow. Each node is met once (an alias repeats its
anchor's mistake at the anchor's place), and the problems stop at the converter's cap, so a
hostile file costs what its size does.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from collections.abc import Callable, Collection, Iterable, Iterator

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from residency_audit.engine.fields import KINDS
from residency_audit.format.budget import MAX_ERRORS
from residency_audit.format.text import shown, suggestion
from residency_audit.kb import COUNTRY_ALIASES, UNKNOWN_COUNTRY, KnowledgeBase
from residency_audit.loader import diagnostic
from residency_audit.model import Diagnostic


def node_problems(
    root: Node, known_rules: Collection[str], kb: KnowledgeBase | None, display: str, *, room: int
) -> list[Diagnostic]:
    """At most `room` problems of the waiver file whose root node is `root` (then the
    converter's note that it stopped), read lazily."""
    items = list(_waiver_items(root))
    checks = itertools.chain(
        _unknown_rules(items, known_rules, display),
        _unknown_countries(items, kb, display),
        _malformed_subjects(items, display),
        _foreign_evidence(items, display),
    )
    return _capped(checks, room)


def _waiver_items(root: Node) -> Iterator[tuple[int, Node]]:
    """Each waiver node once, with its first index: an alias (`- *w`) repeats a waiver at the
    place of its anchor, so checking it again would repeat the same errors at the same place,
    and a few KB of aliases would cost minutes."""
    waivers = _value(root, "waivers")
    seen: set[int] = set()
    for i, item in enumerate(waivers.value if isinstance(waivers, SequenceNode) else ()):
        if _first(item, seen):
            yield i, item


def _first(node: Node, seen: set[int]) -> bool:
    """Whether `node` is met for the first time, noting it in `seen`: an alias meets the node
    of its anchor again, and a value shared by a thousand waivers is one mistake, at one place."""
    if id(node) in seen:
        return False
    seen.add(id(node))
    return True


def _capped(diagnostics: Iterable[Diagnostic], room: int) -> list[Diagnostic]:
    """At most `room` diagnostics, read lazily, then the converter's note that it stopped
    reading the file (`reporters.text.STOPPED`), so the count shown is not taken as whole."""
    kept = list(itertools.islice(diagnostics, max(room, 0) + 1))
    if len(kept) <= room:
        return kept
    last = kept.pop()
    stop = f"more than {MAX_ERRORS} errors; stopped reading this file"
    return [*kept, dataclasses.replace(last, message=stop)]


def _unknown_rules(
    items: Iterable[tuple[int, Node]], known: Collection[str], display: str
) -> Iterator[Diagnostic]:
    @functools.cache
    def problem(name: str) -> str:
        upper = name.upper()
        more = (
            f"; did you mean {upper!r}?"
            if upper in known
            else suggestion(name, known) or "; see `residency-audit rules list`"
        )
        return f"waiver for unknown rule {shown(name)}{more}"

    seen: set[int] = set()
    for _, item in items:
        rule = _value(item, "rule")
        if isinstance(rule, ScalarNode) and rule.value not in known and _first(rule, seen):
            yield diagnostic(rule, display, problem(rule.value))


def _unknown_countries(
    items: Iterable[tuple[int, Node]], kb: KnowledgeBase | None, display: str
) -> Iterator[Diagnostic]:
    """Codes in `target.countries` the knowledge base does not know: a typo (`UK`, `us`) would
    narrow a waiver to a country no finding is in, and its risk would fail the gate unexplained.
    A list shared by several waivers (an alias) is checked once, where it is written."""
    seen: set[int] = set()
    problem: Callable[[str], str] | None = None
    for i, item in items:
        countries = _value(_value(item, "target"), "countries")
        if not isinstance(countries, SequenceNode) or not _first(countries, seen):
            continue  # absent, or not a list (the converter said so), or checked already
        for j, code in enumerate(countries.value):
            if not isinstance(code, ScalarNode) or not code.value.strip():
                continue  # the converter said so
            if not _first(code, seen):
                continue
            if kb is None:
                from residency_audit import kb as kb_module

                kb = kb_module.default()
            if kb.country(code.value) is not None:
                continue
            if problem is None:
                problem = functools.cache(functools.partial(_country_problem, kb=kb))
            where = f"waivers[{i}].target.countries[{j}]"
            yield diagnostic(code, display, f"{where}: {problem(code.value)}")


TARGET_KINDS = tuple(kind for kind in KINDS if kind != "waiver")
"""The kinds of subject a waiver may name: every kind rules judge but waivers, whose findings
(an expired waiver...) are made after the waivers are applied."""


_NUMBERED = re.compile(r"#([0-9]+)$")
"""The number `engine.evaluate` gives a subject alike in all its ids to an earlier one."""
_FLOW_POSITION = re.compile(
    r"^(flow:.+/(?:replica|disaster-recovery|backup|snapshot-copy|export|log))-([0-9]+)$"
)
"""The id a data flow of a copy or log sink had before flows were named by their place: its
position under its component (`flow:db/backup-2`). No flow has it any more (`flows.
copy_flow_id`: `flow:db/backup@us-east-1`); a waiver naming it would cover nothing."""


def numbered_base(subject: str) -> str | None:
    """The subject a numbered one (`S#2`) is alike to."""
    return subject.rpartition("#")[0] if _NUMBERED.search(subject) else None


def _malformed_subjects(items: Iterable[tuple[int, Node]], display: str) -> Iterator[Diagnostic]:
    """A `target.subject` that is not `kind:id` with a known kind: it could match no finding,
    and the risk it meant to accept would fail the gate unexplained. One bound to the order of
    the deployment's entries (numbered `#2`, or a copy by position) could silently cover
    another finding once they are reordered: refused too (fail closed), as is a copy's flow by
    the position that was its id (`_FLOW_POSITION`), which names nothing now."""
    unknown_kind = functools.cache(
        lambda kind: suggestion(kind, TARGET_KINDS) or "; one of " + ", ".join(TARGET_KINDS)
    )
    seen: set[int] = set()
    for i, item in items:
        subject = _value(_value(item, "target"), "subject")
        if not isinstance(subject, ScalarNode) or not subject.value.strip():
            continue  # absent, or not text: the converter said so
        if not _first(subject, seen):
            continue
        kind, colon, rest = subject.value.partition(":")
        numbered = _NUMBERED.search(subject.value)
        flow = _FLOW_POSITION.match(subject.value)
        if colon and kind in TARGET_KINDS and rest.strip():
            if flow is not None:
                problem = (
                    f"subject {shown(subject.value)} names the data flow of a copy or log sink by "
                    f"its position ({flow.group(2)}), an id no flow has now (a position moves "
                    "when an entry is added before it): the flow is called by where it is, as "
                    f"its place is ({flow.group(1)}@<region>, as findings and the flows table "
                    "name it)"
                )
            elif numbered is not None:
                problem = (
                    f"subject {shown(subject.value)} is numbered by its order in the deployment "
                    f"(#{numbered.group(1)}: alike in all its ids to an earlier entry), so this "
                    "waiver would move to another finding when the entries are reordered; tell "
                    "the entries apart (another tool, issue date or region) or leave `subject` out"
                )
            elif "[" in rest:
                problem = (
                    f"subject {shown(subject.value)} names an entry by its position, which moves "
                    "when an entry is added before it; name it as findings do, by kind and "
                    "where it is (place:records-db/backup@us-east-1)"
                )
            else:
                continue
        elif not colon or not rest.strip():
            problem = (
                f"subject {shown(subject.value)} is not kind:id; name it as the findings do "
                f"(party:host-a, place:records-db/backup@us-east-1, "
                f"transfer:support-co/US/scc-2021)"
            )
        else:
            problem = (
                f"subject {shown(subject.value)}: unknown kind {shown(kind)}{unknown_kind(kind)}"
            )
        yield diagnostic(subject, display, f"waivers[{i}].target.subject: {problem}")


_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]+):(?=\S)")
"""What opens a URL (`javascript:alert(1)`, `file:///`, `data:text/html,...`): a scheme of two
characters or more (one is a drive letter, `C:\\TIA.pdf`), a colon and no space (`Minutes:
board of 2026-03-02` is text). Browsers skip leading blanks, so they are skipped too."""
_WEB = frozenset({"http", "https"})


def _foreign_evidence(items: Iterable[tuple[int, Node]], display: str) -> Iterator[Diagnostic]:
    """An `evidence` that is a URL, but not a web address: the reports link only http(s) ones
    (a `javascript:` link in the HTML report would run in its reader's browser), so another is
    a mistake or an attack, and refused either way. Evidence in words (`ticket SEC-123`) is
    text, and stays allowed."""
    seen: set[int] = set()
    for i, item in items:
        evidence = _value(item, "evidence")
        if not isinstance(evidence, ScalarNode) or not _first(evidence, seen):
            continue  # absent, or not text (the converter said so), or checked already
        scheme = _SCHEME.match(evidence.value)
        if scheme is None or scheme.group(1).lower() in _WEB:
            continue
        yield diagnostic(
            evidence,
            display,
            f"waivers[{i}].evidence: {evidence.value[:80]!r} is a {scheme.group(1)[:80]}: URL, "
            "which reports do not link; give the https:// address of the evidence, or describe "
            "it in words (ticket SEC-123, TIA of 2026-03-02)",
        )


def _country_problem(code: str, kb: KnowledgeBase) -> str:
    if code.upper() == UNKNOWN_COUNTRY:
        return (
            f"{shown(code)} means an unknown country; a waiver covers risks in countries someone "
            "assessed: name them"
        )
    known = COUNTRY_ALIASES.get(code.upper(), code.upper())
    named = kb.country_named(code)  # `United States`: a name, as in a TIA's prose
    more = (
        f"; did you mean {known!r}?"
        if known in kb.countries
        else f"; {shown(code)} is a country name: did you mean {named!r}?"
        if named is not None
        else suggestion(code, kb.countries)
        or "; write an ISO 3166-1 alpha-2 code, as in deployments (US, CN, GB...)"
    )
    return f"unknown country code {shown(code)}{more}"


def _value(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key), None)

"""Every rule judges every subject it applies to: findings, as of a date."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from residency_audit.engine.conditions import Decider, Trace, Tracer, decider, tracer
from residency_audit.engine.operators import Context
from residency_audit.engine.rules import PLACEHOLDER, Rule, severity_of
from residency_audit.engine.subject_ids import subject_id
from residency_audit.engine.subjects import Subject, SubjectBuilder, subjects
from residency_audit.kb import KnowledgeBase, rely_on_entries
from residency_audit.kb.entries import Law
from residency_audit.model import Check, Deployment, Fact, Finding, Reference, Status
from residency_audit.records import Record, record


@record
class Audit(Record):
    """The findings of one deployment and every (rule, subject) pair judged."""

    findings: list[Finding]
    """Sorted by place, then rule."""
    checks: list[Check]
    """Every subject judged, with the rules that applied to it (passes included) and those that
    did not, in file then rule order (JUnit)."""


def audit(
    deployment: Deployment,
    rules: Iterable[Rule],
    *,
    kb: KnowledgeBase,
    as_of: dt.date,
    extra: Iterable[Subject] = (),
    parameters: Mapping[str, Any] | None = None,
    builder: SubjectBuilder | None = None,
) -> Audit:
    """Judge every subject of one deployment with every rule in effect. `extra` subjects (DNS
    endpoints, data flows, observation gaps) are judged after the deployment's own. `builder`
    is the one the deployment's flows were derived with, if any: its subjects are reused."""
    rules = tuple(rules)
    # only the subjects some rule in effect judges are built (a pack of a few rules, the peer
    # benchmark's, judges no party: building them would double its cost); the index of the
    # rules in effect by kind has them, made once per run instead of once per file
    kinds = _rules_by_kind(rules, as_of, kb).keys()
    return judge_subjects(
        itertools.chain(subjects(deployment, kb, as_of, builder, kinds), extra),
        rules,
        kb=kb,
        as_of=as_of,
        deployment=deployment.name,
        parameters=parameters,
    )


def judge_subjects(
    items: Iterable[Subject],
    rules: Iterable[Rule],
    *,
    kb: KnowledgeBase,
    as_of: dt.date,
    deployment: str,
    parameters: Mapping[str, Any] | None = None,
    named: dict[str, int] | None = None,
) -> Audit:
    """Findings of the rules in effect on `as_of` about `items` (also used for drift). `named`
    counts the subject ids given so far to `deployment`'s subjects: a caller judging one
    deployment's subjects in several calls (drift, one call per observed file) passes the same
    dict to each, so that a subject of a later call is numbered (`#2`) instead of taking an
    earlier one's id, and with it that one's waiver, baseline entry and JUnit case."""
    by_kind = _rules_by_kind(rules, as_of, kb)
    parameters = parameters or {}
    findings: list[Finding] = []
    checks: list[Check] = []
    named = {} if named is None else named
    applied = 0  # the bits of every rule that judged a subject
    for subject in items:
        kind = by_kind.get(subject.kind)
        if kind is None:
            continue
        ctx = Context(kb, as_of, subject, parameters)
        facts, component = subject.facts, subject.component
        ident = unique_id(subject_id(subject), named)
        skipped = 0  # the bits of the rules that did not apply
        for when, require, bit, prepared in kind.steps:
            # Most rules pass or do not apply: decide first, trace only what becomes a finding.
            if when is not None and when(facts, ctx) is False:
                skipped |= bit
                continue
            if require(facts, ctx) is True:
                continue
            finding = _judge(prepared, subject, ctx, deployment, ident)
            if finding is not None:
                findings.append(finding)
        applied |= kind.bits & ~skipped
        if skipped:
            judged, not_applicable = kind.split(skipped)
            checks.append(Check(judged, deployment, component, ident, not_applicable))
        else:
            checks.append(Check(kind.ids, deployment, component, ident))
    if applied:
        _rely_on_dependencies(by_kind, applied)
    findings.sort(key=Finding.sort_key)
    return Audit(findings, checks)


def _rely_on_dependencies(by_kind: Mapping[str, _Kind], applied: int) -> None:
    """Note the unverified knowledge-base entries the rules that judged a subject depend on
    (`Rule.depends_on`): every verdict of such a rule, a pass included, rests on them, and the
    report lists them as unverified knowledge used (`kb.take_relied`)."""
    for kind in by_kind.values():
        if kind.bits & applied:
            for prepared in kind.prepared:
                if prepared.bit & applied and prepared.relies:
                    rely_on_entries(prepared.relies)


def unique_id(ident: str, named: dict[str, int]) -> str:
    """`ident`, numbered (`#2`, `#3`) when an earlier subject of the deployment has it: the
    findings of two subjects must not be taken for one subject's (a waiver or baseline entry
    for one would cover the other). File order, so the numbers hold when lines move, but not
    when the alike entries are reordered: ids are made of what tells subjects apart
    (`subjects.subject_id`), so only subjects alike in all of it are numbered, and a waiver
    may not name a numbered id (`waivers.load_waivers`)."""
    seen = named[ident] = named.get(ident, 0) + 1
    return ident if seen == 1 else f"{ident}#{seen}"


class Prepared:
    """A rule made ready to judge many subjects: its conditions as decider functions (does the
    rule pass?) and tracer functions (on which facts did it fail?), its messages parsed into
    text and placeholders, and the references of its findings by the laws they relied on.
    Made once per rule, knowledge base and as-of date (`_rules_by_kind`), all of which it
    depends on and none of which changes while it is used."""

    __slots__ = (
        "as_of",
        "bit",
        "id",
        "kb",
        "message",
        "references",
        "relies",
        "require",
        "rule",
        "severities",
        "trace_require",
        "trace_when",
        "unverifiable_message",
        "when",
    )

    def __init__(self, rule: Rule, kb: KnowledgeBase, as_of: dt.date, bit: int = 0) -> None:
        self.rule, self.kb, self.id, self.as_of = rule, kb, rule.id, as_of
        self.bit = bit
        """The rule's own bit among the rules indexed with it (`_Kind.split`)."""
        self.relies = _unverified_dependencies(rule, kb, as_of)
        """The unverified knowledge-base entries it depends on on `as_of`, as `kb:<file>#<id>`."""
        self.when: Decider | None = None if rule.when is None else decider(rule.when)
        self.require: Decider = decider(rule.require)
        self.trace_when: Tracer | None = None if rule.when is None else tracer(rule.when)
        self.trace_require: Tracer = tracer(rule.require)
        self.message = _template(rule.message)
        self.unverifiable_message = (
            None if rule.unverifiable_message is None else _template(rule.unverifiable_message)
        )
        self.references: dict[tuple[str, ...], tuple[Reference, ...]] = {}
        """By the knowledge-base law ids a finding relied on (bounded: they are the kb's)."""
        self.severities = (
            (
                severity_of(rule, unverifiable=False, special=False),
                severity_of(rule, unverifiable=False, special=True),
            ),
            (
                severity_of(rule, unverifiable=True, special=False),
                severity_of(rule, unverifiable=True, special=True),
            ),
        )
        """`severity_of` the rule's findings, by [unverifiable][Art. 9 data], worked out once:
        it depends on nothing else, and a file has dozens of findings."""


def _unverified_dependencies(rule: Rule, kb: KnowledgeBase, as_of: dt.date) -> tuple[str, ...]:
    """The unverified entries of `depends_on` in effect on `as_of`: a text not yet adopted
    (a later version of guidance, a judgment not yet delivered) or already replaced on that
    day is not what the rule's verdicts of that day rest on. A verdict that does rest on an
    ended entry (a 2018 HDS certificate judged after its referential's end, say) consults
    the entry's dates as facts, and those are noted as relied on where it does
    (`kb.rely`, `engine.conditions`)."""
    found = []
    for entry_id in rule.depends_on:
        known = kb.entry(entry_id)
        if known is not None and not known[1].verified and known[1].holds_on(as_of):
            found.append(f"kb:{known[0]}#{entry_id}")
    return tuple(found)


Split = tuple[tuple[str, ...], tuple[str, ...]]
"""The ids of the rules that applied to a subject and of those that did not (`Check`)."""


class _Kind:
    """The rules in effect for one kind of subject, in rule order, with their ids as a check
    names them. A subject's rules that did not apply are collected as bits (`Prepared.bit`):
    an `or` for each, nothing for the rules that apply, in a loop run for thousands of files a
    second (issue 8). The ids they stand for are made once per combination (`split`), which a
    kind's subjects share: a file's checks then share their tuples, pickled once for a batch's
    parent."""

    __slots__ = ("bits", "ids", "prepared", "splits", "steps")

    MAX_SPLITS = 4096
    """Combinations kept at most: as many as there are subjects at worst."""

    def __init__(self) -> None:
        self.prepared: list[Prepared] = []
        self.ids: tuple[str, ...] = ()
        self.bits = 0
        """Every rule's bit (`Prepared.bit`)."""
        self.splits: dict[int, Split] = {}
        self.steps: tuple[tuple[Decider | None, Decider, int, Prepared], ...] = ()
        """Each rule's deciders and bit, unpacked at once in the loop over a file's hundreds of
        (subject, rule) pairs rather than read as three attributes each time."""

    def split(self, skipped: int) -> Split:
        """The ids of the rules that applied and of those that did not, `skipped` being the
        bits of the latter."""
        split = self.splits.get(skipped)
        if split is None:
            if len(self.splits) >= self.MAX_SPLITS:
                self.splits.clear()
            applied = tuple([p.id for p in self.prepared if not p.bit & skipped])
            not_applicable = tuple([p.id for p in self.prepared if p.bit & skipped])
            split = self.splits[skipped] = (applied, not_applicable)
        return split


_BY_KIND: list[tuple[tuple[Rule, ...], dt.date, KnowledgeBase, dict[str, _Kind]]] = []
"""The last rule tuple indexed, its date, knowledge base and the index: an Auditor's rules are
indexed once."""


def _rules_by_kind(rules: Iterable[Rule], as_of: dt.date, kb: KnowledgeBase) -> dict[str, _Kind]:
    """Subject kind -> the rules in effect on `as_of` that apply to it, in rule order, each
    with a bit of its own (its position in `rules`)."""
    # The same rules index alike, as a tuple or as a list made again for each file (the peer
    # benchmark): identical items compare at once.
    given = tuple(rules)
    for seen, day, known_kb, known in _BY_KIND:
        if day == as_of and known_kb is kb and seen == given:
            return known
    index: dict[str, _Kind] = {}
    for position, rule in enumerate(given):
        if rule.in_effect(as_of):
            # cites only what existed on as_of
            prepared = Prepared(rule.on(as_of), kb, as_of, 1 << position)
            for name in dict.fromkeys(rule.applies_to):
                index.setdefault(name, _Kind()).prepared.append(prepared)
    for kind in index.values():
        kind.ids = tuple([p.id for p in kind.prepared])
        kind.steps = tuple([(p.when, p.require, p.bit, p) for p in kind.prepared])
        for p in kind.prepared:
            kind.bits |= p.bit
    _BY_KIND[:] = [(given, as_of, kb, index)]
    return index


def judge(
    rule: Rule,
    subject: Subject,
    *,
    kb: KnowledgeBase,
    as_of: dt.date,
    deployment: str,
    parameters: Mapping[str, Any] | None = None,
) -> Finding | None:
    """The finding `rule` makes about `subject`, or None when it passes or does not apply."""
    ctx = Context(kb, as_of, subject, parameters or {})
    prepared = Prepared(rule.on(as_of), kb, as_of)
    return _judge(prepared, subject, ctx, deployment, subject_id(subject))


def _judge(
    prepared: Prepared, subject: Subject, ctx: Context, deployment: str, ident: str
) -> Finding | None:
    rule, facts = prepared.rule, subject.facts
    trace = Trace([], [], [])  # the lists given: the factories would cost a call each
    when = prepared.trace_when
    applies = True if when is None else when(facts, ctx, trace)
    if applies is False:
        return None
    holds = prepared.trace_require(facts, ctx, trace)
    if holds is True:
        return None
    unverifiable = applies is None or holds is None
    stated: list[Fact] = []
    special = facts.get("data.special_category")
    art9 = special is not None and bool(special.value)
    severity = prepared.severities[unverifiable][art9]
    if unverifiable:
        missing = ", ".join(dict.fromkeys(trace.missing))
        # The rule's message states a violation; with a fact missing that would assert what
        # nobody knows, so the requirement (the rule's title) is named, unless the rule says
        # what it could see in its own unverifiable_message.
        template = prepared.unverifiable_message
        said = f"Required: {rule.title}" if template is None else _render(template, facts, stated)
        message = f"cannot be verified for {subject.label}: unknown {missing}. {said}"
        trace.facts += _unknown(subject, trace.absent)
    else:
        message = _render(prepared.message, facts, stated)
    trace.facts += stated
    used, relied = _unique(trace.facts)
    # Positional: dozens of findings a file, and keywords cost a call a dict.
    return Finding(
        rule.id,
        severity,
        rule.title,
        message,
        deployment,
        subject.component,
        subject.span,
        _references(prepared, relied),
        used,
        rule.remediation,
        unverifiable,
        Status.OPEN,
        None,
        ident,
    )


def _unknown(subject: Subject, absent: list[str]) -> list[Fact]:
    """The facts a finding cites for the fields it cannot be verified for want of: a finding
    says which facts it used and where each came from, and the facts it lacks are among them.
    Each field as the subject accounts for it (`Subject.unknowns`: where it was declared or
    derived from, what it derives from and what the deployment should add), else its own fact
    with no value, else a fact with no value at the subject's declaration, where it is missing."""
    out: list[Fact] = []
    for name in dict.fromkeys(absent):
        said = subject.unknowns.get(name)
        if said is None:
            fact = subject.facts.get(name)
            said = (Fact(name, None, str(subject.span)) if fact is None else fact,)
        out += said
    return out


Template = tuple[str, tuple[str, ...]]
"""A rule message as a `str.format` pattern with a positional `{}` for each placeholder (its
own text's braces doubled), and the field path of each placeholder (`_template`)."""


def _render(template: Template, facts: Mapping[str, Fact], stated: list[Fact]) -> str:
    """`template` with each placeholder replaced by its fact's value, or `unknown` (a value is
    inserted, never read as a format string). The facts it states are added to `stated`: a
    finding keeps them beside those its conditions read, so that a reader checks every value
    the message asserts against where it came from (the host named, the certification its
    coverage rests on). An empty text is a fragment of wording the message leaves out (no
    replica, no HSM): not stated. One pass does both: a file has dozens of findings."""
    pattern, paths = template
    # the values only, the pattern holding the text between them: half the appends of
    # joining text and values (a message has about nine placeholders)
    values: list[str] = []
    for path in paths:
        fact = facts.get(path)
        if fact is None:
            values.append("unknown")
            continue
        value = fact.value
        if type(value) is str:  # most values: `_text` inlined, a call saved for each
            values.append(value)
        else:
            values.append("unknown" if value is None else _text(value))
        if value != "":
            stated.append(fact)
    return pattern.format(*values)


@functools.lru_cache(maxsize=1024)
def _template(template: str) -> Template:
    """A rule message as a pattern and its placeholders' field paths: messages are parsed
    once, not once per finding (a file has dozens of findings)."""
    texts: list[str] = []
    paths: list[str] = []
    start = 0
    for match in PLACEHOLDER.finditer(template):
        texts.append(template[start : match.start()])
        paths.append(match.group(1))
        start = match.end()
    texts.append(template[start:])
    pattern = "{}".join(t.replace("{", "{{").replace("}", "}}") for t in texts)
    return pattern, tuple(paths)


def _text(value: object) -> str:
    if type(value) is str:  # most values; a str subclass (an enum) goes through str()
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):  # an empty one is said ("services read: none"), not blank
        return ", ".join(_text(v) for v in value) or "none"
    return str(value)


def _unique(facts: list[Fact]) -> tuple[tuple[Fact, ...], tuple[str, ...]]:
    """The first fact of each (path, origin), in order: a fact read by both conditions and
    stated by the message is kept once; and the ids of the laws among them (`kb.law.<id>`),
    in the same order, which the finding cites (`_references`). One pass does both."""
    # Looked up by path (its hash is kept by the string) with the first origin seen for it,
    # and only a path met again with another origin by (path, origin), in the same dict (a
    # path is text, a pair a tuple: they never collide): no pair made per fact, and one dict.
    first: dict[str | tuple[str, str], str] = {}
    kept: list[Fact] = []
    laws: list[str] = []
    for fact in facts:
        path = fact.path
        origin = fact.origin
        known = first.get(path)
        if known is None:
            first[path] = origin
        elif known == origin:
            continue
        else:
            pair = (path, origin)
            if pair in first:
                continue
            first[pair] = origin
        kept.append(fact)
        if path[:7] == "kb.law.":  # a slice compared: no method call per fact
            laws.append(path[7:])
    return tuple(kept), tuple(laws)


def _references(prepared: Prepared, relied: tuple[str, ...]) -> tuple[Reference, ...]:
    """The rule's own references, then every law the evaluation relied on (`relied`, law ids)."""
    # Findings of one rule cite the same few laws: built once per rule and laws relied on.
    refs = prepared.references.get(relied)
    if refs is None:
        rule = prepared.rule
        refs = prepared.references[relied] = _build_references(
            rule.references, (*rule.laws, *relied), prepared.kb, as_of=prepared.as_of
        )
    return refs


def _build_references(
    own: tuple[Reference, ...], law_ids: tuple[str, ...], kb: KnowledgeBase, *, as_of: dt.date
) -> tuple[Reference, ...]:
    refs = list(own)
    for law_id in dict.fromkeys(law_ids):
        law = kb.laws.get(law_id)
        if law is not None:
            said = _status_said(law, as_of)
            make = functools.partial(_law_reference, law, status=said)
            refs.append(kb.memo(("law_reference", law_id, said), make))
    return tuple(dict.fromkeys(refs))


def _status_said(law: Law, as_of: dt.date) -> bool:
    """Whether a citation of `law` on `as_of` says its status. A status other than in force is
    recorded with the day it was checked (`status_as_of`), not the day it began: FISA 702 is
    `uncertain` as checked on 2026-10-01, having lapsed in June 2026 by secondary sources the
    knowledge base gives only in its note. Before that day the law is cited as the knowledge
    base otherwise records it (enacted, in force): a report as of 2015 must not say what
    became uncertain in 2026. A status with no day is said on every day."""
    if law.status in (None, "in-force"):
        return False
    return law.status_as_of is None or as_of >= law.status_as_of


def _law_reference(law: Law, *, status: bool) -> Reference:
    """One object per law, shared by the findings citing it: written once when they are
    pickled for a batch's parent. An unverified law's label names the site its link goes to and
    says the text was not checked: a translation or an encyclopedia page is not the law, and a
    reader must not take it for the official text. A status other than in force is said with
    the day the knowledge base gave it, when `status` (`_status_said`)."""
    url = law.url or law.source
    # A law the knowledge base does not record as in force (`uncertain`, `lapsed`) says so, with
    # the day of that status: a finding resting on it must not read as settled law.
    said = (
        ""
        if not status
        else f"; status {law.status} on {law.status_as_of}"
        if law.status_as_of
        else f"; status {law.status}"
    )
    if law.verified:
        return Reference(f"{law.name} ({law.citation}{said})", url, law.citation)
    site = (urlsplit(url).hostname or url).removeprefix("www.")
    label = (
        f"{law.name} as published by {site} ({law.citation}{said}; not checked against the "
        "official text)"
    )
    return Reference(label, url, law.citation)

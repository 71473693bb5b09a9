"""Every rule judges every subject it applies to: findings, as of a date."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from residency_audit.engine.conditions import Trace, decide, evaluate
from residency_audit.engine.operators import Context
from residency_audit.engine.rules import Rule
from residency_audit.engine.subjects import Subject, subjects
from residency_audit.kb import KnowledgeBase
from residency_audit.model import Check, Deployment, Fact, Finding, Reference, Severity
from residency_audit.records import Record, record

_PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")


@record
class Audit(Record):
    """The findings of one deployment and every (rule, component) pair judged."""

    findings: list[Finding]
    """Sorted by place, then rule."""
    checks: list[Check]
    """Every (rule, component) pair judged, passes included, in file then rule order (JUnit)."""


def audit(
    deployment: Deployment,
    rules: Iterable[Rule],
    *,
    kb: KnowledgeBase,
    as_of: dt.date,
    extra: Iterable[Subject] = (),
    parameters: Mapping[str, Any] | None = None,
) -> Audit:
    """Judge every subject of one deployment with every rule in effect. `extra` subjects (DNS
    endpoints, data flows, observation gaps) are judged after the deployment's own."""
    return judge_subjects(
        itertools.chain(subjects(deployment, kb, as_of), extra),
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
) -> Audit:
    """Findings of the rules in effect on `as_of` about `items` (also used for drift)."""
    by_kind = _rules_by_kind(rules, as_of)
    parameters = parameters or {}
    findings: list[Finding] = []
    checks: dict[tuple[str, str | None], None] = {}
    for subject in items:
        applicable = by_kind.get(subject.kind)
        if not applicable:
            continue
        ctx = Context(kb, as_of, subject, parameters)
        facts, component = subject.facts, subject.component
        for rule in applicable:
            checks[rule.id, component] = None
            # Most rules pass or do not apply: decide first, trace only what becomes a finding.
            if rule.when is not None and decide(rule.when, facts, ctx) is False:
                continue
            if decide(rule.require, facts, ctx) is True:
                continue
            finding = judge(
                rule, subject, kb=kb, as_of=as_of, deployment=deployment, parameters=parameters
            )
            if finding is not None:
                findings.append(finding)
    findings.sort(key=Finding.sort_key)
    return Audit(findings, [Check(rule_id, deployment, c) for rule_id, c in checks])


_BY_KIND: list[tuple[tuple[Rule, ...], dt.date, dict[str, list[Rule]]]] = []
"""The last rule tuple indexed, its date and the index: an Auditor's rules are indexed once."""


def _rules_by_kind(rules: Iterable[Rule], as_of: dt.date) -> dict[str, list[Rule]]:
    """Subject kind -> the rules in effect on `as_of` that apply to it, in rule order."""
    if isinstance(rules, tuple):  # immutable: the index of the same tuple stays valid
        for seen, day, known in _BY_KIND:
            if seen is rules and day == as_of:
                return known
    index: dict[str, list[Rule]] = {}
    for rule in rules:
        if rule.in_effect(as_of):
            for kind in dict.fromkeys(rule.applies_to):
                index.setdefault(kind, []).append(rule)
    if isinstance(rules, tuple):
        _BY_KIND[:] = [(rules, as_of, index)]
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
    trace = Trace()
    applies = True if rule.when is None else evaluate(rule.when, subject.facts, ctx, trace)
    if applies is False:
        return None
    holds = evaluate(rule.require, subject.facts, ctx, trace)
    if holds is True:
        return None
    unverifiable = applies is None or holds is None
    if unverifiable:
        severity = rule.unverifiable_severity
        missing = ", ".join(dict.fromkeys(trace.missing))
        message = (
            f"cannot be verified for {subject.label}: unknown {missing}. "
            f"{render(rule.message, subject.facts)}"
        )
    else:
        severity = rule.severity
        message = render(rule.message, subject.facts)
    special = subject.facts.get("data.special_category")
    if rule.escalate_special_category and special is not None and special.value:
        severity = Severity(min(severity + 1, Severity.CRITICAL))
    facts = _unique(trace.facts)
    return Finding(
        rule_id=rule.id,
        severity=severity,
        title=rule.title,
        message=message,
        deployment=deployment,
        component=subject.component,
        span=subject.span,
        references=_references(rule, facts, kb),
        facts=facts,
        remediation=rule.remediation,
        unverifiable=unverifiable,
    )


def render(template: str, facts: Mapping[str, Fact]) -> str:
    """Replace `{field.path}` with the fact's value (no format-string evaluation)."""

    def value(match: re.Match[str]) -> str:
        fact = facts.get(match.group(1))
        if fact is None or fact.value is None:
            return "unknown"
        return _text(fact.value)

    return _PLACEHOLDER.sub(value, template)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _unique(facts: list[Fact]) -> tuple[Fact, ...]:
    seen: dict[tuple[str, str], Fact] = {}
    for fact in facts:
        seen.setdefault((fact.path, fact.origin), fact)
    return tuple(seen.values())


def _references(rule: Rule, facts: tuple[Fact, ...], kb: KnowledgeBase) -> tuple[Reference, ...]:
    """The rule's own references, then every law the evaluation relied on."""
    refs = list(rule.references)
    law_ids = list(rule.laws) + [
        f.path.removeprefix("kb.law.") for f in facts if f.path.startswith("kb.law.")
    ]
    for law_id in dict.fromkeys(law_ids):
        law = kb.laws.get(law_id)
        if law is not None:
            refs.append(
                Reference(f"{law.name} ({law.citation})", law.url or law.source, law.citation)
            )
    return tuple(dict.fromkeys(refs))

"""What the evidence formats need beyond findings, gathered while rules and knowledge are at hand:
the rules in effect (SARIF rule descriptors), every (rule, component) pair evaluated (JUnit test
cases, passes included) and the Chapter V status of each country named (the flow picture)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from residency_audit.engine.rules import Pack, Rule
from residency_audit.engine.subjects import subjects
from residency_audit.kb import KnowledgeBase
from residency_audit.model import Check, CountryStatus, Deployment, Finding, Flow, RuleInfo


def rule_infos(packs: Sequence[Pack], as_of: dt.date) -> tuple[RuleInfo, ...]:
    return tuple(RuleInfo(r.id, r.pack, r.title, r.severity, r.rationale.strip(),
                          r.remediation.strip(), r.references)
                 for p in packs for r in p.rules if r.in_effect(as_of))


def checks(deployment: Deployment, rules: Iterable[Rule], *, kb: KnowledgeBase,
           as_of: dt.date) -> list[Check]:
    """The (rule, component) pairs `engine.evaluate.audit` judges, in file then rule order."""
    active = [r for r in rules if r.in_effect(as_of)]
    seen: dict[Check, None] = {}
    for subject in subjects(deployment, kb, as_of):
        for rule in active:
            if subject.kind in rule.applies_to:
                seen.setdefault(Check(rule.id, deployment.name, subject.component), None)
    return list(seen)


def named_countries(findings: Iterable[Finding], flows: Iterable[Flow]) -> set[str]:
    """Country codes in the facts of findings (`*.country`) and in flows."""
    codes = {x.value for f in findings for x in f.facts
             if x.path.endswith("country") and isinstance(x.value, str)}
    for flow in flows:
        codes |= {c for c in (flow.country, flow.parent_country) if c}
    return codes


def country_statuses(codes: Iterable[str], kb: KnowledgeBase,
                     as_of: dt.date) -> tuple[CountryStatus, ...]:
    out = []
    for code in sorted(set(codes)):
        country = kb.country(code)
        if country is None:
            out.append(CountryStatus(code, code, "unknown"))
            continue
        if kb.in_eea(code, as_of):
            status = "eea"
        elif kb.generally_adequate(code, as_of):
            status = "adequate"
        elif kb.adequacy(code, as_of):
            status = "partially-adequate"
        else:
            status = "third-country"
        out.append(CountryStatus(code, country.name, status))
    return tuple(out)

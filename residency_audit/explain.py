"""`residency-audit explain RULE`: a rule as a lawyer or auditor would want to read it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from residency_audit.engine.conditions import fields_of
from residency_audit.engine.rules import Citation, Pack, Rule
from residency_audit.errors import UsageError
from residency_audit.format.text import suggestion
from residency_audit.kb import KnowledgeBase
from residency_audit.model import Severity, citation_dates


def find_rule(rule_id: str, packs: Sequence[Pack]) -> Rule:
    rules = {r.id: r for p in packs for r in p.rules}
    if rule_id in rules:
        return rules[rule_id]
    if rule_id.upper() in rules:  # `explain snc-qual-02`: ids are upper case, nothing else is meant
        return rules[rule_id.upper()]
    # `HDS-PUB-01/low`: the id code scanning shows for a finding raised or lowered from the rule's
    # severity (SARIF `ruleId`, reporters/sarif.py); the rule is the part before the slash
    base, slash, severity = rule_id.partition("/")
    if slash and severity.upper() in Severity.__members__ and base.upper() in rules:
        return rules[base.upper()]
    more = suggestion(rule_id.upper(), rules) or "; see `residency-audit rules list`"
    raise UsageError(f"unknown rule {rule_id!r}{more}")


def describe_rule(
    rule_id: str, packs: Sequence[Pack], kb: KnowledgeBase, *, as_of: dt.date | None = None
) -> str:
    """The rule, every reference with the days it may be cited; with `as_of`, the references
    as a finding of that day cites them (`Citation.cited_on`, as `check` does), the others
    listed apart, so that a reader of an old report sees why a text is missing from it."""
    r = find_rule(rule_id, packs)
    lines = [
        f"{r.id} — {r.title}",
        f"pack: {r.pack}    severity: {r.severity.label}"
        f"{' (+1 for Art. 9 data)' if r.escalate_special_category else ''}"
        f"    when unverifiable: {r.unverifiable_severity.label}",
        f"applies to: {', '.join(r.applies_to)}    defined in: {r.span}",
    ]
    if r.effective_from or r.effective_until:
        lines.append(
            f"in effect: from {r.effective_from or 'always'} "
            f"until {r.effective_until or 'further notice'}"
        )
    if as_of is not None and not r.in_effect(as_of):
        lines.append(f"not in effect on {as_of}: it makes no finding of that day")
    if r.deprecated:
        lines.append("DEPRECATED: kept so that its id is never reused")
    lines += [
        "",
        "Rationale:",
        f"  {r.rationale.strip()}",
        "",
        "Remediation:",
        f"  {r.remediation.strip()}",
    ]
    lines += _references(r, kb, as_of)
    used = sorted(set(fields_of(r.require) + (fields_of(r.when) if r.when else [])))
    lines += ["", "Facts it reads: " + ", ".join(used)]
    if r.depends_on:
        lines += ["", "Knowledge it relies on (validity dates from the knowledge base):"]
        lines += [f"  - {_knowledge_line(entry_id, kb)}" for entry_id in r.depends_on]
    unverified = _unverified(r, kb)
    if unverified or r.notes:
        lines += ["", "Unverified facts and caveats:"]
        if r.notes:
            lines.append(f"  {r.notes.strip()}")
        lines += [f"  - {item}" for item in unverified]
    return "\n".join(lines)


def _references(r: Rule, kb: KnowledgeBase, as_of: dt.date | None) -> list[str]:
    """The References section: all of them with their dates, or, on `as_of`, those a finding
    cites, then those not yet cited and those no longer cited. The knowledge-base laws a rule
    names are cited on every day, as findings cite them."""
    citations = r.citations or tuple(Citation(ref) for ref in r.references)
    cited = [c for c in citations if as_of is None or c.cited_on(as_of)]
    laws = [kb.laws[law_id] for law_id in r.laws]
    lines = ["", "References:" if as_of is None else f"References cited on {as_of}:"]
    lines += [f"  - {_citation_line(c)}" for c in cited]
    lines += [f"  - {law.name} ({law.citation}): {law.url or law.source}" for law in laws]
    if not cited and not laws:
        lines.append("  (none)")
    if as_of is not None:
        later = [c for c in citations if c.first_day is not None and as_of < c.first_day]
        ended = [c for c in citations if not c.cited_on(as_of) and c not in later]
        for title, group in (
            (f"Not yet cited on {as_of}:", later),
            (f"No longer cited on {as_of}:", ended),
        ):
            if group:
                lines += ["", title] + [f"  - {_citation_line(c)}" for c in group]
    return lines


def _citation_line(c: Citation) -> str:
    """A reference with the days it may be cited: from the day it applies (or, when it gives
    none, was adopted) until a later version replaced it."""
    dates = citation_dates(c.adopted, c.applies_from, c.superseded)
    line = f"{c.reference.label}: {c.reference.url}"
    return f"{line} ({dates})" if dates else line


def _knowledge_line(entry_id: str, kb: KnowledgeBase) -> str:
    found = kb.entry(entry_id)
    if found is None:
        return f"{entry_id}: not in the knowledge base"
    name, entry = found
    title = getattr(entry, "title", None) or getattr(entry, "name", entry_id)
    start = entry.valid_from.isoformat() if entry.valid_from else "(start not recorded)"
    end = (
        f"until {entry.valid_until.isoformat()} (exclusive)" if entry.valid_until else "no end date"
    )
    cutoff = getattr(entry, "new_contracts_until", None)
    if cutoff is not None:
        end += f", for contracts concluded before {cutoff.isoformat()}"
    cutoff = getattr(entry, "new_certificates_until", None)
    if cutoff is not None:
        end += f", for certificates issued before {cutoff.isoformat()}"
    status = "verified" if entry.verified else "NOT VERIFIED"
    return (
        f"{entry_id} ({name}): {title}; valid from {start}, {end}; {status} against "
        f"{entry.source} (checked {entry.as_of})"
    )


def _unverified(rule: Rule, kb: KnowledgeBase) -> list[str]:
    """Knowledge the rule depends on that is marked `verified: false`."""
    out = [
        f"law {law_id}: {kb.laws[law_id].note or 'not verified'}"
        for law_id in rule.laws
        if not kb.laws[law_id].verified
    ]
    for entry_id in rule.depends_on:  # the rule's declared knowledge (dates, instruments)
        found = kb.entry(entry_id)
        if found is not None and not found[1].verified and entry_id not in rule.laws:
            out.append(f"{entry_id}: {found[1].note or 'not verified'}")
    return list(dict.fromkeys(out))

"""`residency-audit explain RULE`: a rule as a lawyer or auditor would want to read it."""

from __future__ import annotations

from collections.abc import Sequence

from residency_audit.engine.conditions import fields_of
from residency_audit.engine.rules import Pack, Rule
from residency_audit.errors import UsageError
from residency_audit.format.convert import suggestion
from residency_audit.kb import KnowledgeBase


def find_rule(rule_id: str, packs: Sequence[Pack]) -> Rule:
    rules = {r.id: r for p in packs for r in p.rules}
    if rule_id in rules:
        return rules[rule_id]
    more = suggestion(rule_id.upper(), rules) or "; see `residency-audit rules list`"
    raise UsageError(f"unknown rule {rule_id!r}{more}")


def describe_rule(rule_id: str, packs: Sequence[Pack], kb: KnowledgeBase) -> str:
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
    if r.deprecated:
        lines.append("DEPRECATED: kept so that its id is never reused")
    lines += [
        "",
        "Rationale:",
        f"  {r.rationale.strip()}",
        "",
        "Remediation:",
        f"  {r.remediation.strip()}",
        "",
        "References:",
    ]
    lines += [f"  - {ref.label}: {ref.url}" for ref in r.references]
    for law_id in r.laws:
        law = kb.laws[law_id]
        lines.append(f"  - {law.name} ({law.citation}): {law.url or law.source}")
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

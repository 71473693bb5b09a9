"""What the evidence formats need beyond findings, gathered while rules and knowledge are at hand:
the rules in effect (SARIF rule descriptors) and the Chapter V status of each country named (the
flow picture). The (rule, component) pairs judged come from `engine.evaluate.audit`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from residency_audit.engine.rules import Pack, severities
from residency_audit.kb import KnowledgeBase
from residency_audit.model import CountryStatus, Finding, Flow, RuleInfo


def rule_infos(packs: Sequence[Pack], as_of: dt.date) -> tuple[RuleInfo, ...]:
    return tuple(
        RuleInfo(
            r.id,
            r.pack,
            r.title,
            r.severity,
            r.rationale.strip(),
            r.remediation.strip(),
            r.on(as_of).references,  # only what existed on as_of
            notes=r.notes.strip() if r.notes else None,
            severities=severities(r),
        )
        for p in packs
        for r in p.rules
        if r.in_effect(as_of)
    )


class _CountryPaths(dict[str, bool]):
    """Whether a fact's path ends with "country", by path, worked out at a path's first
    lookup: a file's findings cite about 500 facts under a few dozen paths, and a lookup costs
    less than the `str.endswith` call it saves. Depends on the text alone (no knowledge or
    date); at most `KEPT` paths."""

    KEPT = 4096

    def __missing__(self, path: str) -> bool:
        if len(self) >= self.KEPT:
            self.clear()
        ends = self[path] = path.endswith("country")
        return ends


_COUNTRY_PATH = _CountryPaths()


def named_countries(findings: Iterable[Finding], flows: Iterable[Flow]) -> set[str]:
    """Country codes in the facts of findings (`*.country`) and in flows."""
    country_path = _COUNTRY_PATH
    codes = {
        x.value
        for f in findings
        for x in f.facts
        if country_path[x.path] and isinstance(x.value, str)
    }
    codes.update([c for flow in flows for c in (flow.country, flow.parent_country) if c])
    return codes


def country_statuses(
    codes: Iterable[str], kb: KnowledgeBase, as_of: dt.date
) -> tuple[CountryStatus, ...]:
    out = []
    for code in sorted(set(codes)):
        country = kb.country(code)
        if country is None:
            out.append(CountryStatus(code, code, "unknown"))
            continue
        if kb.in_eea(code, as_of):
            status = "eea"
        elif kb.generally_adequate(code, as_of):
            general = [d for d in kb.adequacy(code, as_of) if d.scope == "general"]
            # an interim provision (the EU-UK TCA bridge) is not an Art. 45 decision
            status = "interim" if all(d.interim for d in general) else "adequate"
        elif kb.adequacy(code, as_of):
            status = "partially-adequate"
        else:
            status = "third-country"
        out.append(CountryStatus(code, country.name, status))
    return tuple(out)

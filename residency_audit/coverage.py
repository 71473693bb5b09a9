"""Requirement-by-requirement coverage of a framework by the rules (`rules coverage`).

A pack may carry `mapping.yaml`: every requirement of its framework (HDS EXI 01-31, GDPR
articles, EDPB use cases, SecNumCloud criteria) names the rules that check it, or says MANUAL
with the reason a machine cannot (a document must be read). The referential's validity dates come
from the knowledge base entry the mapping names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from typing import Any

from residency_audit.engine.rules import MAPPING_FILE, Pack, display_path
from residency_audit.errors import RuleError
from residency_audit.format.convert import INVALID, Converter
from residency_audit.kb import KnowledgeBase
from residency_audit.loader import load_document
from residency_audit.model import Diagnostic, Span, doc
from residency_audit.records import Record, record


@record(kw_only=True)
class Requirement(Record):
    id: str = field(metadata=doc("Requirement id as the framework numbers it, e.g. EXI 28."))
    title: str = field(metadata=doc("Short summary of the requirement."))
    rules: tuple[str, ...] = field(default=(), metadata=doc("Rule ids that check it."))
    manual: str | None = field(default=None, metadata=doc("Why it needs a human (MANUAL)."))
    note: str | None = field(default=None, metadata=doc("What the rules leave out."))
    span: Span = field(default=Span("", 0, 0), compare=False)


@record(kw_only=True)
class Mapping(Record):
    framework: str = field(metadata=doc("Framework name."))
    instrument: str = field(metadata=doc("Knowledge-base id of the referential (dates)."))
    url: str = field(metadata=doc("Where the framework can be read."))
    requirements: tuple[Requirement, ...] = field(metadata=doc("Every requirement, in order."))


@record
class Coverage(Record):
    pack: str
    mapping: Mapping
    valid_from: str | None
    valid_until: str | None

    @property
    def automated(self) -> int:
        return sum(1 for r in self.mapping.requirements if r.rules)

    @property
    def share(self) -> float:
        total = len(self.mapping.requirements)
        return self.automated / total if total else 0.0


def load_mapping(pack: Pack, known_rules: set[str], kb: KnowledgeBase) -> Coverage | None:
    """The pack's mapping, checked: each requirement has rules or a MANUAL reason, never both;
    each rule id exists; the instrument is in the knowledge base."""
    path = pack.directory / MAPPING_FILE
    if not path.is_file():
        return None
    document = load_document(path, display_path(path))  # an external pack's is not in rules/
    converter = Converter(document.path)
    mapping: Any = INVALID
    if document.root is not None:
        mapping = converter.mapping(document.root, Mapping, "")
    if mapping is INVALID:
        raise RuleError(
            converter.diagnostics or [Diagnostic(Span(document.path, 1, 1), "empty mapping file")]
        )
    problems: list[Diagnostic] = []
    for req in mapping.requirements:
        if bool(req.rules) == bool(req.manual):
            problems.append(Diagnostic(req.span, f"{req.id}: give either rules or a manual reason"))
        problems += [
            Diagnostic(req.span, f"{req.id}: unknown rule {rule_id}")
            for rule_id in req.rules
            if rule_id not in known_rules
        ]
    entry = kb.instrument(mapping.instrument)
    if entry is None:
        problems.append(
            Diagnostic(
                Span(document.path, 1, 1),
                f"unknown knowledge-base instrument {mapping.instrument!r}",
            )
        )
    if problems:
        raise RuleError(sorted(problems))
    assert entry is not None
    return Coverage(
        pack.name,
        mapping,
        entry.valid_from.isoformat() if entry.valid_from else None,
        entry.valid_until.isoformat() if entry.valid_until else None,
    )


def coverages(packs: Sequence[Pack], kb: KnowledgeBase) -> list[Coverage]:
    known = {rule.id for pack in packs for rule in pack.rules}
    return [c for pack in packs if (c := load_mapping(pack, known, kb)) is not None]


def as_json(items: Sequence[Coverage]) -> list[dict[str, Any]]:
    return [
        {
            "pack": c.pack,
            "framework": c.mapping.framework,
            "instrument": c.mapping.instrument,
            "url": c.mapping.url,
            "valid_from": c.valid_from,
            "valid_until": c.valid_until,
            "requirements": [
                {
                    "id": r.id,
                    "title": r.title,
                    "rules": list(r.rules),
                    "manual": r.manual,
                    "note": r.note,
                }
                for r in c.mapping.requirements
            ],
            "automated": c.automated,
            "total": len(c.mapping.requirements),
            "share_automated": round(c.share, 3),
        }
        for c in items
    ]


def as_text(items: Sequence[Coverage]) -> str:
    lines: list[str] = []
    for c in items:
        period = f"in force from {c.valid_from or '(date not recorded)'}" + (
            f" until {c.valid_until} (exclusive)" if c.valid_until else ""
        )
        lines += [
            f"{c.pack}: {c.mapping.framework} ({c.mapping.instrument}, {period})",
            f"  {c.mapping.url}",
        ]
        width = max(len(r.id) for r in c.mapping.requirements)
        for r in c.mapping.requirements:
            what = ", ".join(r.rules) if r.rules else f"MANUAL: {r.manual}"
            lines.append(f"  {r.id:<{width}}  {what}")
            if r.note:
                lines.append(f"  {'':<{width}}  note: {r.note}")
        lines += [f"  automated: {c.automated}/{len(c.mapping.requirements)} ({c.share:.0%})", ""]
    return "\n".join(lines)

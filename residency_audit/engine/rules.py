"""Rule packs: YAML files in `rules/<pack>/`, one rule per file, loaded and checked.

A rule names the subjects it judges (`applies_to`), when it is relevant (`when`) and what must
hold (`require`), both in the condition language of `conditions.py`. Any problem in a rule file is
a `RuleError` pointing at file:line:col; nothing in a rule file is ever executed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import field
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from residency_audit.clock import parse_day
from residency_audit.engine.conditions import Condition, ConditionParser
from residency_audit.engine.fields import FIELDS, KINDS
from residency_audit.errors import InputError, RuleError
from residency_audit.format.convert import INVALID, Converter
from residency_audit.format.scalars import plain_value
from residency_audit.format.text import LINE_BREAK, suggestion
from residency_audit.loader import load_document, read_bytes, unshowable_name
from residency_audit.model import Diagnostic, Reference, Severity, Span, doc
from residency_audit.records import Record, record, replaced

BUNDLED_DIRS = (
    Path(__file__).resolve().parent.parent / "rules",
    Path(__file__).resolve().parent.parent.parent / "rules",
)
"""Installed wheels carry the packs inside the package; a source checkout has them at the top."""


MAPPING_FILE = "mapping.yaml"
"""A pack's requirement-by-requirement map to its rules (see `residency_audit.coverage`)."""


@record(kw_only=True)
class ReferenceDoc(Record):
    """A rule file's legal reference."""

    label: str = field(metadata=doc("Instrument and provision, e.g. GDPR Art. 46."))
    url: str = field(metadata=doc("Where the text can be read."))
    article: str | None = field(default=None, metadata=doc("Article or requirement number."))
    adopted: dt.date | None = field(
        default=None,
        metadata=doc(
            "Day the cited text, or this version of it, was adopted (delivered, for a "
            "judgment); an audit as of an earlier day does not cite it. Give it for every "
            "dated or versioned document (guidelines, judgments, referentials)."
        ),
    )
    applies_from: dt.date | None = field(
        default=None,
        metadata=doc(
            "For a text that applies after its adoption (the GDPR, adopted 27 April 2016, "
            "applies from 25 May 2018): an audit as of an earlier day does not cite it."
        ),
    )
    superseded: dt.date | None = field(
        default=None,
        metadata=doc(
            "First day a later version replaced the cited one (cite that version in another "
            "reference): an audit as of that day or later does not cite this one."
        ),
    )


@record
class Citation(Record):
    """A rule's reference and the days an audit may cite it: from the day the cited text
    existed (or applied) until a later version replaced it."""

    reference: Reference
    """The reference as findings cite it, its days included (`Reference.adopted`...)."""

    @property
    def adopted(self) -> dt.date | None:
        return self.reference.adopted

    @property
    def applies_from(self) -> dt.date | None:
        return self.reference.applies_from

    @property
    def superseded(self) -> dt.date | None:
        return self.reference.superseded

    @property
    def first_day(self) -> dt.date | None:
        """The first day the reference may be cited (None: always)."""
        return self.applies_from or self.adopted

    def cited_on(self, day: dt.date) -> bool:
        first = self.first_day
        if first is not None and day < first:
            return False
        return self.superseded is None or day < self.superseded


@record(kw_only=True)
class RuleHeader(Record):
    """The keys of a rule file other than its conditions and examples."""

    id: str = field(metadata=doc("Stable id, never reused."))
    title: str = field(metadata=doc("One line."))
    severity: str = field(metadata=doc("info, low, medium, high or critical."))
    applies_to: tuple[str, ...] = field(metadata=doc("Subject kinds judged."))
    references: tuple[ReferenceDoc, ...] = field(metadata=doc("Legal references."))
    rationale: str = field(metadata=doc("Why the rule exists."))
    remediation: str = field(metadata=doc("What to do."))
    message: str = field(metadata=doc("Finding message; {field.path} is replaced by its value."))
    unverifiable_message: str | None = field(
        default=None,
        metadata=doc(
            "Message when a fact is missing, after 'cannot be verified for X: unknown F.'; "
            "default 'Required: <title>'. Must not assert the violation nobody could establish."
        ),
    )
    laws: tuple[str, ...] = field(default=(), metadata=doc("Knowledge-base law ids always cited."))
    escalate_special_category: bool = field(
        default=False,
        metadata=doc(
            "Raise severity one level for Art. 9 data; an unverifiable finding's too, but not "
            "past that raised failure severity, nor below its own unverifiable severity."
        ),
    )
    unverifiable_severity: str = field(
        default="high", metadata=doc("Severity when the rule cannot be decided.")
    )
    effective_from: dt.date | None = field(default=None, metadata=doc("Applies from."))
    effective_until: dt.date | None = field(default=None, metadata=doc("Applies until (excl.)."))
    deprecated: bool = field(default=False, metadata=doc("Retired; kept so the id is not reused."))
    notes: str | None = field(default=None, metadata=doc("Caveats (unverified facts...)."))
    depends_on: tuple[str, ...] = field(
        default=(),
        metadata=doc(
            "Knowledge-base entries (instrument, adequacy or law ids) the "
            "rule relies on; `explain` shows their dates and status."
        ),
    )


@record
class Example(Record):
    """A rule's own pass, fail or unverifiable case, as facts."""

    expect: str
    """pass, fail or unverifiable."""
    facts: dict[str, Any]
    as_of: str | None
    span: Span


@record
class Rule(Record):
    """A loaded rule: what it judges, its conditions, references and examples."""

    id: str
    pack: str
    title: str
    severity: Severity
    applies_to: tuple[str, ...]
    references: tuple[Reference, ...]
    rationale: str
    remediation: str
    message: str
    unverifiable_message: str | None
    when: Condition | None
    require: Condition
    laws: tuple[str, ...]
    escalate_special_category: bool
    unverifiable_severity: Severity
    effective_from: dt.date | None
    effective_until: dt.date | None
    deprecated: bool
    notes: str | None
    examples: tuple[Example, ...]
    span: Span
    depends_on: tuple[str, ...] = ()
    citations: tuple[Citation, ...] = ()
    """Every reference with the days it may be cited; `references` holds them all (every
    version), `on(day)` the rule as an audit of that day cites it."""

    def in_effect(self, day: dt.date) -> bool:
        if self.deprecated:
            return False
        if self.effective_from is not None and day < self.effective_from:
            return False
        return self.effective_until is None or day < self.effective_until

    def on(self, day: dt.date) -> Rule:
        """The rule as an audit as of `day` cites it: only the references to texts that
        existed (or applied) that day and were not yet replaced by a later version. A finding
        never cites guidance adopted after its as-of date."""
        if not self.citations:
            return self
        cited = tuple(c.reference for c in self.citations if c.cited_on(day))
        return self if cited == self.references else replaced(self, "references", cited)


def severity_of(rule: Rule, *, unverifiable: bool, special: bool) -> Severity:
    """The severity of `rule`'s finding: its own, or its unverifiable one when a fact was
    missing; raised for Art. 9 (special-category) data when the rule escalates."""
    severity = rule.unverifiable_severity if unverifiable else rule.severity
    if not (special and rule.escalate_special_category):
        return severity
    # Art. 9 data raise what a violation costs by a level, and an unknown by a level too, but
    # not past the raised failure it may hide (declaring the fact that makes the rule fail must
    # not lower it), nor below its own unverifiable severity.
    raised = Severity(min(rule.severity + 1, Severity.CRITICAL))
    return max(severity, Severity(min(severity + 1, raised))) if unverifiable else raised


def severities(rule: Rule) -> tuple[Severity, ...]:
    """Every severity `rule`'s findings can have, its own first, then from the highest."""
    others = {
        severity_of(rule, unverifiable=u, special=s) for u in (False, True) for s in (False, True)
    }
    return (rule.severity, *sorted(others - {rule.severity}, reverse=True))


@record(kw_only=True)
class PackHeader(Record):
    """A rule pack's pack.yaml."""

    name: str = field(metadata=doc("Pack name."))
    title: str = field(metadata=doc("Human title."))
    version: str = field(metadata=doc("Pack version."))
    description: str | None = field(default=None, metadata=doc("What the pack covers."))


@record
class Pack(Record):
    """A loaded rule pack with the SHA-256 of its files."""

    name: str
    title: str
    version: str
    description: str | None
    directory: Path
    sha256: str
    rules: tuple[Rule, ...]


PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")
"""A `{field.path}` in a rule message."""

_CONDITION_KEYS = ("when", "require")


def parse_rule(root: Node | None, path: str, pack: str) -> Rule:
    """Parse one rule document; all of its problems are raised together."""
    if not isinstance(root, MappingNode):
        raise RuleError.at(Span(path, 1, 1), "a rule file holds one mapping (id, title, ...)")
    header_items, special = [], {}
    for key, value in root.value:
        if isinstance(key, ScalarNode) and key.value in (*_CONDITION_KEYS, "examples"):
            special[key.value] = (key, value)
        else:
            header_items.append((key, value))
    converter = Converter(path)
    header_node = MappingNode(root.tag, header_items, root.start_mark, root.end_mark)
    header = converter.mapping(header_node, RuleHeader, "")
    diagnostics = list(converter.diagnostics)
    kinds = header.applies_to if header is not INVALID else KINDS

    def known() -> frozenset[str]:
        return frozenset(f for k in kinds if k in FIELDS for f in FIELDS[k])

    parser = ConditionParser(path, known)
    conditions: dict[str, Condition | None] = {}
    for name in _CONDITION_KEYS:
        if name in special:
            conditions[name] = parser.parse(special[name][1])
    diagnostics += parser.diagnostics
    if "require" not in special:
        diagnostics.append(
            Diagnostic(
                Span(path, 1, 1), "missing required key 'require' (the condition that must hold)"
            )
        )
    examples = _examples(special.get("examples"), path, diagnostics)
    if header is not INVALID:
        at = converter.locations.get
        diagnostics += _check_header(header, converter.span(root), path, at)
        diagnostics += _check_message(header.message, known(), at("message", converter.span(root)))
        if header.unverifiable_message is not None:
            diagnostics += _check_message(
                header.unverifiable_message,
                known(),
                at("unverifiable_message", converter.span(root)),
                "unverifiable_message",
            )
    if diagnostics:
        raise RuleError(sorted(diagnostics))
    require = conditions["require"]
    assert require is not None
    citations = tuple(
        Citation(Reference(r.label, r.url, r.article, r.adopted, r.applies_from, r.superseded))
        for r in header.references
    )
    return Rule(
        id=header.id,
        pack=pack,
        title=header.title,
        severity=Severity.parse(header.severity),
        applies_to=header.applies_to,
        references=tuple(c.reference for c in citations),
        rationale=header.rationale,
        remediation=header.remediation,
        message=header.message,
        unverifiable_message=header.unverifiable_message,
        when=conditions.get("when"),
        require=require,
        laws=header.laws,
        escalate_special_category=header.escalate_special_category,
        unverifiable_severity=Severity.parse(header.unverifiable_severity),
        effective_from=header.effective_from,
        effective_until=header.effective_until,
        deprecated=header.deprecated,
        notes=header.notes,
        examples=examples,
        span=converter.span(root),
        depends_on=header.depends_on,
        citations=citations,
    )


def _check_header(
    header: RuleHeader, where: Span, path: str, at: Callable[[str, Span], Span]
) -> Iterable[Diagnostic]:
    for name in ("severity", "unverifiable_severity"):
        value = getattr(header, name)
        if value.upper() not in Severity.__members__:
            yield Diagnostic(
                at(name, where), f"{name} {value!r} is not one of info, low, medium, high, critical"
            )
    for i, kind in enumerate(header.applies_to):
        if kind not in KINDS:
            yield Diagnostic(
                at(f"applies_to[{i}]", where),
                f"applies_to {kind!r} is not one of {', '.join(KINDS)}{suggestion(kind, KINDS)}",
            )
    if not header.references:
        yield Diagnostic(at("references", where), "every rule needs references")
    for i, r in enumerate(header.references):
        if not r.url.startswith("https://"):
            yield Diagnostic(
                at(f"references[{i}].url", where), "every reference needs an https:// url"
            )
        if r.adopted and r.applies_from and r.applies_from < r.adopted:
            yield Diagnostic(
                at(f"references[{i}].applies_from", where),
                "applies_from is before adopted: a text cannot apply before it exists",
            )
        first = r.applies_from or r.adopted
        if r.superseded and first and r.superseded <= first:
            yield Diagnostic(
                at(f"references[{i}].superseded", where),
                f"superseded {r.superseded} is not after {first}: the reference would never "
                "be cited",
            )
    stem = Path(path).stem
    if stem != header.id:
        yield Diagnostic(
            where,
            f"rule id {header.id!r} differs from its file name {stem!r}; "
            "name the file after the id",
        )


def _examples(
    entry: tuple[Node, Node] | None, path: str, diagnostics: list[Diagnostic]
) -> tuple[Example, ...]:
    if entry is None:
        diagnostics.append(
            Diagnostic(
                Span(path, 1, 1), "missing 'examples' (pass and fail cases the test suite runs)"
            )
        )
        return ()
    key, node = entry
    out: list[Example] = []
    if not isinstance(node, MappingNode):
        diagnostics.append(
            Diagnostic(
                Span(path, key.start_mark.line + 1, 1),
                "examples: a mapping with pass, fail and unverifiable lists",
            )
        )
        return ()
    for k, v in node.value:
        expect = k.value
        if expect not in ("pass", "fail", "unverifiable"):
            diagnostics.append(
                Diagnostic(
                    Span(path, k.start_mark.line + 1, k.start_mark.column + 1),
                    f"examples: unknown list {expect!r}; use pass, fail or unverifiable",
                )
            )
            continue
        for item in v.value if isinstance(v, SequenceNode) else []:
            span = Span(path, item.start_mark.line + 1, item.start_mark.column + 1)
            try:
                data = plain_value(item)
            except ValueError as exc:
                diagnostics.append(Diagnostic(span, f"example: {exc}"))
                continue
            if not isinstance(data, dict):
                diagnostics.append(Diagnostic(span, "an example is a mapping of facts"))
                continue
            as_of = data.pop("as_of", None)
            if as_of is not None:
                try:
                    as_of = parse_day(str(as_of)).isoformat()
                except ValueError as exc:
                    diagnostics.append(Diagnostic(span, f"example: as_of: {exc}"))
                    continue
            out.append(Example(expect, _flatten(data), as_of, span))
    if not any(e.expect == "fail" for e in out):
        diagnostics.append(
            Diagnostic(
                Span(path, key.start_mark.line + 1, 1), "examples need at least one 'fail' case"
            )
        )
    return tuple(out)


_WHOLE_VALUES = ("transfer.tools", "certification.validity")
"""Example facts whose value is itself a mapping, kept whole rather than flattened."""


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path not in _WHOLE_VALUES:
            out.update(_flatten(value, path + "."))
        else:
            out[path] = value
    return out


def yaml_files(directory: Path) -> list[Path]:
    """A pack's YAML files, `*.yaml` and `*.yml` in any case (as deployments), by name: a rule
    file the pack ignored would leave its author's CI green while the rule never runs."""
    return sorted(p for p in _entries(directory) if p.suffix.lower() in (".yaml", ".yml"))


def _entries(directory: Path) -> list[Path]:
    """What `directory` holds; one that cannot be listed is a rule error naming it."""
    try:
        return list(directory.iterdir())
    except OSError as exc:
        raise RuleError.at(
            Span(display_path(directory), 1, 1), f"cannot list directory: {exc.strerror or exc}"
        ) from None


def load_pack(directory: Path) -> Pack:
    """The pack in `directory`. Every file it holds is read as deployments are (regular files
    of at most `loader.MAX_BYTES`: a FIFO would hang the run, /dev/zero fill the memory), its
    mapping too, though only `rules coverage` uses it; all problems are raised together."""
    refused = unshowable_name(display_path(directory))
    if refused is not None:
        raise RuleError([refused])
    digest = hashlib.sha256()
    meta_path = directory / "pack.yaml"
    try:
        document = load_document(meta_path, display_path(meta_path))
    except InputError as exc:  # a RuleError, so that every pack's problems are listed
        raise RuleError(exc.diagnostics) from None
    converter = Converter(document.path)
    header = converter.mapping(document.root, PackHeader, "") if document.root else INVALID
    if header is INVALID:
        raise RuleError(
            converter.diagnostics or [Diagnostic(Span(document.path, 1, 1), "empty pack.yaml")]
        )
    digest.update(b"pack.yaml\0" + document.raw)
    rules: list[Rule] = []
    problems: list[Diagnostic] = []
    for rule_path in yaml_files(directory):
        if rule_path.name == "pack.yaml":
            continue
        refused = unshowable_name(display_path(rule_path))
        if refused is not None:
            problems.append(refused)
            continue
        try:
            if rule_path.name == MAPPING_FILE:  # read by `residency_audit.coverage`
                read_bytes(rule_path, display_path(rule_path))
                continue
            rule_doc = load_document(rule_path, display_path(rule_path))
            digest.update(rule_path.name.encode() + b"\0" + rule_doc.raw)
            rules.append(parse_rule(rule_doc.root, rule_doc.path, header.name))
        except InputError as exc:  # RuleError, or a YAML problem found by the loader
            problems += exc.diagnostics
    if problems:
        raise RuleError(sorted(problems))
    return Pack(
        header.name,
        header.title,
        header.version,
        header.description,
        directory,
        digest.hexdigest(),
        tuple(rules),
    )


def _check_message(
    message: str, known: frozenset[str], where: Span, key: str = "message"
) -> Iterable[Diagnostic]:
    """Every `{field}` of a message is a field the rule's subjects have: a typo would print
    "unknown" in every finding. A message is one line of the text report and of the CI log,
    and a saved result holding a line break in one is refused (`reporters/jsonread.py`)."""
    if LINE_BREAK.search(message):
        yield Diagnostic(
            where,
            f"{key}: line break in a message, which is printed on one line; write it on one "
            "line (a `>` or `|` block keeps a final line break: use `>-`)",
        )
    for name in dict.fromkeys(PLACEHOLDER.findall(message)):
        if name not in known:
            yield Diagnostic(where, f"{key}: unknown field {{{name}}}{suggestion(name, known)}")
    for braced in dict.fromkeys(_BRACED.findall(message)):
        if PLACEHOLDER.fullmatch(braced) is None:  # printed as written in every finding
            yield Diagnostic(
                where,
                f"{key}: {braced[:80]} is no placeholder: write {{field.path}} alone (no format "
                "spec, conversion or index; messages are not format strings)",
            )


_BRACED = re.compile(r"\{[^{}]*\}")
"""Any braced text of a message: those that are not `PLACEHOLDER`s would be printed raw."""


def display_path(path: Path) -> str:
    """Rule paths as users know them: `rules/hds/HDS-LOC-01.yaml` for bundled packs, the path
    as given for any other."""
    real = Path(os.path.realpath(path))  # Path.resolve raises RuntimeError on a link loop
    for base in BUNDLED_DIRS:
        try:
            return str(Path("rules") / real.relative_to(os.path.realpath(base)))
        except ValueError:
            continue
    return str(path)


def bundled_directory() -> Path:
    for base in BUNDLED_DIRS:
        if base.is_dir():
            return base
    raise RuleError.at(
        Span("rules", 1, 1),
        "the bundled rule packs are missing from this installation; reinstall residency-audit",
    )


def pack_directories(extra: Iterable[Path] = ()) -> list[Path]:
    """The bundled packs, then each `--rules DIR` (a pack, or a directory of packs)."""
    dirs = sorted(p for p in _entries(bundled_directory()) if _holds_pack(p))
    for directory in extra:
        if _holds_pack(directory):
            dirs.append(directory)
            continue
        found = (
            sorted(p for p in _entries(directory) if _holds_pack(p)) if directory.is_dir() else []
        )
        if not found:
            raise RuleError.at(
                Span(str(directory), 1, 1),
                "not a rule pack: expected pack.yaml in it or in its subfolders",
            )
        dirs += found
    return dirs


def _holds_pack(directory: Path) -> bool:
    """Whether `directory` has a `pack.yaml`, even one that cannot be read (a link loop, a
    dangling link, a FIFO): reading it then says what is wrong with it, where "not a rule pack"
    would not."""
    return os.path.lexists(directory / "pack.yaml")


def load_packs(extra: Iterable[Path] = ()) -> tuple[Pack, ...]:
    """The bundled packs and each extra one, from the parse cache when no file changed."""
    from residency_audit import cache

    directories = pack_directories(extra)
    contents: list[tuple[str, bytes]] = []
    for path in (p for d in directories for p in yaml_files(d)):
        # The key is made of the bytes, read as the packs are: a FIFO cannot hang it, nor
        # /dev/zero fill the memory, nor a name that is not UTF-8 fail to encode.
        try:
            raw = read_bytes(path, str(path)) if unshowable_name(str(path)) is None else None
        except InputError:
            raw = None
        if raw is None:
            return parse_packs(directories)  # it raises this file's error with all the others
        contents.append((str(path), raw))
    return cache.cached(
        "rules", contents, lambda: parse_packs(directories), lambda v: _packs_of(v, directories)
    )


def _packs_of(value: object, directories: list[Path]) -> bool:
    """`value` is what `parse_packs(directories)` returns: a pack for each directory, in
    order (a cache entry holding anything else is not used)."""
    return (
        isinstance(value, tuple)
        and len(value) == len(directories)
        and all(
            isinstance(p, Pack) and p.directory == d
            for p, d in zip(value, directories, strict=True)
        )
    )


def parse_packs(directories: list[Path]) -> tuple[Pack, ...]:
    """Load the packs in `directories`, all their problems raised together (no cache)."""
    packs: list[Pack] = []
    problems: list[Diagnostic] = []
    for directory in directories:
        try:
            packs.append(load_pack(directory))
        except RuleError as exc:
            problems += exc.diagnostics
    ids: dict[str, Rule] = {}
    names: dict[str, Pack] = {}
    for pack in packs:
        if pack.name in names:  # the evidence manifest names packs: two of one name are ambiguous
            problems.append(
                Diagnostic(
                    Span(display_path(pack.directory / "pack.yaml"), 1, 1),
                    f"pack name {pack.name!r} is already used by the pack in "
                    f"{display_path(names[pack.name].directory)}; give this pack its own name",
                )
            )
        names.setdefault(pack.name, pack)
        for rule in pack.rules:
            if rule.id in ids:
                problems.append(
                    Diagnostic(
                        rule.span, f"rule id {rule.id} already defined in {ids[rule.id].span.path}"
                    )
                )
            ids[rule.id] = rule
    if problems:
        raise RuleError(sorted(problems))
    return tuple(packs)

"""Tools for rule authors: `rules test DIR` and `rules lint DIR` over a team's own packs.

Both load only the packs under DIR (a pack, or a folder of packs) with the bundled loader, so a
compliance team extending the packs gets exactly the errors `check --rules DIR` would give.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from residency_audit.engine.examples import ExampleResult, run_examples
from residency_audit.engine.fields import FIELDS
from residency_audit.engine.rules import Pack, load_packs, pack_directories, parse_packs
from residency_audit.errors import InputError, RuleError
from residency_audit.format.text import suggestion
from residency_audit.kb import KnowledgeBase
from residency_audit.model import Diagnostic, Span
from residency_audit.records import Record, record


def user_packs(directory: Path) -> list[Pack]:
    """The packs under `directory` only (not the bundled ones); RuleError when invalid."""
    bundled = set(pack_directories())
    return list(parse_packs([d for d in pack_directories([directory]) if d not in bundled]))


def test_rules(directory: Path, kb: KnowledgeBase) -> list[ExampleResult]:
    """Run every example of the user's rules; each result says ok or what went wrong. Rules
    that `check` would refuse (an id of a bundled rule, an unknown law) are not tested: their
    errors are raised, as lint reports them."""
    errors = lint_rules(directory, kb).errors
    if errors:
        raise RuleError(list(errors))
    packs = user_packs(directory)
    return run_examples([r for p in packs for r in p.rules], kb)


@record
class LintResult(Record):
    errors: tuple[Diagnostic, ...]
    """What stops the rules from loading (the audit would exit 2)."""
    warnings: tuple[Diagnostic, ...]
    """What loads but weakens the rules (missing pass examples, id clashes...)."""
    rules: int


def lint_rules(directory: Path, kb: KnowledgeBase) -> LintResult:
    try:
        packs = user_packs(directory)
    except RuleError as exc:
        return LintResult(exc.diagnostics, (), 0)
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    linted = {
        p.directory.resolve() for p in packs
    }  # a bundled pack linted as itself clashes with nothing
    bundled_packs = [p for p in load_packs() if p.directory.resolve() not in linted]
    bundled = {r.id: r for p in bundled_packs for r in p.rules}
    taken = {p.name: p.directory for p in bundled_packs}
    errors += [
        Diagnostic(
            Span(str(p.directory / "pack.yaml"), 1, 1),
            f"pack name {p.name!r} is already used by the bundled pack in {taken[p.name]}; give "
            "this pack its own name (to lint the bundled packs of a source tree, install it "
            "editable, `pip install -e .`, so that they are the bundled ones)",
        )
        for p in packs
        if p.name in taken
    ]
    for pack, rule in ((p, r) for p in packs for r in p.rules):
        errors += [
            Diagnostic(rule.span, f"rule {rule.id} cites unknown law id {law!r}")
            for law in rule.laws
            if law not in kb.laws
        ]
        errors += [
            Diagnostic(rule.span, f"rule {rule.id} depends on unknown knowledge-base entry {e!r}")
            for e in rule.depends_on
            if kb.entry(e) is None
        ]
        known = {f for kind in rule.applies_to for f in FIELDS.get(kind, {})}
        errors += [
            Diagnostic(
                example.span,
                f"rule {rule.id} example: unknown field {path!r}{suggestion(path, known)}",
            )
            for example in rule.examples
            for path in example.facts
            if path not in known
        ]
        # A pack clashing by name is said once: a copy of a bundled pack would else repeat the
        # clash for each of its rules (91 errors for the source tree's rules/ beside an install).
        if rule.id in bundled and pack.name not in taken:
            errors.append(
                Diagnostic(
                    rule.span,
                    f"rule id {rule.id} is already used by the "
                    f"bundled rule in {bundled[rule.id].span.path}",
                )
            )
        if not any(e.expect == "pass" for e in rule.examples):
            warnings.append(
                Diagnostic(
                    rule.span,
                    f"rule {rule.id} has no 'pass' example; add "
                    "one so the rule cannot fail everything",
                )
            )
        if len(rule.rationale.split()) < 8:
            warnings.append(
                Diagnostic(
                    rule.span,
                    f"rule {rule.id}: the rationale is too short to explain the legal requirement",
                )
            )
    errors += _mapping_problems(packs, {*bundled, *(r.id for p in packs for r in p.rules)}, kb)
    return LintResult(
        tuple(sorted(errors)), tuple(sorted(warnings)), sum(len(p.rules) for p in packs)
    )


def _mapping_problems(
    packs: Sequence[Pack], known: set[str], kb: KnowledgeBase
) -> list[Diagnostic]:
    """Each pack's `mapping.yaml` read and checked as `rules coverage` reads it (its rules
    among the linted and the bundled ones): a tag, a syntax error or an alias bomb in it is a
    lint error, not a surprise for the first reader of the coverage."""
    from residency_audit.coverage import load_mapping

    problems: list[Diagnostic] = []
    for pack in packs:
        try:
            load_mapping(pack, known, kb)
        except InputError as exc:  # RuleError, or what the loader refused
            problems += exc.diagnostics
    return problems


def format_lint(result: LintResult) -> Sequence[str]:
    lines = [str(d) for d in result.errors]
    lines += [f"{d.span}: warning: {d.message}" for d in result.warnings]
    return lines

"""`rules list|coverage|test|lint`: the rule packs, for readers and rule authors."""

from pathlib import Path
from typing import Annotated

import typer

from residency_audit.cli.base import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, handled
from residency_audit.errors import UsageError
from residency_audit.reporters.common import defused, defused_json

app = typer.Typer(help="List, inspect, test and lint rule packs.", no_args_is_help=True)


@app.command("list")
@handled
def rules_list(
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    rules: Annotated[list[Path] | None, typer.Option("--rules", help="Extra pack dir.")] = None,
) -> None:
    """List every rule: id, pack, severity, title."""
    from residency_audit import kb
    from residency_audit.pipeline import load_rules

    packs = load_rules(rules or [], kb.default())
    if output_format == "json":
        import json

        items = [
            {
                "id": r.id,
                "pack": r.pack,
                "severity": r.severity.label,
                "title": r.title,
                "applies_to": list(r.applies_to),
                "references": [{"label": x.label, "url": x.url} for x in r.references],
                "effective_from": r.effective_from.isoformat() if r.effective_from else None,
                "effective_until": r.effective_until.isoformat() if r.effective_until else None,
                "depends_on": list(r.depends_on),
            }
            for p in packs
            for r in p.rules
        ]
        typer.echo(defused_json(json.dumps(items, indent=2, ensure_ascii=False)))
        return
    if output_format != "text":
        raise UsageError(f"--format: {output_format!r} is not one of text, json")
    for pack in packs:
        typer.echo(defused(f"{pack.name} {pack.version}: {pack.title}"))
        for r in pack.rules:
            typer.echo(defused(f"  {r.id:<14} {r.severity.label:<8} {r.title}"))


@app.command("coverage")
@handled
def rules_coverage(
    pack: Annotated[str | None, typer.Option("--pack", help="Only this pack, e.g. hds.")] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    rules: Annotated[list[Path] | None, typer.Option("--rules", help="Extra pack dir.")] = None,
) -> None:
    """Print each framework requirement with the rules that check it, or MANUAL, and the share
    automated."""
    from residency_audit import kb
    from residency_audit.coverage import as_json, as_text, coverages
    from residency_audit.pipeline import load_rules

    if output_format not in ("text", "json"):
        raise UsageError(f"--format: {output_format!r} is not one of text, json")
    knowledge = kb.default()
    packs = load_rules(rules or [], knowledge)
    items = coverages(packs, knowledge)
    if pack is not None:
        names = sorted(c.pack for c in items)
        items = [c for c in items if c.pack == pack]
        if not items:
            raise UsageError(
                f"--pack: no requirement mapping for {pack!r} (mapped packs: {', '.join(names)})"
            )
    if output_format == "json":
        import json

        typer.echo(defused_json(json.dumps(as_json(items), indent=2, ensure_ascii=False)))
    else:
        typer.echo(defused(as_text(items)), nl=False)


@app.command("test")
@handled
def rules_test(
    directory: Annotated[Path, typer.Argument(help="A rule pack, or a folder of packs.")],
) -> None:
    """Run the pass/fail/unverifiable examples of your own rules (exit 1 if one fails, 2 if the
    rules do not load)."""
    from residency_audit import kb
    from residency_audit.authoring import test_rules

    results = test_rules(directory, kb.default())
    for result in results:
        typer.echo(defused(str(result)))
    failed = [r for r in results if not r.ok]
    typer.echo(f"{len(results)} example(s), {len(failed)} failed")
    raise typer.Exit(EXIT_FINDINGS if failed else EXIT_OK)


@app.command("lint")
@handled
def rules_lint(
    directory: Annotated[Path, typer.Argument(help="A rule pack, or a folder of packs.")],
) -> None:
    """Validate rule files: errors (exit 2) stop them loading; warnings (exit 1) weaken them."""
    from residency_audit import kb
    from residency_audit.authoring import format_lint, lint_rules

    result = lint_rules(directory, kb.default())
    for line in format_lint(result):
        typer.echo(defused(line), err=True)
    if result.errors:
        raise typer.Exit(EXIT_ERROR)
    typer.echo(f"{result.rules} rule(s): {len(result.warnings)} warning(s)")
    raise typer.Exit(EXIT_FINDINGS if result.warnings else EXIT_OK)

"""`schema`, `risk-model` and `explain`: what the tool reads and how it judges."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from residency_audit.cli.base import handled, parse_as_of
from residency_audit.reporters.common import defused


@handled
def schema(
    result: Annotated[
        bool,
        typer.Option(
            "--result",
            help="Print the JSON Schema (2020-12) of the JSON result `check --format json` "
            "writes, instead.",
        ),
    ] = False,
) -> None:
    """Print the JSON Schema (draft-07) of the deployment format.

    Save it and point editors at it with `# yaml-language-server: $schema=deployment.schema.json`.
    With --result, the schema of the JSON result instead, for the programs that read it.
    """
    import json

    from residency_audit.format.schema import json_schema

    if result:
        from residency_audit.reporters.jsonschema import RESULT_SCHEMA

        sys.stdout.write(RESULT_SCHEMA.read_text(encoding="utf-8"))
        return
    typer.echo(json.dumps(json_schema(), indent=2))


@handled
def risk_model_command() -> None:
    """Print the bundled transfer-risk model (YAML): every factor's default, band, justification
    and source. Copy it, edit values and justifications, and pass it to `check --risk-model`."""
    from residency_audit.risk.spec import DEFAULT_PATH

    sys.stdout.write(DEFAULT_PATH.read_text(encoding="utf-8"))


@handled
def explain(
    rule_id: Annotated[str, typer.Argument(help="Rule id, e.g. HDS-LOC-01.")],
    rules: Annotated[list[Path] | None, typer.Option("--rules", help="Extra pack dir.")] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="YYYY-MM-DD: list the references as a finding of that day cites them, the "
            "others apart (default: all, with their dates).",
        ),
    ] = None,
) -> None:
    """Show a rule: references and their dates, rationale, remediation and unverified facts."""
    from residency_audit import kb
    from residency_audit.explain import describe_rule
    from residency_audit.pipeline import load_rules

    day = None if as_of is None else parse_as_of(as_of)
    knowledge = kb.default()
    packs = load_rules(rules or [], knowledge)
    typer.echo(defused(describe_rule(rule_id, packs, knowledge, as_of=day)))

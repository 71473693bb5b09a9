"""The fact vocabulary of `engine/fields.py` is complete: a rule may read only documented facts,
for every kind of subject it judges, and every fact the subjects carry is documented, so a rule
author can learn what a fact means before relying on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit import kb
from residency_audit.cli import app
from residency_audit.engine.conditions import fields_of
from residency_audit.engine.fields import FIELDS
from residency_audit.engine.rules import PLACEHOLDER, Rule, load_packs
from residency_audit.engine.subjects import Subject, subjects
from residency_audit.errors import InputError
from residency_audit.format import load_deployment
from residency_audit.risk import flow_subjects, flows_with_risk, load_model
from tests.conftest import AS_OF, FIXTURES, SAMPLES

RULES = [rule for pack in load_packs() for rule in pack.rules]

DEPLOYMENTS = sorted(
    [
        *SAMPLES.glob("*.yaml"),
        *(FIXTURES / "deployments").glob("*.yaml"),
        *(FIXTURES / "edpb").glob("*.yaml"),
        *(FIXTURES / "risk").glob("*.yaml"),
    ]
)


def facts_read(rule: Rule) -> set[str]:
    """What a rule reads: its conditions' fields, its messages' placeholders, and the facts its
    examples set."""
    read = {f for cond in (rule.when, rule.require) if cond is not None for f in fields_of(cond)}
    for message in (rule.message, rule.unverifiable_message):
        read.update(PLACEHOLDER.findall(message or ""))
    read.update(path for example in rule.examples for path in example.facts)
    return read


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_a_bundled_rule_reads_only_facts_documented_for_each_kind_it_judges(rule: Rule) -> None:
    """The loader accepts a field documented for any one of a rule's kinds; a fact missing from
    another kind would leave the rule unverifiable on every subject of that kind."""
    for kind in rule.applies_to:
        undocumented = sorted(f for f in facts_read(rule) if f not in FIELDS[kind])
        assert not undocumented, f"{rule.id} on {kind}: {undocumented}"


def built_subjects(path: Path) -> list[Subject]:
    """Every subject the audit judges for the deployment at `path`, flows included."""
    knowledge = kb.default()
    d, _ = load_deployment(path)
    flows = flows_with_risk(d, knowledge, AS_OF, load_model(None, law_ids=knowledge.laws))
    return [*subjects(d, knowledge, AS_OF), *flow_subjects(flows, d, knowledge, AS_OF)]


@pytest.mark.parametrize("path", DEPLOYMENTS, ids=[p.name for p in DEPLOYMENTS])
def test_every_fact_a_subject_carries_is_documented_for_its_kind(path: Path) -> None:
    """A fact the subjects carry but `fields.py` does not describe (a new key-custody fact, the
    comparison CORE-KB-05 prints) cannot be read by any rule and is documented nowhere."""
    try:
        built = built_subjects(path)
    except InputError:
        assert path.parent != SAMPLES, f"sample {path.name} does not load"
        return  # a fixture of a malformed deployment: no subjects to check
    undocumented = sorted(
        {(s.kind, fact) for s in built for fact in s.facts if fact not in FIELDS[s.kind]}
    )
    assert not undocumented, undocumented


def test_the_hsm_comparison_is_among_the_facts_checked() -> None:
    """The samples declare HSM operators as parties, so the check above covers the fact
    CORE-KB-05 prints."""
    hsm = [
        s.facts["key.hsm.operator_compared"].value
        for s in built_subjects(SAMPLES / "sovereign-hospital.yaml")
        if "key.hsm.operator_compared" in s.facts
    ]
    assert hsm and all(text.startswith("its seat (FR)") for text in hsm), hsm


def test_a_rule_reading_an_undocumented_fact_does_not_load(tmp_path: Path) -> None:
    """A condition on a fact nobody documents (a typo, or a fact of another kind of subject) is
    refused where it is written, naming the nearest documented fact."""
    pack = tmp_path / "acme"
    shutil.copytree(FIXTURES / "user_rules" / "good", pack)
    rule = pack / "ACME-LOG-01.yaml"
    text = rule.read_text()
    line = next(i for i, x in enumerate(text.splitlines(), 1) if x.startswith("require:"))
    rule.write_text(text.replace("field: location.country, in_eu", "field: location.contry, in_eu"))
    result = CliRunner().invoke(app, ["rules", "lint", str(pack)])
    assert result.exit_code == 2, result.output
    assert (
        f"{rule}:{line}:18: error: unknown field 'location.contry'; "
        "did you mean 'location.country'?" in result.stderr
    ), result.stderr
    rule.write_text(text.replace("applies_to: [place]", "applies_to: [party]"))
    result = CliRunner().invoke(app, ["rules", "lint", str(pack)])
    assert result.exit_code == 2, result.output
    assert "error: unknown field 'place.role'" in result.stderr, result.stderr

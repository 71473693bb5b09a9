"""What a finding that cannot be verified says: the requirement, never a fact nobody established.

Such a finding prints "Required: " and the rule's title (or its `unverifiable_message`), so a
title states what holds when the rule passes, and an unverifiable message asserts nothing the
missing fact would decide."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from residency_audit import kb
from residency_audit.engine.evaluate import judge
from residency_audit.engine.rules import load_packs
from residency_audit.engine.subjects import Subject
from residency_audit.model import Fact, Span
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF

RULES = {rule.id: rule for pack in load_packs() for rule in pack.rules}

REQUIREMENTS = {
    "RISK-CLEAR-01": "Health and other Art. 9 data are not reachable in clear under "
    "non-essentially-equivalent law, however low the estimated probability",
    "EDPB-UC6-01": "Use case 6: clear-text processing outside the EEA takes place only where an "
    "adequacy decision covers the recipient (the country's access powers presumed beyond what "
    "is necessary and proportionate, a case where the EDPB found no effective technical measure)",
    "EDPB-UC7-01": "Use case 7: remote clear-text access from outside the EEA takes place only "
    "where an adequacy decision covers the recipient (the country's access powers presumed beyond "
    "what is necessary and proportionate, a case where the EDPB found no effective technical "
    "measure)",
    "JUR-02": "Data stored in the EEA are stored by an EU-controlled provider (storage by one "
    "under non-EU jurisdiction is exposure, not sovereignty)",
    "JUR-03": 'A provider whose offer is marketed as "sovereign" is EU-controlled (the label '
    "does not clear foreign-law exposure)",
}

UNKNOWN = {
    # rule: (subject kind, facts that make it relevant, with the decisive one left out)
    "RISK-CLEAR-01": ("flow", {"data.special_category": True, "flow.bases": ["us-fisa-702"]}),
    "EDPB-UC6-01": (
        "place",
        {
            "place.role": "primary",
            "component.clear_text_processing": True,
            "data.pseudonymised": False,
            "location.country": "US",
        },
    ),
    "EDPB-UC7-01": (
        "access",
        {"access.country": "US", "entity.is_controller": False, "access.clear_text": True},
    ),
    "JUR-02": (
        "place",
        {"place.stores_data": True, "location.country": "FR", "provider.parent.country": "US"},
    ),
    "JUR-03": ("component", {"provider.marketed_as_sovereign": True}),
}


@pytest.mark.parametrize("rule_id", sorted(REQUIREMENTS))
def test_an_unverifiable_finding_states_the_requirement(rule_id: str) -> None:
    kind, known = UNKNOWN[rule_id]
    facts = {path: Fact(path, value, "test") for path, value in known.items()}
    subject = Subject(kind, "subject", None, Span("t.yaml", 1, 1), facts)
    finding = judge(RULES[rule_id], subject, kb=kb.default(), as_of=AS_OF, deployment="d")
    assert finding is not None and finding.unverifiable
    assert finding.message.endswith(f". Required: {REQUIREMENTS[rule_id]}"), finding.message


UNKNOWN_PARENT = """\
schema_version: 1
name: unv-test
controller: clinique
data: {categories: [health], health_context: care}
parties:
  - {id: clinique, name: Clinique SAS, role: controller, country: FR}
  - {id: host, name: Some Host SAS, role: processor, country: FR}
  - {id: supp, name: Support Co, role: sub-processor, country: IN}
components:
  - {id: db, kind: datastore, provider: aws, operator: host, region: eu-west-3}
access:
  - {id: support, kind: support, entity: supp, country: IN}
"""


def test_an_unknown_parent_is_not_reported_as_exposure(tmp_path: Path) -> None:
    """HDS-EXT-01 with the host's parent unknown: whether it is exposed is what nobody knows."""
    path = tmp_path / "unv.yaml"
    path.write_text(UNKNOWN_PARENT)
    report = run(Options(paths=[path], as_of=dt.date(2026, 11, 28)))
    assert not report.errors, report.errors
    messages = {f.message for f in report.findings if f.rule_id == "HDS-EXT-01"}
    assert messages == {
        "cannot be verified for party host: unknown party.parent.country, "
        "party.transparency.laws, party.transparency.mitigations, "
        "party.transparency.residual_risks. Required: if host (seat FR, ultimate parent "
        "unknown) is subject to a non-adequate third country's law that can compel access, the "
        "EXI 30 disclosure of those laws, mitigations and residual risks (declared: laws "
        "unknown, mitigations unknown, residual_risks unknown)",
        # its seat's laws reach it, but its parent is not declared: not presumed to be IN
        "cannot be verified for party supp: unknown party.parent.country, "
        "party.transparency.laws, party.transparency.mitigations, "
        "party.transparency.residual_risks. Required: if supp "
        "(seat IN, ultimate parent unknown) is subject to a non-adequate third country's law that "
        "can compel access, the EXI 30 disclosure of those laws, mitigations and residual risks "
        "(declared: laws unknown, mitigations unknown, residual_risks unknown)",
    }
    assert not any(") is subject to law that can compel access, and" in m for m in messages)


def test_a_finding_keeps_every_fact_its_message_states() -> None:
    """JUR-02 says who stores the data and under whose law: the provider's name, parent and
    its country are in the message, so they are in the finding's facts with their sources,
    though the rule's conditions do not read them."""
    facts = {
        "place.stores_data": Fact("place.stores_data", True, "t.yaml:3:5"),
        "location.country": Fact("location.country", "FR", "kb:regions.yaml#aws/eu-west-3"),
        "provider.parent.country": Fact("provider.parent.country", "US", "kb:providers.yaml#aws"),
        "provider.name": Fact("provider.name", "Amazon Web Services", "kb:providers.yaml#aws"),
        "provider.parent.name": Fact("provider.parent.name", "Amazon.com", "kb:providers.yaml#aws"),
        "component.id": Fact("component.id", "db", "t.yaml:9:5"),
        "place.role": Fact("place.role", "primary", "derived: the component"),
        "provider.eu_controlled": Fact("provider.eu_controlled", False, "kb:providers.yaml#aws"),
    }
    subject = Subject("place", "db", "db", Span("t.yaml", 9, 5), facts)
    finding = judge(RULES["JUR-02"], subject, kb=kb.default(), as_of=AS_OF, deployment="d")
    assert finding is not None and not finding.unverifiable
    assert "Amazon Web Services, whose parent Amazon.com" in finding.message
    kept = {f.path: f.origin for f in finding.facts}
    assert kept["provider.name"] == "kb:providers.yaml#aws"
    assert kept["provider.parent.name"] == "kb:providers.yaml#aws"
    assert kept["component.id"] == "t.yaml:9:5"

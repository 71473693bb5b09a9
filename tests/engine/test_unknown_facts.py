"""A finding that cannot be verified cites what it lacks: each unknown field it turned on as a
fact with no value where it was declared or derived from, with the known facts and the
knowledge it derives from, and what the deployment should add."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from residency_audit.model import Finding
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF, FIXTURES, SAMPLES

DEPLOYMENTS = FIXTURES / "deployments"


def findings_of(path: Path) -> list[Finding]:
    return list(run(Options(paths=[path], as_of=AS_OF, jobs=1)).findings)


def finding(findings: list[Finding], rule: str, subject: str) -> Finding:
    return next(f for f in findings if f.rule_id == rule and f.subject == subject)


def cited(f: Finding) -> dict[str, tuple[object, str]]:
    """Each fact of `f` as path -> (value, where it came from)."""
    return {x.path: (x.value, x.origin) for x in f.facts}


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_an_unknown_law_of_a_sub_processor_cites_its_country_entity_and_missing_parent() -> None:
    path = DEPLOYMENTS / "transfers-mixed.yaml"
    found = finding(findings_of(path), "RISK-PROB-01", "flow:party:in-annotators")
    assert found.unverifiable
    facts = cited(found)
    party = line_of(path, "id: in-annotators")
    # the unknown itself, at the party's declaration, and the estimate it leaves unknown
    assert facts["flow.bases"] == (None, f"{path}:{party}:5")
    assert facts["risk.exceeds_threshold"][0] is None
    # what it derives from and is known, each at its line
    assert facts["flow.country"][0] == "IN"
    assert facts["flow.country"][1].startswith(f"{path}:{party}:")
    assert facts["flow.entity"][0] == "in-annotators"
    # and what the deployment should add: the party's ultimate parent
    assert facts["parent of party in-annotators"] == (None, f"{path}:{party}:5")


def test_an_unknown_law_of_an_access_path_cites_the_entitys_seat_apart_from_the_access() -> None:
    path = DEPLOYMENTS / "transfers-mixed.yaml"
    found = finding(findings_of(path), "RISK-PROB-01", "flow:access:support")
    facts = cited(found)
    access, party = line_of(path, "id: support,"), line_of(path, "id: support-co")
    assert facts["flow.bases"] == (None, f"{path}:{access}:5")
    assert facts["flow.country"][0] == "US"
    assert facts["flow.country"][1].startswith(f"{path}:{access}:")
    assert facts["flow.entity_country"][0] == "US"
    assert facts["flow.entity_country"][1].startswith(f"{path}:{party}:")
    assert facts["parent of party support-co"] == (None, f"{path}:{party}:5")


def test_a_region_the_knowledge_base_lacks_is_cited_with_the_file_consulted() -> None:
    path = DEPLOYMENTS / "region-unknown.yaml"
    findings = findings_of(path)
    region = line_of(path, "region: eu-west-9")
    for rule, subject in (("RISK-PROB-01", "flow:db"), ("GDPR-XFER-01", "place:db")):
        facts = cited(finding(findings, rule, subject))
        assert facts["location.region"] == ("eu-west-9", f"{path}:{region}:13")
        assert "eu-west-9 is unknown" in str(facts["location.unplaced"][0])
        assert facts["kb.region.aws/eu-west-9"] == (None, "kb:regions.yaml")
    xfer = cited(finding(findings, "GDPR-XFER-01", "place:db"))
    assert xfer["location.country"] == (None, f"{path}:{region}:13")


def test_a_provider_the_knowledge_base_lacks_is_cited_with_the_file_consulted() -> None:
    path = DEPLOYMENTS / "provider-unknown.yaml"
    findings = findings_of(path)
    provider = line_of(path, "provider: amazon")
    for rule, subject in (("JUR-03", "component:db"), ("RISK-PROB-01", "flow:db")):
        facts = cited(finding(findings, rule, subject))
        assert facts["provider.id"] == ("amazon", f"{path}:{provider}:15")
        assert facts["kb.provider.amazon"] == (None, "kb:providers.yaml")
    jur = cited(finding(findings, "JUR-03", "component:db"))
    assert jur["provider.eu_controlled"] == (None, f"{path}:{provider}:15")


def test_an_undeclared_field_is_cited_with_no_value_at_the_subjects_declaration() -> None:
    path = DEPLOYMENTS / "minimal.yaml"
    found = finding(findings_of(path), "HDS-INFO-01", "deployment:minimal")
    assert found.unverifiable
    value, origin = cited(found)["claims.storage_locations_communicated"]
    assert value is None
    assert origin.startswith(f"{path}:")


UNKNOWN = re.compile(r"cannot be verified for .*?: unknown (.*?)\. ")


@pytest.mark.parametrize(
    "path",
    [*sorted(SAMPLES.glob("*.yaml")), *sorted(DEPLOYMENTS.glob("*.yaml"))],
    ids=lambda p: p.name,
)
def test_every_unverifiable_finding_cites_each_field_it_lacks(path: Path) -> None:
    report = run(Options(paths=[path], as_of=AS_OF, jobs=1))
    for f in report.findings:
        match = UNKNOWN.match(f.message)
        if not match:
            continue
        paths = {x.path for x in f.facts}
        # `field (operator)`: the field's value is cited, the operator could not answer for it
        lacking = [p for p in match.group(1).split(", ") if " " not in p and p not in paths]
        assert not lacking, f"{f.rule_id} {f.subject} cites none of {lacking}"
        assert f.facts, f"{f.rule_id} {f.subject} cites no fact"

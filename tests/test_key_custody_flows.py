"""The flows table and the key-custody rules (EDPB-UC1-01, EDPB-KEY-01, JUR-EXPO-01) agree on
whose law reaches a key: its holder, the HSM holding it and each replica, through the seat and
ultimate parent of whoever holds it, the law declared for the HSM and the country of a replica.
Each test audits one deployment through the real pipeline and reads findings and flows alike."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from residency_audit import kb
from residency_audit.engine.evaluate import audit as audit_deployment
from residency_audit.engine.rules import load_packs
from residency_audit.flows import derive_flows
from residency_audit.format import load_deployment
from residency_audit.kb import UNKNOWN_COUNTRY
from residency_audit.model import Deployment, Finding, Flow, Report
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF

DEPLOYMENT = """\
schema_version: 1
name: custody
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR, parent: CLINIC_PARENT}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
  - {id: custodian, name: Tiers SAS, role: key-custodian,
     country: FR, parent: {name: T, country: FR}}
  - {id: hsm-fr, name: HSM Services SAS, role: key-custodian,
     country: FR, parent: {name: H, country: FR}}
components:
  - id: records
    kind: datastore
    provider: aws
    operator: aws-emea
    region: eu-west-3
    key: k1
    clear_text_processing: false
    copies:
      - {kind: backup, region: us-east-1}
keys:
  - id: k1
    encryption: client-side
    management: customer-held
    holder: HOLDER
    country: FR
    replica_regions: REPLICAS
    hsm: {operator: OPERATOR, jurisdiction: JURISDICTION}
    provider_can_use: false
"""

CUSTODY_RULES = ("EDPB-UC1-01", "EDPB-KEY-01", "JUR-EXPO-01")
KEY_FACTS = ("key.holder_jurisdictions", "key.hsm.jurisdictions", "key.replica_countries")
FR = "{name: Groupe Clinique, country: FR}"
US_LAWS = {"us-cloud-act", "us-fisa-702", "us-eo-12333"}


def audit(
    tmp_path: Path,
    *,
    holder: str = "clinic",
    operator: str = "clinic",
    jurisdiction: str = "FR",
    replicas: str = "[]",
    clinic_parent: str = FR,
    edits: tuple[tuple[str, str], ...] = (),
) -> Report:
    text = (
        DEPLOYMENT.replace("CLINIC_PARENT", clinic_parent)
        .replace("HOLDER", holder)
        .replace("OPERATOR", operator)
        .replace("JURISDICTION", jurisdiction)
        .replace("REPLICAS", replicas)
    )
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "custody.yaml"
    path.write_text(text)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    return report


def key_flows(report: Report) -> dict[str, Flow]:
    return {f.id: f for f in report.flows if f.kind == "key-custody"}


def custody_messages(report: Report) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in report.findings:
        if f.rule_id in CUSTODY_RULES:
            out.setdefault(f.rule_id, []).append(f.message)
    return out


def test_keys_the_controller_holds_in_its_own_french_hsm_are_no_flow_and_no_finding(
    tmp_path: Path,
) -> None:
    """The boundary of the others: the exporter's sole control in the EEA (EDPB use case 1)."""
    report = audit(tmp_path)
    assert key_flows(report) == {}
    assert custody_messages(report) == {}


def test_a_controller_owned_from_singapore_holds_its_keys_within_reach_of_that_law(
    tmp_path: Path,
) -> None:
    """Singapore is neither in the EEA nor generally adequate: the rules say so of the keys the
    controller holds, and the table shows their custody under Singapore law."""
    report = audit(tmp_path, clinic_parent="{name: Asia Care Pte Ltd, country: SG}")
    why = "keys held by clinic (seat FR, ultimate parent SG): under SG law, neither EEA"
    found = custody_messages(report)
    assert all(why in m for rule in CUSTODY_RULES for m in found[rule]), found
    custody = key_flows(report)["key/k1"]
    assert (custody.country, custody.entity, custody.parent_country) == ("FR", "clinic", "SG")
    assert custody.bases == ("unlisted:SG",)


def test_an_hsm_whose_operator_is_owned_from_singapore_is_a_flow_under_that_law(
    tmp_path: Path,
) -> None:
    """The keys are held by a French custodian, in an HSM the controller runs; the controller's
    Singapore parent reaches the HSM, so the HSM is a flow of its own."""
    report = audit(
        tmp_path, holder="custodian", clinic_parent="{name: Asia Care Pte Ltd, country: SG}"
    )
    found = custody_messages(report)
    assert all(
        "HSM operated by clinic (seat FR, ultimate parent SG)" in m for m in found["JUR-EXPO-01"]
    )
    hsm = key_flows(report)["key/k1/hsm"]
    assert (hsm.entity, hsm.parent_country, hsm.bases) == ("clinic", "SG", ("unlisted:SG",))


def test_an_hsm_declared_under_us_law_brings_us_law_to_its_flow(tmp_path: Path) -> None:
    """A French operator, French parent, but the HSM is declared under US law: the flow's laws
    are the US ones the findings name, and its label says why."""
    report = audit(tmp_path, holder="custodian", operator="hsm-fr", jurisdiction="US")
    found = custody_messages(report)
    why = (
        "HSM operated by hsm-fr (seat FR, ultimate parent FR): declared under US law (us-cloud-act"
    )
    assert all(why in m for rule in CUSTODY_RULES for m in found[rule]), found
    hsm = key_flows(report)["key/k1/hsm"]
    assert (hsm.country, hsm.entity_country, hsm.parent_country) == ("FR", "FR", "FR")
    assert set(hsm.jurisdictions) == US_LAWS and set(hsm.bases or ()) == US_LAWS
    assert hsm.label == "HSM of key k1 (declared under US law)"


@pytest.mark.parametrize("operator", ["clinic", "custodian"])
def test_an_hsm_the_controller_or_the_holder_runs_under_us_law_is_a_flow(
    tmp_path: Path, operator: str
) -> None:
    """Whoever runs it, an HSM declared under US law puts the keys within reach of that law:
    the rules say so, and the table must not drop the HSM because its operator is the
    controller or the key holder."""
    report = audit(tmp_path, holder="custodian", operator=operator, jurisdiction="US")
    assert set(custody_messages(report)) == set(CUSTODY_RULES)
    hsm = key_flows(report)["key/k1/hsm"]
    assert hsm.entity == operator and set(hsm.bases or ()) == US_LAWS


def test_an_hsm_its_holder_runs_under_its_own_law_stays_in_the_holder_s_flow(
    tmp_path: Path,
) -> None:
    report = audit(tmp_path, holder="custodian", operator="custodian")
    assert set(key_flows(report)) == {"key/k1"}
    assert custody_messages(report) == {}


def test_a_key_replica_in_the_us_exposes_the_key_in_every_custody_rule_and_the_table(
    tmp_path: Path,
) -> None:
    """The controller holds the key in France, but a multi-region replica is in the US: the
    three rules name the replica and the law reaching it, and the table shows the replica
    under US law (the key itself, in France under the controller, is no flow)."""
    report = audit(tmp_path, replicas="[eu-central-1, us-east-1]")
    found = custody_messages(report)
    why = "; key replica in us-east-1 (US): under US law (us-cloud-act, us-fisa-702)"
    assert set(found) == set(CUSTODY_RULES)
    assert all(why in m and "eu-central-1" not in m for ms in found.values() for m in ms)
    flows = key_flows(report)
    assert set(flows) == {"key/k1/replica-us-east-1"}
    replica = flows["key/k1/replica-us-east-1"]
    assert (replica.country, replica.entity) == ("US", "clinic")
    assert set(replica.bases or ()) == US_LAWS


def test_a_key_replica_in_a_region_nobody_knows_cannot_be_verified_nor_estimated(
    tmp_path: Path,
) -> None:
    report = audit(tmp_path, replicas="[nowhere-9]")
    custody = [f for f in report.findings if f.rule_id in CUSTODY_RULES]
    assert {f.rule_id for f in custody} == set(CUSTODY_RULES)
    assert all(f.unverifiable for f in custody)
    assert all("key replica in nowhere-9 (ZZ)" in f.message for f in custody)
    replica = key_flows(report)["key/k1/replica-nowhere-9"]
    assert replica.country is None and replica.bases is None


def test_an_hsm_operator_nobody_declared_is_unknown_in_the_table_as_in_the_rules(
    tmp_path: Path,
) -> None:
    """A legal name that is not a declared party: the rules cannot verify whose law reaches
    it, and the table must not take the declared jurisdiction for its parent's country."""
    report = audit(tmp_path, holder="custodian", operator="Thales HSM")
    rules = [f for f in report.findings if f.rule_id in CUSTODY_RULES]
    assert rules and all(f.unverifiable for f in rules)
    hsm = key_flows(report)["key/k1/hsm"]
    assert (hsm.entity, hsm.parent_country, hsm.bases) == ("Thales HSM", None, None)


VARIANTS = {
    "holder owned from Singapore": {"clinic_parent": "{name: Asia Care Pte Ltd, country: SG}"},
    "HSM of a French operator under US law": {
        "holder": "custodian",
        "operator": "hsm-fr",
        "jurisdiction": "US",
    },
    "the controller's HSM under US law": {"holder": "custodian", "jurisdiction": "US"},
    "the holder's HSM under Chinese law": {
        "holder": "custodian",
        "operator": "custodian",
        "jurisdiction": "CN",
    },
    "replica in the US": {"replicas": "[us-east-1]"},
    "replica nobody can place": {"replicas": "[nowhere-9]"},
    "HSM operator nobody declared": {"holder": "custodian", "operator": "Thales HSM"},
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_country_whose_law_the_rules_find_reaching_a_key_is_in_the_table(
    tmp_path: Path, variant: str
) -> None:
    """Each country outside the EEA and adequate countries that a custody finding cites as
    reaching the key brings its laws (or `unlisted:CC`) to a key-custody flow; a country nobody
    knows (`ZZ`) makes a flow's laws unknown."""
    report = audit(tmp_path, **VARIANTS[variant])
    knowledge = kb.default()
    cited = {
        code
        for f in report.findings
        if f.rule_id in CUSTODY_RULES
        for fact in f.facts
        if fact.path in KEY_FACTS
        for code in fact.value
        if code == UNKNOWN_COUNTRY
        or not (knowledge.in_eea(code, AS_OF) or knowledge.generally_adequate(code, AS_OF))
    }
    assert cited, "the variant must expose the key"
    shown: set[str] = set()
    for flow in key_flows(report).values():
        if flow.bases is None:
            shown.add(UNKNOWN_COUNTRY)
        for basis in flow.bases or ():
            law = knowledge.laws.get(basis)
            shown.add(law.jurisdiction if law else basis.removeprefix("unlisted:"))
    assert cited <= shown, (cited, shown)


def audit_model(d: Deployment) -> tuple[list[Finding], list[Flow]]:
    """Findings and flows of a deployment the loader would refuse (a `ZZ` typed as a country):
    the engine must explain it whatever the loader lets through."""
    knowledge = kb.default()
    rules = [rule for pack in load_packs() for rule in pack.rules]
    found = audit_deployment(d, rules, kb=knowledge, as_of=AS_OF).findings
    return found, derive_flows(d, knowledge, AS_OF)


def loaded(tmp_path: Path) -> Deployment:
    path = tmp_path / "custody.yaml"
    path.write_text(
        DEPLOYMENT.replace("CLINIC_PARENT", FR)
        .replace("HOLDER", "clinic")
        .replace("OPERATOR", "clinic")
        .replace("JURISDICTION", "FR")
        .replace("REPLICAS", "[]")
    )
    d, _ = load_deployment(path)
    return d


def test_an_hsm_declared_under_zz_is_a_reason_and_a_flow_of_unknown_law(tmp_path: Path) -> None:
    """The controller's own HSM in France, declared under `ZZ` (a country nobody knows): no
    sole control can be shown, the rules say why, and the table shows the HSM's flow with its
    laws unknown."""
    d = loaded(tmp_path)
    key = d.keys[0]
    assert key.hsm is not None
    hsm = dataclasses.replace(key.hsm, jurisdiction=UNKNOWN_COUNTRY)
    found, flows = audit_model(dataclasses.replace(d, keys=(dataclasses.replace(key, hsm=hsm),)))
    why = "HSM operated by clinic (seat FR, ultimate parent FR): declared under ZZ law, a country"
    custody = [f for f in found if f.rule_id in CUSTODY_RULES]
    assert custody and all(f.unverifiable and why in f.message for f in custody)
    flow = next(f for f in flows if f.id == "key/k1/hsm")
    assert (flow.entity, flow.bases) == ("clinic", None)


def test_a_controller_whose_parent_is_declared_in_zz_holds_its_keys_under_unknown_law(
    tmp_path: Path,
) -> None:
    d = loaded(tmp_path)
    clinic = d.parties[0]
    assert clinic.parent is not None
    parent = dataclasses.replace(clinic.parent, country=UNKNOWN_COUNTRY)
    parties = (dataclasses.replace(clinic, parent=parent), *d.parties[1:])
    found, flows = audit_model(dataclasses.replace(d, parties=parties))
    why = "keys held by clinic (seat FR, ultimate parent ZZ): under ZZ law, a country unknown"
    custody = [f for f in found if f.rule_id in CUSTODY_RULES]
    assert custody and all(why in f.message for f in custody)
    flow = next(f for f in flows if f.id == "key/k1")
    assert (flow.entity, flow.parent_country, flow.bases) == ("clinic", UNKNOWN_COUNTRY, None)


def test_an_hsm_declared_under_an_unknown_code_says_the_law_was_declared(tmp_path: Path) -> None:
    report = audit(tmp_path, jurisdiction="XQ")
    why = "HSM operated by clinic (seat FR, ultimate parent FR): declared under XQ law, a country"
    found = custody_messages(report)
    assert found and all(why in m for ms in found.values() for m in ms), found
    assert key_flows(report)["key/k1/hsm"].label == "HSM of key k1 (declared under XQ law)"


def test_an_hsm_label_names_a_declared_law_only_when_that_law_reaches_the_keys(
    tmp_path: Path,
) -> None:
    """The provider's own entity runs the HSM, declared under German law: the flow is the
    provider group's reach, and German law adds nothing to name."""
    report = audit(tmp_path, holder="custodian", operator="aws-emea", jurisdiction="DE")
    hsm = key_flows(report)["key/k1/hsm"]
    assert hsm.label == "HSM of key k1"
    assert set(hsm.bases or ()) == US_LAWS


IN_PROVIDER_KMS = (
    ("management: customer-held", "management: customer-managed-in-provider-kms"),
    ("provider_can_use: false", "provider_can_use: true"),
    ("    hsm: {operator: clinic, jurisdiction: FR}\n", ""),
)


@pytest.mark.parametrize(
    ("replicas", "expected"),
    [
        ("[]", {"key/k1": "FR"}),
        ("[eu-central-2]", {"key/k1": "FR", "key/k1/replica-eu-central-2": "CH"}),
    ],
    ids=["key", "replica in Zurich"],
)
def test_a_controller_s_key_in_the_provider_kms_is_within_the_provider_s_reach(
    tmp_path: Path, replicas: str, expected: dict[str, str]
) -> None:
    """The controller holds a key it manages in AWS KMS, which AWS can use: the custody rules
    find it within the US provider's reach, and the table shows its custody (and each replica,
    in Switzerland too) by the provider's entity under US law."""
    report = audit(tmp_path, replicas=replicas, edits=IN_PROVIDER_KMS)
    assert {"EDPB-KEY-01", "JUR-EXPO-01"} <= set(custody_messages(report))
    flows = key_flows(report)
    assert {i: f.country for i, f in flows.items()} == expected
    for flow in flows.values():
        assert (flow.entity, flow.parent_country) == ("aws-emea", "US")
        assert set(flow.bases or ()) == US_LAWS


TWO_PROVIDERS = """\
schema_version: 1
name: twoprov
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR, parent: {name: G, country: FR}}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
  - {id: ali, name: Alibaba Cloud (Germany) GmbH, role: processor, country: DE, provider: alibaba}
components:
  - {id: records, kind: datastore, provider: aws, operator: aws-emea, region: eu-west-3, key: k1,
     clear_text_processing: false}
  - {id: archive, kind: datastore, provider: alibaba, operator: ali, region: eu-central-1, key: k1,
     clear_text_processing: false}
keys:
  - {id: k1, encryption: client-side, management: customer-held, holder: clinic, country: FR,
     replica_regions: [ap-southeast-6], provider_can_use: false}
"""


def test_a_key_shared_across_providers_is_read_on_each_as_the_rules_read_it(
    tmp_path: Path,
) -> None:
    """Region ap-southeast-6 is Auckland on AWS but Manila on Alibaba Cloud: the rules find the
    replica in the Philippines for the Alibaba component only, and so must the table."""
    path = tmp_path / "twoprov.yaml"
    path.write_text(TWO_PROVIDERS)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    custody = {(f.rule_id, f.component) for f in report.findings if f.rule_id in CUSTODY_RULES}
    assert {component for _, component in custody} == {"archive"}
    flows = key_flows(report)
    assert set(flows) == {"key/k1@alibaba/replica-ap-southeast-6"}
    replica = flows["key/k1@alibaba/replica-ap-southeast-6"]
    assert (replica.country, replica.component, replica.bases) == (
        "PH",
        "archive",
        ("unlisted:PH",),
    )


def test_a_provider_kms_key_is_not_held_by_whichever_provider_party_comes_first(
    tmp_path: Path,
) -> None:
    """A provider-managed key of a component with no operator, two AWS parties declared: the
    key's flow named the first of them, so the file order chose who holds the key. Either
    order gives the provider itself."""
    parties = [
        "  - {id: aws-emea, name: AWS EMEA SARL, role: processor, country: LU, provider: aws}",
        "  - {id: aws-x, name: Reseller SAS, role: processor, country: FR, provider: aws}",
    ]
    entities = set()
    for order in (parties, parties[::-1]):
        path = tmp_path / "kms.yaml"
        path.write_text(
            "schema_version: 1\n"
            "name: kms\n"
            "controller: clinic\n"
            "data: {categories: [health], health_context: care}\n"
            "parties:\n"
            "  - {id: clinic, name: Clinique SAS, role: controller, country: FR}\n"
            + "\n".join(order)
            + "\ncomponents:\n"
            "  - {id: db, kind: datastore, provider: aws, region: eu-west-3, key: k1}\n"
            "keys:\n"
            "  - {id: k1, encryption: provider-side, management: provider-managed}\n"
        )
        report = run(Options(paths=[path], as_of=AS_OF))
        assert not report.errors, report.errors
        [key] = [f for f in report.flows if f.kind == "key-custody"]
        entities.add(key.entity)
    assert entities == {"aws"}

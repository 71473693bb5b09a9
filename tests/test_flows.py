"""Flows derived from deployments: what is stored or reachable, where, by whom, under which laws."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.flows import derive_flows
from residency_audit.format import load_deployment
from residency_audit.kb import KnowledgeBase
from residency_audit.model import Flow
from tests.conftest import AS_OF, FIXTURES, SAMPLES

US_LAWS = {"us-cloud-act", "us-fisa-702", "us-eo-12333"}


def flows_of(path: str, knowledge: KnowledgeBase, as_of: dt.date = AS_OF) -> dict[str, Flow]:
    deployment, _ = load_deployment(SAMPLES / path if "/" not in path else FIXTURES / path)
    return {f.id: f for f in derive_flows(deployment, knowledge, as_of)}


def test_doctolib_flows_cover_processing_storage_copies_and_key_custody(
    knowledge: KnowledgeBase,
) -> None:
    flows = flows_of("doctolib-2021.yaml", knowledge)
    # The log sink declares no personal data, so it is not a flow.
    assert set(flows) == {
        "booking-app",
        "booking-db",
        "booking-db/replica@eu-central-1",
        "booking-db/backup@eu-west-3",
        "key/third-party-key",
    }
    assert [
        flows[i].kind for i in ("booking-app", "booking-db", "booking-db/replica@eu-central-1")
    ] == [
        "processing",
        "storage",
        "replica",
    ]
    assert (
        flows["booking-db/replica@eu-central-1"].country == "DE"
    )  # eu-central-1, from the knowledge base
    app = flows["booking-app"]
    assert (app.entity, app.entity_country, app.parent, app.parent_country) == (
        "aws-emea",
        "LU",
        "Amazon.com, Inc.",
        "US",
    )
    assert set(app.jurisdictions) == US_LAWS
    assert "health" in app.categories
    assert app.clear_text_reachable is True  # the application decrypts on AWS compute
    assert flows["booking-db"].clear_text_reachable is False  # keys with a French third party
    custody = flows["key/third-party-key"]
    assert (custody.entity, custody.country, custody.jurisdictions) == ("key-custodian", "FR", ())
    assert custody.clear_text_reachable is True


def test_flow_facts_cite_where_each_value_came_from(knowledge: KnowledgeBase) -> None:
    app = flows_of("doctolib-2021.yaml", knowledge)["booking-app"]
    origins = {f.path: f.origin for f in app.facts}
    assert origins["flow.country"] == "kb:regions.yaml#aws/eu-west-3"
    assert origins["flow.parent_country"] == "kb:providers.yaml#aws"
    text = (SAMPLES / "doctolib-2021.yaml").read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if "clear_text_processing: true" in t)
    assert origins["component.clear_text_processing"].endswith(f"doctolib-2021.yaml:{line}:28")


def test_laws_not_yet_enacted_on_the_as_of_date_do_not_apply(knowledge: KnowledgeBase) -> None:
    before_cloud_act = flows_of("doctolib-2021.yaml", knowledge, dt.date(2017, 6, 1))
    assert "us-cloud-act" not in before_cloud_act["booking-app"].jurisdictions
    assert "us-eo-12333" in before_cloud_act["booking-app"].jurisdictions


def test_sovereign_hospital_has_no_foreign_law_on_any_flow(knowledge: KnowledgeBase) -> None:
    flows = flows_of("sovereign-hospital.yaml", knowledge)
    # The hospital holds its own keys: no key-custody flow to a third party.
    assert set(flows) == {
        "records-db",
        "records-db/backup@eu-west-2",
        "records-db/log@cloudgouv-eu-west-1",
        "access/outscale-support",
    }
    assert all(f.jurisdictions == () and f.bases == () for f in flows.values())
    assert (
        flows["records-db/log@cloudgouv-eu-west-1"].clear_text_reachable is True
    )  # logs are not under the key


def test_backup_copy_in_the_us_and_provider_held_key(knowledge: KnowledgeBase) -> None:
    flows = flows_of("backup-outside-eea.yaml", knowledge)
    assert flows["records-db/snapshot-copy@us-east-1"].country == "US"
    custody = flows["key/records-key"]
    assert custody.entity == "aws-emea" and set(custody.jurisdictions) == US_LAWS


def test_unlisted_law_unknown_provider_and_unmapped_sub_processor(knowledge: KnowledgeBase) -> None:
    flows = flows_of("risk/sub-processor-unknown.yaml", knowledge)
    support = flows["access/vendor-support"]
    assert support.jurisdictions == () and support.bases == ("unlisted:MX",)
    assert flows["mystery"].bases is None  # provider not in the knowledge base: unknown
    assert flows["db"].clear_text_reachable is True  # no key declared: at rest in clear
    mailer = flows["party/mailer"]
    assert (mailer.kind, mailer.country, mailer.bases, mailer.clear_text_reachable) == (
        "sub-processor",
        "DE",
        (),
        None,
    )
    assert "party/vendor" not in flows  # already covered by its access path


def test_controller_running_its_own_component_exposes_the_host(knowledge: KnowledgeBase) -> None:
    deployment, _ = load_deployment(SAMPLES / "doctolib-2021.yaml")
    app = deployment.components[0]
    moved = dataclasses.replace(
        deployment,
        components=(dataclasses.replace(app, operator="doctolib"), *deployment.components[1:]),
    )
    flow = next(f for f in derive_flows(moved, knowledge, AS_OF) if f.id == "booking-app")
    assert (flow.entity, flow.parent_country) == ("aws", "US")
    assert set(flow.jurisdictions) == US_LAWS


def test_a_copy_on_another_provider_is_that_provider_s_not_the_component_operator_s(
    knowledge: KnowledgeBase, tmp_path: Path
) -> None:
    """A backup of an OVHcloud database kept on AWS is run by the AWS entity, under US law;
    the OVH operator declared for the component says nothing about it. A copy on a provider
    nobody knows is unknown, never 'no law'."""
    text = (FIXTURES / "deployments" / "minimal.yaml").read_text()
    text = text.replace(
        "    provider: hetzner\ncomponents:",
        "    provider: hetzner\n"
        "  - {id: aws-emea, name: AWS EMEA SARL, role: processor, country: LU, provider: aws}\n"
        "components:",
    ).replace(
        "    region: fsn1\n",
        "    region: fsn1\n    copies:\n      - {kind: backup, provider: aws, region: eu-west-3}\n"
        "      - {kind: export, provider: nimbus-cloud, region: somewhere-1}\n",
    )
    path = tmp_path / "copies.yaml"
    path.write_text(text)
    deployment, _ = load_deployment(path)
    flows = {f.id: f for f in derive_flows(deployment, knowledge, AS_OF)}
    assert (flows["db"].entity, flows["db"].parent_country) == ("host", "DE")
    backup = flows["db/backup@aws:eu-west-3"]
    assert (backup.entity, backup.parent_country, backup.country) == ("aws-emea", "US", "FR")
    assert "us-cloud-act" in backup.jurisdictions
    unknown = flows["db/export@nimbus-cloud:somewhere-1"]
    assert unknown.parent_country is None and unknown.bases is None


def test_keys_in_an_hsm_of_the_providers_group_leave_the_data_reachable_in_clear(
    knowledge: KnowledgeBase, tmp_path: Path
) -> None:
    """Doctolib's keys in an HSM run by AWS EMEA instead of the French custodian: the table says
    what JUR-EXPO-01 says, that the provider's group can reach the data in clear."""
    text = (SAMPLES / "doctolib-2021.yaml").read_text()
    declared = "hsm: {operator: key-custodian, jurisdiction: FR}"
    assert declared in text
    path = tmp_path / "d.yaml"
    path.write_text(text.replace(declared, "hsm: {operator: aws-emea, jurisdiction: LU}"))
    deployment, _ = load_deployment(path)
    flows = {f.id: f for f in derive_flows(deployment, knowledge, AS_OF)}
    assert flows_of("doctolib-2021.yaml", knowledge)["booking-db"].clear_text_reachable is False
    assert flows["booking-db"].clear_text_reachable is True


TWO_REGIONS = """\
schema_version: 1
name: qa
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
components:
  - id: db
    kind: datastore
    provider: aws
    operator: aws-emea
    region: eu-west-3
    copies:
COPIES
    logs:
      - {personal_data: true, country: FR}
"""
US_BACKUP = "      - {kind: backup, region: us-east-1}"
EU_BACKUP = "      - {kind: backup, region: eu-central-1}"


def test_a_copy_s_flow_is_named_by_its_place_and_keeps_its_id_when_one_is_added_before_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The flow ids of the JSON result, which risk overrides, waivers and baselines name: a
    backup is `db/backup@us-east-1` wherever it sits among db's copies (it was `db/backup`,
    then `db/backup-2` once a backup was added before it)."""
    path = tmp_path / "qa.yaml"
    ids = []
    for copies in (US_BACKUP, f"{EU_BACKUP}\n{US_BACKUP}"):
        path.write_text(TWO_REGIONS.replace("COPIES", copies))
        result = runner.invoke(app, ["check", str(path), "-f", "json", "--as-of", str(AS_OF)])
        assert result.exit_code in (0, 1), result.output
        report = json.loads(result.stdout)
        ids.append([f["id"] for f in report["flows"]])
        subjects = {f["subject"] for f in report["findings"]}
        assert "flow:db/backup@us-east-1" in subjects
    assert ids == [
        ["db", "db/backup@us-east-1", "db/log@FR"],
        ["db", "db/backup@eu-central-1", "db/backup@us-east-1", "db/log@FR"],
    ]


def test_copies_alike_in_kind_and_region_are_numbered_as_their_places_are(
    knowledge: KnowledgeBase, tmp_path: Path
) -> None:
    """Two backups in one region are alike in all a place's id is made of: the later one is
    `#2`, as its place subject is in the findings."""
    path = tmp_path / "qa.yaml"
    path.write_text(TWO_REGIONS.replace("COPIES", f"{US_BACKUP}\n{US_BACKUP}"))
    deployment, _ = load_deployment(path)
    flows = [f.id for f in derive_flows(deployment, knowledge, AS_OF)]
    assert flows == ["db", "db/backup@us-east-1", "db/backup@us-east-1#2", "db/log@FR"]

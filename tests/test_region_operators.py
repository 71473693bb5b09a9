"""A region another entity than its provider's own operates (AWS's China regions are run by
Chinese companies, not AWS) is not hosted by the provider's declared party merely because a
copy of a component that party runs lies there: its host is unknown unless the deployment names
the copy's `operator`, and neither that party's name, parent, laws nor HDS certificate are
lent to it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF

DEPLOYMENT = """\
schema_version: 1
name: clinique-exemple-records
controller: clinique
data: {categories: [health, identification], health_context: care}
parties:
  - {id: clinique, name: Clinique Exemple SAS, role: controller, country: FR}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
SINNET_PARTY
components:
  - id: records-db
    kind: datastore
    provider: aws
    operator: aws-emea
    region: eu-west-3
    key: records-key
    clear_text_processing: true
    copies:
      - {kind: snapshot-copy, region: us-east-1}
      - {kind: backup, region: REGIONCOPY_OPERATOR}
keys:
  - {id: records-key, encryption: provider-side, management: customer-managed-in-provider-kms,
     holder: aws-emea, country: FR, provider_can_use: true}
certifications:
  - {holder: aws-emea, scheme: hds, activities: [1, 2, 3, 4, 5], referential: "2024",
     issued: 2025-03-01}
"""

SINNET = (
    "  - {id: sinnet, name: 'Beijing Sinnet Technology Co., Ltd.', role: sub-processor, "
    "country: CN}"
)


def write(tmp_path: Path, *, region: str = "cn-north-1", operator: str | None = None) -> Path:
    text = DEPLOYMENT.replace("SINNET_PARTY\n", f"{SINNET}\n" if operator == "sinnet" else "")
    text = text.replace("REGION", region).replace(
        "COPY_OPERATOR", f", operator: {operator}" if operator else ""
    )
    path = tmp_path / "records.yaml"
    path.write_text(text)
    return path


def check(runner: CliRunner, path: Path, *args: str) -> str:
    result = runner.invoke(app, ["check", str(path), "--as-of", str(AS_OF), *args])
    assert result.exit_code == 1, result.output
    return result.output


def flows_line(output: str, flow: str) -> str:
    return next(line for line in output.splitlines() if line.strip().startswith(flow))


def findings(output: str, rule: str) -> list[dict[str, Any]]:
    return [f for f in json.loads(output)["findings"] if f["rule_id"] == rule]


SINNET_ROW = " CN     Beijing Sinnet Technology Co., Ltd. (parent ?) "
"""A flows table's row for a place in Beijing: the region's operator, its parent unknown."""


def backup_line(path: Path) -> int:
    """The line of the backup copy, where its findings are placed."""
    return next(i for i, x in enumerate(path.read_text().splitlines(), 1) if "kind: backup" in x)


def test_the_flows_table_does_not_name_the_aws_entity_for_a_copy_in_beijing(
    tmp_path: Path, runner: CliRunner
) -> None:
    output = check(runner, write(tmp_path))
    line = flows_line(output, "records-db/backup@cn-north-1")
    assert "Amazon Web Services EMEA SARL" not in line
    # the entity the knowledge base says operates the region, its parent unknown
    assert SINNET_ROW in line
    # the copy AWS EMEA does run keeps its name
    assert "Amazon Web Services EMEA SARL (parent US)" in flows_line(
        output, "records-db/snapshot-copy@us-east-1"
    )


def test_the_markdown_flows_table_does_not_name_it_either(
    tmp_path: Path, runner: CliRunner
) -> None:
    output = check(runner, write(tmp_path), "-f", "markdown")
    line = next(x for x in output.splitlines() if x.startswith("| `records-db` | backup |"))
    assert "| CN (China) |" in line
    assert "aws-emea" not in line and "parent: US" not in line


def test_who_can_reach_the_copy_cannot_be_verified_and_says_who_runs_the_region(
    tmp_path: Path, runner: CliRunner
) -> None:
    """Whose law reaches the copy besides China's is unknown (its host is), so the estimate
    cannot be made and says who runs the region; China's reach of data in China is certain,
    so RISK-CLEAR-01 finds it, a floor, naming no host."""
    path = write(tmp_path)
    output = check(runner, path, "-f", "json")
    line = backup_line(path)
    [clear] = [f for f in findings(output, "RISK-CLEAR-01") if f["location"]["line"] == line]
    assert clear["unverifiable"] is False
    assert "Amazon Web Services" not in str(clear["message"])
    assert (
        "in CN; legal bases for access to them: cn-national-intelligence-law-art7, "
        "cn-cybersecurity-law-art28, " in (clear["message"])
    )
    assert "at least (whether another country's law reaches it is unknown)" in clear["message"]
    [risk] = [f for f in findings(output, "RISK-PROB-01") if f["location"]["line"] == line]
    assert risk["unverifiable"] is True
    assert "Amazon Web Services" not in str(risk["message"])
    reason = next(f for f in risk["facts"] if f["path"] == "flow.region_operator")
    assert reason == {
        "path": "flow.region_operator",
        "value": "Beijing Sinnet Technology Co., Ltd., seat CN",
        "source": "kb:regions.yaml#aws/cn-north-1/operator",
        "url": "https://aws.amazon.com/blogs/enterprise-strategy/getting-started-with-aws-"
        "services-in-aws-china-beijing-region-and-aws-china-ningxia-region/",
        "verified": True,
    }
    [flow] = [f for f in json.loads(output)["flows"] if f["id"] == "records-db/backup@cn-north-1"]
    # no declared party, no parent presumed; the name is the knowledge base's operator's
    assert (flow["entity"], flow["entity_name"], flow["parent_country"]) == (
        None,
        "Beijing Sinnet Technology Co., Ltd.",
        None,
    )


def test_no_host_is_named_for_it_and_the_region_operator_is_the_reason(
    tmp_path: Path, runner: CliRunner
) -> None:
    path = write(tmp_path, region="cn-northwest-1")
    output = check(runner, path, "-f", "json")
    [act_03] = findings(output, "HDS-ACT-03")
    assert act_03["location"]["line"] == backup_line(path) and not act_03["unverifiable"]
    # the message says why, the fact where that comes from
    operated = "its region is operated by Ningxia Western Cloud Data Technology Co., Ltd., seat CN"
    assert f"no `operator`, and {operated}, not by aws's own entities" in act_03["message"]
    because = next(f for f in act_03["facts"] if f["path"] == "place.no_host_because")
    assert "kb:regions.yaml#aws/cn-northwest-1/operator" in because["source"]
    [xfer] = [
        f for f in findings(output, "GDPR-XFER-01") if f["location"]["line"] == backup_line(path)
    ]
    # no transfer is declared at all: no tool covers the copy, whoever hosts it
    assert xfer["unverifiable"] is False
    [tools] = [f for f in xfer["facts"] if f["path"] == "transfer.tools"]
    assert tools["value"] == []
    assert "no transfer declared to any recipient covers CN" in tools["source"]


def test_a_transfer_tool_that_may_cover_the_copy_leaves_it_unknown_for_want_of_its_host(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A tool declared for every country to the AWS entity may or may not be the copy's:
    who hosts it (the region's operator, not that entity) decides, and is unknown."""
    path = write(tmp_path, region="cn-northwest-1")
    path.write_text(
        path.read_text() + "transfers:\n  - {recipient: aws-emea, tool: scc-2021, scc_module: 2, "
        "tia_reference: TIA-1, tia_date: 2026-06-01}\n"
    )
    output = check(runner, path, "-f", "json")
    [xfer] = [
        f for f in findings(output, "GDPR-XFER-01") if f["location"]["line"] == backup_line(path)
    ]
    assert xfer["unverifiable"] is True
    assert "kb:regions.yaml#aws/cn-northwest-1/operator" in {f["source"] for f in xfer["facts"]}


def test_the_aws_entity_s_certificate_is_not_judged_against_the_copy_in_china(
    tmp_path: Path, runner: CliRunner
) -> None:
    output = check(runner, write(tmp_path), "-f", "json")
    [act_01] = findings(output, "HDS-ACT-01")
    assert act_01["message"].startswith("cannot be verified for party aws-emea")
    hosts = next(f for f in act_01["facts"] if f["path"] == "party.performs_hds_activities")
    assert hosts["source"] == (
        "derived: hds_activities of the components it operates; hosts records-db, "
        "snapshot-copy of records-db for the controller with no activity declared: one or more "
        "R.1111-9 activities"
    )


def test_a_declared_operator_of_the_copy_is_its_host(tmp_path: Path, runner: CliRunner) -> None:
    output = check(runner, write(tmp_path, operator="sinnet"))
    line = flows_line(output, "records-db/backup@cn-north-1")
    # no parent declared, none in the knowledge base: unknown, never Amazon's
    assert " CN     Beijing Sinnet Technology Co., Ltd. (parent ?) " in line
    assert "Amazon Web Services" not in line
    assert (
        "high HDS-ACT-01 sinnet hosts health data (declared HDS activities: none) but no HDS "
        "certificate declared for it and valid on the audit date covers backup of records-db"
    ) in output
    assert " HDS-ACT-03 " not in output
    # whose systems hold it is not presumed to be AWS's either
    assert (
        "host named: unknown; its region is operated by Beijing Sinnet Technology Co., Ltd., "
        "seat CN, not by aws's own entities: no declared party is known to host that region's "
        "systems"
    ) in output


def test_a_region_aws_itself_runs_still_goes_to_its_declared_party(
    tmp_path: Path, runner: CliRunner
) -> None:
    line = flows_line(check(runner, write(tmp_path, region="eu-west-1")), "records-db/backup@")
    assert "Amazon Web Services EMEA SARL (parent US)" in line


def test_the_controller_s_own_copy_there_is_not_on_aws_s_systems(
    tmp_path: Path, runner: CliRunner
) -> None:
    """The clinic running the backup itself runs it on the systems of the region's operator:
    the exposed host is that operator, not Amazon Web Services."""
    output = check(runner, write(tmp_path, operator="clinique"))
    line = flows_line(output, "records-db/backup@cn-north-1")
    assert "Amazon" not in line and SINNET_ROW in line


def test_the_provider_s_own_party_declared_as_the_region_s_operator_is_reported(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: `operator: aws-emea` on the copy in Beijing was accepted silently: the flow named
    AWS EMEA SARL (parent US) and its HDS certificate covered the copy, though the knowledge
    base says Sinnet runs the region. Audited as declared, and reported (CORE-KB-06)."""
    output = check(runner, write(tmp_path, operator="aws-emea"), "-f", "json")
    [contradiction] = findings(output, "CORE-KB-06")
    assert contradiction["severity"] == "high" and not contradiction["unverifiable"]
    assert contradiction["message"] == (
        "records-db (backup): declared operator aws-emea is a party of provider aws, but the "
        "knowledge base says region cn-north-1 is operated by Beijing Sinnet Technology Co., "
        "Ltd., seat CN; audited as declared"
    )
    said = {f["path"]: f["source"] for f in contradiction["facts"]}
    assert said["place.region_operator"] == "kb:regions.yaml#aws/cn-north-1/operator"
    # a party of its own declared as the operator, or a region AWS runs itself: nothing to say
    assert not findings(
        check(runner, write(tmp_path, operator="sinnet"), "-f", "json"), "CORE-KB-06"
    )
    assert not findings(
        check(runner, write(tmp_path, region="eu-west-1"), "-f", "json"), "CORE-KB-06"
    )


PRIMARY_IN_BEIJING = """\
schema_version: 1
name: clinique-beijing
controller: clinique
data: {categories: [health, identification], health_context: care}
parties:
  - {id: clinique, name: Clinique Exemple SAS, role: controller, country: FR}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
SINNET_PARTY
components:
  - id: records-db
    kind: datastore
    provider: aws
    region: cn-north-1PRIMARY_OPERATOR
    key: records-key
    clear_text_processing: true
keys:
  - {id: records-key, encryption: provider-side, management: provider-managed, country: FR,
     provider_can_use: true}
"""


def write_primary(tmp_path: Path, *, operator: str | None = None, sinnet: str = "") -> Path:
    """A database whose primary is in AWS's Beijing region, with a key in AWS's KMS; `sinnet`
    declares Beijing Sinnet as a party (with what follows its seat)."""
    party = f"{SINNET.rstrip('}')}{sinnet}}}" if sinnet or operator == "sinnet" else ""
    text = PRIMARY_IN_BEIJING.replace("SINNET_PARTY\n", f"{party}\n" if party else "")
    text = text.replace("PRIMARY_OPERATOR", f"\n    operator: {operator}" if operator else "")
    path = tmp_path / "beijing.yaml"
    path.write_text(text)
    return path


def test_exposure_of_a_primary_in_beijing_is_not_judged_against_amazon_s_parent(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: JUR-EXPO-01 said 'records-db on Amazon Web Services (Amazon.com, Inc., US) is
    reachable in clear', though the flows table said nobody known runs the region. Whose
    parent's law reaches it is unknown: cannot be verified, saying why and what to declare."""
    output = check(runner, write_primary(tmp_path), "-f", "json")
    [expo] = findings(output, "JUR-EXPO-01")
    assert expo["unverifiable"] is True
    assert "Amazon" not in expo["message"] and "US" not in expo["message"]
    # no key holder is declared either: the rule lists it too
    assert expo["message"].startswith(
        "cannot be verified for records-db: unknown provider.parent.country, "
        "key.holder_in_provider_group, key.holder_jurisdictions. Required: data "
        "not reachable in clear by a provider subject to foreign compelled-access laws "
        "(provider's parent in unknown; region cn-north-1 is operated by Beijing Sinnet "
        "Technology Co., Ltd., seat CN, not by aws's own entities, and its ultimate parent is "
        "not known: declare it as a party, with its parent, and name it the `operator`; "
        "encryption: provider-side; keys: provider-managed"
    )
    said = {f["path"]: f for f in expo["facts"]}
    assert said["provider.parent.country"]["value"] is None
    assert said["place.region_operator"]["source"] == "kb:regions.yaml#aws/cn-north-1/operator"


def test_the_declared_operator_of_a_primary_in_beijing_is_judged_by_its_own_parent(
    tmp_path: Path, runner: CliRunner
) -> None:
    """Sinnet declared with a parent of its own and named the operator: JUR-EXPO-01 judges
    that parent, never Amazon's."""
    path = write_primary(
        tmp_path, operator="sinnet", sinnet=", parent: {name: Sinnet Holding, country: CN}"
    )
    output = check(runner, path)
    assert (
        "medium JUR-EXPO-01 records-db on Amazon Web Services (Sinnet Holding, CN) is "
        "reachable in clear under foreign compelled-access laws"
    ) in output
    assert "Amazon.com" not in output


def test_the_provider_s_own_party_declared_there_is_still_audited_as_declared(
    tmp_path: Path, runner: CliRunner
) -> None:
    output = check(runner, write_primary(tmp_path, operator="aws-emea"))
    assert "JUR-EXPO-01 records-db on Amazon Web Services (Amazon.com, Inc., US)" in output


def test_eea_storage_in_a_region_an_unnamed_entity_operates_is_not_lent_amazon_s_parent(
    tmp_path: Path, runner: CliRunner
) -> None:
    """The AWS European Sovereign Cloud region listed under `aws` is run by the ESC's own
    German companies, whose names and parent the knowledge base does not record: JUR-02 was
    'stored in DE by Amazon Web Services, whose parent Amazon.com, Inc. is under US law'."""
    path = write_primary(tmp_path)
    path.write_text(path.read_text().replace("cn-north-1", "eusc-de-east-1"))
    output = check(runner, path, "-f", "json")
    [jur_02] = findings(output, "JUR-02")
    assert jur_02["unverifiable"] is True and jur_02["severity"] == "low"
    assert "Amazon" not in jur_02["message"] and "US" not in jur_02["message"]
    assert jur_02["message"].startswith(
        "cannot be verified for records-db: unknown provider.parent.country, "
        "provider.eu_controlled."
    )
    said = {f["path"]: f["value"] for f in jur_02["facts"]}
    assert said["provider.parent_unknown_because"] == (
        "; region eusc-de-east-1 is operated by an entity other than aws's own (name not "
        "recorded), seat DE, and its ultimate parent is not known: declare it as a party, with "
        "its parent, and name it the `operator`"
    )


def test_the_key_in_aws_s_kms_in_beijing_is_not_held_by_amazon_web_services(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: the key-custody flow of a provider-managed key used only in Beijing named
    'Amazon Web Services (parent US)' and RISK-CLEAR-01 said AWS could reach the data under
    the CLOUD Act, while the database's own flow named nobody."""
    path = write_primary(tmp_path)
    output = check(runner, path, "-f", "json")
    [flow] = [f for f in json.loads(output)["flows"] if f["id"] == "key/records-key"]
    assert (flow["entity"], flow["entity_name"], flow["parent_country"]) == (None, None, None)
    assert "kb:regions.yaml#aws/cn-north-1/operator" in {f["source"] for f in flow["facts"]}
    [risk] = [
        f for f in findings(output, "RISK-CLEAR-01") if f["subject"] == "flow:key:records-key"
    ]
    assert risk["unverifiable"] is True and "Amazon" not in risk["message"]
    text = check(runner, path)
    assert "Amazon Web Services" not in flows_line(text, "key/records-key")


def test_the_key_follows_the_declared_operator_of_the_place(
    tmp_path: Path, runner: CliRunner
) -> None:
    """Guard: a party declared to run the place there holds its key in the region's KMS."""
    line = flows_line(check(runner, write_primary(tmp_path, operator="sinnet")), "key/records-key")
    assert "Beijing Sinnet Technology Co., Ltd." in line and "Amazon" not in line


def test_the_controller_s_own_database_there_keeps_its_key_on_the_region_s_systems(
    tmp_path: Path, runner: CliRunner
) -> None:
    """The clinic running the database itself in Beijing keeps the key in the KMS of the
    region's operator: as the database's flow, the key's names nobody known, not the clinic
    ('Clinique Exemple SAS (parent ?)', whose own hold is no foreign reach)."""
    output = check(runner, write_primary(tmp_path, operator="clinique"))
    assert SINNET_ROW in flows_line(output, "records-db ")
    line = flows_line(output, "key/records-key")
    assert " FR     unknown (parent ?) " in line and "Clinique" not in line


def test_the_controller_s_own_database_on_aws_keeps_its_key_in_aws_s_kms(
    tmp_path: Path, runner: CliRunner
) -> None:
    """In a region AWS runs itself, the key of the clinic's own database is in AWS's KMS: its
    flow names Amazon Web Services, as the database's does, not the clinic."""
    path = write_primary(tmp_path, operator="clinique")
    path.write_text(path.read_text().replace("cn-north-1", "eu-west-3"))
    output = check(runner, path)
    assert "Amazon Web Services (parent US)" in flows_line(output, "records-db ")
    assert "Amazon Web Services (parent US)" in flows_line(output, "key/records-key")


OUTSCALE_US = """\
schema_version: 1
name: clinique-outscale-us
controller: clinique
data: {categories: [health, identification], health_context: care}
parties:
  - {id: clinique, name: Clinique Exemple SAS, role: controller, country: FR}
  - {id: outscale, name: 3DS Outscale SAS, role: processor, country: FR, provider: outscale}
components:
  - id: records-db
    kind: datastore
    provider: outscale
    operator: outscale
    region: eu-west-2
    key: records-key
    copies:
      - {kind: backup, region: us-east-2COPY_OPERATOR}
keys:
  - {id: records-key, encryption: provider-side, management: customer-managed-in-provider-kms,
     holder: clinique, country: FR, provider_can_use: true}
"""


def test_outscale_s_us_region_is_not_presumed_run_by_outscale_sas(
    tmp_path: Path, runner: CliRunner
) -> None:
    """OUTSCALE's US offer is contracted with OUTSCALE, Inc., not the French OUTSCALE SAS: a
    backup in us-east-2 is not lent the SAS's name (and its French parent) as its host, and
    declaring the SAS there is reported, citing the unverified knowledge-base entry."""
    path = tmp_path / "outscale-us.yaml"
    path.write_text(OUTSCALE_US.replace("COPY_OPERATOR", ""))
    backup = flows_line(check(runner, path), "records-db/backup@us-east-2")
    assert "3DS Outscale SAS" not in backup
    path.write_text(OUTSCALE_US.replace("COPY_OPERATOR", ", operator: outscale"))
    output = check(runner, path, "-f", "json")
    [contradiction] = findings(output, "CORE-KB-06")
    assert contradiction["message"] == (
        "records-db (backup): declared operator outscale is a party of provider outscale, but the "
        "knowledge base says region us-east-2 is operated by OUTSCALE, Inc.; audited as declared"
    )
    said = {f["path"]: f for f in contradiction["facts"]}
    assert said["place.region_operator"]["source"] == "kb:regions.yaml#outscale/us-east-2/operator"
    assert said["place.region_operator"]["verified"] is False

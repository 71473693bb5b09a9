"""Parties, certificates and declared transfers are judged through the real pipeline, at the
line of the declaration."""

from __future__ import annotations

import datetime as dt

from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF, FIXTURES

DEPLOYMENTS = FIXTURES / "deployments"


def findings(name: str) -> dict[str, list[tuple[int, str]]]:
    report = run(Options(paths=[DEPLOYMENTS / name], as_of=AS_OF))
    assert not report.errors, report.errors
    out: dict[str, list[tuple[int, str]]] = {}
    for f in report.findings:
        out.setdefault(f.rule_id, []).append((f.span.line, f.message))
    return out


def line_of(name: str, text: str) -> int:
    lines = (DEPLOYMENTS / name).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_transfer_mistakes_are_reported_on_their_declarations() -> None:
    name = "transfers-mixed.yaml"
    found = findings(name)
    assert found["GDPR-SCC-01"] == [
        (
            line_of(name, "- recipient: us-lab"),
            "transfer to us-lab (US) uses SCC module 1, but a controller "
            "exporting to a processor calls for module 2",
        )
    ]
    assert [line for line, _ in found["GDPR-XFER-03"]] == [line_of(name, "in-annotators, country")]
    assert [line for line, _ in found["GDPR-49-01"]] == [line_of(name, "tool: art49")]
    assert "GDPR-TIA-01" not in found  # dated 2026-03-01, within the default period


def test_secnumcloud_claim_on_a_us_owned_host_fails_the_196_criteria() -> None:
    found = findings("secnumcloud-claim-us-owned.yaml")
    for rule in ("SNC-196-B", "SNC-192-C", "SNC-196-D", "SNC-QUAL-01"):
        assert rule in found, rule
    assert "SNC-196-A" not in found  # seat and administration declared in France
    assert "SNC-QUAL-02" not in found  # the certificate itself is 3.2 and current


def test_no_claim_no_secnumcloud_findings() -> None:
    found = findings("hds-2018-certificate.yaml")
    assert not [rule for rule in found if rule.startswith("SNC-")]


def test_exi31_no_transfer_wording_is_wrong_for_a_us_parented_host(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "wording.yaml"
    path.write_text("""\
schema_version: 1
name: wording
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique Exemple SAS, role: controller, country: FR}
  - id: host
    name: Example Host SARL
    role: processor
    country: LU
    provider: aws
    transparency:
      url: https://host.example/hds
      wording: no-transfer
      laws: [us-cloud-act, us-fisa-702]
      mitigations: true
      residual_risks: true
components:
  - {id: records, kind: datastore, provider: aws, operator: host, region: eu-west-3}
""")
    report = run(Options(paths=[path], as_of=AS_OF))
    rules = {f.rule_id: f for f in report.findings}
    assert "states no-transfer but its status requires table" in rules["HDS-PUB-02"].message
    assert "HDS-EXT-01" not in rules  # the EXI 30 disclosure is complete
    assert "HDS-PUB-01" not in rules


HSM_DEPLOYMENT = """\
schema_version: 1
name: hsm
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR, parent: {name: C, country: FR}}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
  - {id: custodian, name: Tiers, role: key-custodian, country: FR, parent: {name: T, country: FR}}
  - {id: hsm-co, name: HSM Services Inc., role: sub-processor, country: US}
components:
  - id: records
    kind: datastore
    provider: aws
    operator: aws-emea
    region: eu-west-3
    key: k1
    clear_text_processing: false
keys:
  - id: k1
    encryption: client-side
    management: external-key-store
    holder: custodian
    country: FR
    hsm: {operator: OPERATOR, jurisdiction: JURISDICTION}
    provider_can_use: false
claims:
  processors: [aws-emea, custodian]
"""


def hsm_findings(tmp_path, operator: str, jurisdiction: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    path = tmp_path / "hsm.yaml"
    text = HSM_DEPLOYMENT.replace("OPERATOR", operator).replace("JURISDICTION", jurisdiction)
    path.write_text(text)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    out: dict[str, list[str]] = {}
    for f in report.findings:
        out.setdefault(f.rule_id, []).append(f.message)
    return out


KEY_RULES = ("JUR-EXPO-01", "EDPB-KEY-01")


def test_keys_in_an_eea_hsm_of_their_holder_keep_the_data_out_of_reach(tmp_path) -> None:  # type: ignore[no-untyped-def]
    found = hsm_findings(tmp_path, "custodian", "FR")
    assert not [rule for rule in (*KEY_RULES, "CORE-KB-05") if rule in found], found


def test_a_us_hsm_jurisdiction_counts_when_the_holder_operates_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The key holder runs the HSM, declared under US law: the keys are within reach of that
    law whoever operates the HSM, and the declaration contradicts the holder's French seat and
    parent, which is reported rather than settled silently."""
    found = hsm_findings(tmp_path, "custodian", "US")
    for rule in KEY_RULES:
        assert rule in found, found
    (contradiction,) = found["CORE-KB-05"]
    assert contradiction == (
        "key k1 of records: declared HSM jurisdiction US contradicts its operator custodian, "
        "compared with its seat (FR) and its ultimate parent's country (FR)"
    )


def test_a_us_hsm_jurisdiction_counts_when_the_controller_operates_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    found = hsm_findings(tmp_path, "clinic", "US")
    for rule in (*KEY_RULES, "CORE-KB-05"):
        assert rule in found, found


def test_a_third_party_hsm_operator_under_us_law_is_consistent_but_exposes_the_keys(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    found = hsm_findings(tmp_path, "hsm-co", "US")
    for rule in KEY_RULES:
        assert rule in found, found
    assert "CORE-KB-05" not in found  # US is its seat: no contradiction


def test_a_party_operating_an_hsm_takes_part_in_the_processing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An HSM operator holds the key material: it must be on the Art. 28 processor list, and
    its exposure to US law is identified (GDPR Art. 48 procedure, JUR-01)."""
    found = hsm_findings(tmp_path, "hsm-co", "US")
    for rule in ("GDPR-28-01", "GDPR-48-01", "JUR-01"):
        assert any("hsm-co" in m for m in found.get(rule, [])), (rule, found)


def test_an_eea_hsm_jurisdiction_does_not_hide_a_us_seated_operator(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """hsm-co declares no parent: FR may be its parent's country, or not. Its seat is not
    presented as its parent's country, and the declared FR law cannot be checked against it
    (it was a contradiction, the seat standing for the parent); its US seat still exposes the
    keys (KEY_RULES)."""
    found = hsm_findings(tmp_path, "hsm-co", "FR")
    assert found["CORE-KB-05"] == [
        "cannot be verified for records: unknown key.hsm.jurisdiction_matches_operator. key k1 "
        "of records: the declared HSM jurisdiction FR cannot be checked against its operator "
        "hsm-co (a declared party: yes; seat US, ultimate parent's country unknown): declare "
        "the operator under parties, with its ultimate parent"
    ]
    for rule in KEY_RULES:
        assert rule in found, found


def test_an_hsm_operators_parent_from_the_knowledge_base_is_named_as_such(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """aws-emea declares no parent: the knowledge base gives it (Amazon.com, Inc., US) through
    its provider, and the message says where the parent's country comes from."""
    found = hsm_findings(tmp_path, "aws-emea", "FR")
    assert found["CORE-KB-05"] == [
        "key k1 of records: declared HSM jurisdiction FR contradicts its operator aws-emea, "
        "compared with its seat (LU) and its ultimate parent's country (US, knowledge base)"
    ]


CUSTODY_RULES = ("EDPB-UC1-01", "EDPB-KEY-01", "JUR-EXPO-01")
US_BACKUP = "    copies: [{kind: backup, region: us-east-1}]\n"
SCC = (
    "transfers:\n  - {recipient: aws-emea, tool: scc-2021, scc_module: 2, countries: [US], "
    "tia_reference: TIA-1, tia_date: 2026-06-01}\n"
)


def custody_findings(  # type: ignore[no-untyped-def]
    tmp_path, operator: str, jurisdiction: str, *, parties: str = "", controller_parent=True
) -> dict[str, list[tuple[bool, str]]]:
    """The HSM deployment with a backup in us-east-1 under SCCs, so that EDPB use case 1
    applies too: (cannot be verified?, message) of each finding by rule."""
    text = HSM_DEPLOYMENT.replace("OPERATOR", operator).replace("JURISDICTION", jurisdiction)
    text = text.replace(
        "    clear_text_processing: false\n", "    clear_text_processing: false\n" + US_BACKUP
    )
    text = text.replace("components:\n", parties + "components:\n") + SCC
    if not controller_parent:
        text = text.replace(", parent: {name: C, country: FR}}", "}")
    path = tmp_path / "custody.yaml"
    path.write_text(text)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    out: dict[str, list[tuple[bool, str]]] = {}
    for f in report.findings:
        out.setdefault(f.rule_id, []).append((f.unverifiable, f.message))
    return out


def test_an_hsm_run_by_the_providers_eu_subsidiary_leaves_the_keys_within_us_reach(
    tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    """AWS EMEA (Luxembourg, parent Amazon.com, Inc.) runs the HSM, declared under Luxembourg
    law, which is its seat: consistent, but the keys are with the provider's group and within
    reach of the CLOUD Act and FISA 702 through its parent. Each key-custody rule says so, on
    the primary and on the US backup, and names the HSM as the reason."""
    found = custody_findings(tmp_path, "aws-emea", "LU")
    why = (
        "; HSM operated by aws-emea (seat LU, ultimate parent US): in the provider's group, "
        "under US law (us-cloud-act, us-fisa-702)"
    )
    for rule in CUSTODY_RULES:
        assert found.get(rule), (rule, found)
        for unverifiable, message in found[rule]:
            assert not unverifiable and message.endswith(why), (rule, message)
    assert len(found["EDPB-KEY-01"]) == 2  # the primary in Paris and the backup in Virginia
    assert "CORE-KB-05" not in found  # LU is its seat: no contradiction


def test_a_third_party_hsm_with_a_us_parent_leaves_the_keys_within_us_reach(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Outside the provider's group, in France, declared under French law: its US parent still
    brings US law to the keys."""
    party = (
        "  - {id: hsm-fr, name: HSM France SAS, role: sub-processor, country: FR, "
        "parent: {name: HSM Holdings Inc., country: US}}\n"
    )
    found = custody_findings(tmp_path, "hsm-fr", "FR", parties=party)
    for rule in CUSTODY_RULES:
        assert found.get(rule), (rule, found)
        for unverifiable, message in found[rule]:
            assert not unverifiable, (rule, message)
            assert message.endswith(
                "; HSM operated by hsm-fr (seat FR, ultimate parent US): "
                "under US law (us-cloud-act, us-fisa-702)"
            ), message
    assert "CORE-KB-05" not in found


def test_an_hsm_operator_nobody_declared_cannot_be_verified(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An HSM operator given only as a name has no seat or parent to look up: the key-custody
    rules cannot vouch for the keys, and CORE-KB-05 asks for the party, naming it."""
    found = custody_findings(tmp_path, "Some HSM Company", "FR")
    for rule in CUSTODY_RULES:
        assert found.get(rule), (rule, found)
        for unverifiable, message in found[rule]:
            assert unverifiable, (rule, message)
            assert message.endswith(
                "; HSM operated by Some HSM Company: not a declared party, so its seat and "
                "ultimate parent are unknown"
            ), message
    ((unverifiable, message),) = found["CORE-KB-05"]
    assert unverifiable
    assert "its operator Some HSM Company (a declared party: no;" in message


def test_an_hsm_operator_without_a_declared_parent_cannot_be_verified(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A French company whose owner is not declared may belong to a US group: unknown, never a
    pass. The controller itself is the exporter whose sole control of the keys use case 1
    accepts: its own HSM in France needs no declared parent."""
    party = "  - {id: hsm-fr, name: HSM France SAS, role: sub-processor, country: FR}\n"
    found = custody_findings(tmp_path, "hsm-fr", "FR", parties=party)
    for rule in CUSTODY_RULES:
        assert found.get(rule), (rule, found)
        assert all(unverifiable for unverifiable, _ in found[rule]), found[rule]
        assert found[rule][0][1].endswith(
            "; HSM operated by hsm-fr (seat FR, ultimate parent unknown): its ultimate parent "
            "is not declared"
        )
    found = custody_findings(tmp_path, "clinic", "FR", controller_parent=False)
    assert not [rule for rule in (*CUSTODY_RULES, "CORE-KB-05") if rule in found], found


def test_a_custodian_outside_the_providers_group_with_a_us_parent_holds_keys_within_us_reach(
    tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    """The key custodian is French and no part of AWS, but its parent is American: the CLOUD
    Act reaches the keys through it as surely as through the provider. Its HSM is its own."""
    text = HSM_DEPLOYMENT.replace("OPERATOR", "custodian").replace("JURISDICTION", "FR")
    us_owned = text.replace("parent: {name: T, country: FR}", "parent: {name: T Inc., country: US}")
    path = tmp_path / "custodian.yaml"
    path.write_text(us_owned)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    why = (
        "; keys held by custodian (seat FR, ultimate parent US): "
        "under US law (us-cloud-act, us-fisa-702)"
    )
    for rule in KEY_RULES:
        [finding] = [f for f in report.findings if f.rule_id == rule]
        assert not finding.unverifiable and why in finding.message, finding.message
    path.write_text(text)  # the same custodian with a French parent keeps the keys out of reach
    clean = run(Options(paths=[path], as_of=AS_OF))
    assert not [f for f in clean.findings if f.rule_id in KEY_RULES]


def custodian_findings(tmp_path, parent: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The key deployment with the custodian's parent replaced by `parent` (a flow mapping),
    its HSM its own, and a US backup under SCCs: each key-custody finding's message by rule."""
    text = HSM_DEPLOYMENT.replace("OPERATOR", "custodian").replace("JURISDICTION", "FR")
    text = text.replace("parent: {name: T, country: FR}", f"parent: {parent}")
    text = text.replace(
        "    clear_text_processing: false\n", "    clear_text_processing: false\n" + US_BACKUP
    )
    path = tmp_path / "custodian.yaml"
    path.write_text(text + SCC)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    out: dict[str, list[str]] = {}
    for f in report.findings:
        if f.rule_id in CUSTODY_RULES:
            out.setdefault(f.rule_id, []).append(f.message)
    return out


def test_a_custodian_seated_outside_the_eea_and_adequate_countries_is_no_trusted_entity(
    tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    """EDPB use case 1 trusts an entity in the EEA or an adequate country: a custodian whose
    parent is in Singapore is neither, though no law of Singapore is listed as compelling. The
    three key-custody rules say so alike."""
    found = custodian_findings(tmp_path, "{name: Custodian Pte, country: SG}")
    why = (
        "; keys held by custodian (seat FR, ultimate parent SG): "
        "under SG law, neither EEA nor generally adequate"
    )
    for rule in CUSTODY_RULES:  # JUR-EXPO-01 too: its keys must be held in such a country
        assert found.get(rule) and all(why in m for m in found[rule]), (rule, found)


def test_the_providers_group_is_recognised_whatever_the_punctuation_of_its_name(
    tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    """The knowledge base names AWS's parent "Amazon.com, Inc."; a custodian declared with
    "Amazon.com Inc" is in the provider's group all the same."""
    found = custodian_findings(tmp_path, "{name: Amazon.com Inc, country: US}")
    for rule in CUSTODY_RULES:
        assert found.get(rule), (rule, found)
        assert all("in the provider's group" in m for m in found[rule]), found[rule]


def test_a_key_replica_outside_the_eea_and_adequate_countries_is_named_as_the_reason(
    tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    text = HSM_DEPLOYMENT.replace("OPERATOR", "custodian").replace("JURISDICTION", "FR")
    text = text.replace(
        "    country: FR\n    hsm:", "    country: FR\n    replica_regions: [cn-north-1]\n    hsm:"
    )
    path = tmp_path / "replica.yaml"
    path.write_text(text)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    [finding] = [f for f in report.findings if f.rule_id == "EDPB-KEY-01"]
    assert finding.message.endswith(
        "held in FR, provider can use them: no; key replica in cn-north-1 (CN): under CN law "
        "(cn-national-intelligence-law-art7, cn-cybersecurity-law-art28, "
        "cn-counter-espionage-law)"
    )


def test_a_controller_s_own_hsm_under_another_law_contradicts_its_seat(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The controller may leave its parent undeclared: its HSM declared under US law then
    contradicts its French seat (an established CORE-KB-05), not "cannot be checked", and the
    message says no parent is declared rather than calling it unknown."""
    found = custody_findings(tmp_path, "clinic", "US", controller_parent=False)
    [(unverifiable, message)] = found["CORE-KB-05"]
    assert not unverifiable
    assert message == (
        "key k1 of records: declared HSM jurisdiction US contradicts its operator clinic, "
        "compared with its seat (FR); the controller declares no ultimate parent"
    )


CERTIFIED_LATER = """\
schema_version: 1
name: certified-later
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR}
  - {id: host, name: Host SAS, role: processor, country: FR, parent: {name: Host SA, country: FR}}
components:
  - {id: db, kind: datastore, provider: ovhcloud, operator: host, region: gra,
     hds_activities: [1, 2, 3, 4, 5, 6]}
certifications:
  - {holder: host, scheme: hds, activities: [1, 2, 3, 4, 5, 6], referential: "2024",
     issued: 2026-03-01}
"""


def test_a_certificate_issued_after_the_as_of_date_neither_covers_nor_is_judged_then(
    tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    """On 1 June 2025 the host held no certificate: its activities are uncovered (HDS-ACT-01),
    and the certificate of 2026 is not reported as "not valid" on a day it did not exist."""
    path = tmp_path / "later.yaml"
    path.write_text(CERTIFIED_LATER)

    def rules_on(day: str) -> set[str]:
        report = run(Options(paths=[path], as_of=dt.date.fromisoformat(day)))
        assert not report.errors, report.errors
        return {f.rule_id for f in report.findings if f.rule_id.startswith("HDS-")}

    before = rules_on("2025-06-01")
    assert "HDS-ACT-01" in before and "HDS-CERT-01" not in before
    assert "HDS-ACT-01" not in rules_on("2026-06-01")

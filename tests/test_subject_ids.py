"""Findings and checks name their subject (`kind:id` from the deployment's own ids): what tells
two parties', transfers' or copies' findings apart for JUnit cases, waivers and baselines."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pytest

from residency_audit import kb
from residency_audit.clock import utc_today
from residency_audit.discover import DnsSettings
from residency_audit.drift import drift_subjects
from residency_audit.engine.evaluate import judge_subjects
from residency_audit.format import load_deployment
from residency_audit.model import Report
from residency_audit.pipeline import Options, load_rules, run
from tests.conftest import AS_OF, FIXTURES, SAMPLES
from tests.support.dns_server import DnsServer

TRANSFERS = FIXTURES / "deployments" / "transfers-mixed.yaml"
DNS_DRIFT = FIXTURES / "deployments" / "dns-drift.yaml"


def audit(path: Path) -> Report:
    return run(Options(paths=[path], as_of=AS_OF))


def test_transfers_access_paths_and_parties_are_named_by_their_ids() -> None:
    """A declared transfer for each destination, the importer's onward transfer (by whom, to
    whom), the access path and the parties: each its own subject, none a component."""
    report = audit(TRANSFERS)
    subjects = {(rule, c.subject) for c in report.checks for rule in (*c.rules, *c.not_applicable)}
    assert {s for _, s in subjects} >= {
        "transfer:us-lab/US/scc-2021",
        "transfer:us-lab>in-annotators/IN/none",
        "transfer:support-co/US/art49",
        "access:support",
        "party:us-lab",
        "party:support-co",
        "place:dataset",
        "component:dataset",
        "deployment:transfers-mixed",
    }
    onward = next(f for f in report.findings if f.rule_id == "GDPR-XFER-03")
    assert onward.subject == "transfer:us-lab>in-annotators/IN/none" and onward.component is None
    # one check per rule and subject: the three transfers are three checks of each rule
    checked = [c.subject for c in report.checks if "GDPR-XFER-03" in (*c.rules, *c.not_applicable)]
    assert sorted(checked) == sorted(set(checked)) and len(checked) == 3


def test_subjects_stay_the_same_when_lines_move(tmp_path: Path) -> None:
    moved = tmp_path / "moved.yaml"
    moved.write_text("# reviewed by the DPO\n\n\n" + TRANSFERS.read_text())
    before, after = audit(TRANSFERS), audit(moved)
    assert [f.span.line for f in after.findings] != [f.span.line for f in before.findings]
    assert [(f.rule_id, f.subject) for f in after.findings] == [
        (f.rule_id, f.subject) for f in before.findings
    ]


def test_two_subjects_alike_in_all_their_ids_are_numbered(tmp_path: Path) -> None:
    """Two transfers to one recipient and country under one tool (two SCC contracts) are two
    subjects: the later one in the file is `#2`, so neither's findings pass for the other's."""
    deploy = tmp_path / "two-contracts.yaml"
    deploy.write_text(
        TWO_TRANSFERS.format(
            first="{recipient: support-co, tool: scc-2021, scc_module: 2, countries: [US]}",
            second="{recipient: support-co, tool: scc-2021, scc_module: 3, countries: [US]}",
        )
    )
    report = audit(deploy)
    transfers = [c.subject for c in report.checks if (c.subject or "").startswith("transfer:")]
    assert transfers == [
        "transfer:support-co/US/scc-2021",
        "transfer:support-co/US/scc-2021#2",
    ]


TWO_TRANSFERS = """schema_version: 1
name: tr
controller: clinic
data: {{categories: [health], health_context: care}}
parties:
  - {{id: clinic, name: Clinique SAS, role: controller, country: FR}}
  - {{id: support-co, name: Support Inc., role: processor, country: US}}
components:
  - {{id: db, kind: datastore, provider: outscale, operator: clinic, region: eu-west-2}}
transfers:
  - {first}
  - {second}
"""
BCR = "{recipient: support-co, tool: bcr, countries: [US]}"
SCC = (
    "{recipient: support-co, tool: scc-2021, scc_module: 2, countries: [US], "
    "tia_reference: TIA-9, tia_date: 2026-10-01}"
)


def findings_by_subject(report: Report) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for f in report.findings:
        out.setdefault(f.subject or "", set()).add((f.rule_id, f.message))
    return out


def test_two_transfers_to_one_recipient_keep_their_ids_when_reordered(tmp_path: Path) -> None:
    """A BCR and an SCC transfer to one recipient and country are named by their tool, so the
    SCC transfer's findings (and a waiver of them) stay its own whichever entry comes first."""
    orders, checked = {}, {}
    for name, first, second in (("bcr-first", BCR, SCC), ("scc-first", SCC, BCR)):
        deploy = tmp_path / f"{name}.yaml"
        deploy.write_text(TWO_TRANSFERS.format(first=first, second=second))
        report = audit(deploy)
        orders[name] = findings_by_subject(report)
        checked[name] = {c.subject for c in report.checks if "transfer:" in (c.subject or "")}
    assert orders["bcr-first"] == orders["scc-first"]
    assert (
        checked["bcr-first"]
        == checked["scc-first"]
        == {
            "transfer:support-co/US/bcr",
            "transfer:support-co/US/scc-2021",
        }
    )
    # the SCC transfer has its TIA; the BCR transfer has none and is the one reported
    tia = {s for s, found in orders["scc-first"].items() if "GDPR-TIA-01" in dict(found)}
    assert tia == {"transfer:support-co/US/bcr"}


def test_a_copy_added_before_another_leaves_its_id(tmp_path: Path) -> None:
    """Copies are named by kind and region, not by position: an export added above the
    assessed snapshot copy takes no finding, waiver or baseline entry of the snapshot copy's."""
    text = (SAMPLES / "backup-outside-eea.yaml").read_text()
    assert "    copies:\n      - kind: snapshot-copy" in text
    added = tmp_path / "added.yaml"
    added.write_text(
        text.replace(
            "    copies:\n",
            "    copies:\n      - {kind: export, region: us-west-2}\n",
            1,
        )
    )
    before = findings_by_subject(audit(SAMPLES / "backup-outside-eea.yaml"))
    after = findings_by_subject(audit(added))
    copy = "place:records-db/snapshot-copy@us-east-1"
    assert before[copy] and after[copy] == before[copy]
    assert "place:records-db/export@us-west-2" in after


def test_a_certificate_keeps_its_id_whatever_the_as_of_date(tmp_path: Path) -> None:
    """The renewed certificate is listed first but issued later than the one it replaces: on a
    day before its issue it is not judged, and the old one must not take another name then."""
    deploy = tmp_path / "renewed.yaml"
    deploy.write_text(
        """schema_version: 1
name: cert
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR}
  - {id: host, name: Host SAS, role: processor, country: FR}
components:
  - {id: db, kind: datastore, provider: outscale, operator: host, region: eu-west-2}
certifications:
  - {holder: host, scheme: hds, activities: [1, 2], referential: "2024",
     issued: 2026-06-01, expires: 2029-05-31}
  - {holder: host, scheme: hds, activities: [1, 2, 3, 4, 5, 6], referential: "2018",
     issued: 2023-01-01, expires: 2026-12-31}
"""
    )
    named = {}
    for day in (dt.date(2026, 5, 1), dt.date(2026, 11, 28)):
        report = run(Options(paths=[deploy], as_of=day))
        named[day] = [c.subject for c in report.checks if "HDS-CERT-01" in c.rules]
    assert named[dt.date(2026, 5, 1)] == ["certification:host/hds@2023-01-01"]
    assert named[dt.date(2026, 11, 28)] == [
        "certification:host/hds@2026-06-01",
        "certification:host/hds@2023-01-01",
    ]


def test_an_access_path_flow_is_not_a_component_s_copy_flow(tmp_path: Path) -> None:
    """A component `access` with a backup and an access path `backup`: their flows were both
    `access/backup`; the access path's is `flow:access:backup`, a name no component can take."""
    text = (SAMPLES / "backup-outside-eea.yaml").read_text()
    text = text.replace("id: records-db", "id: access").replace("components: [records-db]", "")
    text = text.replace("kind: snapshot-copy ", "kind: backup ")
    deploy = tmp_path / "access.yaml"
    deploy.write_text(
        text
        + """access:
  - {id: backup, kind: support, entity: aws-emea, country: US, clear_text: true}
"""
    )
    flows = [c.subject for c in audit(deploy).checks if (c.subject or "").startswith("flow:")]
    assert "flow:access:backup" in flows and "flow:access/backup@us-east-1" in flows
    assert not [f for f in flows if "#" in f]


def test_a_finding_keeps_its_subject_through_a_batch_worker() -> None:
    """Batch workers pickle their findings and checks for the parent process."""
    report = audit(TRANSFERS)
    for item in (*report.findings, *report.checks):
        copy = pickle.loads(pickle.dumps(item))
        assert copy == item and copy.subject == item.subject is not None


def test_endpoints_are_named_by_component_and_name(dns_server: DnsServer) -> None:
    """A hostname, a mail domain and each mail exchanger of it are subjects of their own."""
    settings = DnsSettings(nameservers=(dns_server.host,), port=dns_server.port)
    report = run(Options(paths=[DNS_DRIFT], as_of=utc_today(), resolve=settings))
    endpoints = {c.subject for c in report.checks if (c.subject or "").startswith("endpoint:")}
    assert "endpoint:web/api.example-health.test" in endpoints
    assert {e for e in endpoints if e.startswith("endpoint:clinic-mail/mail:clinic.test/")}
    assert len({c.subject for c in report.checks if "DNS-DRIFT-01" in c.rules}) == len(
        [c for c in report.checks if "DNS-DRIFT-01" in c.rules]
    )


OBSERVED = """schema_version: 1
name: aws-{account}
controller: account-owner
data: {{categories: [health], health_context: care}}
parties:
- {{id: account-owner, name: Owner of AWS account {account}, role: controller, country: ZZ}}
- {{id: aws, name: Amazon Web Services, role: processor, country: ZZ, provider: aws}}
components:
- id: rds-records
  kind: datastore
  provider: aws
  service: rds
  region: eu-west-3
  copies:
  - {{kind: replica, region: us-east-1, account: '{account}'}}
  resources: ['arn:aws:rds:eu-west-3:{account}:db:records']
observation:
  collector: aws
  started_at: '2026-11-20T04:40:59Z'
  account: '{account}'
  partition: aws
  regions: [eu-west-3, us-east-1]
"""
ACCOUNTS = ("111111111111", "222222222222")


def two_accounts(tmp_path: Path) -> tuple[Path, list[Path]]:
    """The AWS sample's declaration (its database named by resource name) and two accounts
    each holding that database with a US replica: one declared deployment, two observed
    files."""
    declared = tmp_path / "declared.yaml"
    text = (SAMPLES / "aws-declared.yaml").read_text()
    old = '["arn:aws:rds:eu-west-3:123456789012:db:records"]'
    assert old in text
    declared.write_text(text.replace(old, "[records]"))
    observed = []
    for account in ACCOUNTS:
        path = tmp_path / f"aws-{account}.yaml"
        path.write_text(OBSERVED.format(account=account))
        observed.append(path)
    return declared, observed


def test_one_deployment_judged_in_several_calls_numbers_its_subjects_across_them(
    tmp_path: Path,
) -> None:
    """Drift judges each observed file's subjects in a call of its own: with one count of the
    deployment's ids across the calls, the second account's replica is `#2`, not the first's
    id (whose baseline entry, waiver and JUnit case it would take)."""
    knowledge = kb.default()
    rules = tuple(r for pack in load_rules((), knowledge) for r in pack.rules)
    declared_path, observed = two_accounts(tmp_path)
    declared = load_deployment(declared_path)[0]
    named: dict[str, int] = {}
    replicas = []
    for path in observed:
        seen = load_deployment(path)[0]
        items = [s for name, s in drift_subjects([declared], seen, knowledge, AS_OF)]
        result = judge_subjects(
            items, rules, kb=knowledge, as_of=AS_OF, deployment=declared.name, named=named
        )
        replicas += [f.subject for f in result.findings if f.rule_id == "DRIFT-LOC-01"]
    assert replicas == [
        "observation:replica of rds-records",
        "observation:replica of rds-records#2",
    ]


def test_two_observed_accounts_never_share_a_subject_id(tmp_path: Path) -> None:
    declared, observed = two_accounts(tmp_path)
    report = run(Options(paths=[declared], observed=observed, as_of=AS_OF))
    drift = [(f.deployment, f.rule_id, f.subject) for f in report.findings]
    assert len([d for d in drift if d[1] == "DRIFT-LOC-01"]) == 2
    assert len(drift) == len(set(drift))

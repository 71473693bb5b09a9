"""Findings and checks name their subject (`kind:id` from the deployment's own ids): what tells
two parties', transfers' or copies' findings apart for JUnit cases, waivers and baselines."""

from __future__ import annotations

import pickle
from pathlib import Path

from residency_audit.clock import utc_today
from residency_audit.discover import DnsSettings
from residency_audit.model import Report
from residency_audit.pipeline import Options, run
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
    subjects = {(rule, c.subject) for c in report.checks for rule in c.rules}
    assert {s for _, s in subjects} >= {
        "transfer:us-lab/US",
        "transfer:us-lab>in-annotators/IN",
        "transfer:support-co/US",
        "access:support",
        "party:us-lab",
        "party:support-co",
        "place:dataset",
        "component:dataset",
        "deployment:transfers-mixed",
    }
    onward = next(f for f in report.findings if f.rule_id == "GDPR-XFER-03")
    assert onward.subject == "transfer:us-lab>in-annotators/IN" and onward.component is None
    # one check per rule and subject: the three transfers are three checks of each rule
    checked = [c.subject for c in report.checks if "GDPR-XFER-03" in c.rules]
    assert sorted(checked) == sorted(set(checked)) and len(checked) == 3


def test_subjects_stay_the_same_when_lines_move(tmp_path: Path) -> None:
    moved = tmp_path / "moved.yaml"
    moved.write_text("# reviewed by the DPO\n\n\n" + TRANSFERS.read_text())
    before, after = audit(TRANSFERS), audit(moved)
    assert [f.span.line for f in after.findings] != [f.span.line for f in before.findings]
    assert [(f.rule_id, f.subject) for f in after.findings] == [
        (f.rule_id, f.subject) for f in before.findings
    ]


def test_two_subjects_with_the_same_ids_are_numbered(tmp_path: Path) -> None:
    """Two HDS certificates of one holder (the new one and the one it replaced) are two
    subjects: the later one in the file is `#2`, so neither's findings pass for the other's."""
    deploy = tmp_path / "two-certificates.yaml"
    deploy.write_text(
        (SAMPLES / "backup-outside-eea.yaml").read_text()
        + "  - {holder: aws-emea, scheme: hds, activities: [1], referential: '2018',"
        " issued: 2018-11-20, expires: 2021-11-19}\n"
    )
    report = audit(deploy)
    certificates = [c.subject for c in report.checks if "HDS-CERT-01" in c.rules]
    assert certificates == ["certification:aws-emea/hds", "certification:aws-emea/hds#2"]
    expired = [f for f in report.findings if f.rule_id == "HDS-CERT-01" and "2021" in f.message]
    assert [f.subject for f in expired] == ["certification:aws-emea/hds#2"]


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

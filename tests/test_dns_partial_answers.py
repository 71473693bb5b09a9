"""`discover dns` and `check` when the DNS answers a name only in part: an AAAA query that fails
while A answers, a mail exchanger that fails or is a CNAME, a timeout that must read the same in
every run. Real DNS servers on 127.0.0.1: tests/support/fault_dns.py and unbound."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.clock import utc_today
from residency_audit.discover import DnsSettings
from residency_audit.errors import InputError
from residency_audit.loader import load_text
from residency_audit.observations import Status, parse_observations
from residency_audit.pipeline import Options, run
from residency_audit.reporters.json import render
from tests.collectors.test_dns import fault_server
from tests.conftest import FIXTURES
from tests.support.dns_server import DnsServer
from tests.test_dns_drift import DEPLOYMENT, check_json, line_of, located, server_args

UNREADABLE = FIXTURES / "deployments" / "dns-unreadable.yaml"


def test_a_name_whose_aaaa_or_exchanger_failed_cannot_be_verified_and_the_audit_is_partial(
    runner: CliRunner, fault_server: DnsServer, tmp_path: Path
) -> None:
    observations = tmp_path / "observed.yaml"
    result = runner.invoke(
        app,
        [
            *("discover", "dns", "--from", str(UNREADABLE), *server_args(fault_server)),
            *("--timeout", "0.2", "-o", str(observations)),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert "4 name(s)" in result.stderr and "1 resolved, 1 servfail, 2 timeout" in result.stderr
    text = observations.read_text()
    details = {n["name"]: n.get("detail") for n in yaml.safe_load(text)["names"]}
    assert details["a6drop.fault.test"] == (  # --timeout 0.2 is per attempt; a query gets twice it
        "the AAAA query failed: no answer within 0.4 s (the query's limit, retries included; "
        "0.2 s per attempt); the A query answered 15.236.0.10"
    )
    _, report = check_json(runner, str(UNREADABLE), "--dns", str(observations), as_of=utc_today())
    assert not report["errors"] and not report["complete"]
    [partial] = report["partial"]
    for name in ("a6drop.fault.test (timeout)", "a6fail.fault.test (servfail)"):
        assert name in partial
    assert "mail.fault.test (timeout)" in partial
    drift = located(report, "DNS-DRIFT-01")
    for name in ("a6drop.fault.test", "a6fail.fault.test"):
        finding = drift[line_of(UNREADABLE, f"- {name}")]
        assert finding["unverifiable"] and "the AAAA query failed" in finding["message"]
    mail = [
        f
        for f in report["findings"]
        if f["rule_id"] == "DNS-DRIFT-01" and "mail.fault.test" in f["message"]
    ]
    # the exchanger that timed out cannot be verified; the one that answered, in AWS's Paris
    # range as declared, is judged and passes
    [slow] = mail
    assert slow["unverifiable"] and "mail exchanger mx-slow.fault.test (MX 10)" in slow["message"]
    # The name whose every query answered, in AWS's Paris range, is judged and passes.
    assert line_of(UNREADABLE, "- whole.fault.test") not in drift


def test_an_exchanger_that_answered_is_judged_beside_one_that_failed(
    runner: CliRunner, fault_server: DnsServer, tmp_path: Path
) -> None:
    """cfmail.fault.test: MX 10 times out, MX 20 is in Cloudflare's range. The domain cannot be
    read whole (the audit is partial), yet the mail sent to MX 20 goes to Cloudflare, a US-owned
    provider the deployment did not declare: that is said, not hidden behind the other's
    timeout."""
    deployment = tmp_path / "deploy.yaml"
    deployment.write_text(
        UNREADABLE.read_text().replace(
            "mail_domains: [mail.fault.test]", "mail_domains: [cfmail.fault.test]"
        )
    )
    observations = tmp_path / "observed.yaml"
    result = runner.invoke(
        app,
        [
            *("discover", "dns", "--from", str(deployment), *server_args(fault_server)),
            *("--timeout", "0.2", "-o", str(observations)),
        ],
    )
    assert result.exit_code == 0, result.stderr
    _, report = check_json(runner, str(deployment), "--dns", str(observations), as_of=utc_today())
    assert any("cfmail.fault.test (timeout)" in line for line in report["partial"])
    line = line_of(deployment, "cfmail.fault.test")
    drift = {
        f["subject"].rsplit("/", 1)[1]: f
        for f in report["findings"]
        if f["rule_id"] == "DNS-DRIFT-01" and f["location"]["line"] == line
    }
    assert drift["mx-slow.fault.test"]["unverifiable"]
    cf = drift["mx-cf.fault.test"]
    assert not cf["unverifiable"] and "serving: cloudflare" in cf["message"]
    [mail] = [f for f in report["findings"] if f["rule_id"] == "DNS-MAIL-01"]
    assert "cfmail.fault.test is handled by mx-cf.fault.test, i.e. Cloudflare" in mail["message"]


def test_mail_exchangers_that_fail_or_are_cnames_are_judged_by_what_they_reach(
    runner: CliRunner, dns_server: DnsServer, tmp_path: Path
) -> None:
    deployment = tmp_path / "deploy.yaml"
    deployment.write_text(
        DEPLOYMENT.read_text().replace(
            "mail_domains: [clinic.test, records.clinic.test]",
            "mail_domains: [alias.clinic.test, nomx.clinic.test, lamemx.clinic.test]",
        )
    )
    _, report = check_json(runner, str(deployment), "--resolve", *server_args(dns_server))
    drift = [f for f in report["findings"] if f["rule_id"] == "DNS-DRIFT-01"]
    by_domain = {
        domain: next(f for f in drift if f"{domain} is declared on" in f["message"])
        for domain in ("alias.clinic.test", "nomx.clinic.test", "lamemx.clinic.test")
    }
    # mxalias.clinic.test is a CNAME to Google's exchanger: Google receives the mail.
    alias = by_domain["alias.clinic.test"]
    assert not alias["unverifiable"] and "serving: google-workspace" in alias["message"]
    assert "mxalias.clinic.test -> aspmx.l.google.com" in alias["message"]
    mail = [f for f in report["findings"] if f["rule_id"] == "DNS-MAIL-01"]
    assert [f["message"].split(" is handled by ")[1].split(",")[0] for f in mail] == [
        "mxalias.clinic.test"
    ]
    nomx, lame = by_domain["nomx.clinic.test"], by_domain["lamemx.clinic.test"]
    assert nomx["unverifiable"] and "nothere.clinic.test does not exist" in nomx["message"]
    assert lame["unverifiable"] and "mail exchanger mx.lame.test (MX 10)" in lame["message"]
    assert any("lamemx.clinic.test (servfail)" in line for line in report["partial"])


def test_a_baseline_holds_the_timeouts_of_the_next_run(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        settings = DnsSettings(("127.0.0.1",), silent.getsockname()[1], timeout=0.2)
        options = Options(paths=[DEPLOYMENT], as_of=utc_today(), resolve=settings)
        saved = tmp_path / "baseline.json"
        saved.write_text(render(run(options)))
        again = run(dataclasses.replace(options, baseline=saved))
    timeouts = [f for f in again.findings if f.rule_id == "DNS-DRIFT-01"]
    assert len(timeouts) == 5 and all("no answer within 0.4 s" in f.message for f in timeouts)
    assert all(f.in_baseline for f in timeouts), [f.message for f in timeouts if not f.in_baseline]


def test_an_exchanger_s_chain_in_a_file_is_checked_and_older_files_still_read() -> None:
    text = """schema_version: 1
kind: dns-observations
observed_on: 2026-11-28
resolver: 127.0.0.1:53
names:
  - name: clinic.test
    purpose: mail
    status: resolved
    mail_exchangers:
      - preference: 10
        exchange: mx.clinic.test
        addresses: [198.51.100.27]
"""
    # Written before exchangers had a status: read as resolved, as they were then judged.
    [old] = parse_observations(load_text(text, "old.yaml")).names
    assert old.mail_exchangers[0].status is Status.RESOLVED
    edited = text + (
        "        status: resolved\n"
        "        cnames: [{name: mx.clinic.test, target: aspmx.l.goo gle.com}]\n"
    )
    with pytest.raises(InputError) as info:
        parse_observations(load_text(edited, "edited.yaml"))
    [problem] = info.value.diagnostics
    assert (problem.span.line, problem.span.column) == (14, 49)  # at the target
    assert "aspmx.l.goo gle.com" in problem.message

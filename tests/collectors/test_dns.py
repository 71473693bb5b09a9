"""The DNS collector against real DNS servers on 127.0.0.1: unbound (zones in tests/support/dns),
and tests/support/fault_dns.py for answers that fail one query of a name only."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import dns.resolver
import pytest

from residency_audit import kb
from residency_audit.collectors.dns import DnsCollector, make_resolver
from residency_audit.discover import DnsSettings, resolve
from residency_audit.observations import Purpose, Status
from tests.conftest import AS_OF
from tests.support.dns_server import DnsServer
from tests.support.fault_dns import Fault, running_fault_dns

# AWS EC2 eu-west-3 addresses (the knowledge base's Paris range, as backend.example-health.test).
FAULT_ZONE = """
a6drop.fault.test.    60 IN A  15.236.0.10
a6fail.fault.test.    60 IN A  15.236.0.10
a6refused.fault.test. 60 IN A  15.236.0.10
whole.fault.test.     60 IN A  15.236.0.10
whole.fault.test.     60 IN AAAA 2a05:d012::10
mail.fault.test.      60 IN MX 10 mx-slow.fault.test.
mail.fault.test.      60 IN MX 20 mx-ok.fault.test.
mx-slow.fault.test.   60 IN A  15.236.0.25
mx-ok.fault.test.     60 IN A  15.236.0.26
cfmail.fault.test.    60 IN MX 10 mx-slow.fault.test.
cfmail.fault.test.    60 IN MX 20 mx-cf.fault.test.
mx-cf.fault.test.     60 IN A  104.16.0.1
"""
FAULTS = {
    ("a6drop.fault.test", "AAAA"): Fault.DROP,
    ("a6fail.fault.test", "AAAA"): Fault.SERVFAIL,
    ("a6refused.fault.test", "AAAA"): Fault.REFUSED,
    ("mx-slow.fault.test", "A"): Fault.DROP,
}

PER_ATTEMPT = "(the query's limit, retries included; 0.2 s per attempt)"
"""What a timeout detail adds to its limit when the resolver was given timeout=0.2."""


@pytest.fixture
def collector(dns_server: DnsServer) -> DnsCollector:
    return DnsCollector(make_resolver([dns_server.host], port=dns_server.port, timeout=1.0))


@pytest.fixture(scope="module")
def fault_server() -> Iterator[DnsServer]:
    with running_fault_dns(FAULT_ZONE, FAULTS) as server:
        yield server


@pytest.fixture
def fault_collector(fault_server: DnsServer) -> DnsCollector:
    return DnsCollector(make_resolver([fault_server.host], port=fault_server.port, timeout=0.2))


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A UDP socket on loopback that never answers: every query to it times out."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def test_cname_chain_is_followed_across_zones(collector: DnsCollector) -> None:
    obs = collector.observe_one("www.example-health.test", Purpose.HOST)
    assert obs.status is Status.RESOLVED
    assert obs.chain == (
        "www.example-health.test",
        "api.example-health.test",
        "d111.cloudfront.net",
    )
    assert obs.canonical == "d111.cloudfront.net"
    assert obs.addresses == ("108.138.0.10", "108.138.0.11")
    assert obs.nameservers == ("ns1.example-health.test",)


def test_api_behind_cloudfront_is_attributed_to_aws_with_its_source(dns_server: DnsServer) -> None:
    settings = DnsSettings((dns_server.host,), dns_server.port, timeout=1.0)
    observed = resolve(
        [("api.example-health.test", Purpose.HOST)], settings, kb.default(), observed_on=AS_OF
    )
    [api] = observed.names
    by_name = next(a for a in api.attributions if a.subject == "d111.cloudfront.net")
    assert by_name.provider == "aws" and by_name.method.value == "dns-suffix"
    assert by_name.source.startswith("kb:providers.yaml#aws")
    assert by_name.location == "indeterminate"
    by_address = [a for a in api.attributions if a.method.value == "ip-range"]
    assert {a.provider for a in by_address} == {"aws"}
    assert all(a.source.startswith("kb:ip-ranges/aws.json") and a.edge for a in by_address)
    assert all("108.138.0.0/15 CLOUDFRONT GLOBAL" in a.evidence for a in by_address)


def test_dangling_cname_is_nxdomain_and_keeps_the_chain(collector: DnsCollector) -> None:
    obs = collector.observe_one("portal.example-health.test", Purpose.HOST)
    assert obs.status is Status.NXDOMAIN
    assert obs.chain[-1] == "portal-hds.francecentral.cloudapp.azure.com"
    assert obs.detail is not None and "portal-hds.francecentral.cloudapp.azure.com" in obs.detail
    assert obs.addresses == ()


def test_missing_name_is_nxdomain(collector: DnsCollector) -> None:
    assert (
        collector.observe_one("nothing.example-health.test", Purpose.HOST).status is Status.NXDOMAIN
    )


def test_lame_delegation_is_servfail(collector: DnsCollector) -> None:
    obs = collector.observe_one("www.lame.test", Purpose.HOST)
    assert obs.status is Status.SERVFAIL and obs.status.unreadable


def test_silent_server_times_out(silent_server: int) -> None:
    collector = DnsCollector(make_resolver(["127.0.0.1"], port=silent_server, timeout=0.2))
    obs = collector.observe_one("api.example-health.test", Purpose.HOST)
    assert obs.status is Status.TIMEOUT and obs.status.unreadable
    assert obs.addresses == () and obs.detail is not None


def test_mail_domain_lists_exchangers_with_addresses(collector: DnsCollector) -> None:
    obs = collector.observe_one("example-health.test", Purpose.MAIL)
    assert obs.status is Status.RESOLVED
    assert [(m.preference, m.exchange, m.addresses) for m in obs.mail_exchangers] == [
        (10, "eu-smtp-inbound-1.mimecast.com", ("198.51.100.25",)),
        (20, "mail.example-health.test", ("192.0.2.25",)),
    ]


def test_domain_without_mx_has_no_answer(collector: DnsCollector) -> None:
    obs = collector.observe_one("api.example-health.test", Purpose.MAIL)
    assert obs.status is Status.NO_ANSWER and obs.mail_exchangers == ()


def test_many_names_keep_their_order_and_status(collector: DnsCollector) -> None:
    names = [f"missing-{i}.example-health.test" for i in range(149)] + ["www.example-health.test"]
    requests = [(name, Purpose.HOST) for name in names]
    observed = collector.observe(requests)
    assert [o.name for o in observed] == [name for name, _ in requests]
    statuses = {o.name: o.status for o in observed}
    assert statuses["www.example-health.test"] is Status.RESOLVED
    assert statuses["missing-0.example-health.test"] is Status.NXDOMAIN


def test_the_fault_server_answers_a_whole_name(fault_collector: DnsCollector) -> None:
    obs = fault_collector.observe_one("whole.fault.test", Purpose.HOST)
    assert obs.status is Status.RESOLVED and obs.detail is None
    assert obs.addresses == ("15.236.0.10", "2a05:d012::10")


@pytest.mark.parametrize(
    ("name", "status", "why"),
    [
        ("a6drop.fault.test", Status.TIMEOUT, "no answer within 0.4 s"),
        ("a6fail.fault.test", Status.SERVFAIL, "answered SERVFAIL"),
        ("a6refused.fault.test", Status.SERVFAIL, "answered REFUSED"),
    ],
)
def test_a_failed_aaaa_query_leaves_the_name_unresolved_with_what_a_answered(
    fault_collector: DnsCollector, name: str, status: Status, why: str
) -> None:
    obs = fault_collector.observe_one(name, Purpose.HOST)
    # Unread AAAA records could send IPv6 clients anywhere: the name must not pass as resolved.
    assert obs.status is status and obs.status.unreadable
    assert obs.detail is not None
    assert obs.detail.startswith("the AAAA query failed: ") and why in obs.detail
    assert obs.detail.endswith("; the A query answered 15.236.0.10")
    assert obs.addresses == ("15.236.0.10",)


def test_a_mail_exchanger_that_times_out_leaves_the_domain_unresolved(
    fault_collector: DnsCollector,
) -> None:
    obs = fault_collector.observe_one("mail.fault.test", Purpose.MAIL)
    assert obs.status is Status.TIMEOUT and obs.status.unreadable
    assert obs.detail == (
        f"mail exchanger mx-slow.fault.test (MX 10): no answer within 0.4 s {PER_ATTEMPT}"
    )
    slow, ok = obs.mail_exchangers
    assert (slow.exchange, slow.status, slow.addresses) == (
        "mx-slow.fault.test",
        Status.TIMEOUT,
        (),
    )
    assert slow.detail == f"no answer within 0.4 s {PER_ATTEMPT}"
    assert (ok.exchange, ok.status, ok.addresses) == (
        "mx-ok.fault.test",
        Status.RESOLVED,
        ("15.236.0.26",),
    )


def test_a_mail_exchanger_that_is_a_cname_keeps_its_chain(collector: DnsCollector) -> None:
    obs = collector.observe_one("alias.clinic.test", Purpose.MAIL)
    assert obs.status is Status.RESOLVED
    [mx] = obs.mail_exchangers
    assert mx.chain == ("mxalias.clinic.test", "aspmx.l.google.com")
    assert mx.canonical == "aspmx.l.google.com"
    assert mx.addresses == ("198.51.100.27",)


@pytest.mark.parametrize(
    ("domain", "status", "why"),
    [
        ("nomx.clinic.test", Status.NXDOMAIN, "NXDOMAIN: nothere.clinic.test does not exist"),
        ("lamemx.clinic.test", Status.SERVFAIL, "answered SERVFAIL"),
    ],
)
def test_a_mail_exchanger_that_does_not_resolve_is_said(
    collector: DnsCollector, domain: str, status: Status, why: str
) -> None:
    obs = collector.observe_one(domain, Purpose.MAIL)
    assert obs.status is status
    [mx] = obs.mail_exchangers
    assert mx.status is status and mx.detail is not None and why in mx.detail
    assert obs.detail == f"mail exchanger {mx.exchange} (MX 10): {mx.detail}"


def test_a_timeout_reads_the_same_in_every_run(silent_server: int) -> None:
    collector = DnsCollector(make_resolver(["127.0.0.1"], port=silent_server, timeout=0.2))
    # The configured limits, never the measured wait: a finding's message holds this detail and
    # a baseline matches findings by their message. The query's limit is twice the timeout
    # given, which the detail says, else `--timeout 0.2` reads as "no answer within 0.4 s".
    assert collector.observe_one("api.example-health.test", Purpose.HOST).detail == (
        f"no answer within 0.4 s {PER_ATTEMPT}"
    )


def test_observations_name_the_system_s_servers_they_asked(
    dns_server: DnsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --nameserver the file says which servers the system's configuration named."""
    conf = tmp_path / "resolv.conf"
    conf.write_text(f"nameserver {dns_server.host}\n")
    # dnspython's own default path, so the system resolver of this test is unbound.
    monkeypatch.setattr(dns.resolver.Resolver.__init__, "__defaults__", (str(conf), True))
    settings = DnsSettings((), dns_server.port, timeout=1.0)
    observed = resolve(
        [("origin.example-health.test", Purpose.HOST)], settings, kb.default(), observed_on=AS_OF
    )
    assert observed.resolver == f"{dns_server.host}:{dns_server.port}"
    assert observed.names[0].status is Status.RESOLVED

"""How `check` judges what the DNS answered: the country of the addresses (DNS-DRIFT-02), every
address of a name (not the one that sorts last), chains that leave the knowledge base, names
with underscores that `discover dns` writes, and observation files that contradict themselves
or are dated in the future. Real unbound on 127.0.0.1, with the zones of tests/fixtures/dns/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.clock import utc_today
from residency_audit.discover import DnsSettings
from residency_audit.kb import DATA_DIR, KnowledgeBase
from residency_audit.model import Finding
from residency_audit.pipeline import Options, run
from tests.conftest import FIXTURES, in_ci
from tests.support.dns_server import INSTALL_HINT, DnsServer, running_unbound, unbound_path
from tests.test_dns_drift import check_json, line_of, observations, server_args

DEPLOYMENT = FIXTURES / "deployments" / "dns-judging.yaml"
ZONES = FIXTURES / "dns"


@pytest.fixture(scope="module")
def judging_dns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    """unbound serving the test zones plus tests/fixtures/dns/ (fails in CI when missing)."""
    if unbound_path() is None:
        message = f"unbound is not installed: {INSTALL_HINT}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    extra = {
        "judging.test.": ZONES / "judging.test.zone",
        "trafficmanager.net.": ZONES / "trafficmanager.net.zone",
        "ovhcloud.com.": ZONES / "ovhcloud.com.zone",
    }
    with running_unbound(tmp_path_factory.mktemp("dns-judging"), extra_zones=extra) as server:
        yield server


@pytest.fixture(scope="module")
def resolved(judging_dns: DnsServer) -> dict[str, Any]:
    _, report = check_json(CliRunner(), str(DEPLOYMENT), "--resolve", *server_args(judging_dns))
    assert not report["errors"]
    return report


def finding(report: dict[str, Any], rule_id: str, name: str) -> dict[str, Any] | None:
    line = line_of(DEPLOYMENT, f"- {name}")
    found = [
        f for f in report["findings"] if f["rule_id"] == rule_id and f["location"]["line"] == line
    ]
    assert len(found) <= 1
    return found[0] if found else None


def test_a_paris_name_served_from_us_east_1_drifts(resolved: dict[str, Any]) -> None:
    """Declared in eu-west-3, answered with an address of AWS's us-east-1 range: the provider
    is the declared one, the country is not."""
    drift = finding(resolved, "DNS-DRIFT-02", "useast.judging.test")
    assert drift is not None and not drift["unverifiable"] and drift["severity"] == "high"
    assert "declared in FR (region eu-west-3) but DNS shows it served from US" in drift["message"]
    assert "3.80.0.10 in aws us-east-1 (US)" in drift["message"]
    assert finding(resolved, "DNS-DRIFT-01", "useast.judging.test") is None  # aws is aws
    half = finding(resolved, "DNS-DRIFT-02", "halfus.judging.test")
    assert half is not None and not half["unverifiable"]  # one address elsewhere is enough
    assert finding(resolved, "DNS-DRIFT-02", "paris.judging.test") is None
    assert finding(resolved, "DNS-DRIFT-01", "paris.judging.test") is None
    # AMAZON GLOBAL has no region: it places the name in no country
    assert finding(resolved, "DNS-DRIFT-02", "global.judging.test") is None
    assert finding(resolved, "DNS-DRIFT-01", "global.judging.test") is None


def test_a_chain_leaving_the_knowledge_base_cannot_be_verified(resolved: dict[str, Any]) -> None:
    """A Traffic Manager or OVHcloud name on the way does not make the host at the end of
    the chain, which the knowledge base does not know, Azure's or OVHcloud's."""
    for name, target in (
        ("tm.judging.test", "origin.ushost.judging.test"),
        ("leave.judging.test", "edge.imperva.judging.test"),
    ):
        drift = finding(resolved, "DNS-DRIFT-01", name)
        assert drift is not None and drift["unverifiable"], name
        assert (
            f"neither a published range nor the name {target} is recognised" in (drift["message"])
        )
    nowhere = finding(resolved, "DNS-DRIFT-01", "nowhere.judging.test")
    assert nowhere is not None and nowhere["unverifiable"]
    # no range places any of these names: DNS shows no country to compare with the declared one
    for name in ("tm.judging.test", "leave.judging.test", "nowhere.judging.test"):
        assert finding(resolved, "DNS-DRIFT-02", name) is None, name


def test_every_address_counts_whatever_its_order(resolved: dict[str, Any]) -> None:
    """Cloudflare's address sorts first in one name and last in the other: both fail, and
    the message names both providers serving them, the declared one too; an address nobody
    can attribute makes the name unverifiable, never a pass."""
    for name in ("mixed.judging.test", "mixedb.judging.test"):
        drift = finding(resolved, "DNS-DRIFT-01", name)
        assert drift is not None and not drift["unverifiable"], name
        assert "serving: aws, cloudflare;" in drift["message"]
    for name, unknown in (
        ("unk4.judging.test", "192.0.2.99"),
        ("unk6.judging.test", "2001:db8::1"),
    ):
        drift = finding(resolved, "DNS-DRIFT-01", name)
        assert drift is not None and drift["unverifiable"], name
        assert f"no provider known for {unknown}" in drift["message"]


def test_check_reads_the_underscores_discover_writes(
    runner: CliRunner, judging_dns: DnsServer, tmp_path: Path
) -> None:
    seen = tmp_path / "seen.yaml"
    result = runner.invoke(
        app,
        ["discover", "dns", "--from", str(DEPLOYMENT), *server_args(judging_dns), "-o", str(seen)],
    )
    assert result.exit_code == 0, result.stderr
    assert "my_app.judging.test" in seen.read_text() and "mx_1.judging.test" in seen.read_text()
    code, report = check_json(runner, str(DEPLOYMENT), "--dns", str(seen), as_of=utc_today())
    assert code != 2 and not report["errors"]
    assert finding(report, "DNS-DRIFT-01", "under.judging.test") is None  # judged: AWS Paris
    mail = [f for f in report["findings"] if f["rule_id"] == "DNS-MAIL-01"]
    assert [f["message"].split(" is handled by ")[1].split(",")[0] for f in mail] == [
        "mx_1.judging.test"
    ]


def test_mail_reaching_several_providers_fails_on_any_exposed_one(
    runner: CliRunner, judging_dns: DnsServer
) -> None:
    """An exchanger with an OVHcloud address and one of AWS's us-east-1 range hands health-data
    mail to a US-owned provider whichever provider the component declares (OVHcloud sorting
    after AWS, or AWS left out as the declared one); an address nobody attributes hides no
    exposed provider."""
    deployment = FIXTURES / "deployments" / "dns-mail-providers.yaml"
    _, report = check_json(runner, str(deployment), "--resolve", *server_args(judging_dns))
    assert not report["errors"]
    mail = {f["location"]["line"]: f for f in report["findings"] if f["rule_id"] == "DNS-MAIL-01"}
    both = (
        "is handled by mx-mixed.ovhcloud.com, i.e. Amazon Web Services (parent Amazon.com, "
        "Inc., US) for 3.80.0.10; OVHcloud (parent OVH Groupe SA, FR) for 51.210.0.10, in a "
        "service processing health data"
    )
    for name in ("mailaws.judging.test", "mailovh.judging.test"):
        found = mail.get(line_of(deployment, f"- {name}"))
        assert found is not None and not found["unverifiable"], name
        assert f"mail for {name} {both}" in found["message"]
    unknown = mail.get(line_of(deployment, "- mailunk.judging.test"))
    assert unknown is not None and not unknown["unverifiable"]
    assert "no provider known for 192.0.2.99" in unknown["message"]


def test_a_domain_with_a_null_mx_accepts_no_mail_and_is_not_judged(
    runner: CliRunner, judging_dns: DnsServer, tmp_path: Path
) -> None:
    """A null MX (RFC 7505: one MX record, preference 0, exchange ".") says the domain accepts
    no mail: `discover dns` records it as such, and no mail rule judges the domain (no mail
    goes anywhere: not applicable, neither passed nor "cannot be verified"). A null MX beside
    another MX record is no null MX: that other exchanger is judged."""
    deployment = FIXTURES / "deployments" / "dns-null-mx.yaml"
    seen = tmp_path / "seen.yaml"
    result = runner.invoke(
        app,
        ["discover", "dns", "--from", str(deployment), *server_args(judging_dns), "-o", str(seen)],
    )
    assert result.exit_code == 0, result.stderr
    assert "2 name(s)" in result.stderr and "1 null-mx, 1 resolved" in result.stderr
    names = {n["name"]: n for n in yaml.safe_load(seen.read_text())["names"]}
    assert names["nomail.judging.test"]["status"] == "null-mx"
    assert "mail_exchangers" not in names["nomail.judging.test"]
    assert names["halfmail.judging.test"]["status"] == "resolved"
    assert [mx["exchange"] for mx in names["halfmail.judging.test"]["mail_exchangers"]] == [
        "mx_1.judging.test"
    ]
    nomail = line_of(deployment, "- nomail.judging.test")
    halfmail = line_of(deployment, "- halfmail.judging.test")
    for how in (["--dns", str(seen)], ["--resolve", *server_args(judging_dns)]):
        code, report = check_json(runner, str(deployment), *how, as_of=utc_today())
        assert code != 2 and not report["errors"] and not report["partial"], how
        on = {(f["rule_id"], f["location"]["line"]) for f in report["findings"]}
        assert not [rule for rule, line in on if line == nomail], how
        [check] = [
            c
            for c in report["checks"]
            if c["subject"] == "endpoint:web-aws/mail:nomail.judging.test"
        ]
        assert check["rules"] == []
        assert {"DNS-DRIFT-01", "DNS-MAIL-01"} <= set(check["not_applicable"])
        assert ("DNS-MAIL-01", halfmail) in on and ("DNS-DRIFT-01", halfmail) not in on, how


EU_EDGE = """
  - provider: ovhcloud
    suffixes: [cdn.ovhcloud.com]
    source: https://www.ovhcloud.com/
    verified: false
    as_of: 2026-11-29
    note: Hypothetical, for tests/test_dns_judging.py only - an EU-controlled CDN to put first.
"""


def test_every_cdn_edge_on_the_way_is_judged_whichever_comes_first(
    judging_dns: DnsServer, tmp_path: Path
) -> None:
    """An EU-controlled service whose name goes through two CDNs: an EU-controlled edge
    (cdn.ovhcloud.com, made one in this test's knowledge base) does not hide a US-parented one
    after it (Cloudflare), and the message names every edge provider in the order met."""
    data = tmp_path / "kb"
    shutil.copytree(DATA_DIR, data)
    providers = data / "providers.yaml"
    suffixes = "dns_suffixes: [ovh.net, ovh.com, ovhcloud.com]"
    assert suffixes in providers.read_text()
    providers.write_text(
        providers.read_text().replace(suffixes, suffixes[:-1] + ", cdn.ovhcloud.com]")
    )
    with (data / "edges.yaml").open("a") as edges:
        edges.write(EU_EDGE)
    deployment = FIXTURES / "deployments" / "dns-cdn-edges.yaml"
    settings = DnsSettings((judging_dns.host,), judging_dns.port)
    report = run(
        Options(paths=[deployment], as_of=utc_today(), resolve=settings), kb=KnowledgeBase(data)
    )
    assert not report.errors

    def cdn(name: str) -> Finding:
        line = line_of(deployment, f"- {name}")
        [found] = [f for f in report.findings if f.rule_id == "DNS-CDN-01" and f.span.line == line]
        assert not found.unverifiable, found.message
        return found

    first = cdn("ovhfirst.judging.test")  # OVHcloud edge, then a Cloudflare address
    assert (
        "served through the edges of OVHcloud (parent OVH Groupe SA, FR), then Cloudflare "
        "(parent Cloudflare, Inc., US)" in first.message
    )
    last = cdn("ovhlast.judging.test")  # CloudFront, then the OVHcloud edge name
    assert (
        "served through the edges of Amazon Web Services (parent Amazon.com, Inc., US), then "
        "OVHcloud (parent OVH Groupe SA, FR)" in last.message
    )
    facts = {f.path: f.value for f in first.facts}
    assert facts["endpoint.edge.parent.countries"] == ["FR", "US"]


ON_OVH = "{name: origin.example-health.test, purpose: host, status: resolved"
"""The start of an observation of dns-drift.yaml's OVHcloud origin; each case ends it."""


@pytest.mark.parametrize(
    ("rest", "value", "error"),
    [
        (
            ", cnames: [{name: origin.example-health.test, target: vps-1.ovh.net}],"
            " canonical: vps-1.ovh.net}",
            "resolved",
            "status resolved with no addresses",
        ),
        (
            ", cnames: [{name: other.example.test, target: vps-1.ovh.net}],"
            " canonical: vps-1.ovh.net, addresses: [51.210.0.10]}",
            "other.example.test",
            "CNAME owner other.example.test does not continue the chain from "
            "origin.example-health.test",
        ),
        (
            ", cnames: [{name: origin.example-health.test, target: vps-1.ovh.net}],"
            " canonical: d111.cloudfront.net, addresses: [51.210.0.10]}",
            "d111.cloudfront.net",
            "canonical d111.cloudfront.net is not the end of the CNAME chain (vps-1.ovh.net)",
        ),
        (
            ", addresses: [51.210.0.10],"
            " mail_exchangers: [{preference: 10, exchange: mx.ovh.net}]}",
            "[{preference",
            "a host observation has no mail exchangers",
        ),
    ],
)
def test_an_observation_that_contradicts_itself_is_refused_where_it_does(
    runner: CliRunner, tmp_path: Path, rest: str, value: str, error: str
) -> None:
    seen = observations(tmp_path / "obs.yaml", ON_OVH + rest)
    code, report = check_json(
        runner, str(FIXTURES / "deployments" / "dns-drift.yaml"), "--dns", str(seen)
    )
    assert code == 2
    [refused] = report["errors"]
    text = seen.read_text().splitlines()[5]
    assert (refused["path"], refused["line"], refused["column"]) == (
        str(seen),
        6,
        text.index(value) + 1,
    )
    assert error in refused["message"]


MAIL_ON_AZURE = (
    "{name: clinic.test, purpose: mail, status: resolved, mail_exchangers: [{preference: 10,"
    " exchange: clinic-test.mail.protection.outlook.com"
)
"""The start of an observation of dns-drift.yaml's mail domain on Azure; each case ends it."""


@pytest.mark.parametrize(
    ("rest", "value", "error"),
    [
        (  # its domain would have taken its status: judged, it was credited to Azure by name
            ", status: servfail, detail: all nameservers failed}]}",
            "servfail",
            "mail exchanger clinic-test.mail.protection.outlook.com has status servfail, yet "
            "its domain clinic.test is resolved",
        ),
        (  # as files from before exchangers had a status wrote one whose lookup failed
            "}]}",
            "{preference",
            "mail exchanger clinic-test.mail.protection.outlook.com is resolved with no addresses",
        ),
        (
            ", cnames: [{name: other.test, target: mx1.ovh.net}], addresses: [51.210.0.10]}]}",
            "other.test",
            "CNAME owner other.test does not continue the chain from "
            "clinic-test.mail.protection.outlook.com",
        ),
        (
            ", cnames: [{name: clinic-test.mail.protection.outlook.com, target: mx1.ovh.net}],"
            " canonical: mx.example.test, addresses: [51.210.0.10]}]}",
            "mx.example.test",
            "canonical mx.example.test is not the end of the CNAME chain (mx1.ovh.net)",
        ),
        (
            ", status: nxdomain, addresses: [51.210.0.10]}]}",
            "[51.210",
            "mail exchanger clinic-test.mail.protection.outlook.com: status nxdomain says the "
            "DNS gave no records, yet addresses are listed",
        ),
    ],
)
def test_a_mail_exchanger_that_contradicts_itself_is_refused_where_it_does(
    runner: CliRunner, tmp_path: Path, rest: str, value: str, error: str
) -> None:
    """The exchangers' own status and CNAME chain are held to what a name's are: a domain
    whose exchanger failed is not resolved, and no record the DNS never gave is judged."""
    seen = observations(tmp_path / "obs.yaml", MAIL_ON_AZURE + rest)
    code, report = check_json(
        runner, str(FIXTURES / "deployments" / "dns-drift.yaml"), "--dns", str(seen)
    )
    assert code == 2
    [refused] = [e for e in report["errors"] if error in e["message"]]
    text = seen.read_text().splitlines()[5]
    assert (refused["path"], refused["line"], refused["column"]) == (
        str(seen),
        6,
        text.index(value) + 1,
    )


def test_nxdomain_with_addresses_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    seen = observations(
        tmp_path / "obs.yaml",
        "{name: origin.example-health.test, purpose: host, status: nxdomain,"
        " addresses: [51.210.0.10]}",
    )
    code, report = check_json(
        runner, str(FIXTURES / "deployments" / "dns-drift.yaml"), "--dns", str(seen)
    )
    assert code == 2
    assert (
        "status nxdomain says the DNS gave no records, yet addresses are listed"
        in (report["errors"][0]["message"])
    )


def test_observations_dated_after_today_are_refused_whatever_the_as_of_date(
    runner: CliRunner, tmp_path: Path
) -> None:
    seen = observations(tmp_path / "obs.yaml", ON_OVH + ", addresses: [51.210.0.10]}")
    seen.write_text(seen.read_text().replace("observed_on: 2026-11-28", "observed_on: 2999-06-01"))
    result = runner.invoke(
        app,
        [
            "check",
            str(FIXTURES / "deployments" / "dns-drift.yaml"),
            "--dns",
            str(seen),
            "--as-of",
            "2999-06-02",
        ],
    )
    assert result.exit_code == 2
    assert (
        f"{seen}:3:14: error: the names were resolved on 2999-06-01, after today "
        f"({utc_today()}, UTC)"
    ) in result.stderr


def test_a_refused_file_is_not_said_to_be_missing(runner: CliRunner, tmp_path: Path) -> None:
    """The names are not observed because the file given was refused, not because none was."""
    seen = observations(tmp_path / "obs.yaml", ON_OVH + "}")
    deployment = FIXTURES / "deployments" / "dns-drift.yaml"
    code, report = check_json(runner, str(deployment), "--dns", str(seen))
    assert code == 2
    origin = [
        f
        for f in report["findings"]
        if f["rule_id"] == "DNS-DRIFT-01"
        and f["location"]["line"] == line_of(deployment, "- origin.example-health.test")
    ]
    assert len(origin) == 1 and origin[0]["unverifiable"]
    assert "no DNS observations were given" not in origin[0]["message"]
    assert f"the DNS observations given ({seen}) were refused" in origin[0]["message"]


@pytest.mark.parametrize(
    ("entry", "value", "error"),
    [
        (
            "{name: clinic.test, purpose: mail, status: null-mx, mail_exchangers: [{preference:"
            " 10, exchange: mx1.ovh.net, addresses: [51.210.0.10]}]}",
            "[{preference",
            "status null-mx says the null MX (RFC 7505) is the domain's only MX record, yet "
            "mail_exchangers are listed",
        ),
        (
            "{name: origin.example-health.test, purpose: host, status: null-mx}",
            "null-mx",
            "status null-mx is a mail domain's",
        ),
        (
            "{name: clinic.test, purpose: mail, status: resolved, mail_exchangers: [{preference:"
            " 10, exchange: mx1.ovh.net, status: null-mx}]}",
            "null-mx",
            "mail exchanger mx1.ovh.net has status null-mx, a mail domain's",
        ),
    ],
)
def test_a_null_mx_that_is_not_a_mail_domain_s_only_record_is_refused(
    runner: CliRunner, tmp_path: Path, entry: str, value: str, error: str
) -> None:
    """`null-mx` says the domain's only MX record is the null MX: listed exchangers, or a host
    or an exchanger with that status, are records no resolver gave with it."""
    seen = observations(tmp_path / "obs.yaml", entry)
    code, report = check_json(
        runner, str(FIXTURES / "deployments" / "dns-drift.yaml"), "--dns", str(seen)
    )
    assert code == 2
    [refused] = [e for e in report["errors"] if error in e["message"]]
    text = seen.read_text().splitlines()[5]
    assert (refused["line"], refused["column"]) == (6, text.index(value) + 1)


def test_a_null_mx_written_by_hand_is_not_judged_either(runner: CliRunner, tmp_path: Path) -> None:
    """An observation file's `status: null-mx` without a detail: the domain accepts no mail."""
    seen = observations(
        tmp_path / "obs.yaml", "{name: clinic.test, purpose: mail, status: null-mx}"
    )
    deployment = FIXTURES / "deployments" / "dns-drift.yaml"
    code, report = check_json(runner, str(deployment), "--dns", str(seen))
    assert code != 2 and not report["errors"]
    [check] = [c for c in report["checks"] if c["subject"].endswith("/mail:clinic.test")]
    assert check["rules"] == [] and "DNS-DRIFT-01" in check["not_applicable"]

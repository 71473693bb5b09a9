"""`check` with DNS observations: drift, CDN and mail findings on the declaring line; names that
do not resolve cannot be verified; bad names are input errors. Real unbound on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.clock import utc_today
from residency_audit.discover import DnsSettings
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF, FIXTURES
from tests.support.dns_server import DnsServer

DEPLOYMENT = FIXTURES / "deployments" / "dns-drift.yaml"


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def server_args(server: DnsServer) -> list[str]:
    return ["--nameserver", server.host, "--port", str(server.port)]


def check_json(runner: CliRunner, *args: str, as_of: dt.date = AS_OF) -> tuple[int, dict[str, Any]]:
    """`check` in JSON. Names resolved now (--resolve, or `discover dns` in the test) show the
    DNS of today: audit them as of today, since an earlier as-of date is refused."""
    if "--resolve" in args:
        as_of = utc_today()
    result = runner.invoke(app, ["check", *args, "--format", "json", "--as-of", str(as_of)])
    assert result.stdout, result.stderr
    return result.exit_code, json.loads(result.stdout)


def located(report: dict[str, Any], rule_id: str) -> dict[int, dict[str, Any]]:
    return {f["location"]["line"]: f for f in report["findings"] if f["rule_id"] == rule_id}


def test_ovh_declared_endpoint_behind_cloudfront_drifts_on_its_line(
    runner: CliRunner, dns_server: DnsServer
) -> None:
    code, report = check_json(runner, str(DEPLOYMENT), "--resolve", *server_args(dns_server))
    api_line = line_of(DEPLOYMENT, "- api.example-health.test")
    drift = located(report, "DNS-DRIFT-01")[api_line]
    assert not drift["unverifiable"]
    assert "declared on ovhcloud" in drift["message"] and "serving: aws" in drift["message"]
    assert "d111.cloudfront.net is aws by dns-suffix suffix cloudfront.net" in drift["message"]
    cdn = located(report, "DNS-CDN-01")[api_line]
    assert "location indeterminate" in cdn["message"]
    assert "CLOUD Act" in " ".join(r["label"] for r in cdn["references"])
    assert code == 1


def test_declared_provider_that_really_serves_passes(
    runner: CliRunner, dns_server: DnsServer
) -> None:
    _, report = check_json(runner, str(DEPLOYMENT), "--resolve", *server_args(dns_server))
    origin_line = line_of(DEPLOYMENT, "- origin.example-health.test")
    assert origin_line not in located(report, "DNS-DRIFT-01")
    assert origin_line not in located(report, "DNS-CDN-01")


def test_unresolvable_name_cannot_be_verified(runner: CliRunner, dns_server: DnsServer) -> None:
    _, report = check_json(runner, str(DEPLOYMENT), "--resolve", *server_args(dns_server))
    portal = located(report, "DNS-DRIFT-01")[line_of(DEPLOYMENT, "- portal.example-health.test")]
    assert portal["unverifiable"] and portal["severity"] == "high"
    assert portal["message"].startswith("cannot be verified")
    assert "nxdomain" in portal["message"]


def test_health_mail_at_us_providers_is_flagged_per_exchanger(
    runner: CliRunner, dns_server: DnsServer
) -> None:
    _, report = check_json(runner, str(DEPLOYMENT), "--resolve", *server_args(dns_server))
    mail = [f for f in report["findings"] if f["rule_id"] == "DNS-MAIL-01"]
    assert sorted(f["message"].split(" is handled by ")[1].split(",")[0] for f in mail) == [
        "aspmx.l.google.com",
        "clinic-test.mail.protection.outlook.com",
    ]
    assert {f["location"]["line"] for f in mail} == {line_of(DEPLOYMENT, "mail_domains:")}
    # Microsoft 365 was declared for the clinic's mail; Google Workspace was not.
    drift = [
        f
        for f in report["findings"]
        if f["rule_id"] == "DNS-DRIFT-01" and "records.clinic.test" in f["message"]
    ]
    assert len(drift) == 1 and "serving: google-workspace" in drift[0]["message"]


def test_discover_writes_observations_that_check_reads_back(
    runner: CliRunner, dns_server: DnsServer, tmp_path: Path
) -> None:
    observations = tmp_path / "observed.yaml"
    result = runner.invoke(
        app,
        [
            "discover",
            "dns",
            "--from",
            str(DEPLOYMENT),
            *server_args(dns_server),
            "--output",
            str(observations),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert "1 nxdomain" in result.stderr
    code, from_file = check_json(
        runner, str(DEPLOYMENT), "--dns", str(observations), as_of=utc_today()
    )
    assert code != 2 and not from_file["errors"]
    _, resolved = check_json(runner, str(DEPLOYMENT), "--resolve", *server_args(dns_server))

    def key(report: dict[str, Any]) -> list[tuple[str, int, int, bool]]:
        return sorted(
            (f["rule_id"], f["location"]["line"], f["location"]["column"], f["unverifiable"])
            for f in report["findings"]
        )

    assert key(from_file) == key(resolved)
    portal = located(from_file, "DNS-DRIFT-01")[line_of(DEPLOYMENT, "- portal.example-health.test")]
    status = next(x for x in portal["facts"] if x["path"] == "endpoint.status")
    name_line = line_of(observations, "name: portal.example-health.test")
    assert status["source"] == f"{observations}:{name_line}:3"


def test_name_missing_from_the_observations_cannot_be_verified(
    runner: CliRunner, dns_server: DnsServer, tmp_path: Path
) -> None:
    observations = tmp_path / "partial.yaml"
    result = runner.invoke(
        app,
        [
            "discover",
            "dns",
            "origin.example-health.test",
            *server_args(dns_server),
            "-o",
            str(observations),
        ],
    )
    assert result.exit_code == 0, result.stderr
    code, report = check_json(
        runner, str(DEPLOYMENT), "--dns", str(observations), as_of=utc_today()
    )
    assert code != 2 and not report["errors"]
    api = located(report, "DNS-DRIFT-01")[line_of(DEPLOYMENT, "- api.example-health.test")]
    assert api["unverifiable"] and "not-observed" in api["message"]


def test_timeouts_make_the_audit_partial_and_unverifiable() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        settings = DnsSettings(("127.0.0.1",), silent.getsockname()[1], timeout=0.2)
        report = run(Options(paths=[DEPLOYMENT], as_of=utc_today(), resolve=settings))
    assert report.partial and "timeout" in report.partial[0]
    drift = [f for f in report.findings if f.rule_id == "DNS-DRIFT-01"]
    assert len(drift) == 5 and all(f.unverifiable for f in drift)
    assert not [f for f in report.findings if f.rule_id in ("DNS-CDN-01", "DNS-MAIL-01")]


def test_invalid_hostname_in_a_deployment_is_an_input_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        DEPLOYMENT.read_text().replace(
            "- origin.example-health.test", "- origin_server.example-health.test"
        )
    )
    result = runner.invoke(app, ["check", str(bad), "--as-of", str(AS_OF)])
    line = line_of(bad, "origin_server")
    assert result.exit_code == 2
    assert (
        f"{bad}:{line}:9: error: hostname 'origin_server.example-health.test': label "
        "'origin_server' may hold only letters, digits and inner hyphens"
    ) in result.stderr


def test_invalid_hostname_on_the_command_line_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["discover", "dns", "api.example.test", "exa mple.test"])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: discover dns: hostname 'exa mple.test': label 'exa mple'"
    )
    assert "Traceback" not in result.stderr


def test_bad_nameserver_and_missing_names_are_usage_errors(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["discover", "dns", "api.example.test", "--nameserver", "dns.local"]
    )
    assert (
        result.exit_code == 2 and "--nameserver: 'dns.local' is not an IP address" in result.stderr
    )
    result = runner.invoke(app, ["discover", "dns"])
    assert result.exit_code == 2 and "give hostnames" in result.stderr
    result = runner.invoke(app, ["check", str(DEPLOYMENT), "--nameserver", "127.0.0.1"])
    assert result.exit_code == 2 and "add --resolve" in result.stderr


def test_a_file_that_is_not_dns_observations_is_rejected_with_its_position(
    runner: CliRunner, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        "schema_version: 1\nkind: deployment\nobserved_on: 2026-11-28\n"
        "resolver: system\nnames: []\n"
    )
    result = runner.invoke(app, ["check", str(DEPLOYMENT), "--dns", str(wrong)])
    assert result.exit_code == 2
    assert (
        f"{wrong}:2:7: error: kind 'deployment': this is not a DNS observations file"
        in result.stderr
    )


def observations(path: Path, *entries: str) -> Path:
    """A DNS observations file with these `names` entries (YAML flow mappings)."""
    body = "".join(f"  - {entry}\n" for entry in entries)
    path.write_text(
        "schema_version: 1\nkind: dns-observations\nobserved_on: 2026-11-28\n"
        f"resolver: 127.0.0.1:53\nnames:\n{body}"
    )
    return path


ORIGIN_ON_OVH = (
    "{name: origin.example-health.test, purpose: host, status: resolved,"
    " cnames: [{name: origin.example-health.test, target: vps-1.ovh.net}],"
    " canonical: vps-1.ovh.net, addresses: [51.210.0.10]}"
)


def test_a_cname_through_the_declared_provider_to_another_s_addresses_drifts(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The addresses' owner receives the traffic: an OVH name in the chain does not make an
    endpoint served from AWS an OVH one."""
    seen = observations(
        tmp_path / "obs.yaml",
        "{name: origin.example-health.test, purpose: host, status: resolved,"
        " cnames: [{name: origin.example-health.test, target: vps-1.ovh.net}],"
        " canonical: vps-1.ovh.net, addresses: [15.236.0.10]}",
    )
    _, report = check_json(runner, str(DEPLOYMENT), "--dns", str(seen))
    drift = located(report, "DNS-DRIFT-01")[line_of(DEPLOYMENT, "- origin.example-health.test")]
    assert "providers seen: ovhcloud, aws, serving: aws" in drift["message"]


def test_a_name_observed_by_two_files_is_an_input_error(runner: CliRunner, tmp_path: Path) -> None:
    """Which answer counts must not depend on the order of --dns options."""
    first = observations(tmp_path / "a.yaml", ORIGIN_ON_OVH)
    second = observations(
        tmp_path / "b.yaml", "{name: origin.example-health.test, purpose: host, status: timeout}"
    )
    code, report = check_json(runner, str(DEPLOYMENT), "--dns", str(first), "--dns", str(second))
    assert code == 2
    [error] = report["errors"]
    assert (error["path"], error["line"]) == (str(second), 6)
    assert f"also observed at {first}:6:5" in error["message"]


def test_a_failure_of_a_name_nobody_declares_does_not_make_the_audit_partial(
    runner: CliRunner, tmp_path: Path
) -> None:
    """An observation file shared by several deployments holds names of the others."""
    seen = observations(
        tmp_path / "obs.yaml",
        ORIGIN_ON_OVH,
        "{name: other-team.example.org, purpose: host, status: servfail}",
        "{name: portal.example-health.test, purpose: host, status: servfail}",
    )
    _, report = check_json(runner, str(DEPLOYMENT), "--dns", str(seen))
    [partial] = report["partial"]
    assert "portal.example-health.test (servfail)" in partial  # declared: partial
    assert "other-team" not in partial


def test_observations_made_after_the_as_of_date_are_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Names resolved in 2026 cannot show who served them on the day of the Doctolib hearing."""
    seen = observations(tmp_path / "obs.yaml", ORIGIN_ON_OVH)  # observed_on: 2026-11-28
    result = runner.invoke(
        app, ["check", str(DEPLOYMENT), "--dns", str(seen), "--as-of", "2021-03-12"]
    )
    assert result.exit_code == 2
    assert f"{seen}:3:14: error: the names were resolved on 2026-11-28, after the as-of date " in (
        result.stderr
    )
    _, past = check_json(runner, str(DEPLOYMENT), "--dns", str(seen), as_of=dt.date(2021, 3, 12))
    origin = located(past, "DNS-DRIFT-01")[line_of(DEPLOYMENT, "- origin.example-health.test")]
    assert origin["unverifiable"] and "not-observed" in origin["message"]  # not judged on them
    code, _ = check_json(runner, str(DEPLOYMENT), "--dns", str(seen))  # as of 2026-11-28
    assert code != 2


def test_discover_dns_dates_its_observations_by_the_clock_not_source_date_epoch(
    runner: CliRunner, dns_server: DnsServer, tmp_path: Path
) -> None:
    """SOURCE_DATE_EPOCH (set by CI for reproducible reports) must not date today's answers
    to an earlier day, where they would pass as evidence of it."""
    seen = tmp_path / "seen.yaml"
    args = ["discover", "dns", "origin.example-health.test", *server_args(dns_server)]
    result = runner.invoke(
        app,
        [*args, "-o", str(seen)],
        env={"SOURCE_DATE_EPOCH": "1615507200"},  # 2021-03-12
    )
    assert result.exit_code == 0, result.stderr
    assert f"observed_on: '{utc_today()}'" in seen.read_text()


def test_resolving_now_for_a_past_as_of_date_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", str(DEPLOYMENT), "--resolve", "--as-of", "2021-03-12"])
    assert result.exit_code == 2
    assert "--resolve shows what DNS serves today, not on --as-of 2021-03-12" in result.stderr
    past = DnsSettings(("127.0.0.1",), 9, timeout=0.1)
    report = run(Options(paths=[DEPLOYMENT], as_of=dt.date(2021, 3, 12), resolve=past))
    assert any("--resolve resolves names today" in e.message for e in report.errors)

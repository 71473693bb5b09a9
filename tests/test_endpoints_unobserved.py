"""Declared hostnames and mail domains nobody resolved (`check` without `--dns`/`--resolve`, or
names missing from the observations) are endpoint subjects whose provider is unknown: DNS-DRIFT-01
says they cannot be verified and how to observe them, never a silent pass. Real unbound on
127.0.0.1 for the observed cases."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF
from tests.support.dns_server import DnsServer
from tests.test_dns_drift import (
    DEPLOYMENT,
    ORIGIN_ON_OVH,
    check_json,
    line_of,
    located,
    observations,
    server_args,
)

HOSTNAMES = ("origin.example-health.test", "api.example-health.test", "portal.example-health.test")


def facts_of(finding: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {fact["path"]: fact for fact in finding["facts"]}


def test_declared_hostnames_without_observations_cannot_be_verified(runner: CliRunner) -> None:
    code, report = check_json(runner, str(DEPLOYMENT))
    drift = located(report, "DNS-DRIFT-01")
    for name in HOSTNAMES:
        finding = drift[line_of(DEPLOYMENT, f"- {name}")]
        assert finding["unverifiable"] and finding["severity"] == "high"
        assert finding["message"].startswith(f"cannot be verified for endpoint {name} of web")
        assert (
            "not-observed (the name was not resolved: no DNS observations were given"
            in (finding["message"])
        )
        assert (
            f"discover dns --from {DEPLOYMENT} -o dns.yaml` then `check --dns dns.yaml`"
            in (finding["message"])
        )
        assert "`check --resolve`" in finding["message"]
        status = facts_of(finding)["endpoint.status"]
        assert status["value"] == "not-observed"
        assert status["source"].startswith("derived: no DNS observations given")
    assert code == 1  # high findings fail the default gate
    assert report["complete"] is True  # nothing was asked of the DNS, so nothing failed there


def test_declared_mail_domains_without_observations_cannot_be_verified(runner: CliRunner) -> None:
    _, report = check_json(runner, str(DEPLOYMENT))
    mail_line = line_of(DEPLOYMENT, "mail_domains:")
    mail = [
        f
        for f in report["findings"]
        if f["rule_id"] == "DNS-DRIFT-01" and f["location"]["line"] == mail_line
    ]
    assert sorted(f["message"].split(" of clinic-mail")[0] for f in mail) == [
        "cannot be verified for mail domain clinic.test",
        "cannot be verified for mail domain records.clinic.test",
    ]
    assert all(f["unverifiable"] and "no DNS observations were given" in f["message"] for f in mail)
    # What the exchangers are is unknown too, but one finding per name says so: DNS-MAIL-01
    # judges the exchangers of a domain that resolved.
    assert not [f for f in report["findings"] if f["rule_id"] in ("DNS-MAIL-01", "DNS-CDN-01")]


def test_unobserved_names_are_junit_cases_alike_with_one_or_two_workers(
    runner: CliRunner, tmp_path: Path
) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(DEPLOYMENT, batch / "a.yaml")
    (batch / "b.yaml").write_text(
        DEPLOYMENT.read_text().replace("name: example-health-portal", "name: second-portal")
    )
    outputs = []
    for jobs in ("1", "2"):
        args = ["check", str(batch), "-j", jobs, "--format", "junit", "--as-of", str(AS_OF)]
        result = runner.invoke(app, args)
        assert result.exit_code == 1, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    failed = {
        (case.get("classname"), case.get("name", "").split(": ")[0])
        for case in ET.fromstring(outputs[0]).iter("testcase")
        if case.find("failure") is not None
    }
    for deployment in ("example-health-portal", "second-portal"):
        for name in HOSTNAMES:
            assert (f"{deployment}.web", f"DNS-DRIFT-01 endpoint:web/{name}") in failed
        for domain in ("clinic.test", "records.clinic.test"):
            case = f"DNS-DRIFT-01 endpoint:clinic-mail/mail:{domain}"
            assert (f"{deployment}.clinic-mail", case) in failed


def test_observed_names_are_judged_on_what_dns_said(
    runner: CliRunner, dns_server: DnsServer
) -> None:
    """The not-observed finding gives way to the verdict once the name is resolved."""
    api_line = line_of(DEPLOYMENT, "- api.example-health.test")
    _, unobserved = check_json(runner, str(DEPLOYMENT))
    assert located(unobserved, "DNS-DRIFT-01")[api_line]["unverifiable"]
    _, resolved = check_json(runner, str(DEPLOYMENT), "--resolve", *server_args(dns_server))
    drift = located(resolved, "DNS-DRIFT-01")
    assert not drift[api_line]["unverifiable"] and "serving: aws" in drift[api_line]["message"]
    assert line_of(DEPLOYMENT, "- origin.example-health.test") not in drift  # served by OVH
    assert "not-observed" not in " ".join(f["message"] for f in resolved["findings"])


def test_a_name_missing_from_the_observations_says_how_to_observe_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    seen = observations(tmp_path / "obs.yaml", ORIGIN_ON_OVH)
    _, report = check_json(runner, str(DEPLOYMENT), "--dns", str(seen))
    drift = located(report, "DNS-DRIFT-01")
    assert line_of(DEPLOYMENT, "- origin.example-health.test") not in drift  # observed: passes
    api = drift[line_of(DEPLOYMENT, "- api.example-health.test")]
    assert api["unverifiable"] and api["severity"] == "high"
    assert (
        "not-observed (the name was not resolved: missing from the DNS observations"
        in (api["message"])
    )
    assert f"discover dns --from {DEPLOYMENT}" in api["message"]
    assert facts_of(api)["endpoint.status"]["source"] == (
        f"derived: not in the DNS observations ({seen})"
    )

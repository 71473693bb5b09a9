"""`discover dns` and `check` when the DNS answers a name only in part: an AAAA query that fails
while A answers, a timeout that must read the same in every run. Real DNS servers on 127.0.0.1:
tests/support/fault_dns.py."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.clock import utc_today
from residency_audit.discover import DnsSettings
from residency_audit.pipeline import Options, run
from residency_audit.reporters.json import render
from tests.collectors.test_dns import fault_server
from tests.conftest import FIXTURES
from tests.support.dns_server import DnsServer
from tests.test_dns_drift import DEPLOYMENT, check_json, line_of, located, server_args

UNREADABLE = FIXTURES / "deployments" / "dns-unreadable.yaml"


def test_a_name_whose_aaaa_failed_cannot_be_verified_and_the_audit_is_partial(
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
    assert "3 name(s)" in result.stderr and "1 resolved, 1 servfail, 1 timeout" in result.stderr
    text = observations.read_text()
    assert "the AAAA query failed: no answer within 0.4 s; the A query answered 15.236.0.10" in text
    _, report = check_json(runner, str(UNREADABLE), "--dns", str(observations), as_of=utc_today())
    assert not report["errors"] and not report["complete"]
    [partial] = report["partial"]
    for name in ("a6drop.fault.test (timeout)", "a6fail.fault.test (servfail)"):
        assert name in partial
    drift = located(report, "DNS-DRIFT-01")
    for name in ("a6drop.fault.test", "a6fail.fault.test"):
        finding = drift[line_of(UNREADABLE, f"- {name}")]
        assert finding["unverifiable"] and "the AAAA query failed" in finding["message"]
    # The name whose every query answered, in AWS's Paris range, is judged and passes.
    assert line_of(UNREADABLE, "- whole.fault.test") not in drift


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

"""`explain`, `rules ...` and `discover ...` print text from rule packs and DNS answers, which a
stranger may write: no line of it may be one the GitHub Actions runner reads as a workflow
command (an annotation, a masked value, stopped commands), as check's text reports already
ensure (`reporters.common.defused`; tests/test_workflow_commands.py)."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
from typer.testing import CliRunner

from residency_audit.cli import app

COMMAND = re.compile(r"^\s*::|##\[", re.MULTILINE)
PACK = """\
name: acme
title: "::error file=pack.yaml,line=1::pack title"
version: "0.1.0"
"""
RULE = """\
id: ACME-LOG-01
title: "##[error]a rule title"
severity: medium
applies_to: [place]
references:
  - label: GDPR Art. 44
    url: https://eur-lex.europa.eu/eli/reg/2016/679/oj
rationale: |
  Log sinks stay in the EU.
  ::add-mask::rationale
remediation: "##[warning]send the logs to an EU region"
message: "logs of {component.id} go to {location.country}"
when: {field: place.role, eq: log}
require: {field: location.country, in_eu: true}
examples:
  fail:
    - {place: {role: log}, location: {country: "NO"}}
"""
EVIL = "##[error]evil.example."


def commands(text: str) -> list[str]:
    """The lines of `text` the Actions runner would take for workflow commands."""
    return [line for line in text.splitlines() if COMMAND.search(line)]


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A rule pack whose texts are workflow commands, in a directory named like one (every
    line of `rules test` and `rules lint` starts with the rule file's path)."""
    directory = tmp_path / "##[error]pack"
    directory.mkdir()
    (directory / "pack.yaml").write_text(PACK, encoding="utf-8")
    (directory / "ACME-LOG-01.yaml").write_text(RULE, encoding="utf-8")
    return directory


@pytest.mark.parametrize(
    "args",
    [
        ["explain", "ACME-LOG-01"],
        ["rules", "list"],
        ["rules", "test"],
        ["rules", "lint"],
    ],
    ids=["explain", "rules list", "rules test", "rules lint"],
)
def test_rule_pack_text_prints_no_workflow_command(args: list[str], pack: Path) -> None:
    where = [str(pack)] if args[0] == "rules" and args[1] in ("test", "lint") else []
    where = where or ["--rules", str(pack)]
    result = CliRunner().invoke(app, [*args, *where])
    assert result.exit_code in (0, 1), result.output  # lint: no pass example, a warning
    assert commands(result.stdout) == [] and commands(result.stderr) == []
    shown = result.stdout + result.stderr
    assert "##\\[error]" in shown  # still there, with a backslash


def test_explain_shows_the_hostile_lines_with_a_backslash(pack: Path) -> None:
    result = CliRunner().invoke(app, ["explain", "ACME-LOG-01", "--rules", str(pack)])
    assert result.exit_code == 0, result.output
    assert "\\::add-mask::rationale" in result.stdout.splitlines()
    assert "##\\[warning]send the logs to an EU region" in result.stdout


def test_rules_list_json_keeps_every_value_and_prints_no_command(pack: Path) -> None:
    result = CliRunner().invoke(app, ["rules", "list", "--rules", str(pack), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert commands(result.stdout) == []
    [rule] = [r for r in json.loads(result.stdout) if r["id"] == "ACME-LOG-01"]
    assert rule["title"] == "##[error]a rule title"


@pytest.fixture
def hostile_dns() -> Iterator[int]:
    """A DNS server on loopback answering api.example.test with a CNAME to `EVIL`, and
    NXDOMAIN for anything else; yields its port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            reply = dns.message.make_response(query)
            question = query.question[0]
            if question.name.to_text() == "api.example.test.":
                cname = dns.rrset.from_text(question.name, 60, "IN", "CNAME", EVIL)
                reply.answer.append(cname)
            reply.set_rcode(dns.rcode.NOERROR if reply.answer else dns.rcode.NXDOMAIN)
            sock.sendto(reply.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        sock.close()


def test_discover_dns_does_not_print_a_hostile_answer_to_stdout(
    hostile_dns: int, tmp_path: Path
) -> None:
    """The YAML's values cannot take a backslash without changing: refused on stdout (exit 2),
    written as answered with --output."""
    args = ["discover", "dns", "api.example.test", "--nameserver", "127.0.0.1"]
    args += ["--port", str(hostile_dns), "--timeout", "0.5"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert commands(result.stderr) == []
    assert "write it with --output FILE" in result.stderr
    saved = tmp_path / "dns.yaml"
    result = CliRunner().invoke(app, [*args, "--output", str(saved)])
    assert result.exit_code == 0, result.output
    assert commands(result.stderr) == []
    assert EVIL.rstrip(".") in saved.read_text(encoding="utf-8")

"""A transfer tool whose validity turns on a field the deployment leaves out is "cannot be
verified", and the finding names that field of that tool, at its declaration: what the user
has to add, not the derived `transfer.tools` the rule reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from residency_audit.model import Finding
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF, FIXTURES

FIXTURE = FIXTURES / "deployments" / "transfer-scc-2010.yaml"
IN_TRANSITION = dt.date(2022, 6, 1)
"""The 2010 clauses were repealed on 27 Sep 2021; older contracts stood until 27 Dec 2022."""


def findings(tmp_path: Path, text: str, day: dt.date) -> tuple[Path, list[Finding]]:
    path = tmp_path / "transfer.yaml"
    path.write_text(text)
    report = run(Options(paths=[path], as_of=day))
    assert not report.errors, report.errors
    return path, [f for f in report.findings if f.unverifiable]


def undeclared(finding: Finding) -> list[tuple[str, str]]:
    """(what is missing, where) of the facts with no value a finding names."""
    return [(x.path, x.origin) for x in finding.facts if x.value is None]


@pytest.mark.parametrize("missing", ["processing_unchanged", "concluded"])
def test_an_old_scc_contract_names_the_field_it_lacks(tmp_path: Path, missing: str) -> None:
    text = FIXTURE.read_text()
    lines = [line for line in text.splitlines() if f"{missing}:" not in line]
    path, found = findings(tmp_path, "\n".join(lines) + "\n", IN_TRANSITION)
    transfer = next(i for i, line in enumerate(lines, 1) if "- recipient: aws-inc" in line)
    by_rule = {f.rule_id: f for f in found}
    assert {"GDPR-SCC-02", "GDPR-XFER-01"} <= set(by_rule)
    for rule in ("GDPR-SCC-02", "GDPR-XFER-01"):  # the transfer, and the US place it serves
        [(what, where)] = undeclared(by_rule[rule])
        assert what == f"{missing} of the scc-2010 transfer to aws-inc"
        file, line, _ = where.rsplit(":", 2)
        assert file == str(path) and int(line) in (transfer, transfer + 1)  # entry or its tool
    assert f"`{missing}`" in by_rule["GDPR-SCC-02"].message
    assert "on scc-2010" in by_rule["GDPR-SCC-02"].message


def test_a_declared_field_is_not_reported_missing(tmp_path: Path) -> None:
    _, found = findings(tmp_path, FIXTURE.read_text(), IN_TRANSITION)
    # (findings unverifiable for other reasons cite the other fields they lack)
    assert not [x for f in found for x in undeclared(f) if " transfer to " in x[0]]
    assert not {"GDPR-SCC-02", "GDPR-XFER-01"} & {f.rule_id for f in found}


def test_binding_corporate_rules_name_their_missing_approval(tmp_path: Path) -> None:
    text = FIXTURE.read_text().replace("tool: scc-2010", "tool: bcr")
    text = "\n".join(
        line for line in text.splitlines() if "concluded" not in line and "unchanged" not in line
    )
    _, found = findings(tmp_path, text + "\n", AS_OF)
    [xfer] = [f for f in found if f.rule_id == "GDPR-XFER-01"]
    assert [what for what, _ in undeclared(xfer)] == ["approval of the bcr transfer to aws-inc"]


def test_an_old_scc_contract_s_unverifiable_message_reads_as_sentences(tmp_path: Path) -> None:
    """Court-filed reports quote the message: each sentence starts with a capital, and the
    transfer is named by the subject, not again in the requirement."""
    text = FIXTURE.read_text()
    lines = [line for line in text.splitlines() if "concluded:" not in line]
    _, found = findings(tmp_path, "\n".join(lines) + "\n", IN_TRANSITION)
    message = next(f.message for f in found if f.rule_id == "GDPR-SCC-02")
    sentences = message.split(". ")
    assert all(s[0].isupper() or s.startswith("cannot be verified") for s in sentences), message
    required = message[message.index("Required: ") :]
    assert "aws-inc" not in required and "(US)" not in required, message  # named already
    assert sentences[1].startswith("Required: a transfer on scc-2010 holds after the repeal ")

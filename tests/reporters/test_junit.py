"""JUnit XML parses (junitparser, as GitLab and Jenkins read it) with one test case per rule and
subject evaluated, passes included; open findings fail, waived ones are skipped."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from residency_audit.pipeline import Options, run
from residency_audit.reporters import junit
from tests.conftest import AS_OF, FIXTURES, SAMPLES
from tests.support.reports import need
from tests.support.samples import copy_renamed


def parse(text: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    junitparser = need("junitparser", "parses JUnit XML like CI servers do")
    path = tmp_path / "report.xml"
    path.write_text(text, encoding="utf-8")
    return junitparser, junitparser.JUnitXml.fromfile(str(path))


def test_one_case_per_rule_and_subject_with_failures_located(tmp_path: Path) -> None:
    report = run(Options(paths=[SAMPLES / "backup-outside-eea.yaml"], as_of=AS_OF))
    jp, xml = parse(junit.render(report), tmp_path)
    # the rules' cases; the "audit scope" suite says what the verdict rests on (unverified laws)
    cases = [case for suite in xml if suite.name != "audit scope" for case in suite]
    expected = {(rule, c.subject) for c in report.checks for rule in c.rules}
    assert {(c.name.split()[0], c.name.split()[1].rstrip(":")) for c in cases} == expected
    assert len(cases) == len(expected)
    failed = {tuple(c.name.split()[:2]): c for c in cases if not c.is_passed}
    assert set(failed) == {(f.rule_id, f"{f.subject}:") for f in report.findings}
    passed = [c for c in cases if c.is_passed]
    assert passed, "rules that held are test cases too"
    # the primary store in Paris passes; its copy in the United States fails
    assert ("HDS-LOC-01", "place:records-db:") in {tuple(c.name.split()[:2]) for c in passed}
    copy = failed["HDS-LOC-01", "place:records-db/snapshot-copy@us-east-1:"]
    assert copy.classname == "clinique-exemple-records.records-db"
    failure = next(r for r in copy.result if isinstance(r, jp.Failure))
    line = next(f.span.line for f in report.findings if f.rule_id == "HDS-LOC-01")
    assert f"backup-outside-eea.yaml:{line}:" in failure.message
    assert "outside the EEA" in failure.message
    assert failure.type == "high"
    scope = [case for suite in xml if suite.name == "audit scope" for case in suite]
    assert xml.failures == len(failed) and xml.tests == len(cases) + len(scope)


def test_waived_finding_is_skipped_with_its_reason(tmp_path: Path) -> None:
    report = run(
        Options(
            paths=[SAMPLES / "backup-outside-eea.yaml"],
            as_of=AS_OF,
            waivers=FIXTURES / "waivers" / "backup-tia.yaml",
        )
    )
    jp, xml = parse(junit.render(report), tmp_path)
    case = next(
        c
        for s in xml
        for c in s
        if c.name.startswith("GDPR-XFER-01 place:records-db/snapshot-copy@us-east-1")
    )
    skipped = [r for r in case.result if isinstance(r, jp.Skipped)]
    assert skipped and "dpo@example.org" in skipped[0].message


def test_input_errors_are_error_cases(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    report = run(Options(paths=[broken], as_of=AS_OF))
    _, xml = parse(junit.render(report), tmp_path)
    assert xml.errors == 1


def test_each_deployment_makes_one_suite_even_when_the_batch_is_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xml.etree.ElementTree as ET

    from residency_audit import spool

    names = ("sovereign-hospital", "backup-outside-eea", "doctolib-2021")
    for i, name in enumerate(names):  # the backup deployment twice: prod and staging, renamed
        (tmp_path / f"{i}.yaml").write_bytes((SAMPLES / f"{name}.yaml").read_bytes())
    copy_renamed(SAMPLES / f"{names[1]}.yaml", tmp_path / "3-staging.yaml", "staging")
    monkeypatch.setattr(spool, "KEEP_IN_MEMORY", 10)  # every file's results on disk
    report = run(Options(paths=[tmp_path], as_of=AS_OF, jobs=1))
    root = ET.fromstring(junit.render(report))
    deployments = list(dict.fromkeys(c.deployment for c in report.checks))
    suites = [s.get("name") for s in root]
    assert suites == [*deployments, "audit scope"]  # in order of first appearance; then scope
    backup = next(s for s in root if s.get("name") == "clinique-exemple-records")
    cases = {
        (rule, c.subject)
        for c in report.checks
        if c.deployment == backup.get("name")
        for rule in c.rules
    }
    assert int(backup.get("tests", "0")) == len(backup) == len(cases)  # staging's not in it
    assert int(root.get("tests", "0")) == sum(len(s) for s in root)
    assert int(root.get("failures", "0")) == sum(int(s.get("failures", "0")) for s in root) > 0


def test_what_the_verdict_rests_on_is_a_suite_of_its_own(tmp_path: Path) -> None:
    """A partial audit fails the run (as the exit code does); stale or unverified knowledge is
    a skipped case, visible in a view that shows only tests."""
    report = run(Options(paths=[SAMPLES / "backup-outside-eea.yaml"], as_of=AS_OF))
    report = dataclasses.replace(
        report,
        partial=("observed.yaml: rds DescribeDBInstances in eu-west-3 not observed",),
        stale_knowledge=("laws/us-cloud-act",),
        unverified_knowledge=("regions/aws",),
    )
    jp, xml = parse(junit.render(report), tmp_path)
    [scope] = [s for s in xml if s.name == "audit scope"]
    outcomes = {c.name: type(c.result[0]) for c in scope}
    assert outcomes == {
        "observed: observed.yaml: rds DescribeDBInstances in eu-west-3 not observed": jp.Failure,
        "knowledge checked within six months": jp.Skipped,
        "knowledge verified": jp.Skipped,
    }
    skipped = {c.name: c.result[0].message for c in scope if c.name.startswith("knowledge")}
    assert skipped["knowledge verified"] == "unverified, relied on: regions/aws"
    assert (scope.tests, scope.failures, scope.skipped) == (3, 1, 2)


def test_each_party_is_a_case_of_its_own(tmp_path: Path) -> None:
    """A CI view shows which sub-processor is missing from the list, and that host-a is not:
    the parties' findings are not merged into one case of the deployment. The controller is
    no case: the rule is about the parties it engages, and a passed case would say the
    clinic is on its own processor list."""
    deploy = FIXTURES / "deployments" / "processor-list-partial.yaml"
    report = run(Options(paths=[deploy], as_of=AS_OF))
    jp, xml = parse(junit.render(report), tmp_path)
    cases = {c.name.split(":", 2)[1].strip(): c for s in xml for c in s if "GDPR-28-01" in c.name}
    assert set(cases) == {"host-a", "host-b", "host-c"}
    assert cases["host-a"].is_passed
    for host in ("host-b", "host-c"):
        [failure] = [r for r in cases[host].result if isinstance(r, jp.Failure)]
        assert failure.message.split(": ", 1)[1].startswith(f"{host} (sub-processor)")
        assert host in failure.text and ({"host-b", "host-c"} - {host}).pop() not in failure.text
        assert cases[host].classname == "lab-records.party"


def test_characters_xml_cannot_hold_are_replaced_visibly() -> None:
    """QA: a finding message with U+FFFF (from a hand-edited saved result) gave JUnit XML that
    did not parse, so a CI server dropped the whole report. Whatever a report holds, the XML
    parses, and what could not be written shows as U+FFFD."""
    import xml.etree.ElementTree as ET

    report = run(Options(paths=[SAMPLES / "backup-outside-eea.yaml"], as_of=AS_OF))
    odd = "\uffff\ufffe\x01\x1b\ud800"
    first = dataclasses.replace(
        report.findings[0],
        message=f"edited {odd} here",
        remediation=f"move {odd}",
        component=f"db{odd}",
    )
    text = junit.render(dataclasses.replace(report, findings=(first, *report.findings[1:])))
    root = ET.fromstring(text.encode("utf-8"))  # expat: refuses what XML 1.0 cannot hold
    shown = "\ufffd" * len(odd)
    failure = next(e for e in root.iter("failure") if "edited" in e.get("message", ""))
    assert f"edited {shown} here" in failure.get("message", "")
    assert f"remediation: move {shown}" in (failure.text or "")
    assert any(c.get("classname", "").endswith(f".db{shown}") for c in root.iter("testcase"))


def _check_junit(tmp_path: Path, *args: str) -> tuple[int, Path]:
    from typer.testing import CliRunner

    from residency_audit.cli import app

    out = tmp_path / "ra.xml"
    result = CliRunner().invoke(
        app, ["check", *args, "--as-of", str(AS_OF), "--format", "junit", "--output", str(out)]
    )
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, out


@pytest.mark.parametrize(
    ("sample", "fail_on", "severity"),
    [("sovereign-hospital", "high", "low"), ("backup-outside-eea", "never", "critical")],
)
def test_findings_below_fail_on_are_skipped_not_failed(
    tmp_path: Path, sample: str, fail_on: str, severity: str
) -> None:
    """A run that exits 0 must not give Jenkins a failure (it marks the build UNSTABLE): the
    findings below --fail-on are skipped cases saying so, with their details."""
    code, out = _check_junit(tmp_path, str(SAMPLES / f"{sample}.yaml"), "--fail-on", fail_on)
    assert code == 0
    jp, xml = parse(out.read_text(encoding="utf-8"), tmp_path)
    assert xml.failures == 0
    below = "--fail-on never" if fail_on == "never" else f"below --fail-on {fail_on}"
    skipped = [r for s in xml for c in s for r in c.result if isinstance(r, jp.Skipped)]
    shown = [r for r in skipped if r.message.startswith(below)]
    assert any(r.message.startswith(f"{below}: {severity}: ") for r in shown)
    assert all(r.text and "remediation:" in r.text for r in shown)


def test_findings_at_or_above_fail_on_still_fail(tmp_path: Path) -> None:
    sample = str(SAMPLES / "backup-outside-eea.yaml")
    code, out = _check_junit(tmp_path, sample, "--fail-on", "high")
    jp, xml = parse(out.read_text(encoding="utf-8"), tmp_path)
    failures = [r for s in xml for c in s for r in c.result if isinstance(r, jp.Failure)]
    assert code == 1 and failures
    assert {r.type for r in failures} <= {"high", "critical"}
    assert xml.failures == len(failures)


def test_input_error_cases_are_named_by_line_and_column(tmp_path: Path) -> None:
    """GitLab and Jenkins merge cases of one name: five errors in a file are five cases."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema_version: 1\nname: x\nfoo: 1\nbar: 2\n", encoding="utf-8")
    report = run(Options(paths=[broken], as_of=AS_OF))
    assert len(report.errors) > 1
    _, xml = parse(junit.render(report), tmp_path)
    names = [c.name for s in xml if s.name == "input errors" for c in s]
    assert len(names) == len(set(names)) == len(report.errors)
    first = report.errors[0]
    assert names[0] == f"load {first.span}: {first.message}"
    import xml.etree.ElementTree as ET

    [suite] = [s for s in ET.fromstring(junit.render(report)) if s.get("name") == "input errors"]
    counts = {k: suite.get(k) for k in ("tests", "errors", "failures", "skipped")}
    n = str(len(names))
    assert counts == {"tests": n, "errors": n, "failures": "0", "skipped": "0"}


def test_a_partial_audit_is_no_failure_with_fail_on_never(tmp_path: Path) -> None:
    """`--fail-on never` exits 0 on a partial audit: its scope case is skipped, not failed."""
    from tests.support.reports import invocation

    report = run(Options(paths=[SAMPLES / "backup-outside-eea.yaml"], as_of=AS_OF))
    report = dataclasses.replace(
        report,
        partial=("observed.yaml: rds DescribeDBInstances in eu-west-3 not observed",),
        invocation=invocation(fail_on=None),
    )
    assert report.exit_code(None) == 0
    jp, xml = parse(junit.render(report), tmp_path)
    [scope] = [s for s in xml if s.name == "audit scope"]
    assert xml.failures == 0 and scope.failures == 0
    [partial] = [c for c in scope if c.name.startswith("observed: ")]
    assert isinstance(partial.result[0], jp.Skipped)
    assert partial.result[0].message.startswith("--fail-on never: partial audit: ")

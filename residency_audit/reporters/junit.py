"""JUnit XML for GitLab, Jenkins and other CI test-report views.

One test suite per deployment, one test case per rule and subject it applied to, passes
included, so the findings of two parties (or transfers, access paths, copies) of a deployment
are two cases, named by rule and subject id (`GDPR-28-01 party:host-a: ...`, the id a waiver
target names); a result saved before findings named their subject has one case per rule and
component. An open finding at or above the run's `--fail-on` is a `<failure>` (message,
severity, file:line:col, references; one that cannot be verified says so in its message and
details); one below it (every one with `--fail-on never`) is `<skipped>` with the message
`below --fail-on high: ...` and the same details, and a waived or baselined one is `<skipped>`
with the reason, so the view matches the exit code: Jenkins marks a build UNSTABLE for any
failure, and a run that exits 0 must not read as failed. Skipped rather than passed: a finding
below the gate is still a finding a reviewer should see, and a passed case reads as "checked and
fine". A report without an invocation (no `--fail-on` known) fails every open finding. An "audit
scope" suite fails for a partial audit (skips it with `--fail-on never`, which does not fail on
it) and skips for stale or unverified knowledge. The findings about waivers
(WAIVER-EXP-01, WAIVER-MATCH-01...) are located in the waiver file and go in a suite of that
file, `waivers PATH`: the deployment a waiver names may be none of the run. Built with
ElementTree (escaping is its job), without timestamps, so the same result gives the same bytes;
what a CI log would read as a workflow command (`##[`, a line starting with `::`) is written with
a character reference (`common.defused_xml`), the same text to an XML reader.

A rule that did not apply to a subject (its `when` did not hold: DRIFT-SHARE-02, "not shared
with another account", on a public store) is no case at all. Shown as passed it would read as
"checked and fine". Nor is it `<skipped>`: GitLab's test report and merge-request widget, the
Jenkins JUnit plugin (yellow in its trend) and GitHub's JUnit actions show skips as a status of
their own that asks for a look, some pipelines warn on or refuse any skip, and here a skip is an
accepted risk (waived or baselined) a reviewer must see; rules that do not apply outnumber those
that do, and would bury them and double the cases (GitLab caps a report's size and test cases).
JUnit has no "not applicable" outcome; which rules did not apply to which subject is in the
JSON result (`checks[].not_applicable`). A result saved before it said so shows every rule of a
subject's kind as a case, as it did then.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, TextIO, TypeVar

from residency_audit.model import Check, Finding, Report, Severity, Status
from residency_audit.reporters.common import defused_xml, later_prose_note, waiver_files
from residency_audit.spool import Spool

T = TypeVar("T", Finding, Check)

Case = tuple[str, str | None, str | None, str]
"""(deployment, component, subject, rule id)."""

DEPLOYMENT, WAIVERS = "deployment", "waivers"
Suite = tuple[str, str]
"""(DEPLOYMENT, deployment name) or (WAIVERS, path of the waiver file)."""


def render(report: Report) -> str:
    out = io.StringIO()
    write(report, out)
    return out.getvalue()


def write(report: Report, out: TextIO) -> None:
    """The XML, a deployment's suite at a time: a batch's findings and checks may be on disk
    (`residency_audit.spool`), and a tree of them all would need gigabytes. Suites go first to
    a temporary file, since the root's totals come before them."""
    titles = {r.id: r.title for r in report.rules}
    files = {i.deployment: i.path for i in report.inputs if i.deployment}
    waivers = waiver_files(report)
    gate = _gate(report)

    def suite_of(f: Finding) -> Suite:
        return (WAIVERS, f.span.path) if f.span.path in waivers else (DEPLOYMENT, f.deployment)

    # Deployments in order of first appearance, their checks' cases first, then their
    # findings'; with the runs that hold them (normally one file's, and the waivers' lapses).
    # The findings about a waiver (WAIVER-EXP-01, WAIVER-MATCH-01...) are located in its file,
    # and go in a suite of that file: the deployment they name may be no deployment of the
    # run (a misspelt target), and a suite of its own would count it as one.
    where: dict[Suite, tuple[list[int], list[int]]] = {}
    for position, check_run in enumerate(_runs(report.checks)):
        for deployment in dict.fromkeys(c.deployment for c in check_run):
            where.setdefault((DEPLOYMENT, deployment), ([], []))[0].append(position)
    for position, finding_run in enumerate(_runs(report.findings)):
        for suite in dict.fromkeys(suite_of(f) for f in finding_run):
            where.setdefault(suite, ([], []))[1].append(position)
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    with tempfile.SpooledTemporaryFile(max_size=1 << 23, mode="w+", encoding="utf-8") as body:
        for (kind, deployment), (check_runs, finding_runs) in where.items():
            found: dict[Case, list[Finding]] = {}
            for position in finding_runs:
                for f in _run_at(report.findings, position):
                    if suite_of(f) == (kind, deployment):
                        case = (f.deployment, f.component, f.subject, f.rule_id)
                        found.setdefault(case, []).append(f)
            if kind == WAIVERS:  # `deployment` is the waiver file's path
                _put(body, _suite(f"waivers {deployment}", found, found, titles, {}, gate), totals)
                continue
            # A component's cases together, components in order of first appearance: the
            # order of a saved result's checks (`reporters.json`), so `report` re-renders the
            # very XML `check` wrote.
            by_component: dict[str | None, list[Case]] = {}
            for position in check_runs:
                for c in _run_at(report.checks, position):
                    if c.deployment == deployment:
                        by_component.setdefault(c.component, []).extend(
                            (c.deployment, c.component, c.subject, rule) for rule in c.rules
                        )
            checked = [case for group in by_component.values() for case in group]
            cases = dict.fromkeys([*checked, *found])
            _put(body, _suite(deployment, cases, found, titles, files, gate), totals)
        if report.errors:
            _put(body, _errors(report), totals)
        if (
            report.partial
            or report.stale_knowledge
            or report.unverified_knowledge
            or later_prose_note(report) is not None
        ):
            _put(body, _scope(report, gate), totals)
        root = ET.Element("testsuites", name="residency-audit")
        for key, value in totals.items():
            root.set(key, str(value))
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        if not body.tell():  # no suite: an empty element, as ElementTree writes it
            out.write(ET.tostring(root, encoding="unicode") + "\n")
            return
        root.text = _BODY
        head, tail = ET.tostring(root, encoding="unicode").split(_BODY)
        out.write(head)
        body.seek(0)
        shutil.copyfileobj(body, out)
        out.write("\n" + tail + "\n")


_BODY = "\x00suites\x00"
"""Where the suites go in the root element's text (a NUL cannot be in XML text)."""


def _gate(report: Report) -> Severity | None:
    """The run's `--fail-on` (None: never); a report without an invocation, whose gate is
    unknown, fails every open finding, as reports did before they kept it."""
    return report.invocation.fail_on if report.invocation is not None else Severity.INFO


def _fails(f: Finding, threshold: Severity | None) -> bool:
    """Whether the open finding `f` fails the run's gate, as `Report.fails` counts it."""
    return threshold is not None and f.severity >= threshold


def _below(threshold: Severity | None) -> str:
    return f"below --fail-on {threshold.label}" if threshold is not None else "--fail-on never"


def _put(body: IO[str], suite: ET.Element, totals: dict[str, int]) -> None:
    """Write a suite as `ET.indent` places it under the root, and add it to the totals."""
    for key in totals:
        totals[key] += int(suite.get(key, "0"))
    ET.indent(suite, level=1)
    text = XML_INVALID.sub("\ufffd", ET.tostring(suite, encoding="unicode"))
    body.write("\n  " + defused_xml(text))  # printed to a CI log too (`check -f junit`)


XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""What XML 1.0 cannot hold, not even as a character reference (`&#xFFFF;` is ill-formed
too): control characters but tab and line breaks, lone surrogates, U+FFFE and U+FFFF.
ElementTree writes them as they are, and a CI view would then reject the whole report. The
loader and the saved-result reader (`results`, with this very pattern) refuse them, but the
XML must parse whatever report it is given, so each is shown as U+FFFD, the replacement
character: something was there."""


def _suite(
    deployment: str,
    cases: Iterable[Case],
    found: dict[Case, list[Finding]],
    titles: dict[str, str],
    files: dict[str, str],
    gate: Severity | None,
) -> ET.Element:
    suite = ET.Element("testsuite", name=deployment)
    counts = {"tests": 0, "failures": 0, "skipped": 0}
    for case in cases:
        outcome = _case(suite, case, found.get(case, []), titles, files, gate)
        counts["tests"] += 1
        if outcome != "passed":
            counts[outcome] += 1
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("errors", "0")
    return suite


def _errors(report: Report) -> ET.Element:
    errors = ET.Element("testsuite", name="input errors")
    for e in report.errors:
        loaded = ET.SubElement(
            errors,
            "testcase",
            # Place and message in the name: GitLab and Jenkins merge cases of one name
            name=f"load {e.span}: {e.message}",
            classname="residency-audit.inputs",
            file=e.span.path,
        )
        ET.SubElement(loaded, "error", message=e.message, type="input-error").text = str(e)
    errors.set("tests", str(len(report.errors)))
    errors.set("failures", "0")  # every suite gives all four counts, as the others do
    errors.set("skipped", "0")
    errors.set("errors", str(len(report.errors)))
    return errors


def _scope(report: Report, gate: Severity | None) -> ET.Element:
    """What the verdict rests on, for a view that shows only tests: each reason the audit is
    partial is a failure (it fails the run, as the exit code does; skipped with `--fail-on
    never`, which does not); stale or unverified knowledge is a skipped check (it does not)."""
    suite = ET.Element("testsuite", name="audit scope")
    partial_fails = gate is not None
    for why in report.partial:
        case = ET.SubElement(
            suite, "testcase", name=f"observed: {why}", classname="residency-audit.scope"
        )
        if partial_fails:
            ET.SubElement(case, "failure", message=f"partial audit: {why}", type="partial")
        else:
            ET.SubElement(case, "skipped", message=f"--fail-on never: partial audit: {why}")
    knowledge = (
        ("knowledge checked within six months", report.stale_knowledge, "stale: "),
        ("knowledge verified", report.unverified_knowledge, "unverified, relied on: "),
    )
    for name, entries, said in knowledge:
        if entries:
            case = ET.SubElement(suite, "testcase", name=name, classname="residency-audit.scope")
            ET.SubElement(case, "skipped", message=said + ", ".join(entries))
    later = later_prose_note(report)
    if later is not None:  # failures carry the rules' remediation
        case = ET.SubElement(
            suite,
            "testcase",
            name="rule prose of the audit date",
            classname="residency-audit.scope",
        )
        ET.SubElement(case, "skipped", message=later)
    cases = len(suite)
    failures = len(report.partial) if partial_fails else 0
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("skipped", str(cases - failures))
    suite.set("errors", "0")
    return suite


def _runs(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """A report's findings or checks run by run: a spool's runs, or a tuple as one run."""
    if isinstance(items, Spool):
        yield from items.runs()
    elif items:
        yield items


def _run_at(items: Sequence[T], position: int) -> Sequence[T]:
    return items.run_at(position) if isinstance(items, Spool) else items


def _case(
    suite: ET.Element,
    case: Case,
    found: list[Finding],
    titles: dict[str, str],
    files: dict[str, str],
    gate: Severity | None,
) -> str:
    deployment, component, subject, rule_id = case
    title = titles.get(rule_id) or (found[0].title if found else rule_id)
    # Classes are components, or for a subject of none its kind (party, transfer, access...).
    kind = subject.partition(":")[0] if subject else "deployment"
    element = ET.SubElement(
        suite,
        "testcase",
        name=f"{rule_id} {subject or component or deployment}: {title}",
        classname=f"{deployment}.{component or kind}",
    )
    path = found[0].span.path if found else files.get(deployment)
    if path:
        element.set("file", path)
    if found:
        element.set("line", str(found[0].span.line))
    open_ = [f for f in found if f.status is Status.OPEN]
    failing = [f for f in open_ if _fails(f, gate)]
    if failing:
        first = failing[0]
        # Said by the flag, whatever the rule's message says: a view shows this line first.
        undecided = " (cannot be verified)" if first.unverifiable else ""
        failure = ET.SubElement(
            element,
            "failure",
            message=f"{first.span}: {first.message}{undecided}",
            type=first.severity.label,
        )
        failure.text = "\n\n".join(_details(f) for f in open_)
        return "failures"
    if open_:  # open, but below the gate: shown, not failed (the run exits 0 for them)
        first = open_[0]
        undecided = " (cannot be verified)" if first.unverifiable else ""
        skipped = ET.SubElement(
            element,
            "skipped",
            message=f"{_below(gate)}: {first.severity.label}: {first.span}: "
            f"{first.message}{undecided}",
        )
        skipped.text = "\n\n".join(_details(f) for f in open_)
        return "skipped"
    if found:
        ET.SubElement(element, "skipped", message="; ".join(_skip_reason(f) for f in found))
        return "skipped"
    return "passed"


def _details(f: Finding) -> str:
    lines = [f"{f.span}: {f.severity.label} {f.rule_id} {f.message}"]
    if f.unverifiable:
        lines.append("(cannot be verified: a fact is missing or unknown)")
    lines += [f"reference: {r.label} <{r.url}>" for r in f.references]
    lines.append(f"remediation: {' '.join(f.remediation.split())}")
    return "\n".join(lines)


def _skip_reason(f: Finding) -> str:
    if f.status is Status.WAIVED and f.waiver is not None:
        return (
            f"waived until {f.waiver.expires.isoformat()} by {f.waiver.approved_by}: "
            f"{f.waiver.justification}"
        )
    return f"{f.status.value}: {f.message}"

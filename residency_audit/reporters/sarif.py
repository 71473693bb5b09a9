"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps).

One result per finding, pointing at the YAML line that declared the component or copy; rules carry
their rationale, remediation and legal references (`helpUri`: the primary one), one descriptor
per severity their findings can have (`SECURITY_SEVERITY` says why). Fingerprints hash the file's
URI, deployment, component, subject, rule and message, never the line, so an alert survives
unrelated edits, and two subjects alike in words (two copies, two transfers) keep two alerts;
`primaryLocationLineHash`, which GitHub reads, has the same value.
Waived findings are `suppressions`; with a baseline, `baselineState` says whether the baseline
holds the finding ("unchanged", waived there or now included) or not ("new"); results the
baseline holds that are gone ("absent") are not written. NOTE: GitHub code scanning reads
neither: its "SARIF support for code scanning" (github/docs, sarif-support.md) lists the result
properties it uses and ignores the rest, so waived and baselined findings are open alerts there
(README, GitHub Actions, says what that means for a gate).
A finding that cannot be verified says so in its message and `properties.unverifiable`; its
`kind` stays "fail" (SARIF's "open" would force level "none", and such a finding fails the run).
The exit code and command line go in the invocation, with a notification per input error and per
reason the audit is PARTIAL, both at level "error" (the results are not complete); inputs are
artifacts with their SHA-256, and the rule packs, knowledge files and risk model are in the run's
properties with theirs, beside the as-of date and the settings that change findings
(`parameters`). No string of the log holds `##[` (see `common.defused_json`)."""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache, partial
from pathlib import PurePosixPath
from typing import Any, TextIO
from urllib.parse import quote

import orjson

from residency_audit.model import Diagnostic, Finding, Report, RuleInfo, Severity, Status
from residency_audit.reporters import NotByRun, put
from residency_audit.reporters.common import (
    defused_json,
    defused_json_chunk,
    later_prose_note,
    timestamp,
)
from residency_audit.reporters.jsonitems import indented, indented_run
from residency_audit.reporters.jsontext import dumps
from residency_audit.spool import Spool

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
"""The base of relative artifact URIs: the directory the audit ran in (a repository's root in
CI, where code scanning maps results to files)."""
PINNED_SARIF = "taken from SOURCE_DATE_EPOCH: not the time of generation"
"""What `invocations[0].properties.fixedTimestamp` is, beside it (`common.PINNED` without the
Markdown code span)."""
SRCROOT_TEXT = (
    "The directory residency-audit ran in: URIs are relative to it, and code scanning reads "
    "them as relative to the repository's root, so run the audit from there."
)


@lru_cache(maxsize=4096)
def artifact_location(path: str) -> dict[str, str]:
    """A file as SARIF wants it: a percent-encoded URI relative to %SRCROOT% (the working
    directory) when the file is below it, else an absolute `file:` URI. Code scanning cannot map
    an absolute path or a `../` under a base id, nor an unencoded space, to a file."""
    if os.sep != "/":
        path = path.replace(os.sep, "/")
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts:
        absolute = os.path.abspath(path)
        inside = os.path.relpath(absolute, os.getcwd()).replace(os.sep, "/")
        if inside.startswith("../") or inside == ".." or os.path.isabs(inside):
            return {"uri": PurePosixPath(absolute.replace(os.sep, "/")).as_uri()}
        relative = PurePosixPath(inside)
    return {"uri": quote(relative.as_posix(), safe="/"), "uriBaseId": SRCROOT}


FINGERPRINT_KEY = "residencyAudit/v3"
"""v1 hashed no subject, so a new copy's alert folded into an old copy's alike in words; v2
hashed the path as typed, so `check deploy/`, `check $PWD/deploy/` and `check ./deploy/a.yaml`
gave one file three fingerprints; v3 hashes its URI. The key changes with the hash, so that
consumers do not compare two kinds of hash."""
LINE_HASH = "primaryLocationLineHash"
"""The only partial fingerprint GitHub code scanning reads ("Code scanning only uses the
`primaryLocationLineHash`": docs.github.com, SARIF support for code scanning, `result` object).
Left out, `upload-sarif` fills it from the text of the result's line (codeql-action
src/fingerprints.ts: a rolling hash of the line, `hash:count`), so an alert would follow the
line's words, not the finding. A value the file already has is kept as it is: the action only
warns when its own differs ("found existing inconsistent fingerprint value"), so ours, the
`FINGERPRINT_KEY` value, holds across line moves. GitHub documents no format for it; it is
compared, not parsed, as far as its docs and that code say (the action's own is not hex only)."""
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
"""GitHub's bands: >9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.

NOTE: GitHub reads `security-severity` on the rule (`reportingDescriptor.properties`) only:
its "SARIF support for code scanning" page lists no such property for a `result`, and says
the fields it does not list are ignored; a result's `level` is what non-security alerts show
(GitHub changelog 2021-07-19: security alerts show `security-severity`). A finding's severity
can differ from its rule's (raised for Art. 9 data, or the rule's `unverifiable_severity`), so
each severity a rule's findings can have gets its own descriptor (`descriptor_id`): the rule's
id for its own severity, `id/severity` for the others (a descriptor's `id` must be unique, says
that page). The descriptors come from the rules, not
from the findings present, as that page asks of rules ("should change infrequently"), and so
that a batch's workers can write results before the run's findings are all known. An alert is
the same alert while its finding keeps its severity; one whose severity changes (its data
declared special-category) is a new alert under the other id, and the old one is closed."""
MAX_TEXT = 1024
"""GitHub's limit for short and full descriptions."""


def render(report: Report) -> str:
    out = io.StringIO()
    write(report, out)
    return out.getvalue()


def write(report: Report, out: TextIO) -> None:
    """`json.dumps(to_sarif(report), indent=2)` and a newline, the results written a file's
    findings at a time (a batch's SARIF is as large as its JSON result), or as the batch's
    workers wrote them."""
    index: Index = {}
    head = dumps(_skeleton(report, index))
    before, after = head.split('\n      "results": []', 1)
    out.write(defused_json(before) + '\n      "results": [')
    separator = ""
    write_run = partial(_results, index, _has_baseline(report))
    findings = report.findings
    if isinstance(findings, Spool) and findings.as_texts:
        texts: Iterable[str | bytes] = findings.texts("sarif", write_run)
    else:
        texts = (write_run([f]) for f in findings)
    for text in texts:
        out.write(f"{separator}\n{MARGIN}")
        put(out, defused_json_chunk(text))
        separator = ","
    out.write(("\n      ]" if separator else "]") + defused_json(after) + "\n")


MARGIN = "        "
"""Where a result starts: in `runs[0].results`."""


Index = dict[tuple[str, Severity], tuple[int, str]]
"""(rule id, severity) -> the position and id of its descriptor in the log's rules."""


def results_writer(rules: Sequence[RuleInfo]) -> Callable[[Sequence[Finding]], bytes]:
    """How a batch's worker writes a run of results, for a report whose rules are `rules` (no
    baseline: the worker would not write them then)."""
    index = _index(_descriptors(rules, {}))

    def write_run(findings: Sequence[Finding]) -> bytes:
        if any((f.rule_id, f.severity) not in index for f in findings):
            raise NotByRun("a finding of a rule or severity the report does not list")
        return _results(index, False, findings)

    return write_run


def _results(index: Index, baseline: bool, findings: Sequence[Finding]) -> bytes:
    results = [_result(f, index, baseline) for f in findings]
    try:
        return indented_run(results, MARGIN)  # one orjson call for a file's results
    except orjson.JSONEncodeError:  # beyond orjson (an integer beyond 64 bits): one by one
        return f",\n{MARGIN}".encode().join(indented(r, MARGIN) for r in results)


def to_sarif(report: Report) -> dict[str, Any]:
    index: Index = {}
    sarif = _skeleton(report, index)
    baseline = _has_baseline(report)
    sarif["runs"][0]["results"] = [_result(f, index, baseline) for f in report.findings]
    return sarif


def _has_baseline(report: Report) -> bool:
    return any(i.role == "baseline" for i in report.inputs)


def _skeleton(report: Report, index: Index) -> dict[str, Any]:
    """The log with an empty `results` list; fills `index`."""
    descriptors = _rules(report)
    index.update(_index(descriptors))
    rules = [_rule(r, severity) for r, severity in descriptors]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "residency-audit",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "rules": rules,
            }
        },
        "automationDetails": {"id": "residency-audit/"},
        # Said, not given: an absolute base would make the log depend on the machine.
        "originalUriBaseIds": {SRCROOT: {"description": {"text": SRCROOT_TEXT}}},
        "artifacts": [
            {
                "location": artifact_location(i.path),
                "hashes": {"sha-256": i.sha256},
                "roles": ["analysisTarget" if i.role == "deployment" else "attachment"],
            }
            for i in report.inputs
            if i.sha256
        ],
        "results": [],
        "properties": {
            "asOf": report.as_of.isoformat(),
            "parameters": dict(sorted(report.parameters)),
            "complete": not report.partial and not report.errors,
            "partial": list(report.partial),
            "staleKnowledge": list(report.stale_knowledge),
            "unverifiedKnowledge": list(report.unverified_knowledge),
            "rulePacks": [
                {"name": p.name, "version": p.version, "sha256": p.sha256} for p in report.packs
            ],
            "knowledge": [{"path": n, "sha256": d} for n, d in report.knowledge],
            "riskModel": None
            if report.risk_model is None
            else {"path": report.risk_model[0], "sha256": report.risk_model[1]},
        },
    }
    invocation = _invocation(report)
    if invocation is not None:
        run["invocations"] = [invocation]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _rules(report: Report) -> list[tuple[RuleInfo, Severity]]:
    """The descriptors of the report's rules, and of the rules of findings it does not list
    (a result read back from an older JSON without rules), with the severities of findings a
    rule's `severities` do not hold (an older JSON's, which has none). Findings written as
    texts by a batch's workers are all of listed rules and severities (`results_writer`), and
    are not read back."""
    infos = {r.id: r for r in report.rules}
    found: dict[str, set[Severity]] = {}
    findings = report.findings
    if not (isinstance(findings, Spool) and findings.as_texts):
        for f in findings:
            infos.setdefault(
                f.rule_id,
                RuleInfo(f.rule_id, "", f.title, f.severity, f.title, f.remediation, f.references),
            )
            found.setdefault(f.rule_id, set()).add(f.severity)
    return _descriptors(infos.values(), found)


def _descriptors(
    rules: Iterable[RuleInfo], found: dict[str, set[Severity]]
) -> list[tuple[RuleInfo, Severity]]:
    """A descriptor for each rule (by id, one per id) and severity its findings can have (its
    own first, then from the highest), and for each severity in `found` (rule id -> the
    severities of its findings) besides."""
    infos = {r.id: r for r in rules}
    out = []
    for rule_id in sorted(infos):
        r = infos[rule_id]
        others = (set(r.severities) | found.get(rule_id, set())) - {r.severity}
        out += [(r, s) for s in (r.severity, *sorted(others, reverse=True))]
    return out


def _index(descriptors: list[tuple[RuleInfo, Severity]]) -> Index:
    return {
        (r.id, severity): (i, descriptor_id(r, severity))
        for i, (r, severity) in enumerate(descriptors)
    }


def descriptor_id(r: RuleInfo, severity: Severity) -> str:
    """The id of `r`'s descriptor for its findings of `severity`: the rule's own id for its own
    severity, else `id/severity` (see `SECURITY_SEVERITY`)."""
    return r.id if severity == r.severity else f"{r.id}/{severity.label}"


def _rule(r: RuleInfo, severity: Severity) -> dict[str, Any]:
    refs = "\n".join(f"- [{x.label}]({x.url})" for x in r.references)
    rule: dict[str, Any] = {
        "id": descriptor_id(r, severity),
        "name": "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", r.title)),
        "shortDescription": {"text": _cap(r.title)},
        "fullDescription": {"text": _cap(r.rationale or r.title)},
        "help": {
            "text": f"{r.remediation}\n\nReferences:\n"
            + "\n".join(f"- {x.label}: {x.url}" for x in r.references),
            "markdown": f"{r.remediation}\n\n**References**\n\n{refs}",
        },
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {
            "tags": ["compliance", "data-residency", *([r.pack] if r.pack else [])],
            "security-severity": SECURITY_SEVERITY[severity],
        },
    }
    if r.references:
        rule["helpUri"] = r.references[0].url
    return rule


def _result(f: Finding, index: Index, baseline: bool) -> dict[str, Any]:
    position, rule_id = index[f.rule_id, f.severity]
    stable = fingerprint(f)
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": position,
        "level": LEVELS[f.severity],
        "message": {"text": f"{f.message} ({_qualifier(f)}, {f.deployment})"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact_location(f.span.path),
                    "region": {
                        "startLine": max(f.span.line, 1),
                        "startColumn": max(f.span.column, 1),
                    },
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: stable, LINE_HASH: stable},
        "properties": {
            "rule": f.rule_id,  # `ruleId` is `id/severity` when the two differ
            "severity": _LABELS[f.severity],
            "status": _STATUSES[f.status],
            "deployment": f.deployment,
            "component": f.component,
            "subject": f.subject,
            "unverifiable": f.unverifiable,
        },
    }
    if f.status is Status.WAIVED and f.waiver is not None:
        w = f.waiver
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{w.justification} (approved by {w.approved_by}, "
                f"expires {w.expires.isoformat()}"
                + (f", evidence {w.evidence}" if w.evidence else "")
                + ")",
                "location": {
                    "physicalLocation": {
                        "artifactLocation": artifact_location(w.span.path),
                        "region": {"startLine": max(w.span.line, 1)},
                    }
                },
            }
        ]
    if baseline:
        # SARIF 2.1.0 §3.27.24: "unchanged" is a result detected in the baseline run too, set
        # aside or not: a finding waived now (or then) is no new one. Whether it counts is its
        # suppression and properties.status.
        result["baselineState"] = "unchanged" if f.in_baseline else "new"
    return result


def _qualifier(f: Finding) -> str:
    """The severity, and for a finding that could not be decided, that it is no established
    violation: said by the flag, whatever the rule's message says."""
    label = _LABELS[f.severity]
    return f"{label}, cannot be verified" if f.unverifiable else label


_LABELS = {severity: severity.label for severity in Severity}
_STATUSES = {status: status.value for status in Status}
"""`Severity.label` and `Status.value` by member, without the property's and the enum
descriptor's Python calls (three of them for each of a file's ~45 results)."""


def fingerprint(f: Finding) -> str:
    """Stable across runs and line moves: what the finding is about, not where the line is. The
    file is its URI, as the result names it: relative to the working directory however the path
    was typed (as baselines compare paths), so one file keeps its alerts."""
    uri = artifact_location(f.span.path)["uri"]
    key = "\0".join((uri, f.deployment, f.component or "", f.subject or "", f.rule_id, f.message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _invocation(report: Report) -> dict[str, Any] | None:
    if report.invocation is None:
        return None
    code = report.exit_code(report.invocation.fail_on)
    invocation: dict[str, Any] = {
        "executionSuccessful": not report.errors,
        "exitCode": code,
        "commandLine": report.invocation.command_line,
    }
    if report.invocation.pinned:
        # SARIF's endTimeUtc is when the run ended: a time fixed by SOURCE_DATE_EPOCH
        # (reproducible output) is none, and unlabelled it would date the evidence falsely; the
        # property bag says what it is, as the human reports' "Fixed timestamp" does.
        invocation["properties"] = {
            "fixedTimestamp": timestamp(report),
            "fixedTimestampSource": PINNED_SARIF,
        }
    else:
        invocation["endTimeUtc"] = timestamp(report)
    notes = [_notification(e) for e in report.errors]
    # "error": SARIF 2.1.0's Appendix I (informative, "Detecting incomplete result sets") says
    # a consumer may assume results complete unless an invocation failed or a notification has
    # level "error"; something to observe that could not be read leaves them incomplete.
    notes += [
        {"level": "error", "message": {"text": f"partial audit: {why}"}} for why in report.partial
    ]
    if report.stale_knowledge:
        text = "knowledge checked more than six months before the as-of date: "
        notes.append(
            {"level": "warning", "message": {"text": text + ", ".join(report.stale_knowledge)}}
        )
    if report.unverified_knowledge:
        text = "this audit relied on knowledge marked unverified (passes included): "
        notes.append(
            {"level": "warning", "message": {"text": text + ", ".join(report.unverified_knowledge)}}
        )
    later = later_prose_note(report)
    if later is not None:  # the rules' help (remediation) and descriptions (rationale)
        notes.append({"level": "note", "message": {"text": later}})
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def _notification(e: Diagnostic) -> dict[str, Any]:
    return {
        "level": "error",
        "message": {"text": e.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact_location(e.span.path),
                    "region": {
                        "startLine": max(e.span.line, 1),
                        "startColumn": max(e.span.column, 1),
                    },
                }
            }
        ],
    }


def _cap(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"

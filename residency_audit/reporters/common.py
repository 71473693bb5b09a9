"""Helpers shared by the reports: grouping by legal instrument (Markdown, HTML), the command
that reproduces a run, the counts of findings, the CI gate's outcome and the words used for
statuses."""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from residency_audit.model import Finding, Reference, Report, Status

_CUT = re.compile(r",\s|\s\(|\s[Aa]rt\.\s|\sEXI\s")

STATUS_WORDS = {
    Status.OPEN: "open",
    Status.WAIVED: "waived",
    Status.BASELINED: "baselined",
}

COUNTRY_STATUS_WORDS = {
    # not "directly": in Iceland, Liechtenstein and Norway it applies through the EEA Agreement
    "eea": "EEA (GDPR applies)",
    "adequate": "adequacy decision (Art. 45)",
    "interim": "interim provision (not an adequacy decision)",
    "partially-adequate": "restricted adequacy only (e.g. certified organisations)",
    "third-country": "third country without adequacy",
    "unknown": "not in the knowledge base",
}
GDPR_APPLIES = dt.date(2018, 5, 25)
"""GDPR Art. 99(2). Before it, Directive 95/46/EC applied through national laws, and adequacy
findings were made under its Art. 25(6)."""
_DIRECTIVE_WORDS = {
    **COUNTRY_STATUS_WORDS,
    "eea": "EEA (Directive 95/46/EC, through national law)",
    "adequate": "adequacy decision (Directive 95/46/EC, Art. 25(6))",
}


_WORKFLOW_COMMAND = re.compile(r"(?:^|(?<=\r))([^\S\r\n]*)::|##\[", re.MULTILINE)
"""What the GitHub Actions runner reads as a workflow command in a line of a step's log: `::`
first in the line once leading blanks are trimmed (`::error file=x::text`), or the legacy `##[`
anywhere in it (`##[error]text`). NOTE: from the runner's source, not its documentation:
actions/runner src/Runner.Common/ActionCommand.cs, `TryParseV2` (`TrimStart`, then
`StartsWith("::")`) and `TryParse` (`IndexOf("##[")`), both tried on every line by
src/Runner.Worker/ActionCommandManager.cs `TryProcessCommand`."""


def defused(text: str) -> str:
    """`text` (one or more lines) with what a CI log would read as a workflow command shown
    with a backslash, `\\::error ...` and `##\\[error]`: a deployment named
    `::error file=x,line=1::...` must not print a line that GitHub Actions turns into an
    annotation, a masked value or a stopped command stream. The tool's own words never hold
    either, so only text from the inputs changes."""
    if "::" not in text and "##[" not in text:  # most reports: the scan costs 30 µs a KB
        return text
    return _WORKFLOW_COMMAND.sub(lambda m: "##\\[" if m[1] is None else f"{m[1]}\\::", text)


def defused_json(text: str) -> str:
    """JSON text that no CI log reads as a workflow command, holding the same values: a `##[`
    (legacy command, anywhere in a line) can only be inside a string, where its second `#` is
    written `\\u0023`; no line of JSON starts with `::` (see `defused`)."""
    return text.replace("##[", "#\\u0023[")


def defused_json_chunk(chunk: str | bytes) -> str | bytes:
    """`defused_json` for a piece of a JSON document written whole-token (a value, a list's
    items, a run of results), in text or UTF-8 bytes as batch workers send it: the JSON result
    and SARIF log are printed to CI logs too (`check -f sarif`, `cat result.json`), and a
    `##[` from an input must not become a workflow command there."""
    if isinstance(chunk, str):
        return chunk.replace("##[", "#\\u0023[") if "##[" in chunk else chunk
    return chunk.replace(b"##[", b"#\\u0023[") if b"##[" in chunk else chunk


def defused_xml(text: str) -> str:
    """XML text that no CI log reads as a workflow command, holding the same values: a `##[`
    is written `#&#35;[`, and a line starting with `::` (blanks before it kept) `&#58;:`.
    ElementTree writes a line break in an attribute as `&#10;`, so a line of its output can
    start with `::` only inside an element's text, where a character reference is as valid as
    in an attribute's value."""
    if "::" not in text and "##[" not in text:
        return text
    return _WORKFLOW_COMMAND.sub(lambda m: "#&#35;[" if m[1] is None else f"{m[1]}&#58;:", text)


def assumed_on(report: Report) -> str:
    """How the reports introduce `Report.assumptions`, after the word "assumed"."""
    return (
        f"to hold on the audit date ({report.as_of.isoformat()}), the input giving no "
        "day from which it holds (passes included)"
    )


def country_status_words(as_of: dt.date) -> dict[str, str]:
    """What a country's status means in law on `as_of`: the words change with the GDPR."""
    return COUNTRY_STATUS_WORDS if as_of >= GDPR_APPLIES else _DIRECTIVE_WORDS


def instrument(reference: Reference) -> str:
    """The instrument a reference cites, without the provision: "GDPR Art. 48 (...)" → "GDPR",
    "HDS certification referential 2024, EXI 28" → "HDS certification referential 2024"."""
    return _CUT.split(reference.label, maxsplit=1)[0].strip() or reference.label


@dataclass(slots=True)
class InstrumentGroup:
    """The findings of one legal instrument, written out (`written_by_instrument`)."""

    name: str
    url: str
    count: int
    text: IO[str]

    def chunks(self, size: int = 1 << 16) -> Iterator[str]:
        """The group's text, a piece at a time."""
        self.text.seek(0)
        while chunk := self.text.read(size):
            yield chunk


GROUP_IN_MEMORY = 1 << 20
"""Characters of a group's text held in memory before it moves to a temporary file."""


@contextmanager
def written_by_instrument(
    findings: Iterable[Finding], write: Callable[[Finding, int], str]
) -> Iterator[list[InstrumentGroup]]:
    """Findings grouped by the instrument of their rule's first (primary) reference, in order of
    first appearance (findings without references under "Other"), each written by
    `write(finding, n)`, n its place in its group from 1. The findings are read once, as they
    come (a batch's are on disk), and only their texts are kept, a temporary file per group
    (in memory while small): the report's memory does not grow with the batch."""
    import tempfile  # the evidence formats only (start-up time of a one-file check)

    groups: dict[str, InstrumentGroup] = {}
    try:
        for finding in findings:
            first = finding.references[0] if finding.references else None
            name = instrument(first) if first else "Other"
            group = groups.get(name)
            if group is None:
                buffer = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed below
                    max_size=GROUP_IN_MEMORY, mode="w+", encoding="utf-8", newline=""
                )
                group = groups[name] = InstrumentGroup(name, first.url if first else "", 0, buffer)
            group.count += 1
            group.text.write(write(finding, group.count))
        yield list(groups.values())
    finally:
        for group in groups.values():
            group.text.close()


SUMMARY_NOTE = (
    "A failed check is a rule whose requirement does not hold on the facts given (at info "
    "severity, a fact to note), not a legal conclusion. A finding that cannot be verified rests "
    "on a fact missing or unknown to the knowledge base: it is no failed check, and no pass "
    "either."
)
"""What the counts of the Markdown and HTML summaries mean, said under them."""


def not_legal_advice(report: Report) -> str:
    """What closes the Markdown and HTML reports: what the report states, and that it is not
    legal advice."""
    return (
        f"Generated by residency-audit {report.tool_version}. This report states what the rules "
        f"found in the files listed above, evaluated as of {report.as_of.isoformat()}; it is not "
        "legal advice."
    )


def unverifiable_count(report: Report) -> int:
    """Findings that could not be decided (a fact missing or unknown), whatever their status."""
    return sum(report.tally.unverifiable)


UNVERIFIABLE_WHY = (
    "each rests on a fact missing or unknown to the knowledge base, so it is neither a failed "
    "check nor a pass"
)
"""What the headers say of the findings that could not be verified, after their count: the gate
line counts them with nothing, and a reader must not take an audit whose primary region is
unknown for one that merely failed a check or two."""


def findings_phrase(report: Report) -> str:
    """The count of findings, what was established apart from what could not be decided
    (which is no pass either): `12 finding(s): 7 failed check(s), 5 cannot be verified`. A
    failed check is a rule whose requirement does not hold on the facts given, whatever its
    severity (an info one records a fact to note, such as a party's exposure to a foreign
    law): the words say what the tool found, never "violation", a legal conclusion those facts
    do not support. JSON keeps `summary.violations` for the same count (`reporters.json`)."""
    total = len(report.findings)
    if not total:
        return "0 finding(s)"
    unverifiable = unverifiable_count(report)
    failed = total - unverifiable
    return f"{total} finding(s): {failed} failed check(s), {unverifiable} cannot be verified"


def descriptions(report: Report) -> dict[str, str]:
    """Each deployment file's own `description`, by path, on one line."""
    return {
        i.path: " ".join(i.description.split())
        for i in report.inputs
        if i.description and i.description.strip()
    }


def rule_notes(report: Report) -> dict[str, str]:
    """Each rule's caveats (`notes`, as `explain` shows them) on one line, by rule id."""
    return {r.id: " ".join(r.notes.split()) for r in report.rules if r.notes and r.notes.strip()}


_CODE_SPAN = re.compile(r"`([^`]+)`")


def code_spans(text: str) -> list[str]:
    """A rule's own prose (caveats, remediation) cut at its `code spans`, which name fields and
    keys (`hds.referential_2024_binds`): the odd items are code, the others text, so that
    each format shows the code as code (Markdown a code span, HTML `<code>`) rather than as
    escaped backticks. A lone backtick stays in the text."""
    return _CODE_SPAN.split(text)


def audited_deployments(report: Report) -> list[str]:
    """The deployments the audit read, by name, as every format counts them: those of its input
    files, never a name only a finding gives (a waiver's target that names no deployment of
    the run is a WAIVER-MATCH-01 finding, not a deployment)."""
    return sorted({i.deployment for i in report.inputs if i.deployment})


def waiver_files(report: Report) -> frozenset[str]:
    """The waiver files read (`--waivers`), as their findings (WAIVER-EXP-01...) give their
    path: those findings are located in the waiver file, not in a deployment."""
    return frozenset(i.path for i in report.inputs if i.role == "waivers")


def target(finding: Finding) -> str:
    return finding.deployment + (f"/{finding.component}" if finding.component else "")


def reproduce_command(report: Report) -> str | None:
    """The command line of the run, each output renamed `reproduced-NAME` (run as written where
    the report was filed, it must not overwrite it), with `--as-of` added when it was left to
    default to today (the audit date is what makes a rerun give the same result)."""
    if report.invocation is None:
        return None
    words = _with_option(shlex.split(report.invocation.command_line), OUTPUT, _reproduced)
    return shlex.join(_dated(words, report))


AUDITED_UNKNOWN = (
    "not recorded in this result: a JSON result keeps no command line or time, so that the same "
    "audit gives the same bytes"
)
"""What a report rendered from a saved result says of the audit's own command line: `report`
cannot show it, and its own command re-renders, which must not pass for a re-run of the audit."""


def command_labels(report: Report) -> tuple[str, str]:
    """The manifest's labels of the command line and of `reproduce_command`: a rendering's
    commands render (`Re-render with`), an audit's audit (`Reproduce with`)."""
    invocation = report.invocation
    if invocation is not None and invocation.rendered_from is not None:
        return "Command line of this rendering", "Re-render with"
    return "Command line", "Reproduce with"


def json_command(report: Report) -> str | None:
    """The command that writes the re-run's JSON result, `reproduced.json`, to compare byte for
    byte with the audit's: the run's command line without its formats and outputs. None for a
    report rendered from a saved result, whose command re-renders, or without an invocation."""
    if report.invocation is None or report.invocation.rendered_from is not None:
        return None
    words = shlex.split(report.invocation.command_line)
    for option in (FORMAT, OUTPUT):
        words = _with_option(words, option, lambda _: None)
    return shlex.join([*_dated(words, report), "-f", "json", "-o", "reproduced.json"])


FORMAT = ("-f", "--format")
OUTPUT = ("-o", "--output")


def _dated(words: list[str], report: Report) -> list[str]:
    """`words` of a `check` with `--as-of`, added (before any `--`) when it was left out."""
    end = words.index("--") if "--" in words else len(words)
    if words[1:2] == ["check"] and not any(
        w == "--as-of" or w.startswith("--as-of=") for w in words[:end]
    ):
        return [*words[:end], "--as-of", report.as_of.isoformat(), *words[end:]]
    return words


def _reproduced(path: str) -> str:
    if path == "-":  # stdout
        return path
    head, name = os.path.split(path)
    return os.path.join(head, f"reproduced-{name}")


def _with_option(
    words: list[str], option: tuple[str, str], change: Callable[[str], str | None]
) -> list[str]:
    """`words` with the value of each `option` (short, long: `-o X`, `-oX`, `--output X`,
    `--output=X`) replaced by `change(value)`, or the option dropped where that is None. Words
    after `--` are arguments, left as they are."""
    short, long = option
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            return [*out, *words[i:]]
        if word in option and i + 1 < len(words):
            new = change(words[i + 1])
            out += [word, new] if new is not None else []
            i += 2
            continue
        if word.startswith(f"{long}="):
            new = change(word[len(long) + 1 :])
            out += [f"{long}={new}"] if new is not None else []
        elif word.startswith(short) and not word.startswith("--") and len(word) > 2:
            new = change(word[2:])
            out += [f"{short}{new}"] if new is not None else []
        else:
            out.append(word)
        i += 1
    return out


VERIFY_INPUTS = (
    "Inputs: `sha256sum FILE` gives the SHA-256 of each file in the table above; so it does for "
    "a knowledge file `kb/NAME` and the risk model, in the directories under Bundled files."
)
VERIFY_INPUTS_RENDERED = (
    "Inputs: `sha256sum FILE` gives the SHA-256 of each file in the table above; so it does for "
    "a knowledge file `kb/NAME` and the risk model in the package directory of the code of the "
    "audit (Bundled files)."
)
"""VERIFY_INPUTS for a report rendered from a saved result, which names no directory."""


def verify_inputs(report: Report) -> str:
    """The first step of "How to verify": where the bundled files are, or, in a report rendered
    from a saved result that did not keep their directories, in which code's package."""
    return VERIFY_INPUTS if not_located(report) is None else VERIFY_INPUTS_RENDERED


VERIFY_PACKS = (
    "Rule packs: a pack's SHA-256 covers `pack.yaml` and its rule files; the README of "
    "residency-audit (Rule packs) gives a one-line Python command that recomputes it from the "
    "pack's directory."
)
VERIFY_CODE = (
    "Code: the README of residency-audit (Which code made a report) gives the command that "
    "recomputes the source SHA-256 from the directory of the installed package."
)
VERIFY_RERUN = (
    "writes the re-run's JSON result, which is byte-identical for the same inputs, rule packs, "
    "knowledge, code, way of installing it (the commit is recorded only for a pip install from "
    "a repository URL) and audit date: compare it with the audit's own JSON result where one "
    "was filed (`cmp`), not this report. This report, re-run, differs in its timestamp (unless "
    "fixed by `SOURCE_DATE_EPOCH`), in the Command line and Reproduce with lines, in the note on "
    "an audit dated later than the report (which follows the clock), and on another machine in "
    "the directories of Bundled files."
)
"""After `json_command`: why the JSON is what compares, and what a re-run report changes."""
VERIFY_LIVE_DNS = (
    "This audit resolved DNS as it ran (`--resolve`) and kept no answers: a re-run asks DNS "
    "again, so it gives the same result only if DNS answers alike, and on a later day it is "
    "refused, its audit date being past. An audit others must reproduce reads saved "
    "observations: `residency-audit discover dns --from FILE --output observed.yaml`, then "
    "`check --dns observed.yaml`."
)


def verify_rerun(report: Report) -> str:
    """VERIFY_RERUN, and when the run resolved DNS live (`--resolve`), that its answers were not
    kept: "byte-identical for the same inputs" would promise a re-run the other side cannot make
    (QA, a lawyer following How to verify literally)."""
    if report.invocation is None:
        return VERIFY_RERUN
    words = shlex.split(report.invocation.command_line)
    words = words[: words.index("--")] if "--" in words else words
    return f"{VERIFY_RERUN} {VERIFY_LIVE_DNS}" if "--resolve" in words else VERIFY_RERUN


VERIFY_RENDERED = (
    "Result: `sha256sum FILE` of the saved result gives the SHA-256 under Rendered from. That "
    "file is the audit's JSON result: a re-run of the audit (`-f json`) with the inputs, audit "
    "date, parameters, code, rule packs and knowledge listed here gives it again byte for byte, "
    "unless the audit resolved DNS as it ran (`check --resolve`: its DNS facts cite "
    "`dns:SERVER NAME`, not a file), whose answers nothing kept."
)
"""For a report rendered from a saved result, in place of the re-run's command."""


def timestamp(report: Report) -> str | None:
    if report.invocation is None:
        return None
    return report.invocation.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")


PINNED = "taken from `SOURCE_DATE_EPOCH`: not the time of generation"
"""What follows a timestamp pinned by SOURCE_DATE_EPOCH, which a reader would otherwise take for
the day the report was made (a court document must not state a false creation date). Prose with
a code span (`code_spans`)."""


def generated(report: Report) -> tuple[str, str] | None:
    """The report's timestamp as the human formats label it, (label, prose): `Generated`,
    `2026-11-28T09:30:00Z (UTC)`; `Fixed timestamp`, `... (UTC), taken from SOURCE_DATE_EPOCH:
    not the time of generation` when pinned. None without an invocation."""
    when = timestamp(report)
    if when is None or report.invocation is None:
        return None
    if report.invocation.pinned:
        return "Fixed timestamp", f"{when} (UTC), {PINNED}"
    return "Generated", f"{when} (UTC)"


def future_note(report: Report) -> str | None:
    """What an audit dated after the day its report was made presumes, or None: its verdicts
    rest on what was known that day, and a decision, certificate or waiver may change before
    the audit date (a pending appeal, an expiry). That day is the clock's
    (`Invocation.made_on`), never SOURCE_DATE_EPOCH's, which may be any day. The JSON result,
    which has no such day, does not say it: it must read the same whatever day it is made."""
    if report.invocation is None:
        return None
    made = report.invocation.made_on or report.invocation.timestamp.date()
    if report.as_of <= made:
        return None
    return (
        f"the audit date {report.as_of} is after the day this report was made ({made}): its "
        f"verdicts presume that the law and the facts known on {made} still hold on "
        f"{report.as_of}; a decision, certificate or waiver may change before then"
    )


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "janvier"),
            ("february", "février"),
            ("march", "mars"),
            ("april", "avril"),
            ("may", "mai"),
            ("june", "juin"),
            ("july", "juillet"),
            ("august", "août"),
            ("september", "septembre"),
            ("october", "octobre"),
            ("november", "novembre"),
            ("december", "décembre"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(_MONTHS)
_MENTIONED = re.compile(
    rf"\b(?:(\d{{4}})-(\d\d)-(\d\d)"  # 2021-06-27
    rf"|(?:(\d{{1,2}})(?:er)? )?({_MONTH}) (\d{{4}})"  # 27 June 2021, June 2025, 1er avril 2018
    r"|(1[89]\d\d|20\d\d))\b",  # 2024, 2021/914
    re.IGNORECASE,
)
"""A day (2021-06-27), a day or month in words (27 June 2021, June 2025, 1er avril 2018) or a
year (the 2024 referential, Decision (EU) 2021/914) named in prose."""


def mentioned_days(text: str) -> Iterator[dt.date]:
    """The earliest day each date `text` names can be: a month is its first day, a year its
    1 January (`_MENTIONED`). Impossible dates (31 June) are skipped."""
    for iso_y, iso_m, iso_d, day, month, year, bare in _MENTIONED.findall(text):
        try:
            if iso_y:
                yield dt.date(int(iso_y), int(iso_m), int(iso_d))
            elif month:
                yield dt.date(int(year), _MONTHS[month.lower()], int(day or 1))
            else:
                yield dt.date(int(bare), 1, 1)
        except ValueError:
            continue


PROSE_NOTE = (
    "Rationale, remediation and caveats are written as of the knowledge base{checked} and may "
    "mention later instruments; what existed on the audit date is in each finding's references "
    "and facts."
)


def later_prose_note(report: Report) -> str | None:
    """The note an audit of a past day needs when the prose of its rules mentions later days,
    else None. Rule prose (rationale, remediation, caveats) is written once, as of the knowledge
    base's check date (`Report.knowledge_checked`), and may name instruments adopted after the
    audit date (Decision 2021/914 in the remedy of a 2020 Privacy Shield finding), unlike
    references and facts, which are chosen per date. The rule, kept simple: the prose of a rule
    in effect (every one the report lists, whether it found anything or not) names a day after
    the audit date and not after the check date. A day after the check date is no instrument the
    prose could know (an example's expiry in 2027), so an audit as of the check date or later
    gets no note; a month or year named alone counts from its first day (`mentioned_days`)."""
    checked = report.knowledge_checked
    for rule in report.rules:
        for text in (rule.rationale, rule.remediation, rule.notes or ""):
            if any(
                report.as_of < day and (checked is None or day <= checked)
                for day in mentioned_days(text)
            ):
                return PROSE_NOTE.format(checked="" if checked is None else f" (checked {checked})")
    return None


@dataclass(frozen=True, slots=True)
class Gate:
    """What the CI gate (`--fail-on`) made of the run's exit code, worded as that and nothing
    more: an evidence report is filed in court, where "PASS" would read as a legal conclusion,
    and nothing pass-looking may stand above a partial or incomplete audit."""

    threshold: str
    """The `--fail-on` severity, or `never`."""
    outcome: str
    """`passed`, `failed`, or `not enforced` (`--fail-on never`)."""
    reasons: tuple[str, ...]
    """Why it failed, and what the audit lacks (partial, input errors) whatever the outcome."""
    rendered: bool = False
    """Re-rendered from a saved result by `report`, whose own --fail-on it is: the result does
    not keep the audit's, so the label must not pass it off as the gate the audit ran."""

    @property
    def label(self) -> str:
        if self.rendered:
            return f"CI gate of this rendering (report --fail-on {self.threshold})"
        return f"CI gate (fail-on {self.threshold})"

    @property
    def state(self) -> str:
        """`passed`, `failed`, or `caveat` for anything between: not enforced, or not failed
        although the audit is partial or incomplete (the colour of the HTML badge)."""
        if self.outcome == "failed":
            return "failed"
        return "passed" if self.outcome == "passed" and not self.reasons else "caveat"

    @property
    def detail(self) -> str:
        """What follows the outcome: ` — open finding(s) at or above high`, or nothing."""
        if not self.reasons:
            return ""
        but = "but " if self.outcome == "passed" else ""
        return f" — {but}{'; '.join(self.reasons)}"

    def said(self) -> str:
        """The outcome, with its reasons: `failed — open finding(s) at or above high`."""
        return self.outcome + self.detail


def gate(report: Report) -> Gate | None:
    """The CI gate of the invocation's --fail-on (None without an invocation): failed when the
    exit code is not 0 (findings at or above it, a partial audit, input errors)."""
    if report.invocation is None:
        return None
    fail_on = report.invocation.fail_on
    if report.exit_code(fail_on):
        outcome = "failed"
    else:
        outcome = "not enforced" if fail_on is None else "passed"
    reasons = []
    if fail_on is not None and report.fails(fail_on):
        reasons.append(f"open finding(s) at or above {fail_on.label}")
    if report.errors:
        reasons.append(f"the audit is INCOMPLETE: {unaudited(report)}")
    if report.partial:
        reasons.append("the audit is PARTIAL: not everything could be read")
    rendered = report.invocation.rendered_from is not None
    return Gate(fail_on.label if fail_on else "never", outcome, tuple(reasons), rendered)


def parameters_text(report: Report) -> list[str]:
    """Each setting the findings rest on, `name = value` (`Report.parameters`)."""
    return [f"{name} = {value}" for name, value in report.parameters]


def parameters_unknown(report: Report) -> str | None:
    """Why a re-rendered result shows no parameters: it was saved before results kept them, so
    the values its findings rest on are unknown (None for any other report)."""
    invocation = report.invocation
    if report.parameters or invocation is None or invocation.rendered_from is None:
        return None
    return "not recorded in this result (saved by a version that did not keep them)"


def unaudited(report: Report) -> str:
    """`5 input error(s) in 1 file, which was not audited`: the errors and the files they left
    out (five errors of one file read "those files" before)."""
    files = len({e.span.path for e in report.errors})
    which = "1 file, which was" if files == 1 else f"{files} files, which were"
    return f"{len(report.errors)} input error(s) in {which} not audited"


def scope_mark(report: Report) -> str:
    """What a page's title and printed header add when the audit lacks something, as the CI
    gate line says it: ` — PARTIAL` (something to observe could not be read), ` — INCOMPLETE`
    (input errors), both, or nothing. A printed page or a PDF listed by its title is read
    apart from the banner on the first page."""
    lacks = (("PARTIAL", report.partial), ("INCOMPLETE", report.errors))
    marks = [word for word, missing in lacks if missing]
    return f" — {', '.join(marks)}" if marks else ""


BUNDLED_WORDS = {"kb/": "knowledge", "risk/": "risk model", "rules/": "bundled rule packs"}


def located(report: Report) -> list[tuple[str, str, str]]:
    """(what, name, path) for each prefix of `Report.bundled_at`: the manifest's `kb/NAME` is
    the file `residency_audit/kb/data/NAME` of the installation that ran the audit."""
    return [
        (BUNDLED_WORDS.get(prefix, prefix), f"{prefix}NAME", os.path.join(where, "NAME"))
        for prefix, where in report.bundled_at
    ]


def not_located(report: Report) -> str | None:
    """Why a re-rendered report does not say where the bundled files and the rule packs of
    `--rules` were (None for any other report)."""
    invocation = report.invocation
    if report.bundled_at or invocation is None or invocation.rendered_from is None:
        return None
    # "residency-audit 0.1.0" names no code (README, Which code made a report): the bundled
    # files are those of the code the result records, which an expert finds by its digest.
    code = (
        f"the code of the audit (source SHA-256 {report.code.sha256})"
        if report.code is not None
        else f"residency-audit {report.tool_version}, whose code this result does not record"
    )
    return (
        "not kept in a JSON result, which is the same on every machine; the bundled files are "
        f"those of {code}: in its package directory, `kb/NAME` is `kb/data/NAME`, `risk/NAME` "
        "is `risk/NAME` and the bundled packs are in `rules/` (in a source checkout, `rules/` "
        "beside it)"
    )


CODE_COMMIT = "as pip recorded it when installing from the repository"
NO_COMMIT = "not recorded (not installed by pip from a repository URL)"


def code_label(report: Report) -> str:
    """The manifest's label of `Report.code`: a rendering's is the audit's, read from the result,
    not that of the code rendering it."""
    invocation = report.invocation
    if invocation is not None and invocation.rendered_from is not None:
        return "Code of the audit"
    return "Code"


def code_unknown(report: Report) -> str | None:
    """Why the manifest names no code (`Report.code`), or None when it does."""
    if report.code is not None:
        return None
    invocation = report.invocation
    if invocation is not None and invocation.rendered_from is not None:
        return "not recorded in this result (saved by a version that did not record it)"
    return "not recorded"


def value_text(value: Any) -> str:
    """A fact's value as people read it: yes/no, lists joined, None as unknown."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(value_text(v) for v in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {value_text(v)}" for k, v in value.items() if v not in (None, []))
    return "unknown" if value is None else str(value)

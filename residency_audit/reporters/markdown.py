"""Markdown evidence report: for GitHub (`$GITHUB_STEP_SUMMARY`, which the action fills through
scripts/step_summary.py, cut when large; pull-request comments of small audits) and lawyers who
read it in a browser. Same content as the HTML report, without the picture; written as it goes
(`write`), so a batch's report does not have to fit in memory."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import TextIO

from residency_audit.model import Fact, Finding, Report, Severity, Status
from residency_audit.reporters.common import (
    AUDITED_UNKNOWN,
    CODE_COMMIT,
    NO_COMMIT,
    STATUS_WORDS,
    SUMMARY_NOTE,
    UNVERIFIABLE_WHY,
    VERIFY_CODE,
    VERIFY_PACKS,
    VERIFY_RENDERED,
    assumed_on,
    audited_deployments,
    code_label,
    code_spans,
    code_unknown,
    command_labels,
    country_status_words,
    defused,
    descriptions,
    findings_phrase,
    future_note,
    gate,
    generated,
    json_command,
    later_prose_note,
    located,
    not_legal_advice,
    not_located,
    parameters_text,
    parameters_unknown,
    reproduce_command,
    rule_notes,
    scope_mark,
    target,
    unaudited,
    unverifiable_count,
    value_text,
    verify_inputs,
    verify_rerun,
    written_by_instrument,
)
from residency_audit.reporters.flowmap import picture_flows
from residency_audit.reporters.flows import (
    CLEAR_WORDS,
    caption_sentence,
    flow_name,
    groups,
    laws_shown,
    own_values,
    risk_cells,
    unverified,
)

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#&~])")
_BLOCK_START = re.compile(r"^([-+]|\d{1,9}[.)](?= |$))")
_BACKTICKS = re.compile(r"`+")
_WEB = re.compile(r"https?://", re.IGNORECASE)
_PLAIN_URL = re.compile(r"[^\s()<>\\`|]+")


def md(text: object) -> str:
    """Text that Markdown shows as written (no emphasis, links, entities or HTML from input
    data), on one line."""
    return _SPECIAL.sub(r"\\\1", _one_line(text))


def prose(text: object) -> str:
    """`md(text)` for a rule's own prose (caveats, remediation), whose `code spans` stay code
    spans (`common.code_spans`): their backticks are not escaped, nor is what they hold."""
    parts = code_spans(_one_line(text))
    return "".join(
        (code(part) or md(f"`{part}`")) if i % 2 else _SPECIAL.sub(r"\\\1", part)
        for i, part in enumerate(parts)
    )


def paragraph(text: object) -> str:
    """`md(text)` for the start of a line: no list item or rule either ("- x", "1. x", "---")."""
    return _BLOCK_START.sub(lambda m: m[1][:-1] + "\\" + m[1][-1], md(text))


def code(text: object) -> str:
    """`text` as a code span, whatever backticks it holds: the fence is one backtick longer
    than its longest run of them, and a text starting or ending with one is padded with the
    space CommonMark strips. Empty text gives an empty string."""
    body = _one_line(text)
    if not body:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(body)), default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def cell(text: object) -> str:
    """`text` as a code span in a table cell: pipes escaped, as GFM tables need even inside
    code. A backslash before a pipe cannot be written in a code span there (the table would
    read it as an escaped backslash and split the row), so such a text is escaped text."""
    body = _one_line(text)
    if "\\|" in body:
        return md(body)
    return code(body).replace("|", "\\|")


def link(label: object, url: str) -> str:
    """A link whose label shows as written; a destination with spaces, brackets or
    parentheses is written between angle brackets, with those escaped. Only a web address is
    linked: another (`javascript:`, from a hand-edited result) is shown as text beside the label,
    as the HTML report does, since a Markdown viewer may follow it."""
    target = _one_line(url)
    if not _WEB.match(target):
        return f"{md(label)} ({code(target)})"
    if not _PLAIN_URL.fullmatch(target):
        target = "<" + re.sub(r"([<>\\])", r"\\\1", target) + ">"
    return f"[{md(label)}]({target})"


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def render(report: Report) -> str:
    out = io.StringIO()
    write(report, out)
    return out.getvalue()


def write(report: Report, out: TextIO) -> None:
    """The report, written a section at a time: the findings are read once, each written as it
    comes into its instrument's group (`common.written_by_instrument`), and the flows a
    deployment at a time, so a batch's report never sits whole in memory."""
    head: list[str] = [f"# Data residency audit{scope_mark(report)}", ""]
    deployments = audited_deployments(report)
    head.append(
        f"- **Scope:** {len(deployments)} deployment(s): "
        + (", ".join(code(d) for d in deployments) or "none")
    )
    head.append(f"- **Law as of:** {report.as_of.isoformat()}")
    shown = gate(report)
    if shown is None:
        head.append(f"- **Findings:** {findings_phrase(report)}")
    else:
        head.append(f"- **{shown.label}:** {md(shown.said())}")
    if unverifiable_count(report):
        head.append(
            f"- **Could not be verified:** {unverifiable_count(report)} finding(s): "
            + md(UNVERIFIABLE_WHY)
        )
    made = generated(report)
    if made is not None:
        head.append(f"- **{made[0]}:** {prose(made[1])}")
    head.append("")
    _lines(out, [*head, *_banners(report), *_summary(report)])
    _flows(report, out)
    _findings(report, out)
    _lines(out, _waivers(report))
    _lines(out, [*_manifest(report), "---", "", md(not_legal_advice(report))])


def _lines(out: TextIO, lines: list[str]) -> None:
    # `defused`: printed (`-f markdown` to a CI log), no line may be a workflow command;
    # `\::` shows as `::` in Markdown, and a `##[` can only be in a code span.
    out.write(defused("".join(f"{line}\n" for line in lines)))


def _banners(report: Report) -> list[str]:
    out = []
    if report.partial:
        out.append(
            "> **PARTIAL AUDIT.** Not everything could be read: "
            + "; ".join(md(p) for p in report.partial)
        )
    if report.errors:
        out.append(f"> **INCOMPLETE.** {md(unaudited(report))}:")
        out += [f"> - {code(e)}" for e in report.errors]
    future = future_note(report)
    if future is not None:
        out.append(f"> **Audit date after this report.** {md(future[0].upper() + future[1:])}")
    if report.stale_knowledge:
        out.append(
            f"> **Stale knowledge.** {len(report.stale_knowledge)} knowledge-base "
            f"entries were checked more than six months before {report.as_of}: "
            + ", ".join(code(s) for s in report.stale_knowledge)
        )
    if report.unverified_knowledge:
        out.append(
            "> **Unverified knowledge used:** "
            + ", ".join(code(s) for s in report.unverified_knowledge)
        )
    if report.assumptions:
        out.append(
            f"> **Assumed** {md(assumed_on(report))}: "
            + "; ".join(md(s) for s in report.assumptions)
        )
    return [*_spaced(out), ""] if out else []


def _spaced(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if out and not line.startswith("> -"):
            out.append(">")
        out.append(line)
    return out


def _summary(report: Report) -> list[str]:
    unverifiable = report.tally.unverifiable
    out = ["## Summary", ""]
    if report.findings:
        out += [
            f"**{findings_phrase(report)}.** {SUMMARY_NOTE}",
            "",
        ]
    out += [
        "| Severity | Failed checks | Cannot be verified | Findings |",
        "|---|---:|---:|---:|",
    ]
    out += [
        f"| {s.label} | {n - unverifiable[s]} | {unverifiable[s]} | {n} |"
        for s, n in ((s, report.tally.severities[s]) for s in reversed(Severity))
    ]
    statuses = report.status_counts()
    out += [
        "",
        "By status: "
        + ", ".join(f"{n} {s}" for s, n in statuses.items())
        + ". Only open findings count toward the result; waived and baselined ones are shown "
        "for the record.",
        "",
    ]
    return out


def _flows(report: Report, out: TextIO) -> None:
    """The flows tables, a deployment at a time, with the columns of the HTML report's."""
    picture = picture_flows(report)
    if not picture.flows:
        return
    _lines(out, ["## Data flows", ""])
    if picture.derived:
        _lines(
            out,
            [
                "Drawn from the facts of the findings only: places and accesses that passed every "
                "rule are not shown.",
                "",
            ],
        )
    statuses = {c.code: c for c in report.countries}
    words = country_status_words(report.as_of)
    described = descriptions(report)
    for name, path, group in groups(picture.flows):
        said = described.get(path)
        lines = [
            f"### Flows of {code(name)} ({code(path)})",
            "",
            *([f"Described by its file as: {md(said)}", ""] if said else []),
            md(caption_sentence(group)),
            "",
            f"| Component | Flow | Country | Status (as of {report.as_of.isoformat()}) "
            "| Entity / parent | Laws that can reach it "
            "| Clear text reachable | Level | Probability | Band | Binding factor |",
            "|---|---|---|---|---|---|---|---|---:|---|---|",
        ]
        for f in group:
            country = statuses.get(f.country or "")
            where = f.country or ("not stated" if picture.derived else "unknown")
            parent = f" (parent: {f.parent_country})" if f.parent_country else ""
            where_unverified, entity_unverified, laws_unverified = unverified(f)
            cells = [
                cell(f.component or f.deployment),
                md(flow_name(f)),
                md(where + (f" ({country.name})" if country else ""))
                + (UNVERIFIED if where_unverified else ""),
                md(words[country.status] if country else "—"),
                md((f.entity or "—") + parent) + (UNVERIFIED if entity_unverified else ""),
                _laws_cell(laws_shown(f, picture.derived), laws_unverified),
                CLEAR_WORDS[f.clear_text_reachable],
                *(md(text) for text in risk_cells(f)),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        own = own_values(group)
        lines += ["", *(f"- {md(line)}" for line in own), ""] if own else [""]
        _lines(out, lines)


def _laws_cell(laws: tuple[str, ...] | None, unverified: frozenset[str] = frozenset()) -> str:
    if laws is None:
        return "unknown"
    return (
        ", ".join(cell(j) + (UNVERIFIED if j in unverified else "") for j in laws) or "none known"
    )


def _findings(report: Report, out: TextIO) -> None:
    _lines(out, ["## Findings by legal instrument", ""])
    if not report.findings:
        _lines(out, ["No findings.", ""])
        return
    later = later_prose_note(report)
    if later is not None:
        _lines(out, [md(later), ""])
    notes = rule_notes(report)
    day = report.as_of
    with written_by_instrument(
        report.findings, lambda f, _: "".join(f"{line}\n" for line in _finding(f, notes, day))
    ) as instruments:
        for group in instruments:
            heading = link(group.name, group.url) if group.url else md(group.name)
            _lines(out, [f"### {heading}", ""])
            for chunk in group.chunks():
                out.write(defused(chunk))


def _finding(f: Finding, notes: dict[str, str], day: dt.date) -> list[str]:
    status = "" if f.status is Status.OPEN else f" — **{STATUS_WORDS[f.status]}**"
    unverifiable = " (cannot be verified)" if f.unverifiable else ""
    out = [
        f"#### {f.severity.label.upper()} {md(f.rule_id)}: {md(f.title)}{status}",
        "",
        f"{code(f.span)} — {code(target(f))}{unverifiable}",
        "",
        paragraph(f.message),
        "",
    ]
    out.append("References:")
    out += [
        f"- {link(r.label, r.url)}{f' ({md(r.dates_on(day))})' if r.dates_on(day) else ''}"
        for r in f.references
    ]
    if f.rule_id in notes:
        out += ["", f"Caveats of the rule: {prose(notes[f.rule_id])}"]
    out += ["", "Facts used:"]
    out += [f"- {_fact(x)}" for x in f.facts]
    out += ["", f"Remediation: {prose(f.remediation)}", ""]
    if f.waiver is not None:
        w = f.waiver
        state = "waived" if f.status is Status.WAIVED else "waiver **expired**"
        out += [
            f"{state.capitalize()}: {md(w.justification)} — approved by {md(w.approved_by)},"
            f" expires {w.expires.isoformat()}"
            + (f", evidence {_evidence(w.evidence)}" if w.evidence else ""),
            "",
        ]
    return out


UNVERIFIED = " **(unverified)**"
"""Marks a fact, or a flows-table value, from an unverified knowledge-base entry."""


def _fact(x: Fact) -> str:
    value = value_text(x.value)
    source = link(x.origin, x.url) if x.url else code(x.origin)
    flag = UNVERIFIED if not x.verified else ""
    return f"{code(x.path)} = {md(value)} — {source}{flag}"


def _evidence(evidence: str) -> str:
    """A waiver's evidence: a link when it is a web address, else shown as written."""
    return link(evidence, evidence) if _WEB.match(evidence.strip()) else code(evidence)


def _waivers(report: Report) -> list[str]:
    if not report.waivers:
        return []
    out = [
        "## Waivers",
        "",
        "| Rule | Target | Approved by | Expires | In force | Justification |",
        "|---|---|---|---|---|---|",
    ]
    for w in report.waivers:
        where = str(w.target)  # with the countries it is narrowed to, if any
        in_force = "yes" if w.expires >= report.as_of else "**no (expired)**"
        out.append(
            f"| {md(w.rule)} | {cell(where)} | {md(w.approved_by)} | {w.expires.isoformat()} | "
            f"{in_force} | {md(w.justification)} |"
        )
    return [*out, ""]


def _manifest(report: Report) -> list[str]:
    out = ["## Manifest", "", f"- Tool: residency-audit {report.tool_version}"]
    if report.code is not None:
        commit = report.code.commit
        out.append(
            f"- {code_label(report)}: source SHA-256 {code(report.code.sha256)}, commit "
            + (f"{code(commit)} ({CODE_COMMIT})" if commit else NO_COMMIT)
        )
    else:
        out.append(f"- {code_label(report)}: {code_unknown(report)}")
    made = generated(report)
    if made is not None:
        out.append(f"- {made[0]}: {prose(made[1])}")
    if report.invocation is not None:
        source = report.invocation.rendered_from
        if source is not None:
            out.append(f"- Audited with: {md(AUDITED_UNKNOWN)}")
            out.append(f"- Rendered from {code(source.path)} (sha256 {code(source.sha256)})")
        command, reproduce = command_labels(report)
        out.append(f"- {command}: {code(report.invocation.command_line)}")
        out.append(f"- {reproduce}: {code(reproduce_command(report))}")
    if report.invocation is not None and report.invocation.from_source:
        # said only when known: a saved result re-rendered, or a library caller's report, may
        # come from a run that read the parse cache
        out.append("- Knowledge and rules parsed from source (no cache)")
    unrecorded = parameters_unknown(report)
    if report.parameters:
        out.append("- Parameters: " + ", ".join(code(p) for p in parameters_text(report)))
    elif unrecorded is not None:
        out.append(f"- Parameters: {md(unrecorded)}")
    if report.bundled_at:
        out.append("- Bundled files, on the machine that ran the audit:")
        out += [
            f"  - {md(what)}: {code(name)} is {code(path)}" for what, name, path in located(report)
        ]
    unknown = not_located(report)
    if unknown is not None:
        out.append(f"- Bundled files and rule pack directories: {prose(unknown)}")
    out += ["", "| Kind | File | SHA-256 |", "|---|---|---|"]
    out += [
        f"| {md(i.role)} | {cell(i.path)} | {cell(i.sha256) or 'unreadable'} |"
        for i in report.inputs
    ]
    directories = dict(report.pack_dirs)
    out += [
        f"| rule pack {md(p.name)} {md(p.version)} | "
        + (f"{cell(directories[p.name])}, " if p.name in directories else "")
        + f"{p.rules} rules | {cell(p.sha256)} |"
        for p in report.packs
    ]
    out += [f"| knowledge | {cell(name)} | {cell(digest)} |" for name, digest in report.knowledge]
    if report.risk_model is not None:
        path, digest = report.risk_model
        out.append(f"| risk model | {cell(path)} | {cell(digest)} |")
    return [*out, "", *_verify(report)]


def _verify(report: Report) -> list[str]:
    """How an expert checks the report: the hashes to recompute, and what compares on a re-run."""
    out = ["### How to verify", "", f"- {prose(verify_inputs(report))}", f"- {prose(VERIFY_PACKS)}"]
    out.append(f"- {prose(VERIFY_CODE)}")
    command = json_command(report)
    if command is not None:
        out.append(f"- Re-run: {code(command)} {prose(verify_rerun(report))}")
    elif report.invocation is not None and report.invocation.rendered_from is not None:
        out.append(f"- {prose(VERIFY_RENDERED)}")
    return [*out, ""]

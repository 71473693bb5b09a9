"""Self-contained HTML evidence report for lawyers: scope and as-of date, the CI gate, banners
(partial audit, input errors, stale or unverified knowledge), the summary (failed checks apart
from findings that cannot be verified), the data-flow picture and the flows with their transfer
risk, findings grouped by legal instrument with references, their rule's caveats and the facts
used (sources, unverified marked), waivers, and a manifest with the parameters, where the
bundled files and rule packs are, and the SHA-256 of every input, rule pack and knowledge file.

Inline CSS and SVG only (no script, font or image fetched), print-ready (`@page`, A4), and
deterministic: the timestamp comes from `Report.invocation`. Written as it goes (`write`), so a
batch's page does not have to fit in memory. jinja2 is imported here only, and this module only
when HTML or PDF is asked for.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from residency_audit.model import Finding, Report, Severity, Status
from residency_audit.reporters import common, flowmap, flows

if TYPE_CHECKING:
    import jinja2


def render(report: Report) -> str:
    out = io.StringIO()
    write(report, out)
    return out.getvalue()


def write(report: Report, out: TextIO) -> None:
    """The page, written as the template produces it: each finding is rendered once, as the
    findings are read, into its instrument's group (`common.written_by_instrument`), and the
    picture and the flows tables are drawn from the flows as they are read, so a batch's page
    never sits whole in memory."""
    env = _environment()
    article = env.get_template("finding.html.j2").module.finding  # type: ignore[attr-defined]
    notes = common.rule_notes(report)

    def written(finding: Finding, n: int) -> str:
        return str(article(finding, n, notes.get(finding.rule_id), report.as_of))

    picture = flowmap.picture_flows(report)
    with common.written_by_instrument(report.findings, written) as groups:
        page = env.get_template("report.html.j2").generate(
            **context(report, picture),
            groups=groups,
            flowmap_svg=_markup(flowmap.svg_parts(report, picture)),
            flow_groups=flows.groups(picture.flows),
            descriptions=common.descriptions(report),
        )
        for chunk in page:
            out.write(chunk)


@functools.cache
def _environment() -> jinja2.Environment:
    """The templates' environment, made once: it keeps them compiled."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("residency_audit", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        Status=Status, target=common.target, value_text=common.value_text, prose=_prose
    )
    return env


def _prose(text: str) -> str:
    """A rule's own prose (caveats, remediation), escaped, its `code spans` as `<code>`
    (`common.code_spans`)."""
    from markupsafe import Markup, escape

    parts = common.code_spans(text)
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if i % 2 else escape(part)
        for i, part in enumerate(parts)
    )


def _markup(lines: Iterator[str]) -> Iterator[str]:
    """flowmap escapes every text it draws: its SVG is markup, not text."""
    from markupsafe import Markup

    for line in lines:
        yield Markup(line)


def context(report: Report, picture: flowmap.Picture | None = None) -> dict[str, Any]:
    deployments = common.audited_deployments(report)
    countries = {c.code: c for c in report.countries}
    return {
        "r": report,
        "deployments": deployments,
        "title": f"Data residency audit — {', '.join(deployments) or 'no deployment'} — "
        f"as of {report.as_of.isoformat()}{common.scope_mark(report)}",
        "scope_mark": common.scope_mark(report),
        "unaudited": common.unaudited(report),
        "timestamp": common.timestamp(report),
        "generated": common.generated(report),
        "future": common.future_note(report),
        "prose_note": common.later_prose_note(report),
        "gate": common.gate(report),
        "parameters": common.parameters_text(report),
        "parameters_unknown": common.parameters_unknown(report),
        "located": common.located(report),
        "not_located": common.not_located(report),
        "pack_dirs": dict(report.pack_dirs),
        "reproduce": common.reproduce_command(report),
        "command_labels": common.command_labels(report),
        "audited_unknown": common.AUDITED_UNKNOWN,
        "json_command": common.json_command(report),
        "verify": (common.verify_inputs(report), common.VERIFY_PACKS, common.VERIFY_CODE),
        "code_unknown": common.code_unknown(report),
        "code_label": common.code_label(report),
        "code_commit": common.CODE_COMMIT,
        "no_commit": common.NO_COMMIT,
        "verify_rerun": common.verify_rerun(report),
        "verify_rendered": common.VERIFY_RENDERED,
        "findings_phrase": common.findings_phrase(report),
        "unverifiable": common.unverifiable_count(report),
        "unverifiable_why": common.UNVERIFIABLE_WHY,
        "not_legal_advice": common.not_legal_advice(report),
        "summary_note": common.SUMMARY_NOTE,
        "picture": picture or flowmap.picture_flows(report),
        "countries": countries,
        "country_words": common.country_status_words(report.as_of),
        "assumed_on": common.assumed_on(report),
        "severities": list(reversed(Severity)),
        "caption": flows.caption_sentence,
        "clear_words": flows.CLEAR_WORDS,
        "risk_cells": flows.risk_cells,
        "flow_name": flows.flow_name,
        "laws_shown": flows.laws_shown,
        "unverified": flows.unverified,
        "own_values": flows.own_values,
        "own_mark": flows.OWN,
    }

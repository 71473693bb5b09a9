"""Self-contained HTML evidence report for lawyers: scope and as-of date, verdict, banners
(partial audit, input errors, stale or unverified knowledge), the data-flow picture, findings
grouped by legal instrument with references and the facts used (sources, unverified marked),
waivers, and a manifest with the SHA-256 of every input, rule pack and knowledge file.

Inline CSS and SVG only (no script, font or image fetched), print-ready (`@page`, A4), and
deterministic: the timestamp comes from `Report.invocation`. jinja2 is imported here only, and
this module only when HTML or PDF is asked for.
"""

from __future__ import annotations

from typing import Any

from residency_audit.model import Report, Severity, Status
from residency_audit.reporters import common, flowmap


def render(report: Report) -> str:
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("residency_audit", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    template = env.get_template("report.html.j2")
    # flowmap escapes every text it draws; the SVG is markup, not text
    return template.render(**context(report), flowmap_svg=Markup(flowmap.svg(report)))


def context(report: Report) -> dict[str, Any]:
    picture = flowmap.picture_flows(report)
    deployments = sorted({i.deployment for i in report.inputs if i.deployment})
    countries = {c.code: c for c in report.countries}
    return {
        "r": report,
        "deployments": deployments,
        "title": f"Data residency audit — {', '.join(deployments) or 'no deployment'} — "
        f"as of {report.as_of.isoformat()}",
        "timestamp": common.timestamp(report),
        "verdict": common.verdict(report),
        "failed": bool(report.invocation and report.exit_code(report.invocation.fail_on)),
        "reproduce": common.reproduce_command(report),
        "groups": common.by_instrument(report.findings),
        "picture": picture,
        "countries": countries,
        "country_words": common.COUNTRY_STATUS_WORDS,
        "severities": [s.label for s in reversed(Severity)],
        "Status": Status,
        "target": common.target,
        "value_text": common.value_text,
    }

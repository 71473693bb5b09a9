"""Report renderers, one module per format, each `render(report) -> str` (PDF: bytes).

`render(report, fmt)` is the one place that maps an `OutputFormat` to its module; the match is
closed with `assert_never`, so a format without a branch is a type error. `streamed(fmt, ...)`
gives the writers that write to a stream as they go (a batch's output is too large to hold):
every format but PDF, which weasyprint lays out whole. Modules are imported in their branch
only: jinja2 and weasyprint load when HTML or PDF is asked for, not on every run.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Sequence
from enum import StrEnum
from functools import partial
from typing import TextIO, assert_never

from residency_audit.model import Finding, Flow, Report, RuleInfo, Severity


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    HTML = "html"
    PDF = "pdf"


BINARY = frozenset({OutputFormat.PDF})

Writer = Callable[[Report, TextIO], None]

RunTexts = tuple[
    Callable[[Sequence[Finding]], str | bytes], Callable[[Sequence[Flow]], str | bytes]
]
"""How a format writes one run (a file's part) of a report's findings, and of its flows
(bytes are UTF-8)."""

EVIDENCE = frozenset({OutputFormat.MARKDOWN, OutputFormat.HTML, OutputFormat.PDF})
"""What lawyers file: their manifest hashes the knowledge and rules, so a run writing one parses
them from source, never the parse cache (`pipeline.Options.from_source`)."""

WRITTEN_BY_RUN = frozenset({OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.SARIF})
"""Formats whose streamed writer takes a batch's findings and flows as texts its workers wrote
(`run_texts`): nothing in them depends on more than one file's items at a time."""


class NotByRun(Exception):
    """A run writer cannot write these items alone: the worker sends the items instead."""


def put(out: TextIO, chunk: str | bytes) -> None:
    """Write `chunk` to `out`; bytes (UTF-8 texts from batch workers) go to a UTF-8 stream's
    buffer as they are, so the parent never decodes and re-encodes a batch's gigabytes."""
    if isinstance(chunk, str):
        out.write(chunk)
        return
    buffer = getattr(out, "buffer", None)
    if buffer is None or codecs.lookup(getattr(out, "encoding", None) or "ascii").name != "utf-8":
        out.write(chunk.decode("utf-8"))
        return
    out.flush()  # what was written as text goes first
    buffer.write(chunk)


def run_texts(fmt: OutputFormat, rules: Sequence[RuleInfo]) -> RunTexts:
    """The functions format `fmt` (one of `WRITTEN_BY_RUN`) writes a run of findings and a run
    of flows with, for an audit by `rules` (the report's `rules`); its streamed writer uses the
    same ones, so the bytes cannot differ. They may raise `NotByRun`."""
    match fmt:
        case OutputFormat.TEXT:
            from residency_audit.reporters import text

            return text.findings_text, text.flows_text
        case OutputFormat.JSON:
            from residency_audit.reporters import json

            return json.findings_text, json.flows_text
        case OutputFormat.SARIF:
            from residency_audit.reporters import sarif

            return sarif.results_writer(rules), _no_text
        case _:
            raise ValueError(f"{fmt} is not written by run")


def _no_text(items: Sequence[Flow]) -> bytes:
    return b""  # the format does not show them


def streamed(
    fmt: OutputFormat, fail_on: Severity | None, jobs: int = 1, *, text_errors: bool = True
) -> Writer | None:
    """The writer of a format written a file's or a deployment's findings at a time (text,
    JSON, SARIF, JUnit; Markdown and HTML, whose findings wait grouped by instrument in
    temporary files), or None for PDF, built whole by `render`. `jobs` processes encode a
    batch's JSON; `fail_on` gives the text its verdict, and `text_errors` false leaves the
    input errors' lines out of it (shown on stderr)."""
    match fmt:
        case OutputFormat.TEXT:
            from residency_audit.reporters import text

            return partial(text.write, fail_on=fail_on, errors=text_errors)
        case OutputFormat.JSON:
            from residency_audit.reporters import json

            return partial(json.write, jobs=jobs)
        case OutputFormat.SARIF:
            from residency_audit.reporters import sarif

            return sarif.write
        case OutputFormat.JUNIT:
            from residency_audit.reporters import junit

            return junit.write
        case OutputFormat.MARKDOWN:
            from residency_audit.reporters import markdown

            return markdown.write
        case OutputFormat.HTML:
            from residency_audit.reporters import html

            return html.write
        case _:
            return None


def render(report: Report, fmt: OutputFormat) -> str | bytes:
    """`report` in format `fmt` (text honours the --fail-on recorded in `report.invocation`)."""
    match fmt:
        case OutputFormat.TEXT:
            from residency_audit.reporters import text

            return text.render(report, report.invocation.fail_on if report.invocation else None)
        case OutputFormat.JSON:
            from residency_audit.reporters import json

            return json.render(report)
        case OutputFormat.SARIF:
            from residency_audit.reporters import sarif

            return sarif.render(report)
        case OutputFormat.JUNIT:
            from residency_audit.reporters import junit

            return junit.render(report)
        case OutputFormat.MARKDOWN:
            from residency_audit.reporters import markdown

            return markdown.render(report)
        case OutputFormat.HTML:
            from residency_audit.reporters import html

            return html.render(report)
        case OutputFormat.PDF:
            from residency_audit.reporters import pdf

            return pdf.render_pdf(report)
        case _:
            assert_never(fmt)

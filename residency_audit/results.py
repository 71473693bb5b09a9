"""Saved JSON results read back: as a baseline (`--baseline`) or to re-render (`report`).

Baseline identity is file + deployment + component + rule id + message, not the line, so a
finding stays baselined when unrelated lines move, while a new place, country or party of the
same component and rule (a backup copy to another country, a second processor) is new: its
message names it. A message reworded by a new version of the tool makes its findings new too
(fail closed: regenerate the baseline). The file is compared as a path relative to the working
directory, however it was spelled. Findings that were *waived* in the baseline are not part of
it: otherwise an expired waiver would be silently replaced by the baseline.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from residency_audit.errors import InputError
from residency_audit.loader import read_bytes
from residency_audit.model import Finding, InputFile, Report, Span, Status
from residency_audit.records import Record, record
from residency_audit.reporters.json import from_dict

RESULT_MAX_BYTES = 256 * 1024 * 1024
"""Largest saved result read back. A result is JSON (no aliases to expand: memory grows with the
size, about ten times it once parsed); a batch's result is about 300 KB per deployment file, so
this covers a baseline of several hundred files. Larger batches: one result per directory."""

Identity = tuple[str, str, str | None, str, str]
"""(file, deployment, component, rule id, message)."""


@record
class SavedResult(Record):
    report: Report
    input: InputFile


def read_result(path: Path, *, role: str) -> SavedResult:
    """Read the output of `check --format json`; anything else is an input error."""
    display = str(path)
    raw = read_bytes(path, display, RESULT_MAX_BYTES, kind="JSON result")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError.at(
            Span(display, 1, 1),
            "not UTF-8 text; expected a JSON result of `residency-audit check --format json`",
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError.at(
            Span(display, exc.lineno, exc.colno), f"invalid JSON: {exc.msg}"
        ) from None
    except RecursionError:  # nesting no result has: refused, not a crash
        raise InputError.at(
            Span(display, 1, 1), "JSON nested too deeply; not a residency-audit result"
        ) from None
    tool = data.get("tool") if isinstance(data, dict) else None
    if not isinstance(tool, dict) or tool.get("name") != "residency-audit":
        raise InputError.at(
            Span(display, 1, 1),
            "not a residency-audit result; expected the "
            "output of `residency-audit check --format json`",
        )
    try:
        report = from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise InputError.at(
            Span(display, 1, 1),
            f"incomplete residency-audit result "
            f"({type(exc).__name__}: {exc}); regenerate "
            "it with this version",
        ) from None
    digest = hashlib.sha256(raw).hexdigest()
    return SavedResult(report, InputFile(display, digest, None, role=role))


def identity(finding: Finding) -> Identity:
    return (
        _same_path(finding.span.path),
        finding.deployment,
        finding.component,
        finding.rule_id,
        finding.message,
    )


@functools.lru_cache(maxsize=4096)
def _same_path(path: str) -> str:
    """`dep.yaml`, `./dep.yaml` and `/work/dep.yaml` (run in /work) are one file."""
    try:
        return os.path.relpath(os.path.abspath(path))
    except ValueError:  # another drive (Windows)
        return os.path.abspath(path)


def baseline_identities(report: Report) -> frozenset[Identity]:
    return frozenset(identity(f) for f in report.findings if f.status is not Status.WAIVED)


def apply_baseline(findings: Iterable[Finding], known: frozenset[Identity]) -> list[Finding]:
    """Open findings already in the baseline become `baselined`; waived ones stay waived."""
    return [
        dataclasses.replace(f, status=Status.BASELINED)
        if f.status is Status.OPEN and identity(f) in known
        else f
        for f in findings
    ]

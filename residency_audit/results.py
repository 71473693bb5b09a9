"""Saved JSON results read back: as a baseline (`--baseline`) or to re-render (`report`).

Baseline identity is file + deployment + component + rule id + message, not the line, so a
finding stays baselined when unrelated lines move, while a new place, country or party of the
same component and rule (a backup copy to another country, a second processor) is new: its
message names it. A message reworded by a new version of the tool makes its findings new too
(fail closed: regenerate the baseline). The file is compared as a path relative to the working
directory, however it was spelled. Findings that were *waived* in the baseline are not part of
it: otherwise an expired waiver would be silently replaced by the baseline.

Since a new version's wording makes old findings new, `baseline_mismatch` compares the tool
version and the rule-pack and knowledge-base hashes the baseline records with the run's, so the
CLI can warn that the baseline should be regenerated (the exit code is not changed by it).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from residency_audit.errors import AuditError, InputError
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


_HEADER = ("tool", "rule_packs", "knowledge")
"""The members of a result saying what made it; the JSON reporter writes them before the
findings, so reading them back does not parse the findings."""


def _provenance(members: dict[str, Any]) -> tuple[str, dict[str, tuple[str, str]], dict[str, str]]:
    """(tool version, {pack: (version, sha256)}, {knowledge file: sha256}) of a result, as text
    fit for one line of stderr: a baseline is an input, and a line break in its version must
    not forge a line of the CI log."""
    packs = {
        _shown(p["name"]): (_shown(p["version"]), _shown(p["sha256"]))
        for p in members["rule_packs"]
    }
    knowledge = {_shown(k["path"]): _shown(k["sha256"]) for k in members["knowledge"]["files"]}
    return _shown(members["tool"]["version"]), packs, knowledge


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _shown(value: Any) -> str:
    """A value of a saved result as one printable line (control and bidi characters shown as
    `?`, at most 80 characters); a value that is not text is shown as JSON."""
    text = value if isinstance(value, str) else json.dumps(value)
    return _UNPRINTABLE.sub("?", text)[:80]


def _header(text: str) -> dict[str, Any]:
    """The `_HEADER` members of a result's top-level object, member by member, stopping once
    they are read. Raises ValueError on anything but a JSON object."""
    decoder, out = json.JSONDecoder(), dict[str, Any]()
    i = _blank(text, 0)
    if text[i : i + 1] != "{":
        raise ValueError("not a JSON object")
    i = _blank(text, i + 1)
    while len(out) < len(_HEADER) and text[i : i + 1] == '"':
        key, i = decoder.raw_decode(text, i)
        i = _blank(text, i)
        if text[i : i + 1] != ":":
            raise ValueError("expected ':'")
        value, i = decoder.raw_decode(text, _blank(text, i + 1))
        if key in _HEADER:
            out[key] = value
        i = _blank(text, i)
        if text[i : i + 1] == ",":
            i = _blank(text, i + 1)
    return out


def _blank(text: str, i: int) -> int:
    while text[i : i + 1] in (" ", "\t", "\n", "\r"):
        i += 1
    return i


def baseline_mismatch(path: Path, report: Report) -> str | None:
    """A warning when the baseline at `path` was made by another tool version, or with rule
    packs or knowledge-base files of the same name but other contents, than `report`; None when
    they agree, or when the baseline can no longer be read (it was read for the run already).
    Packs or files only one side has (`--rules`, DNS knowledge) are a choice of options, not a
    version change, and are left out."""
    display = str(path)
    try:
        raw = read_bytes(path, display, RESULT_MAX_BYTES, kind="JSON result")
        old_version, old_packs, old_knowledge = _provenance(_header(raw.decode("utf-8-sig")))
    except (AuditError, ValueError, KeyError, TypeError, RecursionError):
        return None
    changes = [
        f"rule pack {name} {old_packs[name][0]} -> {version}"
        if old_packs[name][0] != version
        else f"rule pack {name} {version} (sha256 {old_packs[name][1][:12]} -> {digest[:12]})"
        for name, version, digest in sorted((p.name, p.version, p.sha256) for p in report.packs)
        if name in old_packs and old_packs[name][1] != digest
    ] + [
        f"knowledge {name} (sha256 {old_knowledge[name][:12]} -> {digest[:12]})"
        for name, digest in sorted(report.knowledge)
        if name in old_knowledge and old_knowledge[name] != digest
    ]
    if old_version == report.tool_version and not changes:
        return None
    differing = f"; changed: {', '.join(changes)}" if changes else ""
    return (
        f"{display}:1:1: warning: baseline made by residency-audit {old_version}, this run is "
        f"residency-audit {report.tool_version}{differing}. Findings whose message this "
        "version words differently count as new, not baselined: review the open findings, then "
        "regenerate the baseline with this version (residency-audit check, same paths and "
        f"options, --format json --output {display})"
    )

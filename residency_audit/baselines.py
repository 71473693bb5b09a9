"""Baselines: a saved result (`check --format json`) whose findings are set aside (`--baseline`).

Baseline identity is file + deployment + component + subject + rule id + message, not the line,
so a finding stays baselined when unrelated lines move, while a new place, country or party of
the same component and rule (a backup copy to another country, a second processor) is new: its
message names it, and its subject (`Finding.subject`: `party:host-b`, `place:db/backup@us-east-1`)
tells it apart even when the message does not (a second backup copy in the same country). A
baseline saved before findings named their subject matches on the rest, as it did when it was
made (else every finding of an upgrade would be new and fail the gate). A message reworded by a
new version of the tool makes its findings new too (fail closed: regenerate the baseline). The
file is compared as a path relative to the working directory, however it was spelled. Findings
that were *waived* in the baseline are not set aside by it: otherwise an expired waiver would be
silently replaced by the baseline. Every finding the baseline holds, waived or not, then or now,
is marked `in_baseline` all the same (SARIF's `baselineState`: "unchanged", not "new").

Since a new version's wording makes old findings new, `baseline_mismatch` compares the tool
version and the rule-pack and knowledge-base hashes the baseline records with the run's, so the
CLI can warn that the baseline should be regenerated (the exit code is not changed by it);
`baseline_moved` warns, the same way, of a deployment the baseline holds under another path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from residency_audit.errors import AuditError
from residency_audit.jsonstream import drop
from residency_audit.loader import open_input
from residency_audit.model import Finding, InputFile, Report, Status
from residency_audit.records import Record, record
from residency_audit.results import LISTS, UNPRINTABLE, check_baseline, read_members

Identity = tuple[str, str, str | None, str | None, str, str]
"""(file, deployment, component, subject, rule id, message); subject None for a finding of a
result saved before findings named it."""


@record
class Baseline(Record):
    identities: frozenset[Identity]
    """The findings it sets aside: all but those it waived."""
    input: InputFile
    present: frozenset[Identity] = frozenset()
    """Every finding it holds, waived ones included (`Finding.in_baseline`)."""


def read_baseline(path: Path) -> Baseline:
    """The identities of the findings of a saved result (`--baseline`): those it sets aside
    (all but the waived) and all it holds, read item by item and nothing else kept: its input
    errors are read one by one and dropped (a run's own result can hold a million, more than
    `jsonstream.MAX_VALUE` as one value)."""
    known: set[Identity] = set()
    present: set[Identity] = set()

    def take(f: Finding) -> None:
        present.add(identity(f))
        if f.status is not Status.WAIVED:
            known.add(identity(f))

    shown = check_baseline(path, take)
    return Baseline(frozenset(known), shown, frozenset(present))


def identity(finding: Finding, *, subject: bool = True) -> Identity:
    """What makes `finding` the same finding in another run; without its `subject`, as a
    baseline saved before findings named it identifies it."""
    return (
        _same_path(finding.span.path),
        finding.deployment,
        finding.component,
        finding.subject if subject else None,
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


def apply_baseline(
    findings: Iterable[Finding],
    known: frozenset[Identity],
    present: frozenset[Identity] = frozenset(),
) -> list[Finding]:
    """Open findings already in the baseline (`known`) become `baselined`; waived ones stay
    waived. Every finding the baseline holds (`known`, or `present`: waived there included) is
    marked `in_baseline`, whatever its status, so SARIF says it is not new. A baseline finding
    that names no subject (an older result) matches on the rest."""
    out = []
    for f in findings:
        if f.status is Status.OPEN and _held(f, known):
            f = dataclasses.replace(f, status=Status.BASELINED, in_baseline=True)
        elif _held(f, known) or _held(f, present):
            f = dataclasses.replace(f, in_baseline=True)
        out.append(f)
    return out


def _held(f: Finding, identities: frozenset[Identity]) -> bool:
    return identity(f) in identities or identity(f, subject=False) in identities


_HEADER = ("tool", "rule_packs", "knowledge")
"""The members of a result saying what made it; the JSON reporter writes them before the
findings, so reading them stops before the findings."""


def _provenance(members: dict[str, Any]) -> tuple[str, dict[str, tuple[str, str]], dict[str, str]]:
    """(tool version, {pack: (version, sha256)}, {knowledge file: sha256}) of a result, as text
    fit for one line of stderr: a baseline is an input, and a line break in its version must
    not forge a line of the CI log. Packs or knowledge files it does not list as a result does
    are left out (the version still tells): the warning is not lost for want of them."""
    packs: dict[str, tuple[str, str]] = {}
    knowledge: dict[str, str] = {}
    with contextlib.suppress(KeyError, TypeError, AttributeError):
        packs = {
            _shown(p["name"]): (_shown(p["version"]), _shown(p["sha256"]))
            for p in members["rule_packs"]
        }
    with contextlib.suppress(KeyError, TypeError, AttributeError):
        knowledge = {_shown(k["path"]): _shown(k["sha256"]) for k in members["knowledge"]["files"]}
    return _shown(members["tool"]["version"]), packs, knowledge


def _shown(value: Any) -> str:
    """A value of a saved result as one printable line (control and bidi characters shown as
    `?`, at most 80 characters); a value that is not text is shown as JSON."""
    text = value if isinstance(value, str) else json.dumps(value)
    return UNPRINTABLE.sub("?", text)[:80]


def baseline_moved(path: Path, report: Report) -> str | None:
    """A warning when a deployment this run audits is in the baseline under another file path
    (`deploy/records.yaml` there, `records.yaml` here: the run is in another directory, or the
    file moved), so that none of its findings can be set aside: identity compares the file's
    path relative to the working directory. None when every such deployment keeps its path, or
    when the baseline can no longer be read (it was read for the run already)."""
    display = str(path)
    try:
        with open_input(path, display, kind="JSON result") as (handle, _):
            header = read_members(
                handle,
                display,
                dict.fromkeys(LISTS, drop),
                keep=frozenset({"inputs"}),
                stop_after=frozenset({"inputs"}),
            )
        then = {
            i["deployment"]: i["path"]
            for i in header["inputs"]
            if i.get("role", "deployment") == "deployment"
            and isinstance(i.get("deployment"), str)
            and isinstance(i.get("path"), str)
        }
    except (AuditError, KeyError, TypeError, AttributeError):
        return None
    moved = sorted(
        (i.deployment, then[i.deployment], i.path)
        for i in report.inputs
        if i.role == "deployment"
        and i.deployment is not None
        and i.deployment in then
        and _same_path(then[i.deployment]) != _same_path(i.path)
    )
    if not moved:
        return None
    said = "; ".join(f"{_shown(n)} in {_shown(old)}, here {_shown(new)}" for n, old, new in moved)
    return (
        f"{display}:1:1: warning: the baseline holds deployments of this run under other file "
        f"paths ({said}): a baseline matches a finding by its file's path relative to the "
        "directory the audit runs in, so none of their findings is set aside. Run the audit "
        "from the directory the baseline was made in (the repository's root in CI), or "
        "regenerate the baseline"
    )


def baseline_mismatch(path: Path, report: Report) -> str | None:
    """A warning when the baseline at `path` was made by another tool version, or with rule
    packs or knowledge-base files of the same name but other contents, than `report`; None when
    they agree, or when the baseline can no longer be read (it was read for the run already).
    Packs or files only one side has (`--rules`, DNS knowledge) are a choice of options, not a
    version change, and are left out."""
    display = str(path)
    skip = dict.fromkeys(LISTS, drop)
    try:
        with open_input(path, display, kind="JSON result") as (handle, _):
            header = read_members(
                handle, display, skip, keep=frozenset(_HEADER), stop_after=frozenset(_HEADER)
            )
        old_version, old_packs, old_knowledge = _provenance(header)
    except (AuditError, KeyError, TypeError, AttributeError):
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

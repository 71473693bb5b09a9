"""Saved JSON results read back: as a baseline (`--baseline`) or to re-render (`report`).

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
CLI can warn that the baseline should be regenerated (the exit code is not changed by it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import operator
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from residency_audit.collation import ERROR_VALUES, flow_key
from residency_audit.errors import AuditError, InputError
from residency_audit.jsonstream import ItemError, JSONStreamError, Readable, drop, read_object
from residency_audit.loader import open_input
from residency_audit.model import (
    Check,
    Diagnostic,
    Finding,
    Flow,
    InputFile,
    Report,
    Span,
    Status,
)
from residency_audit.records import Record, record
from residency_audit.reporters.jsonread import (
    MemberError,
    from_members,
    read_check,
    read_day,
    read_error,
    read_finding,
    read_flow,
    read_rule,
    read_waiver,
)
from residency_audit.reporters.junit import XML_INVALID
from residency_audit.spool import Spool

Identity = tuple[str, str, str | None, str | None, str, str]
"""(file, deployment, component, subject, rule id, message); subject None for a finding of a
result saved before findings named it."""

_LISTS = ("findings", "flows", "checks")
"""The members of a result that grow with the batch, read item by item (`jsonstream`): a
1,000-file batch writes some 300 MB of JSON, which `json.loads` would turn into 1.5 GB."""
_RUN = 1000
"""Items put into a spool at a time, at most."""
_KEPT = frozenset(
    (
        "tool", "as_of", "parameters", "complete", "partial", "inputs", "rule_packs",
        "knowledge", "risk_model", "errors", "summary", "waivers", "rules", "countries",
    )
)  # fmt: skip
"""The members of a result read and kept besides its lists; any other is read and dropped."""


@record
class SavedResult(Record):
    report: Report
    input: InputFile


@record
class Baseline(Record):
    identities: frozenset[Identity]
    """The findings it sets aside: all but those it waived."""
    input: InputFile
    present: frozenset[Identity] = frozenset()
    """Every finding it holds, waived ones included (`Finding.in_baseline`)."""


def read_result(path: Path, *, role: str) -> SavedResult:
    """Read the output of `check --format json`; anything else is an input error. Findings,
    flows, checks and input errors go into spools (`residency_audit.spool`) item by item, so a
    result of any size is read in bounded memory."""
    findings: Spool[Finding] = Spool(Finding.sort_key)
    flows: Spool[Flow] = Spool(flow_key)
    checks: Spool[Check] = Spool()
    errors = Spool(plain=ERROR_VALUES)  # as the result lists them; a hostile batch's: a million
    waivers: list[Any] = []
    kept: dict[str, list[Any]] = {"rules": []}

    def take_waiver(d: Any) -> None:  # read as it comes, so a bad one is named at its place
        read_waiver(d)
        waivers.append(d)

    parts: dict[str, Callable[[Any], None]] = {
        "findings": _Runs(findings, lambda d: (read_finding(d),)),
        "flows": _Runs(flows, lambda d: (read_flow(d),)),
        "checks": _Runs(checks, lambda d: (read_check(d),)),
        "errors": _Runs(errors, lambda d: (_diagnostic(d),), by=_path),
        "waivers": take_waiver,
        "rules": functools.partial(_take, kept["rules"], read_rule),
    }
    members, shown, places = _read(path, role, parts)
    members["waivers"] = waivers
    members.update((name, items) for name, items in kept.items() if name in members)
    try:
        report = from_members(
            members,
            findings=findings.settle(),
            flows=flows.settle(),
            checks=checks.settle(),
            # None (no `errors` member) has `from_members` refuse the result, as any missing one
            errors=errors.settle() if "errors" in members else None,
        )
    except MemberError as exc:  # at its value
        at = Span(shown.path, *places.get(exc.member, (1, 1)))
        named = exc.member in str(exc.cause)  # the reader's message names it
        raise _incomplete(at, exc.cause, None if named else exc.member) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _incomplete(Span(shown.path, 1, 1), exc) from None
    _tallied(report, members["summary"], shown.path, places)
    return SavedResult(report, shown)


def _tallied(
    report: Report, summary: dict[str, Any], display: str, places: Mapping[str, tuple[int, int]]
) -> None:
    """The findings a result lists are those its summary counts, by severity and status (what
    `report` gates on), each waived one names its waiver and each baselined one rests on a
    baseline the result lists as an input: `check` writes no other, so a result edited to lower
    a severity, or to call a finding waived or baselined, is refused, not rendered as
    authentic. (A result edited consistently throughout cannot be told apart: it is not
    signed.) Counts a result written before they existed does not give are not compared."""
    said_at = Span(display, *places.get("summary", (1, 1)))
    for key, counted in (("by_severity", report.counts()), ("by_status", report.status_counts())):
        said = summary.get(key)
        if said is not None and said != counted:
            raise InputError.at(
                said_at,
                f"incomplete residency-audit result: its summary counts {key} "
                f"{json.dumps(said)[:200]}, but its findings are {json.dumps(counted)}",
            )
    baseline = any(i.role == "baseline" for i in report.inputs)
    for f in report.findings:
        problem = (
            "waived, but names no waiver"
            if f.status is Status.WAIVED and f.waiver is None
            else "baselined, but the result lists no baseline among its inputs"
            if f.status is Status.BASELINED and not baseline
            else None
        )
        if problem is not None:
            raise InputError.at(
                Span(display, *places.get("findings", (1, 1))),
                f"incomplete residency-audit result: finding {f.rule_id} at {f.span} is "
                f"{problem}; `check` writes no such finding",
            )


def read_baseline(path: Path) -> Baseline:
    """The identities of the findings of a saved result (`--baseline`): those it sets aside
    (all but the waived) and all it holds, read item by item and nothing else kept: its input
    errors are read one by one and dropped (a run's own result can hold a million, more than
    `jsonstream.MAX_VALUE` as one value)."""
    known: set[Identity] = set()
    present: set[Identity] = set()

    def take(d: Any) -> None:
        f = read_finding(d)
        present.add(identity(f))
        if f.status is not Status.WAIVED:
            known.add(identity(f))

    _, shown, _ = _read(path, "baseline", {"findings": take, "errors": _ignore})
    return Baseline(frozenset(known), shown, frozenset(present))


def _take(items: list[Any], check: Callable[[Any], object], d: Any) -> None:
    """An item of a list kept whole (`rules`), checked as it is read, so a bad one is
    named at its place."""
    check(d)
    items.append(d)


def _texts(*values: Any) -> None:
    """Each value is text, with no character XML cannot hold (a TypeError or ValueError, which
    the reader makes an input error at the item)."""
    for value in values:
        if not isinstance(value, str):
            raise TypeError(f"expected text, got {type(value).__name__}")
        bad = XML_INVALID.search(value)  # JUnit is XML: what it cannot hold, refused
        if bad is not None:
            raise ValueError(f"character U+{ord(bad.group()):04X} in a text")


def _diagnostic(d: Any) -> Diagnostic:
    """An item of `errors`, checked (`_error`) and read."""
    _error(d)
    return read_error(d)


def _path(e: Diagnostic) -> str:
    return e.span.path


def _error(d: Any) -> None:
    """An item of `errors`: every format prints its place, and sorts by it (SARIF)."""
    _texts(d["path"], d["message"])
    bad = _UNPRINTABLE.search(d["path"])
    if bad is not None:  # a line break in the path would forge a line of the CI log
        raise ValueError(f"character U+{ord(bad.group()):04X} in a path")
    for key in ("line", "column"):
        if d[key].__class__ is not int or d[key] < 0:
            raise TypeError(f"expected a {key} number, got {d[key]!r}"[:120])


class _Runs:
    """Items of a result's list into a spool, a deployment's at a time (at most `_RUN`): a
    batch's reporters read a spool run by run for each deployment it holds (JUnit), as the
    audit wrote them, a file's at a time. Input errors, which name no deployment, go a file's
    at a time (`by`)."""

    def __init__(
        self,
        spool: Spool[Any],
        read: Callable[[Any], Iterable[Any]],
        by: Callable[[Any], object] = operator.attrgetter("deployment"),
    ) -> None:
        self.spool, self.read, self.by, self.run = spool, read, by, list[Any]()

    def __call__(self, item: Any) -> None:
        items = list(self.read(item))
        if self.run and (
            len(self.run) >= _RUN or (items and self.by(items[0]) != self.by(self.run[-1]))
        ):
            self.flush()
        self.run += items

    def flush(self) -> None:
        self.spool.add(self.run)  # sorts a run of findings: their keys are checked as read
        self.run = []


def _read(
    path: Path, role: str, parts: Mapping[str, Callable[[Any], None]]
) -> tuple[dict[str, Any], InputFile, dict[str, tuple[int, int]]]:
    """The members of the result at `path` but its lists, whose items go to `parts` (the other
    lists are skipped); the result as an input, with its SHA-256; and the line and column of
    each member's value, where a refusal of it is said."""
    display = str(path)
    skip = dict.fromkeys(_LISTS, drop)
    with open_input(path, display, kind="JSON result") as (handle, _):
        head = _members(handle, display, skip, keep=_KEPT, stop_after=frozenset({"tool"}))
        tool = head.get("tool")
        if not isinstance(tool, dict) or tool.get("name") != "residency-audit":
            raise InputError.at(
                Span(display, 1, 1),
                "not a residency-audit result; expected the "
                "output of `residency-audit check --format json`",
            )
        handle.seek(0)
        digest = _Digest(handle)
        places: dict[str, tuple[int, int]] = {}
        members = _members(digest, display, {**skip, **parts}, keep=_KEPT, places=places)
        shown = InputFile(display, digest.hexdigest(), None, role=role)
    missing = [name for name in _LISTS if name not in members]
    if missing:  # an empty list is a result's, no list is no result (it would read as a pass)
        raise InputError.at(
            Span(display, 1, 1),
            f"incomplete residency-audit result: no {', '.join(missing)}; regenerate it with "
            "this version",
        )
    _consistent(members, display, places)
    try:
        for part in parts.values():
            if isinstance(part, _Runs):
                part.flush()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _incomplete(Span(display, 1, 1), exc) from None
    return members, shown, places


def _consistent(
    members: dict[str, Any], display: str, places: Mapping[str, tuple[int, int]]
) -> None:
    """What a result says of itself agrees with what it lists, and its day is one (as `report`
    reads it, so `--baseline` too): a summary counting errors its list lacks, or a result
    saying it is complete while listing errors, is not one this tool wrote. Each refusal is
    said at the member's value (`places`), else at 1:1 when the member is missing."""

    def at(member: str) -> Span:
        return Span(display, *places.get(member, (1, 1)))

    try:
        read_day(members.get("as_of"), "as_of")
    except ValueError as exc:
        raise _incomplete(at("as_of"), exc) from None
    summary = members.get("summary")
    where = at("summary")
    if not isinstance(summary, dict):
        raise InputError.at(where, "incomplete residency-audit result: no summary object")
    listed = {name: members.get(name) for name in ("findings", "errors")}
    for name, count in listed.items():
        said = summary.get(name)
        if said.__class__ is not int or (isinstance(count, int) and said != count):
            raise InputError.at(
                where,
                f"incomplete residency-audit result: its summary counts {said!r} "[:120]
                + f"{name}, {count} are listed",
            )
    partial = members.get("partial")
    complete = not partial and not listed["errors"]
    if members.get("complete") is not complete:
        raise InputError.at(
            at("complete"),
            f"incomplete residency-audit result: it says complete: "
            f"{json.dumps(members.get('complete'))[:40]}, but lists "
            f"{listed['errors']} error(s) and {len(partial or ())} reason(s) it is partial",
        )


def _members(
    handle: Readable,
    display: str,
    streamed: Mapping[str, Callable[[Any], None]],
    *,
    keep: frozenset[str],
    stop_after: frozenset[str] | None = None,
    places: dict[str, tuple[int, int]] | None = None,
) -> dict[str, Any]:
    """`jsonstream.read_object`, its errors as input errors at their line and column."""
    try:
        return read_object(handle, streamed, keep=keep, stop_after=stop_after, places=places)
    except ItemError as exc:
        raise _incomplete(Span(display, exc.lineno, exc.colno), exc.cause, exc.msg) from None
    except JSONStreamError as exc:
        what = "invalid JSON" if exc.syntax else "not a residency-audit result"
        raise InputError.at(Span(display, exc.lineno, exc.colno), f"{what}: {exc.msg}") from None


def _incomplete(at: Span, exc: Exception, where: str | None = None) -> InputError:
    what = where.split(":", 1)[0] + ": " if where else ""
    return InputError.at(
        at,
        f"incomplete residency-audit result ({what}{type(exc).__name__}: {exc}); regenerate "
        "it with this version",
    )


def _ignore(item: Any) -> None:
    """A list item not needed but counted: parsed (it must be valid JSON) and dropped."""


class _Digest:
    """A file read through, its SHA-256 computed on the way (the evidence manifest's)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle, self._sha = handle, hashlib.sha256()

    def read(self, size: int) -> bytes:
        data = self._handle.read(size)
        self._sha.update(data)
        return data

    def hexdigest(self) -> str:
        self._sha.update(self._handle.read())  # whatever follows what was parsed
        return self._sha.hexdigest()


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


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _shown(value: Any) -> str:
    """A value of a saved result as one printable line (control and bidi characters shown as
    `?`, at most 80 characters); a value that is not text is shown as JSON."""
    text = value if isinstance(value, str) else json.dumps(value)
    return _UNPRINTABLE.sub("?", text)[:80]


def baseline_mismatch(path: Path, report: Report) -> str | None:
    """A warning when the baseline at `path` was made by another tool version, or with rule
    packs or knowledge-base files of the same name but other contents, than `report`; None when
    they agree, or when the baseline can no longer be read (it was read for the run already).
    Packs or files only one side has (`--rules`, DNS knowledge) are a choice of options, not a
    version change, and are left out."""
    display = str(path)
    skip = dict.fromkeys(_LISTS, drop)
    try:
        with open_input(path, display, kind="JSON result") as (handle, _):
            header = _members(
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

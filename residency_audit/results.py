"""Saved JSON results read back: to re-render them (`report`), and for `baselines`, which reads
a saved result as a baseline (`--baseline`). A result is read item by item in bounded memory and
refused, at the member in question, when it is not one `check --format json` could have written.
"""

from __future__ import annotations

import functools
import hashlib
import json
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from residency_audit.collation import ERROR_VALUES, flow_key
from residency_audit.errors import InputError
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
    Tally,
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
    refused_character,
)
from residency_audit.reporters.junit import XML_INVALID
from residency_audit.spool import Spool

LISTS = ("findings", "flows", "checks")
"""The members of a result that grow with the batch, read item by item (`jsonstream`): a
1,000-file batch writes some 300 MB of JSON, which `json.loads` would turn into 1.5 GB."""
_RUN = 1000
"""Items put into a spool at a time, at most."""
_KEPT = frozenset(
    (
        "tool", "as_of", "parameters", "complete", "partial", "inputs", "rule_packs",
        "knowledge", "assumptions", "risk_model", "errors", "summary", "waivers", "rules",
        "countries",
    )
)  # fmt: skip
"""The members of a result read and kept besides its lists; any other is read and dropped."""


@record
class SavedResult(Record):
    report: Report
    input: InputFile


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
    members, shown, places = read_saved(path, role, parts)
    members["waivers"] = waivers
    members.update((name, items) for name, items in kept.items() if name in members)
    report = _report_of(
        members,
        shown.path,
        places,
        findings=findings.settle(),
        flows=flows.settle(),
        checks=checks.settle(),
        # None (no `errors` member) has `from_members` refuse the result, as any missing one
        errors=errors.settle() if "errors" in members else None,
    )
    _tallied(report, members["summary"], shown.path, places)
    return SavedResult(report, shown)


def _report_of(
    members: dict[str, Any],
    display: str,
    places: Mapping[str, tuple[int, int]],
    **lists: Any,
) -> Report:
    """`from_members`, a member it refuses an input error at its value."""
    try:
        return from_members(members, **lists)
    except MemberError as exc:  # at its value
        at = Span(display, *places.get(exc.member, (1, 1)))
        named = exc.member in str(exc.cause)  # the reader's message names it
        raise _incomplete(at, exc.cause, None if named else exc.member) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _incomplete(Span(display, 1, 1), exc) from None


def _tallied(
    report: Report,
    summary: dict[str, Any],
    display: str,
    places: Mapping[str, tuple[int, int]],
    findings: Iterable[Finding] | None = None,
) -> None:
    """The findings a result lists are those its summary counts, by severity and status (what
    `report` gates on), each waived one names its waiver and each baselined one rests on a
    baseline the result lists as an input: `check` writes no other, so a result edited to lower
    a severity, or to call a finding waived or baselined, is refused, not rendered as
    authentic. (A result edited consistently throughout cannot be told apart: it is not
    signed.) Counts a result written before they existed does not give are not compared.
    `findings` are those to look at when the report holds none (a baseline's, counted in its
    `tally` as they were read)."""
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
    for f in report.findings if findings is None else findings:
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


def check_baseline(path: Path, take: Callable[[Finding], None]) -> InputFile:
    """Read a saved result as a baseline: each finding goes to `take` as it is read, and the
    result is checked as `report` checks it (`read_result`), but for its `flows` and `checks`,
    which a baseline does not use and which are checked as JSON only; nothing else is kept."""
    tally = Tally()
    odd: list[Finding] = []  # the first waived and the first baselined finding, for `_tallied`

    def finding(d: Any) -> None:
        f = read_finding(d)
        tally.add((f,))
        if f.status in (Status.WAIVED, Status.BASELINED) and not any(
            x.status is f.status for x in odd
        ):
            odd.append(f)
        take(f)

    parts: dict[str, Callable[[Any], None]] = {
        "findings": finding,
        "errors": _checked(_diagnostic),
        "waivers": _checked(read_waiver),
        "rules": _checked(read_rule),
    }
    members, shown, places = read_saved(path, "baseline", parts)
    members.update(waivers=[], rules=[])  # checked as they were read
    report = _report_of(members, shown.path, places, findings=(), flows=(), checks=(), errors=())
    tally.counted = report.findings
    object.__setattr__(report, "tally", tally)  # the counts of the findings read and let go
    _tallied(report, members["summary"], shown.path, places, odd)
    return shown


def _checked(read: Callable[[Any], object]) -> Callable[[Any], None]:
    """An item read for its checks alone, then dropped."""

    def check(d: Any) -> None:
        read(d)

    return check


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
            raise ValueError(refused_character(bad.group(), "a text"))


def _diagnostic(d: Any) -> Diagnostic:
    """An item of `errors`, checked (`_error`) and read."""
    _error(d)
    return read_error(d)


def _path(e: Diagnostic) -> str:
    return e.span.path


UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Control and bidi characters: in a path or a line of stderr they could forge a line of the
CI log, or hide what follows them."""


def _error(d: Any) -> None:
    """An item of `errors`: every format prints its place, and sorts by it (SARIF)."""
    _texts(d["path"], d["message"])
    bad = UNPRINTABLE.search(d["path"])
    if bad is not None:  # a line break in the path would forge a line of the CI log
        raise ValueError(refused_character(bad.group(), "a path"))
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


def read_saved(
    path: Path, role: str, parts: Mapping[str, Callable[[Any], None]]
) -> tuple[dict[str, Any], InputFile, dict[str, tuple[int, int]]]:
    """The members of the result at `path` but its lists, whose items go to `parts` (the other
    lists are skipped); the result as an input, with its SHA-256; and the line and column of
    each member's value, where a refusal of it is said."""
    display = str(path)
    skip = dict.fromkeys(LISTS, drop)
    with open_input(path, display, kind="JSON result") as (handle, _):
        head = read_members(handle, display, skip, keep=_KEPT, stop_after=frozenset({"tool"}))
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
        members = read_members(digest, display, {**skip, **parts}, keep=_KEPT, places=places)
        shown = InputFile(display, digest.hexdigest(), None, role=role)
    missing = [name for name in LISTS if name not in members]
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


def read_members(
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
    """What is wrong with a member or item, in the reader's words (never the name of the
    Python exception that said it: a missing member is said as such)."""
    what = where.split(":", 1)[0] + ": " if where else ""
    said = f"no member {exc.args[0]!r}" if isinstance(exc, KeyError) and exc.args else str(exc)
    return InputError.at(
        at, f"incomplete residency-audit result ({what}{said}); regenerate it with this version"
    )


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

"""Whether an observed deployment (a file `discover aws` wrote) can be judged as of a date: no
time after that date nor without a zone, and no copy naming a key the file does not have.
`check observed.yaml` and `check --observed` both refuse such a file before any audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from residency_audit.clock import parse_time, utc_day
from residency_audit.collectors.observed import COPY_KEY, NO_KEY, UNKNOWN_KEY, copy_key_tokens
from residency_audit.errors import InputError
from residency_audit.model import Deployment, Diagnostic, Evidence, Observation, Span
from residency_audit.sharing import unknown_entry


def observed_by(seen: Deployment, observation: Observation, as_of: dt.date) -> None:
    """Refuse an observation that cannot be judged as of `as_of`: one started after it, or
    holding evidence observed after it (a discovery running past midnight UTC), shows the
    account as it was later, and judging it, or comparing it with a declaration, on an
    earlier day would put later facts in the evidence; one whose copies name keys it does not
    have (`copy_key_problems`) would drop those keys from the audit. A time that is malformed
    or has no zone (whose day is unknown) is an error at its line; of late times, the start
    is reported, else the first late evidence in the file, with how many more there are."""
    problems = collector_problems(seen, observation)
    problems += copy_key_problems(seen) + sharing_problems(seen)
    late: list[tuple[Span, str, dt.date]] = []
    for path, stamp, default in _times(seen, observation):
        where = seen.locations.get(path) or default
        what = path.rsplit(".", 1)[-1]
        try:
            day = _day(stamp)
        except ValueError as exc:
            problems.append(
                Diagnostic(
                    where,
                    f"{what} {stamp!r} {exc}; the files `residency-audit discover aws` writes "
                    "have one such as 2026-11-28T09:30:00Z",
                )
            )
            continue
        if day > as_of:
            late.append((where, what, day))
    if late:
        first = [x for x in late if x[1] == "started_at"] or sorted(
            late, key=lambda x: (x[0].line, x[0].column)
        )
        where, what, day = first[0]
        subject = "the account was" if what == "started_at" else "this evidence was"
        more = "" if len(late) == 1 or what == "started_at" else f" ({len(late) - 1} more after it)"
        problems.append(
            Diagnostic(
                where,
                f"{subject} observed on {day}, after the as-of date {as_of}{more}: it cannot "
                f"show what the account held then; audit --as-of {max(d for *_, d in late)} "
                "or later, or give an observation made by the as-of date",
            )
        )
    if problems:
        raise InputError(sorted(problems))


def observed_since(seen: Deployment) -> tuple[str, dt.date] | None:
    """(YAML path, UTC day) of the oldest time of an observed deployment: its start, unless a
    piece of its evidence was read earlier (a file edited by hand). What the file shows is
    no newer than that day. None when it has no time `observed_by` would accept."""
    days = []
    for path, stamp, _ in _times(seen, seen.observation):
        try:
            days.append((_day(stamp), path))
        except ValueError:
            continue
    if not days:
        return None
    day, path = min(days)
    return path, day


def _times(seen: Deployment, observation: Observation | None) -> list[tuple[str, str, Span]]:
    """(YAML path, time as written, span of its owner) of the start and of every evidence."""
    times = []
    if observation is not None:
        times.append(("observation.started_at", observation.started_at, observation.span))
    times += [
        (f"{path}.evidence.observed_at", e.observed_at, e.span if e.span.line else span)
        for path, e, span in _evidence(seen)
    ]
    return times


def _day(stamp: str) -> dt.date:
    """The UTC day of an observation time. One without a zone is refused: it could be any of
    two days, and an audit "as of" a day must know which; so is one whose UTC day is outside
    the calendar (0001-01-01T00:00:00+01:00 is in year 0)."""
    try:
        moment = parse_time(stamp)
    except ValueError:
        raise ValueError("is not an ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ)") from None
    if moment.tzinfo is None:
        raise ValueError("has no time zone (Z for UTC, or an offset such as +01:00)")
    try:
        return utc_day(stamp)
    except OverflowError:
        raise ValueError("falls outside the years 1 to 9999 in UTC") from None


COLLECTORS = ("aws",)
"""The collectors whose files `check` reads: `discover aws` writes `collector: aws`
(collectors/observed.build_deployment). Any other name is a file no collector of this tool
wrote, whose facts no rule knows how to read."""


def collector_problems(seen: Deployment, observation: Observation) -> list[Diagnostic]:
    """A `collector` no `discover` command writes, as an input error at its line: such a file
    would be judged as an AWS account's."""
    if observation.collector in COLLECTORS:
        return []
    where = seen.locations.get("observation.collector") or observation.span
    return [
        Diagnostic(
            where,
            f"observation.collector: unknown collector {observation.collector[:80]!r}; expected "
            f"{', '.join(COLLECTORS)} (the files `residency-audit discover` writes)",
        )
    ]


def copy_key_problems(seen: Deployment) -> list[Diagnostic]:
    """The keys of an observed deployment named wrongly. A copy's evidence naming a key with
    another spelling than `Key=<id>` (`key=ghost`, `Key = ghost`), with no id, twice, or an id
    that is not among `keys` (nor `unknown`): like `key: ghost` on a component, an input error
    at the detail's line, since the copy would otherwise be judged with no key, or its
    component's, and the unknown key reported nowhere. A key whose id is `unknown` or `none`,
    the words for an unread key and for no encryption: a copy naming it would be misread."""
    ids = [k.id for k in seen.keys]
    problems = [
        Diagnostic(
            seen.locations.get(f"keys[{i}].id") or k.span,
            f"keys[{i}].id: {k.id!r} is reserved in an observed file ({UNKNOWN_KEY}: a key "
            f"that was not read; {NO_KEY}: no encryption); give the key another id",
        )
        for i, k in enumerate(seen.keys)
        if k.id in (UNKNOWN_KEY, NO_KEY)
    ]
    for i, c in enumerate(seen.components):
        for j, copy in enumerate(c.copies):
            if copy.evidence is None:
                continue
            tokens = copy_key_tokens(copy.evidence.detail)
            named = [key for _, key in tokens]
            odd = [spelling + key for spelling, key in tokens if spelling != COPY_KEY]
            path = f"components[{i}].copies[{j}].evidence.detail"
            where = seen.locations.get(path) or copy.evidence.span
            if odd:
                message = f"names a key as {odd[0]!r}; write it {COPY_KEY}<id>"
            elif len(named) > 1:
                message = f"names {len(named)} keys ({', '.join(COPY_KEY + k for k in named)})"
            elif named and named[0] != UNKNOWN_KEY and named[0] not in ids:
                known = ", ".join(x for x in ids if x not in (UNKNOWN_KEY, NO_KEY)) or "none"
                what = f"unknown key {named[0]!r}" if named[0] else "no key id"
                message = f"{COPY_KEY} names {what} (declared: {known}; or {UNKNOWN_KEY})"
            else:
                continue
            problems.append(
                Diagnostic(
                    where,
                    f"{path}: {message}; a copy's evidence names one key protecting the copy, "
                    "as `residency-audit discover aws` writes it",
                )
            )
    return problems


def sharing_problems(seen: Deployment) -> list[Diagnostic]:
    """Entries of `shared_with` outside its vocabulary (`sharing.unknown_entry`), or listed
    twice, each an input error at its line: a misspelt `public` must not be judged as an
    account, and one share must give one finding."""
    problems = []
    own = seen.observation.account if seen.observation is not None else None
    for i, c in enumerate(seen.components):
        for j, entry in enumerate(c.shared_with or ()):
            why = unknown_entry(entry)
            if why is None and entry in (c.shared_with or ())[:j]:
                why = f"{entry!r} is listed twice; list each share once"
            if why is None and entry == own:
                why = f"{entry!r} is the observed account itself; list only who else reads it"
            if why is not None:
                path = f"components[{i}].shared_with[{j}]"
                where = seen.locations.get(path) or c.span
                problems.append(Diagnostic(where, f"{path}: {why}"))
    return problems


def _evidence(d: Deployment) -> Iterator[tuple[str, Evidence, Span]]:
    """(YAML path of its owner, evidence, owner's span) for every evidence of a deployment."""
    for i, c in enumerate(d.components):
        if c.evidence is not None:
            yield f"components[{i}]", c.evidence, c.span
        for j, copy in enumerate(c.copies):
            if copy.evidence is not None:
                yield f"components[{i}].copies[{j}]", copy.evidence, copy.span
    for i, k in enumerate(d.keys):
        if k.evidence is not None:
            yield f"keys[{i}]", k.evidence, k.span

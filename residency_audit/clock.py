"""The one calendar of a run: UTC.

`--as-of` defaults to today in UTC, and observations are dated in UTC (`discover aws` writes
`started_at` in UTC, `discover dns` writes `observed_on` as a UTC day), so that an observation
made a moment ago is never "after the as-of date" because the runner's time zone is behind UTC.
`SOURCE_DATE_EPOCH` never dates an observation: it fixes report timestamps only.
"""

from __future__ import annotations

import datetime as dt
import re

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def parse_day(text: str) -> dt.date:
    """A day written YYYY-MM-DD, and only so. Python's `date.fromisoformat` also takes
    `20260105` and week dates (`2026-W01-1` is 29 December 2025): a typo in a CI setting must
    not audit another year. Raises ValueError."""
    if not _DAY.fullmatch(text):
        raise ValueError(f"{text!r} is not a date YYYY-MM-DD")
    return dt.date.fromisoformat(text)


def parse_time(text: str) -> dt.datetime:
    """A time written YYYY-MM-DDTHH:MM[:SS[.ffffff]] with an optional zone (Z or +HH:MM), and
    only so (no week dates or basic format, as `parse_day`). Raises ValueError."""
    if not _TIME.fullmatch(text):
        raise ValueError(f"{text!r} is not an ISO 8601 time YYYY-MM-DDTHH:MM:SS")
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def utc_day(timestamp: str) -> dt.date:
    """The UTC day of an ISO 8601 time (`2026-11-28T23:30:00-05:00` is 29 November); a time
    without offset is taken as UTC. Raises ValueError if it is not such a time."""
    moment = parse_time(timestamp)
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(dt.UTC).date()

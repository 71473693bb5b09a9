"""The one calendar of a run: UTC.

`--as-of` defaults to today in UTC, and observations are dated in UTC (`discover aws` writes
`started_at` in UTC, `discover dns` writes `observed_on` as a UTC day), so that an observation
made a moment ago is never "after the as-of date" because the runner's time zone is behind UTC.
`SOURCE_DATE_EPOCH` never dates an observation: it fixes report timestamps only.
"""

from __future__ import annotations

import datetime as dt


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def utc_day(timestamp: str) -> dt.date:
    """The UTC day of an ISO 8601 time (`2026-11-28T23:30:00-05:00` is 29 November); a time
    without offset is taken as UTC. Raises ValueError if it is not such a time."""
    moment = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(dt.UTC).date()

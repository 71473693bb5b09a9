"""The places of a component: its primary location, each copy and each log sink holding personal
data, with who runs it. Rules judge each as a `place` subject; the hosts of health data (HDS)
are who runs them.
"""

from __future__ import annotations

from collections.abc import Iterator

from residency_audit.model import Component, Span
from residency_audit.records import Record, record


def _same_operator(c: Component, provider: str) -> str | None:
    """The operator of a copy or log sink that declares none: the component's, when it is on
    the component's provider; on another provider, whoever runs that provider's service (the
    party `place` finds by provider), never the component's operator by default."""
    return c.operator if provider == c.provider else None


@record
class Where(Record):
    """One place of a component: its primary location, a copy or a log sink holding personal
    data, with who runs it (the declared operator; see `_same_operator`)."""

    role: str
    provider: str
    region: str | None
    country: str | None
    operator: str | None
    yaml_path: str
    span: Span
    label: str


def places_of(c: Component, ci: int) -> Iterator[Where]:
    """The places of component `ci`, in file order."""
    base = f"components[{ci}]"
    yield Where("primary", c.provider, c.region, c.country, c.operator, base, c.span, c.id)
    for j, copy in enumerate(c.copies):
        provider = copy.provider or c.provider
        yield Where(
            copy.kind.value,
            provider,
            copy.region,
            copy.country,
            copy.operator or _same_operator(c, provider),
            f"{base}.copies[{j}]",
            copy.span,
            f"{copy.kind.value} of {c.id}",
        )
    for j, log in enumerate(c.logs):
        if not log.personal_data:
            continue
        provider = log.provider or c.provider
        yield Where(
            "log",
            provider,
            log.region,
            log.country,
            log.operator or _same_operator(c, provider),
            f"{base}.logs[{j}]",
            log.span,
            f"logs of {c.id}",
        )

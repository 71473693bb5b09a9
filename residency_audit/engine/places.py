"""The places of a component: its primary location, each copy and each log sink holding personal
data, with who runs it and who hosts its infrastructure. Rules judge each as a `place` subject;
the hosts of health data (HDS) are who runs them and the provider whose systems hold them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from residency_audit.model import Component, Span
from residency_audit.records import Record, record

OperatedApart = Callable[[str, str | None], bool]
"""Whether a provider's region is operated by another entity than the provider's own
(`KnowledgeBase.region(...).operator`): AWS's China regions, say."""


def _same_operator(
    c: Component, provider: str, region: str | None, apart: OperatedApart
) -> str | None:
    """The operator of a copy or log sink that declares none: the component's, when it is on
    the component's provider; on another provider, whoever runs that provider's service (the
    party `place` finds by provider), never the component's operator by default. Nor in a
    region another entity operates (`apart`): a backup copied to AWS's Beijing region is run by
    the Chinese company operating it, not by the AWS entity running the component."""
    return c.operator if provider == c.provider and not apart(provider, region) else None


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


def places_of(c: Component, ci: int, apart: OperatedApart) -> Iterator[Where]:
    """The places of component `ci`, in file order; `apart` says which regions another entity
    than their provider's own operates (see `_same_operator`)."""
    base = f"components[{ci}]"
    yield Where("primary", c.provider, c.region, c.country, c.operator, base, c.span, c.id)
    for j, copy in enumerate(c.copies):
        provider = copy.provider or c.provider
        yield Where(
            copy.kind.value,
            provider,
            copy.region,
            copy.country,
            copy.operator or _same_operator(c, provider, copy.region, apart),
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
            log.operator or _same_operator(c, provider, log.region, apart),
            f"{base}.logs[{j}]",
            log.span,
            f"logs of {c.id}",
        )


@record
class Infrastructure(Record):
    """Who hosts the infrastructure of a place: the provider whose systems hold it performs
    R.1111-9 activities 1-3 (physical sites, hardware, virtual infrastructure) for whoever runs
    it (`INFRASTRUCTURE_ACTIVITIES` in `hds_infrastructure.py`)."""

    party: str | None
    """The declared party of the place's provider hosting it; None when none or several are."""
    provider: str | None
    """The knowledge-base provider itself, when no party of it is declared."""
    of_host: bool
    """The place's own host is the provider's party (named, or unknown among its parties): the
    infrastructure goes with the hosting HDS-ACT-01 (or HDS-ACT-03) already judges."""
    candidates: tuple[str, ...]
    """The declared parties of the provider that may host its systems (who might host it when
    several are): all of them, but the controller on a knowledge-base provider's."""

    @property
    def id(self) -> str | None:
        """The party id, else the knowledge-base provider id; None: nobody known."""
        return self.party or self.provider

    def third_party(self, controller: str) -> bool:
        """It hosts the place for the controller (L.1111-8): a provider's party other than the
        controller, the knowledge-base provider itself, or someone unknown (fail closed)."""
        return not self.of_host and self.party != controller


def infrastructure_of(
    operator: str | None,
    provider: str,
    parties: Sequence[str],
    *,
    known: bool,
    controller: str,
    apart: bool,
) -> Infrastructure:
    """Who hosts the infrastructure of a place run by `operator` on `provider`, whose declared
    parties are `parties` (file order) and which the knowledge base knows or not (`known`).

    A place with no operator is run by the provider's party (`SubjectBuilder.host`), and so is
    one whose operator is a party of that provider: its infrastructure is its host's. Any other
    operator runs it on the provider's systems: the one declared party of the provider hosts
    them, else (none declared) the knowledge-base provider; with several declared the file does
    not say which, and its order must not decide.

    The controller is never the host of a knowledge-base provider's systems: a French clinic
    declared as Amazon's party (`provider: aws`) is a customer of AWS, not AWS, and nothing the
    knowledge base can check says it runs AWS's datacentres. It hosts its own infrastructure
    only on a provider the knowledge base does not know (its own datacentre, `on-prem`).

    In a region another entity than the provider's own operates (`apart`: AWS's China regions),
    the provider's declared parties do not host its systems: only one the place names as its
    operator runs it on its own; otherwise nobody known hosts them, never the knowledge-base
    provider presumed."""
    hosts = [p for p in parties if not (known and p == controller)]
    if apart:
        mine = tuple(p for p in hosts if p == operator)
        if operator is None or mine:
            return Infrastructure(operator, None, True, mine)
        return Infrastructure(None, None, False, ())
    runner = operator or (parties[0] if len(parties) == 1 else None)
    if runner is None or runner in hosts:  # the host (or an unknown one of them) runs it
        return Infrastructure(runner, None, True, tuple(hosts))
    if len(hosts) == 1:
        return Infrastructure(hosts[0], None, False, tuple(hosts))
    return Infrastructure(None, provider if known and not hosts else None, False, tuple(hosts))

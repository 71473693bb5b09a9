"""`discover dns`: which names to resolve, resolving them, and attributing what came back.

Shared by `residency-audit discover dns` and `check --resolve`, so tests drive what the CLI
drives. dnspython is imported only inside `resolve` (through the collector).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from residency_audit.attribution import Attribution, Attributor
from residency_audit.clock import utc_today
from residency_audit.errors import InputError, UsageError
from residency_audit.hostnames import hostname_problem, normalise_hostname
from residency_audit.kb import KnowledgeBase
from residency_audit.model import Deployment, Diagnostic, InputFile, Span
from residency_audit.observations import (
    KIND,
    SCHEMA_VERSION,
    DnsObservations,
    NameObservation,
    Purpose,
)
from residency_audit.records import Record, record

Request = tuple[str, Purpose]


if TYPE_CHECKING:
    from residency_audit.endpoints import ObservationIndex


@record
class DnsSettings(Record):
    """How to reach the DNS: no nameservers means the system's resolver (/etc/resolv.conf)."""

    nameservers: tuple[str, ...] = ()
    port: int = 53
    timeout: float = 2.0
    """Seconds per query attempt; a name gets twice that in all."""
    workers: int = 32
    """Names resolved at once."""

    def check(self) -> None:
        for ns in self.nameservers:
            try:
                ipaddress.ip_address(ns)
            except ValueError:
                raise UsageError(f"--nameserver: {ns!r} is not an IP address") from None
        if not 0 < self.port < 65536:
            raise UsageError(f"--port: {self.port} is not a port number (1-65535)")
        if not 0 < self.timeout <= 60:
            raise UsageError(f"--timeout: {self.timeout} must be between 0 and 60 seconds")
        if not 0 < self.workers <= 256:
            raise UsageError(f"--workers: {self.workers} must be between 1 and 256")


def requests_of(deployments: Iterable[Deployment]) -> list[Request]:
    """Every declared hostname (host) and mail domain (mail), each once, in file order."""
    out: dict[Request, None] = {}
    for d in deployments:
        for c in d.components:
            out.update(((normalise_hostname(h), Purpose.HOST), None) for h in c.hostnames)
            out.update(((normalise_hostname(m), Purpose.MAIL), None) for m in c.mail_domains)
    return list(out)


def cli_requests(hosts: Sequence[str], mail: Sequence[str]) -> list[Request]:
    """Names given on the command line; a malformed one is a usage error (exit 2)."""
    out: dict[Request, None] = {}
    for purpose, names in ((Purpose.HOST, hosts), (Purpose.MAIL, mail)):
        for name in names:
            problem = hostname_problem(name)
            if problem:
                raise UsageError(f"discover dns: {problem}")
            out[(normalise_hostname(name), purpose)] = None
    return list(out)


def resolve(
    requests: Sequence[Request], settings: DnsSettings, kb: KnowledgeBase, *, observed_on: dt.date
) -> DnsObservations:
    """Resolve `requests` concurrently and attribute every name and address found."""
    from residency_audit.collectors.dns import DnsCollector, describe, make_resolver

    settings.check()
    resolver = make_resolver(settings.nameservers, port=settings.port, timeout=settings.timeout)
    observed = DnsCollector(resolver, workers=settings.workers).observe(requests)
    attributor = Attributor(kb)
    names = tuple(_with_attributions(o, attributor) for o in observed)
    return DnsObservations(
        SCHEMA_VERSION,
        KIND,
        observed_on,
        describe(resolver),  # the servers asked, even when the system's configuration named them
        names,
    )


def _with_attributions(obs: NameObservation, attributor: Attributor) -> NameObservation:
    from dataclasses import replace

    return replace(obs, attributions=attribute(obs, attributor))


def attribute(obs: NameObservation, attributor: Attributor) -> tuple[Attribution, ...]:
    """Attributions along the way a client goes: the name and each CNAME target, then the
    addresses; for mail, each exchanger's name and CNAME targets then its addresses."""
    out: list[Attribution | None] = []
    if obs.purpose is Purpose.MAIL:
        for mx in obs.mail_exchangers:
            out += [attributor.name(n) for n in mx.chain]
            out += [attributor.address(a) for a in mx.addresses]
    else:
        out += [attributor.name(n) for n in obs.chain]
        out += [attributor.address(a) for a in obs.addresses]
    return tuple(a for a in out if a is not None)


def unreadable(
    observations: Iterable[DnsObservations], declared: set[Request] | None = None
) -> list[str]:
    """`Report.partial` lines for names the resolver could not read (timeout, SERVFAIL...), of
    those the audited deployments declare when `declared` is given: a shared observation file
    may hold other deployments' names, whose failures say nothing about this audit."""
    lines = []
    for obs in observations:
        bad = [
            n
            for n in obs.names
            if n.status.unreadable and (declared is None or (n.name, n.purpose) in declared)
        ]
        if bad:
            listed = ", ".join(f"{n.name} ({n.status.value})" for n in bad[:10])
            more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
            lines.append(
                f"dns: {len(bad)} name(s) could not be read from {obs.resolver}: {listed}{more}"
            )
    return lines


DNS_ROLE = "dns-observations"
"""The role of a `--dns` file among a report's inputs."""


def dns_index(
    files: Sequence[Path],
    settings: DnsSettings | None,
    deployments: Sequence[Path],
    kb: KnowledgeBase,
    errors: list[Diagnostic],
    as_of: dt.date,
) -> tuple[ObservationIndex, list[str], list[InputFile]]:
    """DNS observations for the endpoint checks of `check`: read from `files` (--dns) and/or
    resolved now for every name the `deployments` declare (--resolve), with the partial-audit
    lines for names that could not be resolved and each file as an input of the report (its
    SHA-256 is that of the bytes judged; empty when the file could not be read). Files that
    cannot be used are reported in `errors`, and so are observations made after `as_of`: they
    show what was served later, not on the day the audit judges."""
    from residency_audit.endpoints import ObservationIndex
    from residency_audit.format import load_deployment
    from residency_audit.loader import Document, compose, decode, read_bytes
    from residency_audit.observations import parse_observations

    declared = []
    for path in deployments:
        try:
            declared.append(load_deployment(path, str(path))[0])
        except InputError:
            continue  # the audit of that file reports it
    wanted = requests_of(declared)
    sets: list[DnsObservations] = []
    if settings is not None:
        sets.append(resolve(wanted, settings, kb, observed_on=utc_today()))
    inputs: list[InputFile] = []
    refused: list[str] = []
    for path in files:
        display, digest = str(path), ""
        try:
            raw = read_bytes(path, display)
            digest = hashlib.sha256(raw).hexdigest()
            sets.append(
                parse_observations(Document(display, raw, compose(decode(raw, display), display)))
            )
        except InputError as exc:
            errors += exc.diagnostics
            refused.append(display)
        inputs.append(InputFile(display, digest, None, role=DNS_ROLE))
    today = utc_today()
    later = _observed_after(sets, as_of, today)
    if later:  # refused, and not judged either: their names are "not observed"
        refused += [obs.path for obs in sets if obs.observed_on > min(as_of, today) and obs.path]
        sets = [obs for obs in sets if obs.observed_on <= min(as_of, today)]
    errors += _observed_twice(sets) + later
    return ObservationIndex(sets, refused), unreadable(sets, set(wanted)), inputs


def _observed_after(
    sets: Sequence[DnsObservations], as_of: dt.date, today: dt.date
) -> list[Diagnostic]:
    """Sets dated after the as-of date, or after today (UTC, the run's clock): no resolver
    answered on a day yet to come, so such a date is an error of the file, whatever --as-of."""
    out = []
    for obs in sets:
        span = obs.locations.get("observed_on") if obs.path else None
        where = span or Span(obs.path or "--resolve", 1, 1)
        if obs.observed_on > today:
            out.append(
                Diagnostic(
                    where,
                    f"the names were resolved on {obs.observed_on}, after today ({today}, "
                    "UTC): observations cannot be dated in the future; give the day they "
                    "were made (`discover dns` writes it)",
                )
            )
            continue
        if obs.observed_on <= as_of:
            continue
        source = "the names were resolved" if obs.path else "--resolve resolves names today,"
        out.append(
            Diagnostic(
                where,
                f"{source} on {obs.observed_on}, after the as-of date {as_of}: they cannot show "
                f"which provider served them then; audit --as-of {obs.observed_on} or later, or "
                "give observations made by the as-of date",
            )
        )
    return out


def _observed_twice(sets: Sequence[DnsObservations]) -> list[Diagnostic]:
    """A name observed by two sources (two --dns files, or a file and --resolve): which
    answer the audit trusts must not depend on the order of the options."""
    first: dict[Request, str] = {}
    out = []
    for obs in sets:
        for i, n in enumerate(obs.names):
            key = (n.name, n.purpose)
            if key not in first:
                first[key] = obs.origin(i)
                continue
            span = obs.locations.get(f"names[{i}]") if obs.path else None
            out.append(
                Diagnostic(
                    span or Span(obs.path or "--resolve", 1, 1),
                    f"{n.name} ({n.purpose.value}) is also observed at {first[key]}; give "
                    "one observation per name (the newest file, or --resolve alone)",
                )
            )
    return out

"""DNS collector: the only module importing dnspython.

`DnsCollector(resolver)` takes a configured `dns.resolver.Resolver` (nameservers, port, timeout,
lifetime) and resolves many names concurrently in a bounded thread pool. Each name becomes a
`NameObservation`: CNAME chain, A and AAAA (host), MX and each exchanger's CNAME chain and addresses
(mail), NS of its zone. NXDOMAIN, SERVFAIL, timeouts and other resolver failures become the
observation's `status`, never an exception and never a pass; the caller decides what an unresolved
name means. A name is `resolved` only when every query that decides who serves it was answered: its
A and its AAAA query, or its MX query and each exchanger's; otherwise its status is that of the
query that failed, its `detail` names that query, and what the others answered is kept. A mail
domain whose only MX record is the null MX of RFC 7505 accepts no mail: its status is `null-mx`.
Details never hold measured durations, so the same failure reads the same in every run (a baseline
matches it).
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import dns.exception
import dns.message
import dns.nameserver
import dns.resolver

from residency_audit.errors import CollectorError
from residency_audit.observations import Cname, MailExchanger, NameObservation, Purpose, Status
from residency_audit.records import Record, record

log = logging.getLogger(__name__)
DEFAULT_WORKERS = 32
_ELAPSED = re.compile(r" after \d+(?:\.\d+)? seconds")
"""dnspython's timeout messages say how long the wait took ("... expired after 4.202 seconds")."""


@record
class _Lookup(Record):
    status: Status
    detail: str | None
    cnames: tuple[Cname, ...]
    canonical: str | None
    addresses: tuple[str, ...]


def make_resolver(
    nameservers: Sequence[str],
    *,
    port: int = 53,
    timeout: float = 2.0,
    lifetime: float | None = None,
) -> dns.resolver.Resolver:
    """A resolver that asks exactly `nameservers`, or the system's (/etc/resolv.conf) if none.
    Each attempt waits at most `timeout` seconds; each query (one name and record type) gives up
    after `lifetime`, retries included: twice `timeout` unless given."""
    if nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = list(nameservers)
    else:
        try:
            resolver = dns.resolver.Resolver(configure=True)
        except (dns.resolver.NoResolverConfiguration, OSError) as exc:
            raise CollectorError(
                f"dns: no system resolver configured ({exc}); give one with --nameserver IP"
            ) from exc
    resolver.port = port
    resolver.timeout = timeout
    resolver.lifetime = lifetime if lifetime is not None else timeout * 2
    resolver.cache = None  # every run reads the DNS as it is now
    return resolver


def describe(resolver: dns.resolver.Resolver) -> str:
    """The servers `resolver` asks, as host:port ([v6]:port), whether given or read from the
    system's configuration: the record of who answered."""
    out = []
    for ns in resolver.nameservers:
        if isinstance(ns, dns.nameserver.Nameserver):  # a DoH URL or a configured object
            out.append(str(ns))
            continue
        port = resolver.nameserver_ports.get(ns, resolver.port)
        try:
            host = f"[{ns}]" if ipaddress.ip_address(ns).version == 6 else ns
        except ValueError:  # a DoH URL names its own port
            out.append(ns)
            continue
        out.append(f"{host}:{port}")
    return ",".join(out)


class DnsCollector:
    """Resolves names concurrently with one configured resolver."""

    def __init__(self, resolver: dns.resolver.Resolver, *, workers: int = DEFAULT_WORKERS) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.resolver = resolver
        self.workers = workers

    def observe(self, requests: Sequence[tuple[str, Purpose]]) -> list[NameObservation]:
        """One observation per (name, purpose), in the order given."""
        if not requests:
            return []
        with ThreadPoolExecutor(
            max_workers=min(self.workers, len(requests)), thread_name_prefix="dns"
        ) as pool:
            return list(pool.map(lambda r: self.observe_one(*r), requests))

    def observe_one(self, name: str, purpose: Purpose) -> NameObservation:
        if purpose is Purpose.MAIL:
            return self._mail(name)
        found = self._addresses(name)
        nameservers = self._nameservers(name) if found.status is Status.RESOLVED else ()
        return NameObservation(
            name=name,
            purpose=purpose,
            status=found.status,
            detail=found.detail,
            cnames=found.cnames,
            canonical=found.canonical,
            addresses=found.addresses,
            nameservers=nameservers,
        )

    # -- queries -------------------------------------------------------------------------------

    def _query(
        self, name: str, rdtype: str
    ) -> tuple[dns.resolver.Answer | None, Status, str | None, dns.message.Message | None]:
        try:
            answer = self.resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
            return answer, Status.RESOLVED, None, answer.response
        except dns.resolver.NXDOMAIN as exc:
            responses = exc.responses()  # type: ignore[no-untyped-call]
            response = next(iter(responses.values()), None) if responses else None
            return None, Status.NXDOMAIN, _nxdomain_detail(exc), response
        except dns.resolver.NoNameservers as exc:
            return None, Status.SERVFAIL, _short(exc), None
        except dns.exception.Timeout:
            # The configured limits, not the measured wait: the detail is part of a finding's
            # message, which baselines match, and the wait differs by milliseconds every run.
            # dnspython's `lifetime` bounds one resolve() call, retries included, and each
            # attempt waits at most `timeout` (BaseResolver._compute_timeout); `--timeout` sets
            # the second, and the first is twice it (make_resolver), so say both.
            why = (
                f"no answer within {self.resolver.lifetime:g} s "
                f"(the query's limit, retries included; {self.resolver.timeout:g} s per attempt)"
            )
            return None, Status.TIMEOUT, why, None
        except (dns.exception.DNSException, OSError) as exc:
            log.debug("dns: %s %s failed", name, rdtype, exc_info=True)
            return None, Status.ERROR, f"{type(exc).__name__}: {_short(exc)}", None

    def _addresses(self, name: str) -> _Lookup:
        answer, status, detail, response = self._query(name, "A")
        cnames, canonical = _chain(response)
        if status is not Status.RESOLVED:
            return _Lookup(status, detail, cnames, canonical, ())
        addresses = [r.address for r in answer.rrset] if answer and answer.rrset else []
        six, six_status, six_detail, _ = self._query(name, "AAAA")
        if six is not None and six.rrset:
            addresses += [r.address for r in six.rrset]
        found = tuple(sorted(set(addresses)))
        if six_status is not Status.RESOLVED:
            # Fail closed: the unread AAAA records may send IPv6 clients to another provider or
            # country than the A records, so the name is not resolved; what A gave is kept.
            if six_status is Status.NXDOMAIN:  # yet the A query found the name
                six_status = Status.ERROR
                six_detail = f"{six_detail}, although the A query found the name"
            gave = ", ".join(found) if found else "no address"
            why = f"the AAAA query failed: {six_detail}; the A query answered {gave}"
            return _Lookup(six_status, why, cnames, canonical, found)
        if not found:
            return _Lookup(Status.NO_ANSWER, "no A or AAAA record", cnames, canonical, ())
        return _Lookup(Status.RESOLVED, None, cnames, canonical, found)

    def _mail(self, domain: str) -> NameObservation:
        answer, status, detail, _ = self._query(domain, "MX")
        records = sorted(
            {
                (r.preference, r.exchange.to_text(omit_final_dot=True).lower())
                for r in (answer.rrset if answer and answer.rrset else [])
            }
        )
        if status is Status.RESOLVED and not records:
            status, detail = Status.NO_ANSWER, "no MX record"
        if status is Status.RESOLVED and records == [(0, ".")]:
            # RFC 7505 section 3: a single MX record of preference 0 and exchange "." (the
            # root) says the domain accepts no mail; senders must not try to deliver to it.
            status, detail = Status.NULL_MX, "null MX (RFC 7505): the domain accepts no mail"
        exchangers = []
        for preference, exchange in records:
            if exchange in ("", "."):
                # A null MX beside other MX records, which RFC 7505 section 3 forbids: it
                # names no host, and the others may still receive mail, so they are judged.
                continue
            # An exchanger that is a CNAME breaks RFC 2181 section 10.3, but mail servers follow
            # it: whoever the chain reaches receives the mail, so the chain is recorded.
            found = self._addresses(exchange)
            exchangers.append(
                MailExchanger(
                    preference,
                    exchange,
                    found.addresses,
                    status=found.status,
                    detail=found.detail,
                    cnames=found.cnames,
                    canonical=found.canonical,
                )
            )
        if status is Status.RESOLVED:
            status, detail = _exchangers_status(exchangers)
        answered = status in (Status.RESOLVED, Status.NULL_MX)
        nameservers = self._nameservers(domain) if answered else ()
        return NameObservation(
            name=domain,
            purpose=Purpose.MAIL,
            status=status,
            detail=detail,
            mail_exchangers=tuple(exchangers),
            nameservers=nameservers,
        )

    def _nameservers(self, name: str) -> tuple[str, ...]:
        try:
            zone = dns.resolver.zone_for_name(
                name, resolver=self.resolver, lifetime=self.resolver.lifetime
            )
            answer = self.resolver.resolve(zone, "NS", raise_on_no_answer=False, search=False)
        except (dns.exception.DNSException, OSError):
            return ()  # NS are context, not evidence: their absence decides nothing
        return tuple(
            sorted(r.target.to_text(omit_final_dot=True).lower() for r in (answer.rrset or []))
        )


def _exchangers_status(exchangers: Sequence[MailExchanger]) -> tuple[Status, str | None]:
    """A mail domain whose MX query answered is resolved only if each exchanger is: mail may go
    to any of them. Otherwise it takes the status of the first exchanger that could not be read
    (which makes the audit partial), else of the first that did not resolve."""
    failed = [mx for mx in exchangers if mx.status is not Status.RESOLVED]
    if not failed:
        return Status.RESOLVED, None
    first = next((mx for mx in failed if mx.status.unreadable), failed[0])
    why = f"mail exchanger {first.exchange} (MX {first.preference}): {first.detail}"
    if len(failed) > 1:
        why += f"; {len(failed)} of {len(exchangers)} mail exchangers did not resolve"
    return first.status, why


def _chain(response: dns.message.Message | None) -> tuple[tuple[Cname, ...], str | None]:
    if response is None or not response.question:
        return (), None
    try:
        result = response.resolve_chaining()  # type: ignore[attr-defined]  # QueryMessage
    except dns.exception.DNSException:
        return (), None
    cnames = tuple(
        Cname(
            rrset.name.to_text(omit_final_dot=True).lower(),
            rrset[0].target.to_text(omit_final_dot=True).lower(),
        )
        for rrset in result.cnames
    )
    return cnames, result.canonical_name.to_text(omit_final_dot=True).lower()


def _nxdomain_detail(exc: dns.resolver.NXDOMAIN) -> str:
    try:
        end = exc.canonical_name.to_text(omit_final_dot=True).lower()
    except Exception:  # dnspython raises several types when it has no chain
        return "NXDOMAIN: the name does not exist"
    return f"NXDOMAIN: {end} does not exist"


def _short(exc: BaseException) -> str:
    text = _ELAPSED.sub("", str(exc)).strip() or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."

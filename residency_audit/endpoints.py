"""Endpoint subjects: each declared hostname and mail domain, with what the DNS showed.

A component's `hostnames` and `mail_domains` are matched with DNS observations (from
`check --dns FILE` or `check --resolve`) and judged by the rules of `rules/dns/`. One subject per
hostname, and per mail exchanger of a mail domain (each exchanger handles the domain's mail).
A declared name is a subject with or without observations: one nobody resolved is "not observed"
and cannot be verified, never a silent pass. Findings sit on the line that declares the name.
Facts follow `engine/fields.py` ENDPOINT; an observed fact nobody could establish is left out,
so rules read it as unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence

from residency_audit.attribution import INDETERMINATE, Attribution, Attributor
from residency_audit.engine.subjects import Subject, component_facts
from residency_audit.hostnames import normalise_hostname
from residency_audit.kb import UNKNOWN_COUNTRY, KnowledgeBase
from residency_audit.model import Deployment, Fact, Span
from residency_audit.observations import (
    DnsObservations,
    NameObservation,
    Purpose,
    Status,
)
from residency_audit.records import Record, record

NOT_OBSERVED = "not-observed"


@record
class Observed(Record):
    observation: NameObservation
    origin: str
    """file:line:col in an observations file, or `dns:<resolver> <name>`."""
    source: int = 0
    """Index of the set (`ObservationIndex.sets`) that answered it."""


class ObservationIndex:
    """Observations by (name, purpose); the first file that has a name wins."""

    def __init__(self, sets: Iterable[DnsObservations], refused: Sequence[str] = ()) -> None:
        self.refused = list(refused)
        """Observation files given but refused (their errors say why): no name is read from
        them."""
        self.sources: list[str] = []
        self.sets: list[DnsObservations] = []
        self._by_key: dict[tuple[str, Purpose], Observed] = {}
        for k, obs in enumerate(sets):
            self.sets.append(obs)
            self.sources.append(obs.path or f"dns:{obs.resolver}")
            for i, name in enumerate(obs.names):
                self._by_key.setdefault((name.name, name.purpose), Observed(name, obs.origin(i), k))

    def get(self, name: str, purpose: Purpose) -> Observed | None:
        return self._by_key.get((normalise_hostname(name), purpose))


def endpoint_subjects(
    d: Deployment, index: ObservationIndex | None, kb: KnowledgeBase, as_of: dt.date
) -> Iterator[Subject]:
    """Every endpoint subject of a deployment, in file order; `index` is None when the audit
    has no DNS observations (no --dns, no --resolve)."""
    index = index or ObservationIndex(())
    attributor: Attributor | None = None  # loads the IP ranges: only for observed names
    for ci, c in enumerate(d.components):
        for field_name, purpose, names in (
            ("hostnames", Purpose.HOST, c.hostnames),
            ("mail_domains", Purpose.MAIL, c.mail_domains),
        ):
            for ni, name in enumerate(names):
                yaml_path = f"components[{ci}].{field_name}[{ni}]"
                span = d.locations.get(yaml_path, c.span)
                base = component_facts(d, kb, as_of, ci)
                base["endpoint.name"] = Fact("endpoint.name", normalise_hostname(name), str(span))
                base["endpoint.kind"] = Fact("endpoint.kind", purpose.value, str(span))
                seen = index.get(name, purpose)
                label = (
                    f"{'mail domain' if purpose is Purpose.MAIL else 'endpoint'} "
                    f"{normalise_hostname(name)} of {c.id}"
                )
                if seen is None:
                    facts = _not_observed(base, index, span.path)
                    yield Subject("endpoint", label, c.id, span, facts)
                    continue
                attributor = attributor or Attributor(kb)
                for extra, facts in _judged(seen, base, attributor):
                    yield Subject("endpoint", label + extra, c.id, span, facts)


def dns_age_subjects(d: Deployment, index: ObservationIndex | None) -> Iterator[Subject]:
    """The day each set of DNS observations answering a name `d` declares was resolved on
    (an `observation` subject of `age`, as `drift._age` makes for an AWS account), for
    DRIFT-OBS-05 to compare with the as-of date: names resolved long before that day say
    little of who served them then. A set answering none of them is no evidence for `d`.
    Sets resolved after the as-of date never get here (`discover.dns_index` refuses them)."""
    if index is None:
        return
    used: set[int] = set()
    for c in d.components:
        for purpose, names in ((Purpose.HOST, c.hostnames), (Purpose.MAIL, c.mail_domains)):
            for name in names:
                seen = index.get(name, purpose)
                if seen is not None:
                    used.add(seen.source)
    for k in sorted(used):
        obs = index.sets[k]
        if obs.path:
            span = obs.locations.get("observed_on") or Span(obs.path, 1, 1)
            what = f"the DNS names in {obs.path} (resolver {obs.resolver})"
            at = f"{span} (observed_on, the UTC day the names were resolved)"
        else:  # --resolve: resolved during this run
            span = Span("--resolve", 1, 1)
            what = f"the DNS names resolved by --resolve (resolver {obs.resolver})"
            at = "--resolve (the UTC day of this run, by the clock)"
        facts = {
            "observation.subject": Fact("observation.subject", "age", at),
            "observation.observed": Fact("observation.observed", what, at),
            "observation.observed_on": Fact(
                "observation.observed_on", obs.observed_on.isoformat(), at
            ),
        }
        yield Subject("observation", f"age of {what}", None, span, facts)


def _not_observed(base: dict[str, Fact], index: ObservationIndex, path: str) -> dict[str, Fact]:
    """A declared name no observation covers: nobody knows who serves it, so the rules that
    need the DNS cannot pass it; its detail says how to observe it."""
    sources, refused = index.sources, index.refused
    gone = f"{', '.join(refused)} refused (see the errors)" if refused else ""
    if sources:
        origin = f"derived: not in the DNS observations ({', '.join(sources)})"
        why = "missing from the DNS observations" + (f"; {gone}" if gone else "")
    elif refused:
        origin = f"derived: the DNS observations given were refused ({', '.join(refused)})"
        why = f"the DNS observations given ({', '.join(refused)}) were refused (see the errors)"
    else:
        origin = "derived: no DNS observations given (check without --dns or --resolve)"
        why = "no DNS observations were given"
    detail = (
        f"the name was not resolved: {why}; observe it with `residency-audit discover dns "
        f"--from {path} -o dns.yaml` then `check --dns dns.yaml`, or `check --resolve`"
    )
    facts = dict(base)
    facts["endpoint.status"] = Fact("endpoint.status", NOT_OBSERVED, origin)
    facts["endpoint.resolved"] = Fact("endpoint.resolved", False, origin)
    facts["endpoint.detail"] = Fact("endpoint.detail", detail, origin)
    return facts


def _judged(
    seen: Observed, base: dict[str, Fact], attributor: Attributor
) -> Iterator[tuple[str, dict[str, Fact]]]:
    obs = seen.observation
    status = dict(base)
    status["endpoint.status"] = Fact("endpoint.status", obs.status.value, seen.origin)
    status["endpoint.resolved"] = Fact(
        "endpoint.resolved", obs.status is Status.RESOLVED, seen.origin
    )
    status["endpoint.detail"] = Fact("endpoint.detail", obs.detail or _answered(obs), seen.origin)
    # A null MX (status null-mx) leaves the domain unresolved, with no exchanger: no mail goes
    # anywhere, so the rules judging who receives it do not apply (DNS-DRIFT-01 reads the
    # status, DNS-MAIL-01 needs a resolved exchanger); it is no "cannot be verified" either.
    if obs.purpose is Purpose.MAIL and obs.mail_exchangers:
        for mx in obs.mail_exchangers:
            facts = dict(status)
            facts["endpoint.exchanger"] = Fact("endpoint.exchanger", mx.exchange, seen.origin)
            # Each exchanger by its own lookup: the domain is not resolved when one of them
            # failed (the audit is partial), but one that resolved still shows who receives
            # the mail sent to it, and its rules judge that (DNS-MAIL-01, DNS-DRIFT-01).
            facts["endpoint.status"] = Fact("endpoint.status", mx.status.value, seen.origin)
            facts["endpoint.resolved"] = Fact(
                "endpoint.resolved", mx.status is Status.RESOLVED, seen.origin
            )
            said = f"mail exchanger {mx.exchange} (MX {mx.preference}): {mx.detail}"
            facts["endpoint.detail"] = Fact(
                "endpoint.detail", said if mx.detail else _answered(obs), seen.origin
            )
            route = Route.of(mx.chain, mx.addresses, attributor)
            _observed(facts, route, list(mx.chain), mx.status, seen)
            yield f" (MX {mx.preference} {mx.exchange})", facts
        return
    route = Route.of(obs.chain, obs.addresses, attributor)
    _observed(status, route, list(obs.chain), obs.status, seen)
    yield "", status


def _answered(obs: NameObservation) -> str:
    if obs.status is Status.NULL_MX:
        return "null MX (RFC 7505): the domain accepts no mail"
    if obs.purpose is Purpose.MAIL:
        return f"{len(obs.mail_exchangers)} mail exchanger(s)"
    return f"{len(obs.addresses)} address(es)"


@record
class Route(Record):
    """Who a name's traffic reaches, address by address.

    Each address is served by the provider whose published range holds it; an address no range
    holds is the provider's of the name that owns it (the end of the CNAME chain) when the
    knowledge base recognises that name, else unknown. A name with no addresses is its owner's.
    The verdict reads every address, so it cannot depend on their order."""

    found: tuple[Attribution, ...]
    """Every attribution along the way (chain names, then addresses), for evidence."""
    served: tuple[tuple[str, Attribution | None], ...]
    """(address, or the owning name when there are none; who serves it, None when unknown)."""

    @classmethod
    def of(cls, chain: Sequence[str], addresses: Sequence[str], attributor: Attributor) -> Route:
        names = [attributor.name(n) for n in chain]
        ranges = [attributor.address(a) for a in addresses]
        owner = names[-1] if names else None
        served = tuple((a, r or owner) for a, r in zip(addresses, ranges, strict=True))
        found = tuple(a for a in (*names, *ranges) if a is not None)
        return cls(found, served or ((chain[-1], owner),))

    @property
    def unknown(self) -> list[str]:
        return [what for what, by in self.served if by is None]


def _observed(
    facts: dict[str, Fact],
    route: Route,
    chain: Sequence[str],
    status: Status,
    seen: Observed,
) -> None:
    """Add what the attributions establish, for a name that resolved; leave out what they do
    not establish. An unresolved name gets no observed facts at all: a dangling CNAME into a
    provider's domain says where the name was meant to go, not who serves it."""
    if status is not Status.RESOLVED:
        return
    declared = facts.get("provider.id")
    found = route.found
    edges = [a for a in found if a.edge]
    facts["endpoint.observed.edge"] = Fact("endpoint.observed.edge", bool(edges), seen.origin)
    if edges:
        _every_edge(facts, edges)
        _put(facts, "endpoint.observed.location", INDETERMINATE, edges[0])
    else:  # even with nothing attributed: no range then places the name, DNS-DRIFT-02 waits
        _located(facts, route, seen)
    if not found:
        return
    providers = list(dict.fromkeys(a.provider for a in found))
    evidence = dict.fromkeys(
        f"{a.subject} is {a.provider} by {a.method.value} {a.evidence}, confidence "
        f"{a.confidence.value}"
        for a in found
    )
    _put(facts, "endpoint.observed.providers", providers, found[0])
    _put(facts, "endpoint.observed.via", f"{' -> '.join(chain)}: {'; '.join(evidence)}", found[0])
    known = [by for _, by in route.served if by is not None]
    # Whoever the addresses belong to receives the traffic: a CNAME through the declared
    # provider's domain to addresses of another provider is served by that other one, and one
    # address of another provider among the declared one's is enough for the name to drift.
    others = sorted(
        (by for by in known if declared is None or by.provider != declared.value),
        key=lambda by: by.provider,
    )
    serving = others[0] if others else (known[0] if known else None)
    if serving is not None:
        _put(facts, "endpoint.observed.provider", serving.provider, serving)
        # Every provider serving some address, by id, for messages: one named alone must not be
        # the declared one while another also serves (nor another one alone while the declared
        # one does). A list of its own, so that rules comparing `provider` as text still hold.
        every = sorted({by.provider for by in known})
        _put(facts, "endpoint.observed.serving_ids", every, serving)
        _put(facts, "endpoint.observed.provider_name", serving.provider_name, serving)
        _put(facts, "endpoint.observed.parent.name", serving.parent, serving)
        _put(facts, "endpoint.observed.parent.country", serving.parent_country, serving)
        _every_provider(facts, route)
    unknown = route.unknown
    if unknown:
        said = facts["endpoint.detail"]
        facts["endpoint.detail"] = Fact(
            "endpoint.detail",
            f"{said.value}; no provider known for {', '.join(unknown)} (neither a published "
            f"range nor the name {chain[-1]} is recognised)",
            seen.origin,
        )
    if declared is None:
        return
    serving_ids = ", ".join(dict.fromkeys(by.provider for by in known)) or "none"
    if others or not unknown:
        facts["endpoint.provider_matches"] = Fact(
            "endpoint.provider_matches",
            not others,
            f"derived: declared {declared.value} ({declared.origin}) compared with the "
            f"providers serving {', '.join(what for what, _ in route.served)}: {serving_ids} "
            f"(seen: {', '.join(providers)}; {seen.origin})",
        )
    # else: the provider of some address is unknown, so the name cannot be verified (the
    # detail names the addresses)


def _every_edge(facts: dict[str, Fact], edges: Sequence[Attribution]) -> None:
    """Every CDN or anycast provider on the way, in the order met (chain, then addresses): each
    one terminates or carries the traffic, so a rule judging who can see it reads them all,
    and an EU-controlled edge first does not hide a foreign-parented one after it (or the
    reverse). `endpoint.edge.provider` and `.parent.country` stay the first one's."""
    first = edges[0]
    firsts: dict[str, Attribution] = {}  # each provider's first attribution, in order
    for a in edges:
        firsts.setdefault(a.provider, a)
    met = list(firsts.values())
    _put(facts, "endpoint.edge.provider", first.provider, first)
    _put(facts, "endpoint.edge.parent.country", first.parent_country, first)
    origin = "; ".join(dict.fromkeys(a.source for a in met))
    urls = list(dict.fromkeys(a.url for a in met))
    url = urls[0] if len(urls) == 1 else None
    verified = all(a.verified for a in met)
    said = [f"{a.provider_name} (parent {a.parent}, {a.parent_country})" for a in met]
    for path, value in (
        ("endpoint.edge.providers", [a.provider for a in met]),
        ("endpoint.edge.parent.countries", sorted({a.parent_country for a in met})),
        ("endpoint.edge.serving", ", then ".join(said)),
    ):
        facts[path] = Fact(path, value, origin, url, verified)


def _every_provider(facts: dict[str, Fact], route: Route) -> None:
    """Every provider serving some address, with its parent's country: each one receives
    traffic (mail sent to an exchanger goes to whichever address the sender picks), so a rule
    judging who handles it reads them all, `ZZ` for an address nobody can attribute, and its
    verdict cannot depend on which provider sorts first. Only for a route some known provider
    serves, like `endpoint.observed.provider`: one nobody can attribute is DNS-DRIFT-01's."""
    by_provider: dict[str, list[str]] = {}
    attributions: dict[str, Attribution] = {}
    for what, by in route.served:
        if by is not None:
            by_provider.setdefault(by.provider, []).append(what)
            attributions.setdefault(by.provider, by)
    unknown = route.unknown
    countries = sorted({a.parent_country for a in attributions.values()})
    if unknown:
        countries.append(UNKNOWN_COUNTRY)
    said = [
        f"{a.provider_name} (parent {a.parent}, {a.parent_country})" for a in attributions.values()
    ]
    if len(said) > 1 or unknown:
        said = [
            f"{s} for {', '.join(by_provider[p])}" for s, p in zip(said, by_provider, strict=True)
        ]
    if unknown:
        said.append(f"no provider known for {', '.join(unknown)}")
    sources = list(dict.fromkeys(a.source for a in attributions.values()))
    urls = list(dict.fromkeys(a.url for a in attributions.values()))
    origin = "; ".join(sources) + (
        f"; derived: no provider known for {', '.join(unknown)}" if unknown else ""
    )
    url = urls[0] if len(urls) == 1 else None
    verified = all(a.verified for a in attributions.values())
    facts["endpoint.observed.parent.countries"] = Fact(
        "endpoint.observed.parent.countries", countries, origin, url, verified
    )
    facts["endpoint.observed.serving"] = Fact(
        "endpoint.observed.serving", "; ".join(said), origin, url, verified
    )


def _located(facts: dict[str, Fact], route: Route, seen: Observed) -> None:
    """Where the addresses are, by the regions of the ranges holding them (no CDN or anycast
    edge on the way: DNS-CDN-01 judges those). A range with no region (a global service) or no
    range at all places nothing: the country stays unknown, never guessed."""
    located = [
        (what, by)
        for what, by in route.served
        if by is not None and by.location not in (None, INDETERMINATE)
    ]
    facts["endpoint.observed.located"] = Fact(
        "endpoint.observed.located", bool(located), seen.origin
    )
    if not located:
        return
    first = located[0][1]
    countries = sorted({str(by.location) for _, by in located})
    regions = ", ".join(
        dict.fromkeys(f"{w} in {by.provider} {by.region} ({by.location})" for w, by in located)
    )
    _put(facts, "endpoint.observed.countries", countries, first)
    _put(facts, "endpoint.observed.regions", regions, first)
    whole = len(located) == len(route.served)
    if whole:
        _put(facts, "endpoint.observed.fully_located", True, first)
        if len(countries) == 1:
            _put(facts, "endpoint.observed.location", countries[0], first)
    declared = facts.get("location.country")
    if declared is None or declared.value is None:
        return
    differs = [c for c in countries if c != declared.value]
    if differs or whole:
        facts["endpoint.location_matches"] = Fact(
            "endpoint.location_matches",
            not differs,
            f"derived: declared country {declared.value} ({declared.origin}) compared with the "
            f"countries of the ranges holding the addresses: {regions} ({seen.origin})",
        )


def _put(facts: dict[str, Fact], path: str, value: object, a: Attribution) -> None:
    facts[path] = Fact(path, value, a.source, a.url, a.verified)

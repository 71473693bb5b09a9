"""Who serves a name or an address: provider attribution from the knowledge base, no DNS here.

Two methods, each with its source and a confidence:
- `dns-suffix`: the name is, or is under, a suffix the provider's entry lists (`dns_suffixes` in
  kb/providers.yaml); the longest matching suffix wins, so `aspmx.l.google.com` is Google
  Workspace mail, not Google Cloud.
- `ip-range`: the address is in a prefix of the provider's published ranges
  (kb/ip-ranges/<provider>.json); the most specific prefix wins, and a service-specific entry
  (EC2, CLOUDFRONT) is preferred to AWS's catch-all AMAZON.
A CDN or anycast edge (kb/edges.yaml) has location "indeterminate": the same name is answered
from many countries. A region-specific range gives the region's country (kb/regions.yaml).
Otherwise the location stays unknown (None), never guessed.
"""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum

from residency_audit.kb import KnowledgeBase
from residency_audit.kb.network import GLOBAL, RangeEntry
from residency_audit.model import doc
from residency_audit.records import Record, record

INDETERMINATE = "indeterminate"
_GENERIC_SERVICES = frozenset({"AMAZON"})


class Method(StrEnum):
    DNS_SUFFIX = "dns-suffix"
    IP_RANGE = "ip-range"


class Confidence(StrEnum):
    """high: the provider's own name or a service-specific published range; medium: only a
    catch-all range (AWS's AMAZON) matched."""

    HIGH = "high"
    MEDIUM = "medium"


@record
class Attribution(Record):
    """One name or address attributed to a provider."""

    subject: str = field(metadata=doc("The name or address attributed."))
    provider: str = field(metadata=doc("Knowledge-base provider id."))
    provider_name: str = field(metadata=doc("Provider name."))
    parent: str = field(metadata=doc("Ultimate parent (legal entity)."))
    parent_country: str = field(metadata=doc("Country of the ultimate parent."))
    method: Method = field(metadata=doc("dns-suffix or ip-range."))
    evidence: str = field(metadata=doc("The suffix, or the prefix with its region and service."))
    source: str = field(metadata=doc("Knowledge-base entry used, e.g. kb:providers.yaml#aws."))
    url: str = field(metadata=doc("Where that knowledge was checked."))
    confidence: Confidence = field(metadata=doc("high or medium."))
    verified: bool = field(metadata=doc("The knowledge used is marked verified."))
    edge: bool = field(default=False, metadata=doc("Served from CDN or anycast edges."))
    location: str | None = field(
        default=None, metadata=doc('Country, "indeterminate" (edges), or absent when unknown.')
    )
    region: str | None = field(default=None, metadata=doc("Provider region (ip-range only)."))


class Attributor:
    """Attributes names and addresses with one knowledge base (suffix table built once)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.network = kb.network()
        self._suffixes: dict[str, str] = {}
        for provider in kb.providers.values():
            for suffix in provider.dns_suffixes:
                self._suffixes.setdefault(suffix.lower().strip("."), provider.id)

    def name(self, name: str) -> Attribution | None:
        """Attribution of a DNS name by its longest provider suffix."""
        labels = name.lower().rstrip(".").split(".")
        for i in range(len(labels)):
            suffix = ".".join(labels[i:])
            provider_id = self._suffixes.get(suffix)
            if provider_id is not None:
                return self._make(
                    name.lower().rstrip("."),
                    provider_id,
                    Method.DNS_SUFFIX,
                    f"suffix {suffix}",
                    edge=self._edge_suffix(provider_id, suffix),
                )
        return None

    def address(self, address: str) -> Attribution | None:
        """Attribution of an IP address by the most specific published prefix."""
        entries = self.network.index.lookup(address)
        if not entries:
            return None
        specific = [e for e in entries if e.service not in _GENERIC_SERVICES]
        chosen: RangeEntry = sorted(specific or entries, key=lambda e: (e.service, e.region))[0]
        edge = any(self._edge_service(e.provider, e.service) for e in entries)
        snapshot = self.network.snapshots[chosen.provider]
        location: str | None = None
        if edge or chosen.region == GLOBAL:
            location = INDETERMINATE
        else:
            region = self.kb.region(chosen.provider, chosen.region)
            location = region.country if region is not None else None
        return self._make(
            address,
            chosen.provider,
            Method.IP_RANGE,
            f"{chosen.prefix} {chosen.service} {chosen.region} (snapshot of "
            f"{snapshot.as_of.isoformat()})",
            edge=edge,
            location=location,
            region=None if chosen.region == GLOBAL else chosen.region,
            confidence=Confidence.HIGH if specific else Confidence.MEDIUM,
            source=(snapshot.origin, snapshot.source, snapshot.verified),
        )

    def _edge_suffix(self, provider_id: str, suffix: str) -> bool:
        edge = self.network.edges.get(provider_id)
        return edge is not None and (edge.all_names or suffix in edge.suffixes)

    def _edge_service(self, provider_id: str, service: str) -> bool:
        edge = self.network.edges.get(provider_id)
        return edge is not None and (edge.all_names or service in edge.services)

    def _make(
        self,
        subject: str,
        provider_id: str,
        method: Method,
        evidence: str,
        *,
        edge: bool,
        location: str | None = None,
        region: str | None = None,
        confidence: Confidence = Confidence.HIGH,
        source: tuple[str, str, bool] | None = None,
    ) -> Attribution:
        provider = self.kb.providers[provider_id]
        origin, url, verified = source or (
            f"kb:providers.yaml#{provider.id}",
            provider.source,
            provider.verified,
        )
        if edge:
            location = INDETERMINATE
            edge_entry = self.network.edges[provider_id]
            if not edge_entry.verified:  # the edge claim rests on kb/edges.yaml too
                origin, verified = f"{origin} + kb:edges.yaml#{provider_id}", False
        return Attribution(
            subject=subject,
            provider=provider.id,
            provider_name=provider.name,
            parent=provider.parent.name,
            parent_country=provider.parent.country,
            method=method,
            evidence=evidence,
            source=origin,
            url=url,
            confidence=confidence,
            verified=verified,
            edge=edge,
            location=location,
            region=region,
        )

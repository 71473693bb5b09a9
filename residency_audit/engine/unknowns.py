"""What a finding that cannot be verified cites for a fact nobody knows (`Subject.unknowns`):
the field with no value where it was declared or derived from, then what it derives from and
the knowledge-base file that has no entry for what the deployment names. Built with the
subjects (`engine.subjects`) and the flows (`residency_audit.flows`); cited by
`engine.evaluate`."""

from __future__ import annotations

from collections.abc import Mapping

from residency_audit.model import Fact, Span

PROVIDER_FIELDS = (
    "provider.name",
    "provider.parent.name",
    "provider.parent.country",
    "provider.eu_controlled",
    "provider.marketed_as_sovereign",
)
"""The place facts the knowledge base gives for a provider it knows."""


def place_unknowns(f: Mapping[str, Fact], span: Span) -> dict[str, tuple[Fact, ...]]:
    """`Subject.unknowns` of a place (and of its component): the provider facts of a provider
    the knowledge base does not know, cited at the provider's declaration with the file that
    has no entry for it; an ultimate parent's control the knowledge base does not record, at
    its entry; and a country nobody can give the place, at its region (or the place, with no
    region), with the subject's account of why (`location.unplaced`) and the file that has no
    entry for the region; and the host and transfer tools of a place in a region another entity
    than the provider's own operates, with who operates it (`place.region_operator`), when no
    `operator` names its host, and the provider's parent there when no declared operator gives
    one (`provider.parent_unknown_because`). Empty for a located place of a known provider."""
    out: dict[str, tuple[Fact, ...]] = {}
    provider = f.get("provider.id")
    name = f.get("provider.name")
    lacking: tuple[Fact, ...] = ()
    if provider is not None and name is None:
        lacking = (provider, no_entry("provider", str(provider.value)))
        out.update({p: (Fact(p, None, provider.origin), *lacking) for p in PROVIDER_FIELDS})
    elif name is not None and "provider.eu_controlled" not in f:
        out["provider.eu_controlled"] = (Fact("provider.eu_controlled", None, name.origin),)
    apart = f.get("place.region_operator")
    if apart is not None:  # nobody declared runs a region another entity operates: that is why
        for p in ("place.host", "transfer.tools"):
            if p not in f:
                out[p] = (Fact(p, None, str(span)), apart)
        why = f.get("provider.parent_unknown_because")
        if why is not None and why.value:  # nor is its parent known (`region_operator_parent`)
            for p in PROVIDER_FIELDS[1:4]:
                if p not in f:
                    out[p] = (Fact(p, None, str(span)), why, apart)
    if "location.country" not in f:
        region = f.get("location.region")
        said = tuple(f[p] for p in ("location.region", "location.unplaced") if p in f)
        if region is not None and provider is not None and not lacking:
            said += (no_entry("region", f"{provider.value}/{region.value}"),)
        where = str(span) if region is None else region.origin
        out["location.country"] = (Fact("location.country", None, where), *said, *lacking)
    return out


_KB_FILES = {"country": "countries", "provider": "providers", "region": "regions"}


def no_entry(kind: str, name: str) -> Fact:
    """The knowledge-base file consulted for `name` (a `country`, `provider` or `region`) and
    holding no entry for it, as a fact with no value: what an unknown fact turns on when the
    deployment names something the knowledge base does not know."""
    return Fact(f"kb.{kind}.{name}", None, f"kb:{_KB_FILES[kind]}.yaml")

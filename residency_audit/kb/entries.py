"""Knowledge-base entry types. Every fact carries its source, whether it was verified, when it was
checked (`as_of`) and the period it holds (`valid_from` inclusive, `valid_until` exclusive)."""

from __future__ import annotations

import datetime as dt
from dataclasses import field

from residency_audit.model import Span, doc
from residency_audit.records import Record, record


@record(kw_only=True)
class Provenance(Record):
    """Where a knowledge-base fact comes from and the period it holds."""

    source: str = field(metadata=doc("URL of the source the fact was checked against."))
    verified: bool = field(metadata=doc("False when the fact is from memory or a weak source."))
    as_of: dt.date = field(metadata=doc("When the fact was last checked."))
    valid_from: dt.date | None = field(default=None, metadata=doc("First day the fact holds."))
    valid_until: dt.date | None = field(
        default=None, metadata=doc("First day the fact no longer holds (exclusive).")
    )
    note: str | None = field(default=None, metadata=doc("Caveats, open questions."))
    span: Span = field(default=Span("", 0, 0), compare=False)

    def holds_on(self, day: dt.date) -> bool:
        start = self.starts()
        if start is not None and day < start:
            return False
        return self.valid_until is None or day < self.valid_until

    def starts(self) -> dt.date | None:
        """The first day the fact holds, if known."""
        return self.valid_from


@record(kw_only=True)
class Period(Record):
    """A period of membership (EU, EEA): from a day, until the first day after it."""

    start: dt.date = field(metadata=doc("First day (inclusive).", key="from"))
    end: dt.date | None = field(
        default=None, metadata=doc("First day after (exclusive).", key="until")
    )

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@record(kw_only=True)
class Country(Provenance):
    """A country with its EU and EEA membership periods."""

    code: str = field(metadata=doc("ISO 3166-1 alpha-2 code."))
    name: str = field(metadata=doc("English short name."))
    eu: tuple[Period, ...] = field(default=(), metadata=doc("EU membership periods."))
    eea: tuple[Period, ...] = field(default=(), metadata=doc("Periods inside the EEA (GDPR area)."))


@record(kw_only=True)
class Adequacy(Provenance):
    """An EU adequacy decision (GDPR Art. 45) with its dates and scope."""

    id: str = field(metadata=doc("Stable id."))
    title: str = field(metadata=doc("Short title."))
    decision: str = field(metadata=doc("Decision reference."))
    scope: str = field(metadata=doc("general or restricted."))
    country: str | None = field(default=None, metadata=doc("Country covered."))
    organisation: str | None = field(default=None, metadata=doc("International organisation."))
    adopted: dt.date | None = field(default=None, metadata=doc("Adoption date."))
    scope_id: str | None = field(default=None, metadata=doc("Id of the restricted scope."))
    scope_note: str | None = field(default=None, metadata=doc("What the scope covers."))
    url: str | None = field(default=None, metadata=doc("Official text."))
    interim: bool = field(
        default=False,
        metadata=doc(
            "Not an adequacy decision: an interim provision under which Chapter V did not apply "
            "to the country (the EU-UK TCA bridge), recorded here because a general decision "
            "reproduces its effect; reports name it as what it is."
        ),
    )

    def starts(self) -> dt.date | None:
        """Without a verified date of application, a decision holds from its adoption: never
        before it (it did not exist), perhaps a few days early (notification)."""
        return self.valid_from or self.adopted


@record(kw_only=True)
class Instrument(Provenance):
    """A dated legal instrument: SCC decision, HDS referential, guidance, judgment."""

    id: str = field(metadata=doc("Stable id."))
    kind: str = field(metadata=doc("scc, hds-referential, secnumcloud, regulation, guidance..."))
    title: str = field(metadata=doc("Title and reference."))
    url: str | None = field(default=None, metadata=doc("Official text."))
    certificate_years: int | None = field(
        default=None, metadata=doc("How long a certificate issued under it is valid, in years.")
    )
    new_contracts_until: dt.date | None = field(
        default=None,
        metadata=doc(
            "First day no new contract may rely on it (repealed with a transition for contracts "
            "concluded before; those hold until valid_until)."
        ),
    )
    new_certificates_until: dt.date | None = field(
        default=None,
        metadata=doc(
            "First day no new certificate may be issued under it (a referential replaced with a "
            "transition; certificates issued before hold until valid_until)."
        ),
    )


@record(kw_only=True)
class Law(Provenance):
    """A law that gives authorities access to data, with its jurisdiction and status."""

    id: str = field(metadata=doc("Stable id."))
    name: str = field(metadata=doc("Short name."))
    citation: str = field(metadata=doc("Legal citation."))
    jurisdiction: str = field(metadata=doc("Country whose law it is."))
    compelled_access: bool = field(metadata=doc("Can compel a provider to hand over data."))
    applies_to: str | None = field(default=None, metadata=doc("Who it binds."))
    enacted: dt.date | None = field(default=None, metadata=doc("Enactment date."))
    status: str | None = field(default=None, metadata=doc("in-force, lapsed, repealed, uncertain."))
    status_as_of: dt.date | None = field(default=None, metadata=doc("Date of the status."))
    url: str | None = field(default=None, metadata=doc("Text of the law."))


@record(kw_only=True)
class Entity(Provenance):
    """A provider's legal entity contracting with EU customers."""

    name: str = field(metadata=doc("Legal entity name."))
    country: str = field(metadata=doc("Seat."))


@record(kw_only=True)
class ParentCompany(Record):
    """A provider's ultimate parent and the country of its seat."""

    name: str = field(metadata=doc("Ultimate parent."))
    country: str = field(metadata=doc("Seat of the ultimate parent."))


@record(kw_only=True)
class ProviderCertification(Provenance):
    """A certification or qualification a provider holds, with its scope and dates."""

    scheme: str = field(metadata=doc("hds, secnumcloud, iso27001."))
    offer: str | None = field(default=None, metadata=doc("Offer or scope."))
    activities: tuple[int, ...] = field(default=(), metadata=doc("HDS activities."))
    referential: str | None = field(default=None, metadata=doc("Referential version."))


@record(kw_only=True)
class Provider(Provenance):
    """A cloud, CDN or mail provider: entities, ultimate parent, certifications, DNS names."""

    id: str = field(metadata=doc("Stable id used in deployments."))
    name: str = field(metadata=doc("Commercial name."))
    parent: ParentCompany = field(metadata=doc("Ultimate parent and its jurisdiction."))
    entities: tuple[Entity, ...] = field(default=(), metadata=doc("Contracting legal entities."))
    eu_controlled: bool | None = field(default=None, metadata=doc("Ultimately EU-controlled."))
    certifications: tuple[ProviderCertification, ...] = field(
        default=(), metadata=doc("Certifications and qualifications with dates.")
    )
    dns_suffixes: tuple[str, ...] = field(default=(), metadata=doc("DNS suffixes it serves."))
    marketed_as_sovereign: bool | None = field(
        default=None, metadata=doc("The offer is marketed as a sovereign or EU-only cloud.")
    )


@record(kw_only=True)
class RegionOperator(Provenance):
    """The entity operating a provider's region when it is not one of the provider's own
    (AWS's China regions are operated by Chinese companies, not AWS): a place there is not
    hosted by the provider's declared party unless the deployment says so."""

    name: str | None = field(
        default=None, metadata=doc("Legal name, only when a source gives it; else omitted.")
    )
    country: str | None = field(default=None, metadata=doc("Seat, when a source gives it."))


@record(kw_only=True)
class Region(Record):
    """A provider region and the country it is in."""

    country: str = field(metadata=doc("ISO country of the region."))
    name: str | None = field(default=None, metadata=doc("Provider's name for the region."))
    source: str | None = field(default=None, metadata=doc("Overrides the block's source."))
    verified: bool | None = field(default=None, metadata=doc("Overrides the block's flag."))
    note: str | None = field(default=None, metadata=doc("Caveats."))
    operator: RegionOperator | None = field(
        default=None,
        metadata=doc(
            "Who operates the region, when another entity than the provider's own does "
            "(absent: the provider's own entities)."
        ),
    )


@record(kw_only=True)
class RegionBlock(Provenance):
    """A provider's regions, with the source they were checked against."""

    regions: dict[str, Region] = field(metadata=doc("Region id → location."))


@record(kw_only=True)
class CountriesFile(Record):
    """kb/data/countries.yaml."""

    countries: tuple[Country, ...] = field(metadata=doc("Countries."))


@record(kw_only=True)
class AdequacyFile(Record):
    """kb/data/adequacy.yaml."""

    decisions: tuple[Adequacy, ...] = field(metadata=doc("Adequacy decisions."))


@record(kw_only=True)
class InstrumentsFile(Record):
    """kb/data/instruments.yaml."""

    instruments: tuple[Instrument, ...] = field(metadata=doc("Instruments."))


@record(kw_only=True)
class LawsFile(Record):
    """kb/data/laws.yaml."""

    laws: tuple[Law, ...] = field(metadata=doc("Laws."))


@record(kw_only=True)
class ProvidersFile(Record):
    """kb/data/providers.yaml."""

    providers: tuple[Provider, ...] = field(metadata=doc("Providers."))


@record(kw_only=True)
class RegionsFile(Record):
    """kb/data/regions.yaml."""

    providers: dict[str, RegionBlock] = field(metadata=doc("Regions per provider."))

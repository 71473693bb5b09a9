"""The knowledge base: countries, adequacy decisions, instruments, laws, providers and regions.

Data live in `kb/data/*.yaml`, are validated like user input, and are offered as typed, dated
lookups. A lookup that fails returns None (callers turn that into a "cannot be verified" finding)
and `suggest` offers the nearest known name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from residency_audit.errors import KnowledgeBaseError
from residency_audit.format.convert import INVALID, Converter
from residency_audit.format.text import suggestion
from residency_audit.kb.entries import (
    Adequacy,
    AdequacyFile,
    CountriesFile,
    Country,
    Instrument,
    InstrumentsFile,
    Law,
    LawsFile,
    Provenance,
    Provider,
    ProvidersFile,
    Region,
    RegionBlock,
    RegionOperator,
    RegionsFile,
)
from residency_audit.loader import load_document
from residency_audit.model import Fact, Span
from residency_audit.records import Record, record

if TYPE_CHECKING:  # imported on first use: only DNS attribution needs it (start-up time)
    from residency_audit.kb.network import NetworkKnowledge

DATA_DIR = Path(__file__).parent / "data"
STALE_AFTER_DAYS = 183
"""Knowledge checked longer ago than this (about six months) is flagged in the report header."""

T = TypeVar("T")


COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}
"""Codes the EU's own style guide uses instead of ISO 3166-1 (United Kingdom, Greece): the
likeliest country typos in a European deployment."""

UNKNOWN_COUNTRY = "ZZ"
"""ISO 3166-1 user-assigned code written where a country is not known (e.g. not observable); the
knowledge base does not know it, so any rule that needs it reports "cannot be verified"."""


@record
class KbFile(Record):
    """A knowledge-base file and its SHA-256, for the evidence manifest."""

    name: str
    sha256: str


@record
class RegionFact(Record):
    """Where a provider region is, and the source of that fact."""

    provider: str
    region: str
    country: str
    source: str
    verified: bool
    as_of: dt.date
    note: str | None
    operator: RegionOperator | None = None
    """Who operates the region when not the provider's own entities (`Region.operator`)."""

    def fact(self, path: str) -> Fact:
        return Fact(
            path,
            self.country,
            f"kb:regions.yaml#{self.provider}/{self.region}",
            self.source,
            self.verified,
        )

    def operator_fact(self, path: str) -> Fact | None:
        """The fact `path`: who operates the region, when not the provider's own entities (its
        name and seat where a source gives them), citing the entry and its source."""
        operator = self.operator
        if operator is None:
            return None
        who = operator.name or f"an entity other than {self.provider}'s own (name not recorded)"
        seat = f", seat {operator.country}" if operator.country else ""
        origin = f"kb:regions.yaml#{self.provider}/{self.region}/operator"
        return fact_from(operator, path, f"{who}{seat}", origin)


MEMO_LIMIT = 20_000
"""Answers `KnowledgeBase.memo` keeps (a few hundred for a real batch)."""


class KnowledgeBase:
    """Typed, dated lookups over the bundled knowledge."""

    def __init__(self, directory: Path = DATA_DIR) -> None:
        self.directory = directory
        self._network: NetworkKnowledge | None = None
        self.files: list[KbFile] = []
        countries = self._load(directory, "countries.yaml", CountriesFile).countries
        self.countries: dict[str, Country] = {c.code: c for c in countries}
        self.decisions: tuple[Adequacy, ...] = self._load(
            directory, "adequacy.yaml", AdequacyFile
        ).decisions
        self.instruments: dict[str, Instrument] = {
            i.id: i for i in self._load(directory, "instruments.yaml", InstrumentsFile).instruments
        }
        self.laws: dict[str, Law] = {
            law.id: law for law in self._load(directory, "laws.yaml", LawsFile).laws
        }
        self.providers: dict[str, Provider] = {
            p.id: p for p in self._load(directory, "providers.yaml", ProvidersFile).providers
        }
        self.region_blocks: dict[str, RegionBlock] = self._load(
            directory, "regions.yaml", RegionsFile
        ).providers
        self._memo: dict[Hashable, Any] = {}
        self.derived_facts: dict[tuple[Any, ...], Fact] = {}
        """Derived facts of scalar values by (path, type, value, how), shared by every subject
        and file that derives the same (`SubjectBuilder.derived`): a fact is immutable and
        depends on nothing else. At most `MEMO_LIMIT`, as the memo."""

    # -- memo of repeated lookups ---------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_memo": {}, "derived_facts": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._memo = {}  # also for a parse-cache entry written before the memo existed
        self.derived_facts = {}

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, remembered under `key`. Auditing a file asks the same few questions
        (is FR in the EEA on the as-of date? which laws reach US entities?) hundreds of times,
        and the answers depend only on the knowledge base and the key, which must name every
        other input of `compute` (the lookup, its arguments, the day). Keys hold codes and dates
        read from deployments, so a hostile batch could name millions of distinct ones: past
        `MEMO_LIMIT` entries the memo starts again."""
        try:
            return self._memo[key]  # type: ignore[no-any-return]
        except KeyError:
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            value = self._memo[key] = compute()
            return value

    def law_fact(self, law: Law) -> Fact:
        """The fact `kb.law.<id>` (the law's citation) that findings relying on `law` cite. One
        object per law: a file's findings cite the same few laws, and an object pickled many
        times is written once (batch workers send their findings pickled)."""
        return self.memo(
            ("law_fact", law.id),
            lambda: fact_from(law, f"kb.law.{law.id}", law.citation, f"kb:laws.yaml#{law.id}"),
        )

    def _load(self, directory: Path, name: str, cls: type[T]) -> T:
        document = load_document(directory / name, f"kb/{name}")
        self.files.append(KbFile(f"kb/{name}", hashlib.sha256(document.raw).hexdigest()))
        converter = Converter(document.path, track_locations=False)
        if document.root is None:
            raise KnowledgeBaseError.at(Span(document.path, 1, 1), "empty knowledge-base file")
        value = converter.mapping(document.root, cls, "")
        if value is INVALID:
            raise KnowledgeBaseError(sorted(converter.diagnostics))
        return value  # type: ignore[no-any-return]

    # -- countries ---------------------------------------------------------------------------

    def country(self, code: str | None) -> Country | None:
        return self.countries.get(code) if code else None

    def in_eea(self, code: str | None, on: dt.date) -> bool | None:
        """In the EU or the EEA on `on` (an EU member is in the GDPR area from accession, before
        its EEA Agreement accession: Croatia 2013 vs 2014)."""
        country = self.country(code)
        if country is None:
            return None
        return self.memo(("in_eea", code, on), lambda: in_eea(country, on))

    def in_eu(self, code: str | None, on: dt.date) -> bool | None:
        country = self.country(code)
        if country is None:
            return None
        return any(p.contains(on) for p in country.eu)

    # -- adequacy and instruments ---------------------------------------------------------------

    def adequacy(self, code: str | None, on: dt.date) -> tuple[Adequacy, ...]:
        """Adequacy decisions covering `code` in force on `on` (general or restricted)."""
        return self.memo(
            ("adequacy", code, on),
            lambda: tuple(d for d in self.decisions if d.country == code and d.holds_on(on)),
        )

    def adequacy_around(
        self, code: str | None, on: dt.date, *, scope_id: str | None = None
    ) -> tuple[Adequacy, ...]:
        """The decisions covering `code` nearest to `on` without being in force on it: the last
        to have ended by then and the first to start after it, when there are. A verdict that
        no decision is in force turns on them (the UK decision that lapsed, the DPF not yet
        adopted). `scope_id`: only the decisions of that restricted scope; else only general
        ones."""

        def around() -> tuple[Adequacy, ...]:
            mine = [
                d
                for d in self.decisions
                if d.country == code
                and (d.scope_id == scope_id if scope_id else d.scope == "general")
            ]
            ended = [d for d in mine if d.valid_until is not None and d.valid_until <= on]
            pending = [d for d in mine if (start := d.starts()) is not None and on < start]
            last = max(ended, key=lambda d: d.valid_until or on, default=None)
            first = min(pending, key=lambda d: d.starts() or on, default=None)
            return tuple(d for d in (last, first) if d is not None)

        return self.memo(("adequacy_around", code, on, scope_id), around)

    def generally_adequate(self, code: str | None, on: dt.date) -> bool | None:
        if self.country(code) is None:
            return None
        return self.memo(
            ("generally_adequate", code, on),
            lambda: any(d.scope == "general" for d in self.adequacy(code, on)),
        )

    def instrument(self, instrument_id: str) -> Instrument | None:
        return self.instruments.get(instrument_id)

    def entry(self, entry_id: str) -> tuple[str, Provenance] | None:
        """(file, entry) of an instrument, adequacy decision or law id."""
        if entry_id in self.instruments:
            return "instruments.yaml", self.instruments[entry_id]
        if entry_id in self.laws:
            return "laws.yaml", self.laws[entry_id]
        decision = next((d for d in self.decisions if d.id == entry_id), None)
        return ("adequacy.yaml", decision) if decision is not None else None

    # -- laws ----------------------------------------------------------------------------------

    def compelled_access_laws(self, jurisdiction: str | None, on: dt.date) -> tuple[Law, ...]:
        """Laws of `jurisdiction` that can compel access to data, enacted by `on`."""
        return self.memo(
            ("compelled_access_laws", jurisdiction, on),
            lambda: tuple(
                law for law in self.surveillance_laws(jurisdiction, on) if law.compelled_access
            ),
        )

    def surveillance_laws(self, jurisdiction: str | None, on: dt.date) -> tuple[Law, ...]:
        """Every access law of `jurisdiction` in force on `on`, compelled or not (EO 12333)."""
        return self.memo(
            ("surveillance_laws", jurisdiction, on),
            lambda: tuple(
                law
                for law in self.laws.values()
                if law.jurisdiction == jurisdiction
                and (law.enacted is None or law.enacted <= on)
                and law.holds_on(on)
            ),
        )

    # -- providers and regions -----------------------------------------------------------------

    def provider(self, provider_id: str | None) -> Provider | None:
        return self.providers.get(provider_id) if provider_id else None

    def region(self, provider_id: str, region: str) -> RegionFact | None:
        # each place, key and replica asks of its region: one shared answer per region, read
        # from the memo without a closure or a call to `memo` (twenty times a file)
        key = ("region", provider_id, region)
        try:
            return self._memo[key]  # type: ignore[no-any-return]
        except KeyError:
            return self.memo(key, lambda: self._region(provider_id, region))

    def _region(self, provider_id: str, region: str) -> RegionFact | None:
        block = self.region_blocks.get(provider_id)
        if block is None:
            return None
        entry: Region | None = block.regions.get(region)
        if entry is None:
            return None
        return RegionFact(
            provider_id,
            region,
            entry.country,
            entry.source or block.source,
            block.verified if entry.verified is None else entry.verified,
            block.as_of,
            entry.note,
            entry.operator,
        )

    def network(self) -> NetworkKnowledge:
        """CDN/anycast edges and published IP ranges, read on first use (the snapshots are
        large and only DNS attribution needs them); `network().files` lists what was read."""
        if self._network is None:
            from residency_audit.kb.network import load_network

            self._network = load_network(self.directory, self.providers)
        return self._network

    # -- suggestions ---------------------------------------------------------------------------

    def suggest(self, what: str, value: str, provider_id: str | None = None) -> str:
        """`; did you mean "x"?` or an empty string."""
        names: list[str]
        if what == "region" and provider_id in self.region_blocks:
            names = list(self.region_blocks[provider_id].regions)
            # `eu-west-3` on Azure: the nearest Azure name (`ukwest`) would move the data to
            # another country; say whose region it is, and this provider's regions there
            return self._region_elsewhere(value, provider_id) or suggestion(value, names)
        elif what == "provider":
            names = list(self.providers)
            # `ovh` for `ovhcloud`, `amazon` or `microsoft` for `aws` or `azure`: too short or
            # too far for the nearest-spelling match, yet the name the provider goes by
            wanted = " ".join(value.split()).casefold()
            by_name = [
                p.id
                for p in self.providers.values()
                if len(wanted) >= 3
                and (
                    p.id.startswith(wanted)
                    or p.name.casefold() == wanted
                    or p.name.casefold().split()[0] == wanted
                )
            ]
            if by_name:
                return "; did you mean " + " or ".join(repr(n) for n in by_name) + "?"
        elif what == "country":
            known = COUNTRY_ALIASES.get(value.upper(), value.upper())
            if known in self.countries:
                return f'; did you mean "{known}"?'
            named = self.country_named(value)
            if named is not None:  # `FRANCE`: a name, whose code no spelling of it resembles
                return f'; did you mean "{named}"?'
            names = list(self.countries)
        else:
            names = []
        return suggestion(value, names)

    def _region_elsewhere(self, value: str, provider_id: str) -> str:
        """`; eu-west-3 is a region of aws (FR), not of azure; azure's regions in FR: ...` when
        another provider has a region of that name, else an empty string."""
        owners = {
            other: block.regions[value].country
            for other, block in sorted(self.region_blocks.items())
            if other != provider_id and value in block.regions
        }
        if not owners:
            return ""
        whose = ", ".join(f"{other} ({country})" for other, country in owners.items())
        here = self.region_blocks[provider_id].regions
        lists = []
        for country in sorted(set(owners.values())):
            same = sorted(name for name, entry in here.items() if entry.country == country)
            lists.append(
                f"{provider_id}'s regions in {country}: {', '.join(same)}"
                if same
                else f"no {provider_id} region in {country} in the knowledge base"
            )
        return f"; {value} is a region of {whose}, not of {provider_id}; {'; '.join(lists)}"

    def country_named(self, value: str) -> str | None:
        """The code of the country whose English short name `value` is, whatever the case
        (`France`, `UNITED KINGDOM`), else None: a name written where a code belongs."""
        wanted = " ".join(value.split()).casefold()
        if len(wanted) <= 3:  # `USA`, `fra`: codes of another list, not names
            return None
        for country in self.countries.values():
            if country.name.casefold() == wanted:
                return country.code
        return None

    # -- staleness -----------------------------------------------------------------------------

    def checked(self) -> dt.date | None:
        """The day the knowledge base was last checked: the latest `as_of` of its entries. Rule
        prose (rationale, remediation, caveats) is written as of about that day."""
        days = [
            e.as_of
            for entries in (
                self.countries.values(),
                self.decisions,
                self.laws.values(),
                self.providers.values(),
                self.instruments.values(),
                self.region_blocks.values(),
            )
            for e in entries
        ]
        return max(days, default=None)

    def stale_entries(self, on: dt.date) -> list[str]:
        """Ids of facts checked more than about six months before `on`."""

        # Ages in whole days, not `on - timedelta`: that overflows for `--as-of 0001-01-01`.
        def stale(checked: dt.date) -> bool:
            return (on - checked).days > STALE_AFTER_DAYS

        out: list[str] = []
        groups: list[tuple[str, Any]] = [
            ("adequacy", self.decisions),
            ("laws", self.laws.values()),
            ("providers", self.providers.values()),
            ("instruments", self.instruments.values()),
        ]
        for label, entries in groups:
            out.extend(f"{label}/{e.id}" for e in entries if stale(e.as_of))
        out.extend(f"regions/{name}" for name, b in self.region_blocks.items() if stale(b.as_of))
        out.extend(
            f"regions/{name}/{region_id}/operator"
            for name, b in self.region_blocks.items()
            for region_id, region in b.regions.items()
            if region.operator is not None and stale(region.operator.as_of)
        )
        return sorted(out)


def in_eea(country: Country, on: dt.date) -> bool:
    return any(p.contains(on) for p in (*country.eu, *country.eea))


def fact_from(entry: Provenance, path: str, value: Any, origin: str) -> Fact:
    """A fact read from a knowledge-base entry, carrying the entry's source and flag."""
    return Fact(path, value, origin, entry.source, entry.verified)


_RELIED: set[str] = set()
"""Origins (`kb:<file>#<id>`) of the unverified knowledge-base facts that verdicts rested on in
this process since `take_relied` last emptied it. A check that passes keeps no facts, yet the
report's list of unverified knowledge used must name what its pass rested on (an adequacy
decision from a secondary source, say): the conditions note each such fact here as they
decide (`engine.conditions`), and the run, or a batch worker after each file, takes them."""


def rely(facts: Iterable[Fact]) -> None:
    """Note the unverified facts among `facts` as relied on, if they are the knowledge base's."""
    for fact in facts:
        if not fact.verified and fact.origin.startswith("kb:"):
            _RELIED.add(fact.origin)


ASSUMED = "assumed: "
"""Prefix of the assumptions noted among the relied-on origins (`assume`)."""


def assume(what: str) -> None:
    """Note that a verdict took `what` to hold on the audit date because the input gives no
    day from which it holds (a party's membership of an adequacy list, a BCR approval, a
    waiver): the report says so (`Report.assumptions`). Noted with the relied-on origins, so
    it comes back from batch workers the same way (`take_relied`)."""
    _RELIED.add(ASSUMED + what)


def rely_on_entries(origins: Iterable[str]) -> None:
    """Note unverified knowledge-base entries (`kb:<file>#<id>`) a verdict rested on as a whole:
    a rule's `depends_on`, which every verdict of the rule rests on, pass or finding."""
    _RELIED.update(origins)


def take_relied() -> set[str]:
    """The origins noted by `rely` since the last call, which empties the record."""
    taken = set(_RELIED)
    _RELIED.clear()
    return taken


_DEFAULT: KnowledgeBase | None = None


def load(directory: Path = DATA_DIR) -> KnowledgeBase:
    """The knowledge base in `directory`, from the parse cache when its files are unchanged."""
    from residency_audit import cache

    contents = [(p.name, p.read_bytes()) for p in sorted(directory.glob("*.yaml"))]
    knowledge = cache.cached(
        "kb", contents, lambda: KnowledgeBase(directory), lambda v: isinstance(v, KnowledgeBase)
    )
    # The entry is keyed by content, so it may come from a copy elsewhere: what is read later
    # (edges, IP ranges) must come from this directory, not that one.
    knowledge.directory = directory
    return knowledge


def default() -> KnowledgeBase:
    """The bundled knowledge base, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load()
    return _DEFAULT

"""What an audit produces: facts, findings, flows, waivers and the report reporters format."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from residency_audit.model.core import Diagnostic, Severity, Span, doc
from residency_audit.records import Record, field_names, record, slot_init


@record
class Fact(Record):
    """One value a rule looked at, and where it came from."""

    path: str
    value: Any
    origin: str
    """`file:line:col` for a declared value, `kb:<file>#<id>` for knowledge, `derived` otherwise."""
    url: str | None = None
    verified: bool = True


def _fact_init(
    self: Fact, path: str, value: Any, origin: str, url: str | None = None, verified: bool = True
) -> None:
    _set_path(self, path)
    _set_value(self, value)
    _set_origin(self, origin)
    _set_url(self, url)
    _set_verified(self, verified)


# A file's audit makes several hundred facts. The generated `__init__` of a frozen dataclass
# sets each field through `object.__setattr__`; setting the slots through their descriptors is
# twice as fast and gives the same object (Fact has no `__post_init__`).
_set_path, _set_value, _set_origin, _set_url, _set_verified = (
    getattr(Fact, name).__set__ for name in ("path", "value", "origin", "url", "verified")
)
slot_init(Fact, _fact_init)


@record
class Reference(Record):
    """A legal reference a finding cites: instrument and provision, with a URL to read it, and,
    when its rule file gives them, the days that say which version of the text it cites (the
    rule file's `adopted`, `applies_from` and `superseded`; see `engine.rules.ReferenceDoc`)."""

    label: str
    url: str
    article: str | None = None
    adopted: dt.date | None = None
    applies_from: dt.date | None = None
    superseded: dt.date | None = None

    @property
    def dates(self) -> str:
        """The days it may be cited, as `explain` words them; empty without any."""
        return citation_dates(self.adopted, self.applies_from, self.superseded)

    def dates_on(self, day: dt.date) -> str:
        """The days it may be cited, as a report as of `day` words them: the day a later
        version replaced it is left out when it came after `day` (a finding cites a reference
        only before it; an audit as of 1 March 2021 must not tell that v1.0 of the EDPB
        Recommendations 01/2020 was replaced on 18 June 2021). `explain` gives it."""
        superseded = self.superseded if self.superseded and self.superseded <= day else None
        return citation_dates(self.adopted, self.applies_from, superseded)


def citation_dates(
    adopted: dt.date | None, applies_from: dt.date | None, superseded: dt.date | None
) -> str:
    """A reference's days in words, the one wording of `explain` and the evidence reports: from
    the day it applies (or, when it gives none, was adopted) until a later version replaced it,
    e.g. `adopted 2024-04-26, cited from 2024-11-16`."""
    dates = [f"adopted {adopted}"] if adopted else []
    first = applies_from or adopted
    if first is not None:
        dates.append(f"cited from {first}")
    if superseded is not None:
        dates.append(f"superseded {superseded}: not cited from then")
    return ", ".join(dates)


class Status(StrEnum):
    """Whether a finding counts toward the exit code: only `open` ones do."""

    OPEN = "open"
    WAIVED = "waived"
    """Covered by an unexpired waiver (`--waivers`)."""
    BASELINED = "baselined"
    """Already present in the baseline result (`--baseline`)."""


COUNTRY_FACTS = frozenset(
    {
        # where the data are stored, kept, processed, sent, crossed or reached from
        "location.country",
        "location.declared_country",
        "pseudonymisation.country",
        "access.country",
        "transfer.country",
        "transit.country",
        "flow.country",
        "observation.country",
        "country.code",
        # where the keys are: the key itself, its replicas, the HSM holding it
        "key.country",
        "declared.key_country",
        "key.replica_countries",
        "key.hsm.jurisdiction",
        "key.hsm.jurisdictions",
        # whose law reaches the data: the seat of each party named, and its ultimate parent's
        # country (the provider's, the operator's, the accessing entity's, the HSM operator's)
        "party.country",
        "party.parent.country",
        "operator.country",
        "operator.parent.country",
        "entity.country",
        "entity.parent.country",
        "recipient.country",
        "key.holder_country",
        "key.holder_jurisdictions",
        "key.hsm.operator_country",
        "key.hsm.operator_parent_country",
        "provider.parent.country",
        "flow.parent_country",
        "endpoint.observed.parent.country",
        "endpoint.observed.parent.countries",
        "endpoint.edge.parent.country",
        "endpoint.edge.parent.countries",
    }
)
"""Fact paths naming a country that drives a finding: where its data are stored, kept,
processed, sent, crossed or reached from; where its keys are (the key, its replicas, the HSM's
declared jurisdiction); and whose law reaches them (the seat of each party it names and the
country of that party's or the provider's ultimate parent). A list-valued fact (the replicas'
countries, the HSM's jurisdictions) names each of its countries. Not the controller's country
(the exporter). A finding names only the facts its rule read (`Finding.facts`)."""


def named_countries(finding: Finding) -> frozenset[str]:
    """The countries `finding` names through its facts (`COUNTRY_FACTS`); may be empty. `ZZ`
    (a country nobody knows) is named too: no waiver may list it, so it is never covered."""
    named: set[str] = set()
    for fact in finding.facts:
        if fact.path in COUNTRY_FACTS and fact.value is not None:
            values = fact.value if isinstance(fact.value, (list, tuple)) else (fact.value,)
            named.update(str(v) for v in values)
    return frozenset(named)


@record
class WaiverTarget(Record):
    """What a waiver covers: a deployment, or one of its components, optionally narrowed to
    the countries whose risk was accepted."""

    deployment: str = field(metadata=doc("Deployment name the waiver applies to."))
    component: str | None = field(
        default=None, metadata=doc("Component id; every component of the deployment if omitted.")
    )
    countries: tuple[str, ...] | None = field(
        default=None,
        metadata=doc(
            "Country codes the accepted risk is in: a finding is covered only if it names a "
            "country and every country it names is listed (where its data and keys are, and "
            "the seats and ultimate parents' countries whose law reaches them); any country if "
            "omitted.",
            non_empty="country",
        ),
    )
    subject: str | None = field(
        default=None,
        metadata=doc(
            "Subject the findings are about, as `kind:id` (party:host-a, "
            "place:records-db/snapshot-copy@us-east-1, transfer:support-co/US/scc-2021), as the "
            "JUnit cases and the findings name it; every subject of the target if omitted."
        ),
    )
    span: Span = field(default=Span("", 0, 0), compare=False)

    def admits(self, finding: Finding) -> bool:
        """Whether `finding` is wholly inside the narrowing (always, without one). A finding
        naming no country is outside any list of countries: fail closed."""
        if self.countries is None:
            return True
        named = named_countries(finding)
        return bool(named) and named <= frozenset(self.countries)

    def __str__(self) -> str:
        where = self.deployment + (f"/{self.component}" if self.component else "")
        where += f" {self.subject}" if self.subject else ""
        return where + (f" (countries: {', '.join(self.countries)})" if self.countries else "")


@record
class Waiver(Record):
    """An accepted risk: findings of `rule` on `target` do not fail the audit until `expires`."""

    rule: str = field(metadata=doc("Rule id waived, e.g. GDPR-XFER-01."))
    target: WaiverTarget = field(
        metadata=doc("Deployment and, optionally, component and countries.")
    )
    justification: str = field(metadata=doc("Why the risk is accepted (e.g. the TIA reference)."))
    approved_by: str = field(metadata=doc("Who accepted the risk (name or e-mail)."))
    expires: dt.date = field(
        metadata=doc("Last day the waiver applies (YYYY-MM-DD), compared with the as-of date.")
    )
    evidence: str | None = field(default=None, metadata=doc("URL or reference of the evidence."))
    span: Span = field(default=Span("", 0, 0), compare=False)

    def aims_at(self, finding: Finding) -> bool:
        """Whether `finding` is of the waived rule, deployment, component and subject
        (narrowing aside). A subject is matched exactly: `place:records-db` is the primary
        store only, not its copies."""
        target = self.target
        return (
            finding.rule_id == self.rule
            and finding.deployment == target.deployment
            and target.component in (None, finding.component)
            and target.subject in (None, finding.subject)
        )

    def covers(self, finding: Finding) -> bool:
        return self.aims_at(finding) and self.target.admits(finding)


@record
class Finding(Record):
    """What a rule found about a subject: where, why, on which facts, and what to do."""

    rule_id: str
    severity: Severity
    title: str
    message: str
    deployment: str
    component: str | None
    span: Span
    references: tuple[Reference, ...]
    facts: tuple[Fact, ...]
    remediation: str
    unverifiable: bool = False
    """True when the rule could not be decided because a fact is missing or unknown."""
    status: Status = Status.OPEN
    waiver: Waiver | None = None
    """The waiver that covers the finding (also kept, with its expiry, when status is open)."""
    subject: str | None = None
    """What the finding is about, as `kind:id` built from the deployment's own ids
    (`engine.subject_ids.subject_id`): `party:host-a`, `place:records-db/backup@us-east-1`,
    `transfer:support-co/US/scc-2021`. Unlike `component` it tells apart the parties, transfers and
    access paths of a deployment. None in results saved before findings carried it."""
    in_baseline: bool = False
    """Whether the baseline (`--baseline`) holds this finding, whatever its status there or
    now: every `baselined` one, and one waived now or then (a waived finding is never set
    aside by the baseline, see `results`, but it was there: SARIF's `baselineState`)."""

    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        """Place, rule, message, then subject: two findings alike but for their subject (two
        transfers to one recipient) keep one order, however they were read back."""
        span = self.span
        return (span.path, span.line, span.column, self.rule_id, self.message, self.subject or "")


def _finding_init(
    self: Finding,
    rule_id: str,
    severity: Severity,
    title: str,
    message: str,
    deployment: str,
    component: str | None,
    span: Span,
    references: tuple[Reference, ...],
    facts: tuple[Fact, ...],
    remediation: str,
    unverifiable: bool = False,
    status: Status = Status.OPEN,
    waiver: Waiver | None = None,
    subject: str | None = None,
    in_baseline: bool = False,
) -> None:
    _fs_rule_id(self, rule_id)
    _fs_severity(self, severity)
    _fs_title(self, title)
    _fs_message(self, message)
    _fs_deployment(self, deployment)
    _fs_component(self, component)
    _fs_span(self, span)
    _fs_references(self, references)
    _fs_facts(self, facts)
    _fs_remediation(self, remediation)
    _fs_unverifiable(self, unverifiable)
    _fs_status(self, status)
    _fs_waiver(self, waiver)
    _fs_subject(self, subject)
    _fs_in_baseline(self, in_baseline)


# Dozens of findings a file, made by the worker and unpickled by a batch's parent (slot_init).
(
    _fs_rule_id,
    _fs_severity,
    _fs_title,
    _fs_message,
    _fs_deployment,
    _fs_component,
    _fs_span,
    _fs_references,
    _fs_facts,
    _fs_remediation,
    _fs_unverifiable,
    _fs_status,
    _fs_waiver,
    _fs_subject,
    _fs_in_baseline,
) = (getattr(Finding, name).__set__ for name in field_names(Finding))
slot_init(Finding, _finding_init)


UNLISTED = "unlisted:"
"""Prefix of a flow's basis naming a country the knowledge base lists no law of
(`unlisted:CA`: a non-adequate country whose law is presumed to reach the flow)."""


@record
class Flow(Record):
    """A way personal data are stored at, or reachable by, some legal entity in some country:
    a primary store, replica, backup, log sink, access path or key custody (issue: risk model)."""

    id: str
    deployment: str
    kind: str
    """storage, processing, replica, disaster-recovery, backup, snapshot-copy, export, log,
    access, key-custody or sub-processor."""
    component: str | None
    country: str | None
    entity: str | None
    parent_country: str | None
    jurisdictions: tuple[str, ...]
    """Knowledge-base law ids that can reach the entity (e.g. us-cloud-act, us-fisa-702)."""
    clear_text_reachable: bool | None
    span: Span
    risk: Any = None
    """Filled by the risk model; reporters show it when present."""
    label: str = ""
    """Human name: `replica of booking-db`, `support access vendor-support`."""
    entity_name: str | None = None
    entity_country: str | None = None
    parent: str | None = None
    """Name of the entity's ultimate parent, when known."""
    categories: tuple[str, ...] = ()
    """Data categories reachable through the flow (Art. 9 categories among them)."""
    bases: tuple[str, ...] | None = ()
    """Legal bases the risk model weighs: `jurisdictions`, plus `unlisted:CC` for a non-adequate
    country with no law in the knowledge base; None when a country or parent is unknown."""
    facts: tuple[Fact, ...] = ()
    """The facts the flow was derived from, with their origins."""


@record
class InputFile(Record):
    """A file the audit read, with its SHA-256, for the evidence manifest."""

    path: str
    sha256: str
    deployment: str | None
    """Deployment name, or None when the file could not be read (or is not a deployment)."""
    role: str = "deployment"
    """deployment, observed (`--observed`), dns-observations (`--dns`), waivers, baseline, or
    result (a JSON result re-rendered by `report`)."""
    description: str | None = None
    """The deployment's own `description`, shown with its flows in the evidence reports: what
    the file says it models, in its author's words."""


@record
class PackInfo(Record):
    """A rule pack used by the audit, with its version and SHA-256, for the evidence manifest."""

    name: str
    title: str
    version: str
    sha256: str
    rules: int


@record
class RuleInfo(Record):
    """A rule in effect on the as-of date, as SARIF and JUnit describe it."""

    id: str
    pack: str
    title: str
    severity: Severity
    rationale: str
    remediation: str
    references: tuple[Reference, ...]
    notes: str | None = None
    """The rule's caveats (unverified wording, secondary sources), as `explain` shows them."""
    severities: tuple[Severity, ...] = ()
    """Every severity its findings can have (`engine.rules.severities`: raised for Art. 9 data,
    or the one of a finding that cannot be verified), `severity` first; empty when not known
    (a result saved before they were written)."""


@record
class Check(Record):
    """The rules judged on one subject, passes included (component None: a subject of no
    component, such as the deployment, a party or an access path): one record per subject,
    not per rule, since a file has dozens of subjects and hundreds of such pairs."""

    rules: tuple[str, ...]
    """The rules that applied (their `when` held, or was unknown: judged all the same), in rule
    order: each either passed or made a finding. Every rule of the subject's kind in results
    saved before checks carried `not_applicable`."""
    deployment: str
    component: str | None
    subject: str | None = None
    """As `Finding.subject`; None in results saved before checks carried it."""
    not_applicable: tuple[str, ...] = ()
    """The rules of the subject's kind whose `when` did not hold for it, in rule order: not
    judged, so neither passed nor failed (a public store is not "not shared with another
    account", DRIFT-SHARE-02). Never in `rules`."""


def _check_init(
    self: Check,
    rules: tuple[str, ...],
    deployment: str,
    component: str | None,
    subject: str | None = None,
    not_applicable: tuple[str, ...] = (),
) -> None:
    _set_check_rules(self, rules)
    _set_check_deployment(self, deployment)
    _set_check_component(self, component)
    _set_check_subject(self, subject)
    _set_check_not_applicable(self, not_applicable)


# Dozens of checks a file, made by the worker and unpickled by a batch's parent.
(
    _set_check_rules,
    _set_check_deployment,
    _set_check_component,
    _set_check_subject,
    _set_check_not_applicable,
) = (getattr(Check, name).__set__ for name in field_names(Check))
slot_init(Check, _check_init)


@record
class CountryStatus(Record):
    """A country's status under GDPR Chapter V on the as-of date (for the flow picture)."""

    code: str
    name: str
    status: str
    """eea, adequate, interim (an interim provision, not an adequacy decision: the EU-UK TCA
    bridge), partially-adequate (restricted decision only), third-country, unknown."""


@record
class Invocation(Record):
    """How this report was produced. Kept out of the JSON result, which must stay byte-identical
    for the same inputs and date; the evidence formats (HTML, Markdown, SARIF, PDF) show it."""

    command_line: str
    timestamp: dt.datetime
    """UTC; from SOURCE_DATE_EPOCH when set (`pinned`), else the clock, read once per run."""
    fail_on: Severity | None
    rendered_from: InputFile | None = None
    """The saved JSON result, when `residency-audit report` re-rendered it."""
    from_source: bool = False
    """Knowledge, rules and risk model were parsed from their files, not read from the parse
    cache (`pipeline.Options.from_source`): the manifest's hashes are of what was evaluated."""
    pinned: bool = False
    """`timestamp` was taken from SOURCE_DATE_EPOCH (reproducible output): it is not the time the
    report was made, and the reports say so."""
    made_on: dt.date | None = None
    """The UTC day the run was made, by the clock whatever SOURCE_DATE_EPOCH says (an audit
    dated after it presumes what was known that day); None: `timestamp`'s day."""


@record
class Code(Record):
    """Which code produced a result (`residency_audit.provenance`): the same for the same code,
    so the JSON result keeps it and stays byte-identical for the same code and inputs."""

    sha256: str
    """Over the package's own files, `rules/` and `__pycache__` left out (README, "Which code
    made a report")."""
    commit: str | None = None
    """The VCS commit pip recorded when it installed the package from a repository URL."""


@dataclass(slots=True)
class Tally:
    """What a report's summary and exit code need from its findings, gathered as they are
    produced: a batch's findings may be on disk (`residency_audit.spool`), and walking them
    again for each count would cost more than the audit."""

    severities: list[int] = field(default_factory=lambda: [0] * len(Severity))
    statuses: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(Status, 0))
    unverifiable: list[int] = field(default_factory=lambda: [0] * len(Severity))
    """By severity, the findings that could not be decided (a fact missing or unknown): "cannot
    be verified", counted apart from failed checks."""
    worst_open: Severity | None = None
    """The highest severity among open findings (the ones that count toward the exit code)."""
    counted: object = None
    """The findings sequence these are the counts of, once final: a report recounts any other
    (`dataclasses.replace(report, findings=...)` must not keep the old counts)."""

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Tally:
        tally = cls()
        tally.add(findings)
        return tally

    def add(self, findings: Iterable[Finding]) -> None:
        for f in findings:
            self.severities[f.severity] += 1
            self.statuses[f.status] += 1
            if f.unverifiable:
                self.unverifiable[f.severity] += 1
            if f.status is Status.OPEN and (
                self.worst_open is None or f.severity > self.worst_open
            ):
                self.worst_open = f.severity

    def merge(self, other: Tally) -> None:
        for severity, n in enumerate(other.severities):
            self.severities[severity] += n
        for severity, n in enumerate(other.unverifiable):
            self.unverifiable[severity] += n
        for status, n in other.statuses.items():
            self.statuses[status] += n
        if other.worst_open is not None and (
            self.worst_open is None or other.worst_open > self.worst_open
        ):
            self.worst_open = other.worst_open

    @property
    def total(self) -> int:
        return sum(self.severities)


@record
class Report(Record):
    """Everything an audit produced; reporters only format it.

    `findings`, `flows`, `checks` and `errors` are tuples, or for a large batch `Spool`s read
    back from disk one file at a time: reporters iterate them once and take counts from
    `tally`."""

    tool_version: str
    as_of: dt.date
    inputs: tuple[InputFile, ...]
    packs: tuple[PackInfo, ...]
    knowledge: tuple[tuple[str, str], ...]
    """(file, sha256) of each knowledge-base file used."""
    findings: Sequence[Finding]
    errors: Sequence[Diagnostic] = ()
    flows: Sequence[Flow] = ()
    stale_knowledge: tuple[str, ...] = ()
    """Knowledge-base entries checked more than about six months before the as-of date."""
    unverified_knowledge: tuple[str, ...] = ()
    """Knowledge-base facts used by findings or flows that are marked `verified: false`."""
    knowledge_checked: dt.date | None = None
    """The day the knowledge base was last checked (`KnowledgeBase.checked`), as of which rule
    prose is written; None in a result saved before results recorded it."""
    assumptions: tuple[str, ...] = ()
    """What verdicts took to hold on the as-of date because the input gives no day from which
    it holds (a party's membership of an adequacy list, a BCR approval, a waiver), in words
    (`kb.assume`)."""
    risk_model: tuple[str, str] | None = None
    """(path, sha256) of the transfer-risk model file used for `flows`."""
    partial: tuple[str, ...] = ()
    """Why the audit is partial (a collector could not read something); empty when complete."""
    rules: tuple[RuleInfo, ...] = ()
    checks: Sequence[Check] = ()
    """Every subject judged, with the rules that applied (JUnit's test cases, passes included)
    and those that did not."""
    waivers: tuple[Waiver, ...] = ()
    countries: tuple[CountryStatus, ...] = ()
    invocation: Invocation | None = None
    parameters: tuple[tuple[str, Any], ...] = ()
    """(name, value) of each audit setting rules may use (`engine.operators.PARAMETERS`), the
    defaults included, by name: they change findings (`--tia-max-age`), so the JSON result keeps
    them. Empty for a result saved before results recorded them."""
    bundled_at: tuple[tuple[str, str], ...] = ()
    """(prefix, directory): where, on the machine that ran the audit, the bundled files the
    manifest names by a prefix are: `kb/` (knowledge file `kb/NAME` is DIRECTORY/NAME), `risk/`
    (the bundled risk model, when used) and `rules/` (the bundled rule packs, one directory
    each). Like `pack_dirs`, paths of one installation: the evidence formats show them, the JSON
    result (the same on every machine, compared across runs) does not; none when read back."""
    pack_dirs: tuple[tuple[str, str], ...] = ()
    """(pack name, directory) of each rule pack not bundled (`--rules`)."""
    code: Code | None = None
    """The code that made the result: set by `check` when it writes a format that shows it
    (JSON, the evidence formats); None otherwise, and in a result saved before results
    recorded it."""
    tally: Tally = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    """Counts of `findings`; computed from them unless given for this very sequence."""

    def __post_init__(self) -> None:
        if self.tally is None or self.tally.counted is not self.findings:
            tally = Tally.of(self.findings)
            tally.counted = self.findings
            object.__setattr__(self, "tally", tally)

    def counts(self) -> dict[str, int]:
        return {s.label: self.tally.severities[s] for s in reversed(Severity)}

    def fails(self, fail_on: Severity | None) -> bool:
        """True when an open finding has `fail_on` severity or more."""
        worst = self.tally.worst_open
        return fail_on is not None and worst is not None and worst >= fail_on

    def status_counts(self) -> dict[str, int]:
        return {s.value: self.tally.statuses[s] for s in Status}

    def exit_code(self, fail_on: Severity | None) -> int:
        """2 when an input could not be audited, 1 for open findings at or above `fail_on`
        (waived and baselined ones do not count) or a partial audit, else 0."""
        if self.errors:
            return 2
        # A partial audit is never a pass, whatever the findings (unless --fail-on never).
        return 1 if self.fails(fail_on) or (self.partial and fail_on is not None) else 0

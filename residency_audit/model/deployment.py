"""The deployment format (`schema_version: 1`): frozen dataclasses and enums.

A deployment file is converted into these classes by `residency_audit.format`; field docstrings
(the ``doc`` metadata) become the descriptions of the JSON Schema that `residency-audit schema`
prints, so they are written for the people who fill the YAML in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum

from residency_audit.model.core import Span, doc
from residency_audit.records import Record, record


class Role(StrEnum):
    """GDPR role of a party for this processing."""

    CONTROLLER = "controller"
    JOINT_CONTROLLER = "joint-controller"
    PROCESSOR = "processor"
    SUB_PROCESSOR = "sub-processor"
    KEY_CUSTODIAN = "key-custodian"


class DataCategory(StrEnum):
    """Categories of personal data; health, genetic and biometric are GDPR Art. 9 data."""

    HEALTH = "health"
    GENETIC = "genetic"
    BIOMETRIC = "biometric"
    IDENTIFICATION = "identification"
    CONTACT = "contact"
    APPOINTMENT = "appointment"
    FINANCIAL = "financial"
    USAGE = "usage"
    TECHNICAL = "technical"
    OTHER = "other"


SPECIAL_CATEGORIES = frozenset({DataCategory.HEALTH, DataCategory.GENETIC, DataCategory.BIOMETRIC})


class HealthContext(StrEnum):
    """Where health data come from; HDS (L.1111-8 CSP) covers prevention, diagnosis and care."""

    CARE = "care"
    PREVENTION = "prevention"
    DIAGNOSIS = "diagnosis"
    SOCIAL_CARE = "social-care"
    RESEARCH = "research"
    OTHER = "other"


class ComponentKind(StrEnum):
    DATASTORE = "datastore"
    COMPUTE = "compute"
    BACKUP = "backup"
    LOG_SINK = "log-sink"
    CDN = "cdn"
    EMAIL = "email"
    ANALYTICS = "analytics"
    SUPPORT_TOOLING = "support-tooling"
    QUEUE = "queue"
    KEY_MANAGEMENT = "key-management"
    NETWORK = "network"
    OTHER = "other"


STORING_KINDS = frozenset(
    {ComponentKind.DATASTORE, ComponentKind.BACKUP, ComponentKind.LOG_SINK, ComponentKind.EMAIL}
)


class CopyKind(StrEnum):
    """What a copy of a component's data is for."""

    REPLICA = "replica"
    DISASTER_RECOVERY = "disaster-recovery"
    BACKUP = "backup"
    SNAPSHOT_COPY = "snapshot-copy"
    EXPORT = "export"


class EncryptionSide(StrEnum):
    CLIENT_SIDE = "client-side"
    PROVIDER_SIDE = "provider-side"
    NONE = "none"


class KeyManagement(StrEnum):
    """Who controls the key material, from most to least provider control."""

    PROVIDER_MANAGED = "provider-managed"
    CUSTOMER_MANAGED_IN_PROVIDER_KMS = "customer-managed-in-provider-kms"
    EXTERNAL_KEY_STORE = "external-key-store"
    CUSTOMER_HELD = "customer-held"


class AccessKind(StrEnum):
    SUPPORT = "support"
    ADMINISTRATION = "administration"
    REMOTE_ACCESS = "remote-access"


class ToolKind(StrEnum):
    """GDPR Chapter V transfer tools."""

    ADEQUACY = "adequacy"
    SCC_2021 = "scc-2021"
    SCC_2010 = "scc-2010"
    SCC_2001 = "scc-2001"
    BCR = "bcr"
    DPF = "dpf"
    PRIVACY_SHIELD = "privacy-shield"
    ART49 = "art49"


class Scheme(StrEnum):
    HDS = "hds"
    SECNUMCLOUD = "secnumcloud"
    ISO27001 = "iso27001"


class TransparencyWording(StrEnum):
    """The three statuses of the HDS 2024 EXI 31 public page."""

    SECNUMCLOUD = "secnumcloud"
    NO_TRANSFER = "no-transfer"
    TABLE = "table"


COUNTRY_OF_PLACE = (
    "Country, when no region applies. With a known region the region's country stands; a "
    "different country here is a finding (CORE-KB-03)."
)


@record
class Parent(Record):
    """The ultimate parent company of a party, whose jurisdiction decides which laws reach it."""

    name: str = field(metadata=doc("Ultimate parent company (legal name)."))
    country: str = field(metadata=doc("ISO 3166-1 alpha-2 country of the parent's seat."))
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Transparency(Record):
    """A host's public HDS transparency page (EXI 31) and the EXI 30 disclosures it makes."""

    url: str = field(metadata=doc("Public HDS transparency page (EXI 31)."))
    wording: TransparencyWording | None = field(
        default=None, metadata=doc("Which EXI 31 statement the page makes.")
    )
    laws: tuple[str, ...] = field(
        default=(), metadata=doc("Foreign laws disclosed (knowledge-base law ids), EXI 30.")
    )
    mitigations: bool | None = field(default=None, metadata=doc("Mitigations disclosed (EXI 30)."))
    residual_risks: bool | None = field(
        default=None, metadata=doc("Residual risks disclosed (EXI 30).")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Shareholding(Record):
    """A holder of the share capital or voting rights of a party (SecNumCloud 3.2 §19.6 b)."""

    holder: str = field(metadata=doc("Name of the shareholder (direct or indirect)."))
    country: str = field(metadata=doc("Country of the holder's seat or central administration."))
    percent: float = field(metadata=doc("Share of capital or voting rights, in percent (0-100)."))
    veto: bool = field(
        default=False,
        metadata=doc("The holder has a veto or may appoint a majority of the governing bodies."),
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Party(Record):
    """A legal entity taking part in the processing: controller, processor, sub-processor or key
    custodian."""

    id: str = field(metadata=doc("Identifier used by components, keys and access paths."))
    name: str = field(metadata=doc("Legal entity name."))
    role: Role = field(metadata=doc("GDPR role for this processing."))
    country: str = field(metadata=doc("ISO 3166-1 alpha-2 country of the entity's seat."))
    provider: str | None = field(
        default=None, metadata=doc("Knowledge-base provider id (e.g. aws) this entity belongs to.")
    )
    parent: Parent | None = field(
        default=None, metadata=doc("Ultimate parent; taken from the knowledge base if omitted.")
    )
    adequacy_scopes: tuple[str, ...] = field(
        default=(),
        metadata=doc("Restricted adequacy lists the entity is on, e.g. dpf-list (EU-US DPF)."),
    )
    transparency: Transparency | None = field(
        default=None, metadata=doc("HDS transparency page of a host (EXI 30-31).")
    )
    central_administration: str | None = field(
        default=None,
        metadata=doc(
            "Country of the central administration, when it is not in the seat's country "
            "(SecNumCloud 3.2 §19.6 a requires the seat, the central administration and the "
            "principal establishment in the EU)."
        ),
    )
    principal_establishment: str | None = field(
        default=None,
        metadata=doc(
            "Country of the principal establishment, when it is not in the seat's country "
            "(SecNumCloud 3.2 §19.6 a; declared apart from the central administration, which "
            "may be elsewhere)."
        ),
    )
    ownership: tuple[Shareholding, ...] | None = field(
        default=None,
        metadata=doc(
            "Holders of capital or voting rights (SecNumCloud 3.2 §19.6 b); "
            "an empty list is not the same as unknown: omit the key when unknown."
        ),
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Pseudonymisation(Record):
    """How pseudonymised data can be re-attributed (EDPB Recommendations 01/2020, use case 2)."""

    holder: str = field(
        metadata=doc(
            "Party id holding the additional information (lookup "
            "tables, keys) needed to re-identify."
        )
    )
    country: str = field(metadata=doc("Country where that additional information is kept."))
    singling_out_excluded: bool | None = field(
        default=None,
        metadata=doc(
            "A documented analysis shows the recipient's authorities cannot re-identify "
            "or single out a person, even with the information they may hold."
        ),
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Data(Record):
    """The personal data processed, which decide GDPR Art. 9 and HDS applicability."""

    categories: tuple[DataCategory, ...] = field(
        metadata=doc("Categories of personal data.", non_empty="data category")
    )
    subjects: tuple[str, ...] = field(default=(), metadata=doc("Data subjects, e.g. patients."))
    health_context: HealthContext | None = field(
        default=None, metadata=doc("Where health data come from (HDS applicability).")
    )
    pseudonymised: bool = field(default=False, metadata=doc("Data are pseudonymised."))
    pseudonymisation: Pseudonymisation | None = field(
        default=None, metadata=doc("Who can re-identify pseudonymised data, and where (EDPB UC2).")
    )
    retention: str | None = field(
        default=None, metadata=doc("Retention period, free text.", free_text=True)
    )
    span: Span = field(default=Span("", 0, 0), compare=False)

    @property
    def special_category(self) -> bool:
        return any(c in SPECIAL_CATEGORIES for c in self.categories)


@record
class Evidence(Record):
    """How an observed value was read: the provider API call that returned it (observed files)."""

    service: str = field(metadata=doc("Provider service called, e.g. s3, kms, rds."))
    call: str = field(metadata=doc("API operation, e.g. GetBucketReplication."))
    observed_at: str = field(metadata=doc("When the call returned (UTC, ISO 8601)."))
    region: str | None = field(default=None, metadata=doc("Region the call was sent to."))
    resource: str | None = field(
        default=None, metadata=doc("Resource read (ARN or name), e.g. arn:aws:s3:::patients.")
    )
    detail: str | None = field(
        default=None,
        metadata=doc(
            "Values read that the model has no field for, e.g. Origin=AWS_KMS KeyManager=CUSTOMER."
        ),
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Copy(Record):
    """A replica, backup, snapshot copy or export of a component's data."""

    kind: CopyKind = field(
        metadata=doc("replica, disaster-recovery, backup, snapshot-copy, export.")
    )
    region: str | None = field(default=None, metadata=doc("Provider region of the copy."))
    country: str | None = field(default=None, metadata=doc(COUNTRY_OF_PLACE))
    provider: str | None = field(
        default=None, metadata=doc("Provider of the copy; the component's provider if omitted.")
    )
    operator: str | None = field(
        default=None,
        metadata=doc(
            "Party operating the copy; if omitted, the component's operator when the copy is on "
            "the component's provider, else the declared party of its provider, or unknown; "
            "unknown too in a region another entity than the provider's own operates (AWS's "
            "China regions): name that entity's party here."
        ),
    )
    account: str | None = field(
        default=None,
        metadata=doc(
            "Provider account holding the copy (observed deployments only): the observed "
            'account, another account\'s id, or "unknown" for another account whose id could '
            "not be read."
        ),
    )
    evidence: Evidence | None = field(
        default=None, metadata=doc("How the copy was observed (observed deployments only).")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class LogDestination(Record):
    """Where a component sends its logs; logs with personal data are a place where data rest."""

    region: str | None = field(default=None, metadata=doc("Provider region of the log sink."))
    country: str | None = field(default=None, metadata=doc(COUNTRY_OF_PLACE))
    provider: str | None = field(
        default=None, metadata=doc("Provider; the component's if omitted.")
    )
    operator: str | None = field(default=None, metadata=doc("Party operating the log sink."))
    personal_data: bool = field(
        default=True, metadata=doc("Logs contain personal data (assumed unless stated).")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Transit(Record):
    """A third country the data merely cross on their way (EDPB Recommendations 01/2020, UC3)."""

    country: str = field(metadata=doc("Country the data transit through."))
    encrypted: bool | None = field(
        default=None, metadata=doc("State-of-the-art transport or end-to-end encryption.")
    )
    decryptable_in_transit: bool | None = field(
        default=None, metadata=doc("Keys exist in the transit country, so data can be read there.")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class SplitProcessing(Record):
    """One share of data split between processors (EDPB Recommendations 01/2020, UC5)."""

    group: str = field(metadata=doc("Name shared by the components holding the parts."))
    reconstructable_alone: bool | None = field(
        default=None,
        metadata=doc("This part alone suffices to reconstruct (even partly) personal data."),
    )
    secure_against_active_adversaries: bool | None = field(
        default=None,
        metadata=doc(
            "The protocol (e.g. secure multi-party computation) resists active adversaries."
        ),
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Component(Record):
    """Something that stores or processes the data: its provider, region and copies."""

    id: str = field(metadata=doc("Identifier, unique in the deployment."))
    kind: ComponentKind = field(metadata=doc("What the component does."))
    provider: str = field(metadata=doc("Knowledge-base provider id, e.g. aws, azure, ovhcloud."))
    operator: str | None = field(
        default=None, metadata=doc("Party id of the legal entity that operates the component.")
    )
    service: str | None = field(default=None, metadata=doc("Provider service, e.g. rds, s3."))
    region: str | None = field(default=None, metadata=doc("Provider region, e.g. eu-west-3."))
    country: str | None = field(default=None, metadata=doc(COUNTRY_OF_PLACE))
    stores_data: bool | None = field(
        default=None, metadata=doc("Holds personal data at rest; default true for stores.")
    )
    clear_text_processing: bool | None = field(
        default=None, metadata=doc("The provider's systems process the data in clear.")
    )
    key: str | None = field(default=None, metadata=doc("Key id (see keys) protecting the data."))
    copies: tuple[Copy, ...] = field(
        default=(), metadata=doc("Replicas, backups, snapshot copies and exports.")
    )
    logs: tuple[LogDestination, ...] = field(default=(), metadata=doc("Where logs are sent."))
    hostnames: tuple[str, ...] = field(default=(), metadata=doc("DNS names serving the component."))
    mail_domains: tuple[str, ...] = field(default=(), metadata=doc("Mail domains it receives."))
    hds_activities: tuple[int, ...] = field(
        default=(), metadata=doc("HDS activities (1-6, R.1111-9 CSP) the operator performs here.")
    )
    transit: tuple[Transit, ...] = field(
        default=(), metadata=doc("Third countries data cross in transit (EDPB UC3).")
    )
    split: SplitProcessing | None = field(
        default=None, metadata=doc("This component holds one part of split data (EDPB UC5).")
    )
    resources: tuple[str, ...] = field(
        default=(),
        metadata=doc(
            "Provider resource names or ARNs this component stands for; "
            "`check --observed` matches observed resources by them."
        ),
    )
    shared_with: tuple[str, ...] | None = field(
        default=None,
        metadata=doc(
            "Who outside the observed account can read the store or one of its snapshots "
            "(observed deployments only): public (anyone), a 12-digit account id, "
            "canonical-user:<S3 canonical id>, or unknown (part of it could not be read). "
            "An empty list: read, shared with no one. Absent: not read (cannot be verified)."
        ),
    )
    evidence: Evidence | None = field(
        default=None, metadata=doc("How the component was observed (observed deployments only).")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)

    @property
    def holds_data(self) -> bool:
        if self.stores_data is not None:
            return self.stores_data
        return self.kind in STORING_KINDS


@record
class Hsm(Record):
    """The hardware security module holding keys, and whose law governs its operator."""

    operator: str = field(
        metadata=doc(
            "Party id of who operates the HSM: its seat and ultimate parent decide whose law "
            "reaches the keys (a legal name that is not a declared party cannot be verified)."
        )
    )
    jurisdiction: str = field(metadata=doc("Country whose law governs the HSM operator."))
    operator_can_use: bool | None = field(
        default=None,
        metadata=doc(
            "The HSM's operator can use the keys it holds to decrypt (not only run the "
            "hardware); unknown if not declared. Not read for an operator in the provider's "
            "group, whose HSM counts as within the provider's reach, as for the places."
        ),
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Key(Record):
    """An encryption key: where encryption happens, who holds the key, whether the provider can
    use it."""

    id: str = field(metadata=doc("Identifier referenced by components."))
    encryption: EncryptionSide = field(metadata=doc("Where encryption happens."))
    management: KeyManagement = field(metadata=doc("Who controls the key material."))
    holder: str | None = field(
        default=None,
        metadata=doc(
            "Party id that generates and holds the keys: its seat and ultimate parent decide "
            "whose law reaches them (declare its parent, unless it is the controller)."
        ),
    )
    country: str | None = field(default=None, metadata=doc("Country where the keys are held."))
    hsm: Hsm | None = field(default=None, metadata=doc("HSM holding the keys."))
    provider_can_use: bool | None = field(
        default=None, metadata=doc("The hosting provider can use the keys to decrypt.")
    )
    region: str | None = field(
        default=None, metadata=doc("Provider region holding the key (KMS), when it has one.")
    )
    replica_regions: tuple[str, ...] = field(
        default=(), metadata=doc("Other regions holding replicas of the key (KMS multi-region).")
    )
    evidence: Evidence | None = field(
        default=None, metadata=doc("How the key was observed (observed deployments only).")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Access(Record):
    """A support, administration or remote-access path: who reaches the data, from where."""

    id: str = field(metadata=doc("Identifier of the access path."))
    kind: AccessKind = field(metadata=doc("support, administration or remote-access."))
    entity: str = field(metadata=doc("Party id of the legal entity that accesses."))
    country: str = field(metadata=doc("Country the access is made from."))
    clear_text: bool | None = field(
        default=None, metadata=doc("The accessing staff can see personal data in clear.")
    )
    components: tuple[str, ...] = field(
        default=(),
        metadata=doc("Component ids reachable; all components if omitted.", non_empty="component"),
    )
    client_informed: bool | None = field(
        default=None, metadata=doc("The client was told of this access and its basis (EXI 29).")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Onward(Record):
    """An onward transfer: the importer passes the data on to another recipient (GDPR Art. 44)."""

    recipient: str = field(metadata=doc("Party id of the onward recipient."))
    country: str = field(metadata=doc("Country of the onward recipient."))
    tool: ToolKind | None = field(default=None, metadata=doc("Transfer tool of the onward flow."))
    scc_module: int | None = field(default=None, metadata=doc("SCC 2021/914 module (1-4)."))
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class ProtectedRecipient(Record):
    """Why the importer is shielded from access by its authorities (EDPB Recs 01/2020, UC4)."""

    legal_exemption: bool | None = field(
        default=None,
        metadata=doc(
            "The importer's law exempts it from access for this purpose "
            "(e.g. medical secrecy), keys and credentials included."
        ),
    )
    end_to_end_encrypted: bool | None = field(
        default=None, metadata=doc("Data are encrypted end to end before transmission.")
    )
    key_only_at_recipient: bool | None = field(
        default=None,
        metadata=doc(
            "The decryption key is in the sole custody of the recipient, verified by the exporter."
        ),
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Transfer(Record):
    """A transfer tool declared for data going to a recipient in some countries."""

    recipient: str = field(metadata=doc("Party id of the importer."))
    tool: ToolKind = field(
        metadata=doc("adequacy, scc-2021, scc-2010, scc-2001, bcr, dpf, privacy-shield, art49.")
    )
    countries: tuple[str, ...] = field(
        default=(),
        metadata=doc("Destination countries covered; all if omitted.", non_empty="country"),
    )
    scc_module: int | None = field(default=None, metadata=doc("SCC 2021/914 module (1-4)."))
    derogation: str | None = field(default=None, metadata=doc("Art. 49(1) point, e.g. 49(1)(a)."))
    concluded: dt.date | None = field(
        default=None,
        metadata=doc(
            "Date it was concluded (from 27 Sep 2021 the old SCCs cover only earlier contracts)."
        ),
    )
    processing_unchanged: bool | None = field(
        default=None,
        metadata=doc(
            "Old SCCs: the processing operations the contract covers have not changed since it "
            "was concluded. From 27 Sep 2021 to 27 Dec 2022 the old clauses covered an earlier "
            "contract only if so (2021/914 Art. 4(4))."
        ),
    )
    tia_reference: str | None = field(default=None, metadata=doc("Transfer impact assessment id."))
    tia_date: dt.date | None = field(default=None, metadata=doc("Date of the TIA."))
    approval: str | None = field(
        default=None,
        metadata=doc(
            "BCR: reference of the supervisory authority's approval (GDPR Art. 47(1)); "
            "binding corporate rules without it cannot be verified."
        ),
    )
    exporter: str | None = field(
        default=None, metadata=doc("Party id of the exporter; the controller if omitted.")
    )
    occasional: bool | None = field(
        default=None,
        metadata=doc(
            "Occasional transfer (not hosting, backups or routine "
            "support), the only kind Art. 49 derogations may cover."
        ),
    )
    onward: tuple[Onward, ...] = field(
        default=(), metadata=doc("Onward transfers by the importer to further recipients.")
    )
    protected_recipient: ProtectedRecipient | None = field(
        default=None, metadata=doc("The importer is a protected recipient (EDPB UC4).")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Certification(Record):
    """An HDS certificate, SecNumCloud qualification or ISO 27001 certificate with its dates."""

    holder: str = field(metadata=doc("Party id holding the certificate."))
    scheme: Scheme = field(metadata=doc("hds, secnumcloud or iso27001."))
    activities: tuple[int, ...] = field(
        default=(), metadata=doc("HDS activities 1-6 (R.1111-9 CSP) in the certificate's scope.")
    )
    referential: str | None = field(
        default=None, metadata=doc('Referential version: HDS "2018" or "2024"; SecNumCloud "3.2".')
    )
    offer: str | None = field(default=None, metadata=doc("Qualified offer (SecNumCloud)."))
    issued: dt.date | None = field(default=None, metadata=doc("Issue date."))
    expires: dt.date | None = field(
        default=None, metadata=doc("Last day of validity (the certificate is valid on it).")
    )
    evidence: str | None = field(default=None, metadata=doc("URL or reference of the certificate."))
    span: Span = field(default=Span("", 0, 0), compare=False)


class RiskFactor(StrEnum):
    """Named factors of the transfer-risk model (residency_audit/risk/default-model.yaml)."""

    SUBJECT = "subject"
    INTEREST = "interest"
    ROUTE = "route"
    CANNOT_RESIST = "cannot_resist"
    CLEAR_TEXT = "clear_text"


@record
class RiskOverride(Record):
    """A deployment's own estimate for one factor of the transfer-risk model."""

    factor: RiskFactor = field(
        metadata=doc("subject, interest, route, cannot_resist or clear_text.")
    )
    value: float = field(metadata=doc("Annual probability-like estimate, 0 to 1."))
    justification: str = field(
        metadata=doc("Why this value holds for this deployment.", free_text=True)
    )
    low: float | None = field(default=None, metadata=doc("Low end of the band; value if omitted."))
    high: float | None = field(
        default=None, metadata=doc("High end of the band; value if omitted.")
    )
    basis: str | None = field(
        default=None, metadata=doc("Knowledge-base law id it applies to; every basis if omitted.")
    )
    flows: tuple[str, ...] = field(
        default=(),
        metadata=doc(
            "Flow or component ids it applies to; every flow if omitted.",
            non_empty="flow or component id",
        ),
    )
    source: str | None = field(default=None, metadata=doc("Evidence: URL or document reference."))
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class RiskSettings(Record):
    """Deployment-level settings of the transfer-risk model; each change carries its reason."""

    period_years: int | None = field(
        default=None, metadata=doc("Assessment period in years; the model's default if omitted.")
    )
    threshold: float | None = field(
        default=None, metadata=doc("Accepted probability over the period; model's if omitted.")
    )
    justification: str | None = field(
        default=None,
        metadata=doc("Why period_years or threshold differ from the model's.", free_text=True),
    )
    overrides: tuple[RiskOverride, ...] = field(
        default=(), metadata=doc("Factor estimates replacing the model's, each justified.")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Claims(Record):
    """What the deployment's owner asserts and documents; rules check the claims against the
    rest of the file. Unknown stays unknown: omit a key you cannot vouch for."""

    secnumcloud: bool | None = field(
        default=None,
        metadata=doc(
            "The deployment claims SecNumCloud 3.2 protection against "
            "non-EU law for its hosting (§19.6 is then checked)."
        ),
    )
    secnumcloud_offer: str | None = field(
        default=None, metadata=doc("The qualified offer used, as named in its certification.")
    )
    art48_procedure: str | None = field(
        default=None,
        metadata=doc(
            "Reference of the documented procedure for third-country "
            "authority requests (GDPR Art. 48, EDPB Guidelines 02/2024)."
        ),
    )
    dpia: str | None = field(default=None, metadata=doc("Reference of the DPIA (GDPR Art. 35)."))
    processors: tuple[str, ...] | None = field(
        default=None,
        metadata=doc(
            "Party ids on the Art. 28 processor and sub-processor list given to the controller."
        ),
    )
    hds_certificates_shared: bool | None = field(
        default=None,
        metadata=doc(
            "The host gave the client its HDS certificate and those of "
            "its HDS-certified sub-processors (HDS EXI 12)."
        ),
    )
    subprocessor_certificate_loss_procedure: bool | None = field(
        default=None,
        metadata=doc("Procedure for a sub-processor losing its HDS certificate (HDS EXI 14)."),
    )
    storage_locations_communicated: bool | None = field(
        default=None,
        metadata=doc("Storage locations documented and given to the client (HDS EXI 28)."),
    )
    risk_analysis_foreign_law: bool | None = field(
        default=None,
        metadata=doc("The risk analysis covers exposure to non-European laws (HDS EXI 05 H)."),
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class NotObserved(Record):
    """Something a collector tried to read and could not: the audit is partial."""

    service: str = field(metadata=doc("Provider service, e.g. rds."))
    call: str = field(metadata=doc("API operation that failed, e.g. DescribeDBInstances."))
    reason: str = field(metadata=doc("Why: access denied, region not enabled, throttled..."))
    region: str | None = field(default=None, metadata=doc("Region the call was sent to."))
    permission: str | None = field(
        default=None,
        metadata=doc("IAM action that would allow the call, e.g. rds:DescribeDBInstances."),
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Observation(Record):
    """Present only in observed deployments written by `residency-audit discover`."""

    collector: str = field(metadata=doc("Collector that wrote the file, e.g. aws."))
    started_at: str = field(metadata=doc("When discovery started (UTC, ISO 8601)."))
    account: str | None = field(default=None, metadata=doc("Provider account observed."))
    partition: str | None = field(default=None, metadata=doc("Provider partition, e.g. aws."))
    regions: tuple[str, ...] = field(default=(), metadata=doc("Regions queried."))
    regions_not_enabled: tuple[str, ...] | None = field(
        default=None,
        metadata=doc(
            "Regions not enabled in the account: not read (resources left in a region disabled "
            "after use stay there, out of reach). Absent when the regions could not be listed."
        ),
    )
    regions_not_queried: tuple[str, ...] | None = field(
        default=None,
        metadata=doc(
            "Enabled regions left out by --region: not read. Absent when the regions could not "
            "be listed."
        ),
    )
    services_read: tuple[str, ...] | None = field(
        default=None,
        metadata=doc(
            "Services the collector read, e.g. ebs, s3: a declared component of any other "
            "service was not looked at, which is not its absence. Absent in files written "
            "before it was recorded."
        ),
    )
    not_observed: tuple[NotObserved, ...] = field(
        default=(), metadata=doc("What could not be read; any entry makes the audit partial.")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record
class Deployment(Record):
    """A deployment description (`schema_version: 1`): parties, data, components, keys, access
    paths, transfer tools and certifications."""

    schema_version: int = field(metadata=doc("Format version; must be 1."))
    name: str = field(metadata=doc("Deployment name, used in findings and waivers."))
    controller: str = field(metadata=doc("Party id of the controller."))
    data: Data = field(metadata=doc("The personal data processed."))
    parties: tuple[Party, ...] = field(metadata=doc("Controller, processors, sub-processors."))
    components: tuple[Component, ...] = field(
        metadata=doc("Where the data are stored or processed.")
    )
    description: str | None = field(default=None, metadata=doc("Free text.", free_text=True))
    keys: tuple[Key, ...] = field(default=(), metadata=doc("Encryption keys and who holds them."))
    access: tuple[Access, ...] = field(
        default=(), metadata=doc("Support, administration and remote access paths.")
    )
    transfers: tuple[Transfer, ...] = field(default=(), metadata=doc("Declared transfer tools."))
    certifications: tuple[Certification, ...] = field(
        default=(), metadata=doc("HDS, SecNumCloud and ISO 27001 certificates.")
    )
    risk: RiskSettings | None = field(
        default=None, metadata=doc("Overrides of the transfer-risk model, each justified.")
    )
    claims: Claims = field(
        default=Claims(),
        metadata=doc(
            "Claims and documents the rules check (SecNumCloud, "
            "Art. 48 procedure, DPIA, processor list, HDS EXI 12-14)."
        ),
    )
    observation: Observation | None = field(
        default=None,
        metadata=doc(
            "How the file was observed (written by `discover`; absent in declared deployments)."
        ),
    )
    span: Span = field(default=Span("", 0, 0), compare=False)
    path: str = field(default="", compare=False)
    locations: Mapping[str, Span] = field(default_factory=dict, compare=False, repr=False)
    """Where each declared value sits, by YAML path (``components[2].copies[0].region``)."""

    def party(self, party_id: str | None) -> Party | None:
        # a plain loop: `next` over a generator cost several times as much (asked ~70 times a file)
        for p in self.parties:
            if p.id == party_id:
                return p
        return None

    def key(self, key_id: str | None) -> Key | None:
        for k in self.keys:  # a plain loop, as `party`
            if k.id == key_id:
                return k
        return None

"""The vocabulary of rule conditions: for each subject kind, the fact paths a rule may read and
what each means. The rule loader rejects any other field (with a "did you mean"), and
`engine/subjects.py`, `engine/legal_subjects.py`, `flows.py`, `endpoints.py`, `drift.py` and
`waivers.py` build subjects whose facts use these paths.
"""

COMMON = {
    "deployment.name": "Deployment name.",
    "data.categories": "Declared data categories (list).",
    "data.special_category": "Art. 9 data (health, genetic, biometric) are processed.",
    "data.health": "Health data are processed.",
    "data.health_context": "Where the health data come from (care, prevention, research...).",
    "data.pseudonymised": "The data are pseudonymised.",
    "hds.applies": "HDS (L.1111-8 CSP) applies: health data from care hosted by a third party "
    "(one running a place, or the provider whose systems hold a place someone else runs).",
    "hds.referential_2024_binds": "The 2024 HDS referential binds the host on the audit day: "
    "false only while it holds a current 2018 certificate in its transition. The host is the "
    "place's on a place, the party itself on a party hosting the data (not a sub-processor), the "
    "third-party hosts of the components reached on an access path and of the deployment "
    "elsewhere (false only when all are in their transition).",
    "controller.id": "Controller party id.",
    "controller.country": "Controller's country.",
    "pseudonymisation.holder_is_exporter": "Only the controller can re-identify (EDPB UC2).",
    "pseudonymisation.country": "Where the re-identification information is kept.",
    "pseudonymisation.singling_out_excluded": "Re-identification by the recipient's authorities "
    "is excluded by a documented analysis.",
    **{
        f"claims.{name}": text
        for name, text in (
            ("secnumcloud", "The deployment claims SecNumCloud 3.2 protection."),
            ("secnumcloud_offer", "The qualified offer claimed."),
            ("art48_procedure", "Reference of the Art. 48 procedure for foreign requests."),
            ("dpia", "Reference of the DPIA."),
            ("processors", "Party ids on the Art. 28 processor list."),
            ("hds_certificates_shared", "HDS certificates given to the client (EXI 12)."),
            (
                "subprocessor_certificate_loss_procedure",
                "Procedure for a sub-processor's loss of certification (EXI 14).",
            ),
            ("storage_locations_communicated", "Storage locations given to the client (EXI 28)."),
            ("risk_analysis_foreign_law", "Risk analysis covers non-European laws (EXI 05 H)."),
        )
    },
}
LAW = {  # the deployment subject only: which encoded law starts when (rules/core CORE-LAW-*)
    "law.gdpr": "Knowledge-base instrument the gdpr, edpb, jurisdiction, dns, drift, risk and "
    "waivers rules start with (`gdpr`); absent (unknown) on a day it is not in force.",
    "law.hds": "Knowledge-base instrument of the HDS certification regime the hds rules encode "
    "(`hds-decree-2018-137`); absent on a day it is not in force.",
    "law.secnumcloud": "Knowledge-base instrument of the only SecNumCloud version the "
    "secnumcloud rules encode (`secnumcloud-3.2`); absent on a day it is not in force.",
}
DEPLOYMENT = {  # the deployment subject only
    "hds.undeclared_infrastructure_hosts": "Knowledge-base providers whose systems hold a place "
    "the controller or another party runs (R.1111-9 activities 1-3, HDS-ACT-04) with no party "
    "of them declared, so that no party subject carries their EXI 30-31 statements (HDS-PUB-03); "
    "[none] when every such provider has a declared party.",
}
PLACE = {
    "component.id": "Component id.",
    "component.kind": "Component kind.",
    "component.service": "Provider service.",
    "component.clear_text_processing": "The provider processes the data in clear.",
    "component.holds_data": "The component holds personal data at rest.",
    "component.personal_data_logs_on_provider": "The component sends personal-data logs to a "
    "sink of its own provider, which holds their lines in clear.",
    "provider.id": "Provider id as declared.",
    "provider.known": "The provider is in the knowledge base.",
    "provider.suggestion": "Nearest known provider id, when unknown.",
    "provider.name": "Provider name (knowledge base).",
    "provider.parent.name": "Provider's ultimate parent; in a region another entity than the "
    "provider's own operates (`place.region_operator`), the declared operator's, else unknown.",
    "provider.parent.country": "Jurisdiction of the provider's ultimate parent; in a region "
    "another entity than the provider's own operates, the declared operator's (as "
    "`operator.parent.country`), else unknown.",
    "provider.eu_controlled": "The provider is ultimately EU-controlled (unknown in a region "
    "another entity operates, unless its declared operator is a known provider's party).",
    "provider.parent_unknown_because": "Why the provider's parent is unknown, for messages, "
    "starting with '; ': its region is operated by another entity than the provider's own, "
    "and no party declared to run the place gives that entity's parent; empty otherwise.",
    "provider.marketed_as_sovereign": "The provider's offer is marketed as sovereign.",
    "operator.id": "Party operating the place.",
    "operator.country": "Operator's country.",
    "operator.parent.country": "Country of the operator's ultimate parent.",
    "operator.third_party": "The place's declared operator is neither the controller nor a party "
    "of the place's provider (false when no operator is declared).",
    "location.region": "Provider region.",
    "location.country": "Country of the place (declared, or from the region).",
    "location.suggestion": "Nearest known region, when the region is unknown.",
    "location.unplaced": "Why the place has no country: no region or country declared, or an "
    "unknown region (with the nearest known one).",
    "location.declared_country": "A declared country that contradicts the region's country in "
    "the knowledge base (location.country then holds the region's).",
    "key.declared": "A key is declared for the component.",
    "key.id": "Key id.",
    "key.encryption": "client-side, provider-side or none.",
    "key.management": "provider-managed, customer-managed-in-provider-kms, external-key-store, "
    "customer-held, or none when no key is declared.",
    "key.holder": "Party holding the keys.",
    "key.holder_country": "Country of the key holder.",
    "key.holder_in_provider_group": "The key holder belongs to the provider's group.",
    "key.holder_jurisdictions": "Countries whose law reaches the key holder (list): its seat and "
    "its ultimate parent's country; ZZ for a holder that is not a declared party or a parent "
    "not declared (the controller excepted); absent when no holder is declared.",
    "key.holder_exposure": "Why the key holder does not keep the keys out of reach (for "
    "messages; empty when it does).",
    "key.replica_exposure": "Each replica of the key whose country's law reaches it (a "
    "compelled-access law, or a country neither in the EEA nor generally adequate on the as-of "
    "date) or whose region is unknown (ZZ), with its region, country and reason, as text for "
    "messages, each starting with '; ': `; key replica in cn-north-1 (CN): under CN law (...)`; "
    "empty when none, without replicas or without a key.",
    "key.country": "Country where the keys are held (declared, or from the key's region).",
    "key.replicas_eea_or_adequate": "Every replica region of the key (multi-region KMS key) is "
    "in the EEA or a generally adequate country on the as-of date; true without replicas, absent "
    "when a replica region is unknown to the knowledge base or no key is declared.",
    "key.replica_countries": "Countries of the key's replica regions, in declared order without "
    "repeats (list; ZZ for a region the knowledge base does not know; empty without replicas or "
    "without a key).",
    "key.hsm.operator": "HSM operator.",
    "key.hsm.jurisdiction": "HSM operator's jurisdiction, as declared.",
    "key.hsm.jurisdiction_eea_or_adequate": "The declared HSM jurisdiction is in the EEA or an "
    "adequate country on the as-of date; true when no HSM is declared, absent when the country "
    "is unknown.",
    "key.hsm.operator_declared": "The HSM operator is a declared party (not only a legal name).",
    "key.hsm.operator_country": "Seat of the HSM operator (a declared party).",
    "key.hsm.operator_parent_country": "Country of the HSM operator's ultimate parent (declared, "
    "or from the knowledge base through its provider); absent when neither gives one.",
    "key.hsm.operator_compared": "What the declared HSM jurisdiction was compared with, as text "
    "for messages: `its seat (FR) and its ultimate parent's country (FR)` (`(US, knowledge "
    "base)` for a parent found through the operator's provider), `its seat (FR); the controller "
    "declares no ultimate parent`, or `its seat (FR); its ultimate parent is not declared`; "
    "absent when the operator is not a declared party.",
    "key.hsm.jurisdiction_matches_operator": "The declared HSM jurisdiction is the operator's seat "
    "or its ultimate parent's country (the seat alone for the controller, which need not declare "
    "a parent); absent when the operator is not a declared party, or when its parent is unknown "
    "and the jurisdiction is not its seat.",
    "key.hsm.operator_in_provider_group": "The HSM operator belongs to the provider's group "
    "(declared with that provider, or with its ultimate parent); false when no HSM (or no key) "
    "is declared, absent when the operator is not a declared party.",
    "key.hsm.jurisdictions": "Countries whose law reaches the keys in the HSM (list): its "
    "declared jurisdiction, its operator's seat and its operator's ultimate parent's country; "
    "empty when no HSM (or no key) is declared. ZZ (unknown) stands for the seat and parent of "
    "an operator that is not a declared party, and for the parent of one that declares none, "
    "the controller excepted (keys under the exporter's sole control, EDPB use case 1).",
    "key.hsm.exposure": "Why the HSM does not keep the keys out of reach (its operator in the "
    "provider's group, under compelled-access law or unknown; a declared jurisdiction neither in "
    "the EEA nor adequate), as text for messages starting with '; '; empty when it does, when no "
    "HSM is declared or no key.",
    "key.provider_can_use": "The provider can use the keys.",
    "key.held_by_operator": "The place's declared operator holds the key or runs the HSM "
    "keeping it.",
    "place.role": "primary, replica, disaster-recovery, backup, snapshot-copy, export or log.",
    "place.stores_data": "Personal data rest here (copies and logs always; primary if a store).",
    "place.on_component_provider": "The place is on the systems of its component's own "
    "provider, in a region the same entity operates (always for the primary): JUR-EXPO-01 "
    "judges that provider's reach. False for a copy or log sink on another provider, or in a "
    "region another entity than the provider's own operates.",
    "place.key_source": "Which key protects the place, in words for messages: an observed "
    "copy's own, else its component's (with encryption side and management), none for a log "
    "sink (its lines are written in clear).",
    "place.host": "Who hosts this place: its operator, else the one declared party of its "
    "provider (absent when none or several are declared, or when its region is operated by "
    "another entity than the provider's own: `place.region_operator`).",
    "place.host_candidates": "Its host, or who might host it: the declared parties of its "
    "provider (none when no party of it is declared, or its region is operated by another "
    "entity than the provider's own).",
    "place.no_host_because": "Why a place with no `operator` has no known host, in words "
    "(no party of its provider, several, or its region operated by another entity).",
    "place.operator_of_provider": "A declared operator that is a party of the place's "
    "provider (`provider:`) in a region the knowledge base says another entity operates "
    "(CORE-KB-06); absent otherwise.",
    "place.region_operator": "Who operates the place's region, when the knowledge base says "
    "another entity than the provider's own does (AWS's China regions): its name and seat "
    "where a source gives them. Absent for the provider's own regions.",
    "place.third_party_hosted": "Someone other than the controller hosts this place, or the "
    "infrastructure it runs on (or either host is unknown): HDS binds hosts, not the controller "
    "hosting its own data on its own infrastructure.",
    "place.infrastructure_of_host": "The place's own host is a party of its provider that may "
    "host its systems (or, with no operator, whichever party of it runs the place): the "
    "provider's infrastructure goes with the hosting HDS-ACT-01 judges. False when another "
    "operator runs it on the provider's systems, the controller included when declared as the "
    "party of a knowledge-base provider (a customer of its systems, not their host).",
    "place.infrastructure_host": "Who hosts the infrastructure of this place (R.1111-9 "
    "activities 1-3): the one declared party of its provider that may host its systems (the "
    "controller never may on a knowledge-base provider), else (none declared) the "
    "knowledge-base provider id; its host when `place.infrastructure_of_host`. Absent when "
    "several parties of the provider are declared, or the provider is unknown.",
    "place.infrastructure_host_name": "Name of that host: the declared party's, or the "
    "knowledge-base provider's contracting entities (entities, each cited with its own "
    '`verified` flag); with several candidate parties, their names joined by "or".',
    "place.infrastructure_candidates": "Who hosts (or might host) its infrastructure: "
    "`place.infrastructure_host`, else the declared parties of its provider that may host its "
    "systems (none when none is declared).",
    "place.infrastructure_certified": "That host is HDS-certified for activities 1-3 on the "
    "audit day: by its declared HDS certificates that count then (one listing no activities "
    "has an unknown scope), else by the knowledge base's HDS certifications of the provider; "
    "with several candidates, whichever hosts it (true if each is, false if none is). Absent "
    "(unknown) when a certification is recorded without its activities, none is recorded in "
    "the knowledge base (status unknown), a certificate's validity is unknown, or candidates "
    "differ. Absent when its host runs it.",
    "place.infrastructure_coverage": "Why `place.infrastructure_certified` is what it is (or "
    "unknown), as text for messages, citing the knowledge-base certification it rests on.",
    "transfer.recipient": "Party receiving the data (the place's operator).",
    "transfer.tools": "Declared transfer tools for this recipient and country.",
    "split.group": "Split-processing group of the component (EDPB UC5).",
    "split.reconstructable_alone": "This part alone suffices to reconstruct personal data.",
    "split.secure_against_active_adversaries": "The split protocol resists active adversaries.",
    "split.jurisdictions_distinct": "The parts of the group are with providers under distinct "
    "jurisdictions (ultimate parents' countries).",
}
ACCESS = {
    "access.id": "Access path id.",
    "access.kind": "support, administration or remote-access.",
    "access.country": "Country the access is made from.",
    "access.clear_text": "The accessing staff see data in clear.",
    "access.client_informed": "The client was informed (EXI 29).",
    "entity.id": "Accessing party id.",
    "entity.name": "Accessing legal entity.",
    "entity.country": "Accessing entity's country.",
    "entity.parent.country": "Country of the accessing entity's ultimate parent.",
    "entity.is_controller": "The accessing entity is the controller itself (not a transfer).",
    "transfer.recipient": "Party receiving the data (the accessing entity).",
    "transfer.tools": "Declared transfer tools for this recipient and country.",
}
ENDPOINT = {  # residency_audit.endpoints: declared names, with DNS observations (--dns/--resolve)
    "endpoint.name": "Declared hostname or mail domain.",
    "endpoint.kind": "host or mail.",
    "endpoint.status": "resolved, nxdomain, no-answer, servfail, timeout, error, or not-observed "
    "(missing from the DNS observations, or none were given); for a mail exchanger, its own "
    "lookup's; null-mx for a mail domain whose only MX record is the null MX of RFC 7505 "
    "(it accepts no mail, and is not resolved).",
    "endpoint.detail": "What the resolver said when the name did not resolve; for a name not "
    "observed, why and how to observe it.",
    "endpoint.resolved": "The resolver answered with addresses (host, or each mail exchanger's "
    "own lookup).",
    "endpoint.exchanger": "The mail exchanger judged (mail: one subject per MX record).",
    "endpoint.observed.provider": "Provider really serving the name: the owner of its "
    "addresses by published range, else of the name at the end of its CNAME chain (or the "
    "exchanger's); when several serve it, the first by id that is not the declared provider "
    "(`endpoint.observed.serving_ids` lists them all).",
    "endpoint.observed.serving_ids": "Every provider really serving the name, by id (list): the "
    "owner of each address by published range, else of the name at the end of its CNAME chain "
    "(or the exchanger's), that name's owner when there is no address; addresses nobody can "
    "attribute add none (`endpoint.detail` names them); absent when no provider is known.",
    "endpoint.observed.providers": "Every provider found along the way (list).",
    "endpoint.observed.provider_name": "Name of the serving provider; when several serve the "
    "name, the first by id that is not the declared provider.",
    "endpoint.observed.parent.name": "Ultimate parent of that serving provider.",
    "endpoint.observed.parent.country": "Country of that serving provider's ultimate parent.",
    "endpoint.observed.parent.countries": "Countries of the ultimate parents of every provider "
    "serving some address (list; ZZ when the provider of some address is unknown); absent when "
    "no provider is known.",
    "endpoint.observed.serving": "Every provider serving the name with its parent and country "
    "(and, when several serve it or some address is unknown, the addresses of each), as text "
    "for messages.",
    "endpoint.observed.via": "The chain and how the provider was recognised (method, evidence, "
    "confidence).",
    "endpoint.observed.location": "Country it is served from, or indeterminate behind CDN or "
    "anycast edges; absent when unknown.",
    "endpoint.observed.edge": "A CDN or anycast edge known to the knowledge base is on the way.",
    "endpoint.edge.provider": "First CDN or anycast provider on the way.",
    "endpoint.edge.parent.country": "Country of that edge provider's ultimate parent.",
    "endpoint.edge.providers": "Every CDN or anycast provider on the way, in the order met "
    "(chain, then addresses; list).",
    "endpoint.edge.parent.countries": "Countries of the ultimate parents of every CDN or "
    "anycast provider on the way (list).",
    "endpoint.edge.serving": "Every CDN or anycast provider on the way with its parent and "
    "country, in the order met, as text for messages.",
    "endpoint.provider_matches": "Every address of the name is served by the declared provider; "
    "false when one is another provider's, absent when the provider of one is unknown.",
    "endpoint.observed.located": "Some address is in a published range of a region with a known "
    "country (false behind CDN or anycast edges, or when no range places any address).",
    "endpoint.observed.countries": "Countries of the regions whose ranges hold the addresses "
    "(list, those known).",
    "endpoint.observed.regions": "Each located address with its provider region and country, "
    "as text for messages.",
    "endpoint.observed.fully_located": "Every address is in a range of a region with a known "
    "country; absent otherwise.",
    "endpoint.location_matches": "Every located address is in the declared country; false when "
    "one is elsewhere, absent when the declared country or that of some address is unknown.",
}
FLOW = {  # flows and their risk: residency_audit/flows.py and residency_audit/risk/
    "flow.id": "Flow id: component, component/KIND@REGION for a copy or log sink (as its place "
    "subject), access/ID, key/ID, party/ID.",
    "flow.kind": "storage, processing, a copy kind, log, access, key-custody or sub-processor.",
    "flow.label": "Human name of the flow.",
    "flow.country": "Country where the data rest or are reached from.",
    "flow.entity": "Legal entity (party or provider id) that holds or reaches the data.",
    "flow.entity_name": "Its legal name.",
    "flow.entity_said": "Its legal name as a message says it: a flow nobody is known to host or "
    "reach is said to be reached by 'an entity nobody could name'.",
    "flow.parent_country": "Country of the entity's ultimate parent.",
    "flow.jurisdictions": "Knowledge-base law ids reaching the flow (list; empty when none).",
    "flow.bases_text": "flow.bases as a message says them: a country with no law listed is "
    "named as a presumption, not as a law; a law reaching data without compelling their holder "
    "(EO 12333) is said to be one.",
    "flow.bases": "Legal bases the risk model weighs (law ids and unlisted:CC); absent when a "
    "country or parent is unknown.",
    "flow.clear_text_reachable": "The entity can reach the data in clear.",
    "risk.level": "none, low, medium, high, critical or unknown.",
    "risk.p_year": "Estimated annual probability of foreign lawful access, all bases.",
    "risk.p_period": "Estimated probability over the period.",
    "risk.p_period_text": "The same as a percentage.",
    "risk.band_text": "Low to high estimate over the period, as text.",
    "risk.threshold": "Accepted probability over the period.",
    "risk.threshold_text": "The same as a percentage.",
    "risk.period_years": "Assessment period in years.",
    "risk.estimate_text": "The estimate as a message says it ('estimated at 0.31 % over 5 "
    "years'), or why none could be made.",
    "risk.exceeds_threshold": "p_period is above the threshold.",
    "risk.binding_factor": "The lowest factor of the dominant basis, with that basis.",
    "risk.own_values": "What the deployment set itself (period, threshold, factor overrides with "
    "their justification and line), as text for messages; empty when the model alone speaks.",
    # the facts of its place or access path that flow.clear_text_reachable rests on, cited with
    # the flow (residency_audit/flows.py)
    **{
        path: PLACE[path]
        for path in (
            "component.clear_text_processing",
            "key.declared",
            "key.management",
            "key.provider_can_use",
            "key.holder_in_provider_group",
            "key.hsm.operator_in_provider_group",
        )
    },
    "access.clear_text": ACCESS["access.clear_text"],
}
WAIVER = {
    "waiver.rule": "Rule id the waiver covers.",
    "waiver.target": "deployment or deployment/component the waiver covers, with the countries "
    "it is narrowed to, if any: `clinic/records-db (countries: US)`.",
    "waiver.approved_by": "Who accepted the risk.",
    "waiver.expires": "Last day the waiver applies.",
    "waiver.in_run": "Its deployment, or one its name is a likely typo of, was audited here.",
    "waiver.matched": "It covered at least one finding of this run.",
    "waiver.target_hint": "The deployment or component it probably meant, or the countries the "
    "findings outside its narrowing are in, when it matched none.",
}
OBSERVATION = {
    "observation.subject": "What was observed: resource, copy, key, key-replica, gap (a call "
    "that could not be read), regions (those the observation did not read), held-copy (a "
    "copy and the account holding it, in an observation audited alone), service (a declared "
    "component of the observed provider, whether its service and region were read, and "
    "whether an observed resource stands for it), sharing (whether an observed store's "
    "sharing was read and is with no one), shared-publicly or shared-with-account (one share "
    "of it), age (the day an observation shows the account, or the DNS names, on). Built by "
    "`residency_audit.drift`, `residency_audit.sharing` and, for DNS observations (age only), "
    "`residency_audit.endpoints`.",
    "observation.account": "Provider account observed.",
    "observation.observed": "What an `age` subject's observation read, as a finding names it: "
    "`account 123456789012`, or `the DNS names in dns.yaml (resolver 192.0.2.53)`.",
    "observation.observed_on": "The UTC day the observed file shows the account on: that of its "
    "oldest time (`observation.started_at`, or an evidence `observed_at` older than it); for "
    "DNS observations, their `observed_on` (the UTC day the names were resolved).",
    "observation.regions_listed": "The collector listed the account's regions, so the two lists "
    "below are known (absent: unknown).",
    "observation.regions_not_enabled": "Regions not enabled in the account, hence not read; "
    "absent when there are none.",
    "observation.regions_not_queried": "Enabled regions left out by --region, hence not read, "
    "less those another `--observed` file of the run read in the same account for the same "
    "deployment; absent when there are none.",
    "observation.regions_read_elsewhere": "Regions this file left out (not given to --region) "
    "that another `--observed` file of the run read in the same account for the same "
    "deployment: an account observed region by region, one file each. Its source names the "
    "files.",
    "observation.services_read": "Services the observation read (`observation.services_read`); "
    "absent when the file does not say (written before it was recorded).",
    "observation.service_read": "The observation read the declared component's service: an "
    "observed resource stands for the component, or its service is among those read; absent "
    "when unknown (the file does not list them, or the component declares no service).",
    "observation.region_read": "The observation read the declared component's region (in "
    "`observation.regions`, not among the regions not queried or not enabled); absent when "
    "unknown (the component declares no region, or the file says no region it read). False "
    "for an account whose role could not be assumed: it read no region.",
    "observation.component_gap": "A gap (`observation.not_observed`) leaves the account unread "
    "(its role could not be assumed), or names its service in its "
    "region or in no region (a call about one resource of a known region excepted), or names "
    "the listed resources not found when no other is missing: the observation may have missed "
    "it there (DRIFT-OBS-01).",
    "observation.found": "Every resource the declared component lists is held by an observed "
    "file of the run (the file judged or another, one per account), as a resource of the "
    "component's provider and service or a replica folded into its source's copies; listing "
    "none, a resource of one stands for it. False when one the observation looked for is held "
    "by none; absent when the only ones not found were not looked for (a gap, a region not "
    "read, an account no observed file is for).",
    "observation.not_found": "What of the declared component no observed file holds: the "
    "resources it lists that were not found, or the component itself when it lists none "
    "(empty when found).",
    "observation.service": "Provider service, e.g. s3, rds, kms.",
    "observation.call": "API call that observed it (or failed, for a gap).",
    "observation.resource": "Observed resource (ARN or name).",
    "observation.role": "primary, replica, backup, ... (places); key or key-replica (keys).",
    "observation.region": "Observed region.",
    "observation.country": "Country of the observed region (knowledge base).",
    "observation.declared": "A declared component or key stands for the observed one.",
    "observation.location_declared": "The observed region (or country) is declared for it.",
    "observation.key_management": "Observed key management (KMS origin and manager, mapped).",
    "observation.key_consistent": "The observed key leaves the provider no more control than "
    "the declared one.",
    "observation.copy_account": "Provider account holding an observed copy, or the account a "
    "store is shared with (unknown: another account whose id could not be read).",
    "observation.same_account": "The copy is held in the observed account; for a store's "
    "sharing, no one outside it can read the store (false for a share: the data can be copied "
    "out of the account).",
    "observation.shared_through": "What shares a store with one entry of its `shared_with`, "
    "as its evidence detail names it (`SharedThrough=`): an EBS snapshot's "
    "createVolumePermission, an AMI's launchPermission, the bucket ACL or policy; a grant its "
    "evidence does not name, in a file written before it was recorded.",
    "observation.complete": "The collector could read it (false for a gap).",
    "observation.reason": "Why a gap could not be read, as the collector recorded it: it starts "
    "with its cause (`access denied`, `not queried`, `region unknown`, `region not enabled`, "
    "`throttled`, `timeout` or `error`; a file from an older version may say otherwise), ends "
    "with `for <ARN>` when one resource was not read, and a refusal adds `; missing permission: "
    "<IAM action>` when the action is known.",
    "observation.permission": "IAM action a refused gap (`access denied`) lacks, when known; "
    "absent for any other gap.",
    "declared.component": "Declared component matched to the observation (for a key covering "
    "several, all of them in id order).",
    "declared.locations": "Regions and countries declared for it (primary and copies).",
    "declared.service": "Service declared for the component.",
    "declared.region": "Primary region declared for the component.",
    "declared.key_management": "Management of the declared key.",
    "declared.key_country": "Country declared for the key.",
}
PARTY = {
    "party.id": "Party id.",
    "party.name": "Legal entity name.",
    "party.role": "GDPR role: controller, joint-controller, processor, sub-processor, "
    "key-custodian.",
    "party.country": "Country of the party's seat.",
    "party.central_administration": "Country of its central administration (the seat if not "
    "declared otherwise).",
    "party.principal_establishment": "Country of its principal establishment (the seat if not "
    "declared otherwise).",
    "party.parent.country": "Country of the ultimate parent (declared, or from the knowledge "
    "base through `provider`).",
    "party.provider": "Knowledge-base provider id declared for the party (`provider`).",
    "party.provider_known": "The provider declared for the party is in the knowledge base.",
    "party.provider_suggestion": "Nearest known provider id, when the party's is unknown.",
    "party.is_controller": "The party is the deployment's controller.",
    "party.involved": "The party operates a component, copy or log sink, holds a key, operates "
    "the HSM holding one, or has an access path.",
    "party.hosts": "The party runs a component, copy or log sink holding personal data (its "
    "operator, else the declared party of its provider).",
    "party.hosts_infrastructure": "The party hosts the infrastructure (R.1111-9 activities 1-3) "
    "of a place it does not run: the one declared party of the provider whose systems hold a "
    "place the controller or another party runs (HDS-ACT-04). Absent (unknown) when it is one of "
    "several declared parties of that provider and hosts no other such place: which one hosts "
    "it is not said.",
    "party.hds_activities": "HDS activities (1-6) declared on the components it operates "
    "(`hds_activities`), sorted; [none] when none is.",
    "party.performs_hds_activities": "It performs at least one HDS activity: declared on a "
    "component it operates, or hosting health data for the controller with none declared (a "
    "component it operates without `hds_activities`, or a copy or personal-data log sink it "
    "operates for a component that declares none or that another party operates; not the "
    "controller hosting its own data).",
    "party.hds_activities_covered": "Every activity it performs is in the scope of an HDS "
    "certificate declared for it (issued by the as-of date, or undated); a party holding none "
    "covers nothing, not even what it hosts without declared activities. Absent (unknown) when "
    "it holds none but the knowledge base says it is certified (scope unknown), or when its "
    "certificates cover fewer than all six activities and it hosts without declared activities, "
    "or when a certificate that may cover what is missing has an unknown validity or lists no "
    "activities (scope unknown).",
    "party.hds_uncovered": "Declared activities no HDS certificate declared for it (issued by the "
    "as-of date, or undated) covers, and, for a party holding no certificate and not "
    "HDS-certified in the knowledge base, what it hosts without declared activities "
    "(`records-db`, `backup of records-db`, `logs of records-db`), all as text; [none] when "
    "none.",
    "party.ownership": "Declared shareholdings [{holder, country, percent, veto}].",
    "party.eu_controlled": "Ultimately EU-controlled in the sense of SecNumCloud §19.6 "
    "(knowledge base).",
    "party.marketed_as_sovereign": "Its provider's offer is marketed as sovereign "
    "(knowledge base).",
    "party.secnumcloud_offers": "Offers of the SecNumCloud qualifications it holds.",
    "party.secnumcloud_offer_qualified": "It holds a SecNumCloud qualification for the offer "
    "named in claims.secnumcloud_offer.",
    "party.on_processor_list": "It is on the Art. 28 processor list (claims.processors).",
    "party.transparency.url": "Its EXI 31 public transparency page.",
    "party.transparency.wording": "The EXI 31 statement the page makes.",
    "party.transparency.expected_wording": "The statement its status calls for: secnumcloud "
    "(a SecNumCloud 3.2 qualification valid on the as-of date, for the offer of "
    "claims.secnumcloud_offer when named), no-transfer, or table; absent when a qualification "
    "of unknown validity or offer, or a place nobody can locate, leaves it open.",
    "party.transparency.wording_matches": "The page's statement is the one its status calls for.",
    "party.transparency.laws": "Foreign laws disclosed (EXI 30 (1)), knowledge-base law ids.",
    "party.transparency.mitigations": "Mitigations disclosed (EXI 30 (2)).",
    "party.transparency.residual_risks": "Residual risks disclosed (EXI 30 (3)).",
}
CERTIFICATION = {
    "certification.holder": "Party id of the holder.",
    "certification.scheme": "hds, secnumcloud or iso27001.",
    "certification.referential": "Referential version as declared (HDS 2018/2024, SNC 3.2).",
    "certification.instrument": "Knowledge-base id of the referential (hds-referential-2024...).",
    "certification.offer": "Certified or qualified offer.",
    "certification.activities": "HDS activities in its scope.",
    "certification.issued": "Issue date.",
    "certification.expires": "Expiry date.",
    "certification.validity": "{issued, expires, instrument}, for the certificate_current "
    "operator.",
    "certification.not_valid_because": "Why it is not valid on the as-of date, in words "
    "(expired, issued before its referential applied...); empty when valid or unknown.",
}
TRANSFER = {
    "transfer.onward": "This is an onward transfer by an importer.",
    "transfer.tool": "The tool declared: adequacy, scc-2021, scc-2010, scc-2001, bcr, dpf, "
    "privacy-shield, art49, or none.",
    "transfer.tools": "The declared tool, as a list for the valid_transfer_tool operator.",
    "transfer.instrument": "Knowledge-base id of the SCC decision used.",
    "transfer.country": "Destination country.",
    "transfer.recipient": "Party id of the importer.",
    "transfer.recipient_tool_kinds": "Every tool kind declared for the same recipient.",
    "transfer.scc_module": "SCC 2021/914 module declared.",
    "transfer.expected_scc_module": "Module the exporter and importer roles call for.",
    "transfer.scc_module_matches_roles": "The declared module matches the roles.",
    "transfer.tia_date": "Date of the transfer impact assessment.",
    "transfer.tia_reference": "Reference of the transfer impact assessment.",
    "transfer.systematic": "Part of hosting, backups or routine support (the recipient operates "
    "a component or has an access path), or not declared occasional.",
    "transfer.has_onward": "The importer passes the data on.",
    "transfer.protected.claimed": "The importer is declared a protected recipient (EDPB UC4).",
    "transfer.protected.legal_exemption": "Its law exempts it from access for this purpose.",
    "transfer.protected.end_to_end_encrypted": "Data are end-to-end encrypted.",
    "transfer.protected.key_only_at_recipient": "Only the recipient holds the key.",
    "recipient.country": "Importer's country.",
    "recipient.role": "Importer's role: controller or processor.",
    "recipient.adequacy_scopes": "Restricted adequacy lists the importer is on (dpf-list...).",
    "exporter.id": "Exporter party id.",
    "exporter.role": "Exporter's role: controller or processor.",
}
TRANSIT = {
    "component.id": "Component whose data transit.",
    "transit.country": "Country crossed in transit.",
    "transit.encrypted": "State-of-the-art transport or end-to-end encryption.",
    "transit.decryptable_in_transit": "Keys exist in the transit country.",
}
COUNTRY = {
    "country.code": "A country code as declared.",
    "country.field": "Where it is declared (YAML path).",
    "country.known": "The knowledge base knows the code (ISO 3166-1 alpha-2).",
    "country.suggestion": "Nearest known code.",
}
FIELDS: dict[str, dict[str, str]] = {
    "deployment": {**COMMON, **LAW, **DEPLOYMENT},
    "component": {**COMMON, **PLACE},
    "place": {**COMMON, **PLACE},
    "access": {**COMMON, **ACCESS},
    "endpoint": {**COMMON, **PLACE, **ENDPOINT},
    "flow": {**COMMON, **FLOW},
    "party": {**COMMON, **PARTY},
    "certification": {**COMMON, **CERTIFICATION},
    "transfer": {**COMMON, **TRANSFER},
    "transit": {**COMMON, **TRANSIT},
    # NOTE: `subjects()` never yields waivers; `residency_audit.waivers` judges them.
    "waiver": WAIVER,
    "observation": {**COMMON, **OBSERVATION},
    "country": COUNTRY,
}
KINDS = tuple(FIELDS)

# The five core residency checks of the peer benchmark, written for OPA-compatible engines:
# EEA storage, replicas and copies, remote access, provider jurisdiction and key custody.
# Same logic as HDS-LOC-01, GDPR-XFER-01, GDPR-XFER-02 and JUR-EXPO-01 (simplified: the transfer
# tools are taken as declared, without dates). `data.kb` is built from the bundled knowledge base
# by benchmarks/peer.py: region -> country per provider, EEA and adequate countries, provider
# parent country, countries with compelled-access laws.
package residency

import rego.v1

storing_kinds := {"datastore", "backup", "log-sink", "email"}

health if {
	some c in input.data.categories
	c in {"health", "genetic"}
}

hds_applies if {
	health
	input.data.health_context in {"care", "prevention", "diagnosis", "social-care"}
}

provider_of(c, p) := object.get(p, "provider", c.provider)

country_of(provider, place) := place.country if {
	place.country
} else := data.kb.regions[provider][place.region]

places contains {"component": c.id, "role": "primary", "provider": c.provider,
	"country": country_of(c.provider, c), "operator": object.get(c, "operator", null),
	"stores": c.kind in storing_kinds} if {
	some c in input.components
}

places contains {"component": c.id, "role": p.kind, "provider": provider_of(c, p),
	"country": country_of(provider_of(c, p), p), "operator": object.get(c, "operator", null),
	"stores": true} if {
	some c in input.components
	some p in object.get(c, "copies", [])
}

outside_eea(country) if not country in data.kb.eea

has_tool(recipient) if {
	some t in object.get(input, "transfers", [])
	t.recipient == recipient
	t.tool in {"scc-2021", "bcr", "dpf", "adequacy"}
}

# 1. EEA storage (HDS EXI 28) for every place holding health data.
deny contains sprintf("%s (%s): health data stored in %s", [p.component, p.role, p.country]) if {
	hds_applies
	some p in places
	p.stores
	outside_eea(p.country)
}

# 2. Replicas, backups and other copies outside the EEA need a transfer tool (GDPR Art. 44-46).
deny contains sprintf("%s (%s): transfer to %s without a tool", [p.component, p.role, p.country]) if {
	some p in places
	outside_eea(p.country)
	not p.country in data.kb.adequate
	not has_tool(p.operator)
}

# 3. Remote access from outside the EEA by another entity (EDPB Guidelines 05/2021).
deny contains sprintf("access %s from %s without a tool", [a.id, a.country]) if {
	some a in object.get(input, "access", [])
	outside_eea(a.country)
	a.entity != input.controller
	not a.country in data.kb.adequate
	not has_tool(a.entity)
}

# 4 and 5. Provider subject to compelled-access laws, unless keys are out of its reach.
deny contains sprintf("%s: reachable under %s law", [c.id, parent]) if {
	some c in input.components
	parent := data.kb.parents[c.provider]
	parent in data.kb.compelled
	not keys_out_of_reach(c)
}

keys_out_of_reach(c) if {
	c.clear_text_processing == false
	some k in input.keys
	k.id == c.key
	k.management in {"external-key-store", "customer-held"}
	k.provider_can_use == false
	not holder_in_group(k, c)
	not outside_eea(k.country)
}

holder_in_group(k, c) if {
	some p in input.parties
	p.id == k.holder
	p.provider == c.provider
}

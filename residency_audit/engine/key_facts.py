"""The facts of a place's key: the key its component declares (or, for an observed copy, the
key its evidence names), who holds it and where, the HSM keeping it and the law declared for
that HSM against its operator's own, and where a provider KMS keeps the key and its replicas.
Who can be compelled to reach the key is `custody.py`'s (`key_custody`); this module states what
the deployment declares about it, each fact at its YAML position.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from residency_audit.engine.custody import in_provider_group, key_custody, key_position
from residency_audit.model import Component, EncryptionSide, Fact, Hsm, Key, Party

if TYPE_CHECKING:
    from residency_audit.engine.subjects import SubjectBuilder


def key_facts(
    b: SubjectBuilder,
    f: dict[str, Fact],
    c: Component,
    ci: int,
    provider_id: str,
    own: tuple[str, str] | None = None,
) -> None:
    """The key facts of a place of `c`: its component's key, or `own` (key id or
    `unknown`, and the YAML path naming it) for an observed copy with a key of its own; and
    which of the two it is, in words (`place.key_source`). The component's key is in its own
    provider's KMS, whose regions its `region` and `replica_regions` name, even for a copy
    another provider keeps; an observed copy's own key is in the KMS of the copy's provider."""
    ref, named_at = (c.key, f"components[{ci}].key") if own is None else own
    kms = c.provider if own is None else provider_id
    key = b.d.key(ref)
    _key_words(b, f, c, key, own, named_at)
    if key is None and (own is not None or _key_unread(b, c)):
        # the collector could not read it: unknown, not unencrypted (fail closed); the
        # messages' key-custody clauses have nothing to say about it
        for path in ("key.replica_exposure", "key.holder_exposure", "key.hsm.exposure"):
            b.derived(f, path, "", f"the key of {c.id} was not read ({b.at(named_at)})")
        return
    key_custody(b, f, key, provider_id, kms)  # holder, HSM and replicas: engine/custody.py
    if key is None:
        b.derived(f, "key.declared", False, f"no key declared for component {c.id}")
        b.derived(f, "key.management", "none", f"no key declared for component {c.id}")
        return
    ki = key_position(b, key)
    base = f"keys[{ki}]"
    b.derived(f, "key.declared", True, named_at)
    b.put(f, "key.id", key.id, f"{base}.id")
    b.put(f, "key.encryption", key.encryption.value, f"{base}.encryption")
    b.put(f, "key.management", key.management.value, f"{base}.management")
    b.put(f, "key.holder", key.holder, f"{base}.holder")
    b.put(f, "key.country", key.country, f"{base}.country")
    _key_regions(b, f, key, base, kms)
    if key.encryption is EncryptionSide.PROVIDER_SIDE and key.provider_can_use is not True:
        # whatever `provider_can_use` says: the provider's service encrypts, so it has the key
        # used on the data it sees in clear (an external key store included)
        b.derived(
            f,
            "key.provider_can_use",
            True,
            f"provider-side encryption ({b.at(f'{base}.encryption')}): the provider's service "
            "encrypts and decrypts with the key",
        )
    else:
        b.put(f, "key.provider_can_use", key.provider_can_use, f"{base}.provider_can_use")
    if key.hsm is None:
        b.derived(f, "key.hsm.jurisdiction_eea_or_adequate", True, "no HSM declared")
    else:
        b.put(f, "key.hsm.operator", key.hsm.operator, f"{base}.hsm.operator")
        b.put(f, "key.hsm.jurisdiction", key.hsm.jurisdiction, f"{base}.hsm.jurisdiction")
        _hsm_jurisdiction(b, f, key.hsm, base)
        _hsm_operator(b, f, key.hsm, base)
    holder = b.d.party(key.holder)
    if holder is not None:
        b.put(f, "key.holder_country", holder.country, b.party_path(holder, "country"))
        in_group = in_provider_group(b, holder, provider_id)
        if in_group is not None:  # else unknown (a near miss of the names): cannot pass
            b.derived(
                f,
                "key.holder_in_provider_group",
                in_group,
                f"key holder {holder.id} compared with provider {provider_id}",
            )


def log_key_facts(b: SubjectBuilder, f: dict[str, Fact], c: Component, provider_id: str) -> None:
    """The key facts of a log sink of `c`: the component writes its log lines in clear, so its
    key protects none of them (the flows say the same); the sink's own encryption cannot be
    declared, so no key is credited to it."""
    key_custody(b, f, None, provider_id)
    why = f"log lines of {c.id} are written in clear: the component's key does not cover them"
    b.derived(f, "key.declared", False, why)
    b.derived(f, "key.management", "none", why)
    words = "none (log lines are written in clear, which the component's key does not cover)"
    b.derived(f, "place.key_source", words, why)


def copy_key(b: SubjectBuilder, c: Component, yaml_path: str) -> tuple[str, str] | None:
    """(key id or `unknown`, YAML path naming it) of an observed copy whose evidence names
    the key protecting it (`Key=`, written by `discover aws`: a global-table replica's key
    is its region's, a backup's its vault's); None for any other place."""
    observation = b.d.observation
    if observation is None or ".copies[" not in yaml_path:
        return None
    from residency_audit.collectors.observed import observed_copy_key  # no boto3 there

    copy = c.copies[int(yaml_path.rsplit("[", 1)[1].rstrip("]"))]
    ref = observed_copy_key(observation, c, copy)
    return None if ref is None else (ref, f"{yaml_path}.evidence.detail")


def _key_words(
    b: SubjectBuilder,
    f: dict[str, Fact],
    c: Component,
    key: Key | None,
    own: tuple[str, str] | None,
    named_at: str,
) -> None:
    """`place.key_source`: which key protects a copy, in words for messages: its own (`own`:
    an observed copy's, `copy_key`), else its component's, with where it is encrypted and who
    manages it (for a log sink, `log_key_facts` says none)."""
    whose = "its own key" if own is not None else "the component's key"
    if key is None:
        unread = own is not None or _key_unread(b, c)
        words = f"{whose}, which was not read" if unread else "none declared"
        b.derived(f, "place.key_source", words, b.at(named_at))
        return
    words = f"{whose} {key.id} ({key.encryption.value}, {key.management.value})"
    b.derived(f, "place.key_source", words, b.at(f"keys[{key_position(b, key)}]"))


def _key_unread(b: SubjectBuilder, c: Component) -> bool:
    """An observed component (`check observed.yaml`) whose resource's encryption the
    collector could not read: its missing key is a gap, not a statement."""
    observation = b.d.observation
    if observation is None or not c.resources:
        return False
    from residency_audit.collectors.observed import unread_keys  # no boto3 there

    return not unread_keys(observation.not_observed).isdisjoint(c.resources)


def _hsm_jurisdiction(b: SubjectBuilder, f: dict[str, Fact], hsm: Hsm, base: str) -> None:
    """Whether the law declared to govern the HSM operator keeps the keys out of foreign
    reach: in the EEA or a generally adequate country on the audit day, whoever operates
    the HSM (the key holder and the controller included). Absent when the country is
    unknown (fail closed)."""
    eea = b.kb.in_eea(hsm.jurisdiction, b.as_of)
    if eea is None:
        return
    f["key.hsm.jurisdiction_eea_or_adequate"] = Fact(
        "key.hsm.jurisdiction_eea_or_adequate",
        eea or bool(b.kb.generally_adequate(hsm.jurisdiction, b.as_of)),
        b.at(f"{base}.hsm.jurisdiction"),
    )


def _hsm_operator(b: SubjectBuilder, f: dict[str, Fact], hsm: Hsm, base: str) -> None:
    """The declared HSM jurisdiction against the operator's own: its seat and its ultimate
    parent's country, whoever it is (the key holder, the controller or a third party). A
    jurisdiction that is neither contradicts the declaration of the operator; one that
    differs from the seat while the parent is unknown cannot be checked (fail closed).
    `key.hsm.operator_compared` says what it was compared with, so that CORE-KB-05 never
    calls a parent "unknown" when the controller, which need not declare one, has none."""
    operator = b.d.party(hsm.operator)
    b.derived(
        f,
        "key.hsm.operator_declared",
        operator is not None,
        f"{base}.hsm.operator looked up among the parties",
    )
    if operator is None:
        return
    own: dict[str, Fact] = {}
    b.party_facts(own, "operator", operator)
    seat, parent = own.get("operator.country"), own.get("operator.parent.country")
    for path, fact in (
        ("key.hsm.operator_country", seat),
        ("key.hsm.operator_parent_country", parent),
    ):
        if fact is not None:
            f[path] = Fact(path, fact.value, fact.origin, fact.url, fact.verified)
    compared = _compared_with(b, operator, parent)
    how = f"seat ({b.at(b.party_path(operator, 'country'))})"
    how += f" and ultimate parent ({parent.origin})" if parent is not None else ""
    b.derived(f, "key.hsm.operator_compared", compared, f"{how} of {operator.id}")
    known = [x.value for x in (seat, parent) if x is not None]
    if hsm.jurisdiction in known:
        matches: bool | None = True
    else:  # the controller may leave its parent undeclared (engine/custody.py): its seat
        controller = operator.id == b.d.controller
        matches = False if parent is not None or controller else None
    if matches is not None:
        b.derived(
            f,
            "key.hsm.jurisdiction_matches_operator",
            matches,
            f"declared HSM jurisdiction {hsm.jurisdiction} against operator {operator.id}: "
            f"{compared}",
        )


def _compared_with(b: SubjectBuilder, operator: Party, parent: Fact | None) -> str:
    """What an HSM's declared jurisdiction is compared with, as CORE-KB-05 states it: the
    operator's seat, and its ultimate parent's country as `party_facts` found it (declared, or
    from the knowledge base); or that no parent is declared (the controller need not declare
    one)."""
    seat = f"its seat ({operator.country})"
    if operator.parent is not None:
        return f"{seat} and its ultimate parent's country ({operator.parent.country})"
    if parent is not None:
        return f"{seat} and its ultimate parent's country ({parent.value}, knowledge base)"
    if operator.id == b.d.controller:
        return f"{seat}; the controller declares no ultimate parent"
    return f"{seat}; its ultimate parent is not declared"


def _key_regions(
    b: SubjectBuilder, f: dict[str, Fact], key: Key, base: str, provider_id: str
) -> None:
    """Where a provider KMS keeps the key: its region gives `key.country` when no country is
    declared, and its replicas (multi-region keys) must be in the EEA or an adequate country
    too, else the key material is within reach of the laws there. An unknown region leaves
    them unknown (fail closed)."""
    if key.country is None and key.region is not None:
        known = b.kb.region(provider_id, key.region)
        if known is not None:
            f["key.country"] = known.fact("key.country")
    verdicts: list[bool | None] = []
    for region in key.replica_regions:
        known = b.kb.region(provider_id, region)
        if known is None:
            verdicts.append(None)
        else:
            verdicts.append(
                b.kb.in_eea(known.country, b.as_of) is True
                or b.kb.generally_adequate(known.country, b.as_of)
            )
    if not verdicts:
        b.derived(f, "key.replicas_eea_or_adequate", True, "no replica region declared")
    elif None not in verdicts:
        f["key.replicas_eea_or_adequate"] = Fact(
            "key.replicas_eea_or_adequate", all(verdicts), b.at(f"{base}.replica_regions")
        )

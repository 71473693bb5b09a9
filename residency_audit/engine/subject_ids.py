"""What a subject is, as findings, checks, JUnit cases and waiver targets name it (`subject_id`):
its kind and the deployment's own ids, never a line nor a position, so an accepted risk stays
bound to what was assessed when a file is edited or reordered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from residency_audit.model import Component, Fact

if TYPE_CHECKING:
    from residency_audit.engine.places import Where
    from residency_audit.engine.subjects import Subject


def subject_id(subject: Subject) -> str:
    """What a subject is, as findings, checks, JUnit cases and waiver targets name it: its kind
    and what tells it apart from the deployment's other subjects, never a line (stable when
    lines move), a position in a list (stable when entries are added or reordered) nor a human
    name (two may be alike). `deployment:clinique`, `component:records-db`, `place:records-db`
    (the primary store), `place:records-db/backup@us-east-1` and `place:records-db/log@FR` (a
    copy or log sink by kind and region, else country; on another provider
    `place:records-db/backup@gcp:europe-west9`), `access:vendor-support`, `party:host-a`,
    `certification:host-a/hds@2024-03-01` (by issue date, when declared),
    `transfer:support-co/US/scc-2021` (recipient, country, tool),
    `transfer:support-co>sub-co/IN/bcr` (onward, by support-co), `transit:records-db/CH`,
    `country:XX`, `flow:records-db/backup@us-east-1`, `flow:access:vendor-support`,
    `endpoint:web/api.example.org`, `endpoint:web/mail:example.org/mx.example.net`,
    `waiver:JUR-EXPO-01/records-db@2026-01-01` (`waivers.waiver_id`: what it covers). The
    deployment's ids may not hold the separators (`format.check_references`), so no two kinds
    of id read alike. A subject whose facts lack its ids (an observation's drift, a rule's
    example) is named by kind and label. Two subjects alike in all of these (two transfers to
    one recipient and country with one tool) still share one: `engine.evaluate` numbers the
    later ones (`#2`) in file order, which is why a waiver may not name a numbered one."""
    if subject.id is not None:
        return subject.id
    derive = _DERIVED.get(subject.kind)
    made = derive(subject.facts) if derive is not None else None
    return f"{subject.kind}:{made or subject.label}"


def _ids(facts: dict[str, Fact], *paths: str) -> list[str] | None:
    """The values of the facts at `paths`, or None if one is unknown."""
    # One loop, no generator: every flow and transfer of every file is named here.
    out: list[str] = []
    for path in paths:
        fact = facts.get(path)
        if fact is None or fact.value is None:
            return None
        out.append(str(fact.value))
    return out


def _joined(*paths: str) -> Callable[[dict[str, Fact]], str | None]:
    def derive(facts: dict[str, Fact]) -> str | None:
        ids = _ids(facts, *paths)
        return None if ids is None else "/".join(ids)

    return derive


def _transfer_id(facts: dict[str, Fact]) -> str | None:
    """Recipient, country and tool: two transfers to one recipient and country under two tools
    (BCR and SCC) are two subjects whatever their order in the file."""
    ids = _ids(facts, "transfer.recipient", "transfer.country", "transfer.tool")
    if ids is None:
        return None
    onward = facts.get("transfer.onward")
    if onward is None or not onward.value:
        return "/".join(ids)
    exporter = _ids(facts, "exporter.id")
    return None if exporter is None else f"{exporter[0]}>{'/'.join(ids)}"


def _certification_id(facts: dict[str, Fact]) -> str | None:
    """Holder and scheme, then the issue date when declared: the renewed certificate and the
    one it replaced are told apart by date, not by which of them exist on the as-of date."""
    ids = _ids(facts, "certification.holder", "certification.scheme")
    if ids is None:
        return None
    issued = facts.get("certification.issued")
    return "/".join(ids) + ("" if issued is None else f"@{issued.value}")


_FLOW_NAMESPACES = {"access": "access", "key-custody": "key", "sub-processor": "party"}
"""Flow kinds whose `flow.id` starts with a namespace (`access/support`, `key/k1/hsm`,
`party/sub-co`) rather than a component id: written `access:support`, so that the flow of an
access path `backup` is not that of a component `access`'s backup (`access/backup`)."""


def _flow_id(facts: dict[str, Fact]) -> str | None:
    ids = _ids(facts, "flow.id")
    if ids is None:
        return None
    kind = facts.get("flow.kind")
    prefix, slash, rest = ids[0].partition("/")
    namespace = _FLOW_NAMESPACES.get(str(kind.value)) if kind is not None else None
    return f"{prefix}:{rest}" if slash and prefix == namespace else ids[0]


def _endpoint_id(facts: dict[str, Fact]) -> str | None:
    ids = _ids(facts, "component.id", "endpoint.name")
    if ids is None:
        return None
    kind = facts.get("endpoint.kind")
    name = f"mail:{ids[1]}" if kind is not None and kind.value == "mail" else ids[1]
    exchanger = facts.get("endpoint.exchanger")
    return f"{ids[0]}/{name}" + (f"/{exchanger.value}" if exchanger is not None else "")


def place_id(c: Component, w: Where) -> str:
    """`place:` and the component's id; a copy or log sink adds its kind and where it is (its
    region, else its country; its provider too when not the component's), not its position
    in the list, which moves when a copy is added before it."""
    if w.role == "primary":
        return f"place:{c.id}"
    where = w.region or w.country
    if where is not None and w.provider != c.provider:
        where = f"{w.provider}:{where}"
    return f"place:{c.id}/{w.role}" + ("" if where is None else f"@{where}")


_DERIVED: dict[str, Callable[[dict[str, Fact]], str | None]] = {
    "party": _joined("party.id"),
    "certification": _certification_id,
    "transfer": _transfer_id,
    "transit": _joined("component.id", "transit.country"),
    "country": _joined("country.code"),
    "flow": _flow_id,
    "endpoint": _endpoint_id,
}
"""The ids of the subjects made outside this module, from the facts they carry."""

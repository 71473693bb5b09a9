"""Which host's HDS referential a subject is judged under (`hds.referential_2024_binds`): a
place's own host (the provider's party, for the controller's own place on a provider's
systems), a hosting party's own certificate, the hosts of the components an access path
reaches, and for the rest of the deployment any third-party host (fail closed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from residency_audit import kb
from residency_audit.engine.subjects import subjects
from residency_audit.format import load_deployment

IN_TRANSITION = dt.date(2025, 6, 1)

DEPLOYMENT = """\
schema_version: 1
name: two-hosts
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique Exemple SAS, role: controller, country: FR}
  - {id: host-a, name: Hébergeur A SAS, role: processor, country: FR, provider: outscale}
  - {id: backup-co, name: Sauvegarde SAS, role: sub-processor, country: FR}
  - {id: custodian, name: Tiers de confiance SAS, role: key-custodian, country: FR}
HOST_B
components:
  - id: portal
    kind: compute
    provider: outscale
    operator: clinic
    region: eu-west-2
  - id: records
    kind: datastore
    provider: outscale
    operator: host-a
    region: eu-west-2
    key: records-key
    copies: [{kind: backup, provider: outscale, operator: backup-co, region: eu-west-2}]
ARCHIVE
keys:
  - id: records-key
    encryption: client-side
    management: customer-held
    holder: custodian
    country: FR
access:
  - {id: ops-a, kind: administration, entity: host-a, country: FR, components: [records]}
  - {id: ops-all, kind: administration, entity: host-a, country: FR}
certifications:
  - {holder: host-a, scheme: hds, activities: [1, 2, 3], referential: "2018", issued: 2024-01-10}
  - {holder: backup-co, scheme: hds, activities: [6], referential: "2018", issued: 2023-05-02}
"""
HOST_B = "  - {id: host-b, name: Hébergeur B SAS, role: processor, country: FR}"
ARCHIVE = (
    "  - {id: archive, kind: datastore, provider: outscale, operator: host-b, region: eu-west-2}"
)


def binds(tmp_path: Path, *, with_host_b: bool) -> dict[tuple[str, str], bool]:
    """(subject kind, label) -> hds.referential_2024_binds, as of a day in the transition."""
    text = DEPLOYMENT.replace("HOST_B", HOST_B if with_host_b else "")
    text = text.replace("ARCHIVE", ARCHIVE if with_host_b else "")
    path = tmp_path / "d.yaml"
    path.write_text(text)
    d, _ = load_deployment(path)
    return {
        (s.kind, s.label): s.facts["hds.referential_2024_binds"].value
        for s in subjects(d, kb.default(), IN_TRANSITION)
        if "hds.referential_2024_binds" in s.facts
    }


def test_hosts_all_in_their_transition_bind_nothing(tmp_path: Path) -> None:
    found = binds(tmp_path, with_host_b=False)
    assert found[("deployment", "two-hosts")] is False  # the controller's own portal aside
    assert found[("party", "party host-a")] is False
    assert found[("party", "party backup-co")] is False
    assert found[("party", "party custodian")] is False  # serves hosts in their transition
    assert found[("access", "administration access ops-all")] is False
    # the controller's own portal on host-a's infrastructure: host-a's certificate decides
    assert found[("place", "portal")] is False


def test_one_bound_host_binds_the_rest_of_the_deployment(tmp_path: Path) -> None:
    found = binds(tmp_path, with_host_b=True)
    assert found[("deployment", "two-hosts")] is True
    assert found[("party", "party host-b")] is True
    assert found[("place", "archive")] is True
    # a host in its transition keeps it for what it publishes and hosts itself...
    assert found[("party", "party host-a")] is False
    assert found[("place", "records")] is False
    assert found[("access", "administration access ops-a")] is False  # reaches records only
    # ...but not for what depends on a bound host too
    assert found[("access", "administration access ops-all")] is True
    assert found[("party", "party backup-co")] is True  # a sub-processor: disclosed by hosts
    assert found[("party", "party custodian")] is True  # hosts nothing: any host decides


def test_the_evidence_names_the_certificate_or_the_bound_host(tmp_path: Path) -> None:
    text = DEPLOYMENT.replace("HOST_B", HOST_B).replace("ARCHIVE", ARCHIVE)
    path = tmp_path / "d.yaml"
    path.write_text(text)
    d, _ = load_deployment(path)
    facts = {
        (s.kind, s.label): s.facts["hds.referential_2024_binds"]
        for s in subjects(d, kb.default(), IN_TRANSITION)
        if s.kind in ("deployment", "party")
    }
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "{holder: host-a" in t)
    assert facts[("party", "party host-a")].origin.startswith(f"{path}:{line}:")
    assert facts[("deployment", "two-hosts")].origin == (
        "derived: host-b holds no current 2018 HDS certificate in its transition"
    )


def test_a_2024_certificate_ends_the_transition_only_from_its_issue(tmp_path: Path) -> None:
    """Re-running a past day after a 2024 certificate was added must not judge that day under
    a certificate that did not exist yet."""
    text = DEPLOYMENT.replace("HOST_B", "").replace("ARCHIVE", "")
    later = "  - {holder: host-a, scheme: hds, activities: [1, 2, 3], referential: '2024', "
    path = tmp_path / "d.yaml"
    path.write_text(text + later + "issued: 2026-03-01}\n")
    d, _ = load_deployment(path)

    def host_a_binds(day: dt.date) -> bool:
        [party] = [s for s in subjects(d, kb.default(), day) if s.label == "party host-a"]
        return bool(party.facts["hds.referential_2024_binds"].value)

    assert host_a_binds(IN_TRANSITION) is False  # the 2024 certificate is a year away
    assert host_a_binds(dt.date(2026, 3, 1)) is True

"""The flow picture of the HTML report names the jurisdiction of each law it draws: a lawyer
reading "FR law: us-cloud-act" would take it for French law reaching the keys. Each deployment
goes through the real pipeline; the picture is read back from the rendered page as SVG."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path

from residency_audit import kb
from residency_audit.model import Report
from residency_audit.pipeline import Options, run
from residency_audit.reporters import html
from residency_audit.reporters.flowmap import STATUS_COLOURS
from tests.conftest import AS_OF

SVG = "{http://www.w3.org/2000/svg}"

DEPLOYMENT = """\
schema_version: 1
name: custody
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR,
     parent: {name: Groupe Clinique, country: FR}}
  - {id: custodian, name: Tiers SAS, role: key-custodian,
     country: FR, parent: {name: T, country: FR}}
  - {id: hsm-fr, name: HSM Services SAS, role: key-custodian,
     country: FR, parent: {name: H, country: FR}}
components:
  - id: records
    kind: datastore
    provider: ovhcloud
    region: gra
    key: k1
    clear_text_processing: false
keys:
  - id: k1
    encryption: client-side
    management: customer-held
    holder: custodian
    country: FR
    hsm: {operator: OPERATOR, jurisdiction: JURISDICTION}
    provider_can_use: false
"""


@dataclasses.dataclass
class Picture:
    nodes: dict[str, tuple[str, str]]
    """Label → (what the node lists, its fill colour)."""
    edges: list[str]
    """The tooltip of every arrow."""
    description: str


def picture(report: Report) -> Picture:
    text = html.render(report)
    svg = ET.fromstring(text[text.index("<svg") : text.index("</svg>") + len("</svg>")])
    nodes = {}
    for g in svg.iter(f"{SVG}g"):
        title, rect = g.findtext(f"{SVG}title"), g.find(f"{SVG}rect")
        if title and rect is not None:
            label, _, listed = title.partition(": ")
            nodes[label] = (listed, rect.get("fill", ""))
    edges = [t for p in svg.iter(f"{SVG}path") if (t := p.findtext(f"{SVG}title"))]
    return Picture(nodes, edges, svg.findtext(f"{SVG}desc") or "")


def audit(tmp_path: Path, *, operator: str, jurisdiction: str) -> Report:
    path = tmp_path / "custody.yaml"
    text = DEPLOYMENT.replace("OPERATOR", operator).replace("JURISDICTION", jurisdiction)
    path.write_text(text)
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    return report


def law_nodes(p: Picture) -> dict[str, tuple[str, str]]:
    return {label: node for label, node in p.nodes.items() if "law" in label}


def test_a_french_hsm_under_us_law_is_drawn_under_us_law_not_french(tmp_path: Path) -> None:
    p = picture(audit(tmp_path, operator="hsm-fr", jurisdiction="US"))
    us_laws = "us-cloud-act, us-fisa-702, us-eo-12333"
    assert p.nodes["US law"][0] == us_laws
    # EO 12333 is signals intelligence without the holder's assistance (the knowledge base's
    # compelled_access: false): the HSM operator does not answer to it
    assert (
        "hsm-fr answers to US law: us-cloud-act, us-fisa-702; US law reaching the data without "
        "compelling it: us-eo-12333"
    ) in p.edges
    assert p.nodes["FR law"][0] == "no law listed"
    home = {law.id: law.jurisdiction for law in kb.default().laws.values()}
    drawn = [
        (label.removesuffix(" law"), listed) for label, (listed, _) in law_nodes(p).items()
    ] + [
        (where.removesuffix(" law"), listed)
        for edge in p.edges
        if " answers to " in edge
        for where, _, listed in [edge.split(" answers to ")[1].split("; ")[0].partition(": ")]
    ]
    for code, listed in drawn:
        for law in listed.split(", "):
            assert home.get(law, code) == code, (code, law)


def test_a_country_without_law_in_the_knowledge_base_is_drawn_as_unknown(
    tmp_path: Path,
) -> None:
    """Singapore is neither in the EEA nor adequate, and the knowledge base lists none of its
    laws (`unlisted:SG`): nothing says its law cannot reach the keys."""
    report = audit(tmp_path, operator="clinic", jurisdiction="SG")
    hsm = next(f for f in report.flows if f.id == "key/k1/hsm")
    assert "unlisted:SG" in (hsm.bases or ())
    p = picture(report)
    assert p.nodes["SG law"] == ("none in the knowledge base", STATUS_COLOURS["unknown"][1])
    assert "clinic answers to SG law: none in the knowledge base, so unknown" in p.edges


def test_an_hsm_operator_nobody_declared_reaches_the_keys_under_unknown_law(
    tmp_path: Path,
) -> None:
    report = audit(tmp_path, operator="Thales HSM", jurisdiction="FR")
    assert next(f for f in report.flows if f.id == "key/k1/hsm").bases is None
    p = picture(report)
    unknown = STATUS_COLOURS["unknown"][1]
    assert p.nodes["law of an unknown country"] == ("cannot be verified", unknown)
    assert (
        "Thales HSM answers to the law of a country nobody could place: cannot be verified"
        in p.edges
    )


def test_a_law_the_knowledge_base_does_not_hold_is_not_filed_under_the_parent(
    tmp_path: Path,
) -> None:
    """A result saved with a knowledge base that had a law this one lacks: its country is not
    known here, so it is not drawn as the parent's law."""
    report = audit(tmp_path, operator="hsm-fr", jurisdiction="US")
    flows = tuple(
        dataclasses.replace(f, jurisdictions=("xx-retired-law",)) if f.id == "key/k1/hsm" else f
        for f in report.flows
    )
    p = picture(dataclasses.replace(report, flows=flows))
    assert p.nodes["law of an unknown country"][0] == "xx-retired-law"
    assert "xx-retired-law" not in p.nodes["FR law"][0]


def test_the_text_description_names_each_jurisdiction_and_its_laws_as_drawn(
    tmp_path: Path,
) -> None:
    """Screen readers get the picture's `<desc>`: it lists the same jurisdictions with the
    same laws as the nodes, not only how many there are."""
    p = picture(audit(tmp_path, operator="hsm-fr", jurisdiction="US"))
    nodes = law_nodes(p)
    assert f"{len(nodes)} jurisdiction(s): " in p.description
    listed = p.description.split(" jurisdiction(s): ")[1].removesuffix(".").split("; ")
    assert listed == [f"{label} ({laws})" for label, (laws, _) in nodes.items()]


def test_without_flows_laws_the_findings_cite_are_drawn_under_their_own_country(
    tmp_path: Path,
) -> None:
    """A result without flows (an older version's): the picture comes from the findings, and
    the US laws a finding on the key cites are drawn even though it names no country."""
    report = audit(tmp_path, operator="hsm-fr", jurisdiction="US")
    p = picture(dataclasses.replace(report, flows=()))
    assert p.nodes["US law"][0] == "us-cloud-act, us-fisa-702, us-eo-12333"
    assert (
        "the provider answers to US law: us-cloud-act, us-fisa-702; US law reaching the data "
        "without compelling it: us-eo-12333"
    ) in p.edges
    assert "derived from the findings only" in p.description


def test_a_copy_nobody_is_known_to_host_is_drawn_as_such(tmp_path: Path) -> None:
    """A US backup on AWS with no operator and no AWS party: HDS-ACT-03 says its host is not
    known, and the flow has no entity; its arrow said 'the provider answers to US law', as if
    the provider's entity were established."""
    path = tmp_path / "unhosted.yaml"
    path.write_text(
        "schema_version: 1\n"
        "name: unhosted\n"
        "controller: clinic\n"
        "data: {categories: [health], health_context: care}\n"
        "parties:\n"
        "  - {id: clinic, name: Clinique SAS, role: controller, country: FR}\n"
        "  - {id: ovh, name: OVH SAS, role: processor, country: FR, provider: ovhcloud}\n"
        "components:\n"
        "  - id: db\n"
        "    kind: datastore\n"
        "    provider: ovhcloud\n"
        "    operator: ovh\n"
        "    region: gra\n"
        "    copies: [{kind: backup, provider: aws, region: us-east-1}]\n"
    )
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    [backup] = [f for f in report.flows if f.kind == "backup"]
    assert backup.entity is None
    edges = picture(report).edges
    assert any(e.startswith("an entity nobody could name answers to US law") for e in edges)
    assert not any(e.startswith("the provider answers") for e in edges)

"""`verified` means checked against a primary or official text, and a reference shown to a lawyer
never presents a law firm's, a certifier's or the press's page as the law.

The hosts below are secondary sources the knowledge base and the rule packs have met: law-firm
notes, a certification body's sales page, press and trade magazines, copies on document-sharing
sites. A fact whose `source` is one of them is not verified (the note says what was read); a rule
reference linking to one says "secondary" in its label, and the heading the Markdown and HTML
reports give its instrument (`reporters.common.instrument`, linked to that page) names the site.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from residency_audit.engine.rules import load_packs
from residency_audit.kb import KnowledgeBase
from residency_audit.model import Reference
from residency_audit.reporters.common import instrument

SECONDARY_HOSTS = {
    # host: the name a report heading linking there must show
    "2b-advice.com": "2b-advice",
    "2b1inc.com": "2b1",
    "alain-bensoussan.com": "Bensoussan",
    "archimag.com": "archimag",
    "armingaud-avocat.fr": "Armingaud",
    "banquedesterritoires.fr": "Banque des Territoires",
    "chinalawtranslate.com": "China Law Translate",
    "clubic.com": "Clubic",
    "cms.law": "CMS",
    "datenrecht.ch": "datenrecht",
    "deleporte-wentz-avocat.com": "Deleporte",
    "deloitte.com": "Deloitte",
    "delsol-lawyers.com": "Delsol",
    "dpocentre.com": "DPO Centre",
    "edi-mag.fr": "edi-mag",
    "entwicklungsstadt.de": "Entwicklungsstadt",
    "firma-lex.com": "firma-lex",
    "freshfields.com": "Freshfields",
    "ganado.com": "Ganado",
    "generation-nt.com": "generation-nt",
    "globalpolicywatch.com": "Global Policy Watch",
    "hoganlovells.com": "Hogan Lovells",
    "ingenrieth-online.de": "Ingenrieth",
    "itforbusiness.fr": "IT for Business",
    "juriblio.fr": "juriblio",
    "kmstixx.com": "kmstixx",
    "lemondeinformatique.fr": "Le Monde Informatique",
    "linformaticien.com": "L'Informaticien",
    "lsti-certification.fr": "LSTI",
    "mondaq.com": "mondaq",
    "nosdeputes.fr": "NosDéputés",
    "peopleofinternet.com": "People of Internet",
    "pialab.io": "pialab",
    "proteuscyber.com": "Proteus",
    "taylorwessing.com": "Taylor Wessing",
    "vdocuments.us": "vdocuments",
    "wikipedia.org": "Wikipedia",
}

PACKS = {p.name: p for p in load_packs()}  # every bundled pack


def secondary_host(url: str) -> str | None:
    """The listed secondary host `url` is on (a subdomain counts), if any."""
    host = (urlsplit(url).hostname or "").lower()
    return next((h for h in SECONDARY_HOSTS if host == h or host.endswith(f".{h}")), None)


def verified_facts(kb: KnowledgeBase) -> Iterator[tuple[str, str]]:
    """(where, source) of every fact the knowledge base marks verified."""
    entries = [
        *kb.countries.values(),
        *kb.decisions,
        *kb.laws.values(),
        *kb.instruments.values(),
        *kb.region_blocks.values(),
    ]
    for p in kb.providers.values():
        entries += [p, *p.entities, *p.certifications]
    yield from ((str(e.span), e.source) for e in entries if e.verified)
    for name, block in kb.region_blocks.items():
        for region_id, region in block.regions.items():
            if (block.verified if region.verified is None else region.verified) is True:
                yield f"regions/{name}/{region_id}", region.source or block.source
            if region.operator is not None and region.operator.verified:
                yield f"regions/{name}/{region_id}/operator", region.operator.source


def test_no_verified_fact_rests_on_a_secondary_source(knowledge: KnowledgeBase) -> None:
    wrong = sorted(where for where, source in verified_facts(knowledge) if secondary_host(source))
    assert not wrong, f"verified: true with a secondary source (set it false, say why): {wrong}"


def secondary_references(pack: str) -> list[tuple[str, Reference]]:
    return [
        (rule.id, ref)
        for rule in PACKS[pack].rules
        for ref in rule.references
        if secondary_host(ref.url)
    ]


@pytest.mark.parametrize("pack", sorted(PACKS))
def test_a_reference_to_a_secondary_source_says_so(pack: str) -> None:
    unmarked = [
        f"{rule}: {ref.label}"
        for rule, ref in secondary_references(pack)
        if "secondary" not in ref.label.lower()
    ]
    assert not unmarked


@pytest.mark.parametrize("pack", sorted(PACKS))
def test_a_report_heading_linking_a_secondary_page_names_it(pack: str) -> None:
    """Grouped by instrument, the report heads a rule's findings with its first reference's
    instrument, linked to that reference's page: "Code de la santé publique" linking to a
    certifier's sales page passes the page off as the Code."""
    unnamed = [
        f"{rule}: {instrument(ref)!r} links {ref.url}"
        for rule, ref in secondary_references(pack)
        if SECONDARY_HOSTS[secondary_host(ref.url) or ""].lower() not in instrument(ref).lower()
    ]
    assert not unnamed


def test_a_law_cited_from_an_unchecked_page_says_whose_page_it_is() -> None:
    """The knowledge base marks the compelled-access laws unverified (a US Code mirror, a
    translation, an encyclopedia page): a finding citing one names the site it links and says
    the text was not checked, so a reader does not take Wikipedia's page for the law."""
    from residency_audit.pipeline import Options, run
    from tests.conftest import AS_OF, SAMPLES

    report = run(Options(paths=[SAMPLES / "doctolib-2021.yaml"], as_of=AS_OF))
    cited = {r.url: r.label for f in report.findings for r in f.references}
    cloud_act = cited["https://www.law.cornell.edu/uscode/text/18/2713"]
    assert "as published by law.cornell.edu (18 U.S.C." in cloud_act
    assert cloud_act.endswith("; not checked against the official text)")


def test_a_law_not_known_to_be_in_force_says_its_status_where_it_is_cited() -> None:
    """FISA 702 lapsed on 12 June 2026 per the knowledge base's secondary sources, collection
    going on under certifications (`status: uncertain`): a finding resting on it on such a day
    says so in its citation, where a lawyer reads it, with the day of the status; a law in
    force (the CLOUD Act) is cited as before."""
    from residency_audit.pipeline import Options, run
    from tests.conftest import SAMPLES

    report = run(Options(paths=[SAMPLES / "backup-outside-eea.yaml"], as_of=dt.date(2026, 11, 28)))
    cited = {r.url: r.label for f in report.findings for r in f.references}
    fisa = cited["https://www.law.cornell.edu/uscode/text/50/1881a"]
    assert "; status uncertain on 2026-10-01; not checked against the official text)" in fisa
    assert "status" not in cited["https://www.law.cornell.edu/uscode/text/18/2713"]

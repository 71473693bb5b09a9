"""The knowledge base is consistent, sourced and dated; a new AWS region is noticed."""

from __future__ import annotations

import datetime as dt

import pytest

from residency_audit.kb import KnowledgeBase

AWS_PARTITIONS = ("aws", "aws-eusc")


def test_every_aws_region_known_to_botocore_has_a_country(knowledge: KnowledgeBase) -> None:
    botocore_session = pytest.importorskip("botocore.session")
    loader = botocore_session.get_session().get_component("data_loader")
    endpoints = loader.load_data("endpoints")
    regions = {
        r for p in endpoints["partitions"] if p["partition"] in AWS_PARTITIONS for r in p["regions"]
    }
    missing = sorted(r for r in regions if knowledge.region("aws", r) is None)
    assert not missing, f"new AWS regions: add them to kb/data/regions.yaml: {missing}"


def test_every_country_code_used_is_a_known_country(knowledge: KnowledgeBase) -> None:
    used = {
        (f"regions/{p}/{r}", e.country)
        for p, b in knowledge.region_blocks.items()
        for r, e in b.regions.items()
    }
    used |= {(f"providers/{p.id}", p.parent.country) for p in knowledge.providers.values()}
    used |= {(f"laws/{law.id}", law.jurisdiction) for law in knowledge.laws.values()}
    used |= {(f"adequacy/{d.id}", d.country) for d in knowledge.decisions if d.country}
    unknown = sorted(where for where, code in used if knowledge.country(code) is None)
    assert not unknown


def test_every_fact_has_an_https_source(knowledge: KnowledgeBase) -> None:
    entries = [
        *knowledge.countries.values(),
        *knowledge.decisions,
        *knowledge.laws.values(),
        *knowledge.providers.values(),
        *knowledge.instruments.values(),
        *knowledge.region_blocks.values(),
    ]
    assert all(e.source.startswith("https://") or e.source.startswith("botocore") for e in entries)


@pytest.mark.parametrize(
    ("code", "day", "expected"),
    [
        ("FR", dt.date(2026, 1, 1), True),
        ("NO", dt.date(2026, 1, 1), True),
        ("GB", dt.date(2020, 12, 31), True),
        ("GB", dt.date(2021, 1, 1), False),
        ("HR", dt.date(2013, 7, 1), True),
        ("US", dt.date(2026, 1, 1), False),
        ("ZZ", dt.date(2026, 1, 1), None),
    ],
)
def test_eea_membership_is_dated(
    knowledge: KnowledgeBase, code: str, day: dt.date, expected: bool | None
) -> None:
    assert knowledge.in_eea(code, day) is expected


@pytest.mark.parametrize(
    ("day", "scopes"),
    [
        (dt.date(2020, 7, 15), {"privacy-shield-list"}),
        (dt.date(2020, 7, 16), set()),
        (dt.date(2023, 7, 9), set()),
        (dt.date(2023, 7, 10), {"dpf-list"}),
    ],
)
def test_us_adequacy_follows_schrems_ii_and_the_dpf(
    knowledge: KnowledgeBase, day: dt.date, scopes: set[str]
) -> None:
    assert {d.scope_id for d in knowledge.adequacy("US", day)} == scopes


@pytest.mark.parametrize(
    ("code", "day", "adequate"),
    [
        ("AD", dt.date(2010, 10, 18), False),  # 2010/625 adopted 19 Oct 2010, no date of
        ("AD", dt.date(2010, 10, 19), True),  # application recorded: never before adoption
        ("BR", dt.date(2026, 1, 25), False),
        ("BR", dt.date(2026, 1, 26), True),
        ("GB", dt.date(2021, 1, 1), True),  # TCA bridge: not a third country
        ("GB", dt.date(2021, 6, 27), True),
        ("GB", dt.date(2021, 6, 28), True),  # 2021/1772, general but for immigration control
        ("GB", dt.date(2025, 12, 27), True),
        ("GB", dt.date(2025, 12, 28), True),  # the 2025 renewal
    ],
)
def test_adequacy_holds_from_its_start_and_for_its_whole_scope(
    knowledge: KnowledgeBase, code: str, day: dt.date, adequate: bool
) -> None:
    assert knowledge.generally_adequate(code, day) is adequate


def test_us_parented_providers_are_reachable_by_the_cloud_act(knowledge: KnowledgeBase) -> None:
    laws = {law.id for law in knowledge.compelled_access_laws("US", dt.date(2026, 11, 28))}
    assert {"us-cloud-act", "us-fisa-702"} <= laws
    assert knowledge.compelled_access_laws("US", dt.date(2017, 1, 1)) != ()  # FISA 702 (2008)
    # Section 702 was enacted by the FISA Amendments Act of 2008 on 10 July 2008: an audit as
    # of an earlier day must not presume it reached the provider
    assert [law.id for law in knowledge.surveillance_laws("US", dt.date(2008, 7, 9))] == [
        "us-eo-12333"
    ]
    assert "us-fisa-702" in {
        law.id for law in knowledge.compelled_access_laws("US", dt.date(2008, 7, 10))
    }
    assert "us-cloud-act" not in {
        law.id for law in knowledge.compelled_access_laws("US", dt.date(2018, 3, 22))
    }


def test_region_lookup_suggests_the_nearest(knowledge: KnowledgeBase) -> None:
    assert knowledge.region("aws", "eu-west-3").country == "FR"  # type: ignore[union-attr]
    assert knowledge.region("aws", "eu-west-9") is None
    assert "eu-west-" in knowledge.suggest("region", "eu-west-9", "aws")


def test_remembered_answers_stay_bounded_and_right_for_hostile_codes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from residency_audit import kb as kb_module

    knowledge = kb_module.default()
    monkeypatch.setattr(kb_module, "MEMO_LIMIT", 50)
    on = dt.date(2026, 11, 28)
    codes = ("FR", "JP", "CH", "US", "GB", "IN")

    def answers() -> list[object]:
        return [(knowledge.in_eea(c, on), knowledge.adequacy(c, on)) for c in codes]

    before = answers()
    assert before[0][0] is True  # France is in the EEA
    for i in range(500):  # a batch naming hundreds of made-up countries
        assert knowledge.adequacy(f"Q{i}", on) == ()
        assert len(knowledge._memo) <= 50
    assert answers() == before


@pytest.mark.parametrize(
    ("provider", "region", "name"),
    [
        ("aws", "cn-north-1", "Beijing Sinnet Technology Co., Ltd."),
        ("aws", "cn-northwest-1", "Ningxia Western Cloud Data Technology Co., Ltd."),
        ("aws", "eusc-de-east-1", None),  # the ESC's operating entity's name is unconfirmed
        ("azure", "chinanorth", "21Vianet"),
        ("ovhcloud", "us-east-va", None),
    ],
)
def test_a_region_operated_by_another_entity_says_which_where_a_source_names_it(
    knowledge: KnowledgeBase, provider: str, region: str, name: str | None
) -> None:
    found = knowledge.region(provider, region)
    assert found is not None and found.operator is not None
    assert found.operator.name == name
    assert found.operator.source.startswith("https://")


def test_a_provider_s_own_region_has_no_separate_operator(knowledge: KnowledgeBase) -> None:
    found = knowledge.region("aws", "eu-west-3")
    assert found is not None and found.operator is None

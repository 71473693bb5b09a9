"""Attribution by name suffix and published IP range, with source, confidence and location."""

from __future__ import annotations

import pytest

from residency_audit import kb
from residency_audit.attribution import INDETERMINATE, Attributor, Confidence, Method


@pytest.fixture(scope="module")
def attributor() -> Attributor:
    return Attributor(kb.default())


def test_cloudfront_name_is_aws_at_an_indeterminate_edge(attributor: Attributor) -> None:
    a = attributor.name("d111.cloudfront.net.")
    assert a is not None
    assert (a.provider, a.method, a.evidence) == ("aws", Method.DNS_SUFFIX, "suffix cloudfront.net")
    assert a.source.startswith("kb:providers.yaml#aws") and a.url.startswith("https://")
    assert a.edge and a.location == INDETERMINATE
    assert a.parent == "Amazon.com, Inc." and a.parent_country == "US"


def test_the_longest_suffix_wins(attributor: Attributor) -> None:
    workspace = attributor.name("aspmx.l.google.com")
    microsoft = attributor.name("clinic-test.mail.protection.outlook.com")
    assert workspace is not None and workspace.provider == "google-workspace"
    assert microsoft is not None and microsoft.provider == "azure"


def test_a_suffix_must_match_whole_labels(attributor: Attributor) -> None:
    assert attributor.name("notcloudfront.net") is None
    assert attributor.name("cloudfront.net.example.org") is None


def test_region_range_gives_the_region_country(attributor: Attributor) -> None:
    a = attributor.address("15.236.0.10")
    assert a is not None
    assert (a.provider, a.method, a.region, a.location) == (
        "aws",
        Method.IP_RANGE,
        "eu-west-3",
        "FR",
    )
    assert "15.236.0.0/15 EC2 eu-west-3" in a.evidence
    assert a.source == "kb:ip-ranges/aws.json"
    assert a.url == "https://ip-ranges.amazonaws.com/ip-ranges.json"
    assert a.confidence is Confidence.HIGH and not a.edge


def test_cdn_and_anycast_ranges_are_never_given_a_country(attributor: Attributor) -> None:
    cloudfront = attributor.address("108.138.0.10")
    cloudflare = attributor.address("104.16.1.1")
    assert cloudfront is not None and cloudfront.edge and cloudfront.location == INDETERMINATE
    assert cloudflare is not None and cloudflare.provider == "cloudflare"
    assert cloudflare.edge and cloudflare.location == INDETERMINATE


def test_a_catch_all_range_only_gives_medium_confidence(attributor: Attributor) -> None:
    a = attributor.address("104.153.114.1")  # in AWS's AMAZON list only
    assert a is not None and a.confidence is Confidence.MEDIUM and a.location == "DE"


def test_unknown_names_and_addresses_are_not_attributed(attributor: Attributor) -> None:
    assert attributor.name("mail.example-health.test") is None
    assert attributor.address("192.0.2.25") is None
    assert attributor.address("not-an-address") is None

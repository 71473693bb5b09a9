"""A refused listing of every region is a gap of every region: its finding says so, and it
hides the declared components of its service wherever they are declared.

`discover aws` lists the account's S3 buckets with one ListBuckets call from its home region,
and its CloudFront distributions (global) with one ListDistributions call to us-east-1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.collectors.test_aws_access import denied, discover_as
from tests.support.moto_server import aws, moto_endpoint
from tests.test_declared_not_observed import (
    BUCKET,
    DECLARED,
    TODAY,
    check,
    observed_text,
    rule,
    write,
)

__all__ = ["aws", "moto_endpoint"]  # fixtures

CDN = """\
  - id: web
    kind: cdn
    provider: aws
    operator: aws-emea
    service: cloudfront
"""


def test_refused_listings_are_gaps_of_every_region_and_hide_what_they_list(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """QA: with ListBuckets and ListDistributions refused (moto enforcing IAM), DRIFT-OBS-01
    said "s3 ListBuckets in eu-west-3", as if only that region's buckets were unread, and
    DRIFT-RES-02 said the declared CloudFront component was "not found ... the observation
    read cloudfront in eu-west-3": nothing was read. Both gaps are of every region, and the
    distribution is OBS-01's gap, not missing."""
    seen = tmp_path / "observed.yaml"
    denials = ("s3:ListAllMyBuckets", "cloudfront:ListDistributions")
    with denied(aws, "nolistings", *denials) as env:
        assert discover_as(env, seen).returncode == 0
    decl = write(tmp_path, "declared.yaml", DECLARED.replace("{region}", "eu-west-3") + CDN)
    report = check(runner, str(decl), "--observed", str(seen), as_of=TODAY)  # discovered now
    gaps = {f["message"].split(":")[1] for f in rule(report, "DRIFT-OBS-01")}
    assert " s3 ListBuckets in every region (one call lists them all, sent to eu-west-3)" in gaps
    assert (
        " cloudfront ListDistributions in every region (one call lists them all, sent to us-east-1)"
    ) in gaps
    assert not [g for g in gaps if "ListBuckets in eu-west-3" in g]
    res02 = {f["component"]: f for f in rule(report, "DRIFT-RES-02")}
    assert "web" not in res02, res02["web"]["message"]
    assert "documents" not in res02
    partial = [line for line in report["partial"] if "ListBuckets" in line]
    assert partial == [
        f"{seen}: s3 ListBuckets in every region (one call lists them all, sent to eu-west-3) "
        "not observed: access denied (AccessDenied) (needs s3:ListAllMyBuckets)"
    ]


@pytest.mark.parametrize("call", ["ListBuckets", "listBuckets", "LISTBUCKETS"])
def test_a_listing_gap_with_no_region_is_not_an_unknown_region(
    call: str, tmp_path: Path, runner: CliRunner
) -> None:
    """QA: a refused ListBuckets recorded without a region (a file written by hand or by an
    older version) read "s3 ListBuckets in an unknown region", the wording of a call meant for
    one bucket whose region could not be read: it is the listing of every region."""
    gap = (
        "  not_observed:\n"
        f"    - {{service: s3, call: {call}, reason: access denied (AccessDenied), "
        "permission: s3:ListAllMyBuckets}\n"
    )
    seen = write(
        tmp_path, "observed.yaml", observed_text(database=True, gaps=gap).replace(BUCKET, "")
    )
    decl = write(tmp_path, "declared.yaml", DECLARED.replace("{region}", "eu-west-3"))
    report = check(runner, str(decl), "--observed", str(seen))
    [finding] = rule(report, "DRIFT-OBS-01")
    assert finding["message"] == (
        f"not observed: s3 {call} in every region (one call lists them all): access denied "
        "(AccessDenied); missing permission: s3:ListAllMyBuckets"
    )  # QA: spelled otherwise (by hand), it was one region's gap, and the bucket "not found"
    assert "documents" not in [f["component"] for f in rule(report, "DRIFT-RES-02")]

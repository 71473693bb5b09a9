"""A CloudFront component declared with a `region`: CloudFront is a global service (a
distribution's ARN has no region, `arn:aws:cloudfront::<account>:distribution/<id>`, and
edges of its price class serve it), so the region says nothing of where it serves from. It
never matched the observed distribution (declared-not-observed drift), and the rest of the
audit took the CDN as sitting in that region's country. It is an input error at its line;
declared without one, the component matches its distribution.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.collectors.test_aws_discovery import line_after
from tests.conftest import AS_OF
from tests.test_declared_not_observed import DECLARED, check, observed_text, rule, write

CDN = """\
  - id: web
    kind: cdn
    provider: aws
    operator: aws-emea
    service: cloudfront
"""

DISTRIBUTION = "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"


def observed(tmp_path: Path) -> Path:
    """The account holding the bucket and a distribution, as `discover aws` writes it (no
    region; read by ListDistributions sent to us-east-1)."""
    text = observed_text().replace(
        "observation:\n",
        "  - id: cloudfront-EDFDVBD6EXAMPLE\n"
        "    kind: cdn\n"
        "    provider: aws\n"
        "    service: cloudfront\n"
        f'    resources: ["{DISTRIBUTION}"]\n'
        "    evidence: {service: cloudfront, call: ListDistributions, observed_at: "
        f'"2026-11-20T10:00:00Z", region: us-east-1, resource: "{DISTRIBUTION}"}}\n'
        "observation:\n",
    )
    return write(tmp_path, "observed.yaml", text)


def test_a_cloudfront_component_with_a_region_is_an_input_error_at_its_line(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: declared `region: eu-west-3`, the distribution never matched: DRIFT-RES-02 said it
    was not found, and DRIFT-RES-01 could not tell whether the observed one was declared."""
    decl = write(tmp_path, "declared.yaml", DECLARED.replace("{region}", "eu-west-3") + CDN)
    decl.write_text(decl.read_text() + "    region: eu-west-3\n")
    line = line_after(decl, "id: web", "region:")
    for args in ([str(decl)], [str(decl), "--observed", str(observed(tmp_path))]):
        result = runner.invoke(app, ["check", *args, "--as-of", str(AS_OF)])
        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines()[0] == (
            f"{decl}:{line}:13: error: components[2].region: cloudfront is a global service: "
            "a distribution has no region (its ARN has none) and is served from the edge "
            "locations of its price class, so eu-west-3 says nothing of where it serves "
            "from; remove `region` (a distribution then matches the component by its id or "
            "ARN in `resources`, or as the account's CloudFront, and where it serves from "
            "cannot be verified)"
        )


def test_a_cloudfront_component_with_a_country_is_an_input_error_at_its_line(
    tmp_path: Path, runner: CliRunner
) -> None:
    """`country: FR` would have every rule take the CDN to serve from France (HDS-LOC-01,
    GDPR-XFER-01 passed), whatever edges its price class uses."""
    decl = write(tmp_path, "declared.yaml", DECLARED.replace("{region}", "eu-west-3") + CDN)
    decl.write_text(decl.read_text() + "    country: FR\n")
    line = line_after(decl, "id: web", "country:")
    result = runner.invoke(app, ["check", str(decl), "--as-of", str(AS_OF)])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[0].startswith(
        f"{decl}:{line}:14: error: components[2].country: cloudfront is a global service: "
    )
    assert "so FR says nothing of where it serves from; remove `country`" in result.stderr


def test_a_cloudfront_component_without_a_region_matches_its_distribution(
    tmp_path: Path, runner: CliRunner
) -> None:
    decl = write(tmp_path, "declared.yaml", DECLARED.replace("{region}", "eu-west-3") + CDN)
    report = check(runner, str(decl), "--observed", str(observed(tmp_path)))
    assert not [f for f in rule(report, "DRIFT-RES-02") if f["component"] == "web"]
    assert not [f for f in rule(report, "DRIFT-RES-01") if f["component"] == "web"]
    # where its edges serve is not declared: unknown, never a pass
    places = [f for f in rule(report, "DRIFT-LOC-01") if f["component"] == "web"]
    assert places and all(f["unverifiable"] for f in places)


def test_a_cloudfront_component_listing_its_distribution_matches_it(
    tmp_path: Path, runner: CliRunner
) -> None:
    listed = CDN + "    resources: [EDFDVBD6EXAMPLE]\n"
    decl = write(tmp_path, "declared.yaml", DECLARED.replace("{region}", "eu-west-3") + listed)
    report = check(runner, str(decl), "--observed", str(observed(tmp_path)))
    assert not [f for f in rule(report, "DRIFT-RES-02") if f["component"] == "web"]
    assert not [f for f in rule(report, "DRIFT-RES-01") if f["component"] == "web"]

"""Partial access is never a pass: a refused call, shown with moto's own IAM enforcement.

moto checks IAM policies once `/moto-api/reset-auth` sets the number of unauthenticated calls
to 0; the discovery then runs as an IAM user whose policy denies rds:DescribeDBInstances, so RDS
answers AccessDenied over HTTP like AWS would (no Stubber involved).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.clock import utc_today
from residency_audit.format import load_deployment
from tests.conftest import AS_OF, ROOT, SAMPLES
from tests.support.moto_server import aws, create_postgres, moto_endpoint, post


@contextmanager
def denied(aws: str, name: str, *actions: str) -> Iterator[dict[str, str]]:
    """The environment of a user allowed everything but `actions`, with moto enforcing IAM for
    as long as the block runs."""
    iam = boto3.session.Session().client("iam", region_name="us-east-1")
    # Allow everything but deny some calls: moto's action names for some S3 and Backup calls
    # differ from AWS's (s3:GetEncryptionConfiguration...), so the shipped policy itself is
    # checked against the documentation in test_iam_policy.py, not here.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": list(actions), "Resource": "*"},
        ],
    }
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    post(aws, "/moto-api/reset-auth", b"0")
    try:
        yield {
            **{k: v for k, v in os.environ.items() if k != "AWS_SESSION_TOKEN"},
            "PYTHONPATH": str(ROOT),
            "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
        }
    finally:
        post(aws, "/moto-api/reset-auth", b"inf")


def discover_as(env: dict[str, str], out: Path) -> subprocess.CompletedProcess[str]:
    """`discover aws` of eu-west-3, one attempt per call, as the user of `env`."""
    args = ["discover", "aws", "--region", "eu-west-3", "--max-attempts", "1", "-o", str(out)]
    return subprocess.run(
        [sys.executable, "-m", "residency_audit", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def restricted(aws: str) -> Iterator[dict[str, str]]:
    """Credentials of a user allowed everything `discover aws` needs except RDS instances."""
    boto3.session.Session().client("s3", region_name="eu-west-3").create_bucket(
        Bucket="patients-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    with denied(aws, "auditor", "rds:DescribeDBInstances") as env:
        yield env


def test_denied_call_makes_a_partial_audit_that_fails(
    restricted: dict[str, str], tmp_path: Path, runner: CliRunner
) -> None:
    out = tmp_path / "observed.yaml"
    result = discover_as(restricted, out)
    assert result.returncode == 0, result.stderr
    assert "rds:DescribeDBInstances" in result.stderr
    observed, _ = load_deployment(out)
    assert [c.id for c in observed.components] == ["s3-patients-eu"]
    assert observed.observation is not None
    gaps = {(g.service, g.call, g.permission) for g in observed.observation.not_observed}
    assert ("rds", "DescribeDBInstances", "rds:DescribeDBInstances") in gaps
    # NOTE: with authorization on, moto 5.2 also refuses Backup and CloudFront calls whatever
    # the policy; only the RDS gap is the point here.
    rds = next(g for g in observed.observation.not_observed if g.service == "rds")
    assert rds.reason == "access denied (AccessDenied)"
    assert rds.region == "eu-west-3"

    args = ["check", str(out), "--as-of", str(utc_today()), "--format", "json"]
    for fail_on in ("high", "critical"):
        checked = runner.invoke(app, [*args, "--fail-on", fail_on])
        report = json.loads(checked.stdout)
        assert report["complete"] is False
        assert any("rds DescribeDBInstances" in reason for reason in report["partial"])
        assert checked.exit_code == 1  # partial: never a pass, whatever the threshold
    gap = next(
        f
        for f in report["findings"]
        if f["rule_id"] == "DRIFT-OBS-01" and "DescribeDBInstances" in f["message"]
    )
    assert "rds:DescribeDBInstances" in gap["message"]
    assert gap["location"]["path"] == str(out)

    text = runner.invoke(
        app,
        [
            "check",
            str(SAMPLES / "aws-declared.yaml"),
            "--observed",
            str(out),
            "--as-of",
            str(utc_today()),  # observed today
        ],
    )
    assert text.stdout.startswith("residency-audit")
    assert "PARTIAL AUDIT" in text.stdout
    assert "FAIL" in text.stdout


def test_a_refused_later_call_keeps_what_was_read_before_it(aws: str, tmp_path: Path) -> None:
    """DescribeDBClusters refused after DescribeDBInstances, ListAliases after ListKeys: the
    instances and keys already read stay in the file, and each refusal is its own gap."""
    session = boto3.session.Session()
    kms = session.client("kms", region_name="eu-west-3")
    key = kms.create_key(Description="records")["KeyMetadata"]
    kms.create_alias(AliasName="alias/records", TargetKeyId=key["KeyId"])
    create_postgres(session, "records")
    out = tmp_path / "observed.yaml"
    with denied(aws, "partial", "rds:DescribeDBClusters", "kms:ListAliases") as env:
        result = discover_as(env, out)
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    assert "rds-records" in {c.id for c in observed.components}
    assert observed.key(key["KeyId"]) is not None
    assert observed.observation is not None
    gaps = {(g.call, g.permission) for g in observed.observation.not_observed}
    assert ("DescribeDBClusters", "rds:DescribeDBClusters") in gaps
    assert ("ListAliases", "kms:ListAliases") in gaps
    assert ("DescribeKey", "kms:DescribeKey") not in gaps


def test_a_refused_bucket_location_keeps_every_bucket_named_and_unverified(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """s3:GetBucketLocation refused: each bucket stays in the file without a region, each gap
    names the call and the bucket, and drift says "cannot be verified" for the declared one
    instead of showing nothing."""
    s3 = boto3.session.Session().client("s3", region_name="eu-west-3")
    for name in ("patients-eu", "scans-eu"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    out = tmp_path / "observed.yaml"
    with denied(aws, "nolocation", "s3:GetBucketLocation") as env:
        result = discover_as(env, out)
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    buckets = {c.id: c.region for c in observed.components if c.service == "s3"}
    assert buckets == {"s3-patients-eu": None, "s3-scans-eu": None}
    assert observed.observation is not None
    located = sorted(
        g.reason for g in observed.observation.not_observed if g.call == "GetBucketLocation"
    )
    assert located == [
        "access denied (AccessDenied) for arn:aws:s3:::patients-eu",
        "access denied (AccessDenied) for arn:aws:s3:::scans-eu",
    ]
    unread = {
        (g.call, g.reason)
        for g in observed.observation.not_observed
        if g.service == "s3" and g.call != "GetBucketLocation"
    }
    assert (
        "GetBucketReplication",
        "region unknown (s3 GetBucketLocation not read), so not called for arn:aws:s3:::scans-eu",
    ) in unread

    args = ["--observed", str(out), "--as-of", str(utc_today()), "--format", "json"]
    report = json.loads(
        runner.invoke(app, ["check", str(SAMPLES / "aws-declared.yaml"), *args]).stdout
    )
    documents = [
        f
        for f in report["findings"]
        if f["rule_id"] == "DRIFT-LOC-01" and f["component"] == "documents"
    ]
    assert documents and all(f["unverifiable"] for f in documents)
    assert any(
        f["rule_id"] == "DRIFT-RES-01" and "arn:aws:s3:::scans-eu" in f["message"]
        for f in report["findings"]
    )
    gaps = [f["message"] for f in report["findings"] if f["rule_id"] == "DRIFT-OBS-01"]
    assert any("GetBucketLocation" in m and "arn:aws:s3:::patients-eu" in m for m in gaps)

    # Declared as "our S3 buckets in eu-west-3" (no `resources`): whether that declaration
    # stands for a bucket turns on the region nobody read, so neither is "not declared".
    text = (SAMPLES / "aws-declared.yaml").read_text()
    loose = tmp_path / "loose.yaml"
    loose.write_text(text.replace("    resources: [patients-eu]", "", 1))
    report = json.loads(runner.invoke(app, ["check", str(loose), *args]).stdout)
    undeclared = [f for f in report["findings"] if f["rule_id"] == "DRIFT-RES-01"]
    about = {f["component"]: f["unverifiable"] for f in undeclared if "s3" in f["component"]}
    assert about == {"s3-patients-eu": True, "s3-scans-eu": True}


def test_a_refused_listing_of_every_region_is_not_printed_as_one_region_s_gap(
    aws: str, tmp_path: Path
) -> None:
    """`discover` printed a refused S3 ListBuckets as "s3 ListBuckets in eu-west-3", as if
    only that region's buckets were unread: one call lists the buckets of every region."""
    with denied(aws, "no-listing", "s3:ListAllMyBuckets") as env:
        result = discover_as(env, tmp_path / "observed.yaml")
    assert result.returncode == 0, result.stderr
    assert "not observed: s3 ListBuckets in every region (one call lists them all" in (
        result.stderr
    ), result.stderr
    assert "s3 ListBuckets in eu-west-3" not in result.stderr

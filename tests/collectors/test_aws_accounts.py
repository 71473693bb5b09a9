"""`--all-accounts --role-name` and `--shard` against moto's Organizations and STS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3

from residency_audit.format import load_deployment
from tests.conftest import ROOT
from tests.support.moto_server import ACCOUNT, aws, moto_endpoint

ROLE = "residency-audit-reader"


def make_organization() -> list[str]:
    """Two member accounts, each with a bucket named after it; returns every account id."""
    session = boto3.session.Session()
    org = session.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    members = []
    for name in ("clinic-a", "clinic-b"):
        status = org.create_account(AccountName=name, Email=f"{name}@example.org")
        members.append(status["CreateAccountStatus"]["AccountId"])
    sts = session.client("sts", region_name="us-east-1")
    for account in members:
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="setup"
        )["Credentials"]
        boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        ).client("s3", region_name="eu-west-3").create_bucket(
            Bucket=f"records-{account}",
            CreateBucketConfiguration={"LocationConstraint": "eu-west-3"},
        )
    return sorted([ACCOUNT, *members])


def discover(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "residency_audit",
            "discover",
            "aws",
            "--all-accounts",
            "--role-name",
            ROLE,
            "--region",
            "eu-west-3",
            "--max-attempts",
            "1",
            "-o",
            str(out),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_one_observed_deployment_per_account(aws: str, tmp_path: Path) -> None:
    accounts = make_organization()
    result = discover(tmp_path / "org")
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "org").iterdir())
    assert files == [f"{a}.yaml" for a in accounts]
    for account in accounts:
        observed, _ = load_deployment(tmp_path / "org" / f"{account}.yaml")
        assert observed.observation is not None
        assert observed.observation.account == account
        buckets = [c.id for c in observed.components if c.service == "s3"]
        assert buckets == ([] if account == ACCOUNT else [f"s3-records-{account}"])


def test_shards_split_the_accounts(aws: str, tmp_path: Path) -> None:
    accounts = make_organization()
    seen: list[str] = []
    for shard in ("1/2", "2/2"):
        out = tmp_path / shard.replace("/", "-")
        assert discover(out, "--shard", shard).returncode == 0
        seen += [p.stem for p in out.iterdir()]
    assert sorted(seen) == accounts

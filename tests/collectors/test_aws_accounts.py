"""`--all-accounts --role-name` and `--shard` against moto's Organizations and STS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from residency_audit.format import load_deployment
from tests.conftest import ROOT
from tests.support.faulty_proxy import faulty_proxy
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


def discover(
    out: Path, *extra: str, endpoint: str | None = None
) -> subprocess.CompletedProcess[str]:
    routed = {"AWS_ENDPOINT_URL": endpoint} if endpoint else {}
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
        env={**os.environ, "PYTHONPATH": str(ROOT), **routed},
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


@pytest.mark.parametrize("reply", ["html", "emptyjson"])
def test_an_unreadable_account_list_stops_the_run_instead_of_reading_no_account(
    aws: str, tmp_path: Path, reply: str
) -> None:
    """An HTML page (a proxy's login) or `{}` for ListAccounts is no organization without
    accounts: `discover` exits 2 naming what it could not read, writing nothing (it exited 3,
    an internal error, before; a reply parsed without its list read as no account)."""
    make_organization()
    with faulty_proxy(aws, {"organizations": reply}) as proxy:
        result = discover(tmp_path / "org", endpoint=proxy)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "aws: cannot list the organization's accounts: " in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "org").exists() or not list((tmp_path / "org").iterdir())

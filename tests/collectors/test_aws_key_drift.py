"""What `discover aws` read of a store's encryption, compared with the declaration: a key read
as absent is drift, an unread one "cannot be verified", and every gap says why it is one.
Against moto's server over HTTP (IAM deny policies provoke the refusals).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.clock import utc_today
from residency_audit.format import load_deployment
from tests.collectors.test_aws_access import denied, discover_as
from tests.collectors.test_aws_copy_keys import observed_table
from tests.collectors.test_aws_discovery import discover, line_after
from tests.collectors.test_aws_stubbed import session, stubbed
from tests.conftest import SAMPLES
from tests.support.moto_server import ACCOUNT, aws, create_postgres, moto_endpoint

__all__ = ["aws", "moto_endpoint", "session", "stubbed"]  # fixtures

DECLARED = SAMPLES / "aws-declared.yaml"
BUCKET = "arn:aws:s3:::patients-eu"


def findings(runner: CliRunner, *args: str) -> list[dict[str, Any]]:
    # today in UTC, read at the call: after the discovery, even when the run crosses midnight
    result = runner.invoke(app, ["check", *args, "--as-of", str(utc_today()), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return found


def eu_bucket(name: str = "patients-eu") -> Any:
    s3 = boto3.session.Session().client("s3", region_name="eu-west-3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    return s3


def unread_bucket_key(aws: str, out: Path) -> None:
    """An observation of patients-eu whose GetBucketEncryption was refused."""
    eu_bucket()
    # NOTE: moto 5.2 checks GetBucketEncryption against the IAM action s3:ListBucket.
    with denied(aws, "noencryption", "s3:ListBucket") as env:
        assert discover_as(env, out).returncode == 0


def test_an_unencrypted_store_declared_on_an_external_key_is_key_drift(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """RDS says StorageEncrypted=False for the instance the declaration puts on an external
    key store: the largest drift of all (AWS reads it in clear), which said nothing."""
    create_postgres(boto3.session.Session(), "records")
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    key = [
        (f["unverifiable"], f["component"], f["message"], f["location"]["line"])
        for f in findings(runner, str(DECLARED), "--observed", str(out))
        if f["rule_id"] == "DRIFT-KEY-01"
    ]
    assert key == [
        (
            False,
            "records-db",
            "records-db: key declared external-key-store, observed none "
            f"(arn:aws:rds:eu-west-3:{ACCOUNT}:db:records)",
            line_after(DECLARED, "id: xks-key", "management:"),
        )
    ]


def test_an_unread_key_of_a_component_declared_without_one_cannot_be_verified(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """The bucket's encryption was not read and the declaration gives `documents` no key:
    whether the bucket's key is one the declaration accounts for, and where it is, cannot be
    verified (nothing was said)."""
    out = tmp_path / "observed.yaml"
    unread_bucket_key(aws, out)
    text = DECLARED.read_text()
    start = text.index("  - id: documents")
    end = text.index("  - id: records-db")
    keyless = tmp_path / "declared.yaml"
    keyless.write_text(
        text[:start] + text[start:end].replace("    key: xks-key\n", "") + text[end:]
    )
    about = {
        f["rule_id"]: (f["unverifiable"], f["message"].split(":")[0])
        for f in findings(runner, str(keyless), "--observed", str(out))
        if f["component"] == "documents" and f["rule_id"].startswith("DRIFT-")
    }
    assert about == {
        "DRIFT-RES-01": (True, "cannot be verified for unread key of s3-patients-eu"),
        "DRIFT-LOC-01": (True, "cannot be verified for unread key of s3-patients-eu"),
    }


def test_an_unread_bucket_key_is_stated_unknown_without_garbling_the_message(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """`check observed.yaml`: the key-custody clauses of an unread key have nothing to add,
    and must not print "unknown" three times after the parenthesis."""
    out = tmp_path / "observed.yaml"
    unread_bucket_key(aws, out)
    [expo] = [
        f
        for f in findings(runner, str(out))
        if f["rule_id"] == "JUR-EXPO-01" and f["component"] == "s3-patients-eu"
    ]
    assert expo["unverifiable"] is True
    assert expo["message"].endswith(
        "Required: data not reachable in clear by a provider subject to foreign "
        "compelled-access laws (provider's parent in US; encryption: unknown; keys: unknown; "
        "clear-text processing: unknown; personal-data logs on its systems: no)"
    )


def test_a_key_whose_description_was_refused_says_so(aws: str, tmp_path: Path) -> None:
    """kms:DescribeKey refused: the bucket's key is unknown because of that refusal, whose
    permission the gap names; it was queried, so it is not "not queried ... another
    account"."""
    session = boto3.session.Session()
    key = session.client("kms", region_name="eu-west-3").create_key()["KeyMetadata"]
    eu_bucket().put_bucket_encryption(
        Bucket="patients-eu",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key["Arn"],
                    }
                }
            ]
        },
    )
    out = tmp_path / "observed.yaml"
    with denied(aws, "nodescribe", "kms:DescribeKey") as env:
        assert discover_as(env, out).returncode == 0
    observed, _ = load_deployment(out)
    assert observed.observation is not None
    [gap] = [g for g in observed.observation.not_observed if g.reason.endswith(BUCKET)]
    assert (gap.call, gap.permission) == ("DescribeKey", "kms:DescribeKey")
    assert gap.reason.startswith(f"access denied: key {key['Arn']} was not read (kms DescribeKey")


def test_a_gap_of_a_bucket_whose_region_is_unknown_is_not_global(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    eu_bucket()
    out = tmp_path / "observed.yaml"
    with denied(aws, "nolocation", "s3:GetBucketLocation") as env:
        assert discover_as(env, out).returncode == 0
    gaps = {f["message"] for f in findings(runner, str(out)) if f["rule_id"] == "DRIFT-OBS-01"}
    assert (
        "not observed: s3 GetBucketEncryption in an unknown region: region unknown (s3 "
        f"GetBucketLocation not read), so not called for {BUCKET}"
    ) in gaps
    assert not [m for m in gaps if "global" in m]


def test_an_unread_key_in_a_file_written_before_gaps_named_their_cause_stays_unknown(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """Earlier versions wrote "not called for <ARN>: it is in us-east-1, ...": the bucket's
    encryption is as unread as in today's wording, never "keys: none"."""
    boto3.session.Session().client("s3", region_name="us-east-1").create_bucket(Bucket="archive")
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    text = out.read_text()
    new = (
        "not queried: in us-east-1, a region not given to --region, so not called for "
        "arn:aws:s3:::archive"
    )
    old = "not called for arn:aws:s3:::archive: it is in us-east-1, a region not given to --region"
    assert text.count(new) == 2
    out.write_text(text.replace(new, old))
    [expo] = [
        f
        for f in findings(runner, str(out))
        if f["rule_id"] == "JUR-EXPO-01" and f["component"] == "s3-archive"
    ]
    assert expo["unverifiable"] is True
    assert "keys: none" not in expo["message"]


def test_late_evidence_is_reported_at_its_first_line_in_the_file(
    session: Any, stubbed: Any, tmp_path: Path, runner: CliRunner
) -> None:
    """A table and its replica, both read after the as-of day: the error points at the
    replica's evidence, written first, not at the table's further down."""
    path = observed_table(session, stubbed, tmp_path / "observed.yaml", {"RegionName": "us-east-1"})
    day = utc_today()  # of every evidence read now; 23:59:59 at UTC-1 is the next day in UTC
    lines = path.read_text().splitlines()
    at = [i for i, t in enumerate(lines) if "observed_at:" in t][:2]  # the replica's, the table's
    for i in at:
        lines[i] = lines[i].split("observed_at:")[0] + f"observed_at: '{day}T23:59:59-01:00'"
    path.write_text("\n".join(lines) + "\n")
    column = lines[at[0]].index("'") + 1
    result = runner.invoke(app, ["check", str(path), "--as-of", str(day)])
    assert result.exit_code == 2, result.output
    assert (
        f"{path}:{at[0] + 1}:{column}: error: this evidence was observed on "
        f"{day + dt.timedelta(days=1)}, after the as-of date {day} (1 more after it)"
    ) in result.stderr


def test_an_observation_time_without_a_zone_is_refused(
    session: Any, stubbed: Any, tmp_path: Path, runner: CliRunner
) -> None:
    """2026-11-28T23:30:00 is the 28th in UTC and the 29th east of it: which day the account
    was seen is unknown."""
    path = observed_table(session, stubbed, tmp_path / "observed.yaml", {"RegionName": "us-east-1"})
    text = path.read_text()
    stamp = "started_at: '2026-11-28T00:00:00Z'"
    assert stamp in text
    path.write_text(text.replace(stamp, "started_at: '2026-11-28T23:30:00'"))
    line = line_after(path, "observation:", "started_at:")
    result = runner.invoke(app, ["check", str(path), "--as-of", str(utc_today())])
    assert result.exit_code == 2, result.output
    assert (
        f"{path}:{line}:15: error: started_at '2026-11-28T23:30:00' has no time zone (Z for "
        "UTC, or an offset such as +01:00)"
    ) in result.stderr

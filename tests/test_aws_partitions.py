"""AWS partitions: a name is unique only within one (a bucket `patients-eu` in aws-cn is not the
bucket `patients-eu` in aws), so a resource of another partition than the declared component's
never stands for it; and an ARN contradicting a partition (its own region's, its component's
region's, the observed one's) is an input error at its line, exit 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.partitions import partition_of_arn, partition_of_region
from tests.collectors.test_aws_discovery import line_after
from tests.conftest import AS_OF
from tests.test_declared_not_observed import (
    BUCKET,
    DECLARED,
    check,
    declared,
    listing,
    observed_text,
    rule,
    write,
)


def china(account: str = "123456789012") -> str:
    """An observation of the aws-cn partition holding a bucket `patients-eu` in cn-north-1."""
    return (
        observed_text(account)
        .replace("region: eu-west-3", "region: cn-north-1")
        .replace("arn:aws:s3:::patients-eu", "arn:aws-cn:s3:::patients-eu")
        .replace("partition: aws\n", "partition: aws-cn\n")
        .replace("regions: [eu-west-3]", "regions: [cn-north-1, cn-northwest-1]")
    )


def errors(runner: CliRunner, *args: str) -> list[str]:
    result = runner.invoke(app, ["check", *args, "--as-of", str(AS_OF)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return [line for line in result.stderr.splitlines() if ": error: " in line]


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("eu-west-3", "aws"),
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-isob-east-1", "aws-iso-b"),
        ("eusc-de-east-1", "aws-eusc"),
        ("moon-1", None),
    ],
)
def test_the_partition_of_a_region_is_botocores(region: str, partition: str | None) -> None:
    assert partition_of_region(region) == partition


def test_the_partition_of_an_arn_is_its_second_field() -> None:
    assert partition_of_arn("arn:aws-us-gov:rds:us-gov-west-1:1:db:x") == "aws-us-gov"
    assert partition_of_arn("patients-eu") is None


def test_a_china_bucket_of_the_declared_name_does_not_stand_for_the_paris_one(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: the declaration lists bucket `patients-eu` in eu-west-3 (partition aws); an aws-cn
    observation's bucket of that name matched it, so the China bucket was reported as the
    declared one (a region drift at most) and the declared one as found."""
    seen = write(tmp_path, "observed.yaml", china())
    report = check(runner, str(declared(tmp_path)), "--observed", str(seen))
    [undeclared] = [f for f in rule(report, "DRIFT-RES-01") if f["component"] == "s3-patients-eu"]
    assert undeclared["location"]["path"] == str(seen)
    assert not [f for f in rule(report, "DRIFT-LOC-01") if f["component"] == "documents"]


def test_a_bucket_of_the_declared_partition_still_matches(
    tmp_path: Path, runner: CliRunner
) -> None:
    seen = write(tmp_path, "observed.yaml", observed_text())
    report = check(runner, str(declared(tmp_path)), "--observed", str(seen))
    assert not [f for f in rule(report, "DRIFT-RES-01") if f["component"] == "s3-patients-eu"]


def test_a_declared_arn_of_another_partition_than_its_region_is_an_input_error(
    tmp_path: Path, runner: CliRunner
) -> None:
    text = DECLARED.replace("{region}", "eu-west-3").replace(
        "resources: [patients-eu]", 'resources: ["arn:aws-cn:s3:::patients-eu"]'
    )
    decl = write(tmp_path, "declared.yaml", text)
    line = line_after(decl, "id: documents", "resources:")
    assert errors(runner, str(decl)) == [
        f"{decl}:{line}:17: error: components[0].resources[0]: arn:aws-cn:s3:::patients-eu is "
        "of partition aws-cn, but the component's region eu-west-3 is of partition aws; list "
        "the resource of partition aws (arn:aws:...), or declare the other partition's "
        "resource in a component of its own region"
    ]


def test_an_arn_naming_a_region_of_another_partition_is_an_input_error(
    tmp_path: Path, runner: CliRunner
) -> None:
    """AWS writes no `arn:aws:rds:cn-north-1:...`: matched by its region, it would pass for
    a China database of partition aws."""
    text = DECLARED.replace("{region}", "cn-north-1") + (
        '    resources: ["arn:aws:rds:cn-north-1:123456789012:db:records"]\n'
    )
    decl = write(tmp_path, "declared.yaml", text)
    line = line_after(decl, "id: records-db", "resources:")
    assert errors(runner, str(decl)) == [
        f"{decl}:{line}:17: error: components[1].resources[0]: "
        "arn:aws:rds:cn-north-1:123456789012:db:records is of partition aws, but it names "
        "region cn-north-1 of partition aws-cn; an ARN of that region starts arn:aws-cn:"
    ]


def test_an_observed_arn_of_another_partition_than_the_observed_one_is_an_input_error(
    tmp_path: Path, runner: CliRunner
) -> None:
    seen = write(
        tmp_path, "observed.yaml", china().replace("partition: aws-cn\n", "partition: aws\n")
    )
    decl = declared(tmp_path)
    region = line_after(seen, "id: s3-patients-eu", "region:")
    arn = line_after(seen, "id: s3-patients-eu", "resources:")
    for args in ([str(seen)], [str(decl), "--observed", str(seen)]):
        assert errors(runner, *args) == [
            f"{seen}:{region}:13: error: components[0].region: cn-north-1 is a region of "
            "partition aws-cn, not of the observed partition aws (observation.partition); "
            "one observation reads one partition",
            f"{seen}:{arn}:17: error: components[0].resources[0]: arn:aws-cn:s3:::patients-eu "
            "is of partition aws-cn, but the observation read partition aws "
            "(observation.partition)",
        ]


def replicated(destination: str, region: str) -> str:
    """The observation with bucket `patients-eu` replicating to `destination` in `region`, as
    discover writes a replica read from GetBucketReplication (its ARN in the evidence)."""
    copy = (
        "    copies:\n"
        f"      - kind: replica\n"
        f"        region: {region}\n"
        "        evidence: {service: s3, call: GetBucketReplication, region: eu-west-3, "
        'observed_at: "2026-11-20T10:00:00Z", resource: "arn:aws:s3:::patients-eu", '
        f'detail: "Destination={destination} Key=unknown"}}\n'
    )
    return observed_text(database=True).replace(BUCKET, BUCKET + copy)


def test_a_replica_of_another_partition_does_not_stand_for_a_declared_bucket(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A replica's ARN, named in its evidence, was taken for a resource of its source's
    partition: a replica `arn:aws-cn:s3:::patients-archive` let the declared bucket
    `patients-archive` (eu-west-3, partition aws) pass as found. Its own ARN's partition
    counts; a replica of the declared partition still stands for it."""
    decl = write(tmp_path, "declared.yaml", listing("patients-eu", "patients-archive"))
    seen = write(
        tmp_path, "observed.yaml", replicated("arn:aws:s3:::patients-archive", "eu-west-1")
    )
    assert rule(check(runner, str(decl), "--observed", str(seen)), "DRIFT-RES-02") == []

    china = replicated("arn:aws-cn:s3:::patients-archive", "cn-north-1")
    seen = write(tmp_path, "observed.yaml", china)
    [finding] = rule(check(runner, str(decl), "--observed", str(seen)), "DRIFT-RES-02")
    assert finding["component"] == "documents"
    assert finding["message"].endswith("no observed resource stands for patients-archive")

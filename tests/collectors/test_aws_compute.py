"""Where compute runs: EC2 instances and Lambda functions, read by `discover aws` from moto's
server over HTTP.

An instance or a function processes health data in clear in its region: one running in a region
the declaration does not give is drift like a store there. moto runs instances without any
hypervisor and creates functions from a zip without Docker (only Invoke needs Docker, and
ListFunctions invokes nothing). Refusals come from moto's own IAM enforcement (`denied`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import boto3
from typer.testing import CliRunner

from residency_audit import kb
from residency_audit.cli import app
from residency_audit.clock import utc_today
from residency_audit.collectors.aws import AwsCollector
from residency_audit.collectors.aws_client import Settings
from residency_audit.collectors.observed import (
    Assumptions,
    Discovery,
    ObservedCopy,
    ObservedResource,
    build_deployment,
    copy_key,
)
from residency_audit.format import load_deployment
from residency_audit.model import Component, ComponentKind, CopyKind, Deployment, Evidence
from tests.collectors.test_aws_access import denied, discover_as
from tests.collectors.test_aws_discovery import discover, line_after
from tests.collectors.test_aws_ebs import BACKED_UP, backup_stubs, collect_with_backup, plan_of
from tests.collectors.test_aws_stubbed import session, stubbed
from tests.support.moto_server import ACCOUNT, aws, moto_endpoint

__all__ = ["aws", "moto_endpoint", "session", "stubbed"]  # fixtures


DECLARED = """\
schema_version: 1
name: portal-in-paris
description: A patient portal whose servers and functions run in Paris only.
controller: clinic
data:
  categories: [health]
  subjects: [patients]
  health_context: care
parties:
  - id: clinic
    name: Fictional clinic
    role: controller
    country: FR
  - id: aws-emea
    name: Amazon Web Services EMEA SARL
    role: processor
    country: LU
    provider: aws
components:
  - id: portal-servers
    kind: compute
    provider: aws
    operator: aws-emea
    service: ec2
    region: eu-west-3
    clear_text_processing: true
"""

FUNCTIONS = """\
  - id: portal-functions
    kind: compute
    provider: aws
    operator: aws-emea
    service: lambda
    region: eu-west-3
    clear_text_processing: true
"""


def run_instance(region: str) -> str:
    ec2 = boto3.session.Session().client("ec2", region_name=region)
    image = ec2.describe_images()["Images"][0]["ImageId"]  # one of moto's stock AMIs
    reply = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")
    return str(reply["Instances"][0]["InstanceId"])


def create_function(name: str, region: str) -> str:
    session = boto3.session.Session()
    iam = session.client("iam", region_name="us-east-1")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(trust))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    reply = session.client("lambda", region_name=region).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
    )
    return str(reply["FunctionArn"])


def components(observed: Deployment) -> dict[str, Component]:
    return {c.id: c for c in observed.components}


def check_json(runner: CliRunner, *args: str) -> tuple[int, dict[str, Any]]:
    # today in UTC, read at the call: after the discovery, even when the run crosses midnight
    result = runner.invoke(app, ["check", *args, "--format", "json", "--as-of", str(utc_today())])
    return result.exit_code, json.loads(result.stdout)


def about(report: dict[str, Any], rule: str, text: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule_id"] == rule and text in f["message"]]


def test_an_instance_in_an_undeclared_region_is_drift(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """Servers declared in Paris; the account also runs one in us-east-1 and keeps one stopped
    in Paris. Both live instances are observed with their state; the terminated one is gone."""
    paris = run_instance("eu-west-3")
    stopped = run_instance("eu-west-3")
    gone = run_instance("eu-west-3")
    virginia = run_instance("us-east-1")
    ec2 = boto3.session.Session().client("ec2", region_name="eu-west-3")
    ec2.stop_instances(InstanceIds=[stopped])
    ec2.terminate_instances(InstanceIds=[gone])

    out = tmp_path / "observed.yaml"
    result = discover("--region", "eu-west-3", "--region", "us-east-1", "-o", str(out))
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    by_id = components(observed)
    assert f"ec2-{gone}" not in by_id
    us = by_id[f"ec2-{virginia}"]
    us_arn = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{virginia}"
    assert (us.kind.value, us.service, us.region, us.resources) == (
        "compute",
        "ec2",
        "us-east-1",
        (us_arn,),
    )
    assert us.evidence is not None
    assert (us.evidence.call, us.evidence.region, us.evidence.resource) == (
        "DescribeInstances",
        "us-east-1",
        us_arn,
    )
    states = {
        i: (by_id[f"ec2-{i}"].evidence.detail or "").split()[0]  # type: ignore[union-attr]
        for i in (paris, stopped)
    }
    assert states == {paris: "State=running", stopped: "State=stopped"}
    assert observed.observation is not None
    assert "ec2" in observed.observation.services_read
    assert observed.observation.not_observed == ()

    declared = tmp_path / "declared.yaml"
    declared.write_text(DECLARED, encoding="utf-8")
    code, report = check_json(runner, str(declared), "--observed", str(out))
    [undeclared] = about(report, "DRIFT-RES-01", us_arn)
    assert not undeclared["unverifiable"]
    assert undeclared["message"] == f"observed primary {us_arn} (ec2, us-east-1) is not declared"
    assert undeclared["location"]["path"] == str(out)
    assert undeclared["location"]["line"] == line_after(out, "components:", f"id: ec2-{virginia}")
    # the instances in Paris are the declared servers: no drift about them, and the servers'
    # service was read and found
    assert not [
        f
        for f in report["findings"]
        if f["rule_id"].startswith("DRIFT") and (paris in f["message"] or stopped in f["message"])
    ]
    assert not [
        f
        for f in report["findings"]
        if f["rule_id"] in ("DRIFT-OBS-04", "DRIFT-RES-02") and f["component"] == "portal-servers"
    ]
    assert code == 1

    # listed by the declaration, the instance in us-east-1 is where it is not declared
    listed = tmp_path / "listed.yaml"
    listed.write_text(
        DECLARED.replace(
            "    region: eu-west-3\n", f"    region: eu-west-3\n    resources: [{virginia}]\n", 1
        ),
        encoding="utf-8",
    )
    _, report = check_json(runner, str(listed), "--observed", str(out))
    [misplaced] = [f for f in report["findings"] if f["rule_id"] == "DRIFT-LOC-01"]
    assert misplaced["message"] == (
        "portal-servers: primary observed in us-east-1 (US) but declared only in eu-west-3"
    )


def test_a_function_is_compute_in_its_region(aws: str, tmp_path: Path, runner: CliRunner) -> None:
    """A Lambda function in Paris stands for the declared functions there; one in us-east-1
    is not declared."""
    paris = create_function("render-report", "eu-west-3")
    virginia = create_function("export-records", "us-east-1")
    out = tmp_path / "observed.yaml"
    result = discover("--region", "eu-west-3", "--region", "us-east-1", "-o", str(out))
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    function = components(observed)["lambda-render-report"]
    assert (function.kind.value, function.service, function.region, function.resources) == (
        "compute",
        "lambda",
        "eu-west-3",
        (paris,),
    )
    assert function.evidence is not None
    assert (function.evidence.service, function.evidence.call) == ("lambda", "ListFunctions")
    assert "Runtime=python3.12" in (function.evidence.detail or "")
    assert function.key is None

    declared = tmp_path / "declared.yaml"
    declared.write_text(DECLARED + FUNCTIONS, encoding="utf-8")
    _, report = check_json(runner, str(declared), "--observed", str(out))
    assert [f["message"] for f in about(report, "DRIFT-RES-01", "lambda")] == [
        f"observed primary {virginia} (lambda, us-east-1) is not declared"
    ]
    assert not [
        f
        for f in report["findings"]
        if f["rule_id"] in ("DRIFT-OBS-04", "DRIFT-RES-02", "DRIFT-LOC-01", "DRIFT-KEY-01")
        and f["component"] == "portal-functions"
    ]


def test_an_aws_backup_of_an_instance_is_a_copy_of_it_on_an_unknown_key(
    aws: str, stubbed: Any
) -> None:
    """A Backup plan of Paris protects every instance and copies to us-east-1 (AWS Backup,
    moto's server does not implement selections, answers from stubs): its copies are the
    instance's, in each vault's region. An EC2 backup keeps its volumes' encryption, which
    the instance does not show: each copy is on an unknown key, never the vault's."""
    instance = run_instance("eu-west-3")
    stubs = backup_stubs(stubbed)
    listed = {"BackupPlanId": "p1", "BackupPlanArn": BACKED_UP, "BackupPlanName": "p1"}
    stubs.backup["eu-west-3"].add_response("list_backup_plans", {"BackupPlansList": [listed]})
    plan_of(stubs, "p1", ["arn:aws:ec2:*:*:instance/*"])
    stubs.backup["us-east-1"].add_response("list_backup_plans", {"BackupPlansList": []})
    observed = collect_with_backup(stubs)

    by_id = components(observed)
    assert not [c for c in observed.components if c.service == "backup"]
    copies = by_id[f"ec2-{instance}"].copies
    assert sorted((c.kind.value, c.region) for c in copies) == [
        ("backup", "eu-west-3"),
        ("backup", "us-east-1"),
    ]
    assert {copy_key(c.evidence.detail if c.evidence else None) for c in copies} == {"unknown"}


def test_every_page_of_instances_is_read(aws: str) -> None:
    """moto answers DescribeInstances 100 reservations a page: the 101st is on the second."""
    ec2 = boto3.session.Session().client("ec2", region_name="eu-west-3")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    for _ in range(101):  # one reservation per call
        ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)
    collector = AwsCollector(boto3.session.Session(), settings=Settings(max_attempts=1))
    found = collector.collect(["eu-west-3"])
    assert sum(1 for r in found.resources if r.service == "ec2") == 101
    assert found.gaps == []


def test_refused_compute_calls_are_gaps_not_an_empty_region(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """DescribeInstances and ListFunctions refused: the running instance and the function are
    not seen, each refusal is a gap naming its permission, the audit is partial (never a
    pass), and the declared servers and functions are not reported missing from a region
    nobody could read."""
    run_instance("eu-west-3")
    create_function("render-report", "eu-west-3")
    out = tmp_path / "observed.yaml"
    with denied(aws, "nocompute", "ec2:DescribeInstances", "lambda:ListFunctions") as env:
        result = discover_as(env, out)
    assert result.returncode == 0, result.stderr
    observed, _ = load_deployment(out)
    assert not [c for c in observed.components if c.service in ("ec2", "lambda")]
    assert observed.observation is not None
    gaps = {
        (g.service, g.call, g.region, g.permission, g.reason.split(" (")[0])
        for g in observed.observation.not_observed
        if g.service in ("ec2", "lambda")
    }
    assert gaps == {
        ("ec2", "DescribeInstances", "eu-west-3", "ec2:DescribeInstances", "access denied"),
        ("lambda", "ListFunctions", "eu-west-3", "lambda:ListFunctions", "access denied"),
    }

    declared = tmp_path / "declared.yaml"
    declared.write_text(DECLARED + FUNCTIONS, encoding="utf-8")
    code, report = check_json(runner, str(declared), "--observed", str(out))
    assert report["complete"] is False
    not_observed = [f["message"] for f in report["findings"] if f["rule_id"] == "DRIFT-OBS-01"]
    assert any(
        "ec2 DescribeInstances in eu-west-3: access denied" in m
        and "missing permission: ec2:DescribeInstances" in m
        for m in not_observed
    )
    assert any("lambda ListFunctions in eu-west-3: access denied" in m for m in not_observed)
    # whether the servers and functions are in Paris is the gaps' to say (DRIFT-OBS-01), never
    # "declared but not found" (DRIFT-RES-02) nor "service not read" (DRIFT-OBS-04)
    assert not [
        f
        for f in report["findings"]
        if f["rule_id"] in ("DRIFT-RES-02", "DRIFT-OBS-04")
        and f["component"] in ("portal-servers", "portal-functions")
    ]
    assert code == 1


def test_a_plan_backing_up_everything_copies_no_function_or_distribution() -> None:
    """A Backup plan selecting `*` protects what AWS Backup can back up: the bucket gets the
    plan's copy, the Lambda function and the CloudFront distribution do not (AWS Backup has
    no such resource type), where every observed resource got one."""

    def resource(service: str, kind: ComponentKind, name: str, arn: str) -> ObservedResource:
        return ObservedResource(
            service,
            kind,
            name,
            arn,
            "eu-west-3",
            Evidence(service, "List", "2026-11-29T05:22:42Z", "eu-west-3", arn),
        )

    bucket = resource("s3", ComponentKind.DATASTORE, "patients-eu", "arn:aws:s3:::patients-eu")
    function = resource(
        "lambda",
        ComponentKind.COMPUTE,
        "triage",
        "arn:aws:lambda:eu-west-3:123456789012:function:triage",
    )
    cdn = resource(
        "cloudfront",
        ComponentKind.CDN,
        "E1",
        "arn:aws:cloudfront::123456789012:distribution/E1",
    )
    plan = resource(
        "backup",
        ComponentKind.BACKUP,
        "nightly",
        "arn:aws:backup:eu-west-3:123456789012:backup-plan:p1",
    )
    plan.protects = ("*",)
    plan.copies = [ObservedCopy(CopyKind.BACKUP, "eu-central-1", plan.evidence)]
    found = Discovery("123456789012", "aws", "2026-11-29T05:22:42Z", ("eu-west-3",))
    found.resources = [bucket, function, cdn, plan]
    built = build_deployment(found, kb.default(), Assumptions())
    copies = {c.service: [x.region for x in c.copies] for c in built.components}
    assert copies == {"s3": ["eu-central-1"], "lambda": [], "cloudfront": []}


def observed(
    service: str, kind: ComponentKind, name: str, arn: str, region: str
) -> ObservedResource:
    return ObservedResource(
        service,
        kind,
        name,
        arn,
        region,
        Evidence(service, "List", "2026-11-29T05:22:42Z", region, arn),
    )


def nightly(*copies_in: str) -> ObservedResource:
    """A plan of eu-west-3 selecting every resource (`*`), copying to `copies_in`."""
    plan = observed(
        "backup",
        ComponentKind.BACKUP,
        "nightly",
        "arn:aws:backup:eu-west-3:123456789012:backup-plan:p1",
        "eu-west-3",
    )
    plan.protects = ("*",)
    plan.copies = [ObservedCopy(CopyKind.BACKUP, r, plan.evidence) for r in copies_in]
    return plan


def copies_of(*resources: ObservedResource) -> dict[str, list[str | None]]:
    found = Discovery("123456789012", "aws", "2026-11-29T05:22:42Z", ("eu-west-3", "us-east-1"))
    found.resources = list(resources)
    built = build_deployment(found, kb.default(), Assumptions())
    return {c.id: [x.region for x in c.copies] for c in built.components}


def test_a_plan_backs_up_a_volume_not_a_standalone_snapshot() -> None:
    """QA: a plan selecting `*` with a copy to us-east-1 gave a standalone EBS snapshot (kind
    backup) a backup copy in the US, a transfer that does not exist: AWS Backup backs up the
    volume, whose copy it is, not the snapshot."""
    volume = observed(
        "ebs",
        ComponentKind.DATASTORE,
        "vol-0abc",
        "arn:aws:ec2:eu-west-3:123456789012:volume/vol-0abc",
        "eu-west-3",
    )
    snapshot = observed(
        "ebs",
        ComponentKind.BACKUP,
        "snap-0abc",
        "arn:aws:ec2:eu-west-3::snapshot/snap-0abc",
        "eu-west-3",
    )
    copies = copies_of(volume, snapshot, nightly("us-east-1"))
    assert copies == {"ebs-vol-0abc": ["us-east-1"], "ebs-snap-0abc": []}


def test_a_plan_backs_up_the_resources_of_its_own_region_only() -> None:
    """QA: a plan of eu-west-3 selecting `*` gave an instance in us-east-1 a copy in eu-west-3.
    AWS Backup plans are regional: the instance in Paris gets the copy, the one in Virginia
    does not."""
    paris, virginia = (
        observed(
            "ec2",
            ComponentKind.COMPUTE,
            f"i-{region}",
            f"arn:aws:ec2:{region}:123456789012:instance/i-{region}",
            region,
        )
        for region in ("eu-west-3", "us-east-1")
    )
    copies = copies_of(paris, virginia, nightly("eu-central-1"))
    assert copies == {"ec2-i-eu-west-3": ["eu-central-1"], "ec2-i-us-east-1": []}

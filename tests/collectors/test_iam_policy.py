"""The shipped read-only policy lists exactly the calls `discover aws` makes."""

from __future__ import annotations

import json
from typing import Any

import boto3

from residency_audit.collectors.aws import AwsCollector
from residency_audit.collectors.aws_client import CALLS, Settings, iam_policy
from tests.collectors.test_aws_discovery import build_account
from tests.conftest import ROOT
from tests.support.moto_server import aws, moto_endpoint

# The IAM action of each S3 call differs from its API name (Amazon S3 User Guide, "Actions,
# resources, and condition keys for Amazon S3"); every other call maps to service:Operation.
S3_ACTIONS = {
    "ListBuckets": "s3:ListAllMyBuckets",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "GetBucketReplication": "s3:GetReplicationConfiguration",
    "GetBucketLocation": "s3:GetBucketLocation",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "GetBucketAcl": "s3:GetBucketAcl",
    "GetBucketPolicy": "s3:GetBucketPolicy",
    "GetBucketPolicyStatus": "s3:GetBucketPolicyStatus",
    "GetBucketOwnershipControls": "s3:GetBucketOwnershipControls",
}

PREFIXES = {"resourcegroupstaggingapi": "tag"}
"""IAM service prefixes that are not boto3's client name: the Resource Groups Tagging API's is
`tag` (Service Authorization Reference, "Actions, resources, and condition keys for Amazon
Resource Group Tagging API")."""


def test_docs_policy_is_the_generated_one() -> None:
    shipped = json.loads((ROOT / "docs" / "iam-policy.json").read_text(encoding="utf-8"))
    assert shipped == iam_policy()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for action in shipped["Statement"][0]["Action"]:
        assert f'"{action}"' in readme, action


def test_each_action_follows_the_service_naming() -> None:
    for (service, call), action in CALLS.items():
        if action is None:
            continue
        expected = (
            S3_ACTIONS[call] if service == "s3" else f"{PREFIXES.get(service, service)}:{call}"
        )
        assert action == expected


def test_every_call_made_is_in_the_policy(aws: str) -> None:
    session = boto3.session.Session()
    build_account(session)
    made: set[tuple[str, str]] = set()

    def record(event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".")
        # events name a service by its hyphenated id (resource-groups-tagging-api), CALLS by
        # the client's name (resourcegroupstaggingapi)
        made.add((service.replace("-", ""), operation))

    audited = boto3.session.Session()
    audited.events.register("before-call", record)
    AwsCollector(audited, settings=Settings(max_attempts=1)).collect(["eu-west-3", "us-east-1"])
    assert made  # the hook saw the calls
    assert made <= set(CALLS), made - set(CALLS)

"""What `discover aws` reads of where compute runs in a region: EC2 instances and Lambda
functions. Each processes the data it is given in clear in its region, whether or not it keeps
any: it is a `compute` component there, so an instance or a function in a region the
declaration does not give is drift (DRIFT-RES-01, DRIFT-LOC-01) like a store would be.

What an instance keeps lies on its EBS volumes, read as stores of their own (`aws_ebs`); its
instance store, if any, is not read. No key is read for compute: the keys of an instance's
volumes are the volumes', and a function's environment-variable key protects no data store.
"""

from __future__ import annotations

from typing import Any

from residency_audit.collectors.aws_client import AwsClient
from residency_audit.collectors.observed import ObservedResource
from residency_audit.model import ComponentKind

EC2 = "ec2"
LAMBDA = "lambda"

GONE = frozenset({"terminated"})
"""Instance states in which nothing runs any more, nor can again: "Recently terminated instances
might appear in the returned results" (EC2 API reference, DescribeInstances,
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html). Any other
state (pending, running, shutting-down, stopping, stopped) is an instance that may process the
data there, or start again."""


class ComputeReader(AwsClient):
    """Reads a region's EC2 instances and Lambda functions for `AwsCollector`. Each call
    refused is a gap (`AwsClient.pages` raises `Unread` after recording it), never "none"."""

    account: str | None = None
    """The account read (`identity`); None when a reader is called on its own."""
    partition: str = "aws"

    def read_instances(self, region: str) -> list[ObservedResource]:
        reservations = self.pages(EC2, region, "DescribeInstances", "Reservations")
        instances = [i for r in reservations for i in r.get("Instances") or []]
        return [
            self._instance(i, region)
            for i in sorted(instances, key=lambda i: str(i["InstanceId"]))
            if (i.get("State") or {}).get("Name") not in GONE
        ]

    def read_functions(self, region: str) -> list[ObservedResource]:
        # Without FunctionVersion, ListFunctions lists each function once (its unpublished
        # version; the published ones run in the same region). NOTE: nor does it list the
        # Lambda@Edge replicas of a function (MasterRegion, API reference, ListFunctions): the
        # function is observed in its own region only.
        functions = self.pages(LAMBDA, region, "ListFunctions", "Functions")
        return [
            self._function(f, region)
            for f in sorted(functions, key=lambda f: str(f["FunctionName"]))
        ]

    def _instance(self, instance: dict[str, Any], region: str) -> ObservedResource:
        ident = instance["InstanceId"]
        arn = f"arn:{self.partition}:ec2:{region}:{self.account or ''}:instance/{ident}"
        detail = " ".join(
            [
                f"State={(instance.get('State') or {}).get('Name')}",
                f"InstanceType={instance.get('InstanceType')}",
                f"AvailabilityZone={(instance.get('Placement') or {}).get('AvailabilityZone')}",
            ]
        )
        return ObservedResource(
            EC2,
            ComponentKind.COMPUTE,
            ident,
            arn,
            region,
            self.evidence(EC2, "DescribeInstances", region, arn, detail),
        )

    def _function(self, function: dict[str, Any], region: str) -> ObservedResource:
        arn = str(function["FunctionArn"])
        # ListFunctions returns no State (GetFunction does): none is claimed.
        detail = f"Runtime={function.get('Runtime')} PackageType={function.get('PackageType')}"
        return ObservedResource(
            LAMBDA,
            ComponentKind.COMPUTE,
            str(function["FunctionName"]),
            arn,
            region,
            self.evidence(LAMBDA, "ListFunctions", region, arn, detail),
        )

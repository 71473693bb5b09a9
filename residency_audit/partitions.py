"""AWS partitions: which one a region or an ARN belongs to, and the ARNs of a deployment file
that contradict a partition (their own region's, their component's region's, or the observed
one's).

A partition is a separate AWS: `aws`, `aws-cn` (China, run by Chinese operators), `aws-us-gov`
(GovCloud)... Its ARNs start `arn:<partition>:`, and a name is unique only within it: a bucket
`records` in `aws-cn` is not the bucket `records` in `aws`. Nothing here imports boto3.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from residency_audit.model import Deployment, Diagnostic

REGION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (partition, re.compile(pattern))
    for partition, pattern in (
        ("aws", r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$"),
        ("aws-cn", r"^cn\-\w+\-\d+$"),
        ("aws-us-gov", r"^us\-gov\-\w+\-\d+$"),
        ("aws-iso", r"^us\-iso\-\w+\-\d+$"),
        ("aws-iso-b", r"^us\-isob\-\w+\-\d+$"),
        ("aws-iso-e", r"^eu\-isoe\-\w+\-\d+$"),
        ("aws-iso-f", r"^us\-isof\-\w+\-\d+$"),
        ("aws-eusc", r"^eusc\-(de)\-\w+\-\d+$"),
    )
)
"""Each partition's `regionRegex`, as botocore 1.43.11 (data/endpoints.json) writes it, the
source the knowledge base's region list is taken from (kb/data/regions.yaml). `\\w` does not
match `-`, so the patterns are disjoint: `us-gov-west-1` is GovCloud's only."""

AWS_PROVIDERS = frozenset({"aws", "aws-eusc"})
"""The knowledge-base providers whose components ARNs name (`collectors.observed.provider_of`)."""


def partition_of_region(region: str | None) -> str | None:
    """`cn-north-1` → `aws-cn`; None for no region, or one no partition's pattern matches."""
    if not region:
        return None
    return next((p for p, pattern in REGION_PATTERNS if pattern.match(region)), None)


def partition_of_arn(arn: str) -> str | None:
    """`arn:aws-cn:s3:::records` → `aws-cn`; None for what is not an ARN (a name)."""
    parts = arn.split(":", 5)
    return parts[1] or None if len(parts) == 6 and parts[0] == "arn" else None


def arn_problems(d: Deployment) -> Iterable[Diagnostic]:
    """Each ARN an AWS component lists in `resources` whose partition is not that of the region
    it names (`arn:aws:rds:cn-north-1:...`: AWS writes none), of the component's `region`, or,
    in an observed file, of `observation.partition`; and, in an observed file, a component
    region of another partition than the observed one. Each is an input error at its line: no
    single resource is in two partitions, and a name matched across them (`drift_found`)
    would be another partition's resource standing for the declared one.

    A copy's region of another partition than its component's is no contradiction, so not
    refused: AWS copies only within a partition ("You can make cross-Region copies only within
    your AWS partition", Amazon FSx API reference, CopyBackup; AWS Backup in China copies only
    between Beijing and Ningxia, docs.amazonaws.cn), but a copy's `kind` says what the copy is
    for, not who makes it, and a customer may move a backup to another partition itself; such
    a copy is audited in its region (tests/test_region_operators.py: a Paris database's backup
    in cn-north-1). A replica's ARN counts in its own partition (`drift_found`)."""
    observed = d.observation.partition if d.observation is not None else None
    for i, c in enumerate(d.components):
        if c.provider not in AWS_PROVIDERS:
            continue
        own = partition_of_region(c.region)
        if observed is not None and own is not None and own != observed:
            yield Diagnostic(
                d.locations.get(f"components[{i}].region", c.span),
                f"components[{i}].region: {c.region} is a region of partition {own}, not of "
                f"the observed partition {observed} (observation.partition); one observation "
                "reads one partition",
            )
        for j, arn in enumerate(c.resources):
            partition = partition_of_arn(arn)
            if partition is None:
                continue
            named = arn.split(":", 5)[3]
            named_partition = partition_of_region(named)
            why = None
            if named_partition is not None and named_partition != partition:
                why = (
                    f"it names region {named} of partition {named_partition}; an ARN of that "
                    f"region starts arn:{named_partition}:"
                )
            elif own is not None and own != partition:
                why = (
                    f"the component's region {c.region} is of partition {own}; list the "
                    f"resource of partition {own} (arn:{own}:...), or declare the other "
                    "partition's resource in a component of its own region"
                )
            elif observed is not None and partition != observed:
                why = f"the observation read partition {observed} (observation.partition)"
            if why is not None:
                yield Diagnostic(
                    d.locations.get(f"components[{i}].resources[{j}]", c.span),
                    f"components[{i}].resources[{j}]: {arn} is of partition {partition}, but {why}",
                )

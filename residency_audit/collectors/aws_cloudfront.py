"""What `discover aws` reads of Amazon CloudFront: the account's distributions, listed once from
us-east-1. A distribution has no region: its edges are AWS's global network, chosen by its
price class, which the evidence names.
"""

from __future__ import annotations

from residency_audit.collectors.aws_client import AwsClient, Unread
from residency_audit.collectors.observed import ObservedResource
from residency_audit.model import ComponentKind


class CloudFrontReader(AwsClient):
    """Reads the account's CloudFront distributions for `AwsCollector`."""

    def read_cloudfront(self) -> list[ObservedResource]:
        try:
            items = self.pages(
                "cloudfront", "us-east-1", "ListDistributions", "DistributionList.Items"
            )
        except Unread:
            return []
        return [
            ObservedResource(
                "cloudfront",
                ComponentKind.CDN,
                d["Id"],
                d["ARN"],
                None,
                self.evidence(
                    "cloudfront",
                    "ListDistributions",
                    "us-east-1",
                    d["ARN"],
                    f"DomainName={d.get('DomainName')} PriceClass={d.get('PriceClass')} "
                    "(global edge network: locations depend on the price class)",
                ),
            )
            for d in items
        ]

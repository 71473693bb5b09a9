"""The sharing of DynamoDB tables `discover aws` reads, through the resource-based policies of
the table and of its stream (`aws_sharing` for what is shared).

A table's policy covers the table and its indexes; its stream, which carries every change to
the items, has a policy of its own (Amazon DynamoDB Developer Guide, "Using resource-based
policies for DynamoDB",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/access-control-resource-based.html).
DynamoDB's block public access refuses, when a policy is put, one that grants public access
(".../rbac-bpa-rbp.html"); a policy read with an Allow to `"*"` and no condition narrowing
who (none, or only `aws:SecureTransport` true: `policy_principals`) is still reported public,
never assumed refused. The accounts a policy names are read as for a bucket policy
(`policy_principals.principals`): a `"*"` narrowed by another condition than
`StringEquals aws:PrincipalAccount` is `unknown`. No policy: shared with no one. Actions are
not weighed: an account allowed anything on the table is listed. A replica of a global table is
a table with a policy of its own: read in its region, its sharing joins the table's; not read
(its region not read, or ListTables or its DescribeTable refused there, or it was not listed),
the table's sharing is `unknown`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from residency_audit.collectors.aws_sharing import (
    SharingReader,
    Through,
    add_shares,
    read_stores,
    record_shares,
)
from residency_audit.collectors.observed import GapCause, ObservedResource
from residency_audit.collectors.policy_principals import grants_anyone, principals
from residency_audit.model import CopyKind
from residency_audit.sharing import PUBLIC, UNREAD


class TableSharingReader(SharingReader):
    """Reads the sharing of DynamoDB tables for `AwsCollector`."""

    def share_table(self, table: ObservedResource, described: dict[str, Any]) -> None:
        """Sets who outside the account can read the table (`described`: its DescribeTable
        reply's `Table`), and which policy lets them."""
        region = str(table.region)
        through = self._table_policy("table-policy", region, table.arn)
        # A stream disabled since keeps its records readable for a day: read while it is named.
        stream = described.get("LatestStreamArn")
        if stream:
            through |= self._table_policy("stream-policy", region, str(stream))
        record_shares(table, through | self._replicas_elsewhere(table))

    def _replicas_elsewhere(self, table: ObservedResource) -> Through:
        """`unknown` for each replica of a global table in a region not read: a replica is a
        table of its own, with a resource-based policy of its own ("Global tables replicas
        are DynamoDB tables", Amazon DynamoDB Developer Guide, security of global tables),
        which was not read. A replica in a region read is read there, and its sharing joins
        this table's when the two are folded into one store (`observed._merge`)."""
        if self.regions_read is None:
            return set()
        return {
            (f"table-policy-in-{c.region or 'an-unknown-region'}", UNREAD)
            for c in table.copies
            if c.region not in self.regions_read
        }

    def share_replicas(self, resources: Sequence[ObservedResource]) -> None:
        """`unknown` for each replica of a global table, in a region read, that was not read
        there: ListTables or its DescribeTable refused or failed, or ListTables did not list it
        (a replica being created). Its policy was not read, and nothing will join its sharing
        to the table's (`observed._merge` folds only the replicas read). Called once every
        region is read: regions are read concurrently. A replica not listed, with no refusal
        to say why, is a gap of its own naming it."""
        if self.regions_read is None:
            return
        read = read_stores(resources)
        for table in resources:
            if table.service != "dynamodb":
                continue
            missing = [
                c
                for c in table.copies
                if c.kind is CopyKind.REPLICA
                and c.region in self.regions_read
                and c.target not in read
            ]
            for c in missing:
                self._unexplained(str(c.region), str(c.target))
            add_shares(table, {(f"table-policy-in-{c.region}", UNREAD) for c in missing})

    def _unexplained(self, region: str, replica: str) -> None:
        name = replica.rsplit("/", 1)[-1]
        explained = any(
            g.service == "dynamodb"
            and g.region == region
            and (g.call == "ListTables" or g.reason.endswith(f" for table {name}"))
            for g in self.gaps
        )
        if not explained:
            self.gap(
                "dynamodb",
                "GetResourcePolicy",
                region,
                f"{GapCause.ERROR.value}: the global table replica was not listed by ListTables "
                f"in {region}, so not called for {replica}",
            )

    def _table_policy(self, what: str, region: str, arn: str) -> Through:
        # no policy is the error PolicyNotFoundException (`_ABSENT`), never a reply without one
        reply = self._read(
            region,
            "GetResourcePolicy",
            arn,
            service="dynamodb",
            require="Policy",
            kind=str,
            ResourceArn=arn,
        )
        if reply is None:
            return {(what, UNREAD)}
        text = str(reply.get("Policy") or "")
        if not text:
            return set()  # no policy
        found = {(what, who) for who in principals(text, self.account, None)}
        if grants_anyone(text):
            found.add((what, PUBLIC))
        return found

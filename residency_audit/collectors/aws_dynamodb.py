"""What `discover aws` reads of Amazon DynamoDB in a region: each table with its key and its
global-table replicas. Who a table is shared with is `aws_sharing_dynamodb`.
"""

from __future__ import annotations

from typing import Any

from residency_audit.collectors.aws_client import Unread
from residency_audit.collectors.aws_sharing_dynamodb import TableSharingReader
from residency_audit.collectors.observed import (
    UNKNOWN_KEY,
    ObservedCopy,
    ObservedResource,
    account_of_arn,
)
from residency_audit.model import ComponentKind, CopyKind


class TableReader(TableSharingReader):
    """Reads a region's DynamoDB tables for `AwsCollector`, each with its sharing
    (`TableSharingReader.share_table`)."""

    def read_dynamodb(self, region: str) -> list[ObservedResource]:
        out = []
        for name in self.pages("dynamodb", region, "ListTables", "TableNames"):
            try:
                reply = self.call(
                    "dynamodb", region, "DescribeTable", TableName=name, about=f"table {name}"
                )
                for key in ("Table.TableArn", "Table.TableName"):
                    self.member(
                        "dynamodb",
                        region,
                        "DescribeTable",
                        reply,
                        key,
                        about=f"table {name}",
                        kind=str,
                    )
            except Unread:
                continue
            assert reply is not None
            table = reply["Table"]
            out.append(self._table(table, region))
            self.share_table(out[-1], table)
        return out

    def _table(self, table: dict[str, Any], region: str) -> ObservedResource:
        arn = table["TableArn"]
        sse = table.get("SSEDescription") or {}
        version = table.get("GlobalTableVersion")
        r = ObservedResource(
            "dynamodb",
            ComponentKind.DATASTORE,
            table["TableName"],
            arn,
            region,
            self.evidence(
                "dynamodb", "DescribeTable", region, arn, f"GlobalTableVersion={version}"
            ),
            # Without SSEDescription the table uses the DynamoDB-owned key.
            key=sse.get("KMSMasterKeyArn") or f"dynamodb-owned@{region}",
        )
        # A version 2017.11.29 (legacy) global table is a table in each of its regions, which
        # ListTables there finds as a resource of its own (DescribeGlobalTable, which would
        # link them, is not implemented by moto's server, so it is not called): a replica in a
        # region not queried is named by that region's gap, never silently passed.
        # Each replica is a place of its own, in its region, with its region's key. Read in
        # several regions, the global table is one resource per region, each listing the
        # others: the assembly (`observed._fold`) keeps one and makes the others its copies.
        for replica in sorted(table.get("Replicas") or [], key=lambda x: x["RegionName"]):
            other = replica["RegionName"]
            if other == region:
                continue
            target = arn.replace(f":{region}:", f":{other}:", 1)
            # A replica's KMS key is its own (a key of its region); tables on the DynamoDB-owned
            # key have no SSEDescription and owned keys everywhere.
            key = replica.get("KMSMasterKeyId") or (
                UNKNOWN_KEY if sse else f"dynamodb-owned@{other}"
            )
            detail = f"Replica RegionName={other} ReplicaStatus={replica.get('ReplicaStatus')}"
            if replica.get("KMSMasterKeyId"):
                detail += f" KMSMasterKeyId={replica['KMSMasterKeyId']}"
            r.copies.append(
                ObservedCopy(
                    CopyKind.REPLICA,
                    other,
                    self.evidence("dynamodb", "DescribeTable", region, arn, detail),
                    target,
                    account_of_arn(target),
                    key=key,
                )
            )
        return r

"""What `discover aws` reads of AWS KMS in a region: each key (DescribeKey) with its aliases,
origin, manager, custom key store and multi-Region replicas, as a `KeyRecord`; and how a key's
origin and manager map to `KeyManagement` (`key_management`).
"""

from __future__ import annotations

import contextlib
from typing import Any

from residency_audit.collectors.aws_client import AwsClient, Unread
from residency_audit.collectors.observed import KeyRecord
from residency_audit.model import KeyManagement


class KeyReader(AwsClient):
    """Reads a region's KMS keys for `AwsCollector`."""

    def read_keys(self, region: str) -> list[KeyRecord]:
        listed = self.pages("kms", region, "ListKeys", "Keys")
        aliases: dict[str, list[str]] = {}
        # Aliases only name keys: refused, they are a gap of their own, and the keys still count.
        with contextlib.suppress(Unread):
            for alias in self.pages("kms", region, "ListAliases", "Aliases"):
                if alias.get("TargetKeyId"):
                    aliases.setdefault(alias["TargetKeyId"], []).extend(
                        [f"{alias['AliasName']}@{region}", alias.get("AliasArn", "")]
                    )
        out = []
        for item in listed:
            try:
                reply = self.call(
                    "kms",
                    region,
                    "DescribeKey",
                    KeyId=item["KeyId"],
                    about=item.get("KeyArn") or item["KeyId"],
                )
                meta = self._key_metadata(reply, region, item.get("KeyArn") or item["KeyId"])
            except Unread:
                continue
            out.append(self.key_record(meta, region, aliases.get(meta["KeyId"], [])))
        return out

    def _key_metadata(self, reply: Any, region: str, about: str) -> dict[str, Any]:
        """DescribeKey's KeyMetadata, with the KeyId and Arn the key is known by."""
        for key in ("KeyMetadata.KeyId", "KeyMetadata.Arn"):
            self.member("kms", region, "DescribeKey", reply, key, about=about, kind=str)
        meta: dict[str, Any] = reply["KeyMetadata"]
        return meta

    def key_record(self, meta: dict[str, Any], region: str, aliases: list[str]) -> KeyRecord:
        origin = meta.get("Origin", "AWS_KMS")
        manager = meta.get("KeyManager", "CUSTOMER")
        store = None
        if meta.get("CustomKeyStoreId"):
            store = self._key_store(meta["CustomKeyStoreId"], region)
        mrc = meta.get("MultiRegionConfiguration") or {}
        replicas = tuple(sorted(r["Region"] for r in mrc.get("ReplicaKeys", [])))
        # A key is a replica when its PrimaryKey is another key. NOTE: moto 5.2 shares one
        # MultiRegionConfiguration between a primary and its replicas and DescribeKey on a
        # replica flips MultiRegionKeyType to REPLICA for both; the ARN comparison is immune.
        primary = mrc.get("PrimaryKey", {}).get("Arn")
        if primary == meta["Arn"]:
            primary = None
        detail = " ".join(
            f"{k}={v}"
            for k, v in (
                ("Origin", origin),
                ("KeyManager", manager),
                ("KeyState", meta.get("KeyState")),
                ("MultiRegion", meta.get("MultiRegion", False)),
                ("CustomKeyStoreId", meta.get("CustomKeyStoreId")),
                ("CustomKeyStoreType", store),
            )
            if v is not None
        )
        management, provider_can_use, held = key_management(origin, manager)
        return KeyRecord(
            id=meta["KeyId"],
            arn=meta["Arn"],
            region=region,
            management=management,
            evidence=self.evidence("kms", "DescribeKey", region, meta["Arn"], detail),
            provider_can_use=provider_can_use,
            held_by_provider=held,
            replica_regions=replicas,
            primary=primary,
            aliases=(meta["Arn"], meta["KeyId"], *aliases),
            aws_managed=manager == "AWS",
        )

    def _key_store(self, store_id: str, region: str) -> str | None:
        try:
            reply = self.call(
                "kms",
                region,
                "DescribeCustomKeyStores",
                CustomKeyStoreId=store_id,
                about=f"custom key store {store_id}",
            )
        except Unread:
            return None
        try:
            stores = self.listed("kms", region, "DescribeCustomKeyStores", reply, "CustomKeyStores")
        except Unread:
            return None
        return stores[0].get("CustomKeyStoreType") if stores else None


def key_management(origin: str, manager: str) -> tuple[KeyManagement, bool | None, bool]:
    """(management, provider can use the key, key material held by the provider) for a KMS key.

    - KeyManager AWS: an AWS managed key (aws/s3, aws/rds...): AWS creates, rotates and uses it
      and the customer cannot manage it → provider-managed.
    - Origin AWS_KMS: generated and kept in AWS KMS HSMs; the customer controls the policy, but
      AWS operates the HSMs and performs every operation → customer-managed-in-provider-kms.
    - Origin EXTERNAL (imported material): the customer made the material, but a copy lives in
      AWS KMS HSMs and AWS uses it exactly like a generated key → still
      customer-managed-in-provider-kms, provider can use it.
    - Origin AWS_CLOUDHSM: material in a CloudHSM cluster of the customer's account, in AWS data
      centres on AWS-operated hardware, used by KMS on request → customer-managed-in-provider-kms.
    - Origin EXTERNAL_KEY_STORE (XKS): material stays in the customer's external key manager,
      outside AWS; KMS must ask the customer's proxy for each operation → external-key-store.
      Whether AWS can use it depends on the proxy the customer runs, so it stays unknown.
    """
    if manager == "AWS":
        return KeyManagement.PROVIDER_MANAGED, True, True
    if origin == "EXTERNAL_KEY_STORE":
        return KeyManagement.EXTERNAL_KEY_STORE, None, False
    return KeyManagement.CUSTOMER_MANAGED_IN_PROVIDER_KMS, True, True

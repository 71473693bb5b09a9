"""What `discover aws` reads of AWS Backup in a region: each backup plan, with a copy in its
own vault and in each vault its rules copy to (each with the vault's key), and what its
selections protect (`aws_selections`).
"""

from __future__ import annotations

import contextlib

from residency_audit.collectors.aws_client import Unread
from residency_audit.collectors.aws_selections import SelectionReader
from residency_audit.collectors.observed import (
    UNKNOWN_ACCOUNT,
    UNKNOWN_KEY,
    GapCause,
    ObservedCopy,
    ObservedResource,
    account_of_arn,
    region_of_arn,
)
from residency_audit.model import ComponentKind, CopyKind


class BackupReader(SelectionReader):
    """Reads a region's backup plans for `AwsCollector`, each with what its selections protect
    (`SelectionReader.protected`)."""

    regions_read: frozenset[str] | None = None
    """The regions `collect` reads; None (any region) when a reader is called on its own."""

    def read_backup(self, region: str) -> list[ObservedResource]:
        out = []
        for plan in self.pages("backup", region, "ListBackupPlans", "BackupPlansList"):
            plan_id, arn = plan["BackupPlanId"], plan["BackupPlanArn"]
            try:
                body = self.call("backup", region, "GetBackupPlan", BackupPlanId=plan_id, about=arn)
                # BackupPlan.Rules is required in botocore's BackupPlan shape: a plan has rules
                rules = self.member(
                    "backup",
                    region,
                    "GetBackupPlan",
                    body,
                    "BackupPlan.Rules",
                    about=arn,
                    kind=list,
                )
            except Unread:
                continue
            r = ObservedResource(
                "backup",
                ComponentKind.BACKUP,
                plan.get("BackupPlanName", plan_id),
                arn,
                region,
                self.evidence("backup", "GetBackupPlan", region, arn),
            )
            vaults: dict[str, tuple[str, str]] = {}
            for rule in rules:
                name = rule.get("TargetBackupVaultName")
                # the plan's own vault: in its region and account (the plan ARN's)
                local = arn.split(":backup-plan:")[0] + f":backup-vault:{name}"
                key, read = self._vault_key(local, account_of_arn(arn), vaults)
                r.copies.append(
                    ObservedCopy(
                        CopyKind.BACKUP,
                        region,
                        self.evidence(
                            "backup",
                            "GetBackupPlan",
                            region,
                            arn,
                            f"TargetBackupVaultName={name}{read}",
                        ),
                        local,
                        account_of_arn(local),
                        key=key,
                    )
                )
                for action in rule.get("CopyActions", []):
                    vault = action.get("DestinationBackupVaultArn", "")
                    # a vault whose ARN does not parse is somewhere unknown: never ours by default
                    account = account_of_arn(vault) or UNKNOWN_ACCOUNT
                    key, read = self._vault_key(vault, account_of_arn(arn), vaults)
                    r.copies.append(
                        ObservedCopy(
                            CopyKind.BACKUP,
                            region_of_arn(vault),
                            self.evidence(
                                "backup",
                                "GetBackupPlan",
                                region,
                                arn,
                                f"CopyAction DestinationBackupVaultArn={vault} "
                                f"Account={account}{read}",
                            ),
                            vault,
                            account,
                            key=key,
                        )
                    )
            with contextlib.suppress(Unread):
                r.protects, r.unresolved = self.protected(plan_id, region)
            out.append(r)
        return out

    def _vault_key(
        self, vault: str, account: str | None, seen: dict[str, tuple[str, str]]
    ) -> tuple[str, str]:
        """(key, what DescribeBackupVault said) of the vault holding a plan's recovery points:
        its EncryptionKeyArn, which protects them. `UNKNOWN_KEY` for a vault of another
        account (its key is that account's to read), one not described (a gap naming it) or
        one described without a key; never the protected resource's key."""
        if vault in seen:
            return seen[vault]
        region = region_of_arn(vault)
        found: tuple[str, str] = (UNKNOWN_KEY, "")
        ours = region is not None and account is not None and account_of_arn(vault) == account
        if ours and self.regions_read is not None and region not in self.regions_read:
            # a vault of a region left out is not described there, as no other call is
            why = f"{GapCause.NOT_QUERIED.value}: in {region}, a region not read"
            self.gap("backup", "DescribeBackupVault", region, f"{why}, so not called for {vault}")
        elif ours and region is not None:
            with contextlib.suppress(Unread):
                reply = self.call(
                    "backup",
                    region,
                    "DescribeBackupVault",
                    BackupVaultName=vault.split(":backup-vault:")[-1],
                    about=vault,
                )
                key = (reply or {}).get("EncryptionKeyArn")
                if key:
                    found = (key, f" EncryptionKeyArn={key}")
        seen[vault] = found
        return found

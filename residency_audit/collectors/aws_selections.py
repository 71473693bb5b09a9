"""Which resources an AWS Backup plan's selections choose (`SelectionReader.protected`).

A selection names resources by ARN (`Resources`, wildcards allowed), by tag (`ListOfTags`,
`Conditions`), and may exclude some (`NotResources`). AWS's API reference for BackupSelection
(https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupSelection.html, and botocore's
model of it) says: several `Resources` ARNs are OR-ed; several `ListOfTags` conditions are
OR-ed and support only StringEquals; several `Conditions` are AND-ed and support StringEquals,
StringLike, StringNotEquals and StringNotLike on keys written `aws:ResourceTag/<key>`; a
selection with none of them selects "all supported and opted-in storage resources". AWS's
Knowledge Center ("How do I assign resources to a backup plan?",
https://repost.aws/knowledge-center/backup-assign-resources) shows `Resources` AND-ed with
`Conditions` (its example 1) and OR-ed with `ListOfTags` (its example 2).

What is resolved exactly becomes the resources' ARNs, read by their tags in the plan's region
(Resource Groups Tagging API, GetResources: "all the tagged or previously tagged resources that
are located in the specified Amazon Web Services Region for the account"). Anything else (a
StringLike, a negation, ListOfTags and Conditions together, which no AWS page we found
combines, a selection choosing everything, a tagging call refused) is a gap naming the
selection, and the plan keeps its copies as a component of its own (`ObservedResource.unresolved`):
its copies still reach the report.
"""

from __future__ import annotations

import fnmatch
from typing import Any, NamedTuple

from residency_audit.collectors.aws_client import AwsClient, Unread
from residency_audit.collectors.observed import GapCause

TAGGING = "resourcegroupstaggingapi"
"""boto3's name of the Resource Groups Tagging API (IAM service prefix `tag`)."""

TAG_KEY = "aws:ResourceTag/"
"""How a `Conditions` key names a tag (API reference, ConditionParameter: "Include the prefix
aws:ResourceTag in your tags")."""

_RESOLVED_CONDITIONS = frozenset({"StringEquals"})


class Selected(NamedTuple):
    """What a plan's selections choose."""

    protects: tuple[str, ...]
    """ARNs (or `Resources` wildcards) of what the plan backs up, as far as resolved."""
    unresolved: tuple[str, ...]
    """The selections (`selection <id> of backup plan <id>`) not resolved exactly; each is a
    gap."""


class SelectionReader(AwsClient):
    """Reads the selections of a region's backup plans for `AwsCollector`."""

    _tagged_cache: dict[tuple[str, str, str], frozenset[str]]

    def protected(self, plan_id: str, region: str) -> Selected:
        """What backup plan `plan_id` of `region` selects; `Unread` when its selections could
        not be listed or one could not be read (then none of them is known)."""
        protects: list[str] = []
        unresolved: list[str] = []
        for sel in self.pages(
            "backup", region, "ListBackupSelections", "BackupSelectionsList", BackupPlanId=plan_id
        ):
            about = f"selection {sel['SelectionId']} of backup plan {plan_id}"
            body = self.call(
                "backup",
                region,
                "GetBackupSelection",
                BackupPlanId=plan_id,
                SelectionId=sel["SelectionId"],
                about=about,
            )
            selection = self.member(
                "backup", region, "GetBackupSelection", body, "BackupSelection", about=about
            )
            chosen, why = self._chosen(selection, region)
            protects += chosen
            if why:
                unresolved.append(about)
                self.gap(
                    "backup",
                    "GetBackupSelection",
                    region,
                    f"{GapCause.NOT_QUERIED.value}: the resources it chooses by {why} were not "
                    f"resolved, so its plan's copies stay the plan's for {about}",
                )
        return Selected(tuple(dict.fromkeys(protects)), tuple(unresolved))

    def _chosen(self, selection: dict[str, Any], region: str) -> tuple[list[str], str]:
        """(ARNs or wildcards one selection chooses, as far as resolved; why the rest was not,
        or "" when it all was)."""
        resources = [str(r) for r in selection.get("Resources") or []]
        excluded = [str(r) for r in selection.get("NotResources") or []]
        tags = selection.get("ListOfTags") or []
        conditions = {op: c for op, c in (selection.get("Conditions") or {}).items() if c}
        why: list[str] = [f"Conditions.{op}" for op in conditions if op not in _RESOLVED_CONDITIONS]
        if not (resources or tags or conditions):
            # "Backup attempts to select all supported and opted-in storage resources" (API
            # reference, BackupSelection); the account's opt-in settings are not read
            return [], "no ARN, tag or condition (every supported, opted-in resource)"
        if tags and conditions:
            why.append("ListOfTags and Conditions together")
        listed: list[tuple[str, str]] = []
        for t in tags:
            key = str(t.get("ConditionKey", ""))
            if t.get("ConditionType") != "STRINGEQUALS" or key.startswith("aws:"):
                # ListOfTags keys are plain tag keys (API reference, Condition); a key with the
                # `aws:` prefix (reserved to AWS, so no tag of ours) might be read as
                # Conditions' `aws:ResourceTag/` form or not: we do not guess which
                why.append(f"ListOfTags {t.get('ConditionType')} {key}")
                continue
            listed.append((key, str(t.get("ConditionValue", ""))))
        equal: list[tuple[str, str]] = []
        for c in conditions.get("StringEquals", []):
            key = str(c.get("ConditionKey", ""))
            if not key.startswith(TAG_KEY):
                why.append(f"Conditions.StringEquals {key}")
                continue
            equal.append((key.removeprefix(TAG_KEY), str(c.get("ConditionValue", ""))))
        chosen: list[str] = []
        try:
            for key, value in listed:  # OR-ed with each other and with Resources
                chosen += self._tagged(region, key, value)
            if equal:  # AND-ed with each other and with Resources
                found = set.intersection(*(set(self._tagged(region, k, v)) for k, v in equal))
                chosen += sorted(a for a in found if not resources or _matches(a, resources))
        except Unread:
            why.append(f"tags ({TAGGING} GetResources failed in {region})")
        if not conditions:
            chosen += resources
        # NOTE: a wildcard of Resources is kept whole even when NotResources takes some of it
        # out: a plan's `protects` cannot exclude, and counting too much protected gives its
        # copies to more resources, never fewer
        kept = [a for a in chosen if "*" in a or not _matches(a, excluded)]
        return kept, ", ".join(dict.fromkeys(why))

    def _tagged(self, region: str, key: str, value: str) -> list[str]:
        """ARNs of the resources of `region` tagged `key`=`value` exactly (case and all: backup
        conditions are case sensitive, and we do not rely on how GetResources compares)."""
        cache = self.__dict__.setdefault("_tagged_cache", {})
        if (region, key, value) not in cache:
            found = self.pages(
                TAGGING,
                region,
                "GetResources",
                "ResourceTagMappingList",
                TagFilters=[{"Key": key, "Values": [value]}],
            )
            cache[region, key, value] = frozenset(
                str(m["ResourceARN"])
                for m in found
                if any(t.get("Key") == key and t.get("Value") == value for t in m.get("Tags") or [])
            )
        return sorted(cache[region, key, value])


def _matches(arn: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(arn, p) for p in patterns)

"""AWS Backup selections that choose resources by tag: the databases so chosen are backed up,
with the plan's copy to us-east-1, as much as those named by ARN.

moto's server holds the databases and their tags (RDS, and the Resource Groups Tagging API's
GetResources); it does not implement backup selections, which botocore's Stubber answers in the
shape of the AWS API reference (BackupSelection: Resources, ListOfTags, Conditions,
NotResources). `discover aws` runs unchanged over HTTP.
"""

from __future__ import annotations

from typing import Any

import boto3

from residency_audit import kb
from residency_audit.collectors.aws import AwsCollector
from residency_audit.collectors.aws_client import Settings
from residency_audit.collectors.observed import Assumptions, build_deployment
from residency_audit.model import CopyKind, Deployment, NotObserved
from tests.collectors.test_aws_stubbed import session, stubbed
from tests.support.moto_server import ACCOUNT, aws, create_postgres, moto_endpoint

__all__ = ["aws", "moto_endpoint", "session", "stubbed"]  # fixtures

PARIS = "eu-west-3"
PLAN = f"arn:aws:backup:{PARIS}:{ACCOUNT}:backup-plan:p1"
DAILY = f"arn:aws:backup:{PARIS}:{ACCOUNT}:backup-vault:daily"
US_VAULT = f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:copies"
ROLE = "arn:aws:iam::123456789012:role/backup"
BOTH = {(CopyKind.BACKUP, PARIS), (CopyKind.BACKUP, "us-east-1")}
"""A database the plan protects: its recovery points in Paris and their copies in us-east-1."""


def db(name: str) -> str:
    return f"arn:aws:rds:{PARIS}:{ACCOUNT}:db:{name}"


def databases(**tags: dict[str, str]) -> None:
    """A PostgreSQL instance in Paris per keyword, with those tags (moto's server)."""
    session = boto3.session.Session()
    for name, tagged in tags.items():
        listed = [{"Key": k, "Value": v} for k, v in tagged.items()]
        create_postgres(session, name, Tags=listed)


def plan_selecting(stubbed: Any, *selections: dict[str, Any]) -> Any:
    """Backup plan `health` of Paris, to its vault there with a copy to us-east-1, with these
    selections (Stubber); returns the Stubber, to add answers after the selections'."""
    backup = stubbed("backup", PARIS)
    listed = {"BackupPlanId": "p1", "BackupPlanArn": PLAN, "BackupPlanName": "health"}
    backup.add_response("list_backup_plans", {"BackupPlansList": [listed]})
    rule = {
        "RuleName": "daily",
        "TargetBackupVaultName": "daily",
        "CopyActions": [{"DestinationBackupVaultArn": US_VAULT}],
    }
    body = {"BackupPlan": {"BackupPlanName": "health", "Rules": [rule]}, "BackupPlanArn": PLAN}
    backup.add_response("get_backup_plan", body)
    backup.add_response(
        "describe_backup_vault", {"BackupVaultName": "daily", "BackupVaultArn": DAILY}
    )
    ids = [{"SelectionId": f"s{n}"} for n in range(1, len(selections) + 1)]
    backup.add_response("list_backup_selections", {"BackupSelectionsList": ids})
    for n, selection in enumerate(selections, 1):
        chosen = {"SelectionName": f"s{n}", "IamRoleArn": ROLE, **selection}
        backup.add_response("get_backup_selection", {"BackupSelection": chosen})
    return backup


def discover(stubbed: Any) -> tuple[Deployment, list[NotObserved]]:
    """`discover aws` of Paris: moto's server for all but AWS Backup (its Stubber)."""
    collector = AwsCollector(
        boto3.session.Session(),
        settings=Settings(max_attempts=1, workers=1),
        clients=stubbed.clients,
    )
    found = collector.collect([PARIS])
    return build_deployment(found, kb.default(), Assumptions()), found.gaps


def copies(observed: Deployment) -> dict[str, set[tuple[CopyKind, str | None]]]:
    return {c.id: {(k.kind, k.region) for k in c.copies} for c in observed.components}


def selection_gaps(gaps: list[NotObserved]) -> list[str]:
    return [g.reason for g in gaps if (g.service, g.call) == ("backup", "GetBackupSelection")]


def test_a_database_chosen_by_tag_has_the_plans_copy_in_us_east_1(aws: str, stubbed: Any) -> None:
    """A selection naming one database and the tag backup=daily (ListOfTags, OR-ed with
    Resources): the tagged health database is backed up to us-east-1 too. Only the named one
    was, and the plan was then dropped: the tagged database's US copies vanished."""
    databases(audit={}, records={"backup": "daily"}, archive={"backup": "weekly"})
    tagged = [
        {"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"}
    ]
    plan_selecting(stubbed, {"Resources": [db("audit")], "ListOfTags": tagged})
    observed, gaps = discover(stubbed)
    assert copies(observed) == {"rds-audit": BOTH, "rds-records": BOTH, "rds-archive": set()}
    assert selection_gaps(gaps) == []


def test_conditions_are_and_ed_with_resources_and_not_resources_excluded(
    aws: str, stubbed: Any
) -> None:
    """Conditions.StringEquals (AND-ed with each other and with Resources) less NotResources:
    of every database, those tagged backup=daily and data=health, but `scratch`."""
    health = {"backup": "daily", "data": "health"}
    databases(records=health, scratch=health, archive={"backup": "daily"}, other={})
    equals = [
        {"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "daily"},
        {"ConditionKey": "aws:ResourceTag/data", "ConditionValue": "health"},
    ]
    plan_selecting(
        stubbed,
        {
            "Resources": [f"arn:aws:rds:*:{ACCOUNT}:db:*"],
            "Conditions": {"StringEquals": equals},
            "NotResources": [db("scratch")],
        },
    )
    observed, gaps = discover(stubbed)
    assert copies(observed) == {
        "rds-records": BOTH,
        "rds-scratch": set(),
        "rds-archive": set(),
        "rds-other": set(),
    }
    assert selection_gaps(gaps) == []


def test_a_selection_by_string_like_is_a_gap_and_the_plan_keeps_its_copies(
    aws: str, stubbed: Any
) -> None:
    """A StringLike condition is not resolved: a gap names the selection, and the plan stays a
    component with its copy to us-east-1 once the named database has its own."""
    databases(audit={}, records={"backup": "daily"})
    like = {"StringLike": [{"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "dai*"}]}
    plan_selecting(stubbed, {"Resources": [db("audit")]}, {"Conditions": like})
    observed, gaps = discover(stubbed)
    assert copies(observed) == {
        "rds-audit": BOTH,
        "rds-records": set(),
        "backup-eu-west-3-health": BOTH,
    }
    assert selection_gaps(gaps) == [
        "not queried: the resources it chooses by Conditions.StringLike were not resolved, so "
        "its plan's copies stay the plan's for selection s2 of backup plan p1"
    ]


def test_tags_not_readable_are_gaps_and_the_plan_keeps_its_copies(aws: str, stubbed: Any) -> None:
    """GetResources refused: the tagging gap names tag:GetResources, the selection's gap names
    it, and the plan keeps its copies (the database it names by ARN gets them too)."""
    databases(audit={}, records={"backup": "daily"})
    tagged = [
        {"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"}
    ]
    plan_selecting(stubbed, {"Resources": [db("audit")], "ListOfTags": tagged})
    tagging = stubbed("resourcegroupstaggingapi", PARIS)
    tagging.add_client_error("get_resources", "AccessDeniedException", http_status_code=400)
    observed, gaps = discover(stubbed)
    assert copies(observed) == {
        "rds-audit": BOTH,
        "rds-records": set(),
        "backup-eu-west-3-health": BOTH,
    }
    refused = [g for g in gaps if g.service == "resourcegroupstaggingapi"]
    assert [(g.call, g.region, g.permission) for g in refused] == [
        ("GetResources", PARIS, "tag:GetResources")
    ]
    assert selection_gaps(gaps) == [
        "not queried: the resources it chooses by tags (resourcegroupstaggingapi GetResources "
        "failed in eu-west-3) were not resolved, so its plan's copies stay the plan's for "
        "selection s1 of backup plan p1"
    ]

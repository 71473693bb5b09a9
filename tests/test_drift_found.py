"""DRIFT-RES-02 finds a listed resource where the observation holds it, and says "missing" only
of what the observation looked for.

A replica folded into its source's copies is held; a name is a resource's within its service;
an account whose role could not be assumed read nothing, and an ARN of an account no observed
file is for was not looked for: neither shows a component missing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from residency_audit import kb
from residency_audit.clock import utc_today
from residency_audit.collectors.observed import Assumptions, Discovery, build_deployment
from residency_audit.drift import drift_subjects
from residency_audit.drift_found import found_components
from residency_audit.format import load_deployment
from residency_audit.format.dump import dump_deployment
from residency_audit.model import NotObserved
from tests.conftest import ROOT
from tests.test_declared_not_observed import (
    ACCOUNT,
    DECLARED,
    READ_ALL,
    check,
    fact,
    listing,
    observed_text,
    rule,
    write,
)

OTHER = "210987654321"


def refused_account(tmp_path: Path) -> Path:
    """The file `discover aws --all-accounts --region eu-west-3` writes for an account whose
    role it could not assume: the regions it was asked to read, no service read, one gap."""
    refused = NotObserved(
        service="sts",
        call="AssumeRole",
        region="us-east-1",
        reason=f"access denied (AccessDenied) for arn:aws:iam::{OTHER}:role/reader",
        permission="sts:AssumeRole",
    )
    nothing = Discovery(
        account=OTHER,
        partition="aws",
        started_at="2026-11-20T10:00:00Z",
        regions=("eu-west-3",),
        gaps=[refused],
    )
    built = build_deployment(nothing, kb.default(), Assumptions())
    return write(tmp_path, f"{OTHER}.yaml", dump_deployment(built))


def accounts(findings: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    return sorted(
        (f["component"], fact(f, "observation.account")["value"], f["unverifiable"])
        for f in findings
    )


def test_an_account_whose_role_could_not_be_assumed_shows_nothing_missing(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: the refused account's file (regions: [eu-west-3], nothing read) made DRIFT-RES-02
    say "not found in account 210987654321: the observation read s3 in eu-west-3". It read
    nothing: its refusal is DRIFT-OBS-01's, and only the account that was read reports the
    bucket and the database it looked for and did not find."""
    decl = write(tmp_path, "declared.yaml", listing("patients-eu", "patients-archive"))
    read = write(tmp_path, "read.yaml", observed_text())
    report = check(
        runner, str(decl), "--observed", str(read), "--observed", str(refused_account(tmp_path))
    )
    assert accounts(rule(report, "DRIFT-RES-02")) == [
        ("documents", ACCOUNT, False),
        ("records-db", ACCOUNT, False),
    ]
    [gap] = rule(report, "DRIFT-OBS-01")
    assert gap["message"].startswith("not observed: sts AssumeRole")
    # what the refused account's file says claims no read
    about_it = [f for f in report["findings"] if f"account {OTHER}" in f["message"]]
    assert about_it, report["findings"]
    assert not [f for f in about_it if "the observation read" in f["message"]]


def test_a_refused_account_read_no_region_and_its_gap_may_hide_every_component(
    tmp_path: Path,
) -> None:
    """The facts the rules read, for the refused account's file: the declared region was not
    read there (whatever regions the file names), and its refusal may hide the bucket, cited
    at the gap's line; the bucket found in the other account was read, there."""
    decl = write(tmp_path, "declared.yaml", listing("patients-eu", "patients-archive"))
    read = write(tmp_path, "read.yaml", observed_text())
    declared, _ = load_deployment(decl)
    seen, refused = (load_deployment(p)[0] for p in (read, refused_account(tmp_path)))
    found = found_components([declared], [seen, refused])
    knowledge = kb.default()
    [subject] = [
        s
        for _, s in drift_subjects([declared], refused, knowledge, utc_today(), found=found)
        if s.component == "documents" and s.facts["observation.subject"].value == "service"
    ]
    facts = subject.facts
    assert facts["observation.region_read"].value is False
    assert "role could not be assumed" in facts["observation.region_read"].origin
    assert facts["observation.component_gap"].value is True
    gap = refused.locations["observation.not_observed[0]"]
    assert facts["observation.component_gap"].origin == str(gap)
    assert facts["observation.service_read"].value is True


READ_ON = dt.date(2026, 11, 29)
"""The day tests/fixtures/observed/s3-replicas.yaml was read: the audit day of its tests."""


def test_a_listed_replica_bucket_is_found(tmp_path: Path, runner: CliRunner) -> None:
    """QA: a declaration listing the replica bucket patients-dr, which the observation holds as
    the copy of patients-eu (and of plain-eu) replicated to it, reported patients-dr missing:
    replicas are folded into their source's copies. A bucket held by no file is still named."""
    fixture = (ROOT / "tests/fixtures/observed/s3-replicas.yaml").read_text(encoding="utf-8")
    seen = write(tmp_path, "observed.yaml", fixture + f"  services_read: {READ_ALL}\n")
    decl = write(tmp_path, "declared.yaml", listing("patients-eu", "patients-dr", "plain-eu"))
    documents = [
        f
        for f in rule(
            check(runner, str(decl), "--observed", str(seen), as_of=READ_ON), "DRIFT-RES-02"
        )
        if f["component"] == "documents"
    ]
    assert documents == []

    write(tmp_path, "declared.yaml", listing("patients-eu", "patients-dr", "patients-gone"))
    [finding] = [
        f
        for f in rule(
            check(runner, str(decl), "--observed", str(seen), as_of=READ_ON), "DRIFT-RES-02"
        )
        if f["component"] == "documents"
    ]
    assert fact(finding, "observation.not_found")["value"] == ["patients-gone"]


TABLE = f"arn:aws:dynamodb:eu-west-3:{ACCOUNT}:table/orders"
DB = f"arn:aws:rds:eu-west-3:{ACCOUNT}:db:records"

REPLICATED = {
    # a global table read in eu-west-3, its replica in eu-central-1 bearing its name
    "dynamodb": (
        TABLE,
        "dynamodb",
        "DescribeTable",
        "Replica RegionName=eu-central-1 ReplicaStatus=ACTIVE Key=unknown",
        TABLE.replace("eu-west-3", "eu-central-1"),
    ),
    # an RDS instance and its cross-region read replica
    "rds": (
        DB,
        "rds",
        "DescribeDBInstances",
        f"ReadReplicaDBInstanceIdentifiers={DB.replace('eu-west-3', 'eu-central-1')}-ro",
        f"{DB.replace('eu-west-3', 'eu-central-1')}-ro",
    ),
}


def replicated(service: str) -> tuple[str, str]:
    """(observed component of `service` with a replica in eu-central-1, the replica's ARN)."""
    arn, api, call, detail, target = REPLICATED[service]
    component = (
        f"  - id: {service}-primary\n"
        "    kind: datastore\n"
        "    provider: aws\n"
        f"    service: {service}\n"
        "    region: eu-west-3\n"
        f'    resources: ["{arn}"]\n'
        "    copies:\n"
        "      - kind: replica\n"
        "        region: eu-central-1\n"
        f'        account: "{ACCOUNT}"\n'
        f"        evidence: {{service: {api}, call: {call}, observed_at: "
        f'"2026-11-20T10:00:00Z", region: eu-west-3, resource: "{arn}", detail: "{detail}"}}\n'
    )
    text = observed_text().replace("components:\n", "components:\n" + component)
    return text.replace("regions: [eu-west-3]", "regions: [eu-central-1, eu-west-3]"), target


@pytest.mark.parametrize("service", sorted(REPLICATED))
def test_a_listed_table_or_database_replica_is_found(
    service: str, tmp_path: Path, runner: CliRunner
) -> None:
    """A DynamoDB global-table replica and an RDS read replica are folded into their source's
    copies too: listed by their ARN, they are found; an ARN the observation holds nowhere,
    in the same region, is not."""
    text, replica = replicated(service)
    seen = write(tmp_path, "observed.yaml", text)
    component = (
        "  - id: replicated\n    kind: datastore\n    provider: aws\n"
        f"    operator: aws-emea\n    service: {service}\n    region: eu-west-3\n"
        f'    resources: ["{REPLICATED[service][0]}", "{replica}"]\n'
    )
    declaration = DECLARED.replace("{region}", "eu-west-3") + component
    decl = write(tmp_path, "declared.yaml", declaration)
    res02 = rule(check(runner, str(decl), "--observed", str(seen)), "DRIFT-RES-02")
    assert "replicated" not in [f["component"] for f in res02]

    gone = replica.replace(replica.rsplit(":", 1)[-1], "gone")
    write(tmp_path, "declared.yaml", declaration.replace(replica, gone))
    res02 = rule(check(runner, str(decl), "--observed", str(seen)), "DRIFT-RES-02")
    [finding] = [f for f in res02 if f["component"] == "replicated"]
    assert fact(finding, "observation.not_found")["value"] == [gone]


def test_a_listed_name_is_found_only_by_a_resource_of_its_service(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: an S3 component listing [patients-eu, records] passed because an RDS instance is
    named records: names are per service. The bucket records is reported missing, and the
    instance stands for the declared database, not for the bucket list."""
    decl = write(tmp_path, "declared.yaml", listing("patients-eu", "records"))
    seen = write(tmp_path, "observed.yaml", observed_text(database=True))
    report = check(runner, str(decl), "--observed", str(seen))
    [finding] = rule(report, "DRIFT-RES-02")
    assert (finding["component"], finding["unverifiable"]) == ("documents", False)
    assert fact(finding, "observation.not_found")["value"] == ["records"]
    assert rule(report, "DRIFT-RES-01") == []


def test_an_arn_of_another_service_is_not_called_missing(tmp_path: Path, runner: CliRunner) -> None:
    """QA: an S3 component listing an RDS ARN was "not found ... the observation read s3":
    no bucket can have that ARN, so nothing looked for it. Cannot be verified, saying why."""
    decl = write(tmp_path, "declared.yaml", listing("patients-eu", DB))
    seen = write(tmp_path, "observed.yaml", observed_text(database=True))
    [finding] = rule(check(runner, str(decl), "--observed", str(seen)), "DRIFT-RES-02")
    assert (finding["component"], finding["unverifiable"]) == ("documents", True)
    source = fact(finding, "observation.found")["source"]
    assert f"{DB} (an ARN of rds, not of the component's service s3)" in source, source


def test_a_listed_arn_of_an_account_not_observed_was_not_looked_for(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: a database listed by an ARN of account 999999999999, with only 123456789012
    observed, was reported "not found in account 123456789012": it was not looked for, as an
    ARN of a region not read. Cannot be verified, claiming no read; with that account's file
    in the run, which read RDS there and holds no such instance, it is missing."""
    elsewhere = "999999999999"
    arn = f"arn:aws:rds:eu-west-3:{elsewhere}:db:records"
    text = DECLARED.replace("{region}", "eu-west-3") + f'    resources: ["{arn}"]\n'
    decl = write(tmp_path, "declared.yaml", text)
    seen = write(tmp_path, "observed.yaml", observed_text(database=True))
    [finding] = rule(check(runner, str(decl), "--observed", str(seen)), "DRIFT-RES-02")
    assert (finding["component"], finding["unverifiable"]) == ("records-db", True)
    assert "the observation read" not in finding["message"]
    source = fact(finding, "observation.found")["source"]
    assert f"{arn} (in account {elsewhere}, which no observed file is for)" in source, source

    other = write(tmp_path, "other.yaml", observed_text(elsewhere))
    report = check(runner, str(decl), "--observed", str(seen), "--observed", str(other))
    assert ("records-db", elsewhere, False) in accounts(rule(report, "DRIFT-RES-02"))


def test_a_listed_arn_is_looked_for_only_in_its_own_accounts_files(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: with two accounts' files in one run, a database listed by an ARN of the first was
    also reported "not found in account 210987654321": that account cannot hold it. It is
    missing from its own account only, and a listed ARN in a region its account's file did
    not read cannot be verified there, and is nobody else's to report."""
    arn = f"arn:aws:rds:eu-west-3:{ACCOUNT}:db:records"
    text = DECLARED.replace("{region}", "eu-west-3") + f'    resources: ["{arn}"]\n'
    decl = write(tmp_path, "declared.yaml", text)
    first = write(tmp_path, "first.yaml", observed_text())
    second = write(tmp_path, "second.yaml", observed_text(OTHER, database=True))
    both = ("--observed", str(first), "--observed", str(second))
    report = check(runner, str(decl), *both)
    [finding] = rule(report, "DRIFT-RES-02")
    assert accounts([finding]) == [("records-db", ACCOUNT, False)]
    assert finding["message"].startswith(
        f"declared component records-db (rds in eu-west-3) was not found in account {ACCOUNT}"
    )

    # the second account's file does not judge it at all: a check passing there (a JUnit
    # case) would sit beside its failure in the first account's file
    judging = [c for c in report["checks"] if "DRIFT-RES-02" in c["rules"]]
    assert [c["subject"] for c in judging if c["component"] == "records-db"] == [
        "observation:service rds of records-db"
    ]
    declared, _ = load_deployment(decl)
    seen = [load_deployment(p)[0] for p in (first, second)]
    found = found_components([declared], seen)
    judged = drift_subjects([declared], seen[1], kb.default(), utc_today(), found=found)
    assert not [s for _, s in judged if s.component == "records-db"]

    # in a region the first account's file did not read: not looked for there, nor missing
    elsewhere = arn.replace("eu-west-3", "eu-central-1")
    write(tmp_path, "declared.yaml", text.replace(arn, elsewhere))
    [finding] = rule(check(runner, str(decl), *both), "DRIFT-RES-02")
    assert accounts([finding]) == [("records-db", ACCOUNT, True)]
    source = fact(finding, "observation.found")["source"]
    assert f"{elsewhere} (in eu-central-1, a region not read)" in source, source


def test_a_component_of_another_account_is_not_judged_here_even_when_part_of_it_is_found(
    tmp_path: Path, runner: CliRunner
) -> None:
    """QA: the first account's file holds one of the two databases records-db lists and not
    the other; the second account's file still passed it in JUnit (`#2`) beside the failure,
    because only ARNs not found counted as another account's."""
    held = f"arn:aws:rds:eu-west-3:{ACCOUNT}:db:records"
    gone = f"arn:aws:rds:eu-west-3:{ACCOUNT}:db:gone"
    text = DECLARED.replace("{region}", "eu-west-3") + f'    resources: ["{held}", "{gone}"]\n'
    decl = write(tmp_path, "declared.yaml", text)
    first = write(tmp_path, "first.yaml", observed_text(database=True))
    second = write(tmp_path, "second.yaml", observed_text(OTHER))
    report = check(runner, str(decl), "--observed", str(first), "--observed", str(second))
    [finding] = rule(report, "DRIFT-RES-02")
    assert accounts([finding]) == [("records-db", ACCOUNT, False)]
    judging = [c for c in report["checks"] if "DRIFT-RES-02" in c["rules"]]
    assert [c["subject"] for c in judging if c["component"] == "records-db"] == [
        "observation:service rds of records-db"
    ]

"""Sharing in observed files: what `shared_with` says (or does not) becomes DRIFT-SHARE-01 and
DRIFT-SHARE-02 findings, whether the observation is audited alone or compared with a
declaration; a file written before sharing was read is "cannot be verified", never a pass."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from residency_audit import kb
from residency_audit.cli import app
from residency_audit.collectors.observed import (
    Assumptions,
    Discovery,
    ObservedCopy,
    ObservedResource,
    build_deployment,
)
from residency_audit.model import ComponentKind, CopyKind, Evidence
from residency_audit.sharing import _through
from tests.conftest import FIXTURES

OBSERVED = FIXTURES / "observed"
LEGACY = OBSERVED / "s3-replicas.yaml"
"""Written before sharing was read: no `shared_with` anywhere."""
AS_OF = "2026-11-29"


def share_findings(runner: CliRunner, *args: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["check", *args, "--as-of", AS_OF, "-f", "json"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    return [f for f in report["findings"] if f["rule_id"].startswith("DRIFT-SHARE")]


def with_sharing(tmp_path: Path, **shares: str) -> Path:
    """The legacy observation with `shared_with: <flow list>` added to the named components."""
    lines = []
    for line in LEGACY.read_text(encoding="utf-8").splitlines():
        lines.append(line)
        for component, value in shares.items():
            if line == f"- id: {component}":
                lines.append(f"  shared_with: {value}")
    path = tmp_path / "observed.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("declared", [False, True], ids=["alone", "with-declaration"])
def test_a_file_written_before_sharing_was_read_cannot_be_verified(
    runner: CliRunner, declared: bool
) -> None:
    assert "shared_with" not in LEGACY.read_text(encoding="utf-8")
    args = [str(OBSERVED / "s3-declared.yaml"), "--observed", str(LEGACY)] if declared else []
    found = share_findings(runner, *(args or [str(LEGACY)]))
    # both rules: whether it is public, and whether it is shared with another account
    assert sorted((f["rule_id"], f["component"], f["unverifiable"]) for f in found) == [
        ("DRIFT-SHARE-01", "s3-patients-eu", True),
        ("DRIFT-SHARE-01", "s3-plain-eu", True),
        ("DRIFT-SHARE-02", "s3-patients-eu", True),
        ("DRIFT-SHARE-02", "s3-plain-eu", True),
    ]
    assert all("no shared_with recorded" in f["message"] for f in found)
    assert all(f["location"]["path"] == str(LEGACY) for f in found)


def test_shares_written_in_the_file_are_findings_at_their_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = with_sharing(
        tmp_path, **{"s3-patients-eu": "[public, '210987654321']", "s3-plain-eu": "[]"}
    )
    found = share_findings(runner, str(path))
    got = sorted((f["rule_id"], f["severity"], f["component"], f["unverifiable"]) for f in found)
    assert got == [
        ("DRIFT-SHARE-01", "critical", "s3-patients-eu", False),
        ("DRIFT-SHARE-02", "high", "s3-patients-eu", False),
    ]
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines) if "shared_with: [public" in text)
    assert {f["location"]["line"] for f in found} == {line}  # the component's `- id:` line


@pytest.mark.parametrize("declared", [False, True], ids=["alone", "with-declaration"])
def test_a_word_outside_the_vocabulary_is_an_input_error_at_its_place(
    runner: CliRunner, tmp_path: Path, declared: bool
) -> None:
    """`pubilc` is neither public nor an account id: judged as an account it would hide a
    public store under a high finding; it is refused at its line and column, exit 2."""
    path = with_sharing(tmp_path, **{"s3-patients-eu": "[pubilc]"})
    args = [str(OBSERVED / "s3-declared.yaml"), "--observed", str(path)] if declared else []
    result = runner.invoke(app, ["check", *(args or [str(path)]), "--as-of", AS_OF])
    assert result.exit_code == 2, result.output
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "shared_with: [pubilc]" in text)
    assert (
        f"{path}:{line}:17: error: components[0].shared_with[0]: 'pubilc' is not public, "
        "unknown, a 12-digit account id or canonical-user:<64 hex digits>"
    ) in result.output


def test_unknown_sharing_is_not_shared_with_no_one(runner: CliRunner, tmp_path: Path) -> None:
    path = with_sharing(tmp_path, **{"s3-patients-eu": "[unknown]", "s3-plain-eu": "[]"})
    found = share_findings(runner, str(path))
    assert sorted((f["rule_id"], f["component"], f["unverifiable"]) for f in found) == [
        ("DRIFT-SHARE-01", "s3-patients-eu", True),
        ("DRIFT-SHARE-02", "s3-patients-eu", True),
    ]
    assert all("refused, failed or not made" in f["message"] for f in found)


def evidence(resource: str) -> Evidence:
    return Evidence("s3", "GetBucketLocation", "2026-11-29T05:22:42Z", "eu-west-3", resource)


def test_a_public_replica_bucket_makes_its_source_public() -> None:
    """A replica bucket of the account is folded into its source: whoever can read the replica
    reads the source's data, so the source's sharing includes it, and an unread replica's
    sharing leaves the source's unknown."""
    source = ObservedResource(
        "s3",
        ComponentKind.DATASTORE,
        "patients-eu",
        "arn:aws:s3:::patients-eu",
        "eu-west-3",
        evidence("arn:aws:s3:::patients-eu"),
        copies=[
            ObservedCopy(
                CopyKind.REPLICA, "us-east-1", evidence("x"), target="arn:aws:s3:::patients-dr"
            )
        ],
        shared_with=(),
    )
    replica = ObservedResource(
        "s3",
        ComponentKind.DATASTORE,
        "patients-dr",
        "arn:aws:s3:::patients-dr",
        "us-east-1",
        replace(evidence("arn:aws:s3:::patients-dr"), detail="SharedThrough=bucket-acl:public"),
        shared_with=("public",),
    )
    found = Discovery("123456789012", "aws", "2026-11-29T05:22:42Z", ("eu-west-3", "us-east-1"))
    found.resources = [source, replica]
    built = build_deployment(found, kb.default(), Assumptions())
    assert [(c.id, c.shared_with) for c in built.components] == [("s3-patients-eu", ("public",))]
    # the finding about the source names the replica that makes it public (QA: it said "a
    # grant its evidence does not name")
    [component] = built.components
    assert component.evidence is not None
    assert "SharedThrough=replica-patients-dr:public" in str(component.evidence.detail)
    assert _through(component, "public") == "its replica patients-dr (folded into this store)"


def edited(tmp_path: Path, path: Path, *replacements: tuple[str, str]) -> Path:
    """`path` with each (old line, new line) replaced once: the edit a hand makes."""
    text = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    out = tmp_path / f"edited-{path.name}"
    out.write_text(text, encoding="utf-8")
    return out


@pytest.mark.parametrize("service", ["S3", "rds"])
def test_a_file_stating_a_share_is_judged_whatever_the_service_spelling(
    runner: CliRunner, tmp_path: Path, service: str
) -> None:
    """`S3` is the S3 drift compares with `s3`; `rds` sharing is not read by `discover`, but a
    file saying a store is public must never give silence."""
    shared = with_sharing(tmp_path, **{"s3-patients-eu": "[public, '210987654321']"})
    path = edited(tmp_path, shared, ("  service: s3\n", f"  service: {service}\n"))
    found = share_findings(runner, str(path))
    got = sorted((f["rule_id"], f["component"], f["unverifiable"]) for f in found)
    assert got == [
        ("DRIFT-SHARE-01", "s3-patients-eu", False),
        ("DRIFT-SHARE-01", "s3-plain-eu", True),  # says nothing: cannot be verified
        ("DRIFT-SHARE-02", "s3-patients-eu", False),
        ("DRIFT-SHARE-02", "s3-plain-eu", True),
    ]


def test_a_share_listed_twice_is_an_input_error_at_its_place(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = with_sharing(tmp_path, **{"s3-patients-eu": "[public, public]"})
    result = runner.invoke(app, ["check", str(path), "--as-of", AS_OF])
    assert result.exit_code == 2, result.output
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "shared_with: [public, public]" in text)
    assert (
        f"{path}:{line}:25: error: components[0].shared_with[1]: 'public' is listed twice; "
        "list each share once"
    ) in result.output


def test_shared_with_in_a_declared_deployment_is_an_input_error_at_its_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A declaration says what should be; only an observation says who a store is shared
    with: ignored there, `[public]` (or a misspelt `[pubilc]`) would give silence."""
    declared = OBSERVED / "s3-declared.yaml"
    path = edited(
        tmp_path,
        declared,
        (
            "    resources: [patients-eu]\n",
            "    resources: [patients-eu]\n    shared_with: [pubilc, public]\n",
        ),
    )
    result = runner.invoke(app, ["check", str(path), "--observed", str(LEGACY), "--as-of", AS_OF])
    assert result.exit_code == 2, result.output
    line = path.read_text(encoding="utf-8").splitlines().index("    shared_with: [pubilc, public]")
    assert (
        f"{path}:{line + 1}:18: error: components[0].shared_with: only an observed deployment"
    ) in result.output


def test_a_finding_names_what_shares_the_store(runner: CliRunner, tmp_path: Path) -> None:
    """The evidence detail `discover` writes names the ACL, policy, snapshot or AMI behind
    each share; a file without it (older) still reads, and says it is not recorded."""
    shared = with_sharing(
        tmp_path, **{"s3-patients-eu": "[public, '210987654321']", "s3-plain-eu": "[public]"}
    )
    detail = "    detail: LocationConstraint=eu-west-3\n"
    path = edited(
        tmp_path,
        shared,
        (
            detail,
            detail.rstrip("\n")
            + " SharedThrough=bucket-acl:public,bucket-policy:210987654321,object-acls:unknown\n",
        ),
    )
    found = share_findings(runner, str(path))
    messages = {(f["rule_id"], f["component"]): f["message"] for f in found}
    assert "is public through the bucket ACL:" in messages["DRIFT-SHARE-01", "s3-patients-eu"]
    assert (
        "shared with account 210987654321 through the bucket policy,"
        in messages["DRIFT-SHARE-02", "s3-patients-eu"]
    )
    assert (
        "is public through a grant its evidence does not name"
        in messages["DRIFT-SHARE-01", "s3-plain-eu"]
    )
    public = next(
        f for f in found if (f["rule_id"], f["component"]) == ("DRIFT-SHARE-01", "s3-patients-eu")
    )
    assert any("SharedThrough=bucket-acl:public" in fact["source"] for fact in public["facts"]), (
        public["facts"]
    )


def test_a_hand_written_share_of_an_unknown_kind_is_named_as_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    """`SharedThrough=` pairs come from `discover`, but a file may be written by hand: a kind
    the tool does not know is named as it is written, never a crash (exit 3)."""
    shared = with_sharing(tmp_path, **{"s3-patients-eu": "[public]"})
    detail = "    detail: LocationConstraint=eu-west-3\n"
    path = edited(
        tmp_path,
        shared,
        (detail, detail.rstrip("\n") + " SharedThrough=access-point:public\n"),
    )
    [found] = [f for f in share_findings(runner, str(path)) if f["component"] == "s3-patients-eu"]
    assert "is public through access-point:" in found["message"]


def test_the_observed_account_itself_is_not_a_share(runner: CliRunner, tmp_path: Path) -> None:
    """QA: `shared_with: ["<the observed account>"]` gave "shared with account X ... outside
    the observed account X": an input error at its place instead."""
    account = "123456789012"
    assert f"  account: '{account}'" in LEGACY.read_text(encoding="utf-8")
    path = with_sharing(tmp_path, **{"s3-patients-eu": f"['{account}']"})
    result = runner.invoke(app, ["check", str(path), "--as-of", AS_OF])
    assert result.exit_code == 2, result.output
    assert "is the observed account itself" in result.output

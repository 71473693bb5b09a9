"""A key finding cites where the observed file says what it found: a store read unencrypted
cites the store's evidence, an unread key the gap naming the store, a copy's unread key the
`Key=` token of its evidence. And a `Key=` token is read in any spelling, and refused unless
written `Key=<id>`, as are keys bearing the reserved ids `unknown` and `none`.
Against moto's server over HTTP, and botocore's Stubber for a global table's replica.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.clock import utc_today
from residency_audit.format import load_deployment
from tests.collectors.test_aws_copy_keys import declared, observed_table
from tests.collectors.test_aws_discovery import discover, line_after
from tests.collectors.test_aws_key_drift import DECLARED, findings, unread_bucket_key
from tests.collectors.test_aws_stubbed import session, stubbed
from tests.support.moto_server import aws, create_postgres, moto_endpoint

__all__ = ["aws", "moto_endpoint", "session", "stubbed"]  # fixtures


def sources(found: dict[str, Any]) -> dict[str, str]:
    return {f["path"]: f["source"] for f in found["facts"]}


def test_a_store_read_unencrypted_cites_the_observed_evidence(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """DRIFT-KEY-01 for an RDS instance read with no encryption cited only "derived: ..."
    facts: a reader of the report could not find where the absence was observed, nor when."""
    create_postgres(boto3.session.Session(), "records")
    out = tmp_path / "observed.yaml"
    assert discover("--region", "eu-west-3", "-o", str(out)).returncode == 0
    (found,) = [
        f
        for f in findings(runner, str(DECLARED), "--observed", str(out))
        if f["rule_id"] == "DRIFT-KEY-01"
    ]
    observed, _ = load_deployment(out)
    oi = next(i for i, c in enumerate(observed.components) if c.service == "rds")
    where = str(observed.locations[f"components[{oi}]"])
    assert where.startswith(f"{out}:"), where
    source = sources(found)["observation.subject"]
    assert source.startswith(f"{where} (observed: rds DescribeDBInstances in eu-west-3 at ")
    assert "was read: there is none" in source


def test_an_unread_key_cites_the_gap_naming_its_store(
    aws: str, tmp_path: Path, runner: CliRunner
) -> None:
    """The bucket's encryption was refused: the key finding cites the `not_observed` entry
    that says so, at its line."""
    out = tmp_path / "observed.yaml"
    unread_bucket_key(aws, out)
    (found,) = [
        f
        for f in findings(runner, str(DECLARED), "--observed", str(out))
        if f["rule_id"] == "DRIFT-KEY-01"
    ]
    assert found["unverifiable"] is True
    line = line_after(out, "not_observed:", "call: GetBucketEncryption")
    source = sources(found)["observation.subject"]
    assert source.startswith(f"{out}:{line - 1}:"), source
    assert "(not observed: s3 GetBucketEncryption in eu-west-3)" in source


def test_a_copys_unread_key_cites_its_evidence_detail(
    session: Any, stubbed: Any, tmp_path: Path, runner: CliRunner
) -> None:
    """A global-table replica whose key is `Key=unknown`: its key finding cites the replica's
    evidence detail, where the token is."""
    path = observed_table(session, stubbed, tmp_path / "observed.yaml", {"RegionName": "us-east-1"})
    (found,) = [
        f
        for f in findings(runner, str(declared(tmp_path)), "--observed", str(path))
        if f["rule_id"] == "DRIFT-KEY-01"
    ]
    line = line_after(path, "Replica RegionName=us-east-1", "Key=unknown")
    column = path.read_text().splitlines()[line - 1].index("detail:") + len("detail: ") + 1
    source = sources(found)["observation.subject"]
    assert source.startswith(f"{path}:{line}:{column} (observed: dynamodb DescribeTable "), source


@pytest.mark.parametrize("token", ["key=ghost", "KEY=ghost", "Key =ghost", "key = unknown"])
def test_a_key_token_spelled_otherwise_is_refused(
    session: Any, stubbed: Any, tmp_path: Path, runner: CliRunner, token: str
) -> None:
    """`key=ghost` was ignored (the prefix was matched case-sensitively): the replica was
    judged on its table's key while `Key=ghost` was refused. Any spelling is a key named."""
    path = observed_table(session, stubbed, tmp_path / "observed.yaml", {"RegionName": "us-east-1"})
    path.write_text(path.read_text().replace("Key=unknown", token))
    line = line_after(path, "Replica RegionName=us-east-1", token)
    column = path.read_text().splitlines()[line - 1].index("detail:") + len("detail: ") + 1
    for args in ([str(declared(tmp_path)), "--observed", str(path)], [str(path)]):
        result = runner.invoke(app, ["check", *args, "--as-of", str(utc_today())])
        assert result.exit_code == 2, result.output
        assert (
            f"{path}:{line}:{column}: error: components[0].copies[0].evidence.detail: "
            f"names a key as {token.replace(' ', '')!r}"
        ) in result.stderr.replace(" =", "=").replace("= ", "=")
        assert "write it Key=<id>" in result.stderr


@pytest.mark.parametrize("reserved", ["unknown", "none"])
def test_a_key_bearing_a_reserved_id_is_refused(
    session: Any, stubbed: Any, tmp_path: Path, runner: CliRunner, reserved: str
) -> None:
    """`Key=unknown` means a key not read, and drift's `none` no encryption: a key of the
    file named so would be read as one of those."""
    path = observed_table(session, stubbed, tmp_path / "observed.yaml", {"RegionName": "us-east-1"})
    text = path.read_text()
    assert text.count("- id: kms2") == 1
    path.write_text(text.replace("- id: kms2", f"- id: {reserved}"))
    line = line_after(path, f"- id: {reserved}", f"id: {reserved}")
    result = runner.invoke(app, ["check", str(path), "--as-of", str(utc_today())])
    assert result.exit_code == 2, result.output
    assert f"{path}:{line}:" in result.stderr
    assert f"'{reserved}' is reserved in an observed file" in result.stderr

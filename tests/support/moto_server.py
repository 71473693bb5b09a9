"""moto's ThreadedMotoServer on 127.0.0.1, reached over HTTP through AWS_ENDPOINT_URL."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import in_ci

ACCOUNT = "123456789012"
"""moto's default account id."""


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:  # pragma: no cover - depends on the machine
        if in_ci():
            pytest.fail("moto (with flask and flask-cors) is required in CI")
        pytest.skip("moto is not installed: pip install moto flask flask-cors")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def aws_env(endpoint: str) -> dict[str, str]:
    """Dummy credentials and the endpoint, isolated from the user's AWS configuration."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def post(endpoint: str, path: str, body: bytes = b"") -> None:
    # text/plain: werkzeug would parse a form body away from moto's `request.data`
    request = urllib.request.Request(
        endpoint + path, data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    urllib.request.urlopen(request)


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A clean moto account; the environment points boto3 (and child processes) at it."""
    post(moto_endpoint, "/moto-api/reset")
    for key, value in aws_env(moto_endpoint).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    return moto_endpoint


def create_postgres(session: Any, name: str, region: str = "eu-west-3", **extra: Any) -> Any:
    """A small PostgreSQL RDS instance in moto; `extra` adds CreateDBInstance parameters."""
    return session.client("rds", region_name=region).create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin1",
        MasterUserPassword="password123",
        AllocatedStorage=20,
        **extra,
    )["DBInstance"]


def create_postgres_with_replica(session: Any, name: str, replica_region: str) -> None:
    """PostgreSQL instance `name` in eu-west-3 with a read replica `<name>-replica` in
    `replica_region`."""
    db = create_postgres(session, name)
    session.client("rds", region_name=replica_region).create_db_instance_read_replica(
        DBInstanceIdentifier=f"{name}-replica",
        SourceDBInstanceIdentifier=db["DBInstanceArn"],
        DBInstanceClass="db.t3.micro",
    )

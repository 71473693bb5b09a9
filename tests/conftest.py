"""Shared fixtures: the bundled knowledge base, a fixed audit date, and a CLI runner."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit import kb
from tests.support.dns_server import INSTALL_HINT, DnsServer, running_unbound, unbound_path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_configs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
AS_OF = dt.date(2026, 11, 28)
"""Tests pin the audit date so that they keep their meaning as the law moves on."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current output (review the diff!).",
    )


@pytest.fixture(scope="session")
def knowledge() -> kb.KnowledgeBase:
    return kb.default()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def in_ci() -> bool:
    """In CI a test whose real server is missing must fail, never skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config: pytest.Config) -> None:
    """Keep the parse cache of test runs out of the user's home directory."""
    import tempfile

    os.environ.setdefault("RESIDENCY_AUDIT_CACHE_DIR", tempfile.mkdtemp(prefix="ra-cache-"))


@pytest.fixture(scope="session")
def dns_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    """unbound on 127.0.0.1 serving tests/support/dns/ (fails in CI when missing, else skips)."""
    if unbound_path() is None:
        message = f"unbound is not installed: {INSTALL_HINT}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    with running_unbound(tmp_path_factory.mktemp("dns")) as server:
        yield server

"""Reports built by hand for reporter tests: what the risk model (flows) and a re-run with
waivers produce, without depending on which rules fire today."""

from __future__ import annotations

import dataclasses
import datetime as dt

from residency_audit.model import (
    CountryStatus,
    Flow,
    Invocation,
    Report,
    Severity,
    Span,
)

TIMESTAMP = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)


def invocation(
    command: str = "residency-audit check deploy.yaml --as-of 2026-11-28",
    fail_on: Severity | None = Severity.HIGH,
) -> Invocation:
    return Invocation(command, TIMESTAMP, fail_on)


def with_flows(report: Report) -> Report:
    """`report` plus flows of a health-data hub: a primary store in France run by a US-owned
    provider, a disaster-recovery replica in Germany and a support access from the US."""
    deployment = report.findings[0].deployment if report.findings else "hub"
    span = Span("deploy.yaml", 12, 5)
    flows = (
        Flow(
            "hub/warehouse/storage",
            deployment,
            "storage",
            "warehouse",
            "FR",
            "Microsoft Ireland Operations Ltd",
            "US",
            ("us-cloud-act", "us-fisa-702"),
            True,
            span,
        ),
        Flow(
            "hub/warehouse/replica",
            deployment,
            "replica",
            "warehouse",
            "DE",
            "Microsoft Ireland Operations Ltd",
            "US",
            ("us-cloud-act", "us-fisa-702"),
            True,
            span,
        ),
        Flow(
            "hub/support/access",
            deployment,
            "access",
            "support-desk",
            "US",
            "Microsoft Corporation",
            "US",
            ("us-cloud-act",),
            True,
            span,
        ),
        Flow(
            "hub/archive/storage",
            deployment,
            "storage",
            "archive",
            "FR",
            "OVH SAS",
            "FR",
            (),
            False,
            span,
        ),
    )
    countries = (
        CountryStatus("DE", "Germany", "eea"),
        CountryStatus("FR", "France", "eea"),
        CountryStatus("US", "United States", "partially-adequate"),
    )
    return dataclasses.replace(report, flows=flows, countries=countries)


def need(module: str, why: str):  # type: ignore[no-untyped-def]
    """Import a test-only tool; outside CI a missing one skips, in CI it fails (conftest)."""
    import importlib

    import pytest

    from tests.conftest import in_ci

    try:
        return importlib.import_module(module)
    except ImportError:
        if in_ci():
            pytest.fail(f"{module} is missing in CI ({why}); install the test extra")
        pytest.skip(f"{module} not installed ({why}); pip install -e '.[test]'")

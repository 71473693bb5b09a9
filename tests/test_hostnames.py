"""Declared names are checked before any DNS query: a typo is an input error, not a fact."""

from __future__ import annotations

import pytest

from residency_audit.hostnames import hostname_problem, normalise_hostname


@pytest.mark.parametrize(
    "name",
    [
        "api.example-health.test",
        "API.Example.TEST.",
        "xn--bcher-kva.de",
        "a.b",
        "localhost",
        "3com.example",
    ],
)
def test_valid_hostnames_are_accepted(name: str) -> None:
    assert hostname_problem(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("exa mple.com", "letters, digits"),
        ("bad_host.example.com", "letters, digits"),
        ("-api.example.com", "letters, digits"),
        ("api..example.com", "empty label"),
        ("*.example.com", "letters, digits"),
        ("192.0.2.1", "IP address"),
        ("bücher.de", "xn--"),
        ("a" * 64 + ".example", "longer than 63"),
        (("a" * 60 + ".") * 5 + "com", "limit is 253"),
        ("example.123", "all-numeric"),
        ("", "empty"),
        (" api.example.com", "spaces"),
    ],
)
def test_invalid_hostnames_say_why(name: str, why: str) -> None:
    problem = hostname_problem(name)
    assert problem is not None and why in problem


def test_names_are_compared_in_lower_case_without_the_final_dot() -> None:
    assert normalise_hostname("API.Example-Health.TEST.") == "api.example-health.test"

"""Whether a party belongs to the provider's group, by the name of its ultimate parent: the same
group however the name is written, and "cannot be verified" for a near miss, never "outside"."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from residency_audit import kb
from residency_audit.engine.custody import in_provider_group
from residency_audit.model import Parent, Party, Role


def group(parent: str, provider: str) -> bool | None:
    party = Party("custodian", "Custodian", Role.KEY_CUSTODIAN, "FR", parent=Parent(parent, "FR"))
    builder = SimpleNamespace(kb=kb.default())
    return in_provider_group(builder, party, provider)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("parent", "provider", "expected"),
    [
        ("OVH Groupe SA", "ovhcloud", True),  # as the knowledge base writes it
        ("OVH Groupe S.A.", "ovhcloud", True),  # full stops
        ("ovh groupe", "ovhcloud", True),  # case, no legal form
        ("OVHcloud", "ovhcloud", True),  # the provider's own name
        ("Dassault Systemes SE", "outscale", True),  # no accent, another legal form
        ("Amazon Web Services EMEA SARL", "aws", True),  # a contracting entity
        ("Amazon Holdings", "aws", None),  # holds "Amazon" without being its parent: unknown
        ("Tiers de confiance SAS", "aws", False),
        ("C", "aws", False),  # a one-letter placeholder is no near miss
    ],
)
def test_the_providers_group_is_known_by_its_names(
    parent: str, provider: str, expected: bool | None
) -> None:
    assert group(parent, provider) is expected

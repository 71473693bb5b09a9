"""User-visible text cites no document a reader cannot obtain.

The team's research file (legal-notes) is not shipped. A QA lawyer found rule caveats and
knowledge-base notes citing "legal-notes §2.10 [M]" and the like in evidence reports: the other
side cannot obtain it. Every string a rule or knowledge entry carries can reach a report or
`explain` (caveats, rationale, notes), so none may cite it or use its bare `[M]` marker; YAML
comments, which never reach a user, may.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(
    [
        *(ROOT / "rules").rglob("*.yaml"),
        *(ROOT / "residency_audit" / "kb" / "data").glob("*.yaml"),
        *(ROOT / "residency_audit" / "risk").glob("*.yaml"),
    ]
)


def strings(node: object, where: str) -> Iterator[tuple[str, str]]:
    """Every string value in a loaded YAML document (comments are gone), with its path."""
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from strings(value, f"{where}[{i}]")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_shipped_text_cites_the_private_research_notes(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    wrong = [
        where
        for where, text in strings(document, path.name)
        if "legal-notes" in text or "[M]" in text
    ]
    assert wrong == []

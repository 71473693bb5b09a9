"""Waiver files written from a result, so waiver tests keep their meaning as rule packs grow."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def waive_every_finding(
    result: dict[str, Any],
    path: Path,
    *,
    expires: str = "2027-06-30",
    expiring: dict[str, str] | None = None,
) -> Path:
    """A waiver per (rule, deployment, component) of `result`; `expiring` gives some rules
    another expiry date."""
    targets = dict.fromkeys(
        (f["rule_id"], f["deployment"], f["component"]) for f in result["findings"]
    )
    lines = ["waivers:"]
    for rule, deployment, component in targets:
        target = f"{{deployment: {deployment}" + (
            f", component: {component}}}" if component else "}"
        )
        lines += [
            f"  - rule: {rule}",
            f"    target: {target}",
            "    justification: Accepted by counsel after review",
            "    approved_by: dpo@example.org",
            f"    expires: {(expiring or {}).get(rule, expires)}",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path

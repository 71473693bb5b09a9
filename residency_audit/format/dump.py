"""Model → deployment YAML: the inverse of `format.convert`, used to write observed deployments.

Only documented fields are written, in model order, and a field equal to its default is left
out, so the file reads like a hand-written one and `check` reads it back to an equal model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import is_dataclass
from enum import Enum
from typing import Any

import yaml

from residency_audit.format.plans import plan
from residency_audit.model import Deployment


def to_plain(value: Any) -> Any:
    """A model value as plain YAML data (dicts in field order, lists, strings, numbers)."""
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for p in plan(type(value)):
            item = getattr(value, p.attr)
            if not p.required and item == p.default:
                continue
            out[p.name] = to_plain(item)
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class _Dumper(yaml.SafeDumper):
    """Block style, no aliases (the same Evidence twice must be written twice)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_deployment(deployment: Deployment, *, header: str = "") -> str:
    """YAML text for `deployment`, preceded by `header` as comment lines."""
    body = yaml.dump(
        to_plain(deployment),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comments + body

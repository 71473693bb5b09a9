"""`Packed`: a file's result as a batch worker sends it to the parent, and `pack`, which makes it.

Imported by batch workers and their parent only (start-up time of a one-file check).
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from residency_audit.collation import FileResult, flow_key, unverified_origins
from residency_audit.evidence import named_countries
from residency_audit.model import Deployment, Diagnostic, Finding, InputFile, Tally


@dataclass(slots=True)
class Packed:
    """A `FileResult` with its findings, flows and checks pickled (sorted), and what the report
    needs from them computed beside. The parent of a batch stores the pickles as they are:
    unpickling them there would cost as much as the workers' audit of the file."""

    entry: InputFile
    errors: list[Diagnostic]
    partial: list[str]
    deployment: Deployment | None
    findings: bytes
    finding_count: int
    finding_bounds: tuple[Any, Any] | None
    flows: bytes
    flow_count: int
    flow_bounds: tuple[Any, Any] | None
    checks: bytes
    check_count: int
    tally: Tally
    countries: set[str]
    unverified: set[str]

    def unpack(self) -> FileResult:
        return FileResult(
            self.entry,
            pickle.loads(self.findings),
            self.errors,
            pickle.loads(self.checks),
            pickle.loads(self.flows),
            self.partial,
            self.deployment,
        )


def _pickle(items: Sequence[Any]) -> bytes:
    return pickle.dumps(items, pickle.HIGHEST_PROTOCOL)


def _bounds(items: Sequence[Any], key: Any) -> tuple[Any, Any] | None:
    return (key(items[0]), key(items[-1])) if items else None


def pack(result: FileResult) -> Packed:
    """`result` as a batch worker returns it: findings and flows sorted, all three pickled."""
    findings = sorted(result.findings, key=Finding.sort_key)
    flows = sorted(result.flows, key=flow_key)
    return Packed(
        result.entry,
        result.errors,
        result.partial,
        result.deployment,
        _pickle(findings),
        len(findings),
        _bounds(findings, Finding.sort_key),
        _pickle(flows),
        len(flows),
        _bounds(flows, flow_key),
        _pickle(result.checks),
        len(result.checks),
        Tally.of(findings),
        named_countries(findings, flows),
        unverified_origins(findings),
    )

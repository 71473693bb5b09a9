"""Putting per-file results together into a report: `FileResult` (one file's part) and
`Collation` (the report's parts as they accumulate). A batch worker sends its results packed
(`residency_audit.packing`); a collation takes both.

Findings, flows, checks and input errors go into spools (`residency_audit.spool`), which move to
disk for a large batch; what the report needs from them besides (counts, countries named,
unverified knowledge used) is gathered here as each file arrives, so nothing has to walk them
again before the reporters do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING, Any

from residency_audit.evidence import named_countries
from residency_audit.model import (
    Check,
    Deployment,
    Diagnostic,
    Finding,
    Flow,
    InputFile,
    Span,
    Tally,
)
from residency_audit.spool import Plain, Spool

if TYPE_CHECKING:  # imported by batch workers and their parent only
    from residency_audit.packing import Packed


def flow_key(flow: Flow) -> tuple[str, int, int, str]:
    """The order of flows in a report: by place in the files, then id."""
    return (flow.span.path, flow.span.line, flow.span.column, flow.id)


def error_values(error: Diagnostic) -> tuple[str, int, int, str]:
    """An input error as plain values, which sort as the errors of a report do (`Diagnostic`'s
    order: by place, then message): its key in a spool, and how the spool pickles it."""
    return (error.span.path, error.span.line, error.span.column, error.message)


def error_from_values(path: str, line: int, column: int, message: str) -> Diagnostic:
    return Diagnostic(Span(path, line, column), message)


ERROR_VALUES = Plain(error_values, error_from_values)
"""How spools of input errors pickle them: a hostile batch has a million."""


def check_values(check: Check) -> tuple[Any, ...]:
    """A check as plain values, in the order of its fields (`Check(*values)` makes it again)."""
    return (check.rules, check.deployment, check.component, check.subject, check.not_applicable)


CHECK_VALUES = Plain(check_values, Check)
"""How checks are pickled (`packing.pack`, a spool of them): as tuples, which pickle in C, at
about a third of the cost of the records (each a call of `Record.__reduce_ex__`), and unpickle
in half the time; a file has dozens."""


@dataclass(slots=True)
class FileResult:
    """One file's part of the report; input errors are data here, never raised."""

    entry: InputFile
    findings: list[Finding] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    deployment: Deployment | None = None
    """Kept only when a later step compares deployments (drift)."""
    relied: set[str] = field(default_factory=set)
    """The unverified knowledge its passes rested on, when another process audited it (a
    batch worker's result, unpacked): this process's own record (`kb.take_relied`) lacks it."""


def unverified_origins(findings: Iterable[Finding], flows: Iterable[Flow] = ()) -> set[str]:
    """Origins of the unverified facts findings and flows used: a flow's entity, parent or laws
    from an unverified knowledge-base entry are shown in the flows table even when no finding
    cites them (every audit before the GDPR applied)."""
    used = {x.origin for f in findings for x in f.facts if not x.verified}
    return used | {x.origin for f in flows for x in f.facts if not x.verified}


class Collation:
    """The parts of a report, accumulated one file result at a time, in input order."""

    def __init__(self) -> None:
        self.inputs: list[InputFile] = []
        self.errors: Spool[Diagnostic] = Spool(error_values, plain=ERROR_VALUES)
        self.partial: list[str] = []
        self.findings: Spool[Finding] = Spool(Finding.sort_key)
        self.flows: Spool[Flow] = Spool(flow_key)
        self.checks: Spool[Check] = Spool(plain=CHECK_VALUES)
        self.tally = Tally()
        self.countries: set[str] = set()
        self.unverified: set[str] = set()
        self.deployments: list[Deployment] = []
        """Declared deployments kept for drift (`FileResult.deployment`)."""

    def add(self, result: FileResult | Packed) -> None:
        self.inputs.append(result.entry)
        self.errors.add(result.errors)
        self.partial += result.partial
        if result.deployment is not None:
            self.deployments.append(result.deployment)
        if not isinstance(result, FileResult):  # packed by a batch worker
            for spool, part, count, bounds in (
                (self.findings, result.findings, result.finding_count, result.finding_bounds),
                (self.flows, result.flows, result.flow_count, result.flow_bounds),
            ):
                if isinstance(part, bytes):
                    spool.add_pickled(part, count, bounds)
                else:
                    spool.add_texts(part, count, bounds, result.shelves)
            self.checks.add_pickled(result.checks, result.check_count, None)
            self.tally.merge(result.tally)
            self.countries |= result.countries
            self.unverified |= result.unverified
            return
        self.add_findings(result.findings)
        self.unverified |= result.relied | unverified_origins((), result.flows)
        self.flows.add(result.flows)
        self.checks.add(result.checks)
        self.countries |= named_countries((), result.flows)

    def add_errors(self, errors: Iterable[Diagnostic]) -> None:
        """Input errors of no audited file's result (paths that could not be walked, DNS
        files), a file's at a time: each file's errors point into that file, so the spool puts
        them in order without sorting them all in memory (`Spool.settle`)."""
        for _, run in groupby(sorted(errors, key=error_values), key=lambda e: e.span.path):
            self.errors.add(list(run))

    def add_findings(self, findings: Sequence[Finding]) -> None:
        """Findings that belong to no audited file's result (those of the waiver rules)."""
        self.findings.add(findings)
        self.tally.add(findings)
        self.countries |= named_countries(findings, ())
        self.unverified |= unverified_origins(findings)

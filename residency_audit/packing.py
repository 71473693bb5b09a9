"""`Packed`: a file's result as a batch worker sends it to the parent, and `pack`, which makes it.

Findings and flows go either pickled, or, when the run's output formats are known and all take
them by run (`reporters.WRITTEN_BY_RUN`: text, JSON, SARIF), as their texts in those formats,
put in the worker's own file (`residency_audit.shelf`): the parent then only copies text, where
it would otherwise unpickle and render every file alone while the workers wait. Imported by
batch workers and their parent only (start-up time of a one-file check).
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import starmap
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from residency_audit.collation import CHECK_VALUES, FileResult, flow_key, unverified_origins
from residency_audit.evidence import named_countries, rule_infos
from residency_audit.kb import take_relied
from residency_audit.model import Deployment, Diagnostic, Finding, Flow, InputFile, Tally
from residency_audit.reporters import NotByRun, RunTexts, run_texts
from residency_audit.shelf import Shelf, Shelves, Stored

if TYPE_CHECKING:
    from residency_audit.pipeline import Auditor

Texts = Mapping[str, bytes | Stored]
"""A run's UTF-8 texts by format name (`Spool.add_texts`): encoded by the worker, so that the
parent writes them out as they came; or where the worker put them (`residency_audit.shelf`)."""


@dataclass(slots=True)
class Packed:
    """A `FileResult` with its findings, flows and checks pickled (sorted) or its findings and
    flows as texts, and what the report needs from them computed beside. The parent of a batch
    stores them as they are: unpickling them there would cost as much as the workers' audit."""

    entry: InputFile
    errors: list[Diagnostic]
    partial: list[str]
    deployment: Deployment | None
    findings: bytes | Texts
    finding_count: int
    finding_bounds: tuple[Any, Any] | None
    flows: bytes | Texts
    flow_count: int
    flow_bounds: tuple[Any, Any] | None
    checks: bytes
    """The pickle of the checks as plain values (`collation.CHECK_VALUES`)."""
    check_count: int
    tally: Tally
    countries: set[str]
    unverified: set[str]
    shelves: Shelves | None = None
    """Where texts given as `Stored` are, set by the batch's parent when it receives them."""

    def unpack(self) -> FileResult:
        if not isinstance(self.findings, bytes) or not isinstance(self.flows, bytes):
            raise TypeError("a result packed as texts cannot be unpacked")
        return FileResult(
            self.entry,
            pickle.loads(self.findings),
            self.errors,
            list(starmap(CHECK_VALUES.load, pickle.loads(self.checks))),
            pickle.loads(self.flows),
            self.partial,
            self.deployment,
            self.unverified,
        )


def writers(auditor: Auditor) -> dict[str, RunTexts]:
    """The run writers of the formats `auditor`'s files' parts are written in, by format name
    (`Options.run_formats`; none when the items must go as objects)."""
    options = auditor.options
    rules = rule_infos(auditor.packs, options.as_of)
    return {fmt.value: run_texts(fmt, rules) for fmt in options.run_formats()}


_SPAN_PATH = attrgetter("span.path")


def _pickle(items: Sequence[Any]) -> bytes:
    return pickle.dumps(items, pickle.HIGHEST_PROTOCOL)


def _utf8(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode()


def _bounds(items: Sequence[Any], key: Any) -> tuple[Any, Any] | None:
    return (key(items[0]), key(items[-1])) if items else None


def pack(
    result: FileResult, writers: Mapping[str, RunTexts] | None = None, shelf: Shelf | None = None
) -> Packed:
    """`result` as a batch worker returns it: findings and flows sorted, then pickled, or
    written by each of `writers` (`reporters.run_texts`, by format name) when given, and put
    on `shelf` if there is one. Checks are always pickled (the JSON result groups them across
    files). The unverified knowledge it names is its findings' and what the process noted as
    relied on since (`kb.take_relied`): pack a file right after its audit."""
    findings = sorted(result.findings, key=Finding.sort_key)
    flows = sorted(result.flows, key=flow_key)
    texts = _written(result.entry.path, findings, flows, writers, shelf) if writers else None
    return Packed(
        result.entry,
        result.errors,
        result.partial,
        result.deployment,
        _pickle(findings) if texts is None else texts[0],
        len(findings),
        _bounds(findings, Finding.sort_key),
        _pickle(flows) if texts is None else texts[1],
        len(flows),
        _bounds(flows, flow_key),
        _pickle(list(map(CHECK_VALUES.dump, result.checks))),
        len(result.checks),
        Tally.of(findings),
        named_countries(findings, flows),
        # What its passes rested on too; in a batch worker, what this process noted since the
        # previous file's pack is this file's (see kb.rely).
        unverified_origins(findings, flows) | take_relied(),
    )


def _written(
    path: str,
    findings: list[Finding],
    flows: list[Flow],
    writers: Mapping[str, RunTexts],
    shelf: Shelf | None,
) -> tuple[Texts, Texts] | None:
    """The texts of a file's findings and flows by each writer, or None when one cannot write
    them alone: the file then goes pickled, as without writers."""
    # A run of texts must hold only its own file's items: then runs never interleave, and no
    # heading's group in the text report spans two runs. Findings and flows always point into
    # the file they come from; if one ever did not, its file goes pickled.
    if any(map(path.__ne__, map(_SPAN_PATH, findings))) or any(
        map(path.__ne__, map(_SPAN_PATH, flows))  # in C: no generator step per item
    ):
        return None
    try:
        written = [
            {name: _utf8(w[0](findings)) for name, w in writers.items()},
            {name: _utf8(w[1](flows)) for name, w in writers.items()},
        ]
    except NotByRun:
        return None
    if shelf is None:
        return written[0], written[1]
    placed = [{name: shelf.put(text) for name, text in texts.items()} for texts in written]
    return placed[0], placed[1]

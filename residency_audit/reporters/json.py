"""The JSON result: stable keys and order, no clock, so the same inputs give the same bytes.

`reporters.jsonread.from_dict` reads a result back (baselines, `residency-audit report`);
`to_dict(from_dict(d))` gives `d` again. How a report was produced (`Report.invocation`:
command line, timestamp, the `--fail-on` of the gate) and where the installation's files are
(`Report.bundled_at`, `pack_dirs`) are deliberately not part of the result: the evidence
formats show them. Which code made it (`tool.code`, `Report.code`) is: it is the same for the same
code. The settings that change findings (`parameters`, e.g. `--tia-max-age`) are,
defaults included.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from sys import intern
from typing import Any, TextIO, TypeVar

from residency_audit.model import (
    Check,
    Diagnostic,
    Finding,
    Flow,
    Report,
)
from residency_audit.reporters import put
from residency_audit.reporters.common import (
    defused_json,
    defused_json_chunk,
    later_prose_note,
    unverifiable_count,
)
from residency_audit.reporters.jsonitems import (
    PLAIN,
    Items,
    Parts,
    finding_dict,
    flow_dict,
    reference_dict,
    waiver_dict,
)
from residency_audit.reporters.jsontext import dumps
from residency_audit.spool import Spool


def to_dict(report: Report) -> dict[str, Any]:
    return {
        **_skeleton(report),
        "findings": [finding_dict(f) for f in report.findings],
        "flows": [flow_dict(f) for f in report.flows],
        "errors": [error_dict(e) for e in report.errors],
        "checks": [_check_dict(c) for c in report.checks],
    }


def _skeleton(report: Report) -> dict[str, Any]:
    """The result with empty `findings`, `flows`, `errors` and `checks` (key order as in the
    result)."""
    return {
        "tool": {
            "name": "residency-audit",
            "version": report.tool_version,
            "code": None
            if report.code is None
            else {"sha256": report.code.sha256, "commit": report.code.commit},
        },
        "as_of": report.as_of.isoformat(),
        "parameters": dict(sorted(report.parameters)),
        "complete": not report.partial and not report.errors,
        "partial": list(report.partial),
        "inputs": [
            {
                "path": i.path,
                "sha256": i.sha256,
                "deployment": i.deployment,
                "role": i.role,
                "description": i.description,
            }
            for i in report.inputs
        ],
        "rule_packs": [
            {
                "name": p.name,
                "title": p.title,
                "version": p.version,
                "sha256": p.sha256,
                "rules": p.rules,
            }
            for p in report.packs
        ],
        "knowledge": {
            "files": [{"path": name, "sha256": digest} for name, digest in report.knowledge],
            "stale": list(report.stale_knowledge),
            "unverified_used": list(report.unverified_knowledge),
            "checked": None
            if report.knowledge_checked is None
            else report.knowledge_checked.isoformat(),
            "prose_note": later_prose_note(report),
        },
        "assumptions": list(report.assumptions),
        "findings": [],
        "risk_model": None
        if report.risk_model is None
        else {"path": report.risk_model[0], "sha256": report.risk_model[1]},
        "flows": [],
        "errors": [],
        "summary": {
            "findings": len(report.findings),
            # "failed check(s)" in the human formats (`common.findings_phrase`); the key keeps
            # its first name, which CI scripts read.
            "violations": len(report.findings) - unverifiable_count(report),
            "unverifiable": unverifiable_count(report),
            "by_severity": report.counts(),
            "by_status": report.status_counts(),
            "errors": len(report.errors),
        },
        "waivers": [waiver_dict(w) for w in report.waivers],
        "rules": [
            {
                "id": r.id,
                "pack": r.pack,
                "title": r.title,
                "severity": r.severity.label,
                "rationale": r.rationale,
                "remediation": r.remediation,
                "references": [reference_dict(x) for x in r.references],
                "notes": r.notes,
                "severities": [s.label for s in r.severities],
            }
            for r in report.rules
        ],
        "checks": [],
        "countries": [
            {"code": c.code, "name": c.name, "status": c.status} for c in report.countries
        ],
    }


def error_dict(e: Diagnostic, parts: Parts = PLAIN) -> dict[str, Any]:
    """An item of the result's `errors` list."""
    return {"path": e.span.path, "line": e.span.line, "column": e.span.column, "message": e.message}


def _check_dict(c: Check, parts: Parts = PLAIN) -> dict[str, Any]:
    """An item of the result's `checks` list: a subject's rules, in the order they were
    evaluated (JUnit follows it): `rules` applied to it (passed or made a finding),
    `not_applicable` did not (their `when` did not hold), so neither passed nor failed."""
    # interned: a batch's checks come from many pickles, each with its own copy of an id
    return {
        "deployment": c.deployment,
        "component": c.component,
        "subject": c.subject,
        "rules": [intern(rule) for rule in c.rules],
        "not_applicable": [intern(rule) for rule in c.not_applicable],
    }


def render(report: Report) -> str:
    out = io.StringIO()
    write(report, out)
    return out.getvalue()


def write(report: Report, out: TextIO, jobs: int = 1) -> None:
    """`json.dumps(to_dict(report), indent=2)` and a newline, written piece by piece: findings,
    flows, input errors and checks are turned into text one file at a time, never all at once
    (the JSON result of a 10,000-file batch is gigabytes, and a hostile one can hold a thousand
    errors per file); in `jobs` processes for a batch on disk."""
    head = dumps(_skeleton(report))
    items = Items()
    lists = {
        "findings": _texts(report.findings, finding_dict, items, jobs),
        "flows": _texts(report.flows, flow_dict, items, jobs),
        "errors": _texts(report.errors, error_dict, items, jobs),
        # a file's checks at a time, in one orjson call (the parent of a batch writes them)
        "checks": _texts(report.checks, _check_dict, items, 1),
    }
    for key, texts in lists.items():
        # At the top level, so at two spaces: nested keys are indented more, and a string
        # cannot hold a raw newline.
        before, head = head.split(f'\n  "{key}": []', 1)
        out.write(defused_json(f'{before}\n  "{key}": ['))
        separator = ""
        for text in texts:
            out.write(f"{separator}\n    ")
            put(out, defused_json_chunk(text))
            separator = ","
        out.write("\n  ]" if separator else "]")
    out.write(defused_json(head))
    out.write("\n")


T = TypeVar("T")


def _texts(
    items: Sequence[T], to_dict: Callable[[T, Parts], dict[str, Any]], encoder: Items, jobs: int
) -> Iterator[str | bytes]:
    """The texts of `items` as they go in a top-level list, a spool's run at a time. A spool of
    texts has its runs written by the batch's workers already; other items on disk (a batch
    with waivers or a baseline) are read back and encoded in `jobs` processes, since that
    costs a third of their audit."""
    if isinstance(items, Spool) and items.as_texts:
        yield from items.texts("json", partial(encoder.run, to_dict))
        return
    if jobs > 1 and isinstance(items, Spool) and items.spilled:
        from residency_audit.batch import map_ordered

        yield from map_ordered(partial(_encode_run, to_dict), items.pickled_runs(), jobs)
        return
    if isinstance(items, Spool):
        runs: Iterable[Sequence[T]] = items.runs()
    else:  # items in memory: a thousand at a time
        runs = (items[i : i + 1000] for i in range(0, len(items), 1000))
    for run in runs:
        if run:
            yield encoder.run(to_dict, run)


_ITEMS = Items()
"""A worker's encoder (see `_texts`), kept for the worker's life."""


def findings_text(findings: Sequence[Finding]) -> bytes:
    """One run of the result's findings list, as `write` puts it (a batch worker writes a
    file's findings with this, `packing.pack`)."""
    return _ITEMS.run(finding_dict, findings)


def flows_text(flows: Sequence[Flow]) -> bytes:
    """One run of the result's flows list, as `write` puts it."""
    return _ITEMS.run(flow_dict, flows)


def _encode_run(to_dict: Callable[[Any, Parts], dict[str, Any]], run: bytes) -> bytes:
    return _ITEMS.run(to_dict, pickle.loads(run))

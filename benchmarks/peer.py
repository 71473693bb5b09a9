"""Peer benchmark: the five core checks (EEA storage, replicas, remote access, provider
jurisdiction, key custody) in Rego, evaluated by regopy (rego-cpp, OPA-compatible), against our
engine running the same checks (HDS-LOC-01, GDPR-XFER-01, GDPR-XFER-02, JUR-EXPO-01) on the same
generated documents, in one run. YAML parsing is done once beforehand for both sides: the table
compares evaluation per document (ours also shown with the conversion to the typed model).

    pip install regopy
    python benchmarks/peer.py [COUNT]
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from corpus import deployment

from residency_audit import kb as kb_module
from residency_audit import pipeline
from residency_audit.engine.evaluate import audit
from residency_audit.format import parse_deployment
from residency_audit.loader import load_text

AS_OF = dt.date(2026, 11, 28)
CORE = ("HDS-LOC-01", "GDPR-XFER-01", "GDPR-XFER-02", "JUR-EXPO-01")


def kb_data(knowledge: kb_module.KnowledgeBase) -> dict[str, object]:
    """The knowledge the Rego policy needs, as plain data (same facts our engine consults)."""
    countries = knowledge.countries
    return {
        "kb": {
            "regions": {
                p: {r: e.country for r, e in b.regions.items()}
                for p, b in knowledge.region_blocks.items()
            },
            "eea": sorted(c for c in countries if knowledge.in_eea(c, AS_OF)),
            "adequate": sorted(c for c in countries if knowledge.generally_adequate(c, AS_OF)),
            "parents": {p.id: p.parent.country for p in knowledge.providers.values()},
            "compelled": sorted(
                {law.jurisdiction for law in knowledge.laws.values() if law.compelled_access}
            ),
        }
    }


def per_document(run: object, items: list[object], repeat: int = 3) -> float:
    """Median over `repeat` passes of the mean seconds per document."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            run(item)  # type: ignore[operator]
        times.append((time.perf_counter() - start) / len(items))
    return statistics.median(times)


def main(count: int) -> None:
    from regopy import Interpreter

    knowledge = kb_module.default()
    rules = [r for p in pipeline.load_rules([], knowledge) for r in p.rules if r.id in CORE]
    texts = [deployment(i, knowledge) for i in range(count)]
    documents = [load_text(t, f"doc-{i}.yaml") for i, t in enumerate(texts)]
    models = [parse_deployment(d) for d in documents]
    plain = [json.loads(json.dumps(yaml.safe_load(t), default=str)) for t in texts]  # dates

    rego = Interpreter()
    rego.add_data(kb_data(knowledge))
    rego.add_module("core", (ROOT / "benchmarks" / "rego" / "core.rego").read_text())

    def opa(document: object) -> object:
        rego.set_input(document)
        return rego.query("x = data.residency.deny")

    rego_findings = sum(len(opa(d).binding("x")) for d in plain[:50])  # type: ignore[attr-defined]
    ours_findings = sum(
        len(audit(m, rules, kb=knowledge, as_of=AS_OF).findings) for m in models[:50]
    )
    ours = per_document(lambda m: audit(m, rules, kb=knowledge, as_of=AS_OF), models)
    ours_with_model = per_document(
        lambda d: audit(parse_deployment(d), rules, kb=knowledge, as_of=AS_OF), documents
    )
    theirs = per_document(opa, plain)

    print(
        f"peer benchmark: {count} generated deployments (~160 lines), 5 core checks, as of {AS_OF}"
    )
    print(f"{'engine':<44}{'ms/document':>12}{'docs/s':>10}")
    for label, seconds in (
        ("regopy (rego-cpp) set_input + query", theirs),
        ("residency-audit engine (audit)", ours),
        ("residency-audit convert + audit", ours_with_model),
    ):
        print(f"{label:<44}{seconds * 1000:>12.3f}{1 / seconds:>10.0f}")
    print(
        f"ratio regopy / ours: {theirs / ours:.1f}x (engine), "
        f"{theirs / ours_with_model:.1f}x (with conversion); target >= 10x"
    )
    print(
        f"findings on the first 50 documents: regopy {rego_findings}, ours {ours_findings} "
        "(ours also reports unverifiable facts and per-place findings)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)

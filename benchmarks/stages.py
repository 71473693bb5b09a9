"""Where a file's audit time goes, stage by stage, in one process (no workers, no collector):
the figures behind issue 8's "the engine should not cost more than parsing".

    python benchmarks/stages.py [COUNT]      # default: 300 generated files

Parsing is read + compose (libyaml) + convert (to the model); the engine is flows with their
risk + audit; then what a batch's worker adds per file: writing the text report's part (what
`check DIR` does), or the JSON or SARIF result's (`-f json`, `-f sarif`), or pickling the
findings for the parent to unpickle (what it does with waivers or a baseline). Compose is
libyaml's own parse, the figure to set beside the issue's "about 0.6 ms"; `yaml.load` with
CSafeLoader is printed too, but builds Python objects with the garbage collector on and is not
what the tool runs. The last line sets the issue's 1,500 files/s on 2 cores against these
figures: the CPU a file may take, and what parsing alone leaves of it.
"""

from __future__ import annotations

import datetime as dt
import gc
import pickle
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import yaml
from corpus import write

from residency_audit.drift import observation_subjects
from residency_audit.engine.evaluate import audit
from residency_audit.engine.subjects import SubjectBuilder
from residency_audit.evidence import rule_infos
from residency_audit.format import parse_deployment
from residency_audit.loader import Document, compose, decode, read_bytes
from residency_audit.packing import pack
from residency_audit.pipeline import Auditor, Options
from residency_audit.reporters import OutputFormat, run_texts
from residency_audit.risk import flow_subjects, flows_with_risk

AS_OF = dt.date(2026, 11, 28)


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = write(Path(tmp), count)
        auditor = Auditor.load(Options(paths, as_of=AS_OF))
        kb, model, rules = auditor.knowledge, auditor.model, auditor.rules
        infos = rule_infos(auditor.packs, AS_OF)
        writers = {
            fmt: {fmt.value: run_texts(fmt, infos)}
            for fmt in (OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.SARIF)
        }
        totals: dict[str, float] = {}
        last = [0.0]

        def tick(stage: str) -> None:
            """Charge the time since the previous tick to `stage`."""
            now = time.perf_counter()
            totals[stage] = totals.get(stage, 0.0) + now - last[0]
            last[0] = now

        gc.disable()
        for path in paths:
            name = str(path)
            last[0] = time.perf_counter()
            raw = read_bytes(path, name)
            text = decode(raw, name)
            tick("read")
            yaml.load(text, Loader=yaml.CSafeLoader)
            tick("(yaml.load, CSafeLoader)")
            node = compose(text, name)
            tick("compose")
            d = parse_deployment(Document(name, raw, node))
            tick("convert")
            builder = SubjectBuilder(d, kb, AS_OF)
            flows = flows_with_risk(d, kb, AS_OF, model, builder)
            tick("flows")
            extra = [*flow_subjects(flows, d, kb, AS_OF, builder), *observation_subjects(d)]
            tick("flow subjects")
            audit(d, rules, kb=kb, as_of=AS_OF, extra=extra, builder=builder)
            tick("audit")
            result = auditor.file(path)
            last[0] = time.perf_counter()
            pack(result, writers[OutputFormat.TEXT])
            tick("write text part (worker)")
            pack(result, writers[OutputFormat.JSON])
            tick("(or JSON part, worker)")
            pack(result, writers[OutputFormat.SARIF])
            tick("(or SARIF part, worker)")
            packed = pack(result)
            tick("(or pickle, worker)")
            assert isinstance(packed.findings, bytes) and isinstance(packed.flows, bytes)
            pickle.loads(packed.findings)
            pickle.loads(packed.flows)
            tick("(and unpickle, parent)")
        gc.enable()
        ms = {stage: seconds * 1000 / count for stage, seconds in totals.items()}
        print(f"stages: {count} generated deployments, ms per file")
        for stage, value in ms.items():
            print(f"  {stage:<32}{value:>8.3f}")
        parse = ms["read"] + ms["compose"] + ms["convert"]
        engine = ms["flows"] + ms["flow subjects"] + ms["audit"]
        print(f"  {'parsing (read+compose+convert)':<32}{parse:>8.3f}")
        print(f"  {'engine (flows+subjects+audit)':<32}{engine:>8.3f}")
        print(f"engine / parsing = {engine / parse:.2f} (issue 8: at most 1.0)")
        # What issue 8's 1,500 files/s on 2 cores leaves once a file is parsed: each core has
        # 2 / 1,500 s a file for everything, workers' start and the parent's merging included.
        budget = 2 * 1000 / 1500
        print(
            f"1,500 files/s on 2 cores is {budget:.2f} ms of CPU a file; parsing takes "
            f"{parse:.2f}, leaving {budget - parse:.2f} ms for the engine and writing (now "
            f"{engine + ms['write text part (worker)']:.2f}); parsing alone allows at most "
            f"{2 * 1000 / parse:,.0f} files/s"
        )
        reference = ms["(yaml.load, CSafeLoader)"]
        print(
            f"libyaml here: compose (what the tool uses) {ms['compose']:.2f} ms/file, issue 8 "
            f"quotes about 0.6 ms for parsing; yaml.load {reference:.2f} ms/file (it also builds "
            "Python objects with the garbage collector on; the tool does not call it)"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)

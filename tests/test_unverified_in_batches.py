"""The unverified knowledge a report lists is the same whether the files were audited in this
process or by batch workers, with or without waivers: a lawyer's report must not under-state
what the verdicts rested on because of `--jobs`."""

from __future__ import annotations

from pathlib import Path

from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF, SAMPLES
from tests.support.samples import copy_renamed

WAIVERS = """\
waivers:
  - rule: GDPR-XFER-01
    target: {deployment: nobody-by-this-name}
    justification: a waiver matching nothing still makes the run unpack the workers' results
    approved_by: dpo@example.org
    expires: 2030-01-01
"""


def test_workers_results_keep_what_their_passes_rested_on(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(8):  # enough files for two workers
        for sample in sorted(SAMPLES.glob("*.yaml")):
            copy_renamed(sample, corpus / f"{sample.stem}-{i}.yaml", str(i))
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVERS)
    here = run(Options([corpus], as_of=AS_OF, jobs=1, waivers=waivers))
    workers = run(Options([corpus], as_of=AS_OF, jobs=2, waivers=waivers))
    alone = run(Options([corpus], as_of=AS_OF, jobs=1))
    # any entry the samples rest on that stays unverified will do (ce-444937: dispositif not read)
    assert "kb:instruments.yaml#ce-444937" in here.unverified_knowledge
    assert workers.unverified_knowledge == here.unverified_knowledge == alone.unverified_knowledge

"""A batch too large to hold in memory (its findings, flows and checks moved to disk by
`residency_audit.spool`) gives exactly the report a small one does, in every format that
streams (text, JSON, SARIF, JUnit, Markdown, HTML), with workers or without, with waivers and a
baseline; the evidence reports do not hold the batch while they are written."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TextIO

import pytest

from residency_audit import pipeline, spool
from residency_audit.model import Severity
from residency_audit.reporters import OutputFormat, junit, render, sarif, streamed, text
from residency_audit.reporters import json as json_result
from residency_audit.spool import Spool
from tests.conftest import AS_OF, SAMPLES
from tests.support.samples import copy_renamed, renamed
from tests.support.waivers import waive_every_finding

NAMES = ("doctolib-2021", "backup-outside-eea", "health-data-hub-2020", "sovereign-hospital")


def corpus(directory: Path, copies: int) -> Path:
    """`copies` copies of each sample, each with a deployment name of its own, in
    sub-directories whose names sort differently as paths and as text (`batch-1/` before
    `batch/` as text), so order bugs show."""
    for i in range(copies):
        for name in NAMES:
            sub = directory / ("batch" if i % 2 else "batch-1")
            sub.mkdir(parents=True, exist_ok=True)
            copy_renamed(SAMPLES / f"{name}.yaml", sub / f"{name}-{i:02d}.yaml", f"{i:02d}")
    return directory


def rendered(options: pipeline.Options) -> tuple[str, str, str, str, pipeline.Report]:
    """JSON (encoded in two processes when the batch is on disk), text, SARIF, JUnit, and the
    report."""
    report = pipeline.run(options)
    encoded = io.StringIO()
    json_result.write(report, encoded, jobs=2)
    assert encoded.getvalue() == json_result.render(report)
    assert json.loads(sarif.render(report)) == sarif.to_sarif(report)  # streamed = whole
    results = encoded.getvalue(), text.render(report), sarif.render(report), junit.render(report)
    return (*results, report)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_spilled_batch_reports_exactly_what_a_small_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    files = corpus(tmp_path / "in", 10)  # 40 files: enough for two workers
    first = pipeline.run(pipeline.Options([files], as_of=AS_OF, jobs=1))
    waivers = waive_every_finding(
        json.loads(json_result.render(first)), tmp_path / "waivers.yaml", expiring={}
    )
    # The baseline knows the first run; the waivers then cover only half the findings' rules.
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json_result.render(first))
    lines = waivers.read_text().split("  - rule:")
    waivers.write_text("  - rule:".join(lines[: len(lines) // 2]))
    (files / "batch" / "new.yaml").write_bytes(
        renamed((SAMPLES / "backup-outside-eea.yaml").read_bytes(), "new").replace(
            b"eu-west-3", b"us-west-2"
        )
    )
    for extra in ({}, {"waivers": waivers, "baseline": baseline}):
        options = pipeline.Options([files], as_of=AS_OF, jobs=jobs, **extra)  # type: ignore[arg-type]
        in_memory = rendered(options)
        monkeypatch.setattr(spool, "KEEP_IN_MEMORY", 50)
        on_disk = rendered(options)
        monkeypatch.undo()
        assert isinstance(on_disk[4].findings, Spool) and on_disk[4].findings.spilled
        assert isinstance(on_disk[4].checks, Spool) and not isinstance(in_memory[4].checks, Spool)
        assert on_disk[:4] == in_memory[:4]
        assert on_disk[4].exit_code(None) == in_memory[4].exit_code(None)
    statuses = {f["status"] for f in json.loads(on_disk[0])["findings"]}
    assert statuses == {"open", "waived", "baselined"}  # the marks were applied, per file


def test_workers_that_write_the_texts_give_the_bytes_the_parent_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from residency_audit.reporters import OutputFormat

    files = corpus(tmp_path / "in", 10)  # 40 files: enough for two workers
    (files / "broken.yaml").write_text("name: [unclosed\n")  # an input error among them
    named = [files / "batch", files / "batch-1", files / "broken.yaml"]  # not in path order
    formats = (OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.SARIF)
    for keep in (spool.KEEP_IN_MEMORY, 30):
        monkeypatch.setattr(spool, "KEEP_IN_MEMORY", keep)
        objects = pipeline.run(pipeline.Options(named, as_of=AS_OF, jobs=1))
        for jobs in (2, 1):  # workers, or this process for a batch on one core
            texts = pipeline.run(pipeline.Options(named, as_of=AS_OF, jobs=jobs, formats=formats))
            assert isinstance(texts.findings, Spool) and texts.findings.as_texts
            assert isinstance(texts.flows, Spool) and texts.flows.as_texts
            assert text.render(texts, Severity.HIGH) == text.render(objects, Severity.HIGH)
            assert json_result.render(texts) == json_result.render(objects)
            assert sarif.render(texts) == sarif.render(objects)
            assert texts.exit_code(Severity.HIGH) == objects.exit_code(Severity.HIGH) == 2


def test_workers_started_by_a_fork_server_write_the_same_texts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process with threads (a host application, a test's servers) starts its workers from a
    fork server: they get the options and the shelves' directory by pickle, not by fork."""
    from residency_audit import batch
    from residency_audit.reporters import OutputFormat

    files = corpus(tmp_path / "in", 10)
    objects = pipeline.run(pipeline.Options([files], as_of=AS_OF, jobs=1))
    monkeypatch.setattr(batch, "_start_method", lambda: "forkserver")
    texts = pipeline.run(
        pipeline.Options([files], as_of=AS_OF, jobs=2, formats=(OutputFormat.JSON,))
    )
    assert isinstance(texts.findings, Spool) and texts.findings.as_texts
    assert json_result.render(texts) == json_result.render(objects)


def test_workers_write_texts_only_when_nothing_changes_findings_after_the_audit(
    tmp_path: Path,
) -> None:
    from residency_audit.reporters import OutputFormat

    text_and_json = (OutputFormat.TEXT, OutputFormat.JSON)
    assert pipeline.Options([], formats=text_and_json).run_formats() == text_and_json
    for other in (
        {"formats": (OutputFormat.TEXT, OutputFormat.JUNIT)},  # JUnit needs the findings
        {"formats": text_and_json, "waivers": tmp_path / "w.yaml"},
        {"formats": text_and_json, "baseline": tmp_path / "b.json"},
        {"formats": text_and_json, "observed": [tmp_path]},
        {},
    ):
        assert pipeline.Options([], **other).run_formats() == ()  # type: ignore[arg-type]


def test_findings_are_in_path_order_whatever_the_order_files_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted(corpus(tmp_path, 3).rglob("*.yaml"), reverse=True)
    monkeypatch.setattr(spool, "KEEP_IN_MEMORY", 20)
    report = pipeline.run(pipeline.Options(files, as_of=AS_OF, jobs=1))
    assert isinstance(report.findings, Spool)  # put in order without loading it into memory
    keys = [f.sort_key() for f in report.findings]
    assert keys == sorted(keys) and len({k[0] for k in keys}) == len(files)
    assert [i.path for i in report.inputs] == sorted(str(f) for f in files)  # inputs too


def test_a_batch_that_cannot_spill_says_where_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from typer.testing import CliRunner

    from residency_audit.cli import app

    files = corpus(tmp_path / "in", 2)
    monkeypatch.setattr(spool, "KEEP_IN_MEMORY", 5)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-dir"))
    result = CliRunner().invoke(app, ["check", str(files), "--as-of", str(AS_OF), "-j", "1"])
    assert result.exit_code == 2
    assert f"{tmp_path / 'no-such-dir'}: cannot write the batch's temporary file" in result.stderr
    assert "set TMPDIR" in result.stderr and "Traceback" not in result.stderr


def test_workers_texts_leave_no_file_behind_and_an_unwritable_tmpdir_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from typer.testing import CliRunner

    from residency_audit.cli import app

    files = corpus(tmp_path / "in", 10)  # 40 files: two workers, which write the texts
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    args = ["check", str(files), "--as-of", str(AS_OF), "-j", "2", "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and len(json.loads(result.stdout)["inputs"]) == 40
    assert list(scratch.iterdir()) == []  # the workers' files went with the batch
    scratch.rmdir()
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert f"{scratch}: cannot write the batch's temporary files" in result.stderr
    assert "set TMPDIR" in result.stderr and "Traceback" not in result.stderr


def test_a_report_with_other_findings_counts_them_not_the_old_ones(tmp_path: Path) -> None:
    import dataclasses

    report = pipeline.run(pipeline.Options([SAMPLES / "backup-outside-eea.yaml"], as_of=AS_OF))
    assert report.fails(Severity.HIGH) and sum(report.counts().values()) > 1
    info = [f for f in report.findings if f.severity is Severity.INFO]
    fewer = dataclasses.replace(report, findings=tuple(info))
    assert sum(fewer.counts().values()) == len(info)
    assert not fewer.fails(Severity.HIGH) and fewer.exit_code(Severity.HIGH) == 0
    same = dataclasses.replace(report, invocation=None)
    assert same.tally is report.tally  # the same findings keep their counts


def test_a_file_a_format_cannot_write_alone_is_sent_as_its_findings() -> None:
    from residency_audit.evidence import rule_infos
    from residency_audit.packing import pack
    from residency_audit.reporters import OutputFormat, run_texts

    auditor = pipeline.Auditor.load(pipeline.Options([], as_of=AS_OF))
    result = auditor.file(SAMPLES / "backup-outside-eea.yaml")
    rules = rule_infos(auditor.packs, AS_OF)
    fired = {f.rule_id for f in result.findings}
    writers = {"sarif": run_texts(OutputFormat.SARIF, rules)}
    assert isinstance(pack(result, writers).findings, dict)  # written by the worker
    unlisted = [r for r in rules if r.id != min(fired)]
    writers = {"sarif": run_texts(OutputFormat.SARIF, unlisted)}
    packed = pack(result, writers)  # a rule the report would not list: its index is unknown
    assert isinstance(packed.findings, bytes) and packed.unpack().findings


class _Sink(io.TextIOBase):
    """A stream that counts what it is given and keeps none of it."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, text: str) -> int:
        self.size += len(text)
        return len(text)


def _written(report: pipeline.Report, fmt: OutputFormat, out: TextIO) -> None:
    """`report` written in `fmt` as `check --output` writes it: streamed when the format can be,
    else rendered whole."""
    writer = streamed(fmt, None)
    if writer is None:
        out.write(str(render(report, fmt)))
    else:
        writer(report, out)


@pytest.mark.parametrize("fmt", [OutputFormat.HTML, OutputFormat.MARKDOWN])
def test_evidence_reports_of_a_batch_on_disk_are_written_without_holding_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: OutputFormat
) -> None:
    """About 0.75 MB a deployment held until written would be gigabytes for a few thousand
    files: what a batch's HTML or Markdown report holds while it is written must not grow with
    it (tracemalloc counts allocations; nothing here is timed)."""
    import tracemalloc

    from residency_audit.reporters import common

    files = corpus(tmp_path / "in", 20)  # 80 files
    monkeypatch.setattr(spool, "KEEP_IN_MEMORY", 50)  # findings and flows on disk
    # so are the findings' texts (raising=False: the test must run on a version without it)
    monkeypatch.setattr(common, "GROUP_IN_MEMORY", 1 << 12, raising=False)
    report = pipeline.run(pipeline.Options([files], as_of=AS_OF, jobs=1))
    assert isinstance(report.findings, Spool) and report.findings.spilled
    _written(report, fmt, _Sink())  # imports and compiled templates are not the report's
    tracemalloc.start()
    try:
        sink = _Sink()
        _written(report, fmt, sink)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sink.size > 2_000_000
    assert peak < sink.size / 2, f"{peak} bytes held for a {sink.size}-character report"


@pytest.mark.parametrize("jobs", [1, 2])
def test_evidence_reports_of_a_spilled_batch_are_those_of_a_small_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    files = corpus(tmp_path / "in", 10)
    from residency_audit.reporters import common

    in_memory = pipeline.run(pipeline.Options([files], as_of=AS_OF, jobs=jobs))
    monkeypatch.setattr(spool, "KEEP_IN_MEMORY", 50)
    monkeypatch.setattr(common, "GROUP_IN_MEMORY", 1 << 12)  # the texts wait on disk too
    on_disk = pipeline.run(pipeline.Options([files], as_of=AS_OF, jobs=jobs))
    assert isinstance(on_disk.findings, Spool) and on_disk.findings.spilled
    for fmt in (OutputFormat.HTML, OutputFormat.MARKDOWN):
        written = io.StringIO()
        _written(on_disk, fmt, written)
        assert written.getvalue() == render(in_memory, fmt), fmt


def test_a_batch_s_summary_counts_what_cannot_be_verified(tmp_path: Path) -> None:
    """Workers count each file's findings; the parent adds their counts up."""
    files = corpus(tmp_path / "in", 10)
    for formats in ((), (OutputFormat.JSON,)):  # findings sent as objects, or as texts
        report = pipeline.run(pipeline.Options([files], as_of=AS_OF, jobs=2, formats=formats))
        data = json.loads(json_result.render(report))
        flagged = sum(1 for f in data["findings"] if f["unverifiable"])
        assert flagged and data["summary"]["unverifiable"] == flagged
        assert data["summary"]["violations"] == len(data["findings"]) - flagged
        assert f"{flagged} cannot be verified" in text.summary(report, None)

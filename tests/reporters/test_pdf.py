"""PDF of the evidence report (optional extra `pdf`, weasyprint). This test skips when weasyprint
is absent, in CI too: the extra is optional and the HTML it lays out is tested on its own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from residency_audit.model import Report
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF, SAMPLES
from tests.support.reports import invocation

pytest.importorskip("weasyprint", reason="optional extra: pip install -e '.[pdf]'")

from residency_audit.reporters import pdf


def report(timestamp: dt.datetime) -> Report:
    audited = run(Options(paths=[SAMPLES / "backup-outside-eea.yaml"], as_of=AS_OF))
    return dataclasses.replace(
        audited, invocation=dataclasses.replace(invocation(), timestamp=timestamp)
    )


def test_pdf_is_byte_reproducible_for_the_same_timestamp() -> None:
    epoch = dt.datetime.fromtimestamp(1795824000, tz=dt.UTC)  # as from SOURCE_DATE_EPOCH
    first, second = pdf.render_pdf(report(epoch)), pdf.render_pdf(report(epoch))
    assert first[:5] == b"%PDF-"
    assert first == second
    later = pdf.render_pdf(report(epoch + dt.timedelta(days=1)))
    assert later != first  # the timestamp is really in it, so equality above means something


def test_pdf_carries_the_json_result(tmp_path: Path) -> None:
    pdfdetach = shutil.which("pdfdetach")
    if pdfdetach is None:
        pytest.skip("pdfdetach (Debian poppler-utils) not installed")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.render_pdf(report(dt.datetime(2026, 11, 28, tzinfo=dt.UTC))))
    listing = subprocess.run(
        [pdfdetach, "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "residency-audit-result.json" in listing

"""PDF of the evidence report (optional extra `pdf`, weasyprint). The test command installs the
extra and Debian's poppler-utils, so in CI these tests fail when either is missing; elsewhere
they skip with the reason."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from residency_audit.model import Report
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF, SAMPLES, in_ci
from tests.support.reports import invocation, need

need("weasyprint", "optional extra pdf: pip install -e '.[pdf]'")

from residency_audit.reporters import pdf  # noqa: E402 - only once weasyprint is known present


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
        message = "pdfdetach (Debian poppler-utils) not installed"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.render_pdf(report(dt.datetime(2026, 11, 28, tzinfo=dt.UTC))))
    listing = subprocess.run(
        [pdfdetach, "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "residency-audit-result.json" in listing

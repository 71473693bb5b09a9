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


def _poppler(tool: str) -> str:
    """The path of a poppler-utils tool; missing, the test fails in CI and is skipped elsewhere."""
    found = shutil.which(tool)
    if found is None:
        message = f"{tool} (Debian poppler-utils) not installed"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_pdf_carries_the_json_result(tmp_path: Path) -> None:
    pdfdetach = _poppler("pdfdetach")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.render_pdf(report(dt.datetime(2026, 11, 28, tzinfo=dt.UTC))))
    listing = subprocess.run(
        [pdfdetach, "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "residency-audit-result.json" in listing


def _info(tmp_path: Path, page: bytes) -> str:
    pdfinfo = _poppler("pdfinfo")
    path = tmp_path / "report.pdf"
    path.write_bytes(page)
    return subprocess.run([pdfinfo, str(path)], capture_output=True, text=True, check=True).stdout


def test_a_pinned_creation_date_says_in_the_pdf_properties_where_it_comes_from(
    tmp_path: Path,
) -> None:
    """QA (a lawyer filing a PDF of the Doctolib case, pinned to 12 March 2021 so the other side
    can reproduce it): the file's properties said "CreationDate: 12 March 2021" and nothing
    else, a date a court could take for the day it was made. Its Subject now says where it
    comes from; an unpinned PDF has no such Subject."""
    pinned = dataclasses.replace(
        report(dt.datetime(2021, 3, 12, tzinfo=dt.UTC)),
        invocation=dataclasses.replace(
            invocation(), timestamp=dt.datetime(2021, 3, 12, tzinfo=dt.UTC), pinned=True
        ),
    )
    info = _info(tmp_path, pdf.render_pdf(pinned))
    assert (
        "Subject:         Creation date 2021-03-12T00:00:00Z (UTC) taken from SOURCE_DATE_EPOCH: "
        "not the time of generation"
    ) in info
    clock = _info(tmp_path, pdf.render_pdf(report(dt.datetime(2026, 11, 28, tzinfo=dt.UTC))))
    assert "Subject:" not in clock


def test_the_pdf_keywords_name_no_judgment_of_a_later_day(tmp_path: Path) -> None:
    """Its keywords named Schrems II (16 July 2020) in the PDF of an audit of any day."""
    audited = run(Options(paths=[SAMPLES / "backup-outside-eea.yaml"], as_of=dt.date(2019, 6, 1)))
    page = pdf.render_pdf(dataclasses.replace(audited, invocation=invocation()))
    [keywords] = [x for x in _info(tmp_path, page).splitlines() if x.startswith("Keywords:")]
    assert "data residency" in keywords
    assert "Schrems" not in keywords

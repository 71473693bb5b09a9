"""When an observed file shows the account: the UTC day of its oldest time, cited at its line,
for DRIFT-OBS-05 to compare with the as-of date (an observation months old says little of
what the account held on that day).
"""

from __future__ import annotations

from pathlib import Path

from residency_audit.drift import gap_subjects
from residency_audit.engine.subjects import Subject
from residency_audit.format import load_deployment
from tests.collectors.test_aws_discovery import line_after
from tests.support.moto_server import ACCOUNT
from tests.test_observed_file_errors import observed


def age(path: Path) -> Subject:
    seen, _ = load_deployment(path)
    [subject] = [s for s in gap_subjects(seen) if s.facts["observation.subject"].value == "age"]
    return subject


def test_an_observation_is_dated_by_its_start(tmp_path: Path) -> None:
    """QA: an observation started on 0001-01-01 was compared with a declaration as of
    2026-11-28 with nothing saying how old it was."""
    seen = observed(tmp_path, started="0001-01-01T00:00:00Z")
    subject = age(seen)
    line = line_after(seen, "observation:", "started_at:")
    assert subject.label == f"age of the observation of account {ACCOUNT}"
    assert (subject.span.line, subject.span.column) == (line, 15)
    on = subject.facts["observation.observed_on"]
    assert on.value == "0001-01-01"
    assert on.origin == (
        f"{seen}:{line}:15 (the UTC day of observation.started_at, the oldest time of the file)"
    )
    assert subject.facts["observation.account"].value == ACCOUNT


def test_evidence_read_before_the_start_dates_the_observation(tmp_path: Path) -> None:
    """A file edited by hand whose evidence is older than its start shows that evidence's day
    (in UTC: 23:30 at -05:00 on 31 May is 1 June)."""
    seen = observed(tmp_path, at="2026-05-31T23:30:00-05:00")
    subject = age(seen)
    line = line_after(seen, "id: s3-patients-eu", "evidence:")
    assert subject.span.line == line
    on = subject.facts["observation.observed_on"]
    assert on.value == "2026-06-01"
    assert on.origin.startswith(f"{seen}:{line}:")
    assert "components[0].evidence.observed_at" in on.origin

"""`residency-audit schema --result`: the JSON Schema of the JSON result, for the programs (CI
scripts, dashboards, evidence stores) that read it.

The schema forbids keys it does not list, so each run below checks that it describes exactly
what this version writes: every kind of item (findings waived, baselined and open, flows with
and without a risk, input errors, observed files, a risk model, a past as-of date) in runs that
produce them.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from residency_audit.cli import app

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_configs"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    result = CliRunner().invoke(app, ["schema", "--result"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def result_of(tmp_path: Path, *args: str, as_of: str = "2026-11-28") -> dict[str, Any]:
    out = tmp_path / f"result-{len(list(tmp_path.glob('result-*')))}.json"
    result = CliRunner().invoke(
        app, ["check", *args, "--as-of", as_of, "--fail-on", "never", "-f", "json", "-o", str(out)]
    )
    assert result.exit_code in (0, 2), result.output  # 2: a run with an input error
    loaded: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return loaded


def problems(validator: jsonschema.Draft202012Validator, result: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
        for e in validator.iter_errors(result)
    ]


def test_the_samples_result_matches_the_schema(
    validator: jsonschema.Draft202012Validator, tmp_path: Path
) -> None:
    result = result_of(tmp_path, str(SAMPLES))
    assert result["findings"] and result["flows"] and result["checks"]
    assert problems(validator, result) == []


def test_waived_baselined_and_observed_results_match_the_schema(
    validator: jsonschema.Draft202012Validator, tmp_path: Path
) -> None:
    """The keys written only in some runs: a finding's waiver and the result's waivers, a
    finding's `in_baseline`, observed inputs, a risk model."""
    backup = SAMPLES / "backup-outside-eea.yaml"
    waived = result_of(
        tmp_path, str(backup), "--waivers", str(FIXTURES / "waivers/backup-tia.yaml")
    )
    assert any(f["waiver"] for f in waived["findings"]) and waived["waivers"]
    baseline = tmp_path / "baseline.json"
    shutil.copy(tmp_path / "result-0.json", baseline)
    baselined = result_of(tmp_path, str(backup), "--baseline", str(baseline))
    assert any(f.get("in_baseline") for f in baselined["findings"])
    observed = result_of(
        tmp_path,
        str(SAMPLES / "aws-declared.yaml"),
        "--observed",
        str(FIXTURES / "observed/s3-replicas.yaml"),
        as_of="2026-11-30",  # the file was observed on 2026-11-29
    )
    assert "observed" in {i["role"] for i in observed["inputs"]}
    model = tmp_path / "model.yaml"  # as a user starts one: `residency-audit risk-model`
    model.write_text(CliRunner().invoke(app, ["risk-model"]).stdout, encoding="utf-8")
    modelled = result_of(tmp_path, str(backup), "--risk-model", str(model))
    assert modelled["risk_model"] is not None
    for result in (waived, baselined, observed, modelled):
        assert problems(validator, result) == []


def test_errors_and_a_past_audit_match_the_schema(
    validator: jsonschema.Draft202012Validator, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [\n", encoding="utf-8")
    errors = result_of(tmp_path, str(bad), str(SAMPLES / "doctolib-2021.yaml"))
    assert errors["errors"] and not errors["complete"]
    past = result_of(tmp_path, str(SAMPLES / "doctolib-2021.yaml"), as_of="2019-01-01")
    assert past["knowledge"]["prose_note"]
    for result in (errors, past):
        assert problems(validator, result) == []


def test_generated_deployments_match_the_schema(
    validator: jsonschema.Draft202012Validator, tmp_path: Path
) -> None:
    """The batch benchmark's varied deployments: providers, regions, copies, keys, transfers."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from corpus import write
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    files = tmp_path / "generated"
    files.mkdir()
    write(files, 40)
    result = result_of(tmp_path, str(files), "-j", "1")
    assert len(result["inputs"]) == 40
    assert problems(validator, result) == []


def test_a_key_the_schema_does_not_list_is_refused(
    validator: jsonschema.Draft202012Validator, tmp_path: Path
) -> None:
    """The schema is strict, so that the tests above fail when the result grows a key the
    schema does not describe."""
    result = result_of(tmp_path, str(SAMPLES / "backup-outside-eea.yaml"))
    result["findings"][0]["new_key"] = 1
    result["summary"]["also_new"] = 2
    found = problems(validator, result)
    assert len(found) == 2 and all("Additional properties" in p for p in found), found

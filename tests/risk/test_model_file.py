"""The risk model file: every default documented, bad files rejected at path:line:col."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.errors import RiskModelError
from residency_audit.kb import KnowledgeBase
from residency_audit.risk.spec import BASIS_FACTORS, DEFAULT_PATH, load_model
from tests.conftest import AS_OF, SAMPLES

DEFAULT_TEXT = DEFAULT_PATH.read_text(encoding="utf-8")


def test_default_model_documents_every_factor_and_every_knowledge_base_law(
    knowledge: KnowledgeBase,
) -> None:
    model = load_model(law_ids=knowledge.laws)
    assert set(model.bases) == set(knowledge.laws)
    estimates = [
        model.clear_text.reachable,
        model.clear_text.unreachable,
        model.clear_text.unknown,
        *(
            basis.factor(name)
            for basis in [*model.bases.values(), model.unlisted_basis]
            for name in BASIS_FACTORS
        ),
    ]
    for e in estimates:
        assert len(e.justification.split()) >= 3, e
        assert e.source.startswith("https://"), e
        assert not e.verified, f"{e.span}: a factor value is tool design, never a verified fact"


def test_only_the_zurich_threshold_and_period_are_marked_verified() -> None:
    model = load_model()
    assert (model.threshold.value, model.threshold.verified) == (0.10, True)
    assert (model.period_years.value, model.period_years.verified) == (5, True)
    assert "542/2022" in model.threshold.justification
    assert not model.levels.medium_from.verified
    assert "tool design" in model.status and "not law" in model.status


def write_variant(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """The default model with one edit; returns the file and the edited line number."""
    assert DEFAULT_TEXT.count(old) >= 1, old
    text = DEFAULT_TEXT.replace(old, new, 1)
    line = text[: text.index(new)].count("\n") + 1
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    return path, line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("      value: 0.9\n", "      value: 1.9\n", "need 0 <= low <= value <= high <= 1"),
        ("      value: 0.002\n", "      value: lots\n", "expected a number, got 'lots'"),
        ("  us-fisa-702:\n", "  us-fisa-7022:\n", "'us-fisa-7022' is not a knowledge-base law id"),
        (
            "      justification: >\n        Tool estimate. Chance per year that a US criminal",
            "      justifcation: >\n        Tool estimate. Chance per year that a US criminal",
            "unknown key 'justifcation'; did you mean 'justification'?",
        ),
        ("  value: 0.10\n", "  value: 1.5\n", "threshold: 1.5 must be strictly between 0 and 1"),
    ],
)
def test_bad_model_file_is_an_error_at_its_place(
    tmp_path: Path, knowledge: KnowledgeBase, old: str, new: str, message: str
) -> None:
    path, line = write_variant(tmp_path, old, new)
    with pytest.raises(RiskModelError) as caught:
        load_model(path, law_ids=knowledge.laws)
    assert any(
        d.span.path == str(path) and d.span.line == line and message in d.message
        for d in caught.value.diagnostics
    ), str(caught.value)


def test_cli_rejects_a_bad_risk_model_with_exit_2_and_no_traceback(
    tmp_path: Path, runner: CliRunner
) -> None:
    path, line = write_variant(tmp_path, "      value: 0.9\n", "      value: 1.9\n")
    result = runner.invoke(
        app,
        [
            "check",
            str(SAMPLES / "doctolib-2021.yaml"),
            "--risk-model",
            str(path),
            "--as-of",
            str(AS_OF),
        ],
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}:{line}:7: error: bases.us-fisa-702.subject: need ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_printed_model_can_be_edited_and_passed_back(tmp_path: Path, runner: CliRunner) -> None:
    printed = runner.invoke(app, ["risk-model"])
    assert printed.exit_code == 0 and printed.stdout == DEFAULT_TEXT
    # A stricter reader of the same evidence: FISA 702 interest ten times the default.
    edited = printed.stdout.replace(
        "      value: 0.002\n      low: 0.0005\n      high: 0.01\n",
        "      value: 0.02\n      low: 0.005\n      high: 0.1\n",
        1,
    )
    path = tmp_path / "stricter.yaml"
    path.write_text(edited, encoding="utf-8")

    def booking_app(*extra: str) -> tuple[dict[str, Any], dict[str, Any]]:
        result = runner.invoke(
            app,
            [
                "check",
                str(SAMPLES / "doctolib-2021.yaml"),
                "-f",
                "json",
                "--as-of",
                str(AS_OF),
                *extra,
            ],
        )
        report = json.loads(result.stdout)
        return next(f for f in report["flows"] if f["id"] == "booking-app"), report["risk_model"]

    default, default_model = booking_app()
    stricter, stricter_model = booking_app("--risk-model", str(path))
    assert stricter["risk"]["p_period"] > default["risk"]["p_period"]
    assert stricter_model["path"] == str(path)
    assert stricter_model["sha256"] != default_model["sha256"]
    fisa = [
        x
        for x in stricter["risk"]["factors"]
        if x["basis"] == "us-fisa-702" and x["factor"] == "interest"
    ]
    assert fisa[0]["value"] == 0.02 and fisa[0]["origin"].startswith(f"{path}:")

"""A deployment's own description is shown with its flows in the evidence reports, as text."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, SAMPLES

MARKUP = "Clinic <script>alert(1)</script> *records* | on AWS"


def test_markdown_html_and_json_carry_the_description_as_text(
    runner: CliRunner, tmp_path: Path
) -> None:
    deploy = tmp_path / "deploy.yaml"
    text = (SAMPLES / "backup-outside-eea.yaml").read_text()
    deploy.write_text(
        text.replace(
            "description: Fictional clinic; patient records (dossier patient) on AWS.",
            f"description: |\n  {MARKUP}\n  second line",
        )
    )
    outputs = {fmt: tmp_path / f"r.{fmt}" for fmt in ("markdown", "html", "json")}
    args = ["check", str(deploy), "--as-of", str(AS_OF)]
    for fmt, path in outputs.items():
        args += ["-f", fmt, "-o", str(path)]
    runner.invoke(app, args)
    [entry] = json.loads(outputs["json"].read_text())["inputs"]
    assert entry["description"] == f"{MARKUP}\nsecond line\n"  # as declared
    markdown = outputs["markdown"].read_text()
    assert "Described by its file as: Clinic <script>" not in markdown
    assert "Described by its file as: Clinic \\<script\\>alert(1)\\</script\\>" in markdown
    assert "\\*records\\* \\| on AWS second line" in markdown
    html = outputs["html"].read_text()
    assert "<script>alert(1)" not in html
    assert (
        "Described by its file as: Clinic &lt;script&gt;alert(1)&lt;/script&gt; *records* | "
        "on AWS second line" in html
    )


def test_the_doctolib_sample_says_what_it_models(runner: CliRunner) -> None:
    """The sample's caveat (what the ordonnance did not analyse is modelled) reaches the reader
    of the report, not only the YAML's comments."""
    result = runner.invoke(
        app, ["check", str(SAMPLES / "doctolib-2021.yaml"), "--as-of", str(AS_OF), "-f", "markdown"]
    )
    assert "ordonnance of 12 March 2021 (n° 450163)" in result.stdout
    assert "which the judge did not analyse, is modelled" in result.stdout

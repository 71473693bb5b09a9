"""Legal facts are cited for what their sources establish, from the day they apply: a fact the
cited source does not establish is marked unverified, so the report lists it among the knowledge
the audit relied on; a guidance document is cited from the day it was adopted; an enabling
provision is labelled as one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF


@pytest.mark.parametrize(
    ("provider", "region"),
    [("aws", "eu-west-3"), ("gcp", "europe-west9"), ("oracle", "eu-paris-1"), ("ibm", "eu-de")],
)
def test_a_providers_parent_not_established_by_its_source_is_reported_as_unverified(
    runner: CliRunner, tmp_path: Path, provider: str, region: str
) -> None:
    """The US parent these providers' findings rest on is from memory (legal-notes §6.2 [M]);
    the sources cited (a court ruling on the host, terms and region pages) do not name it."""
    path = tmp_path / "web.yaml"
    path.write_text(
        "schema_version: 1\n"
        "name: web\n"
        "controller: clinic\n"
        "data: {categories: [contact]}\n"
        "parties: [{id: clinic, name: Clinique SAS, role: controller, country: FR}]\n"
        "components:\n"
        f"  - {{id: web, kind: compute, provider: {provider}, operator: clinic,"
        f" region: {region}}}\n"
    )
    result = runner.invoke(
        app, ["check", str(path), "--format", "json", "--as-of", AS_OF.isoformat()]
    )
    relied = json.loads(result.stdout)["knowledge"]["unverified_used"]
    assert f"kb:providers.yaml#{provider}" in relied


def test_the_health_data_hub_ordonnance_is_unverified_until_its_dispositif_is_read(
    runner: CliRunner,
) -> None:
    result = runner.invoke(app, ["explain", "JUR-02"])
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("  - ce-444937 (")]
    assert "NOT VERIFIED" in line
    caveats = result.stdout.split("Unverified facts and caveats:")[1]
    assert "ce-444937: " in caveats and "dispositif was not read" in caveats


@pytest.mark.parametrize(("day", "cited"), [("2025-01-15", False), ("2025-01-16", True)])
def test_guidelines_01_2025_are_cited_from_their_adoption_on_16_january_2025(
    runner: CliRunner, day: str, cited: bool
) -> None:
    result = runner.invoke(app, ["explain", "EDPB-UC2-01", "--as-of", day])
    assert result.exit_code == 0, result.output
    references = result.stdout.split(f"References cited on {day}:")[1].split("\n\n")[0]
    assert ("EDPB Guidelines 01/2025" in references) is cited


def test_l_1111_8_iv_is_cited_as_the_provision_empowering_the_storage_decree(
    runner: CliRunner,
) -> None:
    """Before décret 2026-209's storage article applies (26 September 2026) an HDS-LOC-01
    finding rests on EXI 28; L.1111-8 IV is cited for what it does, and R.1111-9-1 from the day
    it applies."""
    for day, decree in (("2026-09-25", False), ("2026-09-26", True)):
        result = runner.invoke(app, ["explain", "HDS-LOC-01", "--as-of", day])
        references = result.stdout.split(f"References cited on {day}:")[1].split("\n\n")[0]
        (enabling,) = [x for x in references.splitlines() if "L.1111-8 IV" in x]
        assert "empowers a Conseil d'État decree" in enabling
        assert ("R.1111-9-1" in references.replace(enabling, "")) is decree


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_unverified_knowledge_a_rule_depends_on_is_listed_when_the_rule_judged(
    runner: CliRunner, tmp_path: Path, jobs: str
) -> None:
    """QA: JUR-02 cites the Conseil d'État's Health Data Hub ruling (ce-444937), whose outcome
    is unverified (its dispositif was not read); the report's list of unverified knowledge used
    did not name it, since no fact carries it. Every verdict of a rule rests on what it depends
    on: a rule that judged a subject lists its unverified dependencies, in a batch too."""
    from tests.conftest import SAMPLES

    batch = tmp_path / "batch"
    batch.mkdir()
    for i in range(40):  # enough for workers with -j 2
        (batch / f"hdh-{i}.yaml").write_text(
            (SAMPLES / "health-data-hub-2020.yaml")
            .read_text()
            .replace("name: ", f"name: hdh-{i}-", 1)
        )
    out = tmp_path / "result.json"
    result = runner.invoke(
        app,
        ["check", str(batch), "-j", jobs, "-f", "json", "-o", str(out), "--as-of", str(AS_OF)],
    )
    assert result.exit_code == 1, result.output
    used = json.loads(out.read_text())["knowledge"]["unverified_used"]
    assert "kb:instruments.yaml#ce-444937" in used
    assert "kb:instruments.yaml#edpb-guidelines-05-2021-v2" in used

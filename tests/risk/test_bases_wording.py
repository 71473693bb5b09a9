"""A flow's legal bases as a finding's message says them: a country whose law the knowledge base
lists none of is a presumption, not a law: `unlisted:CA` read to a lawyer as the name of a
Canadian statute under which the host "can reach health data"."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF

BACKUP_IN_CANADA = """\
schema_version: 1
name: nocert
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR}
  - {id: host, name: Hosting SAS, role: processor, country: FR, provider: ovhcloud,
     parent: {name: Hosting SAS, country: FR}}
components:
  - id: db
    kind: datastore
    provider: ovhcloud
    operator: host
    region: gra
    copies:
      - {kind: backup, region: bhs}
"""


def test_a_country_with_no_law_listed_is_worded_as_a_presumption(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "nocert.yaml"
    path.write_text(BACKUP_IN_CANADA, encoding="utf-8")
    result = runner.invoke(app, ["check", str(path), "-f", "json", "--as-of", str(AS_OF)])
    assert result.exit_code == 1, result.output
    found = json.loads(result.stdout)["findings"]
    [clear] = [f for f in found if f["rule_id"] == "RISK-CLEAR-01"]
    assert "unlisted:" not in clear["message"]
    assert clear["message"].startswith(
        "backup of db: Hosting SAS can reach health data in clear in CA; legal bases for access "
        "to them: the law of CA (none listed in the knowledge base; presumed to reach it, the "
        "country having no general adequacy decision); "
    ), clear["message"]
    # the bases themselves, for machines, are unchanged
    [bases] = [x for x in clear["facts"] if x["path"] == "flow.bases"]
    assert bases["value"] == ["unlisted:CA"]


def test_a_law_that_does_not_compel_the_holder_is_not_said_to_let_it_reach_the_data(
    runner: CliRunner,
) -> None:
    """QA (dates and evidence): 'Amazon Web Services EMEA SARL can reach health data in clear
    ... under us-cloud-act, us-fisa-702, us-eo-12333' made AWS answer to EO 12333, which the
    knowledge base records as signals intelligence without compelled provider assistance. The
    risk model still weighs it; the message says it does not compel the holder."""
    sample = Path(__file__).resolve().parents[2] / "sample_configs" / "backup-outside-eea.yaml"
    result = runner.invoke(app, ["check", str(sample), "-f", "json", "--as-of", str(AS_OF)])
    found = json.loads(result.stdout)["findings"]
    [clear] = [
        f
        for f in found
        if f["rule_id"] == "RISK-CLEAR-01" and f["message"].startswith("records-db:")
    ]
    assert (
        "can reach health data in clear in FR; legal bases for access to them: us-cloud-act, "
        "us-fisa-702, us-eo-12333 (without compelling the holder); "
    ) in clear["message"]
    [bases] = [x for x in clear["facts"] if x["path"] == "flow.bases"]
    assert bases["value"] == ["us-cloud-act", "us-fisa-702", "us-eo-12333"]


def test_a_copy_in_a_region_another_entity_runs_names_it_and_says_why_no_estimate(
    runner: CliRunner, tmp_path: Path
) -> None:
    """QA (README as a newcomer), the README's own waiver example: 'backup of records-db:
    unknown can reach health data in clear in CN; ... the estimated probability unknown over
    5 years does not cure this'. The knowledge base names who runs AWS's Beijing region, and
    no estimate can be made without the copy's legal bases: the message says both."""
    sample = Path(__file__).resolve().parents[2] / "sample_configs" / "backup-outside-eea.yaml"
    text = sample.read_text(encoding="utf-8").replace(
        "        region: us-east-1\n",
        "        region: us-east-1\n      - {kind: backup, region: cn-north-1}\n",
        1,
    )
    path = tmp_path / "records.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", str(path), "-f", "json", "--as-of", str(AS_OF)])
    found = json.loads(result.stdout)["findings"]
    [clear] = [
        f
        for f in found
        if f["rule_id"] == "RISK-CLEAR-01" and f["message"].startswith("backup of records-db:")
    ]
    assert clear["message"].startswith(
        "backup of records-db: Beijing Sinnet Technology Co., Ltd. can reach health "
        "data in clear in CN; "
    ), clear["message"]
    assert clear["message"].endswith(
        "; no estimated probability cures this (none could be made, its legal bases not all "
        "being known)"
    ), clear["message"]
    [records] = [
        f for f in found if f["rule_id"] == "RISK-CLEAR-01" and "(estimated at" in f["message"]
    ][:1]
    assert (
        "no estimated probability cures this (estimated at 0.31 % over 5 years)"
        in records["message"]
    )

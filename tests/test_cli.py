"""The command line as CI and people meet it: exit codes, errors on stderr, determinism."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from residency_audit import pipeline
from residency_audit.cli import app
from residency_audit.cli.base import STDOUT_CUT
from residency_audit.format.scalars import plain_value
from residency_audit.loader import load_document
from tests.conftest import AS_OF, FIXTURES, ROOT, SAMPLES
from tests.support.samples import copy_renamed

DEPLOYMENTS = FIXTURES / "deployments"


def run_json(runner: CliRunner, *args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["check", *args, "--format", "json", "--as-of", str(AS_OF)])
    return result.exit_code, json.loads(result.stdout)


def test_unknown_region_never_passes(runner: CliRunner) -> None:
    code, report = run_json(runner, str(DEPLOYMENTS / "region-unknown.yaml"))
    by_rule = {f["rule_id"]: f for f in report["findings"]}
    assert "CORE-KB-02" in by_rule
    assert "did you mean 'eu-west-3'?" in by_rule["CORE-KB-02"]["message"]
    assert by_rule["HDS-LOC-01"]["unverifiable"] is True
    assert by_rule["HDS-LOC-01"]["message"].startswith("cannot be verified")
    assert code == 1


@pytest.mark.parametrize(
    ("region", "said"),
    [
        # AWS's Paris region on Azure: the nearest Azure name, ukwest, would move the data to
        # the UK; the finding says whose region it is and Azure's own regions in that country
        (
            "eu-west-3",
            "region eu-west-3 is unknown; eu-west-3 is a region of aws (FR), not of azure; "
            "azure's regions in FR: francecentral, francesouth",
        ),
        # a region name in capitals, as OVHcloud's OpenStack regions (GRA7) are written
        ("FRANCECENTRAL", "region FRANCECENTRAL is unknown; did you mean 'francecentral'?"),
    ],
)
def test_a_region_of_another_provider_says_whose_it_is(
    runner: CliRunner, tmp_path: Path, region: str, said: str
) -> None:
    text = (SAMPLES / "health-data-hub-2020.yaml").read_text()
    path = tmp_path / "d.yaml"
    path.write_text(text.replace("region: francecentral", f"region: {region}", 1))
    code, report = run_json(runner, str(path))
    unknown = [f for f in report["findings"] if f["rule_id"] == "CORE-KB-02"]
    assert [f["message"] for f in unknown] == [f"cannot place warehouse (primary): {said}"]
    assert code == 1


@pytest.mark.parametrize(("written", "hint"), [("amazon", "aws"), ("ovh", "ovhcloud")])
def test_a_party_naming_an_unknown_provider_is_reported_where_it_is_written(
    runner: CliRunner, tmp_path: Path, written: str, hint: str
) -> None:
    """`provider: ovh` on a party lent it no parent, silently: only its consequences were
    reported (parent unknown, the provider's places with no party). The cause is a finding at
    the party, with the id meant."""
    text = (SAMPLES / "backup-outside-eea.yaml").read_text()
    lines = text.splitlines()
    line = next(i for i, x in enumerate(lines) if x.strip() == "provider: aws") + 1
    path = tmp_path / "d.yaml"
    path.write_text(text.replace("    provider: aws\n", f"    provider: {written}\n", 1))
    code, report = run_json(runner, str(path))
    [unknown] = [f for f in report["findings"] if f["rule_id"] == "CORE-KB-07"]
    assert unknown["severity"] == "high"
    assert (
        f"names provider {written}, which is not in the knowledge base; did you mean "
        in (unknown["message"])
    )
    assert f"did you mean '{hint}'?" in unknown["message"]
    party = max(i for i, x in enumerate(lines[:line]) if x.strip().startswith("- id: ")) + 1
    assert unknown["location"]["line"] == party  # the party's entry, `- id: aws-emea`
    assert code == 1


def test_a_secnumcloud_qualification_without_dates_says_which_dates_to_declare(
    runner: CliRunner, tmp_path: Path
) -> None:
    """It read "unknown certification.validity (certificate_current)": no key of the file."""
    text = (SAMPLES / "sovereign-hospital.yaml").read_text()
    assert "offer: IaaS cloudgouv" in text
    path = tmp_path / "d.yaml"
    path.write_text(
        text.replace(
            "claims:\n", "claims:\n  secnumcloud: true\n  secnumcloud_offer: IaaS cloudgouv\n"
        )
    )
    _, report = run_json(runner, str(path))
    [snc] = [f for f in report["findings"] if f["rule_id"] == "SNC-QUAL-02"]
    assert snc["unverifiable"] is True
    assert snc["message"].endswith(
        "Required: a SecNumCloud qualification of outscale (IaaS cloudgouv) under version 3.2 "
        "and valid on the audit date, its referential, issue and expiry dates declared from the "
        "ANSSI catalogue (referential: 3.2; issue date: unknown; expiry date: unknown)"
    )


def test_a_secnumcloud_host_mainly_established_outside_the_eu_fails_whatever_its_administration(
    runner: CliRunner, tmp_path: Path
) -> None:
    """SecNumCloud 3.2 §19.6 a asks the seat, the central administration and the principal
    establishment to be in the EU. One key held both: a host administered in Germany and mainly
    established in the US, declaring `central_administration: DE`, passed. Each is its own key."""
    text = (SAMPLES / "sovereign-hospital.yaml").read_text()
    path = tmp_path / "d.yaml"
    path.write_text(
        text.replace(
            "    provider: outscale\n",
            "    provider: outscale\n    central_administration: DE\n"
            "    principal_establishment: US\n",
            1,
        ).replace(
            "claims:\n", "claims:\n  secnumcloud: true\n  secnumcloud_offer: IaaS cloudgouv\n"
        )
    )
    lines = path.read_text().splitlines()
    line = next(i for i, x in enumerate(lines) if "principal_establishment" in x) + 1
    code, report = run_json(runner, str(path))
    [snc] = [f for f in report["findings"] if f["rule_id"] == "SNC-196-A"]
    assert snc["message"] == (
        "outscale hosts data of a deployment claiming SecNumCloud, but its seat (FR), central "
        "administration (DE) or principal establishment (US) is outside the EU"
    )
    sources = {x["path"]: x["source"] for x in snc["facts"]}
    assert sources["party.principal_establishment"] == f"{path}:{line}:30"
    assert code == 1


def test_a_finding_that_cannot_be_verified_does_not_assert_the_violation(runner: CliRunner) -> None:
    # The backup sample gives no processor list: whether aws-emea is on it is unknown, so the
    # finding names the requirement and must not say "is not on the Art. 28 processor list".
    _, report = run_json(runner, str(SAMPLES / "backup-outside-eea.yaml"))
    art28 = [f for f in report["findings"] if f["rule_id"] == "GDPR-28-01"]
    assert art28 and all(f["unverifiable"] for f in art28)
    for f in art28:
        assert f["message"].startswith("cannot be verified for party ")
        assert "unknown party.on_processor_list" in f["message"]
        assert "Required: Every party that hosts, holds keys for or accesses" in f["message"]
        assert "is not on the" not in f["message"]


def with_lines(path: Path, after: str, *lines: str) -> str:
    """The backup sample with `lines` inserted after its first line containing `after`, at
    that line's indentation; written to `path`."""
    text = (SAMPLES / "backup-outside-eea.yaml").read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(text) if after in line)
    indent = text[at][: len(text[at]) - len(text[at].lstrip())]
    text[at + 1 : at + 1] = [f"{indent}{line}\n" for line in lines]
    path.write_text("".join(text))
    return str(path)


def test_a_transfer_tool_concluded_after_the_as_of_date_covers_nothing_then(
    runner: CliRunner, tmp_path: Path
) -> None:
    """SCCs signed in August 2021 did not cover a US backup in 2019; they do once signed."""
    deployment = tmp_path / "xfer.yaml"
    deployment.write_text(
        "schema_version: 1\nname: xfer\ncontroller: clinique\n"
        "data: {categories: [health], health_context: care}\n"
        "parties:\n"
        "  - {id: clinique, name: Clinique SAS, role: controller, country: FR}\n"
        "  - {id: aws-emea, name: AWS EMEA SARL, role: processor, country: LU, provider: aws}\n"
        "components:\n"
        "  - {id: db, kind: datastore, provider: aws, operator: aws-emea, region: eu-west-3,\n"
        "     copies: [{kind: backup, region: us-east-1}]}\n"
        "transfers:\n"
        "  - {recipient: aws-emea, tool: scc-2010, countries: [US], concluded: 2021-08-01,\n"
        "     tia_reference: TIA-1, tia_date: 2021-08-01}\n"
    )

    def xfer(as_of: str) -> list[dict[str, Any]]:
        result = runner.invoke(app, ["check", str(deployment), "-f", "json", "--as-of", as_of])
        report = json.loads(result.stdout)
        return [f for f in report["findings"] if f["rule_id"] == "GDPR-XFER-01"]

    [early] = xfer("2019-06-01")
    assert not early["unverifiable"]
    tool = next(x for x in early["facts"] if x["path"] == "transfer.tool.scc-2010")
    assert tool["value"] == "invalid on 2019-06-01: concluded later, on 2021-08-01"
    assert xfer("2021-07-31") and not xfer("2021-08-01")


def test_a_country_contradicting_its_region_does_not_move_the_data(
    runner: CliRunner, tmp_path: Path
) -> None:
    """`region: us-east-1` with `country: FR` is audited in the US, and the contradiction is a
    finding on the copy, citing the declared country's line."""
    path = with_lines(tmp_path / "d.yaml", "region: us-east-1", "country: FR")
    code, report = run_json(runner, path)
    copy = [f for f in report["findings"] if f["location"]["line"] == 42]
    rules = {f["rule_id"] for f in copy}
    assert {"CORE-KB-03", "GDPR-XFER-01", "HDS-LOC-01"} <= rules
    contradiction = next(f for f in copy if f["rule_id"] == "CORE-KB-03")
    assert "declared country FR contradicts region us-east-1" in contradiction["message"]
    sources = {x["path"]: x["source"] for x in contradiction["facts"]}
    assert sources["location.declared_country"] == f"{path}:44:18"
    assert code == 1


@pytest.mark.parametrize(
    ("code", "hint"),
    # a country's name in capitals suggests its code, not the code spelt nearest to the name
    [("UK", "GB"), ("EL", "GR"), ("FRANCE", "FR"), ("LUXEMBOURG", "LU")],  # fr: test_format
)
def test_an_unknown_country_code_is_named_where_it_is_written(
    runner: CliRunner, tmp_path: Path, code: str, hint: str
) -> None:
    text = (SAMPLES / "backup-outside-eea.yaml").read_text()
    assert "country: LU" in text
    path = tmp_path / "d.yaml"
    path.write_text(text.replace("country: LU", f"country: {code}", 1))
    line = text.splitlines().index(next(x for x in text.splitlines() if "country: LU" in x)) + 1
    _, report = run_json(runner, str(path))
    unknown = [f for f in report["findings"] if f["rule_id"] == "CORE-KB-04"]
    assert [f["location"]["line"] for f in unknown] == [line]
    assert f'did you mean "{hint}"?' in unknown[0]["message"]
    assert unknown[0]["severity"] == "high"


def test_an_entity_seated_under_foreign_law_is_exposed_whatever_its_parent(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A US-seated subsidiary of a French group is under US law: the jurisdiction rules read the
    seat as well as the parent."""
    path = tmp_path / "d.yaml"
    text = (SAMPLES / "sovereign-hospital.yaml").read_text()
    assert "    country: FR\n    provider: outscale" in text
    path.write_text(
        text.replace(
            "    country: FR\n    provider: outscale", "    country: US\n    provider: outscale", 1
        )
    )
    _, report = run_json(runner, str(path))
    exposed = {f["rule_id"]: f for f in report["findings"] if f["component"] is None}
    assert {"JUR-01", "GDPR-48-01"} <= set(exposed)
    assert "seat US" in exposed["GDPR-48-01"]["message"]


def test_a_tool_for_every_country_needs_a_tia_for_each_non_adequate_one(
    runner: CliRunner, tmp_path: Path
) -> None:
    """SCCs with aws-emea (LU) and no `countries` cover its US snapshot copy: that transfer
    needs a TIA, though the recipient's seat is in the EEA."""
    path = tmp_path / "d.yaml"
    text = (SAMPLES / "backup-outside-eea.yaml").read_text()
    path.write_text(
        text + "\ntransfers:\n  - {recipient: aws-emea, tool: scc-2021, scc_module: 2}\n"
    )
    _, report = run_json(runner, str(path))
    rules = {f["rule_id"] for f in report["findings"]}
    assert "GDPR-XFER-01" not in rules  # the tool covers the copy
    tia = [f for f in report["findings"] if f["rule_id"] == "GDPR-TIA-01"]
    assert len(tia) == 1 and "aws-emea (US)" in tia[0]["message"]
    assert tia[0]["location"]["line"] == len(text.splitlines()) + 3


def test_a_tool_for_every_country_is_not_judged_where_there_is_no_transfer(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The DPF relied on for aws-emea (seat LU, places in FR and the US): judged for the US copy
    only, not three times, for Luxembourg and France too, where no data are transferred."""
    path = tmp_path / "d.yaml"
    text = (SAMPLES / "backup-outside-eea.yaml").read_text()
    path.write_text(text + "\ntransfers:\n  - {recipient: aws-emea, tool: dpf}\n")
    _, report = run_json(runner, str(path))
    dpf = [f["message"] for f in report["findings"] if f["rule_id"] == "US-DPF-01"]
    assert len(dpf) == 1 and dpf[0].startswith("transfer to aws-emea (US) relies on the DPF")
    # declared for Luxembourg only, or for its EEA places: no transfer, nothing judged
    for countries in ("[LU]", "[LU, FR]"):
        declared = "\ntransfers:\n  - {recipient: aws-emea, tool: dpf, countries: %s}\n"
        path.write_text(text + declared % countries)
        _, report = run_json(runner, str(path))
        assert not [f for f in report["findings"] if f["rule_id"].startswith("US-DPF")]


@pytest.mark.parametrize(
    ("replica", "country"), [("us-east-1", "US"), ("eu-central-1", "DE"), ("xx-nowhere-9", None)]
)
def test_a_key_is_where_its_region_and_replicas_are(
    runner: CliRunner, tmp_path: Path, replica: str, country: str | None
) -> None:
    """A KMS key declared by region gets the region's country; each replica region of a
    multi-region key is key material there: a flow of its own, and EDPB-KEY-01 says whether the
    replicas stay in the EEA or an adequate country (unknown for an unknown region)."""
    text = (SAMPLES / "backup-outside-eea.yaml").read_text()
    declared = "    country: FR\n    provider_can_use: true"
    assert declared in text
    path = tmp_path / "d.yaml"
    path.write_text(
        text.replace(
            declared,
            f"    region: eu-west-3\n    replica_regions: [{replica}]\n    provider_can_use: true",
        )
    )
    _, report = run_json(runner, str(path))
    flows = {f["id"]: f for f in report["flows"]}
    assert flows["key/records-key"]["country"] == "FR"
    assert flows[f"key/records-key/replica-{replica}"]["country"] == country
    key = next(f for f in report["findings"] if f["rule_id"] == "EDPB-KEY-01")
    replicas = [x for x in key["facts"] if x["path"] == "key.replicas_eea_or_adequate"]
    # an unknown replica region leaves the fact unknown: absent, so the rule cannot pass
    assert [x["value"] for x in replicas] == {"US": [False], "DE": [True], None: []}[country]


def test_unknown_provider_never_passes(runner: CliRunner) -> None:
    code, report = run_json(runner, str(DEPLOYMENTS / "provider-unknown.yaml"))
    rules = {f["rule_id"] for f in report["findings"]}
    assert {"CORE-KB-01", "JUR-EXPO-01"} <= rules
    assert code == 1


def test_malformed_yaml_exits_2_with_position_and_no_traceback(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", str(DEPLOYMENTS / "malformed.yaml")])
    assert result.exit_code == 2
    assert f"{DEPLOYMENTS / 'malformed.yaml'}:6:1: error: YAML syntax" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_batch_with_a_bad_file_still_reports_the_others(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text((SAMPLES / "backup-outside-eea.yaml").read_text())
    (tmp_path / "bad.yaml").write_text("schema_version: [\n")
    code, report = run_json(runner, str(tmp_path))
    assert code == 2
    assert report["errors"][0]["path"] == str(tmp_path / "bad.yaml")
    assert {f["rule_id"] for f in report["findings"]} >= {"HDS-LOC-01", "GDPR-XFER-01"}


@pytest.mark.parametrize(("fail_on", "expected"), [("never", 0), ("critical", 1), ("high", 1)])
def test_fail_on_threshold(runner: CliRunner, fail_on: str, expected: int) -> None:
    result = runner.invoke(
        app,
        [
            "check",
            str(SAMPLES / "backup-outside-eea.yaml"),
            "--fail-on",
            fail_on,
            "--as-of",
            str(AS_OF),
        ],
    )
    assert result.exit_code == expected


@pytest.mark.parametrize(
    "args",
    [
        ["--as-of", "28/11/2026"],
        ["--fail-on", "severe"],
        ["--format", "yaml"],
        ["--rules", "/nonexistent"],
    ],
)
def test_usage_errors_exit_2(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, ["check", str(SAMPLES / "doctolib-2021.yaml"), *args])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip()


def test_internal_error_exits_3_not_1(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "run", crash)
    result = runner.invoke(app, ["check", str(SAMPLES / "doctolib-2021.yaml")])
    assert result.exit_code == 3
    assert "internal error: RuntimeError: boom" in result.stderr


@pytest.mark.parametrize("where", ["run", "output"])
def test_a_broken_pipe_that_is_not_stdouts_is_an_internal_error(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Only a reader leaving stdout is forgiven; a worker's or a server's pipe never passes."""

    def crash(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    if where == "run":
        monkeypatch.setattr(pipeline, "run", crash)
    else:
        monkeypatch.setattr("residency_audit.cli.audit._emit", crash)
    result = runner.invoke(app, ["check", str(SAMPLES / "doctolib-2021.yaml")])
    assert result.exit_code == 3
    assert "internal error: BrokenPipeError" in result.stderr


def test_same_inputs_same_date_give_identical_json(runner: CliRunner) -> None:
    args = ["check", str(SAMPLES), "--format", "json", "--as-of", "2025-01-01"]
    assert runner.invoke(app, args).stdout == runner.invoke(app, args).stdout


def test_transfer_tool_validity_follows_the_as_of_date(runner: CliRunner) -> None:
    path = str(DEPLOYMENTS / "transfer-scc-2010.yaml")
    for day, expected in (("2022-12-27", False), ("2022-12-28", True)):
        result = runner.invoke(app, ["check", path, "--format", "json", "--as-of", day])
        rules = {f["rule_id"] for f in json.loads(result.stdout)["findings"]}
        assert ("GDPR-XFER-01" in rules) is expected, day


def test_plain_text_output_is_parsable_and_has_a_summary(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        ["check", str(SAMPLES / "backup-outside-eea.yaml"), "--as-of", str(AS_OF)],
        env={"NO_COLOR": "1"},
    )
    lines = result.stdout.splitlines()
    assert any(
        line.strip().startswith(f"{SAMPLES / 'backup-outside-eea.yaml'}:")
        and " HDS-LOC-01 " in line
        for line in lines
    )
    assert lines[-1].endswith("fail-on high: FAIL")
    assert "\x1b[" not in result.stdout


def test_output_file_and_second_format(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = runner.invoke(
        app,
        [
            "check",
            str(SAMPLES / "doctolib-2021.yaml"),
            "--format",
            "json",
            "--output",
            str(out),
            "--format",
            "text",
        ],
    )
    assert json.loads(out.read_text())["tool"]["name"] == "residency-audit"
    assert "finding(s)" in result.stdout


def test_an_output_named_for_another_format_is_refused_before_anything_is_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    """QA: `-f markdown -f json -o result.json` wrote the Markdown into result.json (outputs
    pair with formats by rank) and the JSON to stdout: a CI step uploaded Markdown as its
    result."""
    out = tmp_path / "result.json"
    sample = str(SAMPLES / "doctolib-2021.yaml")
    result = runner.invoke(app, ["check", sample, "-f", "markdown", "-f", "json", "-o", str(out)])
    assert result.exit_code == 2
    assert f"--output {out}: its name says json or sarif, but --format markdown" in result.stderr
    assert not out.exists() and result.stdout == ""
    # a SARIF log is JSON, and a name without a format's extension takes any
    named = [tmp_path / "r.sarif.json", tmp_path / "r.xml", tmp_path / "notes.txt"]
    args = ["-f", "sarif", "-o", str(named[0]), "-f", "junit", "-o", str(named[1])]
    args += ["-f", "markdown", "-o", str(named[2])]
    result = runner.invoke(app, ["check", sample, *args])
    assert result.exit_code == 1, result.output
    assert all(p.stat().st_size > 0 for p in named)


@pytest.mark.parametrize("bad", ["missing/x.sarif", "."])
def test_an_output_that_cannot_be_written_stops_the_run_before_anything_is_written(
    runner: CliRunner, tmp_path: Path, bad: str
) -> None:
    """Checked before the audit: no half-written set of reports, one of them from a run before."""
    good = tmp_path / "result.json"
    result = runner.invoke(
        app,
        [
            "check",
            str(SAMPLES / "doctolib-2021.yaml"),
            *("--format", "json", "--output", str(good)),
            *("--format", "sarif", "--output", str(tmp_path / bad)),
        ],
    )
    assert result.exit_code == 2
    assert f"--output {tmp_path / bad}:" in result.stderr
    assert not good.exists()


@pytest.fixture
def prod_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A deployment in the working directory (tmp_path), as users name files: relatively."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "prod.yaml"
    path.write_bytes((SAMPLES / "backup-outside-eea.yaml").read_bytes())
    return path


def crash_if_audited(monkeypatch: pytest.MonkeyPatch) -> None:
    def audit(*args: object, **kwargs: object) -> None:
        raise AssertionError("audited despite a refused --output")

    monkeypatch.setattr(pipeline, "run", audit)


@pytest.mark.parametrize(
    ("inputs", "output", "what"),
    [
        (["prod.yaml"], "prod.yaml", "the deployment file prod.yaml"),
        (["prod.yaml"], "./sub/../prod.yaml", "the deployment file prod.yaml"),
        (["prod.yaml"], "link.yaml", "the deployment file prod.yaml"),
        (["."], "prod.yaml", "a YAML file under the deployment directory ."),
        # Not there yet, but the next audit of the directory would read it as a deployment.
        (["."], "result.yaml", "a YAML file under the deployment directory ."),
        (["."], "sub/result.YML", "a YAML file under the deployment directory ."),
        (["other.yaml", "--waivers", "prod.yaml"], "prod.yaml", "the waivers file prod.yaml"),
        (["other.yaml", "--dns", "prod.yaml"], "prod.yaml", "the DNS observations file prod.yaml"),
    ],
)
def test_an_output_that_is_an_input_is_refused_before_the_audit(
    runner: CliRunner,
    prod_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    inputs: list[str],
    output: str,
    what: str,
) -> None:
    (prod_file.parent / "sub").mkdir()
    (prod_file.parent / "link.yaml").symlink_to(prod_file)
    before = prod_file.read_bytes()
    crash_if_audited(monkeypatch)
    result = runner.invoke(
        app, ["check", *inputs, "-f", "html", "-o", "r.html", "-f", "json", "-o", output]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"error: --output {Path(output)}: this is {what}, an input of this run; "
        "refusing to overwrite it with the json report (write it elsewhere)\n"
    )
    assert prod_file.read_bytes() == before
    assert not (prod_file.parent / "r.html").exists()


def test_an_output_next_to_the_inputs_is_written(runner: CliRunner, prod_file: Path) -> None:
    result = runner.invoke(
        app, ["check", ".", "-f", "json", "-o", "prod.json", "--as-of", str(AS_OF)]
    )
    assert result.exit_code == 1, result.output
    assert (
        json.loads((prod_file.parent / "prod.json").read_text())["inputs"][0]["path"] == "prod.yaml"
    )


def test_two_formats_to_one_file_are_refused_before_the_audit(
    runner: CliRunner, prod_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_if_audited(monkeypatch)
    args = ["check", "prod.yaml", "-f", "json", "-o", "a.json", "-f", "html", "-o", "./a.json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "error: --output a.json: both --format json and --format html would be written to "
        "this file; give each format its own file\n"
    )
    assert not (prod_file.parent / "a.json").exists()


def test_output_dash_is_stdout(runner: CliRunner, prod_file: Path) -> None:
    args = ["check", "prod.yaml", "--as-of", str(AS_OF), "-f", "json", "-o", "-"]
    result = runner.invoke(app, [*args, "-f", "markdown", "-o", "r.md"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["inputs"][0]["path"] == "prod.yaml"
    assert not (prod_file.parent / "-").exists()
    assert (prod_file.parent / "r.md").read_text().startswith("# Data residency audit")


@pytest.mark.parametrize("second", [["-o", "-"], []])
def test_two_formats_to_stdout_are_refused(
    runner: CliRunner, prod_file: Path, second: list[str]
) -> None:
    result = runner.invoke(
        app, ["check", "prod.yaml", "-f", "json", "-o", "-", "-f", "sarif", *second]
    )
    assert result.exit_code == 2, result.output
    assert "only one --format can go to stdout (no --output, or --output -)" in result.stderr
    assert not (prod_file.parent / "-").exists()


def test_a_text_report_file_lists_the_input_errors(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text((SAMPLES / "backup-outside-eea.yaml").read_text())
    (tmp_path / "bad.yaml").write_text("schema_version: [\n")
    report = tmp_path / "r.txt"
    args = ["check", str(tmp_path), "--as-of", str(AS_OF), "-f", "text", "-o", str(report)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    error = f"{tmp_path / 'bad.yaml'}:2:1: error: YAML syntax"
    assert error in result.stderr
    lines = report.read_text().splitlines()
    assert any(line.startswith(error) for line in lines)
    assert "1 input error(s)" in lines[-1]
    # Text on stdout shows each error once: on stderr, next to it.
    shown = runner.invoke(app, args[:-4], env={"NO_COLOR": "1"})
    assert error in shown.stderr and error not in shown.stdout


def test_a_batch_reads_the_same_with_workers_in_every_streamed_format(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(36):  # enough files for two workers
        sample = ("doctolib-2021", "backup-outside-eea", "sovereign-hospital")[i % 3]
        copy_renamed(SAMPLES / f"{sample}.yaml", tmp_path / f"d{i:02d}.yaml", f"{i:02d}")
    outputs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"result-{jobs}.json"
        formats = ["--format", "json", "--output", str(out), "--format", "text"]
        result = runner.invoke(
            app, ["check", str(tmp_path), "--as-of", str(AS_OF), "-j", jobs, *formats]
        )
        assert result.exit_code == 1, result.output
        outputs[jobs] = (out.read_text(), result.stdout)
    assert outputs["1"] == outputs["2"]
    assert len(json.loads(outputs["2"][0])["inputs"]) == 36
    # Text to a terminal is a table drawn from the findings: the workers must send them.
    monkeypatch.setattr("residency_audit.cli.audit._rich_terminal", lambda: True)
    table = runner.invoke(app, ["check", str(tmp_path), "--as-of", str(AS_OF), "-j", "2"])
    assert table.exit_code == 1 and "GDPR-XFER" in table.stdout, table.output


def test_rules_list_json(runner: CliRunner) -> None:
    items = json.loads(runner.invoke(app, ["rules", "list", "--format", "json"]).stdout)
    assert {"id", "pack", "severity", "title", "references"} <= set(items[0])
    assert {i["pack"] for i in items} >= {"hds", "gdpr", "jurisdiction"}
    assert all(r["url"].startswith("https://") for i in items for r in i["references"])


def test_explain_shows_references_and_rationale(runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", "HDS-LOC-01"])
    assert result.exit_code == 0
    assert "EXI 28" in result.stdout and "Rationale:" in result.stdout
    assert "esante.gouv.fr" in result.stdout


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_reader_that_stops_early_fails_the_run_and_the_files_are_written(
    tmp_path: Path, fmt: str
) -> None:
    """`check ... | head`: the rest of stdout is dropped and the files asked for are written,
    but the run exits 2, not with the verdict of an output nobody read whole (nor 3, a bug)."""
    batch = tmp_path / "batch"  # 40 files: workers, and megabytes of output still to come
    batch.mkdir()
    for i in range(8):
        for sample in SAMPLES.glob("*.yaml"):
            copy_renamed(sample, batch / f"{i}-{sample.name}", str(i))
    saved = tmp_path / "result.json"
    command = [sys.executable, "-m", "residency_audit", "check", str(batch), "--as-of"]
    command += [str(AS_OF), "-j", "2", "--format", "json", "--output", str(saved)]
    command += ["--format", fmt]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.read(10)
        process.stdout.close()  # the reader goes
        errors = process.stderr.read().decode()
        code = process.wait()
    assert (code, errors) == (2, STDOUT_CUT + "\n")
    assert len(json.loads(saved.read_text())["inputs"]) == 40


def test_a_listing_cut_short_says_so_and_does_not_claim_a_result() -> None:
    import os

    read, write = os.pipe()
    os.close(read)  # nobody will read what `schema` writes
    try:
        done = subprocess.run(
            [sys.executable, "-m", "residency_audit", "schema"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write)
    assert done.returncode == 2  # the output is incomplete: never a pass
    assert done.stderr == STDOUT_CUT + "\n"
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr


def test_explain_unknown_rule_suggests(runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", "hds-loc-1"])
    assert result.exit_code == 2
    assert "did you mean 'HDS-LOC-01'?" in result.stderr


def test_explain_reads_a_rule_id_in_lower_case(runner: CliRunner) -> None:
    """An officer copying `hds-loc-01` from a ticket was refused with "did you mean
    'HDS-LOC-01'?": the rule meant is certain, so it is explained."""
    result = runner.invoke(app, ["explain", "hds-loc-01"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == runner.invoke(app, ["explain", "HDS-LOC-01"]).stdout
    assert result.stdout.startswith("HDS-LOC-01 — ")


def test_explain_reads_the_rule_id_code_scanning_shows(runner: CliRunner) -> None:
    """GitHub code scanning shows a finding raised or lowered from its rule's severity under the
    SARIF rule id `HDS-PUB-01/low`; copied into `explain`, it was refused (exit 2). An unknown
    severity after the slash is still refused."""
    shown = runner.invoke(app, ["explain", "HDS-PUB-01/low"])
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout == runner.invoke(app, ["explain", "HDS-PUB-01"]).stdout
    wrong = runner.invoke(app, ["explain", "HDS-PUB-01/lowest"])
    assert wrong.exit_code == 2
    assert "unknown rule 'HDS-PUB-01/lowest'" in wrong.stderr


def test_schema_is_draft07_and_validates_the_samples(runner: CliRunner) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(runner.invoke(app, ["schema"]).stdout)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    for sample in sorted(SAMPLES.glob("*.yaml")):
        # read as a YAML 1.2 editor does (yaml-language-server): NO is a string, dates too
        data = plain_value(load_document(sample).root)
        errors = [e.message for e in validator.iter_errors(data)]
        assert not errors, (sample.name, errors)
    bad = plain_value(load_document(DEPLOYMENTS / "many-errors.yaml").root)
    assert len(list(validator.iter_errors(bad))) >= 3
    assert (ROOT / "deployment.schema.json").read_text() == json.dumps(schema, indent=2) + "\n", (
        "deployment.schema.json is stale: run `residency-audit schema > deployment.schema.json`"
    )


def test_module_entry_point_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "residency_audit", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.startswith("residency-audit ")


def test_stale_knowledge_is_announced_in_the_header(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        ["check", str(SAMPLES / "doctolib-2021.yaml"), "--as-of", "2028-01-01"],
        env={"NO_COLOR": "1"},
    )
    assert (
        "knowledge-base entries were checked more than six months before 2028-01-01"
        in result.stdout
    )
    fresh = runner.invoke(
        app,
        ["check", str(SAMPLES / "doctolib-2021.yaml"), "--as-of", str(AS_OF)],
        env={"NO_COLOR": "1"},
    )
    assert "six months" not in fresh.stdout


def test_binding_corporate_rules_count_only_with_an_approval(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A BCR nobody can show was approved (Art. 47(1)) is unverifiable, never a pass."""
    text = (
        (DEPLOYMENTS / "transfer-scc-2010.yaml").read_text().replace("tool: scc-2010", "tool: bcr")
    )
    unapproved, approved = tmp_path / "bcr.yaml", tmp_path / "bcr-approved.yaml"
    unapproved.write_text(text)
    approved.write_text(text.replace("tool: bcr", "tool: bcr\n    approval: CNIL-BCR-2024-17"))

    def transfer_finding(path: Path) -> dict | None:
        report = json.loads(
            runner.invoke(app, ["check", str(path), "-f", "json", "--as-of", str(AS_OF)]).stdout
        )
        return next((f for f in report["findings"] if f["rule_id"] == "GDPR-XFER-01"), None)

    finding = transfer_finding(unapproved)
    assert finding is not None and finding["unverifiable"] is True
    assert transfer_finding(approved) is None


def test_a_report_that_cannot_be_finished_leaves_the_previous_one(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written to a file beside it and renamed once whole: a failure half-way (here, the writer
    raising after its first bytes) leaves the old report and no partial file."""
    from residency_audit.reporters import json as json_reporter

    out = tmp_path / "r.json"
    out.write_text("OLD\n")

    def fail_half_way(report: object, handle: Any, **_: object) -> None:
        handle.write('{"tool": ')
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json_reporter, "write", fail_half_way)
    sample = str(SAMPLES / "doctolib-2021.yaml")
    result = runner.invoke(app, ["check", sample, "-f", "json", "-o", str(out)])
    assert result.exit_code == 2
    assert "cannot write: No space left on device" in result.stderr
    assert out.read_text() == "OLD\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_a_run_that_cannot_write_every_output_replaces_none(
    runner: CliRunner, tmp_path: Path
) -> None:
    """JSON, then the text report to a full disk: the previous JSON stays, not a new one
    beside reports of the last run that this run could not replace (so too for a TERM)."""
    old = tmp_path / "r.json"
    old.write_text("OLD JSON\n")
    args = ["-f", "json", "-o", str(old), "-f", "text", "-o", "/dev/full"]
    result = runner.invoke(app, ["check", str(SAMPLES / "doctolib-2021.yaml"), *args])
    assert result.exit_code == 2
    assert "No space left on device" in result.stderr
    assert old.read_text() == "OLD JSON\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


TERM_BETWEEN_RENAMES = """
import os, signal, sys
from residency_audit import cli

real = os.replace


def replace(source, target):
    real(source, target)
    os.kill(os.getpid(), signal.SIGTERM)  # CI cancels the job right after the first rename


os.replace = replace
sys.argv = ["residency-audit", *sys.argv[1:]]
cli.main()
"""


def test_a_term_between_the_renames_of_the_outputs_leaves_them_matching(tmp_path: Path) -> None:
    """QA: a TERM landing after the JSON was put in place and before the SARIF left a new JSON
    beside last run's SARIF. The signal now waits for the last rename: both are new."""
    json_out, sarif_out = tmp_path / "r.json", tmp_path / "r.sarif"
    json_out.write_text("OLD\n")
    sarif_out.write_text("OLD\n")
    sample = str(SAMPLES / "doctolib-2021.yaml")
    outputs = ["-f", "json", "-o", str(json_out), "-f", "sarif", "-o", str(sarif_out)]
    command = ["check", sample, "--as-of", str(AS_OF), *outputs]
    done = subprocess.run(
        [sys.executable, "-c", TERM_BETWEEN_RENAMES, *command],
        capture_output=True,
        text=True,
        # no parse cache: its own rename would get the TERM first
        env={**os.environ, "PYTHONPATH": str(ROOT), "RESIDENCY_AUDIT_NO_CACHE": "1"},
        check=False,
        timeout=60,
    )
    assert done.returncode == 128 + 15, done.stderr
    assert json_out.read_text() != "OLD\n" and sarif_out.read_text() != "OLD\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.sarif"]


def test_a_full_disk_on_stdout_is_an_error_not_a_bug() -> None:
    """`check ... > /dev/full`: the machine is out of space, which is no bug (exit 3)."""
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "residency_audit",
                "check",
                str(SAMPLES / "doctolib-2021.yaml"),
                "-f",
                "json",
            ],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: cannot write stdout: No space left on device; free space"
    )


@pytest.mark.parametrize(
    ("interruption", "code"),
    [("raise KeyboardInterrupt", 130), ("os.kill(os.getpid(), signal.SIGTERM)", 143)],
)
def test_an_interruption_while_the_command_loads_exits_cleanly(
    tmp_path: Path, interruption: str, code: int
) -> None:
    """Ctrl-C or a TERM while the interface is still being imported (here: as typer loads)
    ends the run as it does later, with its exit code and no traceback (the user did not
    ask for --debug), not with a traceback or killed by the signal (-15)."""
    fake = tmp_path / "typer"
    fake.mkdir()
    (fake / "__init__.py").write_text(f"import os, signal\n{interruption}\nimport time\n")
    done = subprocess.run(
        [sys.executable, "-m", "residency_audit", "--version"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"},
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (code, "")


@pytest.mark.parametrize(
    "args",
    [
        ["check", str(SAMPLES / "doctolib-2021.yaml"), "-f", "json"],
        ["check", str(SAMPLES / "doctolib-2021.yaml")],
        ["--version"],
    ],
)
def test_a_closed_stdout_is_an_error_not_a_bug(args: list[str]) -> None:
    """`check ... >&-`: Python starts with no stdout at all; as for a full disk, exit 2 and say
    so, never `internal error: AttributeError`."""
    result = subprocess.run(
        [sys.executable, "-m", "residency_audit", *args],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=lambda: os.close(1),  # the shell's `>&-`
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: cannot write stdout: stdout is closed"), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_a_closed_stdout_does_not_matter_when_every_format_goes_to_a_file(
    tmp_path: Path,
) -> None:
    out = tmp_path / "r.json"
    args = ["check", str(SAMPLES / "sovereign-hospital.yaml"), "-f", "json", "-o", str(out)]
    result = subprocess.run(
        [sys.executable, "-m", "residency_audit", *args, "--fail-on", "medium"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=lambda: os.close(1),
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(out.read_text())["findings"]


def test_rules_list_json_has_the_keys_the_readme_gives(runner: CliRunner) -> None:
    """A script reading `rules list --format json` has no schema: the README says which keys
    each rule has (QA: it listed the command only), and the output has those, no more."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("`residency-audit rules list --format json` prints")
    said = readme[start : readme.index("It has no JSON Schema", start)]
    documented = set(re.findall(r"`([a-z_]+)`", said.split("holding exactly:", 1)[1]))
    documented -= {"label", "url", "explain"}  # a reference's keys; the command named
    items = json.loads(runner.invoke(app, ["rules", "list", "--format", "json"]).stdout)
    assert all(set(item) == documented for item in items), documented
    assert {tuple(sorted(r)) for i in items for r in i["references"]} == {("label", "url")}

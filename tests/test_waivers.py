"""Waivers: in force they set findings aside (still shown), expired they warn, malformed they stop
the run with path:line:col (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from residency_audit.cli import app
from tests.conftest import AS_OF, FIXTURES, SAMPLES
from tests.support.waivers import waive_every_finding

BACKUP = str(SAMPLES / "backup-outside-eea.yaml")
WAIVERS = FIXTURES / "waivers"


def check(runner: CliRunner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["check", BACKUP, "--as-of", str(AS_OF), *args])


def all_in_force(runner: CliRunner, tmp_path: Path) -> Path:
    """Every finding of the backup sample waived until 2027, HDS-LOC-01 only until the as-of
    day itself (still covered on that day)."""
    plain = json.loads(check(runner, "-f", "json").stdout)
    return waive_every_finding(
        plain, tmp_path / "waivers.yaml", expiring={"HDS-LOC-01": str(AS_OF)}
    )


def test_waivers_in_force_pass_the_audit_and_keep_findings_visible(
    runner: CliRunner, tmp_path: Path
) -> None:
    plain = check(runner, "-f", "json")
    waived = check(runner, "-f", "json", "--waivers", str(all_in_force(runner, tmp_path)))
    assert plain.exit_code == 1
    assert waived.exit_code == 0, waived.stdout
    findings = json.loads(waived.stdout)["findings"]
    assert {f["rule_id"] for f in findings} == {
        f["rule_id"] for f in json.loads(plain.stdout)["findings"]
    }
    assert {f["status"] for f in findings} == {"waived"}
    assert all(f["waiver"]["approved_by"].endswith("@example.org") for f in findings)


def test_text_output_marks_waived_findings(runner: CliRunner, tmp_path: Path) -> None:
    waivers = all_in_force(runner, tmp_path)
    count = len(json.loads(check(runner, "-f", "json").stdout)["findings"])
    result = check(runner, "--waivers", str(waivers))
    assert "[waived]" in result.stdout
    assert f"of these, {count} waived, not counted by fail-on" in result.stdout


def test_expired_waiver_warns_and_no_longer_applies(runner: CliRunner) -> None:
    path = WAIVERS / "backup-tia.yaml"
    result = check(runner, "-f", "json", "--waivers", str(path))
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    hds = next(f for f in findings if f["rule_id"] == "HDS-LOC-01")
    assert hds["status"] == "open" and hds["waiver"]["expires"] == "2026-09-30"
    lapse = next(f for f in findings if f["rule_id"] == "WAIVER-EXP-01")
    assert lapse["severity"] == "medium" and lapse["status"] == "open"
    assert lapse["location"]["path"] == str(path)
    assert lapse["location"]["line"] == next(
        i for i, line in enumerate(path.read_text().splitlines(), 1) if "rule: HDS-LOC-01" in line
    )
    assert "expired after 2026-09-30, its last valid day" in lapse["message"]
    assert lapse["references"][0]["url"].startswith("https://eur-lex.europa.eu/")
    assert any(
        x["path"] == "waiver.expires" and x["source"].startswith(str(path)) for x in lapse["facts"]
    )


def test_waiver_expiring_the_day_after_still_passes_then_lapses(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = str(all_in_force(runner, tmp_path))  # HDS-LOC-01 expires on the as-of day
    assert check(runner, "--waivers", path).exit_code == 0
    later = runner.invoke(
        app, ["check", BACKUP, "--as-of", "2026-11-29", "-f", "json", "--waivers", path]
    )
    assert later.exit_code == 1
    rules = {f["rule_id"]: f["status"] for f in json.loads(later.stdout)["findings"]}
    assert rules["HDS-LOC-01"] == "open" and "WAIVER-EXP-01" in rules


def test_malformed_waiver_file_is_an_input_error_with_positions(runner: CliRunner) -> None:
    path = WAIVERS / "malformed.yaml"
    result = check(runner, "--waivers", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        f"{path}:2:11: error: waiver for unknown rule 'GDPR-XFER-1'; did you mean 'GDPR-XFER-01'?"
    ) in result.stderr
    assert f"{path}:10:14: error: waivers[1].expires: expected a date YYYY-MM-DD" in result.stderr
    assert f"{path}:7:5: error: waivers[1]: missing required key 'approved_by'" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_waiver_file_is_an_input_error(runner: CliRunner, tmp_path: Path) -> None:
    result = check(runner, "--waivers", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "nope.yaml:1:1: error: file not found" in result.stderr


def write_waivers(path: Path, *targets: str, extra: str = "", rule: str = "GDPR-XFER-01") -> Path:
    """A waiver file: one waiver of `rule` per target (YAML flow mapping)."""
    body = "".join(
        f"  - rule: {rule}\n    target: {t}\n    justification: TIA 2026-03\n"
        f"    approved_by: dpo@example.org\n    expires: 2027-06-30\n{extra}"
        for t in targets
    )
    path.write_text("waivers:\n" + body)
    return path


def test_a_waiver_that_matches_nothing_in_an_audited_deployment_is_reported(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A misspelled target leaves the risk unaccepted while the file says it is: WAIVER-MATCH-01
    names the waiver and what it probably meant. A waiver for a deployment this run does not
    audit (a shared file) is left alone."""
    waivers = write_waivers(
        tmp_path / "w.yaml",
        "{deployment: clinique-exemple-record, component: records-db}",
        "{deployment: clinique-exemple-records, component: record-db}",
        "{deployment: some-other-deployment}",
        "{deployment: clinique-exemple-records, component: records-db}",
    )
    report = json.loads(check(runner, "-f", "json", "--waivers", str(waivers)).stdout)
    unmatched = [f for f in report["findings"] if f["rule_id"] == "WAIVER-MATCH-01"]
    assert [(f["location"]["line"], f["message"].split("; ")[-1]) for f in unmatched] == [
        (2, "did you mean 'clinique-exemple-records'?"),
        (7, "did you mean 'records-db'?"),
    ]
    assert all(f["severity"] == "medium" for f in unmatched)
    waived = [f for f in report["findings"] if f["status"] == "waived"]
    assert {f["rule_id"] for f in waived} == {"GDPR-XFER-01"}  # the last waiver works


def test_a_second_waiver_covering_the_same_finding_has_matched(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Two waivers of one finding (a team's and the DPO's, say): both cover it, neither is
    reported as covering nothing."""
    waivers = write_waivers(
        tmp_path / "w.yaml",
        "{deployment: clinique-exemple-records, component: records-db}",
        "{deployment: clinique-exemple-records}",
    )
    report = json.loads(check(runner, "-f", "json", "--waivers", str(waivers)).stdout)
    assert not [f for f in report["findings"] if f["rule_id"] == "WAIVER-MATCH-01"]
    assert {f["status"] for f in report["findings"] if f["rule_id"] == "GDPR-XFER-01"} == {"waived"}


def test_a_blank_or_multi_line_waiver_value_is_an_input_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    """An approver of spaces approves nothing; a line break in one would forge report lines."""
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        "waivers:\n  - rule: GDPR-XFER-01\n    target: {deployment: clinique-exemple-records}\n"
        '    justification: ""\n    approved_by: "x\\nsample_configs/a.yaml:1:1: info X fake"\n'
        "    expires: 2027-06-30\n"
    )
    result = runner.invoke(app, ["check", BACKUP, "--waivers", str(waivers)])
    assert result.exit_code == 2
    assert f"{waivers}:4:20: error: waivers[0].justification: empty value; give one" in (
        result.stderr
    )
    assert f"{waivers}:5:18: error: waivers[0].approved_by: line break" in result.stderr


def with_copy_in_china(tmp_path: Path) -> Path:
    """The backup sample with a second copy of records-db, a backup in China (cn-north-1)."""
    deploy = tmp_path / "records.yaml"
    deploy.write_text(
        Path(BACKUP)
        .read_text()
        .replace(
            "        region: us-east-1\n",
            "        region: us-east-1\n      - {kind: backup, region: cn-north-1}\n",
        )
    )
    return deploy


def xfer(report: dict[str, Any]) -> dict[str, str]:
    """GDPR-XFER-01 status by the country its finding names."""
    return {
        next(x["value"] for x in f["facts"] if x["path"] == "location.country"): f["status"]
        for f in report["findings"]
        if f["rule_id"] == "GDPR-XFER-01"
    }


def test_a_waiver_narrowed_to_a_country_leaves_a_new_country_open(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A TIA for the US copy does not accept a copy added in China: with `countries: [US]` the
    CN copy's transfer finding stays open and fails the gate; without it, both are waived."""
    deploy = str(with_copy_in_china(tmp_path))
    target = "{deployment: clinique-exemple-records, component: records-db"
    broad = write_waivers(tmp_path / "broad.yaml", target + "}")
    narrow = write_waivers(tmp_path / "narrow.yaml", target + ", countries: [US]}")

    def run(waivers: Path):  # type: ignore[no-untyped-def]
        args = ["check", deploy, "--as-of", str(AS_OF), "--fail-on", "critical", "-f", "json"]
        return runner.invoke(app, [*args, "--waivers", str(waivers)])

    assert xfer(json.loads(run(broad).stdout)) == {"US": "waived", "CN": "waived"}
    result = run(narrow)
    report = json.loads(result.stdout)
    assert xfer(report) == {"US": "waived", "CN": "open"}
    assert result.exit_code == 1  # the CN transfer is critical and open
    assert report["waivers"][0]["countries"] == ["US"]
    waived = next(f for f in report["findings"] if f["status"] == "waived")
    assert waived["waiver"]["countries"] == ["US"]
    assert "WAIVER-MATCH-01" not in {f["rule_id"] for f in report["findings"]}
    saved = tmp_path / "result.json"  # the evidence re-rendered later shows the narrowing too
    saved.write_text(result.stdout)
    markdown = runner.invoke(app, ["report", str(saved), "-f", "markdown"]).stdout
    assert "clinique-exemple-records/records-db (countries: US)" in markdown


def test_a_narrowed_waiver_that_covers_nothing_says_where_the_findings_are(
    runner: CliRunner, tmp_path: Path
) -> None:
    """WAIVER-MATCH-01 accounts for the narrowing: a waiver for SG while the copy is in US, or
    narrowing a rule whose findings name no country (a deployment-wide one), covers nothing,
    and the hint says why."""
    waivers = tmp_path / "w.yaml"
    body = "".join(
        f"  - rule: {rule}\n"
        f"    target: {{deployment: clinique-exemple-records{component}, countries: [{country}]}}\n"
        "    justification: TIA 2026-03\n    approved_by: dpo@example.org\n"
        "    expires: 2027-06-30\n"
        for rule, component, country in (
            ("GDPR-XFER-01", ", component: records-db", "SG"),
            ("GDPR-ART9-01", "", "FR"),
        )
    )
    waivers.write_text("waivers:\n" + body)
    result = check(runner, "-f", "json", "--waivers", str(waivers))
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert {f["status"] for f in findings if f["rule_id"] == "GDPR-XFER-01"} == {"open"}
    unmatched = [f["message"] for f in findings if f["rule_id"] == "WAIVER-MATCH-01"]
    assert unmatched == [
        "waiver of GDPR-XFER-01 for clinique-exemple-records/records-db (countries: SG) covers "
        "no finding of this run; the GDPR-XFER-01 findings on that target are in US: list a "
        "country only if its risk was assessed",
        "waiver of GDPR-ART9-01 for clinique-exemple-records (countries: FR) covers no finding "
        "of this run; the GDPR-ART9-01 findings on that target name no country, so no list of "
        "countries covers them: leave it out",
    ]


def test_unknown_or_empty_waiver_countries_are_input_errors(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A typo in a country would narrow a waiver to nothing; an empty list would read as no
    narrowing at all. Both stop the run at the value, with what to write instead."""
    waivers = write_waivers(
        tmp_path / "w.yaml",
        "{deployment: clinique-exemple-records, countries: [US, UK, us, ZZ]}",
        "{deployment: clinique-exemple-records, countries: []}",
    )
    result = check(runner, "--waivers", str(waivers))
    assert result.exit_code == 2
    assert result.stdout == ""
    for column, message in (
        (68, "waivers[0].target.countries[1]: unknown country code 'UK'; did you mean 'GB'?"),
        (72, "waivers[0].target.countries[2]: unknown country code 'us'; did you mean 'US'?"),
        (76, "waivers[0].target.countries[3]: 'ZZ' means an unknown country"),
    ):
        assert f"{waivers}:3:{column}: error: {message}" in result.stderr
    assert f"{waivers}:8:63: error: waivers[1].target.countries: must list at least one" in (
        result.stderr
    )


def test_a_waiver_country_written_by_name_suggests_its_code(
    runner: CliRunner, tmp_path: Path
) -> None:
    waivers = write_waivers(
        tmp_path / "w.yaml", "{deployment: clinique-exemple-records, countries: [United States]}"
    )
    result = check(runner, "--waivers", str(waivers))
    assert result.exit_code == 2
    assert (
        "waivers[0].target.countries[0]: unknown country code 'United States'; 'United States' "
        "is a country name: did you mean 'US'?"
    ) in result.stderr


def waivers_for(path: Path, deployment: str, rules: tuple[str, ...], countries: str) -> Path:
    """One waiver per rule on `deployment`/records-db, narrowed to `countries` (YAML list)."""
    body = "".join(
        f"  - rule: {rule}\n"
        f"    target: {{deployment: {deployment}, component: records-db, countries: {countries}}}\n"
        "    justification: TIA-7 accepted by counsel\n    approved_by: dpo@example.org\n"
        "    expires: 2027-06-30\n"
        for rule in rules
    )
    path.write_text("waivers:\n" + body)
    return path


def audit(runner: CliRunner, deploy: Path, waivers: Path) -> dict[str, Any]:
    args = ["check", str(deploy), "--as-of", str(AS_OF), "-f", "json", "--waivers", str(waivers)]
    return json.loads(runner.invoke(app, args).stdout)  # type: ignore[no-any-return]


def statuses(report: dict[str, Any], *rules: str) -> dict[str, set[str]]:
    return {r: {f["status"] for f in report["findings"] if f["rule_id"] == r} for r in rules}


def unmatched(report: dict[str, Any]) -> list[str]:
    return [f["message"] for f in report["findings"] if f["rule_id"] == "WAIVER-MATCH-01"]


HSM_KEY = """\
schema_version: 1
name: hsm-test
controller: clinique
data: {categories: [health], health_context: care}
parties:
  - {id: clinique, name: Clinique SAS, role: controller, country: FR}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
components:
  - {id: records-db, kind: datastore, provider: aws, operator: aws-emea, region: eu-west-3, key: k1,
     clear_text_processing: false}
keys:
  - id: k1
    encryption: client-side
    management: customer-held
    holder: clinique
    country: FR
    hsm: {operator: clinique, jurisdiction: CN}
    provider_can_use: false
"""


def test_a_waiver_for_france_does_not_cover_keys_in_an_hsm_under_chinese_law(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Keys held in France but in an HSM declared under PRC law: the findings turn on China
    (and on the provider's US parent), so a waiver assessed for France leaves them open, and
    WAIVER-MATCH-01 says where they are."""
    deploy = tmp_path / "hsm.yaml"
    deploy.write_text(HSM_KEY)
    rules = ("EDPB-KEY-01", "JUR-EXPO-01")
    report = audit(runner, deploy, waivers_for(tmp_path / "w.yaml", "hsm-test", rules, "[FR]"))
    assert statuses(report, *rules) == {rule: {"open"} for rule in rules}
    assert unmatched(report) == [
        f"waiver of {rule} for hsm-test/records-db (countries: FR) covers no finding of this "
        f"run; the {rule} findings on that target are in CN, FR, US: list a country only if its "
        "risk was assessed"
        for rule in rules
    ]


JURISDICTION = """\
schema_version: 1
name: jur-test
controller: clinique
data: {categories: [health], health_context: care}
parties:
  - {id: clinique, name: Clinique SAS, role: controller, country: FR}
  - {id: op, name: Cloud entity, role: processor, country: DE, provider: PROVIDER}
components:
  - {id: records-db, kind: datastore, provider: PROVIDER, operator: op, region: eu-central-1,
     clear_text_processing: true}
"""


def test_a_waiver_of_us_law_exposure_does_not_follow_the_data_to_a_chinese_provider(
    runner: CliRunner, tmp_path: Path
) -> None:
    """JUR-EXPO-01 names the country whose law reaches the data, the provider's parent's: a
    waiver accepting US-law exposure of the Frankfurt database covers it on AWS, and no longer
    once the database moves to a provider with a Chinese parent."""
    waivers = waivers_for(tmp_path / "w.yaml", "jur-test", ("JUR-EXPO-01",), "[US]")
    aws, alibaba = tmp_path / "aws.yaml", tmp_path / "alibaba.yaml"
    aws.write_text(JURISDICTION.replace("PROVIDER", "aws"))
    alibaba.write_text(JURISDICTION.replace("PROVIDER", "alibaba"))
    assert statuses(audit(runner, aws, waivers), "JUR-EXPO-01") == {"JUR-EXPO-01": {"waived"}}
    report = audit(runner, alibaba, waivers)
    assert statuses(report, "JUR-EXPO-01") == {"JUR-EXPO-01": {"open"}}
    assert unmatched(report) == [
        "waiver of JUR-EXPO-01 for jur-test/records-db (countries: US) covers no finding of "
        "this run; the JUR-EXPO-01 findings on that target are in CN: list a country only if "
        "its risk was assessed"
    ]


def test_a_waiver_does_not_cover_a_key_replicated_to_a_country_it_does_not_list(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The backup sample's KMS key, with a replica in Beijing: EDPB-KEY-01 now turns on China
    too, so a waiver for France, Luxembourg and the US (the data's place, the key holder's seat
    and the provider's parent) no longer covers it."""
    text = Path(BACKUP).read_text()
    declared = "    country: FR\n    provider_can_use: true"
    assert declared in text
    deploy = tmp_path / "records.yaml"
    deploy.write_text(text.replace(declared, f"{declared}\n    replica_regions: [cn-north-1]"))
    waivers = waivers_for(
        tmp_path / "w.yaml", "clinique-exemple-records", ("EDPB-KEY-01",), "[FR, LU, US]"
    )
    report = audit(runner, deploy, waivers)
    assert statuses(report, "EDPB-KEY-01") == {"EDPB-KEY-01": {"open"}}
    (hint,) = unmatched(report)
    assert "findings on that target are in CN, FR, LU, US" in hint
    waived = audit(runner, Path(BACKUP), waivers)  # without the replica, the same waiver holds
    assert statuses(waived, "EDPB-KEY-01") == {"EDPB-KEY-01": {"waived"}}


HOSTS = str(FIXTURES / "deployments" / "processor-list-partial.yaml")


def hosts_with(runner: CliRunner, tmp_path: Path, *targets: str):  # type: ignore[no-untyped-def]
    """`check` of the three hosts (host-b and host-c off the processor list) with a waiver of
    GDPR-28-01 per target."""
    waivers = write_waivers(tmp_path / "w.yaml", *targets, rule="GDPR-28-01")
    return runner.invoke(
        app, ["check", HOSTS, "--as-of", str(AS_OF), "-f", "json", "--waivers", str(waivers)]
    )


def unlisted(report: dict[str, Any]) -> dict[str, str]:
    """GDPR-28-01 status by the party its message names."""
    return {
        f["message"].split()[0]: f["status"]
        for f in report["findings"]
        if f["rule_id"] == "GDPR-28-01"
    }


def test_a_waiver_for_one_sub_processor_leaves_the_others_open(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Counsel accepted host-b's missing contract, not host-c's: a party has no component, so
    only its subject can say which one the waiver is for."""
    result = hosts_with(runner, tmp_path, "{deployment: lab-records, subject: party:host-b}")
    report = json.loads(result.stdout)
    assert unlisted(report) == {"host-b": "waived", "host-c": "open"}
    assert not [f for f in report["findings"] if f["rule_id"] == "WAIVER-MATCH-01"]
    assert result.exit_code == 1


def test_a_waiver_subject_that_is_not_kind_and_id_is_an_input_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    """`host-b` alone, or a misspelt kind, could match no finding: refused at its position."""
    result = hosts_with(
        runner,
        tmp_path,
        "{deployment: lab-records, subject: host-b}",
        "{deployment: lab-records, subject: partie:host-b}",
    )
    assert result.exit_code == 2
    waivers = tmp_path / "w.yaml"
    assert (
        f"{waivers}:3:48: error: waivers[0].target.subject: subject 'host-b' is not kind:id; "
        "name it as the findings do" in result.stderr
    )
    assert (
        f"{waivers}:8:48: error: waivers[1].target.subject: subject 'partie:host-b': unknown "
        "kind 'partie'; did you mean 'party'?" in result.stderr
    )


def test_a_waiver_for_a_subject_with_no_finding_names_the_one_meant(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = hosts_with(runner, tmp_path, "{deployment: lab-records, subject: party:hots-b}")
    report = json.loads(result.stdout)
    [unmatched] = [f for f in report["findings"] if f["rule_id"] == "WAIVER-MATCH-01"]
    assert unmatched["message"].endswith("; did you mean 'party:host-b'?")
    assert unlisted(report) == {"host-b": "open", "host-c": "open"}


def test_a_waiver_of_a_numbered_or_positional_subject_is_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    """`#2` is a rank among entries alike in all their ids, and `copies[0]` a position: both
    move to another entry when the file is reordered, so the waiver would silently cover
    another finding. Refused at load, with the way out."""
    result = hosts_with(
        runner,
        tmp_path,
        "{deployment: lab-records, subject: 'transfer:support-co/US/scc-2021#2'}",
        "{deployment: lab-records, subject: 'place:records-db/copies[0]'}",
    )
    assert result.exit_code == 2
    waivers = tmp_path / "w.yaml"
    assert (
        f"{waivers}:3:48: error: waivers[0].target.subject: subject "
        "'transfer:support-co/US/scc-2021#2' is numbered by its order in the deployment (#2"
        in result.stderr
    )
    assert "leave `subject` out" in result.stderr
    assert (
        f"{waivers}:8:48: error: waivers[1].target.subject: subject 'place:records-db/copies[0]' "
        "names an entry by its position" in result.stderr
    )


def test_a_copy_waiver_stays_on_its_copy_when_a_copy_is_added_before_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The README's waiver names the assessed snapshot copy; an export added above it in the
    file is a new risk nobody assessed: it stays open and fails the gate."""
    deploy = tmp_path / "deploy.yaml"
    deploy.write_text(
        Path(BACKUP)
        .read_text()
        .replace("    copies:\n", "    copies:\n      - {kind: export, region: us-west-2}\n", 1)
    )
    waivers = write_waivers(
        tmp_path / "w.yaml",
        "{deployment: clinique-exemple-records, "
        "subject: 'place:records-db/snapshot-copy@us-east-1', countries: [US]}",
    )
    report = audit(runner, deploy, waivers)
    status = {
        f["subject"]: f["status"] for f in report["findings"] if f["rule_id"] == "GDPR-XFER-01"
    }
    assert status == {
        "place:records-db/snapshot-copy@us-east-1": "waived",
        "place:records-db/export@us-west-2": "open",
    }
    assert not unmatched(report)


def test_a_subject_waiver_that_covers_nothing_names_the_subjects_of_its_rule(
    runner: CliRunner, tmp_path: Path
) -> None:
    """host-a has findings, but none of GDPR-28-01 (it is on the processor list): the hint
    names who has them. A subject on another component than the waiver names is said so."""
    waivers = write_waivers(
        tmp_path / "w.yaml",
        "{deployment: lab-records, subject: party:host-a}",
        rule="GDPR-28-01",
    )
    report = audit(runner, Path(HOSTS), waivers)
    assert [m.split(" this run")[1] for m in unmatched(report)] == [
        "; party:host-a has no GDPR-28-01 finding; the GDPR-28-01 findings of lab-records are "
        "on party:host-b, party:host-c"
    ]
    waivers = write_waivers(
        tmp_path / "w.yaml",
        "{deployment: lab-records, component: archive, subject: flow:reports}",
        rule="RISK-CLEAR-01",
    )
    report = audit(runner, Path(HOSTS), waivers)
    assert [m.split(" this run")[1] for m in unmatched(report)] == [
        "; flow:reports is on component reports, not archive: leave `component` out"
    ]


TWO_ALIKE = """\
schema_version: 1
name: qa
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR}
  - {id: us-lab, name: Example Lab Inc., role: processor, country: US}
components:
  - {id: dataset, kind: datastore, provider: outscale, operator: clinic, region: eu-west-2}
transfers:
FIRST
SECOND
"""
ASSESSED = (
    "  - {recipient: us-lab, tool: scc-2021, scc_module: 2, countries: [US], "
    "tia_reference: TIA-1, tia_date: 2024-01-10}"
)
UNASSESSED = "  - {recipient: us-lab, tool: scc-2021, scc_module: 1, countries: [US]}"


def test_a_waiver_naming_the_first_of_subjects_alike_covers_neither(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Two SCC transfers to one recipient and country are `transfer:us-lab/US/scc-2021` and
    `...#2` in file order: a waiver of the first covered the stale TIA, and after a swap the
    transfer with no TIA at all. Whichever order, it covers neither, and says why."""
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - rule: GDPR-TIA-01\n"
        '    target: {deployment: qa, subject: "transfer:us-lab/US/scc-2021"}\n'
        "    justification: TIA-1 renewal in progress\n"
        "    approved_by: dpo@example.org\n"
        "    expires: 2027-06-30\n"
    )
    for first, second in ((ASSESSED, UNASSESSED), (UNASSESSED, ASSESSED)):
        deploy = tmp_path / "qa.yaml"
        deploy.write_text(TWO_ALIKE.replace("FIRST", first).replace("SECOND", second))
        report = json.loads(
            check(runner, str(deploy), "--waivers", str(waivers), "-f", "json").stdout
        )
        tia = [f for f in report["findings"] if f["rule_id"] == "GDPR-TIA-01"]
        assert len(tia) == 2 and {f["status"] for f in tia} == {"open"}
        [match] = [f for f in report["findings"] if f["rule_id"] == "WAIVER-MATCH-01"]
        assert (
            "first of several subjects alike (transfer:us-lab/US/scc-2021#2 too)"
            in (match["message"])
        )


TWO_BACKUPS = """\
schema_version: 1
name: qa
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique SAS, role: controller, country: FR}
  - {id: aws-emea, name: Amazon Web Services EMEA SARL, role: processor, country: LU, provider: aws}
  - id: backup-co
    name: Backup Co SAS
    role: processor
    country: FR
    parent: {name: H, country: CN}
components:
  - id: db
    kind: datastore
    provider: aws
    operator: aws-emea
    region: eu-west-3
    copies:
FIRST
SECOND
"""
BY_AWS = "      - {kind: backup, region: eu-west-3, operator: aws-emea}"
BY_BACKUP_CO = "      - {kind: backup, region: eu-west-3, operator: backup-co}"


def flow_waiver(path: Path, subject: str) -> Path:
    path.write_text(
        "waivers:\n"
        "  - rule: RISK-CLEAR-01\n"
        f'    target: {{deployment: qa, subject: "{subject}"}}\n'
        "    justification: AWS backup exposure to US law accepted (TIA-9)\n"
        "    approved_by: dpo@example.org\n"
        "    expires: 2027-06-30\n"
    )
    return path


def test_a_waiver_of_a_copys_flow_never_follows_the_order_of_the_copies(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Two backups in one region are alike in all a flow's id is made of: their flows are
    `flow:db/backup@eu-west-3` and `...#2` in file order. A waiver of the AWS backup's exposure
    to US law would, after a swap, cover Backup Co's exposure to Chinese law: the numbered one
    is refused at load, the first covers neither in either order. The position that was a
    copy's flow id (`flow:db/backup-2`) names no flow now, and the error says so."""
    numbered = flow_waiver(tmp_path / "w2.yaml", "flow:db/backup@eu-west-3#2")
    deploy = tmp_path / "qa.yaml"
    deploy.write_text(TWO_BACKUPS.replace("FIRST", BY_AWS).replace("SECOND", BY_BACKUP_CO))
    refused = check(runner, str(deploy), "--waivers", str(numbered))
    assert refused.exit_code == 2 and "is numbered by its order" in refused.output
    positional = flow_waiver(tmp_path / "w3.yaml", "flow:db/backup-2")
    refused = check(runner, str(deploy), "--waivers", str(positional))
    assert refused.exit_code == 2
    assert (
        "subject 'flow:db/backup-2' names the data flow of a copy or log sink by its position "
        "(2), an id no flow has now (a position moves when an entry is added before it): the "
        "flow is called by where it is, as its place is (flow:db/backup@<region>, "
    ) in refused.stderr
    waivers = flow_waiver(tmp_path / "w.yaml", "flow:db/backup@eu-west-3")
    for first, second in ((BY_AWS, BY_BACKUP_CO), (BY_BACKUP_CO, BY_AWS)):
        deploy.write_text(TWO_BACKUPS.replace("FIRST", first).replace("SECOND", second))
        report = json.loads(
            check(runner, str(deploy), "--waivers", str(waivers), "-f", "json").stdout
        )
        clear = [f for f in report["findings"] if f["rule_id"] == "RISK-CLEAR-01"]
        assert {f["status"] for f in clear} == {"open"}
        assert any(
            f["rule_id"] == "WAIVER-MATCH-01" and "flow:db/backup@eu-west-3#2 too" in f["message"]
            for f in report["findings"]
        )


IN_TWO_REGIONS = (
    "      - {kind: backup, region: eu-central-1, operator: backup-co}\n"
    "      - {kind: backup, region: us-east-1, operator: aws-emea}"
)


def clear_findings(runner: CliRunner, deploy: Path, waivers: Path) -> dict[str, Any]:
    """The status of qa's RISK-CLEAR-01 findings by subject, and its WAIVER-MATCH-01 messages."""
    report = json.loads(check(runner, str(deploy), "--waivers", str(waivers), "-f", "json").stdout)
    qa = [f for f in report["findings"] if f["deployment"] == "qa"]
    status = {f["subject"]: f["status"] for f in qa if f["rule_id"] == "RISK-CLEAR-01"}
    match = [f["message"] for f in qa if f["rule_id"] == "WAIVER-MATCH-01"]
    return {"status": status, "match": match}


def test_a_waiver_of_a_copys_flow_by_its_id_covers_that_flow_only(
    runner: CliRunner, tmp_path: Path
) -> None:
    """`flow:db/backup@us-east-1` is the US backup's flow in whichever order the copies are;
    the EU backup's exposure to Chinese law stays open."""
    waivers = flow_waiver(tmp_path / "w.yaml", "flow:db/backup@us-east-1")
    deploy = tmp_path / "qa.yaml"
    for copies in (IN_TWO_REGIONS, "\n".join(reversed(IN_TWO_REGIONS.split("\n")))):
        deploy.write_text(TWO_BACKUPS.replace("FIRST\nSECOND", copies))
        found = clear_findings(runner, deploy, waivers)
        assert found == {
            "status": {
                "flow:db": "open",
                "flow:db/backup@eu-central-1": "open",
                "flow:db/backup@us-east-1": "waived",
            },
            "match": [],
        }


def test_a_waiver_of_a_copys_flow_by_its_old_name_is_told_it_covers_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    """`flow:db/backup` was the first backup's flow; it names no flow now that flows are
    named by their place. It covers neither backup, and WAIVER-MATCH-01 says so and names
    both: the nearest one alone could be the other copy than the one assessed."""
    waivers = flow_waiver(tmp_path / "w.yaml", "flow:db/backup")
    deploy = tmp_path / "qa.yaml"
    deploy.write_text(TWO_BACKUPS.replace("FIRST\nSECOND", IN_TWO_REGIONS))
    found = clear_findings(runner, deploy, waivers)
    assert set(found["status"].values()) == {"open"}
    [match] = found["match"]
    assert match.startswith(
        "waiver of RISK-CLEAR-01 for qa flow:db/backup covers no finding of this run; "
        "flow:db/backup names no subject: copies are named by where they are "
        "(flow:db/backup@eu-central-1, flow:db/backup@us-east-1): name the one whose risk was "
        "assessed"
    )


def test_evidence_that_is_a_url_but_not_a_web_address_is_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    """QA: `evidence: "javascript:alert(document.domain)"` became a link in the HTML report, run
    by a click in the browser of whoever read it. A URL of another scheme is an input error at
    its place, telling what to write instead."""
    path = write_waivers(
        tmp_path / "w.yaml",
        "{deployment: clinique-exemple-records, component: records-db}",
        extra='    evidence: "javascript:alert(document.domain)"\n',
    )
    result = check(runner, "--waivers", str(path))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        f"{path}:7:15: error: waivers[0].evidence: 'javascript:alert(document.domain)' is a "
        "javascript: URL, which reports do not link; give the https:// address of the "
        "evidence, or describe it in words"
    ), result.stderr
    for other in ("' data:text/html,x'", "file:///srv/tia.pdf", "mailto:dpo@example.org"):
        write_waivers(path, "{deployment: d}", extra=f"    evidence: {other}\n")
        refused = check(runner, "--waivers", str(path))
        assert refused.exit_code == 2 and "waivers[0].evidence: " in refused.stderr, other


def test_evidence_in_words_or_at_a_web_address_is_accepted(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Evidence need not be a URL: a ticket, minutes, a drive path stay text."""
    for evidence in (
        "ticket SEC-123",
        "'Minutes: board of 2026-03-02'",
        "'C:\\TIA\\2026-03-02.pdf'",
        "https://intranet.example.org/tia/2026-03-02",
        "HTTP://intranet.example.org/tia",
    ):
        path = write_waivers(
            tmp_path / "w.yaml",
            "{deployment: clinique-exemple-records, component: records-db}",
            extra=f"    evidence: {evidence}\n",
        )
        result = check(runner, "-f", "json", "--waivers", str(path))
        assert result.exit_code == 1, (evidence, result.stderr)
        waived = [f for f in json.loads(result.stdout)["findings"] if f["status"] == "waived"]
        assert waived and waived[0]["waiver"]["evidence"] == evidence.strip("'")


LAPSED = (
    "  - rule: JUR-EXPO-01\n"
    "    target: {deployment: clinique-exemple-records, component: records-db}\n"
    "    justification: Exposure accepted until the migration\n"
    "    approved_by: dpo@example.org\n"
    "    expires: 2026-01-01\n"
)
"""A waiver expired on the as-of date (WAIVER-EXP-01)."""
IN_FORCE = (
    "  - rule: GDPR-XFER-01\n"
    "    target: {deployment: clinique-exemple-records, component: records-db, countries: [US]}\n"
    "    justification: TIA of 2026-03-02\n"
    "    approved_by: dpo@example.org\n"
    "    expires: 2027-06-30\n"
)


def test_an_expired_waiver_stays_baselined_when_a_waiver_is_added_above_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The lapse of a waiver is named by what the waiver covers, not by its position: adding a
    waiver above it keeps its finding in the baseline (a `--fail-on medium` gate stays
    passed) and its SARIF fingerprint."""
    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n" + LAPSED)
    baseline = tmp_path / "baseline.json"
    sarif = tmp_path / "before.sarif"
    saved = check(
        runner,
        "-f",
        "json",
        "-o",
        str(baseline),
        "-f",
        "sarif",
        "-o",
        str(sarif),
        "--waivers",
        str(waivers),
    )
    assert saved.exit_code == 1, saved.output
    waivers.write_text("waivers:\n" + IN_FORCE + LAPSED)
    after = tmp_path / "after.sarif"
    result = check(
        runner,
        "-f",
        "sarif",
        "-o",
        str(after),
        "-f",
        "json",
        "--waivers",
        str(waivers),
        "--baseline",
        str(baseline),
        "--fail-on",
        "medium",
    )
    [lapse] = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "WAIVER-EXP-01"]
    assert lapse["status"] == "baselined"
    assert result.exit_code == 0, result.stdout
    assert lapse["subject"] == "waiver:JUR-EXPO-01/records-db@2026-01-01"

    def fingerprints(path: Path) -> list[dict[str, str]]:
        results = json.loads(path.read_text())["runs"][0]["results"]
        return [r["partialFingerprints"] for r in results if r["ruleId"] == "WAIVER-EXP-01"]

    assert fingerprints(after) == fingerprints(sarif)


def test_two_alike_waivers_have_two_subjects(runner: CliRunner, tmp_path: Path) -> None:
    """Two expired waivers alike in what they cover (the same rule, target and expiry, given
    by two people) are two subjects, numbered in file order; waivers narrowed otherwise are
    named by their narrowing, countries sorted."""
    other = LAPSED.replace("dpo@", "ciso@")
    narrowed = LAPSED.replace("component: records-db}", "countries: [US, FR]}")
    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n" + LAPSED + other + narrowed)
    report = json.loads(check(runner, "-f", "json", "--waivers", str(waivers)).stdout)
    lapses = [f for f in report["findings"] if f["rule_id"] == "WAIVER-EXP-01"]
    assert sorted(f["subject"] for f in lapses) == [
        "waiver:JUR-EXPO-01/[FR+US]@2026-01-01",
        "waiver:JUR-EXPO-01/records-db@2026-01-01",
        "waiver:JUR-EXPO-01/records-db@2026-01-01#2",
    ]


def test_a_waiver_on_a_component_named_like_a_country_is_not_one_on_that_country(
    runner: CliRunner, tmp_path: Path
) -> None:
    """QA: a waiver on component `US` and one on countries [US] were both
    `waiver:R/US@date`, numbered by file order: reordering them swapped their baseline
    identities."""
    on_component = LAPSED.replace("component: records-db}", "component: US}")
    on_country = LAPSED.replace("component: records-db}", "countries: [US]}")
    subjects = []
    for order in ((on_component, on_country), (on_country, on_component)):
        waivers = tmp_path / "w.yaml"
        waivers.write_text("waivers:\n" + "".join(order))
        result = check(runner, "-f", "json", "--waivers", str(waivers))
        found = json.loads(result.stdout)["findings"]
        subjects.append(sorted(f["subject"] for f in found if f["rule_id"] == "WAIVER-EXP-01"))
    assert (
        subjects[0]
        == subjects[1]
        == [
            "waiver:JUR-EXPO-01/US@2026-01-01",
            "waiver:JUR-EXPO-01/[US]@2026-01-01",
        ]
    )

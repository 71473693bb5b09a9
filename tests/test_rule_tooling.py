"""Rule-author tooling: requirement coverage, `rules test`, `rules lint`, `explain`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit import kb
from residency_audit.cli import app
from residency_audit.coverage import coverages
from residency_audit.engine.evaluate import judge
from residency_audit.engine.subjects import Subject
from residency_audit.model import Fact, Span
from residency_audit.pipeline import load_rules
from tests.conftest import AS_OF, FIXTURES, SAMPLES

USER_RULES = FIXTURES / "user_rules"


def test_hds_mapping_lists_all_31_requirements_with_existing_rules() -> None:
    packs = load_rules([], kb.default())
    by_pack = {c.pack: c for c in coverages(packs, kb.default())}
    hds = by_pack["hds"]
    assert [r.id for r in hds.mapping.requirements] == [f"EXI {n:02d}" for n in range(1, 32)]
    known = {r.id for p in packs for r in p.rules}
    for coverage in by_pack.values():
        for req in coverage.mapping.requirements:
            assert set(req.rules) <= known
            assert bool(req.rules) != bool(req.manual), req.id
    sovereignty = {r.id: r.rules for r in hds.mapping.requirements}
    assert "HDS-LOC-01" in sovereignty["EXI 28"] and "HDS-RA-01" in sovereignty["EXI 29"]


def test_rules_list_shows_the_required_packs_each_rule_with_a_url(runner: CliRunner) -> None:
    result = runner.invoke(app, ["rules", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rules = json.loads(result.stdout)
    assert {"hds", "gdpr", "edpb", "jurisdiction", "secnumcloud"} <= {r["pack"] for r in rules}
    assert all(
        r["references"] and all(x["url"].startswith("https://") for x in r["references"])
        for r in rules
    )
    ids = {r["id"] for r in rules}
    for kept in (
        "HDS-LOC-01",
        "HDS-RA-01",
        "GDPR-XFER-01",
        "GDPR-XFER-02",
        "JUR-EXPO-01",
        "CORE-KB-01",
        "CORE-KB-02",
    ):
        assert kept in ids


def test_coverage_text_and_json(runner: CliRunner) -> None:
    text = runner.invoke(app, ["rules", "coverage", "--pack", "hds"])
    assert text.exit_code == 0, text.output
    assert "EXI 28  HDS-LOC-01" in text.stdout
    assert "EXI 15  MANUAL:" in text.stdout
    assert "automated: 9/31 (29%)" in text.stdout
    assert "from 2024-11-16" in text.stdout  # the referential's date, from the knowledge base
    data = json.loads(runner.invoke(app, ["rules", "coverage", "--format", "json"]).stdout)
    hds = next(c for c in data if c["pack"] == "hds")
    assert hds["total"] == 31 and hds["automated"] == 9
    unknown = runner.invoke(app, ["rules", "coverage", "--pack", "nope"])
    assert unknown.exit_code == 2
    assert "no requirement mapping for 'nope'" in unknown.stderr


def test_rules_test_runs_a_teams_own_examples(runner: CliRunner) -> None:
    good = runner.invoke(app, ["rules", "test", str(USER_RULES / "good")])
    assert good.exit_code == 0, good.output
    assert "2 example(s), 0 failed" in good.stdout
    failing = runner.invoke(app, ["rules", "test", str(USER_RULES / "failing")])
    assert failing.exit_code == 1
    assert "ACME-LOG-02 example: expected pass, got fail" in failing.stdout
    invalid = runner.invoke(app, ["rules", "test", str(USER_RULES / "invalid")])
    assert invalid.exit_code == 2
    assert "ACME-LOG-03.yaml:14:36: error: unknown operator 'in_europe'" in invalid.stderr


def test_rules_lint(runner: CliRunner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok = runner.invoke(app, ["rules", "lint", str(USER_RULES / "good")])
    assert ok.exit_code == 0, ok.output
    assert "1 rule(s): 0 warning(s)" in ok.stdout
    assert runner.invoke(app, ["rules", "lint", str(USER_RULES / "invalid")]).exit_code == 2
    pack = tmp_path / "clash"
    pack.mkdir()
    (pack / "pack.yaml").write_text((USER_RULES / "good" / "pack.yaml").read_text())
    text = (USER_RULES / "good" / "ACME-LOG-01.yaml").read_text()
    (pack / "HDS-LOC-01.yaml").write_text(text.replace("ACME-LOG-01", "HDS-LOC-01"))
    clash = runner.invoke(app, ["rules", "lint", str(pack)])
    assert clash.exit_code == 2
    assert "already used by the bundled rule" in clash.stderr
    (pack / "HDS-LOC-01.yaml").write_text(
        text.replace("ACME-LOG-01", "ACME-LOG-09").split("  pass:")[0]
        + "  fail:\n    - {place: {role: log}, location: {country: US}}\n"
    )
    (pack / "ACME-LOG-09.yaml").write_text((pack / "HDS-LOC-01.yaml").read_text())
    (pack / "HDS-LOC-01.yaml").unlink()
    warned = runner.invoke(app, ["rules", "lint", str(pack)])
    assert warned.exit_code == 1, warned.output
    assert "warning: rule ACME-LOG-09 has no 'pass' example" in warned.stderr


def test_explain_shows_dates_and_unverified_facts(runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", "US-DPF-01"])
    assert result.exit_code == 0, result.output
    assert "us-dpf (adequacy.yaml)" in result.stdout
    assert "valid from 2023-07-10" in result.stdout
    assert "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32023D1795" in result.stdout
    edpb = runner.invoke(app, ["explain", "EDPB-UC1-01"]).stdout
    assert "Unverified facts and caveats:" in edpb and "from memory" in edpb
    sren = runner.invoke(app, ["explain", "HDS-CERT-02"]).stdout
    assert "until 2026-05-17 (exclusive)" in sren


DECREE = "Décret n° 2026-209 of 24 March 2026"


def explained(runner: CliRunner, *args: str) -> dict[str, list[str]]:
    """`explain` output cut into its sections: heading line -> the lines under it."""
    result = runner.invoke(app, ["explain", *args])
    assert result.exit_code == 0, result.output
    sections: dict[str, list[str]] = {}
    for block in result.stdout.split("\n\n"):
        head, *body = block.splitlines()
        sections[head] = body
    return sections


def test_explain_shows_from_when_and_until_when_each_reference_is_cited(
    runner: CliRunner,
) -> None:
    """A reader of a finding dated before a decree applied must see why it is not cited."""
    (decree,) = [r for r in explained(runner, "HDS-LOC-01")["References:"] if DECREE in r]
    assert decree.endswith(
        "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000053717250 "
        "(adopted 2026-03-24, cited from 2026-09-26)"
    )
    refs = explained(runner, "EDPB-UC1-01")["References:"]
    (v1,) = [r for r in refs if "Recommendations 01/2020 v1.0" in r]
    assert v1.endswith(
        "(adopted 2020-11-10, cited from 2020-11-10, superseded 2021-06-18: not cited from then)"
    )


def finding_references(runner: CliRunner, rule: str, sample: str, day: str) -> list[str]:
    result = runner.invoke(
        app, ["check", str(SAMPLES / sample), "--as-of", day, "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == rule]
    assert found, rule
    return [f"  - {r['label']}: {r['url']}" for r in found[0]["references"]]


def test_explain_as_of_cites_what_a_finding_of_that_day_cites_and_lists_the_rest_apart(
    runner: CliRunner,
) -> None:
    before, after = "2026-05-01", "2026-11-28"  # around the decree's 26 September 2026
    for day in (before, after):
        sections = explained(runner, "HDS-LOC-01", "--as-of", day)
        cited = [line.split(" (adopted")[0] for line in sections[f"References cited on {day}:"]]
        assert cited == finding_references(runner, "HDS-LOC-01", "backup-outside-eea.yaml", day)
    early = explained(runner, "HDS-LOC-01", "--as-of", before)
    (later,) = early[f"Not yet cited on {before}:"]
    assert DECREE in later and "cited from 2026-09-26" in later
    assert f"Not yet cited on {after}:" not in explained(runner, "HDS-LOC-01", "--as-of", after)
    edpb = explained(runner, "EDPB-UC1-01", "--as-of", after)
    (ended,) = edpb[f"No longer cited on {after}:"]
    assert "Recommendations 01/2020 v1.0" in ended


def test_explain_as_of_says_when_the_rule_makes_no_finding_that_day(runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", "EDPB-UC1-01", "--as-of", "2017-05-01"])
    assert result.exit_code == 0, result.output
    assert "not in effect on 2017-05-01: it makes no finding of that day" in result.stdout
    assert "References cited on 2017-05-01:\n  (none)\n" in result.stdout


def test_explain_as_of_rejects_what_is_not_a_day(runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", "HDS-LOC-01", "--as-of", "2026-W39-6"])
    assert result.exit_code == 2
    assert result.stderr == "error: --as-of: '2026-W39-6' is not a date; use YYYY-MM-DD\n"
    assert result.stdout == ""


def copied_pack(tmp_path, rule_name: str = "ACME-LOG-01.yaml"):  # type: ignore[no-untyped-def]
    """The `good` user pack copied, its rule file named `rule_name`; returns (pack, rule text)."""
    pack = tmp_path / "acme"
    pack.mkdir()
    (pack / "pack.yaml").write_text((USER_RULES / "good" / "pack.yaml").read_text())
    text = (USER_RULES / "good" / "ACME-LOG-01.yaml").read_text()
    (pack / rule_name).write_text(text)
    return pack, text


def test_a_message_field_must_exist_and_errors_sit_on_their_line(
    runner: CliRunner, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A typo in `{location.contry}` would print "unknown" in every finding; a bad severity is
    reported where it is written, not at 1:1."""
    pack, text = copied_pack(tmp_path)
    lines = text.splitlines()
    message = next(i for i, line in enumerate(lines, 1) if line.startswith("message:"))
    severity = next(i for i, line in enumerate(lines, 1) if line.startswith("severity:"))
    edited = []
    for line in lines:
        if line.startswith("message:"):
            line = 'message: "logs go to {location.contry}"'
        elif line.startswith("severity:"):
            line = "severity: severe"
        edited.append(line)
    (pack / "ACME-LOG-01.yaml").write_text("\n".join(edited) + "\n")
    result = runner.invoke(app, ["rules", "lint", str(pack)])
    assert result.exit_code == 2
    rule = pack / "ACME-LOG-01.yaml"
    assert (
        f"{rule}:{message}:10: error: message: unknown field {{location.contry}}; "
        "did you mean 'location.country'?" in result.stderr
    )
    assert f"{rule}:{severity}:11: error: severity 'severe' is not one of" in result.stderr


@pytest.mark.parametrize("braced", ["{location.country:>200}", "{location.country!r}", "{0}"])
def test_a_braced_text_that_is_no_placeholder_is_refused(
    runner: CliRunner, tmp_path: Path, braced: str
) -> None:
    """Messages are not format strings: a format spec or conversion would print as written,
    braces and all, in every finding, naming no country."""
    pack, text = copied_pack(tmp_path)
    edited = [
        f'message: "logs go to {braced}"' if line.startswith("message:") else line
        for line in text.splitlines()
    ]
    (pack / "ACME-LOG-01.yaml").write_text("\n".join(edited) + "\n")
    result = runner.invoke(app, ["rules", "lint", str(pack)])
    assert result.exit_code == 2
    assert f"error: message: {braced} is no placeholder: write {{field.path}} alone" in (
        result.stderr
    )


def test_an_unverifiable_message_is_checked_and_used_when_a_fact_is_missing(
    runner: CliRunner, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    pack, text = copied_pack(tmp_path)
    said = 'unverifiable_message: "logs of {component.id} go to {location.region}"\n'
    (pack / "ACME-LOG-01.yaml").write_text(text + said.replace("region", "regoin"))
    lint = runner.invoke(app, ["rules", "lint", str(pack)])
    assert lint.exit_code == 2
    assert "error: unverifiable_message: unknown field {location.regoin}" in lint.stderr
    (pack / "ACME-LOG-01.yaml").write_text(text + said)
    rule = next(r for p in load_rules([pack], kb.default()) if p.name == "acme" for r in p.rules)
    facts = {
        "place.role": Fact("place.role", "log", "d.yaml:4:3"),
        "component.id": Fact("component.id", "records", "d.yaml:3:3"),
        "location.region": Fact("location.region", "mars-1", "d.yaml:5:5"),
    }
    subject = Subject("place", "log sink of records", "records", Span("d.yaml", 4, 3), facts)
    finding = judge(
        rule,
        subject,
        kb=kb.default(),
        as_of=AS_OF,
        deployment="d",
    )
    assert finding is not None and finding.unverifiable
    assert finding.message == (
        "cannot be verified for log sink of records: unknown location.country. "
        "logs of records go to mars-1"
    )


def test_rule_files_named_yml_or_in_upper_case_are_loaded(runner: CliRunner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pack, _ = copied_pack(tmp_path, "ACME-LOG-01.yml")
    result = runner.invoke(app, ["rules", "test", str(pack)])
    assert result.exit_code == 0, result.output
    assert "2 example(s), 0 failed" in result.stdout


def test_a_copy_of_a_bundled_pack_is_refused_once_with_the_way_out(
    runner: CliRunner, tmp_path: Path
) -> None:
    """QA (README as a newcomer): after `pip install .`, `rules lint rules/` in the source tree
    gave 91 errors, one per rule ('rule id CORE-KB-01 is already used by the bundled rule'),
    and said neither why nor what to do. A copy of a bundled pack clashes once, by its name,
    naming the bundled pack's directory and how to lint a source tree's packs."""
    import shutil

    from residency_audit.engine.rules import pack_directories

    [gdpr] = [d for d in pack_directories() if d.name == "gdpr"]
    shutil.copytree(gdpr, tmp_path / "gdpr")
    result = runner.invoke(app, ["rules", "lint", str(tmp_path / "gdpr")])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, errors
    assert f"pack name 'gdpr' is already used by the bundled pack in {gdpr}" in errors[0]
    assert "install it editable, `pip install -e .`" in errors[0]


def test_rules_test_refuses_what_check_refuses(runner: CliRunner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A pack reusing a bundled rule id, or a bundled pack's name, does not load in `check`:
    `rules test` must not be green on it."""
    pack, text = copied_pack(tmp_path)
    (pack / "ACME-LOG-01.yaml").unlink()
    (pack / "HDS-LOC-01.yaml").write_text(text.replace("ACME-LOG-01", "HDS-LOC-01"))
    result = runner.invoke(app, ["rules", "test", str(pack)])
    assert result.exit_code == 2
    assert "already used by the bundled rule" in result.stderr
    (pack / "HDS-LOC-01.yaml").unlink()
    (pack / "ACME-LOG-01.yaml").write_text(text)
    pack_yaml = (pack / "pack.yaml").read_text()
    name = next(line for line in pack_yaml.splitlines() if line.startswith("name:"))
    (pack / "pack.yaml").write_text(pack_yaml.replace(name, "name: gdpr"))
    for command in ("test", "lint"):
        result = runner.invoke(app, ["rules", command, str(pack)])
        assert result.exit_code == 2, command
        assert "pack name 'gdpr' is already used" in result.stderr
    checked = runner.invoke(
        app, ["check", str(FIXTURES / "deployments" / "minimal.yaml"), "--rules", str(pack)]
    )
    assert checked.exit_code == 2
    assert "pack name 'gdpr' is already used" in checked.stderr


def test_an_example_with_an_unknown_field_is_a_lint_error(runner: CliRunner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`locaton` would silently make the example a test of something else."""
    pack, text = copied_pack(tmp_path)
    assert "location: {country: DE}" in text
    (pack / "ACME-LOG-01.yaml").write_text(
        text.replace("location: {country: DE}", "locaton: {country: DE}")
    )
    result = runner.invoke(app, ["rules", "lint", str(pack)])
    assert result.exit_code == 2
    assert (
        "example: unknown field 'locaton.country'; did you mean 'location.country'?"
        in result.stderr
    )


def test_an_example_dated_in_another_iso_form_is_a_lint_error(runner: CliRunner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`as_of: 2026-W01-1` would run the example on 29 December 2025, a year nobody meant."""
    pack, text = copied_pack(tmp_path)
    assert "location: {country: DE}" in text
    (pack / "ACME-LOG-01.yaml").write_text(
        text.replace("location: {country: DE}", "location: {country: DE}, as_of: '2026-W01-1'", 1)
    )
    result = runner.invoke(app, ["rules", "test", str(pack)])
    assert result.exit_code == 2
    assert "example: as_of: '2026-W01-1' is not a date YYYY-MM-DD" in result.stderr

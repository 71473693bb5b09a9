"""Two deployment files of one run declaring one deployment name are refused: waivers,
baselines and JUnit tell deployments apart by name, so the files would share a waiver meant for
one, and their JUnit cases would overwrite each other's. The first file (in path order) is
audited; the other is an input error naming both (exit 2), as an unreadable file of a batch."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF, SAMPLES
from tests.test_subject_ids import two_accounts

BACKUP = SAMPLES / "backup-outside-eea.yaml"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_deployment_name_declared_by_two_files_is_an_input_error(
    runner: CliRunner, tmp_path: Path, jobs: str
) -> None:
    """The QA case: b.yaml differs from a.yaml (another region) but keeps its name."""
    a, b, c = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    text = BACKUP.read_text()
    a.write_text(text)
    b.write_text(text.replace("eu-west-3", "us-east-1"))
    c.write_bytes((SAMPLES / "doctolib-2021.yaml").read_bytes())
    out_json, out_xml = tmp_path / f"r{jobs}.json", tmp_path / f"r{jobs}.xml"
    args = ["check", str(a), str(b), str(c), "--as-of", str(AS_OF), "-j", jobs]
    result = runner.invoke(
        app, [*args, "-f", "json", "-o", str(out_json), "-f", "junit", "-o", str(out_xml)]
    )
    assert result.exit_code == 2
    line = text.splitlines().index("name: clinique-exemple-records") + 1
    message = (
        f"{b}:{line}:7: error: deployment name 'clinique-exemple-records' is also declared by "
        f"{a}; give each deployment file its own name (waivers, baselines and JUnit tell "
        "deployments apart by name), or audit them in separate runs"
    )
    assert message in result.stderr
    report = json.loads(out_json.read_text())
    assert [(e["path"], e["line"], e["column"]) for e in report["errors"]] == [(str(b), line, 7)]
    assert {f["location"]["path"] for f in report["findings"]} == {str(a), str(c)}
    alone = run(Options(paths=[a, c], as_of=AS_OF))
    assert len(report["findings"]) == len(alone.findings)  # a's findings, every one of them
    root = ET.fromstring(out_xml.read_text())
    failures = sum(len(case.findall("failure")) for case in root.iter("testcase"))
    below = [  # the default --fail-on high: what is below it is skipped, not failed
        s for s in root.iter("skipped") if s.get("message", "").startswith("below --fail-on")
    ]
    assert failures == int(root.get("failures", "0"))
    assert failures + len(below) == len(report["findings"])
    assert root.get("errors") == "1"


def test_the_file_refused_does_not_depend_on_the_order_files_are_named(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same inputs, same result: the file refused is the one later in path order, however the
    command line lists or spells them, and the reports are the same bytes."""
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(BACKUP.read_text())
    b.write_text(BACKUP.read_text().replace("eu-west-3", "us-east-1"))
    outputs = []
    for first, second in ((a, b), (b, a)):
        result = runner.invoke(
            app, ["check", str(first), str(second), "--as-of", str(AS_OF), "-f", "json"]
        )
        assert result.exit_code == 2
        outputs.append((result.stdout, result.stderr))
    assert outputs[0] == outputs[1]
    assert [e["path"] for e in json.loads(outputs[1][0])["errors"]] == [str(b)]
    # spelled otherwise (QA): relative beside absolute, or a link to a.yaml that sorts after b
    monkeypatch.chdir(tmp_path)
    (tmp_path / "z-link.yaml").symlink_to(a)
    for named in (["b.yaml", str(a)], ["z-link.yaml", "b.yaml"]):
        result = runner.invoke(app, ["check", *named, "--as-of", str(AS_OF), "-f", "json"])
        assert result.exit_code == 2
        refused = [Path(e["path"]).name for e in json.loads(result.stdout)["errors"]]
        assert refused == ["b.yaml"], named


def test_workers_refuse_the_same_file_with_the_same_bytes(
    runner: CliRunner, tmp_path: Path
) -> None:
    for i in range(20):  # enough files for two workers; every fourth repeats a name
        text = BACKUP.read_text().replace("clinique-exemple-records", f"records-{i // 4 * 4}")
        (tmp_path / f"d{i:02d}.yaml").write_text(text)
    outputs = []
    for jobs in ("1", "2"):
        result = runner.invoke(
            app, ["check", str(tmp_path), "--as-of", str(AS_OF), "-j", jobs, "-f", "json"]
        )
        assert result.exit_code == 2
        outputs.append((result.stdout, result.stderr))
    assert outputs[0] == outputs[1]
    report = json.loads(outputs[0][0])
    assert len(report["errors"]) == 15  # d01-d03 repeat d00's name, and so on
    assert {Path(f["location"]["path"]).name for f in report["findings"]} == {
        f"d{i:02d}.yaml" for i in range(0, 20, 4)
    }


def test_an_observed_file_may_carry_its_deployment_s_name(tmp_path: Path) -> None:
    """`--observed` files describe the declared deployment as found: sharing its name is
    their point, not a clash."""
    declared, observed = two_accounts(tmp_path)
    name = "teleconsult-aws"
    assert f"\nname: {name}\n" in declared.read_text()
    for path in observed:
        text = path.read_text()
        path.write_text(text.replace(text.split("\nname: ", 1)[1].split("\n", 1)[0], name, 1))
    report = run(Options(paths=[declared], observed=observed, as_of=AS_OF))
    assert report.errors == ()
    assert [f for f in report.findings if f.rule_id == "DRIFT-LOC-01"]

"""Which code made a report (QA: a report said only "residency-audit 0.1.0", and there are no
release tags; users install from a git URL pinned to a commit). The JSON result and the
evidence manifests give a digest of the package's files, which the README's command recomputes,
and the commit pip recorded for an install from a repository URL."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.cli import app
from residency_audit.pipeline import Options, run
from residency_audit.reporters import html, markdown
from tests.conftest import AS_OF, ROOT, SAMPLES, in_ci
from tests.support.reports import invocation

SAMPLE = str(SAMPLES / "backup-outside-eea.yaml")
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def readme_command() -> str:
    """The README's command that recomputes the digest, as an expert copies it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Which code made a report", 1)[1]
    return section.split("```bash\n", 1)[1].split("```", 1)[0]


def digest_by_readme(python: str, env: dict[str, str] | None = None) -> str:
    if shutil.which("bash") is None or shutil.which("sha256sum") is None:
        message = "bash and coreutils' sha256sum are needed to run the README's command"
        if in_ci():  # CI must run it: a skip there would hide that the README's command broke
            pytest.fail(message)
        pytest.skip(message)
    command = readme_command().replace("python -c", f"{python} -c", 1)
    out = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, check=True, env=env
    ).stdout
    digest, dash = out.split()
    assert dash == "-"
    return digest


def test_the_result_names_the_code_the_readme_recomputes(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", SAMPLE, "--as-of", str(AS_OF), "-f", "json"])
    code = json.loads(result.stdout)["tool"]["code"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    assert code == {"sha256": digest_by_readme(sys.executable, env), "commit": None}
    markdown = runner.invoke(app, ["check", SAMPLE, "--as-of", str(AS_OF), "-f", "markdown"])
    assert (
        f"- Code: source SHA-256 `{code['sha256']}`, commit not recorded (not installed by pip "
        "from a repository URL)"
    ) in markdown.stdout.splitlines()


def test_a_rendered_result_names_the_code_that_made_it(runner: CliRunner, tmp_path: Path) -> None:
    saved = tmp_path / "result.json"
    runner.invoke(app, ["check", SAMPLE, "--as-of", str(AS_OF), "-f", "json", "-o", str(saved)])
    digest = json.loads(saved.read_text())["tool"]["code"]["sha256"]
    page = runner.invoke(app, ["report", str(saved), "-f", "html"]).stdout
    said = (
        f"<dt>Code of the audit</dt><dd>source SHA-256 <code>{digest}</code>, commit not recorded"
    )
    assert said in page
    older = json.loads(saved.read_text())
    del older["tool"]["code"]  # as saved before results recorded it
    saved.write_text(json.dumps(older))
    markdown = runner.invoke(app, ["report", str(saved), "-f", "markdown"]).stdout
    assert (
        "- Code of the audit: not recorded in this result (saved by a version that did not "
        "record it)" in markdown.splitlines()
    )


def test_a_rendered_result_finds_the_bundled_files_by_the_code_it_records(
    runner: CliRunner, tmp_path: Path
) -> None:
    """QA (a lawyer re-rendering a filed result): the manifest said "the bundled files are those
    of residency-audit 0.1.0", a version that names no code, and "How to verify" pointed to
    "the directories under Bundled files", which a re-rendered report does not give. It names
    the code by its digest and where its knowledge files are in that package, and the knowledge
    files there hash as the manifest says."""
    saved = tmp_path / "result.json"
    runner.invoke(app, ["check", SAMPLE, "--as-of", str(AS_OF), "-f", "json", "-o", str(saved)])
    digest = json.loads(saved.read_text())["tool"]["code"]["sha256"]
    markdown = runner.invoke(app, ["report", str(saved), "-f", "markdown"]).stdout
    [bundled] = [x for x in markdown.splitlines() if x.startswith("- Bundled files")]
    assert f"the bundled files are those of the code of the audit (source SHA-256 {digest})" in (
        bundled
    )
    assert "`kb/NAME` is `kb/data/NAME`" in bundled
    assert "residency-audit 0.1.0" not in bundled
    assert "directories under Bundled files" not in markdown
    package = ROOT / "residency_audit"
    for row in (x for x in markdown.splitlines() if x.startswith("| knowledge | `kb/")):
        name, sha = re.findall(r"`([^`]*)`", row)
        data = (package / "kb" / "data" / name.removeprefix("kb/")).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha
    page = runner.invoke(app, ["report", str(saved), "-f", "html"]).stdout
    assert f"those of the code of the audit (source SHA-256 {digest})" in page
    assert "<code>kb/NAME</code> is <code>kb/data/NAME</code>" in page
    assert "directories under Bundled files" not in page


@pytest.mark.parametrize("live", [True, False])
def test_how_to_verify_says_a_live_dns_audit_kept_no_answers(live: bool) -> None:
    """QA (a lawyer following How to verify literally): an audit made with `--resolve` promised
    a re-run "byte-identical for the same inputs", but its DNS answers were never saved, and
    the re-run command, with its `--as-of`, is refused on any later day. The manifest says so
    and how to audit from saved observations; an audit from `--dns FILE` does not."""
    command = "residency-audit check deploy.yaml " + (
        "--resolve --nameserver 192.0.2.53" if live else "--dns observed.yaml"
    )
    audited = run(Options(paths=[Path(SAMPLE)], as_of=AS_OF))
    rendered = dataclasses.replace(audited, invocation=invocation(command))
    said = "This audit resolved DNS as it ran (`--resolve`) and kept no answers"
    [rerun] = [x for x in markdown.render(rendered).splitlines() if x.startswith("- Re-run: ")]
    assert (said in rerun) is live
    assert ("`check --dns observed.yaml`" in rerun) is live
    page = html.render(rendered)
    assert (said.replace("`--resolve`", "<code>--resolve</code>") in page) is live


def test_a_rendered_result_says_a_live_dns_audit_cannot_be_re_run_alike(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A saved result keeps no command line, so its re-rendered report cannot tell whether the
    audit resolved DNS live; How to verify names the sign to look for (facts citing
    `dns:SERVER NAME`) instead of promising a byte-identical re-run."""
    saved = tmp_path / "result.json"
    runner.invoke(app, ["check", SAMPLE, "--as-of", str(AS_OF), "-f", "json", "-o", str(saved)])
    markdown = runner.invoke(app, ["report", str(saved), "-f", "markdown"]).stdout
    [result] = [x for x in markdown.splitlines() if x.startswith("- Result: ")]
    assert result.endswith(
        "gives it again byte for byte, unless the audit resolved DNS as it ran (`check "
        "--resolve`: its DNS facts cite `dns:SERVER NAME`, not a file), whose answers nothing kept."
    )


def test_an_install_from_a_repository_url_gives_its_commit(tmp_path: Path) -> None:
    """The wheel, installed as pip installs `git+URL@COMMIT` (PEP 610's direct_url.json), in
    a directory of its own: the commit is pip's, and the digest is the source tree's (the rule
    packs the build copies in are left out)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("residency_audit-*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    (info,) = site.glob("residency_audit-*.dist-info")
    (info / "direct_url.json").write_text(
        json.dumps(
            {
                "url": "https://example.org/residency-audit.git",
                "vcs_info": {"vcs": "git", "commit_id": COMMIT, "requested_revision": COMMIT},
            }
        )
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    markdown = ["-f", "markdown", "-o", str(tmp_path / "r.md")]
    run = subprocess.run(
        [sys.executable, "-m", "residency_audit", "check", SAMPLE, *markdown, "-f", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert run.returncode == 1, run.stderr
    code = json.loads(run.stdout)["tool"]["code"]
    source = json.loads(
        CliRunner().invoke(app, ["check", SAMPLE, "--as-of", str(AS_OF), "-f", "json"]).stdout
    )["tool"]["code"]["sha256"]
    assert code == {"sha256": source, "commit": COMMIT}
    assert digest_by_readme(sys.executable, env) == source
    manifest = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert re.search(
        rf"^- Code: source SHA-256 `{source}`, commit `{COMMIT}` \(as pip recorded it when "
        r"installing from the repository\)$",
        manifest,
        re.MULTILINE,
    )

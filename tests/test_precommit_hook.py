"""The shipped pre-commit hook selects deployment descriptions and nothing else: a hook that
misses `deploy/prod.yaml` passes without checking it, and one that picks up the waiver file
fails every commit with a schema error."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.conftest import ROOT


def _selects(path: str) -> bool:
    """Select a staged path as pre-commit does: `files` and `exclude` are `re.search`ed."""
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    exclude = hook.get("exclude")
    if exclude and re.search(exclude, path):
        return False
    return re.search(hook["files"], path) is not None


@pytest.mark.parametrize(
    "path",
    [
        "deploy/prod.yaml",
        "deploy/eu/records.yml",
        "infra/deployments/staging.yaml",
        "residency.yaml",
        "residency-prod.yml",
        "infra/deploy-records.yaml",
        # `check` reads *.yaml in any case, so the hook selects them in any case too
        "deploy/A.YAML",
        "Deployments/prod.Yml",
        "RESIDENCY.yml",
    ],
)
def test_hook_selects_deployment_descriptions(path: str) -> None:
    assert _selects(path)


@pytest.mark.parametrize(
    "path",
    [
        "residency-waivers.yaml",
        "deploy/waivers.yml",
        "infra/deploy-waivers.yaml",
        ".github/workflows/ci.yml",
        "config/app.yaml",
        "deploy/notes.txt",
        "deploy/Waivers.YAML",
        # named on the command line, a hidden file is read: a GitHub workflow called deploy.yml
        # was audited as a deployment and failed every commit with "unknown key 'on'"
        ".github/workflows/deploy.yml",
        ".github/workflows/Deploy.YML",
        ".gitlab/deploy/prod.yaml",
        "deploy/.draft.yaml",
        "infra/.deploy.yml",
        # what `discover` writes is read with --observed / --dns; a DNS observations file is
        # refused as a deployment
        "deploy/observed.yaml",
        "deploy/dns-observations.yaml",
        "deploy/aws-Observed-2026-11.yml",
    ],
)
def test_hook_leaves_other_files_alone(path: str) -> None:
    assert not _selects(path)

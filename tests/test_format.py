"""The deployment format: YAML 1.2 scalars, every error at once, each with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit.errors import InputError
from residency_audit.format import load_deployment
from tests.conftest import FIXTURES

DEPLOYMENTS = FIXTURES / "deployments"


def errors_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_deployment(path, path.name)
    return [str(d) for d in caught.value.diagnostics]


def test_country_no_is_norway_not_false() -> None:
    deployment, _ = load_deployment(DEPLOYMENTS / "norway.yaml")
    assert deployment.parties[0].country == "NO"
    assert deployment.components[0].country == "NO"


def test_every_error_of_a_file_is_reported_with_its_position() -> None:
    messages = errors_of(DEPLOYMENTS / "many-errors.yaml")
    assert (
        "many-errors.yaml:5:16: error: data.categories[0]: unknown value 'helth'; "
        "did you mean 'health'?" in messages
    )
    assert (
        "many-errors.yaml:9:11: error: parties[0].role: unknown value 'controler'; "
        "did you mean 'controller'?" in messages
    )
    assert (
        "many-errors.yaml:11:5: error: duplicate key 'country' (first defined on line 10)"
        in messages
    )
    assert "many-errors.yaml:16:5: error: unknown key 'regoin'; did you mean 'region'?" in messages
    assert (
        "many-errors.yaml:17:18: error: components[0].stores_data: expected true or false, "
        "got 'yes'" in messages
    )
    assert len(messages) == 5


def test_syntax_error_points_at_the_problem() -> None:
    (message,) = errors_of(DEPLOYMENTS / "malformed.yaml")
    assert message.startswith("malformed.yaml:6:1: error: YAML syntax:")


def test_unknown_reference_names_the_declared_ids(tmp_path: Path) -> None:
    text = (DEPLOYMENTS / "minimal.yaml").read_text().replace("operator: host", "operator: hots")
    path = tmp_path / "ref.yaml"
    path.write_text(text)
    (message,) = errors_of(path)
    assert message.endswith("components[0].operator: unknown party 'hots' (declared: clinic, host)")
    assert message.startswith("ref.yaml:21:15:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty file"),
        ("schema_version: 2\n", "missing required key 'name'"),
        ("- a list\n", "document: expected a mapping"),
        ("name: !!python/object:os.system x\n", "unsupported YAML tag"),
        ("a: &x [1]\nb: *x\n<<: {c: 1}\n", "merge keys (<<) are not supported"),
    ],
)
def test_bad_documents_are_input_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert any(expected in m for m in errors_of(path)), errors_of(path)


def test_schema_version_must_be_1(tmp_path: Path) -> None:
    path = tmp_path / "v2.yaml"
    path.write_text(
        (DEPLOYMENTS / "minimal.yaml").read_text().replace("schema_version: 1", "schema_version: 2")
    )
    assert errors_of(path) == [
        "v2.yaml:1:17: error: schema_version 2 is not supported; this tool reads version 1"
    ]


def test_values_keep_their_positions() -> None:
    deployment, _ = load_deployment(DEPLOYMENTS / "minimal.yaml", "minimal.yaml")
    assert str(deployment.locations["components[0].region"]) == "minimal.yaml:22:13"
    assert str(deployment.components[0].span) == "minimal.yaml:18:5"

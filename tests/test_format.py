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


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # a tab pasted into the indentation, as some editors still write
        (
            "    provider: hetzner\n    operator",
            "\tprovider: hetzner\n    operator",
            "syntax.yaml:20:1: error: YAML syntax: found a tab character that violates "
            "indentation (while scanning a plain scalar); indent with spaces: YAML does not "
            "allow tabs for indentation",
        ),
        # no space after the colon: reported at the key, not at the line after it
        (
            "region: fsn1",
            "region:fsn1",
            "syntax.yaml:22:5: error: YAML syntax: could not find expected ':' (while scanning "
            "a simple key); write a key as `key: value`, with a space after the colon",
        ),
        (
            "name: Hetzner Online GmbH",
            "name: Hetzner: Online GmbH",
            "syntax.yaml:13:18: error: YAML syntax: mapping values are not allowed in this "
            "context; quote a value that holds ': ' (`name: \"A: B\"`)",
        ),
    ],
)
def test_a_syntax_error_says_what_to_do(tmp_path: Path, old: str, new: str, expected: str) -> None:
    text = (DEPLOYMENTS / "minimal.yaml").read_text()
    assert old in text
    path = tmp_path / "syntax.yaml"
    path.write_text(text.replace(old, new, 1))
    assert errors_of(path) == [expected]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # a word of a fixed list in capitals, as in contracts and the EDPB's texts
        (
            "health_context: care",
            "health_context: CARE",
            "case.yaml:6:19: error: data.health_context: unknown value 'CARE'; did you mean "
            "'care'?",
        ),
        ("role: controller", "role: CONTROLLER", "did you mean 'controller'?"),
    ],
)
def test_a_word_in_another_case_suggests_the_word(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    text = (DEPLOYMENTS / "minimal.yaml").read_text()
    path = tmp_path / "case.yaml"
    path.write_text(text.replace(old, new, 1))
    [message] = errors_of(path)
    assert message.startswith(expected) or message.endswith(expected), message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # `- key:` entries where one mapping is expected, as a newcomer copies from a list
        (
            "data:\n  categories: [health]\n  health_context: care",
            "data:\n  - categories: [health]\n  - health_context: care",
            "shape.yaml:5:3: error: data: expected a mapping with keys categories, subjects, "
            "health_context, pseudonymised, pseudonymisation, retention; got a list of entries "
            "(`- key: value`): write the keys without `- `",
        ),
        # one value where a list is expected
        (
            "categories: [health]",
            "categories: health",
            "shape.yaml:5:15: error: data.categories: expected a list of values, each one of "
            "health, genetic, biometric, identification, contact, appointment, financial, usage, "
            "technical, other; got 'health'; write a list in brackets, as [a, b]",
        ),
    ],
)
def test_a_list_or_mapping_written_otherwise_says_what_was_written(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    text = (DEPLOYMENTS / "minimal.yaml").read_text()
    assert old in text
    path = tmp_path / "shape.yaml"
    path.write_text(text.replace(old, new, 1))
    assert errors_of(path) == [expected]


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


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("categories: [health]", 'categories: [health]\n  retention: "  "', None),
        ("name: minimal", 'name: ""', "name: empty value; give one"),
        ("components:\n", "claims: {dpia: ' '}\ncomponents:\n", "claims.dpia: empty value"),
    ],
)
def test_a_blank_one_line_value_is_an_error(
    tmp_path: Path, old: str, new: str, expected: str | None
) -> None:
    """`dpia: ""` would read as a DPIA reference, `name: ""` as a deployment; free text
    (retention, description) may be blank."""
    path = _minimal_with(tmp_path, old, new)
    if expected is None:
        load_deployment(path, path.name)  # no error
    else:
        found = errors_of(path)
        assert len(found) == 1 and expected in found[0], found


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2025-02-30", "'2025-02-30' is not a day of the calendar"),
        ("2025-2-3", "expected a date YYYY-MM-DD, got '2025-2-3'"),
    ],
)
def test_a_bad_date_says_what_is_wrong(tmp_path: Path, written: str, message: str) -> None:
    path = _minimal_with(
        tmp_path,
        "components:\n",
        f"certifications:\n  - {{holder: host, scheme: hds, issued: {written}}}\ncomponents:\n",
    )
    assert any(m.endswith(f"certifications[0].issued: {message}") for m in errors_of(path))


def test_a_missing_list_says_what_it_expects(tmp_path: Path) -> None:
    path = _minimal_with(tmp_path, "components:\n", "components:\n")
    text = path.read_text()
    assert "    region: fsn1\n" in text
    path.write_text(text.replace("    region: fsn1\n", "    region: fsn1\n    copies: null\n", 1))
    assert any(m.endswith("missing value, expected a list of mappings") for m in errors_of(path))


def test_schema_version_must_be_1(tmp_path: Path) -> None:
    path = tmp_path / "v2.yaml"
    path.write_text(
        (DEPLOYMENTS / "minimal.yaml").read_text().replace("schema_version: 1", "schema_version: 2")
    )
    assert errors_of(path) == [
        "v2.yaml:1:17: error: schema_version 2 is not supported; this tool reads version 1"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "schema_version: 1",
            'schema_version: "1"',
            "quoted.yaml:1:17: error: schema_version: expected an integer, got '1'; write it "
            "without quotes, which make it text",
        ),
        (
            "clear_text_processing: true",
            "clear_text_processing: 'true'",
            "quoted.yaml:23:28: error: components[0].clear_text_processing: expected true or "
            "false, got 'true'; write it without quotes, which make it text",
        ),
    ],
)
def test_a_right_value_in_quotes_says_to_drop_the_quotes(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    """`got '1'` where an integer is expected read as a contradiction to a newcomer."""
    text = (DEPLOYMENTS / "minimal.yaml").read_text()
    assert old in text
    path = tmp_path / "quoted.yaml"
    path.write_text(text.replace(old, new, 1))
    assert errors_of(path) == [expected]


def test_a_number_out_of_range_is_named_by_its_path(tmp_path: Path) -> None:
    """Every other error of a file starts with the path of its value; these did not."""
    text = (DEPLOYMENTS / "minimal.yaml").read_text()
    path = tmp_path / "range.yaml"
    path.write_text(
        text.replace("    region: fsn1\n", "    region: fsn1\n    hds_activities: [1, 7]\n")
    )
    assert errors_of(path) == [
        "range.yaml:23:25: error: components[0].hds_activities[1]: HDS activity 7 does not "
        "exist; activities are 1 to 6 (R.1111-9 CSP)"
    ]


def test_values_keep_their_positions() -> None:
    deployment, _ = load_deployment(DEPLOYMENTS / "minimal.yaml", "minimal.yaml")
    assert str(deployment.locations["components[0].region"]) == "minimal.yaml:22:13"
    assert str(deployment.components[0].span) == "minimal.yaml:18:5"


def _minimal_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (DEPLOYMENTS / "minimal.yaml").read_text()
    assert old in text
    path = tmp_path / "edited.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_empty_data_categories_are_an_error_at_the_list(tmp_path: Path) -> None:
    """`categories: []` would switch off the HDS and Art. 9 rules without a word."""
    path = _minimal_with(tmp_path, "categories: [health]", "categories: []")
    assert errors_of(path) == [
        "edited.yaml:5:15: error: data.categories: must list at least one data category (one "
        "of health, genetic, biometric, identification, contact, appointment, financial, usage, "
        "technical, other)"
    ]


def test_a_declaration_placing_the_data_nowhere_is_an_error_at_the_list(tmp_path: Path) -> None:
    """QA: `components: []` passed every gate with 0 findings: a file saying nothing about
    where the health data are is no audit. An observed account may be empty; a declaration
    may not."""
    text = (DEPLOYMENTS / "minimal.yaml").read_text()
    path = tmp_path / "edited.yaml"
    path.write_text(text[: text.index("components:")] + "components: []\n")
    line = text[: text.index("components:")].count("\n") + 1
    assert errors_of(path) == [
        f"edited.yaml:{line}:13: error: components: a declared deployment must list at least "
        "one component (where the data are stored or processed); only a file written by "
        "`discover` may list none"
    ]


@pytest.mark.parametrize(
    ("entry", "column", "message"),
    [
        (
            "transfers:\n  - {recipient: host, tool: scc-2021, scc_module: 2, countries: []}\n",
            65,
            "transfers[0].countries: must list at least one country, or be left out "
            "(Destination countries covered; all if omitted)",
        ),
        (
            "access:\n  - {id: ops, kind: support, entity: host, country: DE, components: []}\n",
            69,
            "access[0].components: must list at least one component, or be left out "
            "(Component ids reachable; all components if omitted)",
        ),
    ],
)
def test_an_empty_list_that_would_mean_all_is_an_error(
    tmp_path: Path, entry: str, column: int, message: str
) -> None:
    """Leaving the key out means "all"; an empty list would silently mean the same."""
    path = _minimal_with(tmp_path, "components:\n", entry + "components:\n")
    assert errors_of(path) == [f"edited.yaml:18:{column}: error: {message}"]


def test_one_line_values_refuse_line_breaks_and_free_text_keeps_them(tmp_path: Path) -> None:
    """A newline in a name would forge a `path:line:col: severity RULE` line of the report."""
    path = _minimal_with(
        tmp_path,
        "name: Clinic SAS",
        'name: "Clinic\\nedited.yaml:1:1: info FAKE-01 all good"',
    )
    text = path.read_text().replace(
        "data:\n", "description: |\n  Two lines\n  of free text.\ndata:\n", 1
    )
    text = text.replace("country: DE", "country: >\n      DE", 1)  # folded: ends with "\n"
    text = text.replace("region: fsn1", "region: fsn1\n    hostnames: [a.example, 'b\u2028c']")
    path.write_text(text)
    assert errors_of(path) == [
        "edited.yaml:12:11: error: parties[0].name: line break in a one-line value; write it on "
        "one line; only free text such as description may span lines",
        "edited.yaml:18:14: error: parties[1].country: line break in a one-line value; write it "
        "on one line (a `>` or `|` block keeps a final line break: use `>-`); only free text "
        "such as description may span lines",
        "edited.yaml:27:28: error: components[0].hostnames[1]: line break in a one-line value; "
        "write it on one line; only free text such as description may span lines",
    ]
    kept = _minimal_with(tmp_path, "data:\n", "description: |\n  Two lines\n  of text.\ndata:\n")
    deployment, _ = load_deployment(kept)
    assert deployment.description == "Two lines\nof text.\n"


IDS = """schema_version: 1
name: ids
controller: clinic
data: {{categories: [health], health_context: care}}
parties:
  - {{id: clinic, name: Clinique SAS, role: controller, country: FR}}
  - {{id: {party}, name: Support Inc., role: processor, country: {seat}}}
components:
  - {{id: {component}, kind: datastore, provider: outscale, operator: clinic, region: eu-west-2,
     hostnames: [{hostnames}], transit: [{transit}]}}
keys:
  - {{id: k1, encryption: client-side, management: customer-held, replica_regions: [{replicas}]}}
transfers:
  - {{recipient: {party}, tool: bcr, countries: [{countries}]}}
"""
GOOD = {
    "party": "support-co",
    "seat": "US",
    "component": "db",
    "hostnames": "api.example.org",
    "transit": "{country: CH}",
    "replicas": "eu-west-1",
    "countries": "US",
}


def ids_with(tmp_path: Path, **changed: str) -> Path:
    path = tmp_path / "ids.yaml"
    path.write_text(IDS.format(**{**GOOD, **changed}))
    return path


def test_the_ids_fixture_loads(tmp_path: Path) -> None:
    load_deployment(ids_with(tmp_path), "ids.yaml")


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (
            {"component": "'db/copies[0]'"},
            "ids.yaml:9:10: error: components[0].id: 'db/copies[0]' holds '/', '[', ']', "
            "which finding subjects use to join ids",
        ),
        (
            {"party": "'support co'"},
            "ids.yaml:7:10: error: parties[1].id: 'support co' holds whitespace",
        ),
        ({"party": "'a#2'"}, "ids.yaml:7:10: error: parties[1].id: 'a#2' holds '#'"),
        ({"component": "'db@x'"}, "ids.yaml:9:10: error: components[0].id: 'db@x' holds '@'"),
        (
            {"component": "'a:b>c'"},
            "ids.yaml:9:10: error: components[0].id: 'a:b>c' holds ':', '>'",
        ),
    ],
)
def test_an_id_holding_a_subject_separator_is_an_error(
    tmp_path: Path, changed: dict[str, str], expected: str
) -> None:
    """A component `db/copies[0]` would be named like db's first copy, a flow `access/backup`
    like an access path's: ids that read two ways are refused where they are written."""
    messages = errors_of(ids_with(tmp_path, **changed))
    assert [m for m in messages if m.startswith(expected)], messages


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (
            {"countries": "US, US"},
            "ids.yaml:14:56: error: transfers[0].countries[1]: 'US' is listed twice (first at "
            "transfers[0].countries[0])",
        ),
        (
            {"hostnames": "api.example.org, API.example.org."},
            "ids.yaml:10:35: error: components[0].hostnames[1]: 'API.example.org.' is listed "
            "twice (first at components[0].hostnames[0])",
        ),
        (
            {"replicas": "us-east-1, us-east-1"},
            "ids.yaml:12:95: error: keys[0].replica_regions[1]: 'us-east-1' is listed twice",
        ),
        (
            {"transit": "{country: CH}, {country: CH}"},
            "ids.yaml:10:71: error: components[0].transit[1].country: 'CH' is listed twice",
        ),
    ],
)
def test_an_entry_listed_twice_is_an_error(
    tmp_path: Path, changed: dict[str, str], expected: str
) -> None:
    """Each entry is a subject or a finding of its own: listed twice it would be reported
    twice, the second as `#2`."""
    messages = errors_of(ids_with(tmp_path, **changed))
    assert [m for m in messages if m.startswith(expected)], messages


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (
            {"countries": "us"},
            "ids.yaml:14:52: error: transfers[0].countries[0]: country code 'us' must be upper "
            "case (ISO 3166-1 alpha-2); did you mean 'US'?",
        ),
        (
            {"seat": "fr"},
            "ids.yaml:7:68: error: parties[1].country: country code 'fr' must be upper case "
            "(ISO 3166-1 alpha-2); did you mean 'FR'?",
        ),
        # a country's name, as a newcomer writes it, suggests its code, not the name upper-cased
        (
            {"seat": "France"},
            "ids.yaml:7:68: error: parties[1].country: 'France' is a country name; write its "
            "ISO 3166-1 alpha-2 code: did you mean 'FR'?",
        ),
        (
            {"countries": "United Kingdom"},
            "ids.yaml:14:52: error: transfers[0].countries[0]: 'United Kingdom' is a country "
            "name; write its ISO 3166-1 alpha-2 code: did you mean 'GB'?",
        ),
        (
            {"countries": "ZZ"},
            "ids.yaml:14:52: error: transfers[0].countries[0]: 'ZZ' is the audit's mark for a "
            "country nobody knows, not a country",
        ),
    ],
)
def test_a_country_code_the_audit_would_misread_is_an_error(
    tmp_path: Path, changed: dict[str, str], expected: str
) -> None:
    """`us` was read as an unknown country, not as the US, and `ZZ` is the audit's own mark
    for an unknown one: both refused where written, `us` with the code it meant."""
    messages = errors_of(ids_with(tmp_path, **changed))
    assert [m for m in messages if m.startswith(expected)], messages


def test_a_region_named_with_a_slash_is_the_knowledge_bases_own(tmp_path: Path) -> None:
    """IONOS's regions are `de/fra`, `us/ewr`: the separator check is for the deployment's own
    ids, not for the knowledge base's region names (it refused every IONOS deployment)."""
    from residency_audit.pipeline import Options, run
    from tests.conftest import AS_OF

    path = tmp_path / "ionos.yaml"
    path.write_text(
        "schema_version: 1\n"
        "name: ionos\n"
        "controller: clinic\n"
        "data: {categories: [health], health_context: care}\n"
        "parties:\n"
        "  - {id: clinic, name: Clinique SAS, role: controller, country: FR}\n"
        "components:\n"
        "  - id: db\n"
        "    kind: datastore\n"
        "    provider: ionos\n"
        "    operator: clinic\n"
        "    region: de/fra\n"
        "    copies: [{kind: backup, region: us/ewr}]\n"
    )
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    subjects = {f.subject for f in report.findings}
    assert "place:db/backup@us/ewr" in subjects  # the US copy is judged
    assert any(
        f.rule_id == "GDPR-XFER-01" and f.subject == "place:db/backup@us/ewr"
        for f in report.findings
    )

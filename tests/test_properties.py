"""Property tests: no generated input makes the loader or the engine raise (a traceback, exit 3),
and the same input always gives the same result."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from residency_audit import kb, pipeline
from residency_audit.cli import app
from residency_audit.model import Diagnostic
from tests.conftest import AS_OF, SAMPLES

KNOWLEDGE = kb.default()


def auditor(day: dt.date) -> pipeline.Auditor:
    return pipeline.Auditor.load(pipeline.Options(paths=[], as_of=day), KNOWLEDGE)


SAMPLE = (SAMPLES / "doctolib-2021.yaml").read_text()
FUNCTION_SCOPED = [HealthCheck.function_scoped_fixture]

TOKENS = [
    "- ",
    ": ",
    "? ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "&a ",
    "*a",
    "*b",
    "&b ",
    "!!python/object ",
    "!!str ",
    "!!set ",
    "!x ",
    "<<: ",
    "\n",
    "\n  ",
    "\n    ",
    "\t",
    "key",
    "name",
    "NO",
    "null",
    "~",
    "'q'",
    '"d"',
    '"\\x00"',
    "# c",
    "---",
    "...",
    "|",
    ">",
    "%YAML 1.2",
    "components",
    "schema_version: 1",
    "\ufeff",
    "é",
    "\u2028",
    "0x1F",
    "1e400",
    "2024-02-30",
]
yamlish = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)


@st.composite
def mutated_sample(draw: st.DrawFn) -> str:
    """The Doctolib sample with lines dropped, duplicated or cut: near-valid deployments."""
    lines = SAMPLE.splitlines()
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "dup", "cut", "indent"]))
        if action == "drop":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        else:
            lines[i] = "  " + lines[i]
        if not lines:
            lines = [""]
    return "\n".join(lines) + "\n"


def audit_bytes(tmp: Path, data: bytes) -> pipeline.FileResult:
    path = tmp / "input.yaml"
    path.write_bytes(data)
    return auditor(AS_OF).file(path)


@settings(max_examples=300, deadline=None, suppress_health_check=FUNCTION_SCOPED)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        yamlish.map(str.encode),
        mutated_sample().map(str.encode),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    )
)
def test_loader_never_raises_and_is_deterministic(tmp_path: Path, data: bytes) -> None:
    first = audit_bytes(tmp_path, data)
    second = audit_bytes(tmp_path, data)
    assert first == second
    entry, errors = first.entry, first.errors
    assert (entry.deployment is None) == bool(errors)
    for error in errors:
        assert isinstance(error, Diagnostic) and error.span.line >= 1 and error.span.column >= 1


COUNTRIES = ["FR", "DE", "US", "CN", "GB", "CH", "IN", "XX", "NO", "JP"]
REGIONS = [
    *sorted({r for b in KNOWLEDGE.region_blocks.values() for r in b.regions})[:40],
    "eu-west-9",
    "mars-1",
]
PROVIDERS = [*sorted(KNOWLEDGE.providers)[:12], "unknown-cloud"]
maybe = st.one_of(st.none(), st.booleans())


@st.composite
def deployment(draw: st.DrawFn) -> dict[str, Any]:
    parties = [{"id": "me", "name": "Me", "role": "controller", "country": "FR"}]
    for i, provider in enumerate(
        draw(st.lists(st.sampled_from(PROVIDERS), min_size=1, max_size=3, unique=True))
    ):
        parties.append(
            {
                "id": f"p{i}",
                "name": f"P{i}",
                "role": "processor",
                "country": draw(st.sampled_from(COUNTRIES)),
                "provider": provider,
            }
        )
    ids = [p["id"] for p in parties]

    def place(extra: dict[str, Any]) -> dict[str, Any]:
        if draw(st.booleans()):
            extra["region"] = draw(st.sampled_from(REGIONS))
        if draw(st.booleans()):
            extra["country"] = draw(st.sampled_from(COUNTRIES))
        return extra

    components = []
    for i in range(draw(st.integers(1, 4))):
        owner = draw(st.sampled_from(parties[1:]))
        component = place(
            {
                "id": f"c{i}",
                "provider": owner["provider"],
                "operator": owner["id"],
                "kind": draw(
                    st.sampled_from(["datastore", "compute", "backup", "log-sink", "cdn"])
                ),
            }
        )
        if (clear := draw(maybe)) is not None:
            component["clear_text_processing"] = clear
        if draw(st.booleans()):
            component["key"] = "k0"
        component["copies"] = [
            place({"kind": draw(st.sampled_from(["replica", "backup"]))})
            for _ in range(draw(st.integers(0, 2)))
        ]
        components.append(component)
    doc: dict[str, Any] = {
        "schema_version": 1,
        "name": "generated",
        "controller": "me",
        "data": {
            "categories": draw(
                st.lists(
                    st.sampled_from(["health", "contact", "genetic"]),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            )
        },
        "parties": parties,
        "components": components,
        "keys": [
            {
                "id": "k0",
                "encryption": draw(st.sampled_from(["client-side", "none"])),
                "management": draw(st.sampled_from(["provider-managed", "customer-held"])),
                "holder": draw(st.sampled_from(ids)),
                "country": draw(st.sampled_from(COUNTRIES)),
            }
        ],
        "access": [
            {
                "id": f"a{i}",
                "kind": "support",
                "entity": draw(st.sampled_from(ids)),
                "country": draw(st.sampled_from(COUNTRIES)),
            }
            for i in range(draw(st.integers(0, 2)))
        ],
        "transfers": [
            {
                "recipient": draw(st.sampled_from(ids)),
                "tool": draw(st.sampled_from(["scc-2021", "scc-2010", "dpf", "art49"])),
            }
            for _ in range(draw(st.integers(0, 2)))
        ],
    }
    if draw(st.booleans()):
        doc["data"]["health_context"] = draw(st.sampled_from(["care", "research"]))
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=FUNCTION_SCOPED)
@given(doc=deployment(), day=st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)))
def test_engine_never_raises_and_is_deterministic(
    tmp_path: Path, doc: dict[str, Any], day: dt.date
) -> None:
    path = tmp_path / "generated.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    first = auditor(day).file(path)
    assert first == auditor(day).file(path)
    findings, errors = first.findings, first.errors
    assert not errors, errors  # the strategy only builds valid deployments
    for finding in findings:
        assert finding.span.path == str(path) and finding.span.line >= 1
        assert finding.references and finding.rule_id in {r.id for r in auditor(day).rules}


@settings(max_examples=40, deadline=None, suppress_health_check=FUNCTION_SCOPED)
@given(data=st.one_of(yamlish, mutated_sample()))
def test_cli_exit_code_is_never_an_internal_error(tmp_path: Path, data: str) -> None:
    path = tmp_path / "input.yaml"
    path.write_text(data, encoding="utf-8", errors="surrogatepass")
    result = CliRunner().invoke(
        app, ["check", str(path), "--as-of", str(AS_OF), "--format", "json"]
    )
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output

"""Parties, certificates and declared transfers are judged through the real pipeline, at the
line of the declaration."""

from __future__ import annotations

from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF, FIXTURES

DEPLOYMENTS = FIXTURES / "deployments"


def findings(name: str) -> dict[str, list[tuple[int, str]]]:
    report = run(Options(paths=[DEPLOYMENTS / name], as_of=AS_OF))
    assert not report.errors, report.errors
    out: dict[str, list[tuple[int, str]]] = {}
    for f in report.findings:
        out.setdefault(f.rule_id, []).append((f.span.line, f.message))
    return out


def line_of(name: str, text: str) -> int:
    lines = (DEPLOYMENTS / name).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_transfer_mistakes_are_reported_on_their_declarations() -> None:
    name = "transfers-mixed.yaml"
    found = findings(name)
    assert found["GDPR-SCC-01"] == [
        (
            line_of(name, "- recipient: us-lab"),
            "transfer to us-lab uses SCC module 1, but a controller "
            "exporting to a processor calls for module 2",
        )
    ]
    assert [line for line, _ in found["GDPR-XFER-03"]] == [line_of(name, "in-annotators, country")]
    assert [line for line, _ in found["GDPR-49-01"]] == [line_of(name, "tool: art49")]
    assert "GDPR-TIA-01" not in found  # dated 2026-03-01, within the default period


def test_secnumcloud_claim_on_a_us_owned_host_fails_the_196_criteria() -> None:
    found = findings("secnumcloud-claim-us-owned.yaml")
    for rule in ("SNC-196-B", "SNC-192-C", "SNC-196-D", "SNC-QUAL-01"):
        assert rule in found, rule
    assert "SNC-196-A" not in found  # seat and administration declared in France
    assert "SNC-QUAL-02" not in found  # the certificate itself is 3.2 and current


def test_no_claim_no_secnumcloud_findings() -> None:
    found = findings("hds-2018-certificate.yaml")
    assert not [rule for rule in found if rule.startswith("SNC-")]


def test_exi31_no_transfer_wording_is_wrong_for_a_us_parented_host(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "wording.yaml"
    path.write_text("""\
schema_version: 1
name: wording
controller: clinic
data: {categories: [health], health_context: care}
parties:
  - {id: clinic, name: Clinique Exemple SAS, role: controller, country: FR}
  - id: host
    name: Example Host SARL
    role: processor
    country: LU
    provider: aws
    transparency:
      url: https://host.example/hds
      wording: no-transfer
      laws: [us-cloud-act, us-fisa-702]
      mitigations: true
      residual_risks: true
components:
  - {id: records, kind: datastore, provider: aws, operator: host, region: eu-west-3}
""")
    report = run(Options(paths=[path], as_of=AS_OF))
    rules = {f.rule_id: f for f in report.findings}
    assert "states no-transfer but its status requires table" in rules["HDS-PUB-02"].message
    assert "HDS-EXT-01" not in rules  # the EXI 30 disclosure is complete
    assert "HDS-PUB-01" not in rules

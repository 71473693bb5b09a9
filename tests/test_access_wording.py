"""How findings and flows name an access path: `remote-access` is a kind, not a noun to put
before "access" ("remote-access access support"), and a US recipient off the DPF list is one no
adequacy decision covers, not a country none covers (decision 2023/1795 is one for the US, for
the organisations it lists: legal-notes 3.2)."""

from __future__ import annotations

from pathlib import Path

from residency_audit.pipeline import Options, run
from tests.conftest import AS_OF
from tests.test_hds_sren_decree import DEPLOYMENT

US_VENDOR = "{id: support-co, name: Support Inc., role: sub-processor, country: US}"


def test_a_remote_access_from_the_us_is_named_once_and_its_recipient_found_uncovered(
    tmp_path: Path,
) -> None:
    text = DEPLOYMENT.replace("RECIPIENT", US_VENDOR).replace("COUNTRY", "US")
    path = tmp_path / "access.yaml"
    path.write_text(text.replace("kind: support", "kind: remote-access").replace("TRANSFERS", ""))
    report = run(Options(paths=[path], as_of=AS_OF))
    assert not report.errors, report.errors
    messages = {f.rule_id: f.message for f in report.findings}
    assert messages["EDPB-UC7-01"].startswith(
        "access support (remote-access) by support-co, a recipient no adequacy decision covers, "
        "sees data in clear from US: "
    )
    assert messages["GDPR-XFER-02"] == (
        "access support (remote-access) by support-co from US is a transfer with no valid tool"
    )
    (flow,) = [f for f in report.flows if f.kind == "access"]
    assert flow.label == "remote access support"
    assert not [m for m in messages.values() if "remote-access access" in m]

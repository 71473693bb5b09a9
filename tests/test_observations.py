"""The DNS observations file: written by discover, read back at file:line:col."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from residency_audit import kb
from residency_audit.attribution import Attributor
from residency_audit.discover import attribute
from residency_audit.errors import InputError
from residency_audit.loader import load_text
from residency_audit.observations import (
    Cname,
    DnsObservations,
    MailExchanger,
    NameObservation,
    Purpose,
    Status,
    dump_observations,
    load_observations,
    parse_observations,
)


def sample() -> DnsObservations:
    api = NameObservation(
        "api.example-health.test",
        Purpose.HOST,
        Status.RESOLVED,
        cnames=(Cname("api.example-health.test", "d111.cloudfront.net"),),
        canonical="d111.cloudfront.net",
        addresses=("108.138.0.10",),
    )
    mail = NameObservation(
        "clinic.test",
        Purpose.MAIL,
        Status.RESOLVED,
        mail_exchangers=(
            MailExchanger(0, "clinic-test.mail.protection.outlook.com", ("198.51.100.30",)),
        ),
    )
    gone = NameObservation(
        "gone.example.test",
        Purpose.HOST,
        Status.NXDOMAIN,
        detail="NXDOMAIN: gone.example.test does not exist",
    )
    attributor = Attributor(kb.default())
    names = tuple(
        NameObservation(
            **{
                **{f: getattr(n, f) for f in n.__dataclass_fields__},
                "attributions": attribute(n, attributor),
            }
        )
        for n in (api, mail, gone)
    )
    return DnsObservations(1, "dns-observations", dt.date(2026, 11, 28), "127.0.0.1:53", names)


def test_written_observations_read_back_equal(tmp_path: Path) -> None:
    path = tmp_path / "obs.yaml"
    path.write_text(dump_observations(sample()))
    loaded = load_observations(path)
    assert loaded == sample()
    assert (
        loaded.origin(2)
        == f"{path}:{path.read_text().splitlines().index('- name: gone.example.test') + 1}:3"
    )
    assert dump_observations(loaded) == path.read_text()  # stable bytes


def test_an_unknown_status_is_reported_at_its_position() -> None:
    text = dump_observations(sample()).replace("status: nxdomain", "status: nxdomian")
    with pytest.raises(InputError) as info:
        parse_observations(load_text(text, "obs.yaml"))
    line = text.splitlines().index("  status: nxdomian") + 1
    assert str(info.value) == (
        f"obs.yaml:{line}:11: error: names[2].status: unknown value "
        "'nxdomian'; did you mean 'nxdomain'?"
    )


def test_an_invalid_name_is_an_input_error() -> None:
    text = dump_observations(sample()).replace("name: gone.example.test", "name: gone..test")
    with pytest.raises(InputError, match="empty label"):
        parse_observations(load_text(text, "obs.yaml"))


def problems_of(text: str) -> list[str]:
    with pytest.raises(InputError) as info:
        parse_observations(load_text(text, "obs.yaml"))
    return [d.message for d in info.value.diagnostics]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("target: d111.cloudfront.net", "target: -bad..cloudfront.net", "hostname '-bad..c"),
        (
            "exchange: clinic-test.mail.protection.outlook.com",
            "exchange: 'mx ..outlook.com'",
            "hostname 'mx ..outlook.com'",
        ),
        ("- 108.138.0.10", "- 999.1.1.1", "'999.1.1.1' is not an IPv4 or IPv6 address"),
        (
            "target: d111.cloudfront.net",
            "target: api.example-health.test",
            "the CNAME chain loops back to api.example-health.test",
        ),
    ],
)
def test_every_name_and_address_of_an_observation_is_checked(
    old: str, new: str, expected: str
) -> None:
    """A malformed CNAME target, exchanger or address, or a looping chain, would otherwise be
    attributed to a provider with confidence."""
    text = dump_observations(sample())
    assert old in text
    assert any(expected in m for m in problems_of(text.replace(old, new, 1)))


def test_a_name_observed_twice_in_one_file_is_an_error() -> None:
    """Which of two answers would the audit trust? The file must give one."""
    text = dump_observations(sample())
    first = text.index("\n- name: api.example-health.test") + 1
    entry = text[first : text.index("\n- name:", first) + 1]
    doubled = text + entry.replace("- name: api", "- name: API", 1)
    [message] = problems_of(doubled)
    line = text[:first].count("\n") + 1
    assert message == (
        f"api.example-health.test (host) is observed twice in this file, first at line {line}; "
        "keep one observation per name"
    )

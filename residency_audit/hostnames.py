"""Hostname syntax (RFC 1123 labels, RFC 1035 lengths), checked before any DNS query.

A declared name that cannot exist in the DNS is an input error, never an "unresolved" fact: a
typo must not hide among the names a resolver could not reach.
"""

from __future__ import annotations

import re

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
MAX_NAME = 253


def normalise_hostname(text: str) -> str:
    """The name in lower case without its trailing dot (DNS names are case-insensitive)."""
    return text.strip().rstrip(".").lower() if text.strip() != "." else ""


def hostname_problem(text: str) -> str | None:
    """Why `text` is not a usable hostname, or None when it is one."""
    if not isinstance(text, str) or not text.strip():
        return "empty hostname"
    if text != text.strip():
        return f"hostname {text!r} has surrounding spaces"
    name = normalise_hostname(text)
    if not name:
        return "the root '.' is not a hostname"
    if not name.isascii():
        return (
            f"hostname {text!r} is not ASCII; write internationalised names in their "
            "A-label form (xn--...)"
        )
    import ipaddress  # only deployments that declare hostnames pay for it

    try:
        ipaddress.ip_address(name)
        return f"{text!r} is an IP address, not a hostname"
    except ValueError:
        pass
    if len(name) > MAX_NAME:
        return f"hostname {text!r} is {len(name)} characters long; the DNS limit is {MAX_NAME}"
    for label in name.split("."):
        if not label:
            return f"hostname {text!r} has an empty label (two dots in a row?)"
        if len(label) > 63:
            return f"hostname {text!r}: label {label[:20]!r}... is longer than 63 characters"
        if not _LABEL.fullmatch(label):
            return (
                f"hostname {text!r}: label {label!r} may hold only letters, digits and "
                "inner hyphens"
            )
    if name.rsplit(".", 1)[-1].isdigit():
        return f"hostname {text!r} ends with an all-numeric label"
    return None

"""Hostname syntax (RFC 1123 labels, RFC 1035 lengths), checked before any DNS query.

A declared name that cannot exist in the DNS is an input error, never an "unresolved" fact: a
typo must not hide among the names a resolver could not reach. Names the DNS itself returns (CNAME
targets, mail exchangers) are DNS names, not hostnames: an underscore is legal in them (RFC 2181
s. 11 allows any octet in a label), and `discover dns` records them as the resolver gave them.
"""

from __future__ import annotations

import re

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_DNS_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
MAX_NAME = 253


def normalise_hostname(text: str) -> str:
    """The name in lower case without its trailing dot (DNS names are case-insensitive)."""
    return text.strip().rstrip(".").lower() if text.strip() != "." else ""


def hostname_problem(text: str, *, underscore: bool = False) -> str | None:
    """Why `text` is not a usable hostname, or None when it is one. With `underscore`, labels
    may hold underscores too: a name found in DNS records, such as a CNAME target."""
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
        if not (_DNS_LABEL if underscore else _LABEL).fullmatch(label):
            allowed = "letters, digits, underscores" if underscore else "letters, digits"
            return f"hostname {text!r}: label {label!r} may hold only {allowed} and inner hyphens"
    if name.rsplit(".", 1)[-1].isdigit():
        return f"hostname {text!r} ends with an all-numeric label"
    return None

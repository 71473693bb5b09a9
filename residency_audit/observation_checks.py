"""Where a DNS observation contradicts itself, as no resolver answer can (`observations` refuses
such a file at the line of the contradiction): a CNAME chain that does not go from the name to its
canonical end, records listed under a status that says there were none, a resolved name without
addresses, a null MX (RFC 7505) that is not a mail domain's only MX record, and the same for each
mail exchanger. Judging such an observation would credit a provider with records the DNS never gave.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from residency_audit.hostnames import normalise_hostname
from residency_audit.model import Diagnostic, Span
from residency_audit.observations import Cname, MailExchanger, NameObservation, Purpose, Status


def contradictions(n: NameObservation, base: str, at: Callable[[str], Span]) -> list[Diagnostic]:
    """Where an observation contradicts itself, as no resolver answer can: judging it would
    credit a provider with records the DNS never gave (a file edited by hand, or corrupted)."""
    out = _chain_problems(n.name, n.cnames, n.canonical, base, at)
    if n.purpose is Purpose.HOST and n.mail_exchangers:
        out.append(
            Diagnostic(
                at(f"{base}.mail_exchangers"),
                "a host observation has no mail exchangers: they are read for purpose mail",
            )
        )
    if n.purpose is Purpose.MAIL and n.addresses:
        out.append(
            Diagnostic(
                at(f"{base}.addresses"),
                "a mail observation has no addresses of its own: give them under each of its "
                "mail_exchangers",
            )
        )
    answered = n.addresses or n.mail_exchangers
    if n.status in (Status.NXDOMAIN, Status.NO_ANSWER) and answered:
        what = "addresses" if n.addresses else "mail_exchangers"
        out.append(
            Diagnostic(
                at(f"{base}.{what}"),
                f"status {n.status.value} says the DNS gave no records, yet {what} are listed",
            )
        )
    if n.status is Status.NULL_MX and n.purpose is Purpose.HOST:
        out.append(
            Diagnostic(
                at(f"{base}.status"),
                "status null-mx is a mail domain's (its only MX record is the null MX of RFC "
                "7505); a host observation has A or AAAA records, or none",
            )
        )
    elif n.status is Status.NULL_MX and n.mail_exchangers:
        out.append(
            Diagnostic(
                at(f"{base}.mail_exchangers"),
                "status null-mx says the null MX (RFC 7505) is the domain's only MX record, yet "
                "mail_exchangers are listed",
            )
        )
    if n.status is Status.RESOLVED and n.purpose is Purpose.HOST and not n.addresses:
        out.append(
            Diagnostic(
                at(f"{base}.status"),
                "status resolved with no addresses: a name that resolved has A or AAAA records "
                "(`discover dns` writes no-answer when it has none)",
            )
        )
    if n.purpose is Purpose.MAIL:  # a host's exchangers are refused whole, above
        for j, mx in enumerate(n.mail_exchangers):
            out += _exchanger_contradictions(n, mx, f"{base}.mail_exchangers[{j}]", at)
    return out


def _exchanger_contradictions(
    n: NameObservation, mx: MailExchanger, base: str, at: Callable[[str], Span]
) -> list[Diagnostic]:
    """An exchanger read as a name is (`contradictions`): judged by its chain and addresses
    alone, it must not be credited to the provider its name suggests when its own lookup
    failed. Files from before exchangers had a `status` wrote a failed one with no addresses:
    those are refused too, as `discover dns` now writes their status."""
    out = _chain_problems(mx.exchange, mx.cnames, mx.canonical, base, at)
    where = f"mail exchanger {mx.exchange}"
    if mx.status is Status.NULL_MX:
        out.append(
            Diagnostic(
                at(f"{base}.status"),
                f"{where} has status null-mx, a mail domain's: an exchanger's lookup is of A "
                "and AAAA records",
            )
        )
    if mx.status is not Status.RESOLVED and n.status is Status.RESOLVED:
        out.append(
            Diagnostic(
                at(f"{base}.status"),
                f"{where} has status {mx.status.value}, yet its domain {n.name} is resolved: a "
                "domain is resolved only when each of its exchangers is (`discover dns` gives "
                "it the failed exchanger's status)",
            )
        )
    if mx.status in (Status.NXDOMAIN, Status.NO_ANSWER) and mx.addresses:
        out.append(
            Diagnostic(
                at(f"{base}.addresses"),
                f"{where}: status {mx.status.value} says the DNS gave no records, yet addresses "
                "are listed",
            )
        )
    if mx.status is Status.RESOLVED and not mx.addresses:
        out.append(
            Diagnostic(
                at(base),  # older files have no status to point at
                f"{where} is resolved with no addresses: an exchanger that resolved has A or "
                "AAAA records (files written before exchangers had a status leave out the "
                "status of one that failed: observe the domain again with `discover dns`)",
            )
        )
    return out


def _chain_problems(
    name: str,
    cnames: Sequence[Cname],
    canonical: str | None,
    base: str,
    at: Callable[[str], Span],
) -> list[Diagnostic]:
    """A CNAME chain that does not start at `name` and go on from target to owner, or a
    `canonical` name that is not its end."""
    out = []
    owner: str | None = normalise_hostname(name)
    for j, c in enumerate(cnames):
        if normalise_hostname(c.name) != owner:
            out.append(
                Diagnostic(
                    at(f"{base}.cnames[{j}].name"),
                    f"CNAME owner {c.name} does not continue the chain from {name}: expected "
                    f"{owner}, {'the name queried' if j == 0 else 'the previous target'}",
                )
            )
            owner = None  # a broken chain has no end to compare the canonical name with
            break
        owner = normalise_hostname(c.target)
    if owner is not None and canonical is not None and normalise_hostname(canonical) != owner:
        out.append(
            Diagnostic(
                at(f"{base}.canonical"),
                f"canonical {canonical} is not the end of the CNAME chain ({owner})",
            )
        )
    return out

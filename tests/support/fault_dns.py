"""A small dnspython DNS server on 127.0.0.1 that answers from zone text and fails on request.

unbound (`dns_server.py`) is the real resolver of the tests, but it cannot be made to fail one
record type of one name while answering the others, as a broken load balancer or firewall does
(an AAAA query dropped while A answers). This server answers like a recursive resolver from the
records of one zone text (absolute names, CNAME chains followed within it, NXDOMAIN for names it
does not hold), except for the (name, type) pairs given in `faults`, which it drops (the client
times out) or answers with SERVFAIL or REFUSED. A fault on a CNAME target fails the chain there.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone

from tests.support.dns_server import DnsServer


class Fault(StrEnum):
    DROP = "drop"
    SERVFAIL = "servfail"
    REFUSED = "refused"


FaultTable = Mapping[tuple[str, str], Fault]
"""(name without trailing dot, record type) -> what the server does instead of answering."""


def answer(zone: dns.zone.Zone, query: dns.message.Message, faults: FaultTable) -> bytes | None:
    """The reply to `query`, or None to drop it."""
    reply = dns.message.make_response(query)
    reply.flags |= dns.flags.RA
    question = query.question[0]
    name, rdtype = question.name, question.rdtype
    for _hop in range(16):
        fault = faults.get(
            (name.to_text(omit_final_dot=True).lower(), dns.rdatatype.to_text(rdtype))
        )
        if fault is Fault.DROP:
            return None
        if fault is not None:
            reply.answer.clear()
            reply.set_rcode(dns.rcode.SERVFAIL if fault is Fault.SERVFAIL else dns.rcode.REFUSED)
            return reply.to_wire()
        node = zone.get_node(name)
        if node is None:
            reply.set_rcode(dns.rcode.NXDOMAIN)
            return reply.to_wire()
        cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
        if cname is not None and rdtype != dns.rdatatype.CNAME:
            reply.find_rrset(
                reply.answer, name, dns.rdataclass.IN, dns.rdatatype.CNAME, create=True
            ).update(cname)
            name = cname[0].target
            continue
        found = node.get_rdataset(dns.rdataclass.IN, rdtype)
        if found is not None:
            reply.find_rrset(reply.answer, name, dns.rdataclass.IN, rdtype, create=True).update(
                found
            )
        return reply.to_wire()
    reply.set_rcode(dns.rcode.SERVFAIL)  # a chain this long is a loop
    return reply.to_wire()


@contextmanager
def running_fault_dns(zone_text: str, faults: FaultTable) -> Iterator[DnsServer]:
    """Serve `zone_text` (absolute names) on a free loopback UDP port until the block ends."""
    zone = dns.zone.from_text(zone_text, origin=dns.name.root, relativize=False, check_origin=False)
    stop = threading.Event()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.05)

        def serve() -> None:
            while not stop.is_set():
                try:
                    data, peer = s.recvfrom(4096)
                except TimeoutError:
                    continue
                try:
                    reply = answer(zone, dns.message.from_wire(data), faults)
                except Exception:  # a malformed query gets no answer, as from a real server
                    continue
                if reply is not None:
                    s.sendto(reply, peer)

        thread = threading.Thread(target=serve, name="fault-dns", daemon=True)
        thread.start()
        try:
            yield DnsServer("127.0.0.1", int(s.getsockname()[1]))
        finally:
            stop.set()
            thread.join(timeout=5)

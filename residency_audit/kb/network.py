"""Network knowledge: providers' published IP ranges and their CDN / anycast edges.

IP-range snapshots live in `kb/data/ip-ranges/<provider>.json`, in the layout of AWS's
ip-ranges.json (`prefixes[].ip_prefix`, `ipv6_prefixes[].ipv6_prefix`, `region`, `service`) plus a
`residency_audit` block saying where the snapshot comes from, whether it was verified and when.
They are large, so they are read on first use only (`KnowledgeBase.network()`), and every entry is
checked like user input. `import_snapshot` validates a file the user downloaded (AWS's own
ip-ranges.json, or Cloudflare's ips-v4/ips-v6 lists) and returns the snapshot text to install.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

from residency_audit.errors import InputError, KnowledgeBaseError
from residency_audit.format.convert import INVALID, Converter
from residency_audit.kb.entries import Provenance
from residency_audit.kb.rangefile import read_json, where_in
from residency_audit.loader import load_document, read_bytes, unshowable_name
from residency_audit.model import Diagnostic, Span, doc
from residency_audit.records import Record, record

AWS_URL = "https://ip-ranges.amazonaws.com/ip-ranges.json"
CLOUDFLARE_URL = "https://www.cloudflare.com/ips/"
GLOBAL = "GLOBAL"
"""AWS's region for ranges announced from every edge (CloudFront, Global Accelerator...)."""
_AWS_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})-[0-9]{2}-[0-9]{2}-[0-9]{2}")
MAX_BYTES = {"aws": 8 << 20, "cloudflare": 1 << 20}
"""Largest range file read, by provider. A file in AWS's ip-ranges.json layout holding the
10,683 prefixes of the bundled snapshot is 1.6 MB: 8 MiB leaves room for five times as many.
Importing 8 MiB of prefixes takes about 100 MB, and refusing such a file whose last line is
wrong under 2 s (a duplicate member, found in Python, is the slowest). Cloudflare's lists are
a few dozen lines."""
MAX_INSTALLED_BYTES = 32 << 20
"""Largest installed snapshot read: written by this tool from a file within `MAX_BYTES`, one
line a prefix, it can be larger than that file (a Cloudflare prefix takes 16 bytes in the list,
about 90 in the snapshot; AWS's file without its indentation about 110, 140 in the snapshot)."""
MAX_PROBLEMS = 20
"""Problems listed per file; checking stops there, so a file of bad entries is refused fast."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""What a region, service, network border group or sync token may be: AWS's are short ASCII
words (`eu-west-3`, `ROUTE53_HEALTHCHECKS_PUBLISHING`, `GLOBAL`). They are written into the
knowledge base and printed in findings: a line break there would forge a line of the CI log."""


@record(kw_only=True)
class Edge(Provenance):
    provider: str = field(metadata=doc("Knowledge-base provider id."))
    suffixes: tuple[str, ...] = field(default=(), metadata=doc("DNS suffixes served from edges."))
    services: tuple[str, ...] = field(
        default=(), metadata=doc("IP-range `service` values that are edges.")
    )
    all_names: bool = field(default=False, metadata=doc("Every name and range is an edge."))


@record(kw_only=True)
class EdgesFile(Record):
    edges: tuple[Edge, ...] = field(metadata=doc("CDN and anycast edges."))


@record
class RangeEntry(Record):
    """One published prefix: who announces it, for which region and service."""

    provider: str
    prefix: str
    region: str
    service: str


@record
class Snapshot(Record):
    """A provider's published IP ranges as of a date, with their provenance."""

    provider: str
    file: str
    """`kb/ip-ranges/aws.json`."""
    sha256: str
    source: str
    verified: bool
    as_of: dt.date
    note: str | None
    entries: tuple[RangeEntry, ...]

    @property
    def origin(self) -> str:
        return f"kb:ip-ranges/{self.provider}.json"


class IpIndex:
    """Most-specific-prefix lookup over every snapshot (a dict per prefix length)."""

    def __init__(self, entries: Iterable[RangeEntry]) -> None:
        self._tables: dict[int, dict[int, dict[int, list[RangeEntry]]]] = {4: {}, 6: {}}
        for entry in entries:
            net = ipaddress.ip_network(entry.prefix)
            by_len = self._tables[net.version].setdefault(net.prefixlen, {})
            by_len.setdefault(int(net.network_address), []).append(entry)
        self._lengths = {v: sorted(t, reverse=True) for v, t in self._tables.items()}

    def lookup(self, address: str) -> tuple[RangeEntry, ...]:
        """Entries of the most specific published prefix holding `address` (empty if none)."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return ()
        bits = ip.max_prefixlen
        value = int(ip)
        for length in self._lengths[ip.version]:
            mask = ((1 << length) - 1) << (bits - length) if length else 0
            found = self._tables[ip.version][length].get(value & mask)
            if found:
                return tuple(found)
        return ()


@record
class NetworkKnowledge(Record):
    edges: dict[str, Edge]
    snapshots: dict[str, Snapshot]
    index: IpIndex
    files: tuple[tuple[str, str], ...]
    """(file, sha256) of each file read."""


def load_network(directory: Path, providers: Iterable[str]) -> NetworkKnowledge:
    """Read `edges.yaml` and every `ip-ranges/*.json`; provider ids must be known."""
    known = set(providers)
    document = load_document(directory / "edges.yaml", "kb/edges.yaml")
    converter = Converter(document.path)
    parsed = converter.mapping(document.root, EdgesFile, "") if document.root else INVALID
    if parsed is INVALID:
        raise KnowledgeBaseError(
            sorted(converter.diagnostics) or [Diagnostic(Span(document.path, 1, 1), "empty file")]
        )
    problems = [
        Diagnostic(
            converter.locations.get(f"edges[{i}].provider", Span(document.path, 1, 1)),
            f"unknown provider id {e.provider!r}",
        )
        for i, e in enumerate(parsed.edges)
        if e.provider not in known
    ]
    snapshots: dict[str, Snapshot] = {}
    files = [(document.path, hashlib.sha256(document.raw).hexdigest())]
    for path in sorted((directory / "ip-ranges").glob("*.json")):
        display = f"kb/ip-ranges/{path.name}"
        try:
            raw = read_bytes(path, display, MAX_INSTALLED_BYTES, "JSON")
        except InputError as exc:
            raise KnowledgeBaseError(exc.diagnostics) from None
        snapshot = parse_snapshot(raw, display)
        if snapshot.provider != path.stem or snapshot.provider not in known:
            problems.append(
                Diagnostic(
                    Span(display, 1, 1),
                    f"snapshot provider "
                    f"{snapshot.provider!r} must be a known provider id and "
                    f"match the file name",
                )
            )
        snapshots[snapshot.provider] = snapshot
        files.append((display, snapshot.sha256))
    if problems:
        raise KnowledgeBaseError(problems)
    return NetworkKnowledge(
        {e.provider: e for e in parsed.edges},
        snapshots,
        IpIndex(e for s in snapshots.values() for e in s.entries),
        tuple(files),
    )


# -- snapshot files ------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    """A value in a message: quoted as Python writes it (a line break as `\\n`), cut short; an
    object or a list only named (written out, one nested deeply would exhaust the stack)."""
    if isinstance(value, dict | list):
        return "an object" if isinstance(value, dict) else "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _entries(
    data: dict[str, Any], provider: str, text: str, display: str
) -> tuple[list[RangeEntry], list[Diagnostic]]:
    """The prefixes of a range file, and its problems (at most `MAX_PROBLEMS`, then a note),
    each at its entry's prefix."""
    entries: list[RangeEntry] = []
    problems: list[Diagnostic] = []
    for key, field_name, version in (
        ("prefixes", "ip_prefix", 4),
        ("ipv6_prefixes", "ipv6_prefix", 6),
    ):
        items = data.get(key, [])
        if not isinstance(items, list):
            problems.append(
                Diagnostic(where_in(text, f'"{key}"', display), f"{key}: expected a list")
            )
            continue
        for i, item in enumerate(items):
            entry = _entry(item, provider, field_name, version)
            if isinstance(entry, RangeEntry):
                entries.append(entry)
                continue
            prefix = item.get(field_name) if isinstance(item, dict) else None
            # located only on error: finding is O(n)
            where = where_in(text, f'"{prefix}"', display) if isinstance(prefix, str) else None
            problems.append(Diagnostic(where or Span(display, 1, 1), f"{key}[{i}]{entry}"))
            if len(problems) == MAX_PROBLEMS:
                note = f"more than {MAX_PROBLEMS} problems; stopped checking this file"
                return entries, [*problems, Diagnostic(problems[-1].span, note)]
    if not entries and not problems:
        problems.append(
            Diagnostic(
                Span(display, 1, 1),
                "no prefixes: an empty snapshot would make every address unattributable",
            )
        )
    return entries, problems


def _entry(item: Any, provider: str, field_name: str, version: int) -> RangeEntry | str:
    """One prefix of a range file, or what is wrong with it (said after its place)."""
    if not isinstance(item, dict):
        return ": expected an object"
    prefix = item.get(field_name)
    if not isinstance(prefix, str):
        return f".{field_name}: {_shown(prefix)} is not a network prefix"
    try:
        net = ipaddress.ip_network(prefix)  # strict: host bits must be zero
    except ValueError as exc:  # its message quotes the prefix: cut short, printable
        why = re.sub(r"[^ -~]", "?", str(exc)[:80])
        return f".{field_name}: {_shown(prefix)} is not a network prefix ({why})"
    if net.version != version:
        return f".{field_name}: {prefix} is not IPv{version}"
    for name in ("region", "service", "network_border_group"):
        value = item.get(name)
        if name == "network_border_group" and value is None:
            continue  # not in every file (Cloudflare's, the bundled AWS snapshot)
        if not (isinstance(value, str) and _NAME.fullmatch(value)):
            return (
                f".{name}: {_shown(value)} is not a name of at most 64 letters, digits, "
                "'-', '_' and '.', as AWS's are"
            )
    return RangeEntry(provider, str(net), item["region"], item["service"])


def parse_snapshot(raw: bytes, display: str) -> Snapshot:
    """A bundled or installed snapshot: AWS layout plus the `residency_audit` provenance block."""
    data, text = read_json(raw, display)
    meta = data.get("residency_audit") if isinstance(data, dict) else None
    if not isinstance(meta, dict):
        raise KnowledgeBaseError.at(
            Span(display, 1, 1),
            "missing the 'residency_audit' block (provider, source, verified, as_of)",
        )
    try:
        provider = str(meta["provider"])
        source = str(meta["source"])
        verified = meta["verified"]
        as_of = dt.date.fromisoformat(str(meta["as_of"]))
    except (KeyError, ValueError) as exc:
        raise KnowledgeBaseError.at(
            Span(display, 2, 1), f"residency_audit block: missing or invalid {exc}"
        ) from None
    if not isinstance(verified, bool):
        raise KnowledgeBaseError.at(Span(display, 2, 1), "residency_audit.verified: true or false")
    entries, problems = _entries(data, provider, text, display)
    if problems:
        raise KnowledgeBaseError(problems)
    return Snapshot(
        provider,
        display,
        hashlib.sha256(raw).hexdigest(),
        source,
        verified,
        as_of,
        meta.get("note"),
        tuple(entries),
    )


def import_snapshot(provider: str, files: Sequence[tuple[bytes, str]], *, today: dt.date) -> str:
    """Validate downloaded range files and return the snapshot text to install.

    aws: one file, AWS's ip-ranges.json (syncToken, createDate, prefixes, ipv6_prefixes);
    cloudflare: Cloudflare's ips-v4 and/or ips-v6 lists, one prefix per line.
    """
    if provider == "aws":
        if len(files) != 1:
            raise KnowledgeBaseError.at(
                Span("aws", 1, 1), "give exactly one file: AWS's ip-ranges.json"
            )
        raw, display = files[0]
        data, text = read_json(raw, display)
        if not isinstance(data, dict) or not isinstance(data.get("syncToken"), str):
            raise KnowledgeBaseError.at(
                Span(display, 1, 1),
                f"not AWS's ip-ranges.json: no syncToken (download it from {AWS_URL})",
            )
        if not _NAME.fullmatch(data["syncToken"]):
            raise KnowledgeBaseError.at(
                where_in(text, '"syncToken"', display),
                f"syncToken {_shown(data['syncToken'])} is not AWS's (digits: a Unix time)",
            )
        created = _aws_date(data.get("createDate"))
        if created is None:
            raise KnowledgeBaseError.at(
                where_in(text, '"createDate"', display),
                "createDate must be a date and time written YYYY-MM-DD-hh-mm-ss",
            )
        entries, problems = _entries(data, "aws", text, display)
        if problems:
            raise KnowledgeBaseError(problems)
        meta = {
            "provider": "aws",
            "source": AWS_URL,
            "verified": True,
            "as_of": created.isoformat(),
            "sync_token": data["syncToken"],
            "create_date": data["createDate"],
            "imported_sha256": hashlib.sha256(raw).hexdigest(),
            "note": "AWS's ip-ranges.json as downloaded by the user and imported with "
            "`residency-audit kb refresh-ip-ranges`; its authenticity rests on "
            "where it was downloaded from (AWS publishes no signature for it).",
        }
        return render_snapshot(meta, entries, data)
    if provider == "cloudflare":
        entries = []
        problems = []
        for raw, display in files:
            for n, line in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                try:
                    net = ipaddress.ip_network(text)
                except ValueError:
                    message = f"{_shown(text)} is not a network prefix (one CIDR prefix a line)"
                    problems.append(Diagnostic(Span(display, n, 1), message))
                    if len(problems) == MAX_PROBLEMS:
                        raise KnowledgeBaseError(problems) from None
                    continue
                entries.append(RangeEntry("cloudflare", str(net), GLOBAL, "ANYCAST"))
        if problems:
            raise KnowledgeBaseError(problems)
        if not entries:
            raise KnowledgeBaseError.at(
                Span(files[0][1] if files else "cloudflare", 1, 1),
                "no prefixes found; expected one CIDR prefix per line",
            )
        meta = {
            "provider": "cloudflare",
            "source": CLOUDFLARE_URL,
            "verified": True,
            "as_of": today.isoformat(),
            "note": "Cloudflare's ips-v4/ips-v6 lists as downloaded by the user and imported "
            "with `residency-audit kb refresh-ip-ranges`; region GLOBAL and service "
            "ANYCAST are this tool's labels.",
        }
        return render_snapshot(meta, entries, {})
    raise KnowledgeBaseError.at(
        Span(provider, 1, 1), f"no importer for provider {provider!r}; supported: aws, cloudflare"
    )


def _aws_date(value: Any) -> dt.date | None:
    """The day of AWS's `createDate` (`2026-11-20-10-11-12`), None if it is not one."""
    found = _AWS_DATE.fullmatch(value) if isinstance(value, str) else None
    try:
        return dt.date.fromisoformat(found.group(1)) if found else None
    except ValueError:  # 2026-13-45
        return None


def render_snapshot(
    meta: dict[str, Any], entries: Sequence[RangeEntry], original: dict[str, Any]
) -> str:
    """One prefix per line, sorted, so a refresh reads as a reviewable diff."""
    extra: dict[tuple[str, str, str], dict[str, Any]] = {}
    for section, name in (("prefixes", "ip_prefix"), ("ipv6_prefixes", "ipv6_prefix")):
        for item in original.get(section, []):
            extra[(str(ipaddress.ip_network(item[name])), item["region"], item["service"])] = item

    def line(e: RangeEntry) -> str:
        net = ipaddress.ip_network(e.prefix)
        item = {
            ("ip_prefix" if net.version == 4 else "ipv6_prefix"): e.prefix,
            "region": e.region,
            "service": e.service,
        }
        border = extra.get((e.prefix, e.region, e.service), {}).get("network_border_group")
        if border is not None:
            item["network_border_group"] = border
        return "    " + json.dumps(item, ensure_ascii=False)

    def key(e: RangeEntry) -> tuple[int, int, str, str]:
        net = ipaddress.ip_network(e.prefix)
        return int(net.network_address), net.prefixlen, e.service, e.region

    unique = {(e.prefix, e.region, e.service): e for e in entries}.values()
    v4 = sorted((e for e in unique if ":" not in e.prefix), key=key)
    v6 = sorted((e for e in unique if ":" in e.prefix), key=key)
    out = [
        "{",
        '  "residency_audit": ' + json.dumps(meta, ensure_ascii=False) + ",",
        '  "prefixes": [',
        ",\n".join(line(e) for e in v4),
        "  ],",
        '  "ipv6_prefixes": [',
        ",\n".join(line(e) for e in v6),
        "  ]",
        "}",
    ]
    return "\n".join(x for x in out if x) + "\n"


def install_snapshot(
    provider: str, files: Sequence[Path], directory: Path, *, today: dt.date
) -> tuple[Snapshot, Path]:
    """Validate downloaded range files and write them as `directory/ip-ranges/<provider>.json`.
    Nothing is written unless the new snapshot reads back as valid."""
    raw: list[tuple[bytes, str]] = []
    limit = MAX_BYTES.get(provider, MAX_BYTES["aws"])
    for path in files:
        try:  # a regular file within `limit`: a FIFO would hang, /dev/zero fill the memory
            refused = unshowable_name(str(path))
            if refused is not None:
                raise InputError([refused])
            raw.append((read_bytes(path, str(path), limit, "JSON"), str(path)))
        except InputError as exc:
            raise KnowledgeBaseError(exc.diagnostics) from None
    text = import_snapshot(provider, raw, today=today)
    target = directory / "ip-ranges" / f"{provider}.json"
    snapshot = parse_snapshot(text.encode("utf-8"), f"kb/ip-ranges/{target.name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".json.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)  # atomic: a reader never sees half a snapshot
    return snapshot, target

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

from residency_audit.errors import KnowledgeBaseError
from residency_audit.format.convert import INVALID, Converter
from residency_audit.kb.entries import Provenance
from residency_audit.loader import load_document
from residency_audit.model import Diagnostic, Span, doc
from residency_audit.records import Record, record

AWS_URL = "https://ip-ranges.amazonaws.com/ip-ranges.json"
CLOUDFLARE_URL = "https://www.cloudflare.com/ips/"
GLOBAL = "GLOBAL"
"""AWS's region for ranges announced from every edge (CloudFront, Global Accelerator...)."""
_AWS_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})-[0-9]{2}-[0-9]{2}-[0-9]{2}")


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
            snapshot = parse_snapshot(path.read_bytes(), display)
        except OSError as exc:
            raise KnowledgeBaseError.at(Span(display, 1, 1), f"cannot read: {exc}") from None
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


def _json(raw: bytes, display: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise KnowledgeBaseError.at(Span(display, 1, 1), "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise KnowledgeBaseError.at(
            Span(display, exc.lineno, exc.colno), f"invalid JSON: {exc.msg}"
        ) from None


def _where(text: str, needle: str, display: str) -> Span:
    """The line of the first occurrence of `needle`, to point at a bad entry."""
    index = text.find(needle) if needle else -1
    if index < 0:
        return Span(display, 1, 1)
    line = text.count("\n", 0, index) + 1
    return Span(display, line, index - (text.rfind("\n", 0, index) + 1) + 1)


def _entries(
    data: dict[str, Any], provider: str, text: str, display: str
) -> tuple[list[RangeEntry], list[Diagnostic]]:
    entries: list[RangeEntry] = []
    problems: list[Diagnostic] = []
    for key, field_name, version in (
        ("prefixes", "ip_prefix", 4),
        ("ipv6_prefixes", "ipv6_prefix", 6),
    ):
        items = data.get(key, [])
        if not isinstance(items, list):
            problems.append(
                Diagnostic(_where(text, f'"{key}"', display), f"{key}: expected a list")
            )
            continue
        for i, item in enumerate(items):
            where = f"{key}[{i}]"
            if not isinstance(item, dict):
                problems.append(Diagnostic(Span(display, 1, 1), f"{where}: expected an object"))
                continue
            prefix, region, service = item.get(field_name), item.get("region"), item.get("service")

            def span(prefix: Any = prefix) -> Span:  # located only on error: finding is O(n)
                return _where(text, f'"{prefix}"', display)

            try:
                net = ipaddress.ip_network(str(prefix))  # strict: host bits must be zero
            except (TypeError, ValueError) as exc:
                problems.append(
                    Diagnostic(
                        span(), f"{where}.{field_name}: {prefix!r} is not a network prefix ({exc})"
                    )
                )
                continue
            if net.version != version:
                problems.append(
                    Diagnostic(span(), f"{where}.{field_name}: {prefix} is not IPv{version}")
                )
                continue
            if not (isinstance(region, str) and region and isinstance(service, str) and service):
                problems.append(
                    Diagnostic(span(), f"{where}: region and service must be non-empty strings")
                )
                continue
            entries.append(RangeEntry(provider, str(net), region, service))
    if not entries and not problems:
        problems.append(
            Diagnostic(
                Span(display, 1, 1),
                "no prefixes: an empty snapshot would make every address unattributable",
            )
        )
    return entries, problems


def parse_snapshot(raw: bytes, display: str) -> Snapshot:
    """A bundled or installed snapshot: AWS layout plus the `residency_audit` provenance block."""
    data = _json(raw, display)
    text = raw.decode("utf-8")
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
        raise KnowledgeBaseError(problems[:20])
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
        data = _json(raw, display)
        if not isinstance(data, dict) or not isinstance(data.get("syncToken"), str):
            raise KnowledgeBaseError.at(
                Span(display, 1, 1),
                f"not AWS's ip-ranges.json: no syncToken (download it from {AWS_URL})",
            )
        created = _AWS_DATE.fullmatch(str(data.get("createDate", "")))
        if created is None:
            raise KnowledgeBaseError.at(
                _where(raw.decode(), '"createDate"', display),
                "createDate must look like YYYY-MM-DD-hh-mm-ss",
            )
        entries, problems = _entries(data, "aws", raw.decode("utf-8"), display)
        if problems:
            raise KnowledgeBaseError(problems[:20])
        meta = {
            "provider": "aws",
            "source": AWS_URL,
            "verified": True,
            "as_of": created.group(1),
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
                except ValueError as exc:
                    problems.append(
                        Diagnostic(Span(display, n, 1), f"{text!r} is not a network prefix ({exc})")
                    )
                    continue
                entries.append(RangeEntry("cloudflare", str(net), GLOBAL, "ANYCAST"))
        if problems:
            raise KnowledgeBaseError(problems[:20])
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
    for path in files:
        try:
            raw.append((path.read_bytes(), str(path)))
        except OSError as exc:
            raise KnowledgeBaseError.at(
                Span(str(path), 1, 1), f"cannot read: {exc.strerror or exc}"
            ) from None
    text = import_snapshot(provider, raw, today=today)
    target = directory / "ip-ranges" / f"{provider}.json"
    snapshot = parse_snapshot(text.encode("utf-8"), f"kb/ip-ranges/{target.name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".json.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)  # atomic: a reader never sees half a snapshot
    return snapshot, target

"""The data-flow picture of the HTML report: an inline SVG with three columns, components →
countries where the data are → jurisdictions whose laws reach the entity holding them, coloured by
legal status (EEA, adequacy, third country; foreign compelled-access laws).

Each law is drawn under its own jurisdiction (the knowledge base's), not the parent's country: a
flow's laws come from its location, the entity's seat, its parent's country and an HSM's declared
law, and a US law under a French node would read as French law reaching the data. A country with
no law in the knowledge base (`unlisted:CC`) and a country or law nobody could place stay on the
picture as unknown (fail closed).

It draws `Report.flows` (the risk model's) when there are any; otherwise it derives what it can
from the facts of the findings (`location.country`, `provider.parent.country`, `kb.law.*`), and
says so, since passing flows then do not appear.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from html import escape
from typing import Any, TypeVar

from residency_audit import kb
from residency_audit.model import UNLISTED, Finding, Flow, Report
from residency_audit.records import Record, record

STATUS_COLOURS = {
    # status: (stroke, fill)
    "eea": ("#1b5e20", "#e8f5e9"),
    "adequate": ("#0d47a1", "#e3f2fd"),
    "interim": ("#006064", "#e0f7fa"),
    "partially-adequate": ("#e65100", "#fff3e0"),
    "third-country": ("#b71c1c", "#ffebee"),
    "unknown": ("#424242", "#eeeeee"),
    "exposed": ("#b71c1c", "#ffcdd2"),
}
LEGEND = (
    ("eea", "EEA"),
    ("adequate", "adequacy decision"),
    ("partially-adequate", "restricted adequacy only"),
    ("third-country", "third country, no adequacy"),
    ("unknown", "unknown"),
    ("exposed", "foreign laws can compel access"),
)
RARE_LEGEND = (("interim", "interim provision, not adequacy"),)
"""Legend entries drawn only when a country has that status, on a second row: the first is full."""
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'
TEXT = {  # presentation attributes, not CSS: weasyprint ignores page CSS inside SVG
    "heading": f'{FONT} font-size="13" font-weight="700" fill="#333333"',
    "label": f'{FONT} font-size="13" font-weight="600" fill="#1a1a1a"',
    "sub": f'{FONT} font-size="11" fill="#444444"',
}
NODE_W, NODE_H, GAP, TOP = 220, 46, 14, 40
COLUMNS = (20, 340, 660)
WIDTH = COLUMNS[2] + NODE_W + 20
K = TypeVar("K")
UNKNOWN = "?"
"""The jurisdiction node of the laws of a country nobody could place, and of law ids the knowledge
base does not hold."""
UNKNOWN_LABEL = "law of an unknown country"


@record
class Picture(Record):
    flows: Sequence[Flow]
    """The report's flows themselves (a batch's are on disk: walk them, do not copy them)."""
    derived: bool
    """True when drawn from the findings' facts because the report has no flows."""


def picture_flows(report: Report) -> Picture:
    if report.flows:
        return Picture(report.flows, False)
    return Picture(tuple(_derive(report.findings)), True)


def _derive(findings: Iterable[Finding]) -> list[Flow]:
    """Per component: the countries its findings place data in, the parent country of its
    provider and the laws they found reaching it. Components with none of these are left out;
    laws alone keep one in (a key's HSM under foreign law names no country of the component)."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for f in findings:
        if f.component is None:
            continue
        entry = seen.setdefault(
            (f.deployment, f.component),
            {"countries": {}, "parent": None, "laws": {}, "span": f.span},
        )
        for fact in f.facts:
            if fact.path == "location.country" and isinstance(fact.value, str):
                entry["countries"][fact.value] = None
            elif fact.path in ("provider.parent.country", "operator.parent.country") and isinstance(
                fact.value, str
            ):
                entry["parent"] = entry["parent"] or fact.value
            elif fact.path.startswith("kb.law."):
                entry["laws"][fact.path.removeprefix("kb.law.")] = None
    out: list[Flow] = []
    for (deployment, component), entry in seen.items():
        countries = list(entry["countries"]) or [None]
        if countries == [None] and entry["parent"] is None and not entry["laws"]:
            continue
        out += [
            Flow(
                f"{deployment}/{component}/{country}",
                deployment,
                "data",
                component,
                country,
                None,
                entry["parent"],
                tuple(entry["laws"]),
                None,
                entry["span"],
            )
            for country in countries
        ]
    return out


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def svg(report: Report) -> str:
    """The picture as an `<svg>` element (inline, no external resource)."""
    return "\n".join(svg_parts(report, picture_flows(report)))


def svg_parts(report: Report, picture: Picture) -> Iterator[str]:
    """The lines of `svg(report)`, made as they are written: the nodes are gathered in a first
    walk over the flows and the edges drawn in a second, so only the nodes are held."""
    status = {c.code: c.status for c in report.countries}
    names = {c.code: c.name for c in report.countries}
    home = _law_homes()
    deployments: dict[str, None] = {}
    places: dict[tuple[str, str], dict[str, None]] = {}  # per component: where its data are
    countries: dict[str, None] = {}
    laws: dict[str, dict[str, None]] = {}  # per jurisdiction: its laws reaching some flow
    unlisted: set[str] = set()
    for f in picture.flows:  # one walk: a batch's flows are read back from disk for each
        deployments[f.deployment] = None
        places.setdefault((f.deployment, f.component or "(deployment)"), {})[
            f"{f.kind} {f.country}" if f.country else "country not stated"
        ] = None
        if f.country:
            countries[f.country] = None
        unlisted.update(_unlisted(f))
        for code, listed in _reached(f, home).items():
            laws.setdefault(code, {}).update(dict.fromkeys(listed))
    many = len(deployments) > 1
    components = list(places)
    nodes = {code: _law_node(code, list(listed), status, unlisted) for code, listed in laws.items()}
    rows = max(len(components), len(countries), len(laws), 1)
    height = TOP + rows * (NODE_H + GAP) + 90
    described = "; ".join(f"{label} ({sub})" for label, sub, _ in nodes.values())
    yield from [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flowmap" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="flowmap-title flowmap-desc">',
        '<title id="flowmap-title">Where the data go and which laws reach them</title>',
        f'<desc id="flowmap-desc">{len(components)} component(s), {len(countries)} '
        f"countr{'y' if len(countries) == 1 else 'ies'}, {len(laws)} jurisdiction(s)"
        f"{': ' + escape(described) if described else ''}"
        f"{'; derived from the findings only' if picture.derived else ''}.</desc>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#555"/></marker></defs>',
    ]
    for x, heading in zip(
        COLUMNS, ("Components", "Where the data are", "Whose laws reach them"), strict=True
    ):
        yield f'<text x="{x}" y="20" {TEXT["heading"]}>{escape(heading)}</text>'
    y_component = _positions(components, rows)
    y_country = _positions(list(countries), rows)
    y_law = _positions(list(laws), rows)
    for f in picture.flows:  # edges first, so nodes are drawn over them
        start = y_component[(f.deployment, f.component or "(deployment)")]
        tone = status.get(f.country or "", "unknown")
        if f.country:
            yield _edge(
                COLUMNS[0] + NODE_W,
                start,
                COLUMNS[1],
                y_country[f.country],
                STATUS_COLOURS[tone][0],
                f"{f.kind} in {f.country}",
                dashed=False,
            )
        for code, listed in _reached(f, home).items():
            if not listed and code == f.country and code not in unlisted:
                continue  # its own country, with no law listed: nothing reaches it from afar
            colour = STATUS_COLOURS["exposed" if listed else "unknown"][0]
            # no known country: bow under the middle column instead of crossing it
            x0, y0, bow = (
                (COLUMNS[1] + NODE_W, y_country[f.country], 0.0)
                if f.country
                else (COLUMNS[0] + NODE_W, start, float(NODE_H))
            )
            yield _edge(
                x0,
                y0,
                COLUMNS[2],
                y_law[code],
                colour,
                _reach_title(f, code, listed, unlisted, picture.derived),
                dashed=True,
                bow=bow,
            )
    for key, y in y_component.items():
        label = f"{key[0]} / {key[1]}" if many else key[1]
        where = places.get(key, {})
        yield _node(COLUMNS[0], y, label, " · ".join(where), "#37474f", "#ffffff")
    for code, y in y_country.items():
        tone = status.get(code, "unknown")
        yield _node(
            COLUMNS[1],
            y,
            f"{code} {names.get(code, '')}".strip(),
            tone.replace("-", " "),
            *STATUS_COLOURS[tone],
        )
    for code, y in y_law.items():
        label, sub, tone = nodes[code]
        yield _node(COLUMNS[2], y, label, sub, *STATUS_COLOURS[tone])
    yield _legend(height - 40, set(status.values()))
    yield "</svg>"


def _positions(keys: list[K], rows: int) -> dict[K, float]:
    offset = (rows - len(keys)) * (NODE_H + GAP) / 2
    return {k: TOP + offset + i * (NODE_H + GAP) + NODE_H / 2 for i, k in enumerate(keys)}


def _edge(
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    colour: str,
    title: str,
    *,
    dashed: bool,
    bow: float = 0,
) -> str:
    """A curve with an arrow; what it means is in its tooltip, the component's node and the
    table below the picture (labels on edges collide as soon as two share an end)."""
    mid = (x0 + x1) / 2
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    if bow:
        curve = f"C{x0 + 60:.0f},{y0 + bow * 1.4:.0f} {x1 - 60:.0f},{y1 + bow * 1.4:.0f}"
    else:
        curve = f"C{mid:.0f},{y0:.0f} {mid:.0f},{y1:.0f}"
    return (
        f'<path d="M{x0:.0f},{y0:.0f} {curve} {x1 - 2:.0f},{y1:.0f}" fill="none" '
        f'stroke="{colour}" stroke-width="2"{dash} marker-end="url(#arrow)">'
        f"<title>{escape(title)}</title></path>"
    )


def _law_homes() -> dict[str, str]:
    """Law id → the country whose law it is, from the bundled knowledge base: flows carry law
    ids only, and a law's jurisdiction does not change with the as-of date."""
    return {law.id: law.jurisdiction for law in kb.default().laws.values()}


def _uncompelled() -> frozenset[str]:
    """The ids of the laws that reach data without compelling their holder (EO 12333's
    signals intelligence), from the bundled knowledge base: a holder does not answer to them."""
    return frozenset(law.id for law in kb.default().laws.values() if not law.compelled_access)


def _reached(flow: Flow, home: Mapping[str, str]) -> dict[str, list[str]]:
    """Jurisdiction → the laws of it that reach `flow`, in the flow's order: each law under
    its own country (`home`), or under `UNKNOWN` when the knowledge base does not place it.
    A jurisdiction with no law listed reaches it too: its parent's country, a country without
    law in the knowledge base (`unlisted:CC`), and `UNKNOWN` when a country is not known."""
    out: dict[str, list[str]] = {}
    if flow.parent_country:
        out[flow.parent_country] = []
    for law in flow.jurisdictions:
        out.setdefault(home.get(law, UNKNOWN), []).append(law)
    for code in _unlisted(flow):
        out.setdefault(code, [])
    if flow.bases is None:
        out.setdefault(UNKNOWN, [])
    return out


def _unlisted(flow: Flow) -> list[str]:
    """The countries reaching `flow` that have no law in the knowledge base."""
    return [b.removeprefix(UNLISTED) for b in flow.bases or () if b.startswith(UNLISTED)]


def _law_node(
    code: str, listed: list[str], status: Mapping[str, str], unlisted: set[str]
) -> tuple[str, str, str]:
    """(label, laws, tone) of a jurisdiction's node."""
    label = UNKNOWN_LABEL if code == UNKNOWN else f"{code} law"
    if listed:
        return label, ", ".join(listed), "exposed"
    if code == UNKNOWN:
        return label, "cannot be verified", "unknown"
    if code in unlisted:
        return label, "none in the knowledge base", "unknown"
    return label, "no law listed", status.get(code, "unknown")


def _reach_title(
    flow: Flow, code: str, listed: list[str], unlisted: set[str], derived: bool
) -> str:
    """The tooltip of an arrow: who answers to which law. A flow drawn from findings only
    (`derived`) is about its component's provider; a flow of the risk model without an entity
    is one nobody is known to host (HDS-ACT-03 says so)."""
    holder = flow.entity or ("the provider" if derived else "an entity nobody could name")
    uncompelled = _uncompelled()
    compelling = [law for law in listed if law not in uncompelled]
    besides = [law for law in listed if law in uncompelled]
    whose = "the law of a country nobody could place" if code == UNKNOWN else f"{code} law"
    if compelling:
        laws = ", ".join(compelling)
    elif besides:
        laws = "none compelling it"
    elif code == UNKNOWN:
        laws = "cannot be verified"
    elif code in unlisted:
        laws = "none in the knowledge base, so unknown"
    else:
        laws = "no law listed"
    said = f"{holder} answers to {whose}: {laws}"
    if besides:
        said += f"; {whose} reaching the data without compelling it: {', '.join(besides)}"
    return said


def _node(x: float, y: float, label: str, sub: str, stroke: str, fill: str) -> str:
    top = y - NODE_H / 2
    title = escape(f"{label}: {sub}" if sub else label)
    text_y = top + (18 if sub else 28)
    out = (
        f'<g><title>{title}</title><rect x="{x}" y="{top:.0f}" width="{NODE_W}" '
        f'height="{NODE_H}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="2"/>'
        f'<text x="{x + 10}" y="{text_y:.0f}" {TEXT["label"]}>'
        f"{escape(_short(label, 30))}</text>"
    )
    if sub:
        out += (
            f'<text x="{x + 10}" y="{top + 36:.0f}" {TEXT["sub"]}>{escape(_short(sub, 34))}</text>'
        )
    return out + "</g>"


def _legend(y: float, shown: set[str]) -> str:
    parts = [f'<g class="legend" transform="translate(20 {y:.0f})">']
    rows = [LEGEND, tuple(item for item in RARE_LEGEND if item[0] in shown)]
    for top, row in zip((0, 20), rows, strict=True):
        x = 0.0
        for key, label in row:
            stroke, fill = STATUS_COLOURS[key]
            parts.append(
                f'<rect x="{x:.0f}" y="{top}" width="14" height="14" fill="{fill}" '
                f'stroke="{stroke}" stroke-width="2"/>'
                f'<text x="{x + 19:.0f}" y="{top + 12}" {TEXT["sub"]}>{escape(label)}</text>'
            )
            x += 30 + len(label) * 6.6
    parts.append("</g>")
    return "".join(parts)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

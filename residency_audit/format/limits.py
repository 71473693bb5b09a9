"""How much one deployment may declare: the caps on what the audit multiplies, in one place.

The loader bounds the document (`loader.MAX_BYTES`, 1 MiB; `format.budget.MAX_NODES`, 200,000 values
through aliases), but the audit's work grows with what the document declares, not with its
bytes: each copy is a place with its own flow, findings and JSON (about 0.3 ms of CPU and 45 KB
of JSON a place), so 35 components each aliasing one list of 1,000 copies (17 KB of YAML) took
23 s and 1.8 GB, and 24,000 copies written out (just under 1 MiB) 21 s and 2.4 GB. Some work
grows with a product: each place is judged against every transfer tool declared for its host
(`engine/tools.py`), each key against the components using it, each party and access path
against the places (`SubjectBuilder.hosts`, `_infrastructure_of_party`), and each transfer
without `countries` against every country the deployment's places and access paths are in.

The numbers come from measurement (2-core machine, 2026-11-29, `check -f json`, CPU time with
start-up; `tests/test_hostile_sizes.py` builds the worst file under every cap at once and checks
it in bounded time). A realistic deployment is far below each: the samples declare at most 6
components, the benchmark corpus 4 with 2 copies each, and a large hospital about 100 components
with a few copies and log sinks each (some 500 places). A deployment past a cap is an input
error at the first item past it (exit 2; a batch audits its other files): split it, by site,
application or account (`discover aws --region`), and audit the parts together as a batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sized

from residency_audit.model import Deployment, Diagnostic, Span

MAX_COMPONENTS = 300
"""Components of a deployment: three times a large hospital's. Each is a place, and each
component's facts are gathered again for its split group and keys (about 0.5 ms each)."""
MAX_COPIES = 50
"""Copies of one component: backup plans, replicas and snapshot copies to other regions; a
copy costs what a component does."""
MAX_LOGS = 50
"""Log sinks of one component (those with personal data are places)."""
MAX_PLACES = 600
"""Components plus their copies plus their log sinks: the places the audit judges one by one,
each a flow, a few findings and some 45 KB of JSON (800: about 0.25 s and 37 MB of JSON)."""
MAX_PARTIES = 100
"""Parties: each party's facts walk every place (who runs and who hosts it)."""
MAX_ACCESS = 100
"""Access paths (support, administration, remote access): each is judged, and its hosts
found, against every place."""
MAX_ACCESS_REACH = 5_000
"""Components named by all access paths together: an access path's hosts are found among the
places of each component it names (100 paths naming 300 components each took 0.16 s more)."""
MAX_TRANSFERS = 100
"""Declared transfer tools (and the same for onward transfers, counted apart)."""
MAX_KEYS = 100
"""Encryption keys: each key's custody is derived for each component using it."""
MAX_CERTIFICATIONS = 100
"""Certificates: each is judged for its holder's activities."""
MAX_TRANSITS = 200
"""Transit routes of all components together: each is a subject judged on its own."""
MAX_PLACE_TRANSFERS = 15_000
"""Places (and access paths) times transfer tools: each place carries and judges every tool
declared for its host (about 10 µs a pair; 50 transfers to the host of 800 places took 0.4 s)."""
MAX_PLACE_KEYS = 15_000
"""Places times keys (about 4 µs a pair): key custody is derived per key and component."""
MAX_TRANSFER_COUNTRIES = 1_000
"""Countries of all transfers together: a transfer is judged once for each country it lists
(0.2 ms each, so 0.2 s at the cap), and one that lists none for each country its recipient's
places and access paths are in (counted here as the distinct regions and countries of all
places and access paths, an upper bound: 400 refused 20 transfers without countries in a
deployment of 20 regions, a large hospital's)."""


def limit_problems(d: Deployment) -> Iterator[Diagnostic]:
    """Each cap a deployment goes past, at the first item past it (or at the list)."""
    root = Span(d.path, 1, 1)
    advice = (
        # written by `discover aws`: one account's file, which only discovering less can split
        "observe fewer regions at a time (`discover aws --region ...`, one file each) and give "
        "the files together to --observed"
        if d.observation is not None
        else "split the deployment (by site, application or account) and audit the parts "
        "together as a batch"
    )

    def at(path: str, message: str) -> Diagnostic:
        return Diagnostic(
            d.locations.get(path) or d.locations.get(path.rpartition("[")[0], root),
            f"{message}; {advice}",
        )

    def over(path: str, items: Sized, cap: int, noun: str, whose: str) -> Iterator[Diagnostic]:
        if len(items) > cap:
            yield at(
                f"{path}[{cap}]",
                f"{path}: {len(items):,} {noun}, more than the {cap:,} {whose} may declare",
            )

    yield from over("components", d.components, MAX_COMPONENTS, "components", "a deployment")
    yield from over("parties", d.parties, MAX_PARTIES, "parties", "a deployment")
    yield from over("access", d.access, MAX_ACCESS, "access paths", "a deployment")
    yield from over("transfers", d.transfers, MAX_TRANSFERS, "transfers", "a deployment")
    yield from over("keys", d.keys, MAX_KEYS, "keys", "a deployment")
    yield from over(
        "certifications", d.certifications, MAX_CERTIFICATIONS, "certificates", "a deployment"
    )
    reach = sum(len(a.components) for a in d.access)
    if reach > MAX_ACCESS_REACH:
        yield at(
            "access",
            f"access: its paths name {reach:,} components in all, more than {MAX_ACCESS_REACH:,}",
        )
    onward = sum(len(t.onward) for t in d.transfers)
    if onward > MAX_TRANSFERS:
        yield at("transfers", f"transfers: {onward} onward transfers, more than {MAX_TRANSFERS}")
    places = 0
    transits = 0
    first_place_over: str | None = None
    said: set[Span] = set()  # a list repeated by aliases is reported once, where it is written
    for i, c in enumerate(d.components):
        for key, items, cap, noun in (
            ("copies", c.copies, MAX_COPIES, "copies"),
            ("logs", c.logs, MAX_LOGS, "log sinks"),
        ):
            for problem in over(f"components[{i}].{key}", items, cap, noun, "a component"):
                if problem.span not in said:
                    said.add(problem.span)
                    yield problem
        places += 1 + len(c.copies) + len(c.logs)
        transits += len(c.transit)
        if places > MAX_PLACES and first_place_over is None:
            first_place_over = f"components[{i}]"
    if first_place_over is not None:
        yield at(
            first_place_over,
            f"components: {places:,} places (components, their copies and log sinks), more "
            f"than the {MAX_PLACES:,} a deployment may declare (each is audited on its own); "
            f"the limit is passed at {first_place_over}",
        )
    if transits > MAX_TRANSITS:
        yield at(
            "components",
            f"components: {transits} transit routes, more than the {MAX_TRANSITS} a deployment "
            "may declare",
        )
    judged = places + len(d.access)
    for count, cap, path, noun in (
        (len(d.transfers), MAX_PLACE_TRANSFERS, "transfers", "transfer tools"),
        (len(d.keys), MAX_PLACE_KEYS, "keys", "keys"),
    ):
        if count and judged * count > cap:
            yield at(
                path,
                f"{path}: {judged:,} places and access paths times {count} {noun} make "
                f"{judged * count:,} pairs to judge, more than {cap:,}",
            )
    destinations = len(
        {(c.provider, c.region, c.country) for c in d.components}
        | {(x.provider or c.provider, x.region, x.country) for c in d.components for x in c.copies}
        | {(x.provider or c.provider, x.region, x.country) for c in d.components for x in c.logs}
        | {(None, None, a.country) for a in d.access}
    )
    countries = sum(len(t.countries) or destinations for t in d.transfers)
    if countries > MAX_TRANSFER_COUNTRIES:
        yield at(
            "transfers",
            f"transfers: {countries:,} countries to judge a transfer for (those each transfer "
            "lists, or for one listing none every region and country of the deployment), "
            f"more than {MAX_TRANSFER_COUNTRIES:,}",
        )

"""The transfer-risk model file: its documented format, loading and validation.

The model is data the user can read and change (`residency-audit risk-model` prints the bundled
one; `check --risk-model FILE` replaces it). It is read with the same located-YAML machinery as a
deployment, so a bad value is reported at path:line:col and the audit stops with exit code 2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field, fields
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from residency_audit.errors import InputError, RiskModelError
from residency_audit.format.convert import INVALID, Converter
from residency_audit.loader import load_document, span_of
from residency_audit.model import Diagnostic, RiskFactor, Span, doc
from residency_audit.records import Record, record

DEFAULT_PATH = Path(__file__).parent / "default-model.yaml"
DEFAULT_DISPLAY = "risk/default-model.yaml"
BASIS_FACTORS = (
    RiskFactor.SUBJECT,
    RiskFactor.INTEREST,
    RiskFactor.ROUTE,
    RiskFactor.CANNOT_RESIST,
)
"""The per-basis factors, in the order they are multiplied and reported; clear_text comes last."""


@record(kw_only=True)
class Estimate(Record):
    """One factor: a best estimate inside a low-high band, with its reasons."""

    value: float = field(metadata=doc("Best estimate, 0 to 1."))
    low: float = field(metadata=doc("Low end of the band, 0 to value."))
    high: float = field(metadata=doc("High end of the band, value to 1."))
    justification: str = field(metadata=doc("Why this value: the reasoning a reviewer can check."))
    source: str = field(metadata=doc("https URL supporting the justification."))
    verified: bool = field(
        default=False, metadata=doc("True only if the value itself is a verified fact.")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record(kw_only=True)
class Setting(Record):
    """A scalar of the model (threshold, level cut-off) with its reasons."""

    value: float = field(metadata=doc("The value."))
    justification: str = field(metadata=doc("Why this value."))
    source: str = field(metadata=doc("https URL supporting it."))
    verified: bool = field(
        default=False, metadata=doc("True only if the value is a verified fact.")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record(kw_only=True)
class Period(Record):
    """The assessment period of the risk model, in years, with its justification."""

    value: int = field(metadata=doc("Assessment period in years."))
    justification: str = field(metadata=doc("Why this period."))
    source: str = field(metadata=doc("https URL supporting it."))
    verified: bool = field(
        default=False, metadata=doc("True only if the value is a verified fact.")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record(kw_only=True)
class Basis(Record):
    """The conditional factors for one legal basis of compelled foreign access."""

    subject: Estimate = field(metadata=doc("The entity is subject to the basis."))
    interest: Estimate = field(
        metadata=doc("Authorities take an interest in these data in a given year.")
    )
    route: Estimate = field(metadata=doc("Given interest, they use this route (this entity)."))
    cannot_resist: Estimate = field(metadata=doc("The entity cannot resist or redirect the order."))
    note: str | None = field(default=None, metadata=doc("Caveats."))
    span: Span = field(default=Span("", 0, 0), compare=False)

    def factor(self, name: RiskFactor) -> Estimate:
        return getattr(self, name.value)  # type: ignore[no-any-return]


@record(kw_only=True)
class ClearText(Record):
    """The last factor: whether a disclosure by the entity yields intelligible data."""

    reachable: Estimate = field(metadata=doc("The entity can reach clear data."))
    unreachable: Estimate = field(metadata=doc("Keys and clear data are out of its reach."))
    unknown: Estimate = field(metadata=doc("Not known (fail closed)."))
    span: Span = field(default=Span("", 0, 0), compare=False)


@record(kw_only=True)
class Levels(Record):
    """Where the qualitative risk levels start, as fractions of the threshold."""

    medium_from: Setting = field(
        metadata=doc("Level medium from this fraction of the threshold (low below it).")
    )
    span: Span = field(default=Span("", 0, 0), compare=False)


@record(kw_only=True)
class RiskModel(Record):
    """A whole model file."""

    id: str = field(metadata=doc("Model id, shown in reports."))
    version: str = field(metadata=doc("Model version."))
    status: str = field(metadata=doc("What the values are: tool design, not law."))
    description: str = field(metadata=doc("What the model computes and how."))
    period_years: Period = field(metadata=doc("Assessment period T."))
    threshold: Setting = field(metadata=doc("Accepted probability over the period."))
    levels: Levels = field(metadata=doc("Cut-offs of the qualitative levels."))
    clear_text: ClearText = field(metadata=doc("The clear-text factor by flow state."))
    bases: dict[str, Basis] = field(metadata=doc("Factors per knowledge-base law id."))
    unlisted_basis: Basis = field(
        metadata=doc(
            "Factors for a law the model does not list, or a non-adequate country "
            "without any law in the knowledge base."
        )
    )
    path: str = field(default="", compare=False)
    sha256: str = field(default="", compare=False)
    locations: Mapping[str, Span] = field(default_factory=dict, compare=False, repr=False)

    def basis(self, law_id: str) -> Basis:
        return self.bases.get(law_id, self.unlisted_basis)


def load_model(path: Path | None = None, *, law_ids: Iterable[str] = ()) -> RiskModel:
    """Read and validate a model file (the bundled one when `path` is None). Laws the model
    lists must be knowledge-base ids when `law_ids` is given. The bundled model comes from the
    parse cache when neither its bytes nor the law ids changed (a user's file is always read)."""
    if path is not None:
        return parse_model(path, law_ids=law_ids)
    from residency_audit import cache

    ids = sorted(law_ids)
    contents = [(DEFAULT_DISPLAY, DEFAULT_PATH.read_bytes()), ("law ids", "\0".join(ids).encode())]
    return cache.cached(
        "risk-model",
        contents,
        lambda: parse_model(None, law_ids=ids),
        lambda v: isinstance(v, RiskModel),
    )


def parse_model(path: Path | None, *, law_ids: Iterable[str] = ()) -> RiskModel:
    """`load_model` without the cache."""
    display = DEFAULT_DISPLAY if path is None else str(path)
    try:
        document = load_document(path or DEFAULT_PATH, display)
    except InputError as exc:  # unreadable file or YAML syntax: same message, risk-model class
        raise RiskModelError(exc.diagnostics) from None
    if document.root is None:
        raise RiskModelError.at(Span(display, 1, 1), "empty risk model file")
    converter = Converter(display)
    model = converter.mapping(document.root, RiskModel, "")
    if model is INVALID:
        raise RiskModelError(sorted(converter.diagnostics))
    locations = {**converter.locations, **_key_spans(document.root, "bases", display)}
    problems = sorted(check_model(model, locations, set(law_ids)))
    if problems:
        raise RiskModelError(problems)
    return RiskModel(
        **{
            f.name: getattr(model, f.name)
            for f in fields(RiskModel)
            if f.name not in ("path", "sha256", "locations")
        },
        path=display,
        sha256=hashlib.sha256(document.raw).hexdigest(),
        locations=converter.locations,
    )


def _key_spans(root: Node, section: str, display: str) -> dict[str, Span]:
    """Where each key of a top-level mapping is written (`bases.us-fisa-702` → its key), so an
    unknown law id is reported on the line that names it."""
    if not isinstance(root, MappingNode):
        return {}
    for key, value in root.value:
        if isinstance(key, ScalarNode) and key.value == section and isinstance(value, MappingNode):
            return {
                f"{section}.{k.value}": span_of(k, display)
                for k, _ in value.value
                if isinstance(k, ScalarNode)
            }
    return {}


def check_model(
    model: RiskModel, at: Mapping[str, Span], law_ids: set[str]
) -> Iterator[Diagnostic]:
    """Ranges and references the format cannot express: 0 <= low <= value <= high <= 1, https
    sources, known law ids, a period of at least one year and a threshold strictly in (0, 1)."""
    root = Span(model.path or "", 1, 1)
    estimates: list[tuple[str, Estimate]] = [
        (f"clear_text.{name}", getattr(model.clear_text, name))
        for name in ("reachable", "unreachable", "unknown")
    ]
    for law_id, basis in [*model.bases.items(), ("unlisted_basis", model.unlisted_basis)]:
        prefix = "unlisted_basis" if law_id == "unlisted_basis" else f"bases.{law_id}"
        if law_ids and law_id != "unlisted_basis" and law_id not in law_ids:
            yield Diagnostic(
                at.get(prefix, root),
                f"{prefix}: {law_id!r} is not a knowledge-base law id (see kb/laws.yaml)",
            )
        estimates += [(f"{prefix}.{f.value}", basis.factor(f)) for f in BASIS_FACTORS]
    for where, e in estimates:
        yield from check_band(e.low, e.value, e.high, at.get(where, e.span), where)
        yield from check_source(e.source, at.get(f"{where}.source", e.span), where)
    settings = (("threshold", model.threshold), ("levels.medium_from", model.levels.medium_from))
    for where, s in settings:
        if not 0 < s.value < 1:
            yield Diagnostic(
                at.get(f"{where}.value", s.span),
                f"{where}: {s.value} must be strictly between 0 and 1",
            )
        yield from check_source(s.source, at.get(f"{where}.source", s.span), where)
    if model.period_years.value < 1:
        yield Diagnostic(at.get("period_years.value", root), "period_years: at least 1 year")
    yield from check_source(
        model.period_years.source, at.get("period_years.source", root), "period_years"
    )


def check_band(
    low: float, value: float, high: float, span: Span, where: str
) -> Iterator[Diagnostic]:
    if not 0 <= low <= value <= high <= 1:
        yield Diagnostic(
            span,
            f"{where}: need 0 <= low <= value <= high <= 1, got low {low}, "
            f"value {value}, high {high}",
        )


def check_source(source: str, span: Span, where: str) -> Iterator[Diagnostic]:
    if not source.startswith("https://"):
        yield Diagnostic(span, f"{where}: source must be an https:// URL, got {source!r}")

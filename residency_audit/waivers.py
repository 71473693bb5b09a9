"""Waivers (`--waivers FILE`): accepted risks, each with a justification, an approver and an expiry.

The file is read with the same located-YAML machinery as deployments, so a mistake in it is an
input error at path:line:col (exit 2), never a waiver silently ignored:

```yaml
waivers:
  - rule: GDPR-XFER-01
    target: {deployment: clinique-exemple-records, component: records-db}   # component optional
    justification: Transfer impact assessment of 2026-03-02 accepted by counsel
    approved_by: dpo@example.org
    expires: 2027-06-30                      # last day it applies, compared with the as-of date
    evidence: https://intranet.example.org/tia/2026-03-02   # optional
```

A waiver in force turns the findings it covers into `waived` ones (still shown everywhere, not
counted toward the exit code). An expired waiver covers nothing; the rules of kind `waiver`
(`rules/waivers/`) turn it into a finding, so the lapse is traceable like any other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import field
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from residency_audit.engine.evaluate import judge
from residency_audit.engine.rules import Rule
from residency_audit.engine.subjects import Subject
from residency_audit.errors import InputError
from residency_audit.format.convert import INVALID, Converter, suggestion
from residency_audit.kb import KnowledgeBase
from residency_audit.loader import diagnostic, load_document
from residency_audit.model import Diagnostic, Fact, Finding, InputFile, Span, Status, Waiver, doc
from residency_audit.records import Record, record


@record
class WaiverFile(Record):
    waivers: tuple[Waiver, ...] = field(metadata=doc("Accepted risks, each with an expiry date."))


@record
class LoadedWaivers(Record):
    waivers: tuple[Waiver, ...]
    input: InputFile
    locations: Mapping[str, Span]
    """Where each value sits, by YAML path (`waivers[0].expires`), for the facts of findings."""


def load_waivers(path: Path, *, known_rules: Collection[str]) -> LoadedWaivers:
    """Read and check a waiver file; every problem in it is raised at once."""
    display = str(path)
    document = load_document(path, display)
    if document.root is None:
        raise InputError.at(Span(display, 1, 1), "empty waiver file; expected a `waivers:` list")
    converter = Converter(display, single_line=True)  # a waiver's text goes on report lines
    value = converter.mapping(document.root, WaiverFile, "")
    # rule ids are checked on the nodes, so a typo is reported with the file's other problems
    problems = [*converter.diagnostics, *_unknown_rules(document.root, known_rules, display)]
    if problems or value is INVALID:
        raise InputError(sorted(problems))
    digest = hashlib.sha256(document.raw).hexdigest()
    return LoadedWaivers(
        value.waivers, InputFile(display, digest, None, role="waivers"), converter.locations
    )


def _unknown_rules(root: Node, known: Collection[str], display: str) -> Iterable[Diagnostic]:
    waivers = _value(root, "waivers")
    for item in waivers.value if isinstance(waivers, SequenceNode) else ():
        rule = _value(item, "rule")
        if isinstance(rule, ScalarNode) and rule.value not in known:
            upper = rule.value.upper()
            more = (
                f"; did you mean {upper!r}?"
                if upper in known
                else suggestion(rule.value, known) or "; see `residency-audit rules list`"
            )
            yield diagnostic(rule, display, f"waiver for unknown rule {rule.value!r}{more}")


def _value(node: Node, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key), None)


def in_force(waiver: Waiver, as_of: dt.date) -> bool:
    """The expiry day itself is covered (WAIVER-EXP-01 says the same in rule form)."""
    return waiver.expires >= as_of


def waive(findings: Iterable[Finding], loaded: LoadedWaivers, as_of: dt.date) -> list[Finding]:
    """Mark the findings an unexpired waiver covers `waived` (one file's findings at a time)."""
    out: list[Finding] = []
    for finding in findings:
        covering = [w for w in loaded.waivers if w.covers(finding)]
        active = next((w for w in covering if in_force(w, as_of)), None)
        if active is not None:
            finding = dataclasses.replace(finding, status=Status.WAIVED, waiver=active)
        elif covering:  # keep the lapsed waiver visible next to the finding it no longer covers
            finding = dataclasses.replace(finding, waiver=covering[0])
        out.append(finding)
    return out


class Matches:
    """What the run's findings were: which waivers covered one, and the deployments and
    components they were about, so a waiver that matched nothing can be told apart from one
    for a deployment this run does not audit (a waiver file shared by many)."""

    def __init__(self) -> None:
        self.covering: set[int] = set()
        self.targets: dict[str, set[str]] = {}

    def saw(self, findings: Iterable[Finding]) -> None:
        for f in findings:
            components = self.targets.setdefault(f.deployment, set())
            if f.component:
                components.add(f.component)
            if f.waiver is not None:
                self.covering.add(id(f.waiver))

    def facts(self, waiver: Waiver, at: str) -> dict[str, Fact]:
        """`waiver.in_run` (its deployment, or one it is a likely typo of, was audited) and
        `waiver.matched`, with a hint naming the deployment or component meant."""
        origin = "derived: the findings of this run"
        target = waiver.target
        hint = ""
        in_run = target.deployment in self.targets
        if not in_run:
            hint = suggestion(target.deployment, self.targets)
            in_run = bool(hint)
        elif target.component is not None:
            hint = suggestion(target.component, self.targets[target.deployment])
            if target.component not in self.targets[target.deployment] and not hint:
                hint = f"; {target.deployment} has no finding on a component of that name"
        return {
            "waiver.in_run": Fact("waiver.in_run", in_run, origin),
            "waiver.matched": Fact("waiver.matched", id(waiver) in self.covering, origin),
            "waiver.target_hint": Fact("waiver.target_hint", hint, at),
        }


def lapses(
    loaded: LoadedWaivers,
    rules: Iterable[Rule],
    *,
    kb: KnowledgeBase,
    as_of: dt.date,
    matches: Matches | None = None,
) -> list[Finding]:
    """The findings of the waiver rules (an expired waiver, one that matched nothing...)."""
    out: list[Finding] = []
    waiver_rules = [r for r in rules if "waiver" in r.applies_to and r.in_effect(as_of)]
    for i, waiver in enumerate(loaded.waivers):
        subject = _subject(waiver, i, loaded.locations)
        if matches is not None:
            subject.facts.update(matches.facts(waiver, str(subject.span)))
        for rule in waiver_rules:
            lapse = judge(rule, subject, kb=kb, as_of=as_of, deployment=waiver.target.deployment)
            if lapse is not None:
                out.append(
                    dataclasses.replace(lapse, component=waiver.target.component, waiver=waiver)
                )
    return out


def _subject(waiver: Waiver, index: int, locations: Mapping[str, Span]) -> Subject:
    def at(key: str) -> str:
        return str(locations.get(f"waivers[{index}].{key}", waiver.span))

    target = waiver.target.deployment + (
        f"/{waiver.target.component}" if waiver.target.component else ""
    )
    facts = {
        "waiver.rule": Fact("waiver.rule", waiver.rule, at("rule")),
        "waiver.target": Fact("waiver.target", target, at("target")),
        "waiver.approved_by": Fact("waiver.approved_by", waiver.approved_by, at("approved_by")),
        "waiver.expires": Fact("waiver.expires", waiver.expires, at("expires")),
    }
    return Subject(
        "waiver",
        f"waiver of {waiver.rule} for {target}",
        waiver.target.component,
        waiver.span,
        facts,
    )

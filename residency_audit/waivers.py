"""Waivers (`--waivers FILE`): accepted risks, each with a justification, an approver and an expiry.

The file is read with the same located-YAML machinery as deployments, so a mistake in it is an
input error at path:line:col (exit 2), never a waiver silently ignored:

```yaml
waivers:
  - rule: GDPR-XFER-01
    target:
      deployment: clinique-exemple-records
      component: records-db                  # optional: every component if left out
      subject: place:records-db/snapshot-copy@us-east-1   # optional: one subject (a copy)
      countries: [US]                        # optional: only findings wholly in these countries
    justification: Transfer impact assessment of 2026-03-02 accepted by counsel
    approved_by: dpo@example.org
    expires: 2027-06-30                      # last day it applies, compared with the as-of date
    evidence: https://intranet.example.org/tia/2026-03-02   # optional
```

`evidence` is an http(s) address, which the reports link, or words (`ticket SEC-123`); a URL of
another scheme (`javascript:`, `file:`, `mailto:`) is an input error.

A waiver in force turns the findings it covers into `waived` ones (still shown everywhere, not
counted toward the exit code). An expired waiver covers nothing; the rules of kind `waiver`
(`rules/waivers/`) turn it into a finding, so the lapse is traceable like any other.

`target.countries` narrows a waiver to the risk that was actually assessed. A finding is covered
only if it names a country and every country it names is listed. The countries a finding names
are the values of the facts its rule read that are in `model.COUNTRY_FACTS`, every country that
drives it:

- where its data are stored, kept, processed, sent, crossed or reached from (`location.country`,
  `transfer.country`, `access.country`, `transit.country`...);
- where its keys are: the key's country, the countries of its replicas (`key.replica_countries`)
  the HSM holding it (`key.hsm.jurisdictions`: the HSM's declared jurisdiction and its
  operator's seat and ultimate parent's country) and its holder (`key.holder_jurisdictions`);
- whose law reaches the data: the seat of each party it names and that party's ultimate parent's
  country, and the provider's parent's (`provider.parent.country`). A jurisdiction or exposure
  finding (JUR-EXPO-01, say) thus names the country whose law reaches the data: a waiver of US-law
  exposure lists `US`, and covers nothing once the data move to a provider with a Chinese parent.

Not the controller's country (the exporter). `ZZ`, a country nobody knows (the seat of an HSM
operator that is not a declared party, an unknown replica region), is named too, and no waiver may
list it. So the waiver above covers the US backup copy's GDPR-XFER-01 finding, but not that of a
new copy of records-db in China, nor a finding naming no country: those stay open and fail the
gate. More countries named means fewer findings covered (fail closed). Codes are checked against
the knowledge base (an unknown one is an error with the code it probably meant) and the list may
not be empty. Without `countries` a waiver covers every finding of its rule on its target, as
before.

`target.subject` narrows a waiver to one subject of the deployment: a party, a copy, a transfer,
an access path. Parties, transfers and access paths belong to no component, so without it a
waiver of GDPR-28-01 for one sub-processor covers every party. A subject is named as findings
name it (the `subject` of the JSON result, the JUnit case name): its kind, a colon and the
deployment's own ids, never a line or a label (`engine.subjects.subject_id`):

- `party:host-a`, `access:vendor-support`, `certification:host-a/hds@2024-03-01` (by issue
  date, when the certificate declares one);
- `component:records-db`; `place:records-db` (its primary store),
  `place:records-db/snapshot-copy@us-east-1` and `place:records-db/log@eu-west-3` (a copy or
  log sink by its kind and region, else country);
- `transfer:support-co/US/scc-2021` (a declared transfer to support-co under the SCCs, for its
  US destination), `transfer:support-co>sub-co/IN/bcr` (support-co's onward transfer to sub-co
  in India);
- `transit:records-db/CH`, `flow:records-db/backup@us-east-1`, `flow:access:vendor-support`,
  `endpoint:web/api.example.org`.

It is matched exactly (`place:records-db` is not its copies), with `component` and `countries`
when given too. A subject that is not `kind:id` with a known kind is an input error; one that
names no subject with a finding of the deployment is WAIVER-MATCH-01, with the nearest subject
that has one; one whose subject has findings, but none of the waived rule (or none on the
waiver's component), is WAIVER-MATCH-01 naming the subjects that have findings of that rule.

A subject numbered `#2`, `#3` is refused at load (exit 2): the number is the subject's rank
among entries alike in everything its id is made of (two transfers to one recipient and
country under one tool), so it is bound to the order of the deployment's entries, and a waiver
naming it would silently move to another finding when they are reordered. Tell the entries
apart (their ids are made of what distinguishes them), or waive without `subject`. A subject
naming a copy or log sink by position (`place:records-db/copies[0]`, as findings did before)
is refused too: positions move when a copy is added before the one assessed.

A waiver that covers no finding of an audited deployment is WAIVER-MATCH-01, narrowing included:
when findings of its rule on its target exist but fall outside its countries, the hint names the
countries they are in (or says that they name none).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import field
from pathlib import Path

from residency_audit.engine.evaluate import judge, unique_id
from residency_audit.engine.rules import Rule
from residency_audit.engine.subjects import Subject
from residency_audit.errors import InputError
from residency_audit.format.budget import MAX_ERRORS
from residency_audit.format.convert import INVALID, Converter
from residency_audit.format.text import suggestion
from residency_audit.kb import KnowledgeBase, assume
from residency_audit.loader import load_document
from residency_audit.model import (
    Fact,
    Finding,
    InputFile,
    Span,
    Status,
    Waiver,
    doc,
    named_countries,
)
from residency_audit.records import Record, record
from residency_audit.waiver_checks import node_problems, numbered_base


@record
class WaiverFile(Record):
    waivers: tuple[Waiver, ...] = field(metadata=doc("Accepted risks, each with an expiry date."))


@record
class LoadedWaivers(Record):
    waivers: tuple[Waiver, ...]
    input: InputFile
    locations: Mapping[str, Span]
    """Where each value sits, by YAML path (`waivers[0].expires`), for the facts of findings."""
    outside: dict[int, set[str]] = field(default_factory=dict)
    """Filled by `waive`: for each waiver narrowed by countries (by index), the countries named
    by the findings of its rule and target that fell outside it ("" for one naming none), so
    that WAIVER-MATCH-01 can say what its target holds instead."""
    covered: set[int] = field(default_factory=set)
    """Filled by `waive`: the waivers (by index) that covered a finding, whether or not another
    waiver covering it too was the one applied."""
    ambiguous: dict[int, str] = field(default_factory=dict)
    """Filled by `waive`: the waivers (by index) whose subject is the first of several alike
    (`S` when `S#2` exists), with the numbered one: which entry is first depends on the
    order of the file, so such a waiver covers nothing (WAIVER-MATCH-01 says why)."""


def load_waivers(
    path: Path, *, known_rules: Collection[str], kb: KnowledgeBase | None = None
) -> LoadedWaivers:
    """Read and check a waiver file; every problem in it is raised at once. Country codes are
    checked against `kb` (the bundled knowledge base if not given)."""
    display = str(path)
    document = load_document(path, display)
    if document.root is None:
        raise InputError.at(Span(display, 1, 1), "empty waiver file; expected a `waivers:` list")
    converter = Converter(display, single_line=True)  # a waiver's text goes on report lines
    value = converter.mapping(document.root, WaiverFile, "")
    problems = list(converter.diagnostics)
    if not converter.exhausted:
        # rule ids and countries are checked on the nodes, so a typo is reported with the
        # file's other problems; under the converter's cap on errors, which a file of
        # thousands of typos would otherwise print in full
        problems += node_problems(
            document.root, known_rules, kb, display, room=MAX_ERRORS - len(problems)
        )
    if problems or value is INVALID:
        raise InputError(sorted(problems))
    digest = hashlib.sha256(document.raw).hexdigest()
    return LoadedWaivers(
        value.waivers, InputFile(display, digest, None, role="waivers"), converter.locations
    )


def in_force(waiver: Waiver, as_of: dt.date) -> bool:
    """The expiry day itself is covered (WAIVER-EXP-01 says the same in rule form)."""
    return waiver.expires >= as_of


def waive(findings: Iterable[Finding], loaded: LoadedWaivers, as_of: dt.date) -> list[Finding]:
    """Mark the findings an unexpired waiver covers `waived` (one file's findings at a time).
    A finding a waiver aims at but whose countries fall outside its narrowing stays open; what
    it named is kept in `loaded.outside` for WAIVER-MATCH-01."""
    findings = list(findings)
    alike = {  # subject -> a numbered subject alike, within this file's findings
        base: f.subject
        for f in findings
        if f.subject is not None and (base := numbered_base(f.subject)) is not None
    }
    out: list[Finding] = []
    for finding in findings:
        covering: list[Waiver] = []
        for i, w in enumerate(loaded.waivers):
            if not w.aims_at(finding):
                continue
            if w.target.subject is not None and w.target.subject in alike:
                loaded.ambiguous[i] = alike[w.target.subject]
                continue
            if w.target.admits(finding):
                covering.append(w)
                loaded.covered.add(i)
            else:
                loaded.outside.setdefault(i, set()).update(named_countries(finding) or {""})
        active = next((w for w in covering if in_force(w, as_of)), None)
        if active is not None:
            finding = dataclasses.replace(finding, status=Status.WAIVED, waiver=active)
            # a waiver records when it ends, not when it was approved: assumed in place by then
            assume(
                f"the waiver of {active.rule} for {active.target} (approved by "
                f"{active.approved_by}) is in place"
            )
        elif covering:  # keep the lapsed waiver visible next to the finding it no longer covers
            finding = dataclasses.replace(finding, waiver=covering[0])
        out.append(finding)
    return out


class Matches:
    """The deployments, components and subjects the run's findings were about, so a waiver
    that matched nothing can be told apart from one for a deployment this run does not audit (a
    waiver file shared by many). Which waivers covered a finding, `waive` records in
    `LoadedWaivers`."""

    def __init__(self) -> None:
        self.targets: dict[str, set[str]] = {}
        self.subjects: dict[str, set[str]] = {}
        self.ruled: dict[tuple[str, str], dict[str, str | None]] = {}
        """(deployment, rule) → the subjects with a finding of that rule, and their component."""

    def saw(self, findings: Iterable[Finding]) -> None:
        for f in findings:
            components = self.targets.setdefault(f.deployment, set())
            if f.component:
                components.add(f.component)
            if f.subject:
                self.subjects.setdefault(f.deployment, set()).add(f.subject)
                self.ruled.setdefault((f.deployment, f.rule_id), {})[f.subject] = f.component

    def facts(
        self,
        waiver: Waiver,
        at: str,
        *,
        covered: bool,
        outside: Collection[str] = (),
        alike: str | None = None,
    ) -> dict[str, Fact]:
        """`waiver.in_run` (its deployment, or one it is a likely typo of, was audited) and
        `waiver.matched`, with a hint naming the deployment, component or subject meant, or,
        for a waiver narrowed by countries, the countries its rule's findings on its target are
        in (`outside`: those `waive` left out of it)."""
        origin = "derived: the findings of this run"
        target = waiver.target
        hint = ""
        in_run = target.deployment in self.targets
        if not in_run:
            hint = suggestion(target.deployment, self.targets)
            in_run = bool(hint)
        elif target.component is not None:
            components = self.targets[target.deployment]
            if target.component not in components:  # else its finding is gone: no name to fix
                hint = suggestion(target.component, components) or (
                    f"; {target.deployment} has no finding on a component of that name"
                )
        if in_run and not hint and target.subject is not None:
            subjects = self.subjects.get(target.deployment, set())
            if target.subject not in subjects:  # else its finding is gone: no name to fix
                ruled = self.ruled.get((target.deployment, waiver.rule), {})
                hint = (
                    _placed(target.subject, subjects)
                    or _suggest(target.subject, ruled)
                    or _suggest(target.subject, subjects)
                    or f"; {target.deployment} has no finding on subject {target.subject}"
                )
        matched = covered
        if not matched and alike is not None:
            hint = (
                f"; {target.subject} is the first of several subjects alike ({alike} too), so "
                "which one it names depends on the order of the file: tell them apart (another "
                "tool, region or issue date) or leave `subject` out"
            )
        if in_run and not matched and not hint and target.subject is not None:
            hint = self._rule_hint(waiver)
        if not matched and not hint and outside:
            hint = _outside_hint(waiver, outside)
        return {
            "waiver.in_run": Fact("waiver.in_run", in_run, origin),
            "waiver.matched": Fact("waiver.matched", matched, origin),
            "waiver.target_hint": Fact("waiver.target_hint", hint, at),
        }

    def _rule_hint(self, waiver: Waiver) -> str:
        """Why a waiver whose subject has findings covers none: they are of other rules, or
        on no component it names. Names the subjects that have findings of its rule."""
        target, rule = waiver.target, waiver.rule
        ruled = self.ruled.get((target.deployment, rule), {})
        if target.subject in ruled:
            component = ruled[target.subject]
            if target.component is None or component == target.component:
                return ""  # aimed at: its countries are the matter (`_outside_hint`)
            on = f"component {component}" if component else "no component"
            return f"; {target.subject} is on {on}, not {target.component}: leave `component` out"
        if not ruled:
            return f"; {target.deployment} has no {rule} finding"
        names = sorted(ruled)
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        return (
            f"; {target.subject} has no {rule} finding; the {rule} findings of "
            f"{target.deployment} are on {', '.join(names[:5])}{more}"
        )


_SUGGEST_FROM = 2000
"""Subjects compared with a misspelt one at most: a fuzzy match costs about 10 us each, and a
waiver file of hundreds of unmatched subjects against a deployment of thousands of copies took
a minute. Beyond this, the hint says only that the subject has no finding."""


def _placed(name: str, names: Collection[str]) -> str:
    """The hint for a subject named as copy flows were before they were named by where they
    are (`flow:db/backup`, meaning the first backup in the file): every subject it may have
    meant, not the nearest one, which could be another copy than the one assessed."""
    meant = sorted(n for n in names if n.startswith(f"{name}@"))
    if not meant:
        return ""
    return (
        f"; {name} names no subject: copies are named by where they are "
        f"({', '.join(meant)}): name the one whose risk was assessed"
    )


def _suggest(name: str, names: Collection[str]) -> str:
    return suggestion(name, names) if len(names) <= _SUGGEST_FROM else ""


def _outside_hint(waiver: Waiver, outside: Collection[str]) -> str:
    """What the findings a narrowed waiver aimed at named instead of its countries."""
    named = sorted(c for c in outside if c)
    found = f"; the {waiver.rule} findings on that target"
    if not named:
        return f"{found} name no country, so no list of countries covers them: leave it out"
    also = " (others name no country)" if "" in outside else ""
    return f"{found} are in {', '.join(named)}{also}: list a country only if its risk was assessed"


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
    named: dict[str, dict[str, int]] = {}  # deployment -> subject ids given so far
    for i, waiver in enumerate(loaded.waivers):
        ident = unique_id(waiver_id(waiver), named.setdefault(waiver.target.deployment, {}))
        subject = _subject(waiver, i, loaded.locations, ident)
        if matches is not None:
            outside = loaded.outside.get(i, ())
            subject.facts.update(
                matches.facts(
                    waiver,
                    str(subject.span),
                    covered=i in loaded.covered,
                    outside=outside,
                    alike=loaded.ambiguous.get(i),
                )
            )
        for rule in waiver_rules:
            lapse = judge(rule, subject, kb=kb, as_of=as_of, deployment=waiver.target.deployment)
            if lapse is not None:
                out.append(
                    dataclasses.replace(lapse, component=waiver.target.component, waiver=waiver)
                )
    return out


def waiver_id(waiver: Waiver) -> str:
    """What the findings about a waiver (WAIVER-EXP-01...) name it by: what it covers, never its
    position in the file, which moves when a waiver is added above it (and with it the
    finding's baseline entry and SARIF fingerprint). Its rule, then what narrows its target
    (component, subject, countries sorted in brackets), then its expiry, so that a renewal
    kept beside the waiver it replaces is told apart however they are ordered:

    - `waiver:JUR-EXPO-01/records-db@2026-01-01`
    - `waiver:GDPR-XFER-01/place:records-db/snapshot-copy@us-east-1/[US]@2027-06-30`

    The deployment is the finding's own. Two waivers alike in all of it are numbered (`#2`) in
    file order by `lapses`, as subjects of deployments are."""
    target = waiver.target
    parts = [waiver.rule]
    parts += [part for part in (target.component, target.subject) if part]
    if target.countries:
        # bracketed: no component id holds `[`, so a component `US` is not countries [US]
        parts.append("[" + "+".join(sorted(set(target.countries))) + "]")
    return f"waiver:{'/'.join(parts)}@{waiver.expires.isoformat()}"


def _subject(waiver: Waiver, index: int, locations: Mapping[str, Span], ident: str) -> Subject:
    def at(key: str) -> str:
        return str(locations.get(f"waivers[{index}].{key}", waiver.span))

    target = str(waiver.target)
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
        ident,
    )

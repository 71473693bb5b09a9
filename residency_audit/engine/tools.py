"""Is a declared GDPR Chapter V transfer tool valid on the as-of date?

Validity periods come from the knowledge base (adequacy decisions, SCC decisions), never from
code: Privacy Shield stops on 2020-07-16, the DPF starts on 2023-07-10, the 2010 SCCs take no
new contract from 2021-09-27 and end after 2022-12-27 because the data say so. In between, an
earlier contract stands only while the processing it covers is unchanged (2021/914 Art. 4(4)).
A tool whose declared conclusion date is after the as-of date was not in place on it; one
concluded before its clauses applied (2010/87 from 2010-05-15) never rested on them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from residency_audit.engine.operators import Context, as_date, period_fact
from residency_audit.kb import assume, fact_from
from residency_audit.model import Fact

_INSTRUMENT = {"scc-2021": "eu-scc-2021", "scc-2010": "eu-scc-2010", "scc-2001": "eu-scc-2001"}
_LISTS = {"dpf": "dpf-list", "privacy-shield": "privacy-shield-list"}
"""Restricted adequacy decisions a tool names: only organisations on the list are covered."""


def assess_tools(
    tools: Any, ctx: Context, *, allow_derogations: bool
) -> tuple[bool | None, list[Fact]]:
    """True when at least one tool is valid, None (cannot be verified) when none is but one may
    be, False otherwise; facts say why each tool is or is not. When None, a fact with no value
    names each declaration the deployment lacks (`undeclared`)."""
    facts: list[Fact] = []
    verdicts: list[bool | None] = []
    lacking: list[Fact] = []
    for tool in tools or ():
        ok, said = assess_tool(tool, ctx, allow_derogations=allow_derogations)
        facts.extend(said)
        verdicts.append(ok)
        if ok is None:
            lacking.extend(undeclared(tool, key) for key in _lacking(tool, ctx))
        if _cutoff(tool, ctx) is not None:  # what the verdict turned on, where it was declared
            facts.extend(
                Fact(f"transfer.{key}", tool[key], tool["origin"])
                for key in ("concluded", "processing_unchanged")
                if tool.get(key) is not None
            )
    if True in verdicts:
        return True, facts
    if None in verdicts:
        return None, facts + lacking
    return False, facts


def undeclared(tool: dict[str, Any], key: str) -> Fact:
    """A field of a declared transfer tool that its validity turns on and the deployment leaves
    out, as a fact with no value at the tool's declaration. Named for what the user adds (the
    field, the tool and its recipient), not for the derived `transfer.tools` the rule reads."""
    to = f" to {tool['recipient']}" if tool.get("recipient") else ""
    return Fact(f"{key} of the {tool['tool']} transfer{to}", None, tool["origin"])


def _lacking(tool: dict[str, Any], ctx: Context) -> list[str]:
    """The fields of `tool` whose absence leaves its validity undecided on the as-of date: the
    conclusion date and unchanged processing of a contract on clauses repealed with a
    transition, the approval of binding corporate rules (as `assess_tool` decides)."""
    if tool["tool"] == "bcr":
        return [] if tool.get("approval") else ["approval"]
    if _cutoff(tool, ctx) is None:
        return []
    if tool.get("concluded") is None:
        return ["concluded"]
    return ["processing_unchanged"] if tool.get("processing_unchanged") is None else []


def assess_tool(
    tool: dict[str, Any], ctx: Context, *, allow_derogations: bool
) -> tuple[bool | None, list[Fact]]:
    """Whether one declared tool is valid on the as-of date (None: cannot be verified), and the
    facts its verdict turns on: the tool as declared or the knowledge-base entry that makes it
    valid, and, when it is invalid for want of a decision in force, the decisions that lapsed
    or did not apply yet."""
    kb, day = ctx.kb, ctx.as_of
    kind = tool["tool"]
    path = f"transfer.tool.{kind}"
    origin = tool["origin"]
    concluded = as_date(tool.get("concluded"), ctx)
    if concluded is not None and concluded > day:  # a contract of 2021 covers nothing in 2019
        return False, [Fact(path, f"invalid on {day}: concluded later, on {concluded}", origin)]
    if kind in ("adequacy", *_LISTS):
        return _adequacy(tool, ctx)
    if kind in _INSTRUMENT:
        instrument = kb.instrument(_INSTRUMENT[kind])
        if instrument is None:
            return False, [Fact(path, f"unknown instrument {_INSTRUMENT[kind]}", origin)]
        ok: bool | None = instrument.holds_on(day)
        state = "valid" if ok else f"invalid on {day}"
        start = instrument.starts()
        declared: list[Fact] = []
        if ok and concluded is not None and start is not None and concluded < start:
            # Concluded on clauses not yet adopted: it never rested on them.
            ok, state = False, f"invalid: concluded on {concluded}, before it applied ({start})"
            declared.append(Fact("transfer.concluded", tool["concluded"], origin))
        cutoff = _cutoff(tool, ctx)
        if ok and cutoff is not None:
            # Repealed with a transition: only contracts concluded before the cutoff ride it.
            if concluded is None:
                ok, state = None, f"valid only for a contract concluded before {cutoff}, and "
                state += "the conclusion date is not declared"
            elif concluded >= cutoff:
                ok, state = False, f"invalid: concluded on {concluded}, on or after {cutoff}"
            else:
                ok, state = _unchanged(tool.get("processing_unchanged"), concluded, cutoff)
                if ok:
                    state = f"valid until {instrument.valid_until} (exclusive) for a contract "
                    state += f"concluded before {cutoff} (on {concluded}), processing unchanged"
        return ok, [
            fact_from(
                instrument,
                path,
                f"{state}: {instrument.title}",
                f"kb:instruments.yaml#{instrument.id}",
            ),
            *declared,
        ]
    if kind == "bcr":
        # Binding corporate rules bind only once approved (Art. 47(1)); fail closed without it.
        if tool.get("approval"):
            approval = f"binding corporate rules, approval {tool['approval']}"
            # the approval is free text with no date it took effect: assumed by the audit date
            who = tool.get("recipient") or "the recipient"
            assume(f"the binding corporate rules of {who} are approved ({tool['approval']})")
            return True, [Fact(path, approval, origin)]
        return None, [Fact(path, "binding corporate rules with no approval reference", origin)]
    # Art. 49 derogations are for occasional transfers only (EDPB Guidelines 2/2018); hosting,
    # backups and routine support are systematic.
    if not allow_derogations:
        return False, [Fact(path, "invalid here: an Art. 45 or 46 basis is required", origin)]
    if tool.get("systematic", True):
        return False, [
            Fact(
                path,
                "invalid: Art. 49 derogations do not cover systematic "
                "transfers (hosting, backups, routine support)",
                origin,
            )
        ]
    ok = bool(tool.get("derogation"))
    return ok, [Fact(path, f"derogation {tool.get('derogation')}", origin)]


def _adequacy(tool: dict[str, Any], ctx: Context) -> tuple[bool, list[Fact]]:
    """An adequacy decision (Art. 45) for the recipient's country, or the restricted one a
    DPF or Privacy Shield tool names, covering the recipient on the as-of date. Invalid, the
    tool cites the decision it turned on: the one in force whose list the recipient is not
    declared on, else the one that lapsed or was not adopted yet (`kb.adequacy_around`)."""
    kb, day = ctx.kb, ctx.as_of
    kind, country, origin = tool["tool"], tool["country"], tool["origin"]
    path = f"transfer.tool.{kind}"
    wanted = _LISTS.get(kind)  # a DPF tool rests on the DPF only, never on the Privacy Shield
    in_force = [d for d in kb.adequacy(country, day) if wanted is None or d.scope_id == wanted]
    scopes = set(tool["adequacy_scopes"])
    for decision in in_force:
        if decision.scope == "general" or decision.scope_id in scopes:
            if decision.scope != "general":  # membership is declared with no date: assumed
                who = tool.get("recipient") or "the recipient"
                # "on the dpf-list list" read twice: the decision's title names the scope
                assume(
                    f"{who} is within the restricted scope of the {decision.title} decision "
                    f"(adequacy_scopes: {decision.scope_id})"
                )
            valid = f"valid: {decision.decision}"
            return True, [fact_from(decision, path, valid, f"kb:adequacy.yaml#{decision.id}")]
    if in_force:  # restricted decisions only, none naming the recipient's list
        listed = in_force[0]
        why = f"invalid: recipient not declared on the {listed.title} list ({listed.scope_id})"
        return False, [Fact(path, why, origin), period_fact(listed, day)]
    what = f"{wanted} adequacy decision" if wanted else "adequacy decision"
    why = f"invalid: no {what} for {country} in force on {day}"
    # The decisions that could have covered it: of its list; else general ones, and those of
    # the lists the recipient is declared on.
    around = [
        d
        for scope in ([wanted] if wanted else [None, *sorted(scopes)])
        for d in kb.adequacy_around(country, day, scope_id=scope)
    ]
    return False, [Fact(path, why, origin), *(period_fact(d, day) for d in around)]


def _unchanged(
    unchanged: bool | None, concluded: dt.date, cutoff: dt.date
) -> tuple[bool | None, str]:
    """A contract concluded before the cutoff rides the transition only while the processing
    it covers stays unchanged (2021/914 Art. 4(4)); a change needs the new clauses."""
    if unchanged is None:
        return None, (
            f"valid only if the processing operations of the contract of {concluded} stayed "
            "unchanged, which is not declared (processing_unchanged)"
        )
    if not unchanged:
        return False, (
            f"invalid: the processing operations changed since the contract of {concluded}; "
            f"from {cutoff} that needs the new clauses"
        )
    return True, ""


def _cutoff(tool: dict[str, Any], ctx: Context) -> dt.date | None:
    """The day from which no new contract could rely on the tool's instrument, when the audit
    date is on or after it (the contract's conclusion date then decides); else None."""
    instrument = ctx.kb.instrument(_INSTRUMENT.get(tool["tool"], ""))
    cutoff = None if instrument is None else instrument.new_contracts_until
    return cutoff if cutoff is not None and ctx.as_of >= cutoff else None

"""A rule whose `when` does not hold for a subject did not apply to it: the subject's check says
so apart from the rules it judged, so that no report shows the rule as passed there. A `when`
nobody can decide is a finding (cannot be verified), so that rule was judged."""

from __future__ import annotations

from residency_audit import kb
from residency_audit.engine.evaluate import judge_subjects
from residency_audit.engine.rules import Rule, parse_rule
from residency_audit.engine.subjects import Subject
from residency_audit.loader import compose
from residency_audit.model import Fact, Span
from tests.conftest import AS_OF, ROOT

HERE = Span("observed.yaml", 3, 3)


def share_rules() -> list[Rule]:
    """DRIFT-SHARE-01 (not public) and DRIFT-SHARE-02 (not shared with another account), as
    shipped: both judge every observation, each `when` picks the observations it is about."""
    rules = []
    for rule_id in ("DRIFT-SHARE-01", "DRIFT-SHARE-02"):
        path = ROOT / "rules" / "drift" / f"{rule_id}.yaml"
        rules.append(parse_rule(compose(path.read_text(), str(path)), str(path), "drift"))
    return rules


def observation(name: str, **values: object) -> Subject:
    facts = {f"observation.{k}": Fact(f"observation.{k}", v, str(HERE)) for k, v in values.items()}
    return Subject("observation", name, "s3-patients-eu", HERE, facts, id=f"observation:{name}")


def test_a_rule_whose_when_does_not_hold_is_not_among_the_rules_judged() -> None:
    public = observation("public", subject="shared-publicly", same_account=False)
    private = observation("private", subject="sharing", same_account=True)
    undecided = observation("undecided")  # what it observed is unknown: both `when`s unknown
    audit = judge_subjects(
        [public, private, undecided],
        share_rules(),
        kb=kb.default(),
        as_of=AS_OF,
        deployment="aws-123456789012",
    )
    checks = {c.subject: c for c in audit.checks}
    # public: not private (01 fails); whether it is shared with an account was not asked
    assert checks["observation:public"].rules == ("DRIFT-SHARE-01",)
    assert checks["observation:public"].not_applicable == ("DRIFT-SHARE-02",)
    # a store read and found private: both judged, both passed
    assert checks["observation:private"].rules == ("DRIFT-SHARE-01", "DRIFT-SHARE-02")
    assert checks["observation:private"].not_applicable == ()
    # unknown is not "does not apply": both judged, both cannot be verified
    assert checks["observation:undecided"].rules == ("DRIFT-SHARE-01", "DRIFT-SHARE-02")
    assert checks["observation:undecided"].not_applicable == ()
    found = sorted((f.subject or "", f.rule_id, f.unverifiable) for f in audit.findings)
    assert found == [
        ("observation:public", "DRIFT-SHARE-01", False),
        ("observation:undecided", "DRIFT-SHARE-01", True),
        ("observation:undecided", "DRIFT-SHARE-02", True),
    ]

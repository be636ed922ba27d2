"""The trace evaluator: same findings as the compiled plans, and the right parts blamed."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.strategies import TIMES, in_order
from hypothesis import given
from hypothesis import strategies as st

from dsl.parser import parse_pack
from engine import vocabulary as vocab
from engine.evaluator import evaluate
from engine.explain.trace import Check, combining, render, trace
from engine.validate import FactValidator
from tests.conftest import AT, compile_source
from engine.contract import contract_vocabulary

WORDS = contract_vocabulary()

# Every form of condition the language has, so that the property test below reaches the
# forms the built-in packs happen not to use.
EVERY_FORM = '''
topic channel_approver = [manager, communicator]
topic credential_custody = [central_storage, communicator]
topic snapshot_interval = yearly
topic allowed_likes = {allow: [own, municipality], deny: [commercial]}
topic break_time_use = breaks_only

rule r1 on like_page deny when page_category in allowed_likes.deny because "x"
rule r2 on like_page allow when page_category not in allowed_likes.deny
  and (page_category == own or page_category in [municipality, authority]) because "x"
rule r3 on like_page allow when not (page_category != other) because "x"
rule r4 on create_channel for each who in channel_approver
  require ok by who "{who} ok" done when who in approved_by
rule r5 on create_channel require creds "c"
  done when credential_holders contains all credential_custody
rule r6 on create_channel when credential_holders contains any [communicator, manager]
  require two "t" done when admin_count >= 2 and admin_count < 5
rule r7 on create_channel deny when account_type == private and not (informed contains manager)
  because "x"
rule r8 on create_channel allow when platform == "facebook" or platform is missing because "x"
rule r9 on audit_channel require snap "s"
  done when last_snapshot_on is set and months_since(last_snapshot_on) < snapshot_interval
rule r10 on audit_channel when days_since(last_snapshot_on) > 30 or major_change_planned
  require look "l" done when monitored_daily
rule r11 on audit_channel deny when last_snapshot_on >= 2025-06-01 and not listed_on_website
  because "x"
rule r12 on audit_channel allow when days_since_last_post <= 10 because "x"
rule r13 on private_use_at_work deny when break_time_use == breaks_only and not during_break
  because "x"
rule r14 on publish_post allow when image_source != unlicensed because "x"
rule r15 on publish_post require never "n"
rule r16 on delete_comment when content_category in [criticism, question]
  require keep "k" done when content_saved and (author_saved or registered)
'''

DATES = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2026, 12, 31))


def facts_for(action: vocab.Action) -> st.SearchStrategy[dict]:
    """Requests for ``action``: any subset of its facts, each with a valid value."""
    def value(fact: vocab.Fact) -> st.SearchStrategy:
        t = fact.type
        if t.kind == "bool":
            return st.booleans()
        if t.kind == "int":
            return st.integers(min_value=0, max_value=40)
        if t.kind == "date":
            return DATES.map(dt.date.isoformat)
        if t.kind == "string":
            return st.sampled_from(["facebook", "instagram", ""])
        if t.kind == "datetime":
            return TIMES
        if t.kind == "enum":
            return st.sampled_from(t.values)
        return st.lists(st.sampled_from(t.element.values), unique=True)

    required = {f.name: value(f) for f in action.facts if f.required}
    optional = {f.name: value(f) for f in action.facts if not f.required}
    times = [f.name for f in action.facts if f.type.kind == "datetime"]
    return st.fixed_dictionaries(required, optional=optional).map(
        lambda facts: in_order(facts, times))


def every_pack(engine):
    return list(engine.packs.values()) + [compile_source(EVERY_FORM)]


@pytest.mark.parametrize("action", sorted(WORDS.actions))
def test_trace_agrees_with_the_compiled_plans(engine, action):
    """For every pack and action, the trace yields the compiled plan's findings."""
    packs = every_pack(engine)
    validator = FactValidator(WORDS.actions[action])

    @given(facts=facts_for(WORDS.actions[action]), at=DATES)
    def agree(facts, at):
        normalised = validator.normalise(facts)
        for pack in packs:
            assert trace(pack, action, normalised, at).findings == \
                evaluate(pack, action, normalised, at), (pack.id, facts, at)

    agree()


def test_every_form_pack_uses_every_kind_of_condition():
    pack = compile_source(EVERY_FORM)
    kinds = set()

    def walk(e):
        kinds.add((type(e).__name__, getattr(e, "mode", None), getattr(e, "negated", None)))
        for child in ("items", "operand", "left", "right", "item", "collection", "other", "arg"):
            value = getattr(e, child, None)
            for sub in value if isinstance(value, tuple) else [value]:
                if sub is not None and not isinstance(sub, (str, bool)):
                    walk(sub)
    for rule in pack.ast.rules:
        for e in (rule.when, rule.done):
            if e is not None:
                walk(e)
    names = {k[0] for k in kinds}
    assert {"And", "Or", "Not", "Compare", "Membership", "Contains", "IsSet", "Call",
            "Field", "ListValue", "Constant", "Name"} <= names
    assert {("Contains", "one", None), ("Contains", "all", None), ("Contains", "any", None),
            ("IsSet", None, True), ("IsSet", None, False), ("Membership", None, True)} <= kinds


def _facts(action: str, **facts) -> dict:
    return FactValidator(WORDS.actions[action]).normalise(facts)


def test_a_failed_condition_names_the_part_that_failed_and_what_it_saw(engine):
    t = trace(engine.packs["norsjo"], "audit_channel", _facts("audit_channel"), AT)
    snapshot = next(r for r in t.rules if r.rule == "periodic-snapshot")
    assert snapshot.applies and snapshot.finding.kind == "unmet"
    assert snapshot.done.text == ("last_snapshot_on is set and months_since(last_snapshot_on) "
                                  "< snapshot_interval")
    failed = snapshot.done.failed()
    # both parts fail when there is no snapshot: the first is missing, the second compares
    # with a missing value
    assert [f.text for f in failed] == ["last_snapshot_on is set",
                                        "months_since(last_snapshot_on) < snapshot_interval"]
    assert failed[0].missing == ("last_snapshot_on",)
    assert [(s.name, s.value) for s in failed[1].seen] == [
        ("last_snapshot_on", None), ("months_since(last_snapshot_on)", None),
        ("snapshot_interval (months)", 12)]


def test_months_seen_for_a_dated_snapshot(engine):
    t = trace(engine.packs["tyreso"], "audit_channel",
              _facts("audit_channel", last_snapshot_on="2024-06-30"), AT)
    snapshot = next(r for r in t.rules if r.rule == "periodic-snapshot")
    (failed,) = snapshot.done.failed()
    assert dict((s.name, s.value) for s in failed.seen) == {
        "last_snapshot_on": "2024-06-30", "months_since(last_snapshot_on)": 6,
        "snapshot_interval (months)": 6}


def test_for_each_rules_are_traced_once_per_value(engine):
    t = trace(engine.packs["vara"], "create_channel",
              _facts("create_channel", account_type="organisation", approved_by=["manager"]), AT)
    approvals = [r for r in t.rules if r.rule == "new-channel-approved"]
    assert [r.bindings for r in approvals] == [(("approver", "communications_unit"),),
                                               (("approver", "manager"),)]
    assert [r.done.held for r in approvals] == [False, True]
    assert [(s.name, s.value) for s in approvals[0].done.seen] == [
        ("approver", "communications_unit"), ("approved_by", ["manager"])]


def test_not_blames_the_part_that_held():
    pack = compile_source(EVERY_FORM)
    t = trace(pack, "create_channel",
              _facts("create_channel", account_type="private", informed=["manager"]), AT)
    r7 = next(r for r in t.rules if r.rule == "r7")
    assert not r7.when.held and r7.finding is None
    assert [c.text for c in r7.when.failed()] == ["informed contains manager"]


def test_a_rule_that_does_not_apply_yields_nothing(engine):
    t = trace(engine.packs["toreboda"], "like_page", _facts("like_page", page_category="own"), AT)
    assert [(r.rule, r.applies, r.finding) for r in t.rules] == [
        ("no-likes-for-advertising-or-propaganda", False, None)]
    assert combining(t.findings, "allow").step == 4


@pytest.mark.parametrize("facts, step, outcome", [
    ({"page_category": "commercial"}, 1, "deny"),
    ({"page_category": "own"}, 3, "allow"),
    ({"page_category": "other"}, 1, "deny"),     # a closed list: off it is denied
])
def test_combining_names_the_step(engine, facts, step, outcome):
    t = trace(engine.packs["tyreso"], "like_page", _facts("like_page", **facts), AT)
    c = combining(t.findings, engine.packs["tyreso"].default)
    assert (c.step, c.outcome) == (step, outcome)
    assert c.outcome == engine.decide("tyreso", "like_page", facts, AT).outcome


def test_combining_unmet_steps(engine):
    t = trace(engine.packs["tyreso"], "close_channel", _facts("close_channel"), AT)
    c = combining(t.findings, "allow")
    assert (c.step, c.outcome) == (2, "required_steps")
    assert c.rules == ("close-with-manager", "close-with-communicator", "close-with-farewell-post")


@pytest.mark.parametrize("source", [
    "a and (b or c)", "(a and b) or c", "not (a and b)", "not not a", "not a or b",
    "x in [own, municipality] and y contains all z", "months_since(d) < snapshot_interval",
    'platform == "a \\"b\\""', "d >= 2025-06-01 and n != 3", "s contains any t",
    "x not in allowed_likes.deny", "d is missing or e is set", "(a or b) and (c or d)",
])
def test_render_gives_back_the_source(source):
    header = 'pack p\n name "P"\n dated undated\n version "1"\n default allow\n'
    rule = parse_pack(f"{header}rule r on like_page deny when {source} because \"b\"\n").rules[0]
    canonical = {"(a and b) or c": "a and b or c"}.get(source, source)
    assert render(rule.when) == canonical
    again = parse_pack(f"{header}rule r on like_page deny when {render(rule.when)} because \"b\"\n")
    assert again.rules[0].when == rule.when


def test_check_failed_and_supporting_are_complements():
    a, b = Check("a", True), Check("b", False)
    both = Check("a and b", False, op="and", parts=(a, b))
    either = Check("a or b", True, op="or", parts=(a, b))
    assert both.failed() == (b,) and both.supporting() == ()
    assert either.supporting() == (a,) and either.failed() == ()
    negated = Check("not (a or b)", False, op="not", parts=(either,))
    assert negated.failed() == (a,)


def test_a_plugins_findings_are_flagged_in_the_explanation(engine):
    from engine.hookspecs import hookimpl
    from engine.model import Finding, Reason, Source
    from engine.explain.trace_views import explain_request

    class Extra:
        @hookimpl
        def policy_evaluate(self, pack, action, facts, at):
            if pack.id == "tyreso" and action == "like_page":
                return [Finding("deny", Reason("extra", "deny", "must", "No.", Source("tyreso", None)))]
            return None

    plain = explain_request(engine, "tyreso", "like_page", {"page_category": "own"}, AT)
    assert plain.other_evaluators is False and plain.decision.outcome == "allow"
    extra = Extra()
    engine.register(extra)
    try:
        flagged = explain_request(engine, "tyreso", "like_page", {"page_category": "own"}, AT)
    finally:
        engine.unregister(extra)
    assert flagged.other_evaluators is True and flagged.decision.outcome == "deny"
    assert flagged.combining.outcome == "allow"           # what the pack's own rules give

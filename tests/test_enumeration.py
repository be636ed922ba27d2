"""The enumeration behind check and diff: domains, caps, and that it misses no behaviour."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.strategies import in_order
from hypothesis import given, strategies as st

from engine.authoring import enumeration as en
from engine.authoring.example_requests import request_json, request_text
from engine import vocabulary as vocab
from engine.validate import FactValidator
from tests.conftest import compile_source
from engine import contract
from engine.contract import contract_vocabulary

WORDS = contract_vocabulary()

AT = en.DEFAULT_AT


def test_domains_cover_each_threshold_from_both_sides():
    pack = compile_source('''
        topic snapshot_interval = half_yearly
        topic channel_approver = [manager]
        rule r on audit_channel
          require s "Snapshot."
          done when months_since(last_snapshot_on) < snapshot_interval and days_since_last_post < 30
        rule c on create_channel
          for each a in channel_approver
          require approve by a "Approve."
          done when a in approved_by and informed contains any [communicator] and admin_count >= 2
        ''')
    audit = WORDS.actions["audit_channel"]
    space = en.space(audit, [r.ast for r in pack.rules_for("audit_channel")],
                     en.action_mentions([pack], audit), AT)
    domains = dict(zip(space.facts, space.domains))
    # left out, days_since_last_post is missing: that is a case of its own
    assert domains["days_since_last_post"] == (None, 0, 29, 30, 31)
    months = {vocab.months_since(d, AT) for d in domains["last_snapshot_on"] if d is not None}
    assert {5, 6, 7} <= months and None in domains["last_snapshot_on"]
    create = WORDS.actions["create_channel"]
    space = en.space(create, [r.ast for r in pack.rules_for("create_channel")],
                     en.action_mentions([pack], create), AT)
    domains = dict(zip(space.facts, space.domains))
    # the named values, and one other standing for every value not named
    assert set(domains["approved_by"]) == {frozenset(), frozenset({"manager"}),
                                           frozenset({"department_head"}),
                                           frozenset({"manager", "department_head"})}
    assert frozenset({"communicator", "manager"}) in domains["informed"]
    assert domains["admin_count"] == (0, 1, 2, 3)
    assert space.size == 4 * 4 * 4 and not space.capped


def test_a_space_over_the_cap_is_sampled_evenly_and_says_so():
    action = WORDS.actions["delete_comment"]
    space = en.Space(action, ("content_category", "registered"),
                     (contract.CONTENT_CATEGORY.values, (False, True)), AT, cap=10)
    first, second = list(space.requests()), list(space.requests())
    assert space.capped and space.size == 32 and space.checked == 10
    assert first == second and len(first) == 10
    assert len({(f["content_category"], f["registered"]) for f in first}) == 10


def test_requests_are_written_as_a_test_file_writes_them():
    action = WORDS.actions["create_channel"]
    facts = dict(en.defaults(action), approved_by=frozenset({"manager", "communicator"}),
                 responsible_appointed=True)
    assert request_text(action, facts) == (
        "create_channel {account_type: organisation, approved_by: [manager, communicator], "
        "responsible_appointed: true}")
    assert request_json(action, facts) == {
        "account_type": "organisation", "approved_by": ["manager", "communicator"],
        "responsible_appointed": True}


# ---- nothing is missed -----------------------------------------------------------------
# A request drawn at random gets, from every rule, the same findings as some request in
# the enumerated space: the representative values stand for every value.

def fact_values(fact: vocab.Fact) -> st.SearchStrategy:
    t = fact.type
    if t.kind == "bool":
        return st.booleans()
    if t.kind == "int":
        return st.integers(0, 400)
    if t.kind == "string":
        return st.sampled_from(["facebook", "instagram", "x"])
    if t.kind == "date":
        return st.dates(AT - dt.timedelta(days=900), AT + dt.timedelta(days=60)).map(str)
    if t.kind == "datetime":
        return st.datetimes(dt.datetime(2024, 12, 1), dt.datetime(2025, 1, 1, 9)).map(
            lambda d: d.isoformat(timespec="minutes"))
    if t.kind == "enum":
        return st.sampled_from(t.values)
    return st.lists(st.sampled_from(t.element.values), unique=True, max_size=5)


def facts_for(action: vocab.Action) -> st.SearchStrategy:
    times = [f.name for f in action.facts if f.type.kind == "datetime"]
    return st.fixed_dictionaries({f.name: fact_values(f) for f in action.facts if f.required},
                                 optional={f.name: fact_values(f) for f in action.facts
                                           if not f.required}).map(
        lambda facts: in_order(facts, times))


ENUMERATED: dict[tuple[str, str], set] = {}


def signatures(pack, action: vocab.Action) -> set:
    key = (pack.id, action.name)
    if key not in ENUMERATED:
        rules = [r.ast for r in pack.rules_for(action.name)]
        space = en.space(action, rules, en.action_mentions([pack], action), AT)
        assert not space.capped
        ENUMERATED[key] = {tuple(id(f) for f in en.evaluate(pack, action.name, facts, AT))
                           for facts in space.requests()}
    return ENUMERATED[key]


@pytest.mark.parametrize("pack_id", ["toreboda", "tyreso", "vara", "perstorp", "norsjo"])
@given(data=st.data())
def test_every_request_behaves_like_an_enumerated_one(engine, pack_id, data):
    pack = engine.packs[pack_id]
    action = WORDS.actions[data.draw(st.sampled_from(sorted(pack.plans)))]
    facts = FactValidator(action).normalise(data.draw(facts_for(action)))
    found = tuple(id(f) for f in en.evaluate(pack, action.name, facts, AT))
    assert found in signatures(pack, action)


def test_a_space_too_large_to_count_in_a_machine_word_is_still_sampled():
    action = WORDS.actions["delete_comment"]
    domains = tuple(tuple(range(1000)) for _ in range(8))        # 10**24 assignments
    space = en.Space(action, tuple(f"f{i}" for i in range(8)), domains, AT, cap=5)
    picked = list(space.assignments())
    assert space.capped and len(set(picked)) == 5 and picked == list(space.assignments())


def test_a_span_in_office_hours_lands_on_both_sides_of_the_limit_among_holidays(engine):
    # DEFAULT_AT is New Year's Day: the week before it holds Christmas Eve, a Sunday and
    # New Year's Eve, so moments a few days apart never span Perstorp's 24 office hours;
    # a question asked a month before and answered on the day was in no enumerated case
    pack, action = engine.packs["perstorp"], WORDS.actions["answer_question"]
    late = FactValidator(action).normalise({"asked_at": "2024-12-01T00:00",
                                            "answered_at": "2025-01-01T00:00"})
    found = tuple(id(f) for f in en.evaluate(pack, action.name, late, AT))
    assert found in signatures(pack, action)
    space = en.space(action, [r.ast for r in pack.rules_for(action.name)],
                     en.action_mentions([pack], action), AT)
    spans = {f["office_hours_to_answer"] for f in space.requests()}
    assert {23.0, 24.0, 25.0} <= spans


def test_a_topic_holding_a_number_is_a_threshold_of_the_facts_compared_with_it():
    pack = compile_source('''
        topic response_time = 24
        rule r on answer_question
          require a "Answer in time."
          done when answered_at is set and office_hours_to_answer <= response_time
        ''')
    action = WORDS.actions["answer_question"]
    found = en.action_mentions([pack], action)
    assert found.ints == {24}

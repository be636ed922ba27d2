"""Evaluating and combining: deny overrides, steps, allow, the default."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.core import Engine
from engine.plugins import LoadedPack, make_plugin_manager
from engine.model import PackSource
from tests.conftest import AT, compile_source

BODY = '''
topic snapshot_interval = half_yearly
rule deny-commercial on like_page deny when page_category == commercial because "No." source "A"
rule allow-own on like_page allow when page_category in [own, commercial] because "Yes." source "A"
rule step-one on close_channel require s1 by manager "One." done when manager_consulted level must
rule step-two on close_channel require s2 "Two." done when communicator_consulted level should
rule step-one-again on close_channel require s1 by manager "One." done when farewell_post_published
rule snapshot on audit_channel require snap "Snap."
  done when last_snapshot_on is set and months_since(last_snapshot_on) < snapshot_interval
'''


def make_engine(body: str = BODY, header: str | None = None) -> Engine:
    pack = compile_source(body) if header is None else compile_source(body, header)
    pm = make_plugin_manager(entry_points=False)
    return Engine({pack.id: LoadedPack(pack, PackSource("", "demo.policy"), "test", None)}, pm)


def test_deny_overrides_allow():
    d = make_engine().decide("demo", "like_page", {"page_category": "commercial"}, AT)
    assert d.outcome == "deny"
    assert [r.rule for r in d.reasons] == ["deny-commercial"]
    assert d.steps == ()


def test_allow_when_an_allow_rule_holds():
    d = make_engine().decide("demo", "like_page", {"page_category": "own"}, AT)
    assert (d.outcome, d.by_default, [r.rule for r in d.reasons]) == ("allow", False, ["allow-own"])


def test_default_when_no_rule_speaks():
    d = make_engine().decide("demo", "like_page", {"page_category": "other"}, AT)
    assert (d.outcome, d.by_default) == ("allow", True)
    assert d.reasons[0].rule == "default" and d.reasons[0].source.pack == "demo"
    header = 'pack demo\n name "D"\n dated undated\n version "2"\n default deny\n'
    d = make_engine(BODY, header).decide("demo", "publish_post", {}, AT)
    assert (d.outcome, d.by_default, d.pack_version) == ("deny", True, "2")
    assert d.reasons and d.reasons[0].effect == "deny"


def test_every_unmet_step_listed_once_in_rule_order():
    d = make_engine().decide("demo", "close_channel", {}, AT)
    assert d.outcome == "required_steps"
    assert [(s.id, s.by, s.level) for s in d.steps] == [
        ("s1", "manager", "must"), ("s2", None, "should")]
    assert [r.rule for r in d.reasons] == ["step-one", "step-two", "step-one-again"]


def test_met_requirements_allow():
    d = make_engine().decide("demo", "close_channel", {
        "manager_consulted": True, "communicator_consulted": True,
        "farewell_post_published": True}, AT)
    assert d.outcome == "allow"
    assert [r.effect for r in d.reasons] == ["require"] * 3


def test_a_should_step_still_requires():
    d = make_engine().decide("demo", "close_channel", {
        "manager_consulted": True, "farewell_post_published": True}, AT)
    assert d.outcome == "required_steps"
    assert [(s.id, s.level) for s in d.steps] == [("s2", "should")]


@pytest.mark.parametrize("last, at, due", [
    (None, "2025-01-01", True),
    ("2025-01-31", "2025-07-30", False),
    ("2025-01-31", "2025-07-31", True),
    ("2024-08-31", "2025-02-28", True),     # 31 Aug + 6 months = 28 Feb
    ("2024-08-31", "2025-02-27", False),
    ("2025-03-01", "2025-01-01", False),    # a snapshot dated after "now"
])
def test_snapshot_interval_to_the_day(last, at, due):
    facts = {"last_snapshot_on": last} if last else {}
    d = make_engine().decide("demo", "audit_channel", facts, at)
    assert (d.outcome == "required_steps") is due


def test_same_request_same_decision():
    engine = make_engine()
    facts = {"manager_consulted": True}
    assert engine.decide("demo", "close_channel", facts, AT) == \
        engine.decide("demo", "close_channel", dict(facts), AT)


def test_at_defaults_to_today_in_sweden():
    from engine.core import today
    d = make_engine().decide("demo", "like_page", {"page_category": "own"})
    assert d.at == today()
    assert isinstance(d.at, dt.date)


def test_decide_is_safe_from_many_threads(engine):
    from concurrent.futures import ThreadPoolExecutor
    requests = [("tyreso", "like_page", {"page_category": c}) for c in
                ("own", "commercial", "other", "political_party")] * 250
    expected = [engine.decide(p, a, f, AT) for p, a, f in requests]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda r: engine.decide(*r, AT), requests))
    assert got == expected


ONLY = '''
rule grounds
  on delete_comment
  only when content_category in [defamation, hate_speech]
  because "Only unlawful comments are removed."
  source "A"
rule save-first
  on delete_comment
  require save-content "Save the comment first."
  done when content_saved
  source "A"
'''


@pytest.mark.parametrize("category, outcome", [
    ("defamation", "required_steps"), ("hate_speech", "required_steps"),
    ("question", "deny"), ("criticism", "deny"), ("off_topic", "deny")])
def test_only_permits_the_list_and_denies_the_rest(category, outcome):
    decision = make_engine(ONLY).decide("demo", "delete_comment", {"content_category": category}, AT)
    assert decision.outcome == outcome
    assert not decision.by_default
    assert [r.rule for r in decision.reasons][:1] == (["grounds"] if outcome == "deny" else ["save-first"])


def test_a_met_requirement_never_makes_what_only_forbids_allowed():
    engine = make_engine(ONLY)
    facts = {"content_category": "question", "content_saved": True}
    denied = engine.decide("demo", "delete_comment", facts, AT)
    assert (denied.outcome, [r.effect for r in denied.reasons]) == ("deny", ["deny"])
    allowed = engine.decide("demo", "delete_comment", dict(facts, content_category="defamation"), AT)
    assert allowed.outcome == "allow"
    assert {(r.rule, r.effect) for r in allowed.reasons} == {("grounds", "allow"), ("save-first", "require")}


def test_only_is_one_rule_id_with_two_halves():
    pack = compile_source(ONLY)
    halves = [(r.id, r.kind, r.only) for r in pack.rules if r.id == "grounds"]
    assert halves == [("grounds", "allow", True), ("grounds", "deny", True)]


INACTIVE = '''
rule inactive
  on audit_channel
  require revive "Post again or close the channel."
  when days_since_last_post > 90
  level should
  source "A"
rule unknown-activity
  on audit_channel
  require find-out "Find out when the channel last posted."
  when days_since_last_post is missing
  level should
  source "A"
'''


@pytest.mark.parametrize("facts, steps", [
    ({}, ["find-out"]),                           # left out: not known, not 0
    ({"days_since_last_post": 0}, []),
    ({"days_since_last_post": 91}, ["revive"]),
])
def test_days_since_last_post_left_out_is_missing_not_zero(facts, steps):
    d = make_engine(INACTIVE).decide("demo", "audit_channel", facts, AT)
    assert [s.id for s in d.steps] == steps

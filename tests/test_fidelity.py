"""The kinds of docs/reading.md, pinned across all five packs: one row per pack and kind.

Each row is a request a careful reader of the guideline would try, with the answer the
text supports: the outcome, the level of the deciding reasons, the steps, and that the
decision cites a rule (kind 7: never the default where a sentence speaks).
"""

from __future__ import annotations

import pytest

from tests.conftest import AT

PACKS = ("toreboda", "tyreso", "vara", "perstorp", "norsjo")
ROLES = ["manager", "department_head", "communicator", "communications_unit",
         "communications_director", "information_officer", "website_owner"]
#: Every step of starting a channel done, whatever the pack asks for.
EVERYTHING_DONE = {
    "approved_by": ROLES, "informed": ROLES, "credentials_held_by": ROLES,
    "responsible_appointed": True, "substitute_appointed": True, "purpose_defined": True,
    "admin_count": 5, "credentials_in_central_storage": True, "activity_plan_filed": True,
    "applied_via_eservice": True, "listed_on_website": True, "follows_graphic_profile": True,
    "visitor_information_published": True,
}
SAVED = {"content_saved": True, "author_saved": True, "registered": True}

D, R, A = "deny", "required_steps", "allow"

# (kind, action, facts, {pack: (outcome, levels, steps)})
TABLE = [
    # 1. a ban on private accounts reaches a new channel on one, with every step done
    ("1", "create_channel", dict(EVERYTHING_DONE, account_type="private"), {
        "toreboda": (D, {"must"}, []), "tyreso": (D, {"must"}, []), "vara": (D, {"must"}, []),
        "perstorp": (D, {"must"}, []), "norsjo": (D, {"should"}, [])}),
    ("1", "use_private_account", {"purpose": "official_communication"}, {
        "toreboda": (D, {"must"}, []), "tyreso": (D, {"must"}, []), "vara": (D, {"must"}, []),
        "perstorp": (D, {"must"}, []), "norsjo": (D, {"should"}, [])}),
    # 2. a closed list of removal grounds: a registered, saved question is still no ground
    ("2", "delete_comment", dict(SAVED, content_category="question"), {
        "toreboda": (D, {"must"}, []), "tyreso": (D, {"must"}, []),
        "vara": (A, {"must"}, []),        # Vara names no grounds: saving is all it asks
        "perstorp": (D, {"must"}, []), "norsjo": (D, {"must"}, [])}),
    ("2", "delete_comment", dict(SAVED, content_category="criticism"), {
        "toreboda": (D, {"must"}, []), "tyreso": (D, {"must"}, []), "vara": (A, {"must"}, []),
        "perstorp": (D, {"must"}, []), "norsjo": (D, {"must"}, [])}),
    # 3. the general "against the law" clause reaches offensive personal data, with its steps
    ("3", "delete_comment", {"content_category": "offensive_personal_data"}, {
        "toreboda": (R, {"must"}, ["save-comment-content", "save-comment-author"]),
        "tyreso": (R, {"must"}, ["register-removed"]),
        "vara": (R, {"must"}, ["save-comment-content"]),
        "perstorp": (A, {"must"}, []),    # Perstorp removes it and asks for no copy
        "norsjo": (R, {"must"}, ["save-comment-content", "save-comment-author"])}),
    ("3", "delete_comment", {"content_category": "confidential_information"}, {
        "toreboda": (R, {"must"}, ["save-comment-content", "save-comment-author",
                                   "register-removed"]),
        "tyreso": (R, {"must"}, ["register-removed"]),
        "vara": (R, {"must"}, ["save-comment-content"]),
        "perstorp": (R, {"must"}, ["register-removed"]),
        "norsjo": (R, {"must"}, ["save-comment-content", "save-comment-author"])}),
    # 5. a "ska inte" ban stays must although "bör" advice follows it
    ("5", "use_private_account", {"purpose": "answer_work_question"}, {
        "toreboda": (D, {"must"}, []), "tyreso": (D, {"must"}, []),
        "vara": (D, {"must", "should"}, []),     # the ban, and the advice as a second reason
        "perstorp": (D, {"must"}, []),
        "norsjo": (R, {"must"}, ["handle-as-official-question", "refer-to-official-channels"])}),
    # 6. legal duties bind the municipality's own posts
    ("6", "publish_post", {"contains_confidential": True}, {
        p: (D, {"must"}, []) for p in PACKS}),
    ("6", "publish_post", {"contains_offensive_personal_data": True}, {
        p: (D, {"must"}, []) for p in PACKS}),
    # 7. where a rule speaks, the decision cites it: defamation is removed under a rule
    ("7", "delete_comment", {"content_category": "defamation"}, {
        "toreboda": (R, {"must"}, ["save-comment-content", "save-comment-author"]),
        "tyreso": (R, {"must"}, ["register-removed"]),
        "vara": (R, {"must"}, ["save-comment-content"]),
        "perstorp": (A, {"must"}, []),
        "norsjo": (R, {"must"}, ["save-comment-content", "save-comment-author"])}),
]

ROWS = [pytest.param(kind, action, facts, pack, expected[pack],
                     id=f"kind{kind}-{action}-{pack}-{'-'.join(str(v) for v in facts.values())[:40]}")
        for kind, action, facts, expected in TABLE for pack in PACKS]


@pytest.mark.parametrize("kind, action, facts, pack, expected", ROWS)
def test_each_kind_in_each_pack(engine, kind, action, facts, pack, expected):
    outcome, levels, steps = expected
    d = engine.decide(pack, action, facts, AT)
    assert d.outcome == outcome
    assert not d.by_default, "a sentence governs this request: a rule must decide it"
    assert {r.level for r in d.reasons} == levels
    assert [s.id for s in d.steps] == steps
    assert all(r.source.section for r in d.reasons), "every reason cites its section"


# answer_question (contract 1.1), at 10:00 on Monday 30 November 2026. Kind 7 both ways:
# where a sentence speaks to the request a rule decides it; where none does (Vara and
# Norsjö say nothing of answering on their own channels) the default does, and says so.
ANSWER_AT = "2026-11-30T10:00"
ASKED = {"asked_at": "2026-11-30T08:00"}
ANSWERED = dict(ASKED, answered_at="2026-11-30T09:00")
# (what is asked, facts, {pack: (outcome, levels, steps, by_default)})
ANSWER_TABLE = [
    ("unanswered, no word to the visitor", ASKED, {
        "toreboda": (A, {None}, [], True),
        "tyreso": (R, {"must"}, ["answer-question", "answer-or-acknowledge"], False),
        "vara": (A, {None}, [], True),
        "perstorp": (R, {"must"}, ["answer-within-response-time"], False),
        "norsjo": (A, {None}, [], True)}),
    ("answered in time, unsigned", ANSWERED, {
        "toreboda": (R, {"must"}, ["sign-answer"], False),
        "tyreso": (R, {"must"}, ["sign-answer"], False),
        "vara": (A, {None}, [], True),
        "perstorp": (R, {"must"}, ["sign-answer"], False),
        "norsjo": (A, {None}, [], True)}),
    ("political, answered and signed, not referred",
     dict(ANSWERED, signed=True, political=True), {
        "toreboda": (A, {"must"}, [], False),
        "tyreso": (R, {"must"}, ["refer-to-parties"], False),
        "vara": (A, {None}, [], True),
        "perstorp": (A, {"must"}, [], False),
        "norsjo": (A, {None}, [], True)}),
    ("for another unit, answered and signed, not forwarded",
     dict(ANSWERED, signed=True, needs_other_unit=True), {
        "toreboda": (A, {"must"}, [], False),
        "tyreso": (A, {"must"}, [], False),
        "vara": (A, {None}, [], True),
        "perstorp": (R, {"must"}, ["forward-question"], False),
        "norsjo": (A, {None}, [], True)}),
]

ANSWER_ROWS = [pytest.param(facts, pack, expected[pack], id=f"{pack}-{what}")
               for what, facts, expected in ANSWER_TABLE for pack in PACKS]


@pytest.mark.parametrize("facts, pack, expected", ANSWER_ROWS)
def test_answering_a_question_in_each_pack(engine, facts, pack, expected):
    outcome, levels, steps, by_default = expected
    d = engine.decide(pack, "answer_question", facts, ANSWER_AT)
    assert d.outcome == outcome
    assert d.by_default is by_default
    assert {r.level for r in d.reasons} == levels
    assert [s.id for s in d.steps] == steps
    assert by_default or all(r.source.section for r in d.reasons)


@pytest.mark.parametrize("pack", PACKS)
def test_kind4_the_decider_is_named(engine, pack):
    """Every guideline names who decides on a new channel, in one wording or another."""
    assert engine.packs[pack].topics["channel_approver"].value


def test_the_issues_examples():
    """The examples the fidelity work started from, as a careful reader expects them."""
    from engine import Engine
    engine = Engine.load()
    toreboda = engine.decide("toreboda", "create_channel", {
        "account_type": "private", "approved_by": ["manager"], "responsible_appointed": True,
        "informed": ["information_officer"], "follows_graphic_profile": True,
        "listed_on_website": True, "activity_plan_filed": True, "purpose_defined": True,
        "admin_count": 2, "credentials_in_central_storage": True,
        "credentials_held_by": ["information_officer"]}, AT)
    assert toreboda.outcome == "deny"
    tyreso = engine.decide("tyreso", "delete_comment",
                           {"content_category": "question", "registered": True}, AT)
    assert tyreso.outcome == "deny"
    norsjo = engine.decide("norsjo", "delete_comment",
                           {"content_category": "offensive_personal_data"}, AT)
    assert (norsjo.outcome, [s.id for s in norsjo.steps]) == (
        "required_steps", ["save-comment-content", "save-comment-author"])
    vara = engine.decide("vara", "use_private_account", {"purpose": "answer_work_question"}, AT)
    assert vara.outcome == "deny" and "must" in {r.level for r in vara.reasons}
    vara_post = engine.decide("vara", "publish_post", {"contains_confidential": True}, AT)
    assert (vara_post.outcome, {r.level for r in vara_post.reasons}) == ("deny", {"must"})
    perstorp = engine.decide("perstorp", "delete_comment", {"content_category": "defamation"}, AT)
    assert not perstorp.by_default and all(r.source.section for r in perstorp.reasons)
    assert engine.packs["perstorp"].topics["channel_approver"].value == ["department_head"]
    assert engine.packs["norsjo"].topics["channel_approver"].value == ["manager"]

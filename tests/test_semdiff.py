"""policy diff: every decision that an edit of a pack changes, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsl.parser import parse_pack
from engine.compiler import compile_pack
from engine.authoring.semdiff import diff_packs, render
from tests.test_cli import policy
from engine.contract import contract_vocabulary

WORDS = contract_vocabulary()

ROOT = Path(__file__).resolve().parent.parent


def source(pack_id: str) -> str:
    return (ROOT / "packs" / pack_id / f"{pack_id}.policy").read_text(encoding="utf-8")


def compiled(text: str, name: str = "edited.policy"):
    return compile_pack(parse_pack(text, name))


def edited(pack_id: str, old: str, new: str):
    text = source(pack_id)
    assert old in text
    return compiled(text.replace(old, new))


@pytest.mark.parametrize("pack_id", ["toreboda", "tyreso", "vara", "perstorp", "norsjo"])
def test_a_pack_does_not_differ_from_itself(engine, pack_id):
    result = diff_packs(engine.packs[pack_id], compiled(source(pack_id)))
    assert result.changes == () and not result.capped
    assert "no change in behaviour: every decision is the same" in render(result)


def test_a_refactor_that_keeps_every_decision_is_no_change(engine):
    text = source("tyreso")
    text = text.replace("deny when page_category in allowed_likes.deny",
                        "deny when page_category == commercial or page_category == political_party")
    text = text.replace("rule no-confidential-posts", "rule confidential-posts-denied")
    text = text.replace("done when listed_on_website", "done when not (not listed_on_website)")
    result = diff_packs(engine.packs["tyreso"], compiled(text))
    assert result.changes == ()
    assert result.rules_added == ("confidential-posts-denied",)
    assert result.rules_removed == ("no-confidential-posts",)


def test_a_dropped_rule_shows_as_example_requests(engine):
    new = edited("norsjo", "  deny when purpose in [client_contact, official_communication]",
                 "  deny when purpose in [client_contact, official_communication] and false")
    result = diff_packs(engine.packs["norsjo"], new)
    [change] = result.changes
    assert (change.action, change.what, change.count) == (
        "use_private_account", "deny (should) → allow (by default)", 2)
    assert change.example_texts() == ["use_private_account {purpose: official_communication}"]
    text = render(result)
    assert "use_private_account: 2 of 4 requests decided differently" in text
    assert "  deny (should) → allow (by default): 2 requests:" in text


EDITS = [
    ("tyreso", "topic channel_approver = [manager, communications_director]",
     "topic channel_approver = [manager]"),
    ("toreboda", "  deny when content_category == criticism",
     "  deny when content_category in [criticism, advertising]"),
    ("vara", "  default allow", "  default deny"),
    ("perstorp", "done when credential_holders contains all credential_custody",
     "done when credential_holders contains any credential_custody or substitute_appointed"),
]


@pytest.mark.parametrize("pack_id, old, new", EDITS, ids=[e[0] for e in EDITS])
def test_deciding_cases_of_independent_blocks_counts_what_deciding_every_request_counts(
        engine, pack_id, old, new):
    """Compressing each block of facts to its distinct cases loses nothing: the counts of
    each kind of change are those of deciding every request of the full space."""
    from engine.authoring import enumeration as en
    from engine.authoring.semdiff import Verdict, change_of

    before, after = engine.packs[pack_id], edited(pack_id, old, new)
    counted: dict[tuple[str, str], int] = {}
    for action in WORDS.actions.values():
        rules = [r.ast for p in (before, after) for r in p.rules_for(action.name)]
        space = en.space(action, rules, en.action_mentions([before, after], action))
        assert not space.capped
        for facts in space.requests():
            a = Verdict.of(en.decide(before, action.name, facts, en.DEFAULT_AT))
            b = Verdict.of(en.decide(after, action.name, facts, en.DEFAULT_AT))
            if a != b:
                key = (action.name, change_of(a, b))
                counted[key] = counted.get(key, 0) + 1
    result = diff_packs(before, after)
    assert {(c.action, c.what): c.count for c in result.changes} == counted
    assert counted


def test_facts_a_change_does_not_depend_on_are_named_not_enumerated(engine):
    new = edited("toreboda", "  deny when content_category == criticism",
                 "  deny when content_category in [criticism, advertising]")
    [change] = diff_packs(engine.packs["toreboda"], new).changes
    assert (change.what, change.count) == ("allow → deny", 8)
    assert change.whatever == ("content_saved", "author_saved", "registered")
    assert change.example_texts() == ["delete_comment {content_category: advertising}"]


def test_a_topic_change_adds_a_step_everywhere_it_applies(engine):
    new = edited("tyreso", "topic channel_approver = [manager, communications_director]",
                 "topic channel_approver = [manager, communications_director, communicator]")
    result = diff_packs(engine.packs["tyreso"], new)
    kinds = {c.what: c.count for c in result.changes}
    assert kinds["step added: approve-channel-communicator (by communicator)"] > 0
    assert kinds["allow → required_steps"] > 0
    assert {c.action for c in result.changes} == {"create_channel"}
    assert result.topics == (("channel_approver", ["manager", "communications_director"],
                               ["manager", "communications_director", "communicator"]),)


def test_a_level_change_is_a_change(engine):
    new = edited("tyreso", "  deny when contains_confidential\n  level must",
                 "  deny when contains_confidential\n  level should")
    result = diff_packs(engine.packs["tyreso"], new)
    assert {(c.action, c.what) for c in result.changes} == {
        ("publish_post", "deny → deny (should)")}


def test_a_new_default_changes_every_unregulated_request(engine):
    new = edited("vara", "  default allow", "  default deny")
    result = diff_packs(engine.packs["vara"], new)
    actions = {c.action for c in result.changes
               if c.what == "allow (by default) → deny (by default)"}
    # every removal asks for the comment to be saved, so delete_comment is never unregulated
    assert {"like_page", "publish_post", "close_channel"} <= actions
    assert "delete_comment" not in actions


def test_diff_command(tmp_path):
    path = tmp_path / "norsjo.policy"
    path.write_text(source("norsjo").replace(
        "deny when purpose in [client_contact, official_communication]",
        "allow when purpose in [client_contact, official_communication]"), encoding="utf-8")
    r = policy("diff", "norsjo", str(path))
    assert r.returncode == 1, r.stderr
    assert "deny (should) → allow" in r.stdout
    r = policy("diff", str(path))      # against the installed pack of the same id
    assert r.returncode == 1 and "deny (should) → allow" in r.stdout
    r = policy("diff", str(path), str(path), "--format", "json")
    assert r.returncode == 0
    data = json.loads(r.stdout)
    assert data["changed"] is False and data["requests"]["use_private_account"] == {
        "requests": 4, "decided": 3, "capped": False}


def test_diff_command_bad_usage(tmp_path):
    r = policy("diff", "tyresoo", "tyreso")
    assert r.returncode == 2 and "unknown pack 'tyresoo' (did you mean 'tyreso'?)" in r.stderr
    r = policy("diff", str(tmp_path / "nope.policy"))
    assert r.returncode == 2 and "no such file or folder" in r.stderr
    (tmp_path / "bad.policy").write_text('pack bad\n  name "x\n')
    r = policy("diff", "tyreso", str(tmp_path / "bad.policy"))
    assert r.returncode == 2 and "bad.policy:2:8: unterminated string" in r.stderr

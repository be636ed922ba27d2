"""The comparison behind ``policy explain``: every topic's values agree with what
``Engine.decide`` returns for the matching requests, one test per topic."""

from __future__ import annotations

import pytest

from engine import vocabulary as vocab
from engine.explain.comparison import all_done, closed, compare, rules_using, topic_ids
from tests.conftest import AT, PROJECT_PACKS
from engine import contract
from engine.contract import contract_vocabulary

WORDS = contract_vocabulary()

PACKS = list(PROJECT_PACKS)
ROLES = list(contract.ROLE.values)


@pytest.fixture(scope="module")
def comparison(project_packs):
    return compare(project_packs, AT)


def value(comparison, topic, pack):
    return comparison.topic(topic).values[pack].value


def step_ids(decision):
    return [s.id for s in decision.steps]


def test_every_topic_is_compared_for_every_pack(comparison):
    assert [t.id for t in comparison.topics] == list(topic_ids())
    assert set(WORDS.topics) <= set(topic_ids())
    assert {"new_channel", "removal_grounds", "removal_steps", "private_accounts",
            "image_rights", "closing_channel", "response_time"} <= set(topic_ids())
    for topic in comparison.topics:
        assert list(topic.values) == PACKS


@pytest.mark.parametrize("topic", list(WORDS.topics))
def test_settings_are_the_packs_own(engine, comparison, topic):
    for pack in PACKS:
        cell = comparison.topic(topic).values[pack]
        setting = engine.packs[pack].topics[topic]
        if topic == "allowed_likes" and cell.value is not None:
            # the comparison adds whether an only rule closes the list
            assert cell.value == dict(setting.value, only=closed(engine.packs[pack], "like_page"))
        else:
            assert cell.value == setting.value
        assert cell.source == setting.source
        # one entry per rule text; the two halves of an only rule are one entry
        assert [r.rule for r in cell.rules] == [rule_id for rule_id, _, _ in dict.fromkeys(
            (r.id, "only" if r.only else r.kind, r.reason.text)
            for r in rules_using(engine.packs[pack], topic))]


# ---- one consistency test per topic, against Engine.decide ------------------------------

@pytest.mark.parametrize("pack", PACKS)
def test_channel_approver(engine, comparison, pack):
    """A role is an approver exactly when leaving it out of approved_by changes the steps."""
    approvers = value(comparison, "channel_approver", pack) or []
    everyone = step_ids(engine.decide(pack, "create_channel", {
        "account_type": "organisation", "approved_by": ROLES}, AT))
    for role in ROLES:
        without = step_ids(engine.decide(pack, "create_channel", {
            "account_type": "organisation",
            "approved_by": [r for r in ROLES if r != role]}, AT))
        assert (without != everyone) == (role in approvers), role


@pytest.mark.parametrize("pack", PACKS)
def test_credential_custody(engine, comparison, pack):
    """Login details with exactly the custodians satisfy the pack; with everyone else
    they do not."""
    custody = value(comparison, "credential_custody", pack)

    def steps(holders):
        return set(step_ids(engine.decide(pack, "create_channel", {
            "account_type": "organisation", "credentials_held_by": [h for h in holders if h in ROLES],
            "credentials_in_central_storage": "central_storage" in holders}, AT)))

    everyone = list(WORDS.enums["custodian"].values)
    custody_steps = steps([]) - steps(everyone)
    if custody is None:
        assert custody_steps == set()
        return
    assert custody_steps, "a regulated custody has a step that the custodians satisfy"
    assert not custody_steps & steps(custody)
    assert custody_steps <= steps([c for c in everyone if c not in custody])


@pytest.mark.parametrize("pack", PACKS)
def test_snapshot_interval(engine, comparison, pack):
    """A snapshot step is due again exactly when the interval's months have passed."""
    interval = value(comparison, "snapshot_interval", pack)
    done = {"monitored_daily": True, "substitute_appointed": True, "listed_on_website": True}

    def steps(last):
        facts = dict(done, **({"last_snapshot_on": last.isoformat()} if last else {}))
        return set(step_ids(engine.decide(pack, "audit_channel", facts, AT)))

    snapshot_steps = steps(None) - steps(AT)
    if interval is None:
        assert snapshot_steps == set()
        return
    months = contract.INTERVAL_MONTHS[interval]
    assert snapshot_steps
    assert not snapshot_steps & steps(vocab.add_months(AT, -(months - 1)))
    assert snapshot_steps <= steps(vocab.add_months(AT, -months))


@pytest.mark.parametrize("pack", PACKS)
def test_allowed_likes(engine, comparison, pack):
    likes = value(comparison, "allowed_likes", pack)
    for category in contract.PAGE_CATEGORY.values:
        d = engine.decide(pack, "like_page", {"page_category": category}, AT)
        if likes is not None and category in likes["allow"]:
            assert (d.outcome, d.by_default) == ("allow", False), category
        elif likes is not None and (category in likes["deny"] or likes["only"]):
            assert (d.outcome, d.by_default) == ("deny", False), category
        else:
            assert d.by_default, category


@pytest.mark.parametrize("pack", PACKS)
def test_break_time_use(engine, comparison, pack):
    use = value(comparison, "break_time_use", pack)

    def outcome(**facts):
        d = engine.decide(pack, "private_use_at_work", facts, AT)
        return "default" if d.by_default else d.outcome

    seen = (outcome(during_break=False), outcome(during_break=True),
            outcome(department_head_permits=False), outcome(department_head_permits=True))
    expected = {
        "breaks_only": ("deny", "allow", "deny", "deny"),
        "department_head_decides": ("required_steps", "required_steps", "required_steps",
                                    "allow"),
        "allowed": ("allow",) * 4,
        None: ("default",) * 4,
    }[use]
    assert seen == expected


@pytest.mark.parametrize("pack", PACKS)
def test_response_time(engine, comparison, pack):
    """The time limit is the pack's setting, a whole number of hours; where a pack sets
    it, its answer_question rule reads it (contract 1.1), and a question answered just
    inside the limit is in time while one just outside is not."""
    hours = value(comparison, "response_time", pack)
    assert hours == {"perstorp": 24}.get(pack)
    users = rules_using(engine.packs[pack], "response_time")
    assert bool(users) == (hours is not None)
    assert all(r.actions == ("answer_question",) for r in users)
    if hours is not None:
        asked = "2026-11-30T08:00"             # a Monday; 9 office hours a day
        in_time = engine.decide(pack, "answer_question",
                                {"asked_at": asked, "answered_at": "2026-12-02T14:00"}, AT)
        late = engine.decide(pack, "answer_question",
                             {"asked_at": asked, "answered_at": "2026-12-02T14:01"}, AT)
        assert "answer-within-response-time" not in step_ids(in_time)
        assert "answer-within-response-time" in step_ids(late)


def everything_done(action: str) -> dict:
    facts = all_done(action)
    for fact in WORDS.actions[action].facts:
        if fact.type.kind == "set":
            facts[fact.name] = list(fact.type.element.values)
        elif fact.type.kind == "int":
            facts[fact.name] = 10
    return facts


@pytest.mark.parametrize("pack", PACKS)
def test_new_channel(engine, comparison, pack):
    """The steps listed are those a new organisation channel needs, and doing everything
    leaves none."""
    steps = value(comparison, "new_channel", pack)
    d = engine.decide(pack, "create_channel", {"account_type": "organisation"}, AT)
    assert steps == (None if d.by_default else step_ids(d))
    d = engine.decide(pack, "create_channel",
                      dict(everything_done("create_channel"), account_type="organisation"), AT)
    assert d.outcome == "allow"


@pytest.mark.parametrize("pack", PACKS)
def test_removal_grounds(engine, comparison, pack):
    """A ground is a category an allow rule permits once every step is done; a kept one
    is denied; the rest the guideline does not speak to."""
    grounds = value(comparison, "removal_grounds", pack) or {"allow": [], "deny": []}
    for category in contract.CONTENT_CATEGORY.values:
        d = engine.decide(pack, "delete_comment",
                          dict(all_done("delete_comment"), content_category=category), AT)
        allowed_by_rule = (d.outcome == "allow" and not d.by_default
                           and any(r.effect == "allow" for r in d.reasons))
        assert allowed_by_rule == (category in grounds["allow"]), category
        assert (d.outcome == "deny") == (category in grounds["deny"]), category
        if grounds.get("only"):   # a closed list leaves nothing to the default
            assert not d.by_default and category in grounds["allow"] + grounds["deny"]


@pytest.mark.parametrize("pack", PACKS)
def test_removal_steps(engine, comparison, pack):
    """For each ground, the steps listed for it are exactly those a removal with nothing
    done needs."""
    steps = value(comparison, "removal_steps", pack)
    grounds = value(comparison, "removal_grounds", pack)
    if grounds is None:
        # no grounds named: steps only where every removal needs them (public records)
        needing = [c for c in contract.CONTENT_CATEGORY.values if engine.decide(
            pack, "delete_comment", {"content_category": c}, AT).outcome == "required_steps"]
        assert (steps or {}).get("grounds", []) == needing
        if not needing:
            return
        grounds = {"allow": needing}
    assert steps["grounds"] == grounds["allow"]
    for category in grounds["allow"]:
        d = engine.decide(pack, "delete_comment", {"content_category": category}, AT)
        assert step_ids(d) == [s["step"] for s in steps["steps"] if category in s["for"]]


@pytest.mark.parametrize("topic, action, fact", [
    ("image_rights", "publish_post", "image_source"),
    ("private_accounts", "use_private_account", "purpose"),
])
@pytest.mark.parametrize("pack", PACKS)
def test_outcome_per_value(engine, comparison, pack, topic, action, fact):
    outcomes = value(comparison, topic, pack)
    for v in WORDS.actions[action].fact(fact).type.values:
        d = engine.decide(pack, action, {fact: v}, AT)
        entry = outcomes[v] if outcomes else None
        if d.by_default:
            assert entry is None, v
        else:
            assert entry["outcome"] == d.outcome, v
            assert entry["level"] == ("must" if any(r.level == "must" for r in d.reasons)
                                      else "should")
            assert entry.get("steps", []) == step_ids(d)


@pytest.mark.parametrize("pack", PACKS)
def test_closing_channel(engine, comparison, pack):
    steps = value(comparison, "closing_channel", pack)
    d = engine.decide(pack, "close_channel", {}, AT)
    assert steps == (None if d.by_default else step_ids(d))
    d = engine.decide(pack, "close_channel", all_done("close_channel"), AT)
    assert d.outcome == "allow"


# ---- what the packs say, pinned -----------------------------------------------------------

def test_what_the_matrix_shows(comparison):
    row = {t.id: {p: c.value for p, c in t.values.items()} for t in comparison.topics}
    assert row["snapshot_interval"] == {"norsjo": "yearly", "perstorp": "half_yearly",
                                        "toreboda": "half_yearly", "tyreso": "half_yearly",
                                        "vara": None}
    assert [p for p, v in row["closing_channel"].items() if v] == ["tyreso"]
    # closed lists: every category off the list is denied, even with every step done
    for pack in ("norsjo", "perstorp", "toreboda", "tyreso"):
        grounds = row["removal_grounds"][pack]
        assert grounds["only"] and {"criticism", "question"} <= set(grounds["deny"]), pack
        assert set(grounds["allow"]) | set(grounds["deny"]) == set(contract.CONTENT_CATEGORY.values)
    assert row["removal_grounds"]["vara"] is None
    # Vara names no grounds, but every removal first saves the comment (public records)
    assert row["removal_steps"]["vara"]["grounds"] == list(contract.CONTENT_CATEGORY.values)
    assert row["allowed_likes"]["tyreso"]["only"] is True
    assert row["allowed_likes"]["toreboda"] == {"allow": [], "deny": ["commercial", "political_party"],
                                                "only": False}
    assert row["private_accounts"]["norsjo"]["closed_professional_network"]["outcome"] == "allow"
    assert row["private_accounts"]["vara"]["closed_professional_network"]["outcome"] == "deny"
    assert row["image_rights"]["perstorp"]["creator_consent"]["outcome"] == "deny"
    assert "apply-via-eservice" in row["new_channel"]["vara"]


def test_diff_and_only(comparison):
    diff = comparison.differing("tyreso", "toreboda")
    assert diff.packs == ("tyreso", "toreboda")
    ids = [t.id for t in diff.topics]
    assert "snapshot_interval" not in ids                                      # both agree
    assert "channel_approver" in ids    # Tyresö also asks the communications director
    assert {"allowed_likes", "credential_custody", "break_time_use"} <= set(ids)
    assert [t.id for t in comparison.only(["response_time"], ["vara"]).topics] == ["response_time"]
    assert comparison.differing("vara", "vara").topics == ()

"""The plan index: an indexed plan gives exactly the findings, in rule order, that
testing every rule in turn gives.

Packs are generated from conditions of every kind the index reads (choices, texts,
bools, numbers, set membership both ways, ``not``, ``or``, ``is missing``, topics,
``for each`` values) and of kinds it does not (order comparisons, dates, the derived
fact), and compiled in each layout: as the compiler picks it, and with the thresholds
lowered so that every action is put in buckets and its functions are cut into chunks
of two rules. The reference tests each compiled rule in order with the naive
evaluator of ``tests/reference.py``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any, Iterator

from hypothesis import given, strategies as st

from dsl.parser import parse_pack
from engine.compiler import CompiledPack, codegen, compile_pack
from engine.contract import contract_vocabulary
from engine.model import Finding
from engine.validate import FactValidator
from tests import reference
from tests.strategies import AT_DATES, facts_for

WORDS = contract_vocabulary()
ACTIONS = ("create_channel", "like_page", "publish_post", "audit_channel")

HEADER = '''pack demo
  name "Demo"
  dated undated
  version "1.0.0"
  default allow
topic channel_approver = [manager, communicator]
topic allowed_likes = {allow: [own, municipality], deny: [commercial, political_party]}
topic snapshot_interval = half_yearly
'''

#: Conditions by action: indexable ones first, then ones evaluated as written.
ATOMS = {
    "create_channel": [
        "account_type == organisation", "account_type != private", "private == account_type",
        "account_type in [private]", "account_type not in [organisation]",
        'platform == "facebook"', 'platform != "x"', '"instagram" == platform',
        "platform is set", "platform is missing",
        "purpose_defined", "not responsible_appointed", "substitute_appointed == true",
        "admin_count == 2", "admin_count != 1", "3 == admin_count",
        "manager in approved_by", "communicator not in approved_by",
        "approved_by contains communicator", "informed contains all [manager, communicator]",
        "informed contains any [manager, website_owner]", "informed contains any [manager]",
        "not (approved_by contains manager)", "credentials_held_by contains manager",
        "admin_count > 2", "admin_count <= 1", "credential_holders contains central_storage",
        "central_storage in credential_holders", "approved_by contains all informed",
    ],
    "like_page": [
        "page_category == commercial", "page_category in allowed_likes.deny",
        "page_category not in allowed_likes.allow", "page_category != own",
        "page_category in [own, other]",
    ],
    "publish_post": [
        "image_source == own_archive", "image_source != unlicensed", "image_source is missing",
        "image_source is set", "image_source in [none, own_archive]",
        "not (image_source == licensed_agency)", "not (image_source != unlicensed)",
        "contains_confidential", "not political_content",
    ],
    "audit_channel": [
        "days_since_last_post == 3", "days_since_last_post is missing",
        "days_since_last_post > 2", "not (days_since_last_post == 1)",
        "months_since(last_snapshot_on) >= snapshot_interval", "last_snapshot_on is missing",
        "monitored_daily", "not major_change_planned", "listed_on_website == false",
        "days_since_last_post == snapshot_interval", "6 != days_since_last_post",
    ],
}


@st.composite
def conditions(draw: Any, action: str, depth: int = 2) -> str:
    atom = st.sampled_from(ATOMS[action])
    if depth == 0:
        return draw(atom)
    shape = draw(st.sampled_from(["atom", "atom", "and", "or", "not"]))
    if shape == "atom":
        return draw(atom)
    if shape == "not":
        return f"not ({draw(conditions(action, depth - 1))})"
    parts = draw(st.lists(conditions(action, depth - 1), min_size=2, max_size=3))
    return "(" + f" {shape} ".join(parts) + ")"


@st.composite
def rules(draw: Any, i: int) -> str:
    action = draw(st.sampled_from(ACTIONS))
    parts = draw(st.lists(conditions(action), min_size=0, max_size=3))
    when = " and ".join(parts)
    effect = draw(st.sampled_from(["deny", "allow", "require", "only", "each"]))
    if effect == "only" and not when:
        effect = "deny"
    head = f"rule r{i}\n  on {action}\n"
    if effect in ("deny", "allow", "only"):
        return f'{head}  {effect}{" when " + when if when else ""}\n  because "b{i}"\n'
    done = draw(st.one_of(st.none(), conditions(action, 1)))
    text = head
    if effect == "each":
        text += "  for each approver in channel_approver\n"
        if action == "create_channel":
            extra = draw(st.sampled_from(["", "approver in approved_by",
                                          "approver not in informed"]))
            when = " and ".join(filter(None, [when, extra]))
    text += f"  when {when}\n" if when else ""
    text += f'  require s{i} "step {i}"\n'
    return text + (f"  done when {done}\n" if done else "")


@st.composite
def packs(draw: Any) -> str:
    count = draw(st.integers(1, 14))
    return HEADER + "\n".join(draw(rules(i)) for i in range(count))


@contextlib.contextmanager
def thresholds(index_min: int, chunk: int) -> Iterator[None]:
    saved = codegen.INDEX_MIN, codegen.CHUNK
    codegen.INDEX_MIN, codegen.CHUNK = index_min, chunk
    try:
        yield
    finally:
        codegen.INDEX_MIN, codegen.CHUNK = saved


def reference_findings(pack: CompiledPack, action: str, facts: dict[str, Any],
                       at: dt.date) -> list[Finding]:
    """Every compiled rule of ``action`` tested in turn, as the reference reads it."""
    out = []
    for rule in pack.rules_for(action):
        env = dict(rule.bindings)
        if rule.ast.when is not None and not reference.holds(rule.ast.when, facts, at, pack, env):
            continue
        done = (rule.met is not None and rule.ast.done is not None
                and reference.holds(rule.ast.done, facts, at, pack, env))
        out.append(rule.met if done else rule.matched)
    return out


def request(action: str) -> st.SearchStrategy:
    validator = FactValidator(WORDS.actions[action])
    return st.tuples(facts_for(WORDS.actions[action]).map(validator.normalise), AT_DATES)


@given(text=packs(), data=st.data())
def test_every_layout_gives_the_reference_findings_in_rule_order(text, data):
    ast = parse_pack(text, "demo.policy")
    compiled = [compile_pack(ast)]
    with thresholds(0, 2):
        compiled.append(compile_pack(ast))
    for action in ACTIONS:
        if not compiled[0].rules_for(action):
            assert all(action not in pack.plans for pack in compiled)
            continue
        for _ in range(3):
            facts, at = data.draw(request(action))
            for pack in compiled:
                want = reference_findings(pack, action, facts, at)
                got = pack.plans[action](facts, at)
                assert got == want, (action, facts, pack.code)
                assert [id(f) for f in got] == [id(f) for f in want]


class Reads(dict):
    """Facts that count how often each is read."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.reads: dict[str, int] = {}

    def __getitem__(self, name: str) -> Any:
        self.reads[name] = self.reads.get(name, 0) + 1
        return super().__getitem__(name)


def keyed_pack(n: int, second: str | None = None,
               residual: str = "admin_count >= {i}") -> CompiledPack:
    """``n`` rules on create_channel, each keyed on its own platform and deciding on
    ``admin_count >= i`` (no index reads an order); with ``second``, every other rule is
    keyed on that condition instead (``residual``: another condition for the order)."""
    rules = []
    for i in range(n):
        key = f'platform == "p{i}"' if second is None or i % 2 else second
        rules.append(f'rule r{i}\n  on create_channel\n  deny when {key} and '
                     f'{residual.format(i=i)}'
                     f'\n  because "b{i}"\n')
    return compile_pack(parse_pack(HEADER + "\n".join(rules), "demo.policy"))


def test_a_request_evaluates_only_the_rules_its_facts_can_reach():
    validator = FactValidator(WORDS.actions["create_channel"])
    for pack in (keyed_pack(300), keyed_pack(300, "manager in approved_by")):
        facts = Reads(validator.normalise({"account_type": "private", "platform": "p7",
                                           "admin_count": 7}))
        [finding] = pack.plans["create_channel"](facts, dt.date(2025, 1, 1))
        assert finding.reason.rule == "r7"
        assert facts.reads["admin_count"] == 1


def test_a_set_key_reaches_its_rules_only_when_the_set_holds_the_value():
    validator = FactValidator(WORDS.actions["create_channel"])
    pack = keyed_pack(300, "manager in approved_by")
    plan = pack.plans["create_channel"]
    facts = Reads(validator.normalise({"account_type": "private", "admin_count": 8,
                                       "approved_by": ["manager"]}))
    found = [f.reason.rule for f in plan(facts, dt.date(2025, 1, 1))]
    assert found == ["r0", "r2", "r4", "r6", "r8"]
    assert facts.reads["admin_count"] == 150        # the even rules: keyed on the set
    facts = Reads(validator.normalise({"account_type": "private", "admin_count": 8}))
    assert plan(facts, dt.date(2025, 1, 1)) == []
    assert "admin_count" not in facts.reads


def test_rules_that_differ_only_in_their_values_share_their_generated_code():
    pack = keyed_pack(2000, residual="account_type == private")
    assert pack.code.count("\ndef _make") <= 3
    assert len(pack.code) < 5000


def test_compiling_leaves_the_garbage_collector_as_it_found_it():
    import gc
    assert gc.isenabled()
    keyed_pack(5)
    assert gc.isenabled()
    gc.disable()
    try:
        keyed_pack(5)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_rule_on_two_actions_keeps_its_place_in_each_plan():
    """A rule "on A, B" stands at a different place in each action's rules; with both
    plans in buckets its findings still come in rule order (the place was once that of
    the first action's plan, and the second plan's findings could not be sorted)."""
    lines = ['pack t', '  name "T"', '  dated 2020-01-01', '  version "0.1.0"',
             '  default allow', '']

    def rule(name: str, actions: str, when: str) -> None:
        lines.extend([f'rule {name}', f'  on {actions}', f'  deny when {when}',
                      '  because "b"', '  source "x"', ''])

    rule("first", "audit_channel", "monitored_daily")
    rule("shared", "create_channel, audit_channel", "listed_on_website")
    for i in range(40):
        rule(f"a{i}", "audit_channel", f"substitute_appointed and days_since_last_post == {i}")
        rule(f"c{i}", "create_channel", f"purpose_defined and admin_count == {i}")
    pack = compile_pack(parse_pack("\n".join(lines), "t.policy"))
    audit = FactValidator(contract_vocabulary().actions["audit_channel"])
    facts = audit.normalise({"monitored_daily": True, "listed_on_website": True})
    found = pack.plans["audit_channel"](facts, dt.date(2024, 1, 1))
    assert [f.reason.rule for f in found] == ["first", "shared"]
    create = FactValidator(contract_vocabulary().actions["create_channel"])
    facts = create.normalise({"account_type": "organisation", "listed_on_website": True,
                              "purpose_defined": True, "admin_count": 3})
    found = pack.plans["create_channel"](facts, dt.date(2024, 1, 1))
    assert [f.reason.rule for f in found] == ["shared", "c3"]

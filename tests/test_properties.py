"""Laws of the engine, as hypothesis properties over every installed pack and action.

Run long with ``HYPOTHESIS_PROFILE=long python -m pytest tests/test_properties.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, strategies as st

from dsl import ast
from dsl.parser import parse_pack
from engine import vocabulary as vocab
from engine.compiler import compile_pack
from engine.core import Engine
from engine.model import Decision
from engine.serialization import converter, request_from_json, to_json
from engine.validate import FactValidator
from tests import reference
from tests.conftest import PROJECT_PACKS
from tests.strategies import AT_DATES, DATES, in_order, requests
from engine import contract
from engine.contract import contract_vocabulary

WORDS = contract_vocabulary()

ROOT = Path(__file__).resolve().parent.parent
ENGINE = Engine.load(strict=True)
PACKS = list(PROJECT_PACKS)       # the laws are checked on the project's own packs


def summary(d: Decision) -> dict:
    return {"outcome": d.outcome, "steps": [s.id for s in d.steps],
            "rules": [r.rule for r in d.reasons], "by_default": d.by_default}


@given(requests(PACKS))
@example(("tyreso", "audit_channel", {"last_snapshot_on": "2025-01-31"}, dt.date(2025, 7, 31)))
@example(("vara", "create_channel", {"account_type": "organisation",
                                     "credentials_in_central_storage": True}, dt.date(2025, 1, 1)))
def test_compiled_evaluator_agrees_with_the_reference(request):
    pack_id, action, facts, at = request
    pack = ENGINE.packs[pack_id]
    normalised = FactValidator(WORDS.actions[action]).normalise(facts)
    assert summary(ENGINE.decide(pack_id, action, facts, at)) == \
        reference.decide(pack, action, normalised, at)


@given(requests(PACKS))
def test_totality(request):
    d = ENGINE.decide(*request)
    assert d.outcome in ("allow", "deny", "required_steps")
    if d.outcome == "deny":
        assert d.reasons and all(r.source.pack == d.pack for r in d.reasons)
        assert any(r.effect == "deny" for r in d.reasons)
    if d.outcome == "required_steps":
        assert d.steps
    else:
        assert d.steps == ()
    assert len({s.id for s in d.steps}) == len(d.steps)
    assert d.reasons


@given(requests(PACKS))
def test_determinism_and_json_round_trips(request):
    pack_id, action, facts, at = request
    first = json.dumps(to_json(ENGINE.decide(pack_id, action, facts, at)), ensure_ascii=False)
    again = json.dumps(to_json(ENGINE.decide(pack_id, action, dict(facts), at)), ensure_ascii=False)
    assert first == again
    decision = ENGINE.decide(pack_id, action, facts, at)
    assert converter().structure(to_json(decision), Decision) == decision
    data = {"pack": pack_id, "action": action, "facts": facts, "at": at.isoformat()}
    assert to_json(request_from_json(data)) == data


def test_determinism_across_processes_and_hash_seeds():
    import random
    rng = random.Random(7)
    batch = []
    for _ in range(300):
        action = rng.choice(sorted(WORDS.actions))
        facts = {}
        for fact in WORDS.actions[action].facts:
            t = fact.type
            if t.kind == "enum":
                facts[fact.name] = rng.choice(t.values)
            elif t.kind == "bool" and rng.random() < 0.5:
                facts[fact.name] = rng.random() < 0.5
            elif t.kind == "set" and rng.random() < 0.5:
                facts[fact.name] = rng.sample(t.element.values, rng.randrange(3))
            elif t.kind == "datetime" and (fact.required or rng.random() < 0.5):
                facts[fact.name] = f"2025-02-{rng.randrange(1, 15):02d}T{rng.randrange(24):02d}:00"
        facts = in_order(facts, [f.name for f in WORDS.actions[action].facts
                                 if f.type.kind == "datetime"])
        batch.append({"pack": rng.choice(PACKS), "action": action, "facts": facts,
                      "at": "2025-03-01T10:00"})
    outputs = []
    for seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        r = subprocess.run([sys.executable, "-m", "engine", "decide", "--input", "-",
                            "--format", "json"], input=json.dumps(batch), text=True,
                           capture_output=True, env=env, cwd=ROOT, timeout=120)
        assert r.returncode == 0, r.stderr
        outputs.append(r.stdout)
    assert outputs[0] == outputs[1]


def _with_added_deny(pack_id: str, action: str):
    pack = ENGINE.packs[pack_id]
    text = pack.ast.text + (f'\nrule added-deny\n  on {action}\n  deny when true\n  level must\n'
                            f'  because "Added."\n  source "{pack.sections[0]}"\n')
    return compile_pack(parse_pack(text, "added.policy"))


_ADDED: dict = {}
MOVES: list[str] = []  # rules whose step a move did, so a test can see the law was exercised


@given(requests(PACKS))
def test_an_added_matching_deny_always_wins(request):
    from engine.plugins import LoadedPack, make_plugin_manager
    from engine.model import PackSource
    pack_id, action, facts, at = request
    key = (pack_id, action)
    if key not in _ADDED:
        pack = _with_added_deny(pack_id, action)
        _ADDED[key] = Engine({pack_id: LoadedPack(pack, PackSource("", "added.policy"), "t", None)},
                             make_plugin_manager(entry_points=False))
    before = ENGINE.decide(pack_id, action, facts, at)
    after = _ADDED[key].decide(pack_id, action, facts, at)
    assert after.outcome == "deny"
    assert after.reasons[-1].rule == "added-deny"
    if before.outcome == "deny":
        assert after.reasons[:-1] == before.reasons


def _facts_in(expr) -> set[str]:
    """Names in a condition (facts among them)."""
    found, stack = set(), [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, ast.Name):
            found.add(e.id)
        for child in getattr(e, "items", ()) or ():
            stack.append(child)
        for attr in ("operand", "left", "right", "item", "collection", "other", "arg"):
            if getattr(e, attr, None) is not None:
                stack.append(getattr(e, attr))
    return found


def _doing_moves(action: vocab.Action, facts: dict, at: dt.date, names: set[str]):
    """Ways to do a step: set one of its facts to a value that does more, never less."""
    for fact in action.facts:
        if fact.name not in names and not (fact.name == "credentials_held_by"
                                           and "credential_holders" in names) and not (
                fact.name == "credentials_in_central_storage" and "credential_holders" in names):
            continue
        t, current = fact.type, facts.get(fact.name)
        if t.kind == "bool" and not current:
            yield {**facts, fact.name: True}
        elif t.kind == "set":
            for value in t.element.values:
                if value not in (current or []):
                    yield {**facts, fact.name: list(current or []) + [value]}
        elif t.kind == "date":
            yield {**facts, fact.name: at.isoformat()}
        elif t.kind == "int":
            yield {**facts, fact.name: (current or 0) + 1}


@given(requests(PACKS))
def test_doing_a_required_step_never_adds_a_step_or_a_deny(request):
    pack_id, action_name, facts, at = request
    before = ENGINE.decide(pack_id, action_name, facts, at)
    if before.outcome != "required_steps":
        return
    pack, action = ENGINE.packs[pack_id], WORDS.actions[action_name]
    unmet_rules = {r.rule for r in before.reasons}
    for rule in pack.rules_for(action_name):
        if rule.id not in unmet_rules or rule.ast.done is None:
            continue
        env = dict(rule.bindings)
        for moved in _doing_moves(action, facts, at, _facts_in(rule.ast.done)):
            normalised = FactValidator(action).normalise(moved)
            if not reference.holds(rule.ast.done, normalised, at, pack, env):
                continue                                  # not a way to do this step
            MOVES.append(rule.id)
            after = ENGINE.decide(pack_id, action_name, moved, at)
            assert after.outcome != "deny", (rule.id, moved)
            assert len(after.steps) <= len(before.steps), (rule.id, moved)
            assert set(s.id for s in after.steps) <= set(s.id for s in before.steps), (rule.id, moved)


@pytest.mark.parametrize("pack_id", [p for p in PACKS
                                     if ENGINE.packs[p].topics["snapshot_interval"].value])
@given(last=DATES, at=AT_DATES)
@example(last=dt.date(2024, 8, 31), at=dt.date(2025, 2, 28))
@example(last=dt.date(2024, 2, 29), at=dt.date(2025, 2, 28))
def test_snapshot_falls_due_exactly_when_the_interval_topic_says(pack_id, last, at):
    pack = ENGINE.packs[pack_id]
    months = contract.INTERVAL_MONTHS[pack.topics["snapshot_interval"].value]
    d = ENGINE.decide(pack_id, "audit_channel", {"last_snapshot_on": last.isoformat()}, at)
    due = at >= vocab.add_months(last, months)
    assert ("archive-snapshot" in [s.id for s in d.steps]) is due


@given(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
       st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)))
@example(dt.date(2025, 1, 31), dt.date(2025, 7, 30))
@example(dt.date(2024, 2, 29), dt.date(2025, 2, 28))
def test_months_since_is_the_largest_whole_number_of_months(day, at):
    m = vocab.months_since(day, at)
    assert vocab.add_months(day, m) <= at < vocab.add_months(day, m + 1)


@given(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)), st.integers(-240, 240))
def test_add_months_keeps_the_day_or_clamps_to_month_end(day, n):
    later = vocab.add_months(day, n)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == n
    assert later.day == day.day or (later.day < day.day
                                    and (later + dt.timedelta(days=1)).day == 1)


def test_the_doing_law_was_exercised():
    """Guard against the property above passing vacuously."""
    if not MOVES:
        test_doing_a_required_step_never_adds_a_step_or_a_deny()
    assert len(set(MOVES)) >= 10

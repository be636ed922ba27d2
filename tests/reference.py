"""A deliberately naive reference evaluator, used only as a test oracle.

It walks the rule AST directly (no compilation, no indexing, no generated code) and
applies the contract's combining rules in a few lines. Keep it small and obviously right:
the property tests check the engine against it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dsl import ast
from engine import vocabulary as vocab
from engine import contract


def value(e: Any, facts: dict, at: dt.date, pack: Any, env: dict) -> Any:
    if isinstance(e, ast.Name):
        if e.id in env:
            return env[e.id]
        if e.id in facts:
            return facts[e.id]
        if e.id in pack.topics:
            v = pack.topics[e.id].value
            return frozenset(v) if isinstance(v, list) else v
        return e.id                                  # an enum value
    if isinstance(e, ast.Field):
        return frozenset(pack.topics[e.base].value[e.field])
    if isinstance(e, ast.Constant):
        return e.value
    if isinstance(e, ast.ListValue):
        return frozenset(value(i, facts, at, pack, env) for i in e.items)
    if isinstance(e, ast.Call):
        d = value(e.arg, facts, at, pack, env)
        if d is None:
            return None
        return vocab.months_since(d, at) if e.func == "months_since" else vocab.days_since(d, at)
    return holds(e, facts, at, pack, env)


def holds(e: Any, facts: dict, at: dt.date, pack: Any, env: dict) -> bool:
    v = lambda x: value(x, facts, at, pack, env)  # noqa: E731
    if isinstance(e, ast.And):
        return all(holds(i, facts, at, pack, env) for i in e.items)
    if isinstance(e, ast.Or):
        return any(holds(i, facts, at, pack, env) for i in e.items)
    if isinstance(e, ast.Not):
        return not holds(e.operand, facts, at, pack, env)
    if isinstance(e, ast.IsSet):
        return (v(e.operand) is None) == e.negated
    if isinstance(e, ast.Compare):
        left, right = v(e.left), v(e.right)
        if left is None or right is None:
            return False
        if isinstance(left, str) and left in contract.INTERVAL_MONTHS and isinstance(right, int):
            left = contract.INTERVAL_MONTHS[left]
        if isinstance(right, str) and right in contract.INTERVAL_MONTHS and isinstance(left, int):
            right = contract.INTERVAL_MONTHS[right]
        return {"==": left == right, "!=": left != right, "<": left < right,
                "<=": left <= right, ">": left > right, ">=": left >= right}[e.op]
    if isinstance(e, ast.Membership):
        item, coll = v(e.item), v(e.collection)
        if item is None:
            return False
        return (item in coll) != e.negated
    if isinstance(e, ast.Contains):
        coll, other = v(e.collection), v(e.other)
        if other is None:
            return False
        return {"one": lambda: other in coll, "all": lambda: other <= coll,
                "any": lambda: bool(coll & other)}[e.mode]()
    result = v(e)
    assert isinstance(result, bool), e
    return result


def decide(pack: Any, action: str, facts: dict, at: dt.date) -> dict:
    """Outcome, step ids, reason rule ids and by_default, by walking the AST."""
    denies, unmet, spoke = [], [], []
    for rule in pack.ast.rules:
        if action not in rule.actions:
            continue
        envs = [{}]
        if rule.for_each is not None:
            envs = [{rule.for_each.var: r} for r in pack.topics[rule.for_each.topic].value]
        for env in envs:
            if isinstance(rule.effect, ast.Effect) and rule.effect.kind == "only":
                # allow what the condition names, deny everything else
                permitted = holds(rule.when, facts, at, pack, env)
                (spoke if permitted else denies).append(rule.id)
                continue
            if rule.when is not None and not holds(rule.when, facts, at, pack, env):
                continue
            if isinstance(rule.effect, ast.Effect):
                (denies if rule.effect.kind == "deny" else spoke).append(rule.id)
                continue
            step = rule.effect.step + "".join(f"-{x}" for x in env.values())
            if rule.done is not None and holds(rule.done, facts, at, pack, env):
                spoke.append(rule.id)
            else:
                unmet.append((rule.id, step))
    if denies:
        return {"outcome": "deny", "steps": [], "rules": denies, "by_default": False}
    if unmet:
        steps = list(dict.fromkeys(s for _, s in unmet))
        return {"outcome": "required_steps", "steps": steps, "rules": [r for r, _ in unmet],
                "by_default": False}
    if spoke:
        return {"outcome": "allow", "steps": [], "rules": spoke, "by_default": False}
    return {"outcome": pack.default, "steps": [], "rules": ["default"], "by_default": True}

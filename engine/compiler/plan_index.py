"""The plan index: which fact an action's plan is split on, read off the rules' syntax.

Where an action has a required choice fact that rules test (``content_category``,
``page_category``, …), or a number fact that rules compare with ``==`` to constants, the
generated plan is one function per value and a table lookup picks it. These helpers look
only at the rules' ASTs, before any code is generated.
"""

from __future__ import annotations

from typing import Any

from dsl import ast
from engine import vocabulary as vocab
from engine.compiler.compiled import CompiledRule


def index_fact(action: vocab.Action,
                rules: list[CompiledRule]) -> tuple[vocab.Fact, list[Any]] | None:
    """The fact to index an action's plan on, with the values to index: a required choice
    fact that rules test (all its values), or a number fact that rules compare with ``==``
    to constants (those constants). The one the most rules test wins; None if none."""
    best, best_count = None, 0
    for fact in action.facts:
        kind = fact.type.kind
        if not ((fact.required and kind == "enum") or kind == "int"):
            continue
        count, constants = 0, set()
        for rule in rules:
            parts = conjuncts(rule.ast.when)
            if kind == "enum" and any(tests_fact(part, fact.name) for part in parts):
                count += 1
            elif kind == "int":
                found = {c for part in parts for c in int_equal(part, fact.name)}
                count += bool(found)
                constants |= found
        if count > best_count:
            values = list(fact.type.values) if kind == "enum" else sorted(constants)
            best, best_count = (fact, values), count
    return best


def conjuncts(when: ast.Expr | None) -> tuple[ast.Expr, ...]:
    return when.items if isinstance(when, ast.And) else (when,) if when is not None else ()


def int_equal(expr: ast.Expr, name: str) -> set[int]:
    """The constant in ``name == N`` (either way round), if ``expr`` is that."""
    if isinstance(expr, ast.Compare) and expr.op == "==":
        for a, b in ((expr.left, expr.right), (expr.right, expr.left)):
            if a == ast.Name(name) and isinstance(b, ast.Constant) and type(b.value) is int:
                return {b.value}
    return set()


def literal_equal(part: ast.Expr, fact: vocab.Fact) -> set[Any]:
    """The literal in ``fact == X`` (a number, or one of the fact's choices), if ``part``
    is that."""
    if not (isinstance(part, ast.Compare) and part.op == "=="):
        return set()
    for a, b in ((part.left, part.right), (part.right, part.left)):
        if a == ast.Name(fact.name):
            if isinstance(b, ast.Constant) and type(b.value) is int:
                return {b.value}
            if isinstance(b, ast.Name) and b.id in fact.type.values:
                return {b.id}
    return set()


def excludes(part: ast.Expr, fact: vocab.Fact | vocab.DerivedFact | None, value: object) -> bool:
    """Whether ``part`` is plainly false when ``fact`` has ``value``: ``fact == X`` with a
    literal X (a number, or one of the fact's choices) other than ``value``. A quick,
    syntactic test made before any code is generated."""
    if fact is None or not (isinstance(part, ast.Compare) and part.op == "=="):
        return False
    for a, b in ((part.left, part.right), (part.right, part.left)):
        if a != ast.Name(fact.name):
            continue
        if isinstance(b, ast.Constant) and type(b.value) is int and type(value) is int:
            return b.value != value
        if isinstance(b, ast.Name) and b.id in fact.type.values:
            return b.id != value
    return False


def equals_any(when: ast.Expr | None, name: str, values: list[Any]) -> bool:
    """Whether a top-level part of ``when`` needs ``name`` to equal one of ``values``."""
    return any(int_equal(part, name) & set(values) for part in conjuncts(when))


def tests_fact(expr: ast.Expr, name: str) -> bool:
    if isinstance(expr, ast.Compare):
        return ast.Name(name) in (expr.left, expr.right)
    if isinstance(expr, ast.Membership):
        return expr.item == ast.Name(name)
    return False

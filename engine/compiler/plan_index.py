"""The plan index: what each rule needs of a request's facts, read off the rules' syntax.

For every rule the index looks at the top-level parts of its ``when`` (``A and B and
…``) and picks the one that can serve as a key: a test of one of the request's own facts
against values known at load (literals, topic settings, a ``for each`` value):

* ``eq``: the fact's value is one of ``values`` (``x == a``, ``x in [a, b]``,
  ``x != a`` and ``not (x == a)`` for a choice or a bool, ``b`` and ``not b`` for a bool,
  ``x is missing``); ``None`` among the values stands for a missing fact;
* ``has``: the set fact holds ``value`` (``a in S``, ``S contains a``, ``S contains all
  [a, …]``);
* ``lacks``: the set fact does not hold ``value`` (``a not in S``, ``not (S contains a)``).

Each key is a condition the part cannot hold without (for ``exact`` keys, one that is
the part), so a request only needs the rules whose keys it satisfies; everything else
in a rule's condition is still evaluated. Derived facts, numbers compared by order,
dates and anything else are not keys. These helpers look only at the rules' ASTs and
the pack's topic settings, before any code is generated.
"""

from __future__ import annotations

from typing import Any, Mapping

import attrs

from dsl import ast
from engine import vocabulary as vocab
from engine.compiler.compiled import CompiledRule, TopicValue

#: The share of requests a key lets through, for a number or a text (unbounded values).
UNBOUNDED = 1e-6
#: The share assumed for a set holding (or lacking) one value.
HAS, LACKS = 0.3, 0.7
_SCALARS = ("bool", "int", "string", "enum")


@attrs.frozen
class Key:
    """What one part of a rule's condition needs of one fact (see the module)."""

    fact: str
    kind: str                       # eq | has | lacks
    values: frozenset[Any]
    part: ast.Expr                  # the top-level part the key was read from
    exact: bool                     # the key holds exactly when the part does
    share: float                    # the share of requests expected to satisfy it
    #: ``values`` were worked out from the fact's choices (``x != a``): a value outside
    #: them (not one the vocabulary knows) must still reach the rule
    complement: bool = False


def conjuncts(when: ast.Expr | None) -> tuple[ast.Expr, ...]:
    return when.items if isinstance(when, ast.And) else (when,) if when is not None else ()


def best_key(rule: CompiledRule, facts: Mapping[str, vocab.Fact | vocab.DerivedFact],
             topics: Mapping[str, TopicValue]) -> Key | None:
    """The most selective key among the top-level parts of ``rule``'s condition (its
    action's ``facts`` by name), or None when no part can serve (or none lets through
    fewer than all requests)."""
    reader = _Reader(facts, dict(rule.bindings), topics)
    best = None
    for part in conjuncts(rule.ast.when):
        key = reader.key(part, part, False)
        if key is not None and key.share < 1 and (best is None or key.share < best.share):
            best = key
    return best


class _Reader:
    def __init__(self, facts: Mapping[str, vocab.Fact | vocab.DerivedFact],
                 bindings: Mapping[str, str], topics: Mapping[str, TopicValue]) -> None:
        self.facts, self.bindings, self.topics = facts, bindings, topics

    def fact(self, e: ast.Expr, kinds: tuple[str, ...]) -> vocab.Fact | None:
        """The request fact ``e`` names, if it is one of ``kinds`` (derived: no)."""
        if not isinstance(e, ast.Name) or e.id in self.bindings:
            return None
        fact = self.facts.get(e.id)
        return fact if isinstance(fact, vocab.Fact) and fact.type.kind in kinds else None

    def const(self, e: ast.Expr, t: vocab.Type) -> frozenset[Any] | None:
        """The values ``e`` stands for, when it is known at load and fits ``t`` (a set of
        one for a single value); None otherwise."""
        if isinstance(e, ast.Constant):
            return frozenset((e.value,)) if _fits(e.value, t) else None
        if isinstance(e, ast.Name):
            if e.id in self.bindings:
                value: Any = self.bindings[e.id]
            elif e.id in self.facts:
                return None
            elif e.id in self.topics:
                value = self.topics[e.id].value
            elif t.kind == "enum":
                value = e.id
            else:
                return None
        elif isinstance(e, ast.Field):
            topic = self.topics.get(e.base)
            if topic is None or not isinstance(topic.value, Mapping):
                return None
            value = topic.value.get(e.field)
        elif isinstance(e, ast.ListValue):
            element = t.element_type if t.kind == "set" else t
            values = [self.const(item, element) for item in e.items]
            if any(v is None or len(v) != 1 for v in values):
                return None
            return frozenset(next(iter(v)) for v in values if v)
        else:
            return None
        items = value if isinstance(value, (list, tuple)) else (value,)
        return frozenset(items) if all(_fits(v, t) for v in items) else None

    def key(self, e: ast.Expr, part: ast.Expr, negated: bool) -> Key | None:
        """A key for ``e`` (``not e`` when ``negated``), read from top-level ``part``."""
        if isinstance(e, ast.Not):
            return self.key(e.operand, part, not negated)
        if isinstance(e, (ast.And, ast.Or)):
            keys = [self.key(item, part, negated) for item in e.items]
            if isinstance(e, ast.And) != negated:      # all must hold: any one is a key
                found = [k for k in keys if k is not None]
                return attrs.evolve(min(found, key=lambda k: k.share), exact=False) if found else None
            # one of them holds: a key only if they all test one scalar fact
            known = [k for k in keys if k is not None and k.kind == "eq"]
            if len(known) < len(keys) or any(k.fact != known[0].fact for k in known):
                return None
            values = frozenset().union(*(k.values for k in known))
            complement = any(k.complement for k in known)
            return self.eq(known[0].fact, values, part, False, complement)
        if isinstance(e, ast.Name):
            fact = self.fact(e, ("bool",))
            return self.eq(fact.name, frozenset((not negated,)), part, True) if fact else None
        if isinstance(e, ast.Compare) and e.op in ("==", "!="):
            for side, other in ((e.left, e.right), (e.right, e.left)):
                fact = self.fact(side, _SCALARS)
                given = self.const(other, fact.type) if fact is not None else None
                if fact is not None and given is not None:
                    return self.scalar(fact, given, e.op == "!=", negated, part)
            return None
        if isinstance(e, ast.Membership):
            fact = self.fact(e.item, _SCALARS)
            if fact is not None:
                listed = self.const(e.collection, fact.type)
                return (self.scalar(fact, listed, e.negated, negated, part)
                        if listed is not None else None)
            return self.member(e.collection, e.item, "one", e.negated != negated, part)
        if isinstance(e, ast.Contains):
            return self.member(e.collection, e.other, e.mode, negated, part)
        if isinstance(e, ast.IsSet):
            fact = self.fact(e.operand, _SCALARS)
            if fact is None:
                return None
            missing = e.negated != negated
            domain = _domain(fact)
            if missing:
                return self.eq(fact.name, frozenset((None,)), part, True)
            return (self.eq(fact.name, domain - {None}, part, True, True)
                    if domain is not None else None)
        return None

    def scalar(self, fact: vocab.Fact, values: frozenset[Any], outside: bool,
               negated: bool, part: ast.Expr) -> Key | None:
        """``fact`` in ``values`` (``outside``: not in them; a missing fact makes either
        false), negated when ``negated`` (a missing fact then makes it true)."""
        nullable = fact.default is None and not fact.required
        domain = _domain(fact)
        if not outside and not negated:
            return self.eq(fact.name, values, part, True)
        if domain is None:
            return None          # a number or a text other than some: nearly every request
        present = domain - {None}
        if outside and not negated:
            return self.eq(fact.name, present - values, part, True, True)
        missing = frozenset((None,)) if nullable else frozenset()
        kept = values & present if outside else present - values
        return self.eq(fact.name, kept | missing, part, True, not outside)

    def member(self, coll: ast.Expr, item: ast.Expr, mode: str, negated: bool,
               part: ast.Expr) -> Key | None:
        """``coll contains item`` (``mode`` one, all or any), negated when ``negated``."""
        fact = self.fact(coll, ("set",))
        if fact is None:
            return None
        values = self.const(item, fact.type.element_type if mode == "one" else fact.type)
        if not values:
            return None
        first = min(values, key=str)
        if mode == "one" or len(values) == 1:
            kind, exact = ("lacks" if negated else "has"), True
        elif (mode == "all") != negated:
            kind, exact = ("has" if mode == "all" else "lacks"), False
        else:
            return None          # some of them held, or not all of them: no single value
        return Key(fact.name, kind, frozenset((first,)), part, exact,
                   HAS if kind == "has" else LACKS)

    def eq(self, fact: str, values: frozenset[Any], part: ast.Expr, exact: bool,
           complement: bool = False) -> Key:
        found = self.facts[fact]
        assert isinstance(found, vocab.Fact)
        domain = _domain(found)
        share = (len(values) / (len(domain) + (None not in domain)) if domain is not None
                 else len(values) * UNBOUNDED)
        return Key(fact, "eq", values, part, exact, share, complement)


def _domain(fact: vocab.Fact) -> frozenset[Any] | None:
    """Every value a request can give ``fact`` (None when missing), if there are few."""
    nullable = fact.default is None and not fact.required
    missing = frozenset((None,)) if nullable else frozenset()
    if fact.type.kind == "bool":
        return frozenset((True, False)) | missing
    if fact.type.kind == "enum":
        return frozenset(fact.type.values) | missing
    return None


def _fits(value: Any, t: vocab.Type) -> bool:
    """Whether ``value`` is a value of the scalar type ``t`` (for a set: of its element)."""
    if t.kind == "set" and t.element is not None:
        t = t.element
    if t.kind in ("enum", "string"):
        return isinstance(value, str)
    if t.kind == "int":
        return type(value) is int
    if t.kind == "bool":
        return type(value) is bool
    return False

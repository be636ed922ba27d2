"""Trace a decision: evaluate a pack's rules for one request and record why.

``trace(pack, action, facts, at)`` evaluates every rule of ``pack`` for ``action`` by
walking the rule's AST (not the code the compiler generated) and hands on a
:class:`Trace`: per rule, whether its ``when`` held, whether its ``done when`` held, the
finding it yields (the compiled rule's own finding, so the trace can be combined like
the engine's), and for each condition a :class:`Check` tree saying which parts held,
which failed, and the fact, topic and loop values each part read.

``facts`` are validated facts (``engine.validate``): every fact of the action present,
sets as frozensets, dates as ``datetime.date``, derived facts computed. The semantics are
the language's (``docs/language.md``): absent bool, int and set facts are false, 0 and
empty; other absent facts are missing (``None``) and every comparison with a missing
value is false; ``is set`` / ``is missing`` test for a missing value; an interval topic
compared with a number means its months (``contract.INTERVAL_MONTHS``);
``months_since`` and ``days_since`` are ``vocabulary``'s. ``combining`` names the step of
the combining rules (``engine.decide``) that produces the outcome of a set of findings.

``render`` writes a condition back as source text; the trace views
(``engine.explain.trace_views``) print all of this.
"""

from __future__ import annotations

import datetime as dt
import operator
from typing import Any, Callable, Mapping

import attrs

from dsl import ast
from engine import vocabulary as vocab
from engine.contract import INTERVAL_MONTHS
from engine.compiler import CompiledPack, CompiledRule
from engine.model import Finding


@attrs.frozen
class Seen:
    """A value a condition read: a fact, a topic (or one of its fields), a loop name, or
    a function's result. ``value`` is JSON-ready (sets as sorted lists, dates as ISO);
    None means missing."""

    name: str
    value: Any


@attrs.frozen
class Check:
    """One condition, or one part of a condition, and whether it held.

    ``parts`` are the operands of ``and`` / ``or`` / ``not``; a comparison, membership,
    ``contains``, ``is set`` or a bare true/false fact has none and lists in ``seen``
    what it read.
    """

    text: str
    held: bool
    seen: tuple[Seen, ...] = ()
    op: str | None = None                       # and | or | not; None for a leaf
    parts: tuple["Check", ...] = ()

    @property
    def missing(self) -> tuple[str, ...]:
        """The names this part read whose value was missing."""
        return tuple(s.name for s in self.seen if s.value is None)

    def failed(self) -> tuple["Check", ...]:
        """The leaf parts that made this check fail (for a held check: none).

        For ``and`` the parts that did not hold; for ``or`` every part; for ``not`` the
        parts that made its operand hold.
        """
        if self.held:
            return ()
        if not self.parts:
            return (self,)
        if self.op == "not":
            return self.parts[0].supporting()
        return tuple(leaf for part in self.parts if not part.held for leaf in part.failed())

    def supporting(self) -> tuple["Check", ...]:
        """The leaf parts that made this check hold (for a failed check: none)."""
        if not self.held:
            return ()
        if not self.parts:
            return (self,)
        if self.op == "not":
            return self.parts[0].failed()
        return tuple(leaf for part in self.parts if part.held for leaf in part.supporting())


@attrs.frozen
class RuleTrace:
    """One rule (after ``for each`` expansion) evaluated against the request.

    ``finding`` is what the rule yields: a deny or allow that held, a requirement met or
    unmet, or None when the rule does not speak (its ``when`` did not hold).
    """

    rule: str
    kind: str                                   # allow | deny | require
    level: str
    section: str | None
    bindings: tuple[tuple[str, str], ...]
    applies: bool                               # the rule's ``when`` held (or it has none)
    when: Check | None
    done: Check | None                          # require rules that apply and have ``done when``
    finding: Finding | None


@attrs.frozen
class Combining:
    """Which step of the combining rules produced the outcome, and from which rules."""

    step: int                                   # 1 deny, 2 unmet steps, 3 allow, 4 default
    outcome: str
    rules: tuple[str, ...]
    text: str


@attrs.frozen
class Trace:
    pack: str
    action: str
    at: dt.date
    rules: tuple[RuleTrace, ...]

    @property
    def findings(self) -> list[Finding]:
        """The rules' findings in rule order: what the compiled plan returns."""
        return [r.finding for r in self.rules if r.finding is not None]


def trace(pack: CompiledPack, action: str, facts: Mapping[str, Any], at: dt.date) -> Trace:
    """Evaluate every rule of ``pack`` for ``action`` and record each condition."""
    spec = pack.vocabulary.actions[action]
    rules = tuple(_trace_rule(pack, rule, spec, facts, at) for rule in pack.rules_for(action))
    return Trace(pack.id, action, at, rules)


def combining(findings: list[Finding], default: str) -> Combining:
    """Name the combining step that turns ``findings`` into an outcome."""
    from engine.phrases import phrase
    denies = [f.reason.rule for f in findings if f.kind == "deny"]
    if denies:
        return Combining(1, "deny", tuple(denies), phrase("trace:step1", "en"))
    unmet = [f.reason.rule for f in findings if f.kind == "unmet"]
    if unmet:
        return Combining(2, "required_steps", tuple(unmet), phrase("trace:step2", "en"))
    spoke = [f.reason.rule for f in findings]
    if spoke:
        return Combining(3, "allow", tuple(spoke), phrase("trace:step3", "en"))
    return Combining(4, default, ("default",), phrase("trace:step4", "en").format(default=default))


# ---- rules ---------------------------------------------------------------------------

def _trace_rule(pack: CompiledPack, rule: CompiledRule, action: vocab.Action,
                facts: Mapping[str, Any], at: dt.date) -> RuleTrace:
    env = _Env(pack, action, facts, at, dict(rule.bindings))
    node = rule.ast
    when = env.check(node.when) if node.when is not None else None
    applies = when is None or when.held
    done = None
    finding = None
    if applies:
        if rule.kind == "require":
            if node.done is not None:
                done = env.check(node.done)
            finding = rule.met if done is not None and done.held else rule.matched
        else:
            finding = rule.matched
    return RuleTrace(rule.id, rule.kind, rule.level, rule.source, rule.bindings, applies,
                     when, done, finding)


# ---- conditions ----------------------------------------------------------------------

_COMPARE: Mapping[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}
_FUNCTIONS: Mapping[str, Callable[[dt.date, dt.date], int]] = {
    "months_since": vocab.months_since, "days_since": vocab.days_since,
}


class _Env:
    """Evaluates one rule's expressions against one request."""

    def __init__(self, pack: CompiledPack, action: vocab.Action, facts: Mapping[str, Any],
                 at: dt.date, bindings: Mapping[str, str]) -> None:
        self.pack = pack
        self.action = action
        self.facts = facts
        self.at = at
        self.bindings = bindings

    def check(self, e: ast.Expr) -> Check:
        if isinstance(e, ast.And):
            parts = tuple(self.check(item) for item in e.items)
            return Check(render(e), all(p.held for p in parts), op="and", parts=parts)
        if isinstance(e, ast.Or):
            parts = tuple(self.check(item) for item in e.items)
            return Check(render(e), any(p.held for p in parts), op="or", parts=parts)
        if isinstance(e, ast.Not):
            inner = self.check(e.operand)
            return Check(render(e), not inner.held, op="not", parts=(inner,))
        seen: list[Seen] = []
        held = self.test(e, seen)
        unique: list[Seen] = []
        for item in seen:
            if item not in unique:
                unique.append(item)
        return Check(render(e), held, tuple(unique))

    def test(self, e: ast.Expr, seen: list[Seen]) -> bool:
        """The truth of a leaf condition; every comparison with a missing value is false."""
        if isinstance(e, ast.Compare):
            left, right = self.pair(e.left, e.right, seen)
            return left is not None and right is not None and _COMPARE[e.op](left, right)
        if isinstance(e, ast.Membership):
            item, coll = self.value(e.item, seen), self.value(e.collection, seen)
            if item is None or coll is None:
                return False
            return (item not in coll) if e.negated else (item in coll)
        if isinstance(e, ast.Contains):
            coll, other = self.value(e.collection, seen), self.value(e.other, seen)
            if coll is None or other is None:
                return False
            if e.mode == "one":
                return other in coll
            if e.mode == "all":
                return bool(other <= coll)
            return not coll.isdisjoint(other)
        if isinstance(e, ast.IsSet):
            value = self.value(e.operand, seen)
            return (value is None) if e.negated else (value is not None)
        value = self.value(e, seen)                 # a bare true/false fact or constant
        return value is True

    def pair(self, left: ast.Expr, right: ast.Expr, seen: list[Seen]) -> tuple[Any, Any]:
        """Both sides of a comparison; an interval topic beside a number means months."""
        return (self.value(left, seen, months=self.is_number(right)),
                self.value(right, seen, months=self.is_number(left)))

    def is_number(self, e: ast.Expr) -> bool:
        if isinstance(e, ast.Call):
            return True
        if isinstance(e, ast.Constant):
            return type(e.value) is int
        if isinstance(e, ast.Name) and e.id not in self.bindings:
            fact = self.action.fact(e.id)
            return fact is not None and fact.type.kind == "int"
        return False

    def value(self, e: ast.Expr, seen: list[Seen], months: bool = False) -> Any:
        if isinstance(e, ast.Name):
            return self.name(e.id, seen, months)
        if isinstance(e, ast.Field):
            value = frozenset(self.pack.topics[e.base].value[e.field])
            seen.append(Seen(f"{e.base}.{e.field}", _json(value)))
            return value
        if isinstance(e, ast.Call):
            arg = self.value(e.arg, seen)
            result = None if arg is None else _FUNCTIONS[e.func](arg, self.at)
            seen.append(Seen(render(e), result))
            return result
        if isinstance(e, ast.Constant):
            return e.value
        if isinstance(e, ast.ListValue):
            return frozenset(item.id if isinstance(item, ast.Name) else item.value
                             for item in e.items)
        raise TypeError(f"not a value: {render(e)}")   # conditions are checked by the compiler

    def name(self, name: str, seen: list[Seen], months: bool) -> Any:
        if name in self.bindings:
            value: Any = self.bindings[name]
        elif self.action.fact(name) is not None:
            value = self.facts[name]
        elif name in self.pack.vocabulary.topics:
            value = self.pack.topics[name].value
            topic_type = self.pack.vocabulary.topics[name].type
            if topic_type.is_enum("interval") and months:
                value = INTERVAL_MONTHS[value]
                seen.append(Seen(f"{name} (months)", value))
                return value
            if topic_type.kind == "set":
                value = frozenset(value)
        else:
            return name                              # a bare enum value: page_category == own
        seen.append(Seen(name, _json(value)))
        return value


def _json(value: Any) -> Any:
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# ---- rendering conditions back to source ---------------------------------------------

_PRECEDENCE = {ast.Or: 1, ast.And: 2, ast.Not: 3}


def render(e: ast.Expr) -> str:
    """The condition as source text (canonical spacing, parentheses only where needed)."""
    if isinstance(e, ast.Or):
        return " or ".join(_wrap(item, 1) for item in e.items)
    if isinstance(e, ast.And):
        return " and ".join(_wrap(item, 2) for item in e.items)
    if isinstance(e, ast.Not):
        return "not " + _wrap(e.operand, 3)
    if isinstance(e, ast.Compare):
        return f"{render(e.left)} {e.op} {render(e.right)}"
    if isinstance(e, ast.Membership):
        return f"{render(e.item)} {'not in' if e.negated else 'in'} {render(e.collection)}"
    if isinstance(e, ast.Contains):
        mode = "" if e.mode == "one" else f" {e.mode}"
        return f"{render(e.collection)} contains{mode} {render(e.other)}"
    if isinstance(e, ast.IsSet):
        return f"{render(e.operand)} is {'missing' if e.negated else 'set'}"
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Field):
        return f"{e.base}.{e.field}"
    if isinstance(e, ast.Call):
        return f"{e.func}({render(e.arg)})"
    if isinstance(e, ast.ListValue):
        return "[" + ", ".join(render(item) for item in e.items) + "]"
    if isinstance(e, ast.Constant):
        v = e.value
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return v.isoformat() if isinstance(v, dt.date) else str(v)
    raise TypeError(f"cannot render {type(e).__name__}")


def _wrap(e: ast.Expr, level: int) -> str:
    text = render(e)
    inner = _PRECEDENCE.get(type(e), 4)
    return f"({text})" if inner <= level and not (inner == level == 3) else text

"""Type checking of conditions against the vocabulary, producing their code.

Each ``expr_*`` method checks one kind of AST expression in a :class:`Scope` (an action,
its ``for each`` names and any facts already known) and returns :class:`Typed`: the Python
code that computes it, its type, and whether it can be missing. A problem is recorded as a
positioned error (with "did you mean") and :class:`Bad` is raised so that the enclosing
rule is skipped while checking goes on; every error is collected.

:class:`Checker` also holds the state the compiler's later steps share: the pack, the
collected errors and the namespace the generated code runs in.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, Callable, Mapping, NamedTuple

import attrs

from dsl import ast
from engine import vocabulary as vocab
from engine.compiler.compiled import TopicValue
from engine.contract import INTERVAL_MONTHS
from engine.errors import PackCompileError, SourceError, Span, did_you_mean, one_of, with_articles


class Typed(NamedTuple):
    code: str
    type: vocab.Type
    nullable: bool = False


class Bad(Exception):
    """An expression could not be typed; the error is already recorded."""


@attrs.frozen
class Scope:
    action: vocab.Action
    vars: Mapping[str, vocab.Type]
    pinned: Mapping[str, Any] = attrs.field(factory=dict)   # facts whose value is known



_FUNCTIONS = {"months_since": "_months_since", "days_since": "_days_since"}



class Checker:
    """Checks expressions and collects errors; the base of the compiler's steps."""

    topics: dict[str, TopicValue]

    def __init__(self, pack: ast.Pack, vocabulary: vocab.Vocabulary) -> None:
        self.pack = pack
        self.vocabulary = vocabulary
        self.errors: list[SourceError] = []
        self.constants: dict[Any, str] = {}
        self.namespace: dict[str, Any] = {
            "_months_since": vocab.months_since, "_days_since": vocab.days_since,
        }
        self.temp = itertools.count()
        self.bad_topics: set[str] = set()     # set with a value that has errors
        self.fact_names: dict[str, dict[str, vocab.Fact | vocab.DerivedFact]] = {}
        self.topics = {}

    # ---- errors -------------------------------------------------------------------
    def error(self, message: str, span: Span | None, code: str = "compile") -> None:
        err = PackCompileError.at(with_articles(message), span, self.pack.text, code=code)
        if not any(e.render() == err.render() for e in self.errors):
            self.errors.append(err)

    def facts_of(self, action: vocab.Action) -> Mapping[str, vocab.Fact | vocab.DerivedFact]:
        """``action``'s facts and derived facts by name (``Action.fact`` looks through
        them one by one: typing 20,000 rules asks it hundreds of thousands of times)."""
        found = self.fact_names.get(action.name)
        if found is None:
            found = self.fact_names[action.name] = {   # the first of a name, as Action.fact
                f.name: f for f in reversed(action.facts + action.derived)}
        return found

    # ---- expressions --------------------------------------------------------------
    def check_section(self, section: str | None, span: Span | None) -> None:
        sections = self.pack.header.sections
        if section is not None and sections and section not in sections:
            hint = did_you_mean(section, sections) or f"; they are {one_of(sections, limit=6)}"
            self.error(f"section \"{section}\" is not among the document's sections listed in "
                       f"the header{hint}", span, "unknown-section")

    def literal(self, value: ast.Value, t: vocab.Type) -> Any:
        """A literal value of type ``t`` in JSON-ready form (lists stay in written order)."""
        if t.kind == "set":
            if not isinstance(value, ast.ListValue):
                self.error(f"expected a list of {t.element_type.name} values, e.g. "
                           f"[{t.element_type.values[0]}]", value.span, "type")
                raise Bad
            items = [self.literal(item, t.element_type) for item in value.items]
            if len(set(items)) != len(items):
                twice = next(i for i in items if items.count(i) > 1)
                self.error(f"the list names '{twice}' twice; name each value once", value.span,
                           "type")
            return items
        if t.kind == "enum":
            if isinstance(value, ast.Name) and value.id in t.values:
                return value.id
            shown = value.id if isinstance(value, ast.Name) else source_of(value)
            self.error(f"'{shown}' is not a {t.name} value{did_you_mean(shown, t.values)}; "
                       f"valid values are {one_of(t.values)}", value.span, "unknown-value")
            raise Bad
        if t.kind == "int":
            if isinstance(value, ast.Constant) and type(value.value) is int:
                return value.value
            self.error(f"expected a whole number of {t.name}, e.g. 24", value.span, "type")
            raise Bad
        self.error(f"expected a {t.name} value", value.span, "type")
        raise Bad

    def condition(self, expr: ast.Expr, scope: Scope) -> Typed | None:
        try:
            typed = self.expr(expr, scope)
        except Bad:
            return None
        if typed.type.kind != "bool":
            self.error(f"a condition must be true or false, but this is a {typed.type.name}; "
                       f"{_condition_hint(expr, typed.type)}", expr.span, "type")
            return None
        return typed

    def const(self, value: Any) -> str:
        if isinstance(value, (bool, int, str)) or value is None:
            return repr(value)
        key = (type(value).__name__, value)
        if key not in self.constants:
            name = f"_K{len(self.constants)}"
            self.constants[key] = name
            self.namespace[name] = value
        return self.constants[key]

    def resolvable(self, expr: ast.Expr, scope: Scope) -> bool:
        """Whether ``expr`` has a type of its own (a bare enum value or a list has not)."""
        if isinstance(expr, ast.Name):
            return (expr.id in scope.vars or expr.id in self.facts_of(scope.action)
                    or expr.id in self.vocabulary.topics)
        return not isinstance(expr, ast.ListValue)

    def expr(self, e: ast.Expr, scope: Scope, expected: vocab.Type | None = None) -> Typed:
        method = getattr(self, f"expr_{type(e).__name__}")
        result: Typed = method(e, scope, expected)
        return result

    def expr_Name(self, e: ast.Name, scope: Scope, expected: vocab.Type | None) -> Typed:
        if e.id in scope.vars:
            return Typed(f"_v_{e.id}", scope.vars[e.id])
        fact = self.facts_of(scope.action).get(e.id)
        if fact is not None:
            nullable = (fact.may_be_missing if isinstance(fact, vocab.DerivedFact)
                        else fact.default is None and not fact.required)
            if e.id in scope.pinned:      # its value is known: the plan index picked it
                return Typed(repr(scope.pinned[e.id]), fact.type, nullable)
            return Typed(f"f[{e.id!r}]", fact.type, nullable)
        if e.id in self.vocabulary.topics:
            return self.topic_ref(e.id, e.span, expected)
        if expected is not None:
            enum = expected.element if expected.kind == "set" else expected
            if enum is not None and enum.kind == "enum":
                if e.id in enum.values:
                    return Typed(self.const(e.id), enum)
                self.error(f"'{e.id}' is not a {enum.name} value{did_you_mean(e.id, enum.values)}; "
                           f"valid values are {one_of(enum.values)}", e.span, "unknown-value")
                raise Bad
        names = [f.name for f in scope.action.facts + scope.action.derived] + list(self.vocabulary.topics)
        self.error(f"unknown name '{e.id}': not a fact of action '{scope.action.name}' nor a "
                   f"topic{did_you_mean(e.id, names)}; facts of '{scope.action.name}' are "
                   f"{one_of(scope.action.names)}", e.span, "unknown-name")
        raise Bad

    def topic_ref(self, topic_id: str, span: Span | None, expected: vocab.Type | None) -> Typed:
        topic = self.topics[topic_id]
        if topic.value is None:
            if topic_id in self.bad_topics:
                raise Bad
            self.error(f"topic '{topic_id}' is not regulated in this pack, so a rule cannot "
                       "depend on it; set it with 'topic " + topic_id + " = …'", span,
                       "unregulated-topic")
            raise Bad
        t = self.vocabulary.topics[topic_id].type
        if t.is_enum("interval") and expected is not None and expected.kind == "int":
            return Typed(self.const(INTERVAL_MONTHS[topic.value]), vocab.INT)
        if t.kind == "record":
            self.error(f"topic '{topic_id}' has fields; name one, e.g. '{topic_id}."
                       f"{t.fields[0][0]}'", span, "type")
            raise Bad
        value = frozenset(topic.value) if t.kind == "set" else topic.value
        return Typed(self.const(value), t)

    def expr_Field(self, e: ast.Field, scope: Scope, expected: vocab.Type | None) -> Typed:
        topic = self.vocabulary.topics.get(e.base)
        if topic is None or topic.type.kind != "record":
            records = [t.id for t in self.vocabulary.topics.values() if t.type.kind == "record"]
            self.error(f"'{e.base}.{e.field}': only the topic{'s' if len(records) > 1 else ''} "
                       f"{one_of(records)} {'have' if len(records) > 1 else 'has'} fields"
                       f"{did_you_mean(e.base, records)}", e.span, "unknown-name")
            raise Bad
        ftype = topic.type.field(e.field)
        if ftype is None:
            self.error(f"topic '{e.base}' has no field '{e.field}'; its fields are "
                       f"{one_of(k for k, _ in topic.type.fields)}", e.span, "unknown-name")
            raise Bad
        value = self.topics[e.base].value
        if value is None:
            if e.base in self.bad_topics:
                raise Bad
            self.error(f"topic '{e.base}' is not regulated in this pack, so a rule cannot depend "
                       f"on it; set it with 'topic {e.base} = …'", e.span, "unregulated-topic")
            raise Bad
        return Typed(self.const(frozenset(value[e.field])), ftype)

    def expr_Call(self, e: ast.Call, scope: Scope, expected: vocab.Type | None) -> Typed:
        if e.func not in _FUNCTIONS:
            self.error(f"unknown function '{e.func}'{did_you_mean(e.func, _FUNCTIONS)}; functions "
                       f"are {one_of(_FUNCTIONS)}", e.span, "unknown-function")
            raise Bad
        arg = self.expr(e.arg, scope)
        if arg.type.kind != "date":
            self.error(f"{e.func}() takes a date, not a {arg.type.name}", e.arg.span, "type")
            raise Bad
        fn = _FUNCTIONS[e.func]
        if arg.nullable:
            t = f"_t{next(self.temp)}"
            return Typed(f"(None if ({t} := {arg.code}) is None else {fn}({t}, at))", vocab.INT, True)
        return Typed(f"{fn}({arg.code}, at)", vocab.INT)

    def expr_Constant(self, e: ast.Constant, scope: Scope, expected: vocab.Type | None) -> Typed:
        v = e.value
        t = (vocab.BOOL if isinstance(v, bool) else vocab.INT if isinstance(v, int)
             else vocab.DATETIME if isinstance(v, dt.datetime)
             else vocab.DATE if isinstance(v, dt.date) else vocab.STRING)
        return Typed(self.const(v), t)

    def expr_ListValue(self, e: ast.ListValue, scope: Scope, expected: vocab.Type | None) -> Typed:
        if expected is None or expected.kind not in ("set", "enum"):
            self.error("a list here needs something to compare with, e.g. "
                       "'page_category in [commercial, political_party]'", e.span, "type")
            raise Bad
        element = expected.element if expected.kind == "set" else expected
        if element is None or element.kind != "enum":
            self.error(f"lists of {expected.name} values are not supported", e.span, "type")
            raise Bad
        values = frozenset(self.literal(item, element) for item in e.items)
        return Typed(self.const(values), vocab.set_of(element))

    def pair(self, left: ast.Expr, right: ast.Expr, scope: Scope,
             left_expected: Callable[[vocab.Type], vocab.Type | None] = lambda t: t,
             ) -> tuple[Typed, Typed]:
        if not self.resolvable(left, scope) and self.resolvable(right, scope):
            r = self.expr(right, scope)
            return self.expr(left, scope, left_expected(r.type)), r
        lt = self.expr(left, scope)
        return lt, self.expr(right, scope, lt.type)

    def expr_Compare(self, e: ast.Compare, scope: Scope, expected: vocab.Type | None) -> Typed:
        left, right = self.pair(e.left, e.right, scope)
        # an interval topic compared with a number means its months, on either side
        if left.type.is_enum("interval") and right.type.kind == "int":
            left = self.expr(e.left, scope, vocab.INT)
        elif right.type.is_enum("interval") and left.type.kind == "int":
            right = self.expr(e.right, scope, vocab.INT)
        lt, rt = left.type, right.type
        if not compatible(lt, rt):
            self.error(f"cannot compare a {lt.name} with a {rt.name}; {_compare_hint(e.left, lt)}",
                       e.span, "type")
            raise Bad
        if e.op in ("<", "<=", ">", ">=") and lt.kind not in ("int", "date"):
            self.error(f"'{e.op}' compares numbers or dates, not {lt.name} values; use == or !=",
                       e.span, "type")
            raise Bad
        return Typed(self.guarded([left, right], lambda l, r: f"{l} {e.op} {r}"), vocab.BOOL)

    def guarded(self, operands: list[Typed], build: Callable[..., str]) -> str:
        """Code that is False when any nullable operand is missing, else ``build(...)``."""
        guards, codes = [], []
        for op in operands:
            if op.nullable:
                t = f"_t{next(self.temp)}"
                guards.append(f"({t} := {op.code}) is not None")
                codes.append(t)
            else:
                codes.append(op.code)
        body = build(*codes)
        return f"({' and '.join(guards + [f'({body})'])})" if guards else f"({body})"

    def expr_Membership(self, e: ast.Membership, scope: Scope, expected: vocab.Type | None) -> Typed:
        item, coll = self.pair(e.item, e.collection, scope, lambda t: t.element)
        if coll.type.kind != "set":
            self.error(f"'in' needs a list or a set on its right, not a {coll.type.name}",
                       e.collection.span, "type")
            raise Bad
        if not compatible(item.type, coll.type.element_type):
            self.error(f"a {item.type.name} value can never be in a {coll.type.name}", e.span, "type")
            raise Bad
        op = "not in" if e.negated else "in"
        return Typed(self.guarded([item, coll], lambda i, c: f"{i} {op} {c}"), vocab.BOOL)

    def expr_Contains(self, e: ast.Contains, scope: Scope, expected: vocab.Type | None) -> Typed:
        coll = self.expr(e.collection, scope)
        if coll.type.kind != "set":
            self.error(f"'contains' needs a set on its left, not a {coll.type.name}",
                       e.collection.span, "type")
            raise Bad
        if e.mode == "one":
            other = self.expr(e.other, scope, coll.type.element_type)
            if not compatible(other.type, coll.type.element_type):
                self.error(f"a {coll.type.name} never contains a {other.type.name} value",
                           e.span, "type")
                raise Bad
            return Typed(self.guarded([coll, other], lambda c, o: f"{o} in {c}"), vocab.BOOL)
        other = self.expr(e.other, scope, coll.type)
        if other.type.kind != "set" or not compatible(other.type.element_type,
                                                      coll.type.element_type):
            self.error(f"'contains {e.mode}' compares two sets of the same kind; this is a "
                       f"{coll.type.name} and a {other.type.name}", e.span, "type")
            raise Bad
        if e.mode == "all":
            return Typed(self.guarded([coll, other], lambda c, o: f"{o} <= {c}"), vocab.BOOL)
        return Typed(self.guarded([coll, other], lambda c, o: f"not {c}.isdisjoint({o})"), vocab.BOOL)

    def expr_IsSet(self, e: ast.IsSet, scope: Scope, expected: vocab.Type | None) -> Typed:
        operand = self.expr(e.operand, scope)
        if not operand.nullable:
            self.error("'is set' / 'is missing' apply to optional date, text and choice facts; "
                       "this always has a value (an absent bool, number or set means false, 0 "
                       "or empty)", e.span, "type")
            raise Bad
        if isinstance(e.operand, ast.Name) and e.operand.id in scope.pinned:
            missing = scope.pinned[e.operand.id] is None
            return Typed(repr(missing == e.negated), vocab.BOOL)
        op = "is None" if e.negated else "is not None"
        return Typed(f"({operand.code} {op})", vocab.BOOL)

    def _bools(self, items: tuple[ast.Expr, ...], scope: Scope) -> list[str]:
        codes, bad = [], False
        for item in items:
            try:
                typed = self.expr(item, scope)
            except Bad:
                bad = True
                continue
            if typed.type.kind != "bool":
                self.error(f"'and', 'or' and 'not' combine true/false conditions; this is a "
                           f"{typed.type.name}", item.span, "type")
                bad = True
            codes.append(typed.code)
        if bad:
            raise Bad
        return codes

    def expr_And(self, e: ast.And, scope: Scope, expected: vocab.Type | None) -> Typed:
        return Typed("(" + " and ".join(self._bools(e.items, scope)) + ")", vocab.BOOL)

    def expr_Or(self, e: ast.Or, scope: Scope, expected: vocab.Type | None) -> Typed:
        return Typed("(" + " or ".join(self._bools(e.items, scope)) + ")", vocab.BOOL)

    def expr_Not(self, e: ast.Not, scope: Scope, expected: vocab.Type | None) -> Typed:
        return Typed(f"(not {self._bools((e.operand,), scope)[0]})", vocab.BOOL)


def compatible(a: vocab.Type, b: vocab.Type) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "enum":
        return a.name == b.name or set(a.values) <= set(b.values) or set(b.values) <= set(a.values)
    if a.kind == "set":
        return compatible(a.element_type, b.element_type)
    return True


def source_of(value: ast.Value) -> str:
    if isinstance(value, ast.Constant):
        return str(value.value)
    return type(value).__name__.lower()


def _condition_hint(expr: ast.Expr, t: vocab.Type) -> str:
    """How to turn a value that is not true/false into a condition."""
    name = expr.id if isinstance(expr, ast.Name) else (
        f"{expr.base}.{expr.field}" if isinstance(expr, ast.Field) else None)
    if name is None:
        return "compare it with something to make a condition"
    choices = t.element.values if t.kind == "set" and t.element else t.values
    value = choices[0] if choices else "…"
    return {
        "int": f"compare it with a number, e.g. '{name} >= 2'",
        "date": f"compare it, e.g. 'months_since({name}) < 6' or '{name} is set'",
        "string": f"compare it with a text, e.g. '{name} == \"…\"'",
        "enum": f"compare it with one of its values, e.g. '{name} == {value}'",
        "set": f"ask what it holds, e.g. '{name} contains {value}'",
    }.get(t.kind, "compare it with something to make a condition")


def _compare_hint(left: ast.Expr, t: vocab.Type) -> str:
    """What a value of type ``t`` can be compared with."""
    name = left.id if isinstance(left, ast.Name) else "it"
    if t.kind == "bool":
        return f"a true/false value is a condition by itself: write '{name}' or 'not {name}'"
    if t.kind == "enum":
        return f"compare it with one of its values: {one_of(t.values, limit=6)}"
    if t.kind == "set":
        return "ask what a set holds with 'contains' or 'in'"
    return {"int": "compare it with a number", "date": "compare it with a date (YYYY-MM-DD)",
            "string": "compare it with a text in double quotes"}.get(
                t.kind, "compare like with like")

"""Check a pack's AST against the vocabulary and compile it for evaluation.

``compile_pack(pack_ast)`` returns a :class:`CompiledPack` or raises
:class:`~engine.errors.PackErrors` listing every problem found, sorted by position:
unknown actions, facts, topics, roles and enum values (with "did you mean"), type
mismatches, duplicate ids, clauses that do not fit the rule's effect, sections that the
pack's header does not list.

Compiling does the work once, at load: ``for each`` rules are expanded over their
topic's values, every rule's findings (reason, step) are built, and each action's rules
become one generated Python function ``plan(facts, at) -> list[Finding]`` that tests
the rules in source order. Conditions refer to topic settings by name, so a topic's
value is written once and both ``policy explain`` and the decisions read it from here.
"""

from __future__ import annotations

import collections
import datetime as dt
import heapq
import itertools
import re
from typing import Any, Callable, Mapping, NamedTuple

import attrs

from dsl import ast
from engine import vocabulary as vocab
from engine.errors import (PackCompileError, PackErrors, SourceError, Span, did_you_mean, one_of,
                           with_articles)
from engine.model import Finding, Reason, Source, Step

Plan = Callable[[Mapping[str, Any], dt.date], list]

PACK_ID = re.compile(r"[a-z][a-z0-9_]*\Z")


@attrs.frozen
class TopicValue:
    """A pack's setting of one topic. ``value`` is JSON-ready, None when not regulated."""

    id: str
    title: str
    value: Any
    declared: bool
    summary: ast.Text | None = None
    source: str | None = None
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class CompiledRule:
    """One rule after ``for each`` expansion, with its findings built."""

    id: str
    actions: tuple[str, ...]
    kind: str                                  # allow | deny | require
    level: str
    source: str | None
    reason: Reason
    step: Step | None
    bindings: tuple[tuple[str, str], ...]      # for-each variable → value
    step_sv: str | None = None                 # the step text in Swedish, when given
    reason_sv: str | None = None               # the reason text in Swedish, when given
    matched: Finding = attrs.field(eq=False, repr=False, default=None)   # deny/allow/unmet
    met: Finding | None = attrs.field(eq=False, repr=False, default=None)
    ast: ast.Rule = attrs.field(eq=False, repr=False, default=None)


@attrs.frozen
class CompiledPack:
    id: str
    name: str
    document: str | None
    dated: dt.date | None
    version: str
    default: str
    sections: tuple[str, ...]
    topics: Mapping[str, TopicValue]
    rules: tuple[CompiledRule, ...]
    plans: Mapping[str, Plan] = attrs.field(eq=False, repr=False)
    default_reason: Reason = attrs.field(eq=False, repr=False, default=None)
    origin: str = attrs.field(default="<string>", eq=False)
    code: str = attrs.field(default="", eq=False, repr=False)
    ast: ast.Pack = attrs.field(default=None, eq=False, repr=False)

    def rules_for(self, action: str) -> tuple[CompiledRule, ...]:
        return tuple(r for r in self.rules if action in r.actions)


class _Typed(NamedTuple):
    code: str
    type: vocab.Type
    nullable: bool = False


class _Bad(Exception):
    """An expression could not be typed; the error is already recorded."""


_FUNCTIONS = {"months_since": "_months_since", "days_since": "_days_since"}


def compile_pack(pack: ast.Pack) -> CompiledPack:
    """Check ``pack`` and compile it, or raise :class:`PackErrors` with every problem."""
    return _Compiler(pack).run()


class _Compiler:
    def __init__(self, pack: ast.Pack) -> None:
        self.pack = pack
        self.errors: list[SourceError] = []
        self.constants: dict[Any, str] = {}
        self.namespace: dict[str, Any] = {
            "_months_since": vocab.months_since, "_days_since": vocab.days_since,
        }
        self.temp = itertools.count()
        self.findings = itertools.count()
        self.finding_names: dict[int, str] = {}
        self.bad_topics: set[str] = set()     # set with a value that has errors

    # ---- errors -------------------------------------------------------------------
    def error(self, message: str, span: Span | None, code: str = "compile") -> None:
        err = PackCompileError.at(with_articles(message), span, self.pack.text, code=code)
        if not any(e.render() == err.render() for e in self.errors):
            self.errors.append(err)

    # ---- whole pack ---------------------------------------------------------------
    def run(self) -> CompiledPack:
        header = self.pack.header
        self.check_header(header)
        self.topics = self.compile_topics()
        rules: list[CompiledRule] = []
        seen: dict[str, ast.Rule] = {}
        for rule in self.pack.rules:
            if rule.id in seen:
                self.error(f"rule id '{rule.id}' is used twice (first at line "
                           f"{seen[rule.id].span.line if seen[rule.id].span else '?'}); "
                           "rule ids must be unique in a pack", rule.span, "duplicate-rule")
                continue
            seen[rule.id] = rule
            rules.extend(self.compile_rule(rule))
        plans, code = self.generate(rules) if not self.errors else ({}, "")
        if self.errors:
            raise PackErrors(self.errors)
        return CompiledPack(
            id=header.id,
            name=header.name.en if header.name else header.id,
            document=header.document.en if header.document else None,
            dated=header.dated,
            version=header.version or "0",
            default=header.default or "allow",
            sections=header.sections,
            topics=self.topics,
            rules=tuple(rules),
            plans=plans,
            default_reason=Reason(
                "default", header.default or "allow", "must",
                "The guideline does not regulate this request; the pack's default outcome "
                f"({header.default}) applies.", Source(header.id, None)),
            origin=self.pack.file,
            code=code,
            ast=self.pack,
        )

    def check_header(self, header: ast.Header) -> None:
        if not PACK_ID.match(header.id):
            self.error(f"pack id '{header.id}' must be lower-case ASCII letters, digits and "
                       "'_', starting with a letter (e.g. 'tyreso')", header.span, "bad-pack-id")
        for word, value in (("name", header.name), ("version", header.version),
                            ("default", header.default)):
            if value is None:
                example = {"name": 'name "Tyresö kommun"', "version": 'version "1.0.0"',
                           "default": "default allow"}[word]
                self.error(f"the pack header has no '{word}'; add a line such as {example}",
                           header.span, "missing-header-field")
        if header.dated is None and not header.undated:
            self.error("the pack header does not say when its document is dated; add "
                       "'dated YYYY-MM-DD' or 'dated undated'", header.span, "missing-header-field")

    def check_section(self, section: str | None, span: Span | None) -> None:
        sections = self.pack.header.sections
        if section is not None and sections and section not in sections:
            hint = did_you_mean(section, sections) or f"; they are {one_of(sections, limit=6)}"
            self.error(f"section \"{section}\" is not among the document's sections listed in "
                       f"the header{hint}", span, "unknown-section")

    # ---- topics -------------------------------------------------------------------
    def compile_topics(self) -> dict[str, TopicValue]:
        declared: dict[str, ast.TopicSetting] = {}
        for setting in self.pack.topics:
            if setting.id not in vocab.TOPICS:
                self.error(f"unknown topic '{setting.id}'{did_you_mean(setting.id, vocab.TOPICS)}; "
                           f"topics are {one_of(vocab.TOPICS)}", setting.span, "unknown-topic")
                continue
            if setting.id in declared:
                first = declared[setting.id].span
                self.error(f"topic '{setting.id}' is set twice"
                           + (f" (first at line {first.line})" if first else "")
                           + "; set each topic once", setting.span, "duplicate-topic")
                continue
            declared[setting.id] = setting
            self.check_section(setting.source, setting.span)
        topics = {}
        for topic in vocab.TOPICS.values():
            setting = declared.get(topic.id)
            value = None
            if setting is not None and setting.value is not None:
                value = self.topic_value(topic, setting.value)
                if value is None:   # reported; rules using it need not say so again
                    self.bad_topics.add(topic.id)
            topics[topic.id] = TopicValue(
                topic.id, topic.title, value, declared=setting is not None,
                summary=setting.summary if setting else None,
                source=setting.source if setting else None,
                span=setting.span if setting else None)
        return topics

    def topic_value(self, topic: vocab.Topic, value: ast.Value) -> Any:
        t = topic.type
        try:
            if t.kind == "record":
                if not isinstance(value, ast.RecordValue):
                    self.error(f"topic '{topic.id}' takes {{{', '.join(f'{k}: [...]' for k, _ in t.fields)}}}",
                               value.span, "bad-topic-value")
                    return None
                entries = dict(value.entries)
                for key in entries:
                    if t.field(key) is None:
                        self.error(f"topic '{topic.id}' has no field '{key}'; its fields are "
                                   f"{one_of(k for k, _ in t.fields)}", value.span, "bad-topic-value")
                result = {}
                for key, ftype in t.fields:
                    if key not in entries:
                        self.error(f"topic '{topic.id}' needs its field '{key}' (write {key}: [] "
                                   "for none)", value.span, "bad-topic-value")
                        continue
                    result[key] = self.literal(entries[key], ftype)
                overlap = set(result.get("allow", ())) & set(result.get("deny", ()))
                if overlap:
                    self.error(f"topic '{topic.id}' both allows and denies {one_of(overlap)}",
                               value.span, "bad-topic-value")
                return result
            return self.literal(value, t)
        except _Bad:
            return None

    def literal(self, value: ast.Value, t: vocab.Type) -> Any:
        """A literal value of type ``t`` in JSON-ready form (lists stay in written order)."""
        if t.kind == "set":
            if not isinstance(value, ast.ListValue):
                self.error(f"expected a list of {t.element.name} values, e.g. [{t.element.values[0]}]",
                           value.span, "type")
                raise _Bad
            items = [self.literal(item, t.element) for item in value.items]
            if len(set(items)) != len(items):
                twice = next(i for i in items if items.count(i) > 1)
                self.error(f"the list names '{twice}' twice; name each value once", value.span,
                           "type")
            return items
        if t.kind == "enum":
            if isinstance(value, ast.Name) and value.id in t.values:
                return value.id
            shown = value.id if isinstance(value, ast.Name) else _source_of(value)
            self.error(f"'{shown}' is not a {t.name} value{did_you_mean(shown, t.values)}; "
                       f"valid values are {one_of(t.values)}", value.span, "unknown-value")
            raise _Bad
        if t.kind == "int":
            if isinstance(value, ast.Constant) and type(value.value) is int:
                return value.value
            self.error(f"expected a whole number of {t.name}, e.g. 24", value.span, "type")
            raise _Bad
        self.error(f"expected a {t.name} value", value.span, "type")
        raise _Bad

    # ---- rules --------------------------------------------------------------------
    def compile_rule(self, rule: ast.Rule) -> list[CompiledRule]:
        before = len(self.errors)
        actions = []
        if not rule.actions:
            self.error(f"rule '{rule.id}' does not say which action it is about; add "
                       f"'on ACTION' (one of {one_of(vocab.ACTIONS)})", rule.span, "missing-action")
        for name in rule.actions:
            if name not in vocab.ACTIONS:
                self.error(f"unknown action '{name}'{did_you_mean(name, vocab.ACTIONS)}; actions "
                           f"are {one_of(vocab.ACTIONS)}", rule.actions_span, "unknown-action")
            else:
                actions.append(vocab.ACTIONS[name])
        effect = rule.effect
        if effect is None:
            self.error(f"rule '{rule.id}' has no effect; add 'allow', 'deny' or "
                       "'require STEP-ID by ROLE \"text\"'", rule.span, "missing-effect")
        if rule.done is not None and not isinstance(effect, ast.Require):
            self.error("'done when' belongs to a require rule: it says when the step is done",
                       rule.done.span, "misplaced-clause")
        if effect is not None and not isinstance(effect, ast.Require) and rule.because is None:
            verb = {"deny": "denies", "allow": "allows"}.get(effect.kind, effect.kind)
            self.error(f"rule '{rule.id}' needs a 'because \"…\"' text saying why it {verb}",
                       rule.span, "missing-because")
        self.check_section(rule.source, rule.source_span)

        bindings: list[tuple[tuple[str, str], ...]] = [()]
        var_type: vocab.Type | None = None
        if rule.for_each is not None:
            fe = rule.for_each
            topic = self.topics.get(fe.topic)
            if topic is None:
                self.error(f"unknown topic '{fe.topic}'{did_you_mean(fe.topic, vocab.TOPICS)}; "
                           f"topics are {one_of(vocab.TOPICS)}", fe.span, "unknown-topic")
            elif vocab.TOPICS[fe.topic].type.kind != "set":
                self.error(f"'for each' needs a topic holding a list; '{fe.topic}' holds a "
                           f"{vocab.TOPICS[fe.topic].type.name}", fe.span, "type")
            elif topic.value is None:
                if fe.topic not in self.bad_topics:
                    self.error(f"topic '{fe.topic}' is not regulated in this pack, so a rule "
                               "cannot go through its values", fe.span, "unregulated-topic")
            else:
                var_type = vocab.TOPICS[fe.topic].type.element
                bindings = [((fe.var, v),) for v in topic.value]
            for action in actions:
                if action.fact(fe.var) is not None:
                    self.error(f"the loop name '{fe.var}' hides the fact of the same name; "
                               "choose another", fe.span, "shadowed-fact")

        by = effect.by if isinstance(effect, ast.Require) else None
        if by is not None and by not in vocab.ROLE.values and (
                rule.for_each is None or by != rule.for_each.var):
            choices = list(vocab.ROLE.values) + ([rule.for_each.var] if rule.for_each else [])
            self.error(f"unknown role '{by}'{did_you_mean(by, choices)}; roles are "
                       f"{one_of(vocab.ROLE.values)}", effect.span, "unknown-role")
        if by is not None and var_type is not None and by == rule.for_each.var and (
                var_type.name != "role"):
            self.error(f"'{by}' goes through {var_type.name} values, not roles, so it cannot "
                       "name who does the step", effect.span, "type")

        # type-check conditions once per action (with the loop variable's type)
        scopes = [_Scope(a, {rule.for_each.var: var_type} if var_type else {}) for a in actions]
        for scope in scopes:
            for expr in (rule.when, rule.done):
                if expr is not None:
                    self.condition(expr, scope)
        if len(self.errors) > before or effect is None:
            return []
        return [self.build_rule(rule, actions, b) for b in bindings]

    def build_rule(self, rule: ast.Rule, actions: list[vocab.Action],
                   binding: tuple[tuple[str, str], ...]) -> CompiledRule:
        effect = rule.effect
        level = rule.level or "must"
        source = Source(self.pack.header.id, rule.source)
        step = None
        step_sv = None
        if isinstance(effect, ast.Require):
            step_id = effect.step + "".join(f"-{value}" for _, value in binding)
            by = dict(binding).get(effect.by, effect.by) if effect.by else None
            step = Step(step_id, _fill(effect.text.en, binding, 0), by, level, source)
            step_sv = _fill(effect.text.sv, binding, 1) if effect.text.sv else None
            kind = "require"
        else:
            kind = effect.kind
        because = rule.because
        if because is not None:
            text = _fill(because.en, binding, 0)
            reason_sv = _fill(because.sv, binding, 1) if because.sv else None
        else:
            text, reason_sv = (step.text, step_sv) if step else ("", None)
        reason = Reason(rule.id, kind, level, text, source)
        if kind == "require":
            matched = Finding("unmet", reason, step)
            met = Finding("met", reason, step)
        else:
            matched, met = Finding(kind, reason), None
        return CompiledRule(
            id=rule.id, actions=tuple(a.name for a in actions), kind=kind, level=level,
            source=rule.source, reason=reason, step=step, bindings=binding, step_sv=step_sv,
            reason_sv=reason_sv,
            matched=matched, met=met, ast=rule)

    # ---- expressions --------------------------------------------------------------
    def condition(self, expr: ast.Expr, scope: "_Scope") -> _Typed | None:
        try:
            typed = self.expr(expr, scope)
        except _Bad:
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

    def resolvable(self, expr: ast.Expr, scope: "_Scope") -> bool:
        """Whether ``expr`` has a type of its own (a bare enum value or a list has not)."""
        if isinstance(expr, ast.Name):
            return (expr.id in scope.vars or scope.action.fact(expr.id) is not None
                    or expr.id in vocab.TOPICS)
        return not isinstance(expr, ast.ListValue)

    def expr(self, e: ast.Expr, scope: "_Scope", expected: vocab.Type | None = None) -> _Typed:
        method = getattr(self, f"expr_{type(e).__name__}")
        result: _Typed = method(e, scope, expected)
        return result

    def expr_Name(self, e: ast.Name, scope: "_Scope", expected: vocab.Type | None) -> _Typed:
        if e.id in scope.vars:
            return _Typed(f"_v_{e.id}", scope.vars[e.id])
        if e.id in scope.pinned:
            fact = scope.action.fact(e.id)
            assert fact is not None
            return _Typed(repr(scope.pinned[e.id]), fact.type)
        fact = scope.action.fact(e.id)
        if fact is not None:
            nullable = isinstance(fact, vocab.Fact) and fact.default is None and not fact.required
            return _Typed(f"f[{e.id!r}]", fact.type, nullable)
        if e.id in vocab.TOPICS:
            return self.topic_ref(e.id, e.span, expected)
        if expected is not None:
            enum = expected.element if expected.kind == "set" else expected
            if enum is not None and enum.kind == "enum":
                if e.id in enum.values:
                    return _Typed(self.const(e.id), enum)
                self.error(f"'{e.id}' is not a {enum.name} value{did_you_mean(e.id, enum.values)}; "
                           f"valid values are {one_of(enum.values)}", e.span, "unknown-value")
                raise _Bad
        names = [f.name for f in scope.action.facts + scope.action.derived] + list(vocab.TOPICS)
        self.error(f"unknown name '{e.id}': not a fact of action '{scope.action.name}' nor a "
                   f"topic{did_you_mean(e.id, names)}; facts of '{scope.action.name}' are "
                   f"{one_of(scope.action.names)}", e.span, "unknown-name")
        raise _Bad

    def topic_ref(self, topic_id: str, span: Span | None, expected: vocab.Type | None) -> _Typed:
        topic = self.topics[topic_id]
        if topic.value is None:
            if topic_id in self.bad_topics:
                raise _Bad
            self.error(f"topic '{topic_id}' is not regulated in this pack, so a rule cannot "
                       "depend on it; set it with 'topic " + topic_id + " = …'", span,
                       "unregulated-topic")
            raise _Bad
        t = vocab.TOPICS[topic_id].type
        if t is vocab.INTERVAL and expected is not None and expected.kind == "int":
            return _Typed(self.const(vocab.INTERVAL_MONTHS[topic.value]), vocab.INT)
        if t.kind == "record":
            self.error(f"topic '{topic_id}' has fields; name one, e.g. '{topic_id}."
                       f"{t.fields[0][0]}'", span, "type")
            raise _Bad
        value = frozenset(topic.value) if t.kind == "set" else topic.value
        return _Typed(self.const(value), t)

    def expr_Field(self, e: ast.Field, scope: "_Scope", expected: vocab.Type | None) -> _Typed:
        topic = vocab.TOPICS.get(e.base)
        if topic is None or topic.type.kind != "record":
            records = [t.id for t in vocab.TOPICS.values() if t.type.kind == "record"]
            self.error(f"'{e.base}.{e.field}': only the topic{'s' if len(records) > 1 else ''} "
                       f"{one_of(records)} {'have' if len(records) > 1 else 'has'} fields"
                       f"{did_you_mean(e.base, records)}", e.span, "unknown-name")
            raise _Bad
        ftype = topic.type.field(e.field)
        if ftype is None:
            self.error(f"topic '{e.base}' has no field '{e.field}'; its fields are "
                       f"{one_of(k for k, _ in topic.type.fields)}", e.span, "unknown-name")
            raise _Bad
        value = self.topics[e.base].value
        if value is None:
            if e.base in self.bad_topics:
                raise _Bad
            self.error(f"topic '{e.base}' is not regulated in this pack, so a rule cannot depend "
                       f"on it; set it with 'topic {e.base} = …'", e.span, "unregulated-topic")
            raise _Bad
        return _Typed(self.const(frozenset(value[e.field])), ftype)

    def expr_Call(self, e: ast.Call, scope: "_Scope", expected: vocab.Type | None) -> _Typed:
        if e.func not in _FUNCTIONS:
            self.error(f"unknown function '{e.func}'{did_you_mean(e.func, _FUNCTIONS)}; functions "
                       f"are {one_of(_FUNCTIONS)}", e.span, "unknown-function")
            raise _Bad
        arg = self.expr(e.arg, scope)
        if arg.type.kind != "date":
            self.error(f"{e.func}() takes a date, not a {arg.type.name}", e.arg.span, "type")
            raise _Bad
        fn = _FUNCTIONS[e.func]
        if arg.nullable:
            t = f"_t{next(self.temp)}"
            return _Typed(f"(None if ({t} := {arg.code}) is None else {fn}({t}, at))", vocab.INT, True)
        return _Typed(f"{fn}({arg.code}, at)", vocab.INT)

    def expr_Constant(self, e: ast.Constant, scope: "_Scope", expected: vocab.Type | None) -> _Typed:
        v = e.value
        t = (vocab.BOOL if isinstance(v, bool) else vocab.INT if isinstance(v, int)
             else vocab.DATE if isinstance(v, dt.date) else vocab.STRING)
        return _Typed(self.const(v), t)

    def expr_ListValue(self, e: ast.ListValue, scope: "_Scope", expected: vocab.Type | None) -> _Typed:
        if expected is None or expected.kind not in ("set", "enum"):
            self.error("a list here needs something to compare with, e.g. "
                       "'page_category in [commercial, political_party]'", e.span, "type")
            raise _Bad
        element = expected.element if expected.kind == "set" else expected
        if element is None or element.kind != "enum":
            self.error(f"lists of {expected.name} values are not supported", e.span, "type")
            raise _Bad
        values = frozenset(self.literal(item, element) for item in e.items)
        return _Typed(self.const(values), vocab.set_of(element))

    def pair(self, left: ast.Expr, right: ast.Expr, scope: "_Scope",
             left_expected: Callable[[vocab.Type], vocab.Type | None] = lambda t: t,
             ) -> tuple[_Typed, _Typed]:
        if not self.resolvable(left, scope) and self.resolvable(right, scope):
            r = self.expr(right, scope)
            return self.expr(left, scope, left_expected(r.type)), r
        lt = self.expr(left, scope)
        return lt, self.expr(right, scope, lt.type)

    def expr_Compare(self, e: ast.Compare, scope: "_Scope", expected: vocab.Type | None) -> _Typed:
        left, right = self.pair(e.left, e.right, scope)
        # an interval topic compared with a number means its months, on either side
        if left.type is vocab.INTERVAL and right.type.kind == "int":
            left = self.expr(e.left, scope, vocab.INT)
        elif right.type is vocab.INTERVAL and left.type.kind == "int":
            right = self.expr(e.right, scope, vocab.INT)
        lt, rt = left.type, right.type
        if not _compatible(lt, rt):
            self.error(f"cannot compare a {lt.name} with a {rt.name}; {_compare_hint(e.left, lt)}",
                       e.span, "type")
            raise _Bad
        if e.op in ("<", "<=", ">", ">=") and lt.kind not in ("int", "date"):
            self.error(f"'{e.op}' compares numbers or dates, not {lt.name} values; use == or !=",
                       e.span, "type")
            raise _Bad
        return _Typed(self.guarded([left, right], lambda l, r: f"{l} {e.op} {r}"), vocab.BOOL)

    def guarded(self, operands: list[_Typed], build: Callable[..., str]) -> str:
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

    def expr_Membership(self, e: ast.Membership, scope: "_Scope", expected: vocab.Type | None) -> _Typed:
        item, coll = self.pair(e.item, e.collection, scope, lambda t: t.element)
        if coll.type.kind != "set":
            self.error(f"'in' needs a list or a set on its right, not a {coll.type.name}",
                       e.collection.span, "type")
            raise _Bad
        if not _compatible(item.type, coll.type.element):
            self.error(f"a {item.type.name} value can never be in a {coll.type.name}", e.span, "type")
            raise _Bad
        op = "not in" if e.negated else "in"
        return _Typed(self.guarded([item, coll], lambda i, c: f"{i} {op} {c}"), vocab.BOOL)

    def expr_Contains(self, e: ast.Contains, scope: "_Scope", expected: vocab.Type | None) -> _Typed:
        coll = self.expr(e.collection, scope)
        if coll.type.kind != "set":
            self.error(f"'contains' needs a set on its left, not a {coll.type.name}",
                       e.collection.span, "type")
            raise _Bad
        if e.mode == "one":
            other = self.expr(e.other, scope, coll.type.element)
            if not _compatible(other.type, coll.type.element):
                self.error(f"a {coll.type.name} never contains a {other.type.name} value",
                           e.span, "type")
                raise _Bad
            return _Typed(self.guarded([coll, other], lambda c, o: f"{o} in {c}"), vocab.BOOL)
        other = self.expr(e.other, scope, coll.type)
        if other.type.kind != "set" or not _compatible(other.type.element, coll.type.element):
            self.error(f"'contains {e.mode}' compares two sets of the same kind; this is a "
                       f"{coll.type.name} and a {other.type.name}", e.span, "type")
            raise _Bad
        if e.mode == "all":
            return _Typed(self.guarded([coll, other], lambda c, o: f"{o} <= {c}"), vocab.BOOL)
        return _Typed(self.guarded([coll, other], lambda c, o: f"not {c}.isdisjoint({o})"), vocab.BOOL)

    def expr_IsSet(self, e: ast.IsSet, scope: "_Scope", expected: vocab.Type | None) -> _Typed:
        operand = self.expr(e.operand, scope)
        if not operand.nullable:
            self.error("'is set' / 'is missing' apply to optional date, text and choice facts; "
                       "this always has a value (an absent bool, number or set means false, 0 "
                       "or empty)", e.span, "type")
            raise _Bad
        op = "is None" if e.negated else "is not None"
        return _Typed(f"({operand.code} {op})", vocab.BOOL)

    def _bools(self, items: tuple[ast.Expr, ...], scope: "_Scope") -> list[str]:
        codes, bad = [], False
        for item in items:
            try:
                typed = self.expr(item, scope)
            except _Bad:
                bad = True
                continue
            if typed.type.kind != "bool":
                self.error(f"'and', 'or' and 'not' combine true/false conditions; this is a "
                           f"{typed.type.name}", item.span, "type")
                bad = True
            codes.append(typed.code)
        if bad:
            raise _Bad
        return codes

    def expr_And(self, e: ast.And, scope: "_Scope", expected: vocab.Type | None) -> _Typed:
        return _Typed("(" + " and ".join(self._bools(e.items, scope)) + ")", vocab.BOOL)

    def expr_Or(self, e: ast.Or, scope: "_Scope", expected: vocab.Type | None) -> _Typed:
        return _Typed("(" + " or ".join(self._bools(e.items, scope)) + ")", vocab.BOOL)

    def expr_Not(self, e: ast.Not, scope: "_Scope", expected: vocab.Type | None) -> _Typed:
        return _Typed(f"(not {self._bools((e.operand,), scope)[0]})", vocab.BOOL)

    # ---- code generation ------------------------------------------------------------
    def generate(self, rules: list[CompiledRule]) -> tuple[dict[str, Plan], str]:
        """One plan function per action that has rules: test each rule in order, collect
        findings.

        Where an action has a required choice fact that rules test (``page_category``,
        ``content_category``, …), the plan is indexed on it: one function per value, with
        every condition on that fact decided here rather than per request, and the plan
        looks the value up. A request then only pays for the rules that can apply to it,
        however many rules speak of other values.
        """
        lines = [f"# generated from pack '{self.pack.header.id}' ({self.pack.file})"]
        names: dict[str, str] = {}
        for action in vocab.ACTIONS.values():
            applicable = [r for r in rules if action.name in r.actions]
            if not applicable:
                continue
            fname = f"plan_{action.name}"
            names[action.name] = fname
            key = _index_fact(action, applicable)
            if key is None:
                self.emit_plan(lines, fname, action, applicable, {})
                continue
            fact, values = key
            # the rules each value can reach: those that name it, and those that name none
            free, named = [], collections.defaultdict(list)
            known = set(values)
            for i, rule in enumerate(applicable):
                needed = {v for part in _conjuncts(rule.ast.when)
                          for v in _literal_equal(part, fact)} & known
                if len(needed) == 1:
                    named[needed.pop()].append(i)
                else:
                    free.append(i)
            table = []
            for value in values:
                reach = [applicable[i] for i in heapq.merge(free, named[value])]
                self.emit_plan(lines, f"{fname}__{value}", action, reach, {fact.name: value})
                table.append(f"{value!r}: {fname}__{value}")
            lines.append(f"_index_{action.name} = {{{', '.join(table)}}}")
            lines.append(f"def {fname}(f, at):")
            if fact.type.kind == "enum":
                lines.append(f"    return _index_{action.name}[f[{fact.name!r}]](f, at)")
                continue
            # a number none of the rules names: only the rules that need none of them
            others = [r for r in applicable if not _equals_any(r.ast.when, fact.name, values)]
            lines.append(f"    return _index_{action.name}.get(f[{fact.name!r}], "
                         f"{fname}__other)(f, at)")
            self.emit_plan(lines, f"{fname}__other", action, others, {})
        code = "\n".join(lines) + "\n"
        namespace = dict(self.namespace)
        exec(compile(code, f"<pack {self.pack.header.id}>", "exec"), namespace)  # noqa: S102
        return {action: namespace[fname] for action, fname in names.items()}, code

    def emit_plan(self, lines: list[str], fname: str, action: vocab.Action,
                  rules: list[CompiledRule], pinned: Mapping[str, str]) -> None:
        """The function testing ``rules`` in order, with ``pinned`` facts known."""
        lines.append(f"def {fname}(f, at):")
        lines.append("    out = []")
        for rule in rules:
            if any(_excludes(part, action.fact(name), value) for name, value in pinned.items()
                   for part in _conjuncts(rule.ast.when)):
                continue                      # names another value: cannot apply
            fe = rule.ast.for_each
            scope = _Scope(action, {fe.var: vocab.TOPICS[fe.topic].type.element} if fe else {},
                           pinned)
            when = self.folded(rule.ast.when, scope)
            if when is False:
                continue                      # cannot apply for the pinned value
            lines.append(f"    # rule {rule.id}")
            for var, value in rule.bindings:
                lines.append(f"    _v_{var} = {value!r}")
            matched = self.const_obj(rule.matched)
            indent = "    "
            if isinstance(when, str):
                lines.append(f"    if {when}:")
                indent = "        "
            if rule.kind == "require":
                met = self.const_obj(rule.met)
                done = self.folded(rule.ast.done, scope) if rule.ast.done is not None else False
                if done is True:
                    lines.append(f"{indent}out.append({met})")
                elif done is False:
                    lines.append(f"{indent}out.append({matched})")
                else:
                    lines.append(f"{indent}out.append({met} if {done} else {matched})")
            else:
                lines.append(f"{indent}out.append({matched})")
        lines.append("    return out")

    def folded(self, expr: ast.Expr | None, scope: "_Scope") -> str | bool:
        """Code for a condition, with the parts that do not depend on the request decided
        now: True, False, or the code of what is left (None means no condition: True)."""
        if expr is None:
            return True
        parts = expr.items if isinstance(expr, ast.And) else (expr,)
        left = []
        for part in parts:
            code = self.expr(part, scope).code
            try:   # a part that needs the request (f, at, a loop value) cannot be decided now
                # our own generated code, evaluated in the namespace it will run in (eval
                # only adds __builtins__ to it); a copy per part made loading quadratic
                value = eval(code, self.namespace)  # noqa: S307
            except NameError:
                left.append(code)
                continue
            if value is False:
                return False
        return " and ".join(left) if left else True

    def const_obj(self, obj: Any) -> str:
        """A name for a prebuilt finding in the generated code's namespace."""
        name = self.finding_names.get(id(obj))
        if name is None:
            name = self.finding_names[id(obj)] = f"_F{next(self.findings)}"
            self.namespace[name] = obj
        return name


@attrs.frozen
class _Scope:
    action: vocab.Action
    vars: Mapping[str, vocab.Type]
    pinned: Mapping[str, str] = attrs.field(factory=dict)   # facts whose value is known


def _index_fact(action: vocab.Action,
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
            parts = _conjuncts(rule.ast.when)
            if kind == "enum" and any(_tests(part, fact.name) for part in parts):
                count += 1
            elif kind == "int":
                found = {c for part in parts for c in _int_equal(part, fact.name)}
                count += bool(found)
                constants |= found
        if count > best_count:
            values = list(fact.type.values) if kind == "enum" else sorted(constants)
            best, best_count = (fact, values), count
    return best


def _conjuncts(when: ast.Expr | None) -> tuple[ast.Expr, ...]:
    return when.items if isinstance(when, ast.And) else (when,) if when is not None else ()


def _int_equal(expr: ast.Expr, name: str) -> set[int]:
    """The constant in ``name == N`` (either way round), if ``expr`` is that."""
    if isinstance(expr, ast.Compare) and expr.op == "==":
        for a, b in ((expr.left, expr.right), (expr.right, expr.left)):
            if a == ast.Name(name) and isinstance(b, ast.Constant) and type(b.value) is int:
                return {b.value}
    return set()


def _literal_equal(part: ast.Expr, fact: vocab.Fact) -> set[Any]:
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


def _excludes(part: ast.Expr, fact: vocab.Fact | None, value: Any) -> bool:
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


def _equals_any(when: ast.Expr | None, name: str, values: list[Any]) -> bool:
    """Whether a top-level part of ``when`` needs ``name`` to equal one of ``values``."""
    return any(_int_equal(part, name) & set(values) for part in _conjuncts(when))


def _tests(expr: ast.Expr, name: str) -> bool:
    if isinstance(expr, ast.Compare):
        return ast.Name(name) in (expr.left, expr.right)
    if isinstance(expr, ast.Membership):
        return expr.item == ast.Name(name)
    return False


def _compatible(a: vocab.Type, b: vocab.Type) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "enum":
        return a.name == b.name or set(a.values) <= set(b.values) or set(b.values) <= set(a.values)
    if a.kind == "set":
        return _compatible(a.element, b.element)  # type: ignore[arg-type]
    return True


def _fill(text: str | None, binding: tuple[tuple[str, str], ...], lang: int) -> str:
    """Put role labels into ``{var}`` placeholders of a for-each rule's texts."""
    if not text:
        return text or ""
    for var, value in binding:
        label = vocab.ROLE_LABELS.get(value, (value, value))[lang]
        text = text.replace("{" + var + "}", label)
    return text


def _source_of(value: ast.Value) -> str:
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

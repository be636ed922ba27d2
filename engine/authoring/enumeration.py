"""The requests that matter to a pack's rules, enumerated over finite domains.

``policy check`` and ``policy diff`` answer questions about every request ("can this
rule ever apply?", "does any decision change?") by deciding every request that can make
a difference. For one action, the facts that matter are the ones its rules mention (a
derived fact brings in the facts it is computed from); every other fact keeps its
default. Each mentioned fact gets a finite domain of representative values:

- bool: false, true; an enum: every value (and *missing* when the fact is optional);
- a set: every subset of the values the rules name for it (literals, topic settings,
  ``for each`` values) plus one value they do not name, standing for all the others;
- an int: 0 and every threshold the rules compare it with, and one either side;
- a date: missing, and dates placed so that ``months_since``/``days_since`` land on each
  threshold the rules use and one either side (to the day), around a fixed ``at``;
- a text: missing, each string the rules compare it with, and one other;
- a time: missing (when optional), 09:00 on ``at`` and 1, 3 and 8 days before, and the
  moments that many office hours after it for each number the rules compare with and one
  either side, so that a span counted in office hours lands on each threshold even where
  holidays crowd the days around ``at``.

Within these domains the enumeration is exhaustive: two requests whose facts fall
between the same thresholds get the same findings from every rule, so deciding one
representative decides them all (at the one date ``at``).

Two ways to go through them. ``space()`` is the plain product over the facts some rules
read (``policy check`` asks each question over the facts of the few rules it is about).
``blocks()`` splits an action's facts into blocks no rule reads across, enumerates each
block alone, and keeps one representative per distinct set of findings, with how many
assignments it stands for; the combinations of the blocks' cases then stand for every
request (``policy diff``). Either is capped at :data:`CAP` (requests, block assignments
or combinations); beyond it the space is sampled evenly and deterministically, and
``capped`` says so.

Requests come as the facts the validator would hand the evaluator; ``evaluate`` runs a
compiled pack's plan on them and ``decide`` combines the findings, exactly as the engine
does for a real request.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import sys
from typing import Any, Iterable, Iterator, Mapping, Sequence, TypeGuard

import attrs

from dsl import ast
from engine import vocabulary as vocab
from engine.compiler import CompiledPack, CompiledRule
from engine.contract import INTERVAL_MONTHS
from engine.decide import decide as combine
from engine.errors import RequestError
from engine.model import Decision, Finding

#: The date requests are decided at unless told otherwise (the test cases' default).
DEFAULT_AT = dt.date(2025, 1, 1)

#: The most requests enumerated for one action; a larger space is sampled.
CAP = 100_000


# ---- what the rules mention -----------------------------------------------------------

@attrs.define
class Mentions:
    """What the rules of one action name: facts, values, thresholds, topics."""

    facts: set[str] = attrs.field(factory=set)
    names: set[str] = attrs.field(factory=set)          # bare names: enum values, mostly
    values: dict[str, set[str]] = attrs.field(factory=dict)   # named beside a set fact
    loose: set[str] = attrs.field(factory=set)          # set facts used some other way
    strings: set[str] = attrs.field(factory=set)
    ints: set[int] = attrs.field(factory=set)           # compared with numbers (and topics')
    months: set[int] = attrs.field(factory=set)         # compared with months_since(…)
    days: set[int] = attrs.field(factory=set)           # compared with days_since(…)
    dates: set[dt.date] = attrs.field(factory=set)
    topics: set[str] = attrs.field(factory=set)
    topic_ids: frozenset[str] = frozenset()           # every topic the packs know


def rule_facts(rule: ast.Rule, action: vocab.Action) -> frozenset[str]:
    """The facts of ``action`` that a rule's conditions read."""
    found = Mentions()
    for expr in (rule.when, rule.done):
        if expr is not None:
            _walk(expr, action, _loop_vars(rule), found, None)
    return frozenset(found.facts)


def mentions(rules: Iterable[ast.Rule], action: vocab.Action,
             topics: Mapping[str, Any] = {}) -> Mentions:
    """Everything ``rules`` mention for ``action``; ``topics`` are the packs' settings
    (``TopicValue`` or JSON-ready values by id), to turn topic references into values."""
    found = Mentions(topic_ids=frozenset(topics))
    for rule in rules:
        if rule.for_each is not None:
            found.topics.add(rule.for_each.topic)
        loop = {rule.for_each.var: rule.for_each.topic} if rule.for_each is not None else {}
        for expr in (rule.when, rule.done):
            if expr is not None:
                _walk(expr, action, _loop_vars(rule), found, None)
                _relate(expr, action, loop, topics, found)
    for topic_id in list(found.topics):
        values = _topic_values(topics, topic_id)
        found.names.update(values)
        for value in values:
            if value in INTERVAL_MONTHS:   # compared with a number, it is months
                found.months.add(INTERVAL_MONTHS[value])
        number = _topic_number(topics, topic_id)
        if number is not None:             # a limit such as response_time's hours
            found.ints.update({math.floor(number), math.ceil(number)})
    return found


def _topic_number(topics: Mapping[str, Any], topic_id: str) -> float | None:
    """The number a topic holds (``response_time = 24``), or None when it holds none."""
    value = topics.get(topic_id)
    value = getattr(value, "value", value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value


def _topic_values(topics: Mapping[str, Any], ref: str) -> list[str]:
    """The values a topic (``id``) or one of its fields (``id.field``) holds."""
    topic_id, _, field = ref.partition(".")
    value = topics.get(topic_id)
    value = getattr(value, "value", value)
    if isinstance(value, dict):
        value = value.get(field, []) if field else [v for items in value.values() for v in items]
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, list) else []


def _relate(e: ast.Expr, action: vocab.Action, loop: Mapping[str, str],
            topics: Mapping[str, Any], found: Mentions) -> None:
    """Record, for each set fact, the values named beside it (``x in S``, ``S contains
    any [..]``); a set fact used in any other way is marked loose."""
    stack: list[ast.Expr] = [e]
    while stack:
        node = stack.pop()
        pair: tuple[ast.Expr, ast.Expr] | None = None
        if isinstance(node, ast.Membership):
            pair = (node.collection, node.item)
        elif isinstance(node, ast.Contains):
            pair = (node.collection, node.other)
        if pair is not None:
            collection, other = pair
            if _is_set_fact(collection, action):
                values = _named(other, action, loop, topics)
                if values is None:
                    found.loose.add(collection.id)
                    if _is_set_fact(other, action):
                        found.loose.add(other.id)
                else:
                    found.values.setdefault(collection.id, set()).update(values)
                continue
        for child in ast.children(node):
            if _is_set_fact(child, action):
                found.loose.add(child.id)
            else:
                stack.append(child)


def _is_set_fact(node: ast.Expr, action: vocab.Action) -> TypeGuard[ast.Name]:
    """Whether ``node`` names a set fact of ``action`` (a name, then)."""
    if not isinstance(node, ast.Name):
        return False
    fact = action.fact(node.id)
    return fact is not None and fact.type.kind == "set"


def _named(node: ast.Expr, action: vocab.Action, loop: Mapping[str, str],
           topics: Mapping[str, Any]) -> set[str] | None:
    """The values an operand names, or None when it is not a literal, topic or loop value."""
    if isinstance(node, ast.Name):
        if node.id in loop:
            return set(_topic_values(topics, loop[node.id]))
        if node.id in topics:
            return set(_topic_values(topics, node.id))
        return None if action.fact(node.id) is not None else {node.id}
    if isinstance(node, ast.Field):
        return set(_topic_values(topics, f"{node.base}.{node.field}"))
    if isinstance(node, ast.ListValue):
        return {i.id for i in node.items if isinstance(i, ast.Name)}
    return None


def _loop_vars(rule: ast.Rule) -> frozenset[str]:
    return frozenset([rule.for_each.var]) if rule.for_each is not None else frozenset()


def _walk(e: ast.Expr, action: vocab.Action, loop_vars: frozenset[str], found: Mentions,
          compared_with: str | None) -> None:
    """Collect mentions; ``compared_with`` is the function an int is compared against."""
    if isinstance(e, ast.Name):
        if e.id in loop_vars:
            return
        fact = action.fact(e.id)
        if fact is not None:
            found.facts.add(e.id)
        elif e.id in found.topic_ids:
            found.topics.add(e.id)
        else:
            found.names.add(e.id)
    elif isinstance(e, ast.Field):
        found.topics.add(e.base)
    elif isinstance(e, ast.Constant):
        v = e.value
        if isinstance(v, bool):
            return
        if isinstance(v, int):
            {"months_since": found.months, "days_since": found.days}.get(
                compared_with or "", found.ints).add(v)
        elif isinstance(v, dt.date):
            found.dates.add(v)
        elif isinstance(v, str):
            found.strings.add(v)
    elif isinstance(e, ast.ListValue):
        for item in e.items:
            _walk(item, action, loop_vars, found, None)
    elif isinstance(e, ast.Call):
        _walk(e.arg, action, loop_vars, found, None)
    elif isinstance(e, ast.Compare):
        for side, other in ((e.left, e.right), (e.right, e.left)):
            func = other.func if isinstance(other, ast.Call) else None
            _walk(side, action, loop_vars, found, func)
    elif isinstance(e, ast.Membership):
        _walk(e.item, action, loop_vars, found, None)
        _walk(e.collection, action, loop_vars, found, None)
    elif isinstance(e, ast.Contains):
        _walk(e.collection, action, loop_vars, found, None)
        _walk(e.other, action, loop_vars, found, None)
    elif isinstance(e, ast.IsSet):
        _walk(e.operand, action, loop_vars, found, None)
    elif isinstance(e, (ast.And, ast.Or)):
        for part in e.items:
            _walk(part, action, loop_vars, found, None)
    elif isinstance(e, ast.Not):
        _walk(e.operand, action, loop_vars, found, None)


# ---- domains --------------------------------------------------------------------------

def base_facts(names: Iterable[str], action: vocab.Action) -> tuple[str, ...]:
    """The request facts behind ``names`` (a derived fact stands for its inputs), in the
    action's order."""
    wanted: set[str] = set()
    for name in names:
        fact = action.fact(name)
        if isinstance(fact, vocab.DerivedFact):
            wanted.update(fact.inputs)
        elif fact is not None:
            wanted.add(name)
    return tuple(f.name for f in action.facts if f.name in wanted)


def domain(fact: vocab.Fact, action: vocab.Action, found: Mentions, at: dt.date) -> tuple[Any, ...]:
    """Representative values of one fact, its default first."""
    t = fact.type
    if t.kind == "bool":
        return (False, True)
    if t.kind == "enum":
        return t.values if fact.required else (None, *t.values)
    if t.kind == "int":
        points = {0} | {p for c in found.ints for p in (c - 1, c, c + 1) if p >= 0}
        return tuple(sorted(points)) if fact.default is not None else (None, *sorted(points))
    if t.kind == "string":
        other = "x"
        while other in found.strings:
            other += "x"
        return (None, *sorted(found.strings), other)
    if t.kind == "date":
        return (None, *_dates(found, at))
    if t.kind == "datetime":
        return _moments(fact, at, found.ints)
    if t.kind == "set":
        named = _named_values(fact, action, found)
        others = [v for v in t.element_type.values if v not in named]
        members = [v for v in t.element_type.values if v in named] + others[:1]
        return tuple(frozenset(c) for n in range(len(members) + 1)
                     for c in itertools.combinations(members, n))
    raise AssertionError(t.kind)  # pragma: no cover - the vocabulary has no other kinds


def _moments(fact: vocab.Fact, at: dt.date, limits: Iterable[int] = ()) -> tuple[Any, ...]:
    """Times around ``at`` (09:00 that day), that morning first: 1, 3 and 8 days before,
    so that spans fall on both sides of a day's and a week's, and, for each number in
    ``limits`` and one either side, the moment that many office hours after the morning,
    so that a span counted in office hours (``office_hours_to_answer``) lands on each
    limit whatever holidays fall near ``at``."""
    from engine.office_hours import deadline_after    # the holiday calendar, when needed
    morning = dt.datetime.combine(at, dt.time(9))
    points = [morning - dt.timedelta(days=n) for n in (0, 1, 3, 8)
              if (morning - dt.datetime.min).days >= n]    # none before the calendar
    for hours in sorted({h for c in limits for h in (c - 1, c, c + 1) if h > 0}):
        try:
            later = deadline_after(morning, hours)
        except (OverflowError, ValueError):               # after the calendar's end
            continue
        if later not in points:
            points.append(later)
    return tuple(points) if fact.required else (None, *points)


def _named_values(fact: vocab.Fact, action: vocab.Action, found: Mentions) -> set[str]:
    """Values the rules name beside a set fact (or beside a derived set built on it);
    every value named anywhere when one of them is used in some other way."""
    users = [fact.name] + [d.name for d in action.derived if fact.name in d.inputs]
    if any(u in found.loose for u in users):
        named = set(found.names)
    else:
        named = set().union(*(found.values.get(u, set()) for u in users))
    return set(fact.type.element_type.values) & named


def _dates(found: Mentions, at: dt.date) -> list[dt.date]:
    """The dates where a comparison of the rules turns, seen from ``at``; points that fall
    outside the calendar (before 0001-01-01, after 9999-12-31) are left out."""
    points: set[dt.date | None] = {at, _shift(at, days=1)}
    for m in {0} | {p for c in found.months for p in (c - 1, c, c + 1) if p >= 0}:
        exact = _shift(at, months=-m)
        points.update((exact, _shift(exact, days=1)))
    for d in {p for c in found.days for p in (c - 1, c, c + 1) if p >= 0}:
        points.add(_shift(at, days=-d))
    for day in found.dates:
        points.update((_shift(day, days=-1), day, _shift(day, days=1)))
    return sorted((p for p in points if p is not None), reverse=True)


def _shift(day: dt.date | None, *, days: int = 0, months: int = 0) -> dt.date | None:
    """``day`` moved by whole months, then days; None outside the calendar."""
    if day is None:
        return None
    try:
        return vocab.add_months(day, months) + dt.timedelta(days=days)
    except (OverflowError, ValueError):
        return None


# ---- spaces ---------------------------------------------------------------------------

@attrs.frozen
class Space:
    """The requests of one action over chosen facts, each fact over its domain."""

    action: vocab.Action
    facts: tuple[str, ...]
    domains: tuple[tuple[Any, ...], ...]
    at: dt.date
    cap: int = CAP

    @property
    def size(self) -> int:
        return math.prod(len(d) for d in self.domains)

    @property
    def capped(self) -> bool:
        return self.size > self.cap

    @property
    def checked(self) -> int:
        return min(self.size, self.cap)

    def assignments(self) -> Iterator[tuple[Any, ...]]:
        """Every combination of values, or an even deterministic sample when capped."""
        if not self.capped:
            yield from itertools.product(*self.domains)
            return
        for index in _sample(self.size, self.cap):
            values = []
            for d in reversed(self.domains):
                index, i = divmod(index, len(d))
                values.append(d[i])
            yield tuple(reversed(values))

    def requests(self) -> Iterator[dict[str, Any]]:
        """Normalised facts, as the validator hands them to the evaluator."""
        base = defaults(self.action)
        for values in self.assignments():
            facts = dict(base)
            facts.update(zip(self.facts, values))
            if with_derived(self.action, facts):
                yield facts


def with_derived(action: vocab.Action, facts: dict[str, Any]) -> bool:
    """Add the action's derived facts to ``facts``; False when they cannot be derived
    because the facts contradict each other (an answer before its question): no caller
    can send such a request, so enumerations leave it out."""
    try:
        for derived in action.derived:
            facts[derived.name] = derived.compute(facts, None)
    except RequestError:
        return False
    return True


def _sample(size: int, k: int) -> list[int]:
    """``k`` distinct indices below ``size``, spread evenly at random, the same every run."""
    rng = random.Random(0)
    if size <= sys.maxsize:
        return sorted(rng.sample(range(size), k))
    picked: set[int] = set()
    while len(picked) < k:
        picked.add(rng.randrange(size))
    return sorted(picked)


def defaults(action: vocab.Action) -> dict[str, Any]:
    """The facts of a request that gives none: a required fact takes its first
    representative value (a choice its first value, a time 09:00 on DEFAULT_AT)."""
    return {f.name: (_moments(f, DEFAULT_AT)[0] if f.required and f.type.kind == "datetime"
                     else f.type.values[0] if f.required else f.default)
            for f in action.facts}


def space(action: vocab.Action, rules: Sequence[ast.Rule], found: Mentions,
          at: dt.date = DEFAULT_AT, cap: int = CAP) -> Space:
    """The space over the facts ``rules`` read, with domains from ``found``."""
    names: set[str] = set()
    for rule in rules:
        names |= rule_facts(rule, action)
    facts = base_facts(names, action)
    by_name = {f.name: f for f in action.facts}
    domains = tuple(domain(by_name[n], action, found, at) for n in facts)
    return Space(action, facts, domains, at, cap)


# ---- blocks: independent facts, compressed to how they make rules behave ---------------

@attrs.frozen
class Block:
    """Facts that rules read together, and the distinct ways they make those rules behave.

    Each case is a representative assignment of the block's facts (the simplest) and how
    many assignments give the same findings from every rule that reads them.
    """

    facts: tuple[str, ...]
    cases: tuple[tuple[Mapping[str, Any], int], ...]
    sampled: bool = False
    members: tuple[tuple[tuple[Any, ...], ...], ...] = ()   # each case's assignments
    domains: tuple[tuple[Any, ...], ...] = ()


@attrs.frozen
class Blocks:
    """The requests of one action, as combinations of the cases of independent blocks.

    A rule's findings depend only on the facts it reads, and facts that no rule reads
    together are independent; so every decision of the full space is the decision of one
    combination, and each combination stands for the product of its cases' counts.
    """

    action: vocab.Action
    blocks: tuple[Block, ...]
    at: dt.date
    size: int                    # requests in the full space
    cap: int = CAP

    @property
    def combinations(self) -> int:
        return math.prod(len(b.cases) for b in self.blocks)

    @property
    def capped(self) -> bool:
        return self.combinations > self.cap or any(b.sampled for b in self.blocks)

    def requests(self) -> Iterator[tuple[dict[str, Any], int, tuple[int, ...]]]:
        """(facts, how many requests they stand for, the case chosen in each block)."""
        cases = [b.cases for b in self.blocks]
        indices = Space(self.action, (), tuple(tuple(range(len(c))) for c in cases), self.at,
                        self.cap).assignments()
        base = defaults(self.action)
        for chosen in indices:
            facts, weight = dict(base), 1
            for block_cases, i in zip(cases, chosen):
                partial, count = block_cases[i]
                facts.update(partial)
                weight *= count
            if with_derived(self.action, facts):
                yield facts, weight, tuple(chosen)


def blocks(action: vocab.Action, packs: Sequence[CompiledPack], found: Mentions,
           at: dt.date = DEFAULT_AT, cap: int = CAP) -> Blocks:
    """The action's requests that matter to any of ``packs``, compressed block by block."""
    rules = [(pack, rule, set(base_facts(rule_facts(rule.ast, action), action)))
             for pack in packs for rule in pack.rules_for(action.name)]
    parent: dict[str, str] = {}

    def root(fact: str) -> str:
        while parent.setdefault(fact, fact) != fact:
            fact = parent[fact]
        return fact

    for _, _, facts in rules:
        if facts:
            first, *others = sorted(facts)
            root(first)
            for other in others:
                parent[root(other)] = root(first)
    groups: dict[str, list[str]] = {}
    for fact in (f.name for f in action.facts if f.name in parent):
        groups.setdefault(root(fact), []).append(fact)
    by_name = {f.name: f for f in action.facts}
    out, size = [], 1
    for group in groups.values():
        mine = {id(f) for _, rule, used in rules if used and used <= set(group)
                for f in (rule.matched, rule.met) if f is not None}
        sub = Space(action, tuple(group),
                    tuple(domain(by_name[f], action, found, at) for f in group), at, cap)
        size *= sub.size
        seen: dict[tuple[Any, ...], list[Any]] = {}
        for request in sub.requests():
            signature = tuple(tuple(id(f) for f in evaluate(pack, action.name, request, at)
                                    if id(f) in mine) for pack in packs)
            partial = {f: request[f] for f in group}
            case = seen.setdefault(signature, [partial, 0, []])
            case[1] += 1
            case[2].append(tuple(partial.values()))
            if _away(partial, action) < _away(case[0], action):
                case[0] = partial
        out.append(Block(tuple(group), tuple((c[0], c[1]) for c in seen.values()), sub.capped,
                         tuple(tuple(c[2]) for c in seen.values()), sub.domains))
    return Blocks(action, tuple(out), at, size, cap)


def _away(facts: Mapping[str, Any], action: vocab.Action) -> int:
    base = defaults(action)
    return sum(1 for k, v in facts.items() if v != base.get(k))


def action_mentions(packs: Sequence[CompiledPack], action: vocab.Action) -> Mentions:
    """What the rules of every pack in ``packs`` mention for ``action``, merged."""
    merged = Mentions()
    for pack in packs:
        rules = [r.ast for r in pack.rules_for(action.name)]
        found = mentions(_unique(rules), action, pack.topics)
        for field in attrs.fields(Mentions):
            if field.name == "values":
                for fact, values in found.values.items():
                    merged.values.setdefault(fact, set()).update(values)
            elif field.name == "topic_ids":
                merged.topic_ids |= found.topic_ids
            else:
                getattr(merged, field.name).update(getattr(found, field.name))
    return merged


def _unique(rules: Iterable[ast.Rule]) -> list[ast.Rule]:
    """Rules once each (a ``for each`` rule compiles to one rule per value)."""
    seen: list[ast.Rule] = []
    for rule in rules:
        if not any(rule is s for s in seen):
            seen.append(rule)
    return seen


# ---- evaluating ----------------------------------------------------------------------

def evaluate(pack: CompiledPack, action: str, facts: Mapping[str, Any],
             at: dt.date) -> list[Finding]:
    plan = pack.plans.get(action)
    return plan(facts, at) if plan is not None else []


def decide(pack: CompiledPack, action: str, facts: Mapping[str, Any], at: dt.date) -> Decision:
    return combine(pack, action, evaluate(pack, action, facts, at), at)


def instance_of(pack: CompiledPack, action: str) -> dict[int, tuple[CompiledRule, str]]:
    """Each prebuilt finding of an action's rules, by identity: which rule, and whether
    it is the rule matching (``fire``) or its requirement being met (``met``).

    The generated plan appends these very objects, so a finding names the compiled rule
    (one per ``for each`` value) that produced it.
    """
    found: dict[int, tuple[CompiledRule, str]] = {}
    for rule in pack.rules_for(action):
        found[id(rule.matched)] = (rule, "fire")
        if rule.met is not None:
            found[id(rule.met)] = (rule, "met")
    return found


def simplest(examples: Iterable[Mapping[str, Any]], action: vocab.Action) -> Mapping[str, Any]:
    """The request with the fewest facts away from their defaults, of one or more."""
    base = defaults(action)
    return min(examples, key=lambda f: sum(1 for k in base if f.get(k) != base[k]))

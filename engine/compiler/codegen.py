"""Code generation: each action's rules become one plan function, indexed on its facts.

``plan(f, at) -> [Finding, …]`` gives the findings of the action's rules that hold, in
the pack's rule order. The plan index (``plan_index``) reads each rule's key: the test
of a request fact that its condition cannot hold without. The plan then looks the
request's facts up in tables of *buckets* (the rules a value can reach) and evaluates
only those rules; whatever else a rule's condition says is evaluated as written.

Two layouts, picked per action:

* **split on one fact** (the rules' keys all test one scalar fact, or the action has
  fewer than :data:`INDEX_MIN` rules): one function per value the rules name (every
  value, for a choice or a bool), holding in rule order the rules that value can reach
  and the rules with no key; the plan calls the one for the request's value. With no
  key at all, the plan is one function.
* **buckets** (keys on several facts): the plan collects the findings of the rules with
  no key, of the bucket of each scalar fact's value, of the bucket of each value a set
  fact holds, and of the bucket of each value a set fact lacks; each rule is in one
  bucket a request can reach, and the findings are put back in rule order.

Parts of a condition that do not depend on the request (a topic setting, a ``for each``
value, the value a bucket stands for) are decided here, at load. Each generated function
tests at most :data:`CHUNK` rules, and functions whose code is the same up to the
findings they give are compiled once (a *template*, made once per bucket with its own
findings): compiling stays linear in the rules and small in code. The code is kept
(``CompiledPack.code``) for reading and debugging.
"""

from __future__ import annotations

import collections
import itertools
from typing import Any, Callable, Mapping, NamedTuple

from dsl import ast
from engine import vocabulary as vocab
from engine.compiler.check import Checker, Scope
from engine.compiler.compiled import CompiledRule, Plan
from engine.compiler.plan_index import Key, best_key, conjuncts

#: Rules one generated function tests at most.
CHUNK = 200
#: An action with fewer rules is split on one fact at most.
INDEX_MIN = 32


class Chunk(NamedTuple):
    """A generated function still to be made: its template and its findings."""

    template: str
    args: tuple[Any, ...]


class _Entry(NamedTuple):
    rule: CompiledRule
    pos: int                      # the rule's position among the action's rules
    key: Key | None


class CodegenStep(Checker):
    def generate(self, rules: list[CompiledRule]) -> tuple[dict[str, Plan], str]:
        """One plan per action that has rules (see the module), and the code."""
        self.lines = [f"# generated from pack '{self.pack.header.id}' ({self.pack.file})",
                      "def _nothing(f, at):", "    return []"]
        self.templates: dict[tuple[str, ...], str] = {}
        self.tables: list[tuple[str, Callable[[Callable[[Chunk | None], Any]], Any]]] = []
        self.pairs: dict[tuple[int, int], tuple[tuple[int, Any], tuple[int, Any] | None]] = {}
        self.parts: dict[tuple[int, str, tuple[tuple[str, Any], ...]], str | bool] = {}
        self.names: dict[int, frozenset[str]] = {}
        plans: dict[str, str] = {}
        for action in self.vocabulary.actions.values():
            applicable = [r for r in rules if action.name in r.actions]
            if applicable:
                plans[action.name] = self.plan(action, applicable)
        code = "\n".join(self.lines) + "\n"
        namespace = dict(self.namespace)
        exec(compile(code, f"<pack {self.pack.header.id}>", "exec"), namespace)  # noqa: S102

        def make(chunk: Chunk | None) -> Any:
            return namespace["_nothing"] if chunk is None else namespace[chunk.template](*chunk.args)

        for name, build in self.tables:
            namespace[name] = build(make)
        return {action: namespace[name] for action, name in plans.items()}, code

    # ---- layouts --------------------------------------------------------------------
    def plan(self, action: vocab.Action, rules: list[CompiledRule]) -> str:
        """Generate the plan of ``action``'s ``rules``; the name it will have."""
        facts = self.facts_of(action)
        entries = [_Entry(rule, i, best_key(rule, facts, self.topics))
                   for i, rule in enumerate(rules)]
        name = f"plan_{action.name}"
        counts = collections.Counter(e.key.fact for e in entries
                                     if e.key is not None and e.key.kind == "eq")
        primary = counts.most_common(1)[0][0] if counts else None
        others = any(e.key is not None and e.key.fact != primary for e in entries)
        small = len(rules) < INDEX_MIN
        if primary is not None and (small or not others):
            if self.split(name, action, entries, primary):
                return name
        if small or (not counts and not others and len(rules) <= CHUNK):
            chunk = self.chunk(action, [e for e in entries], {}, "list")
            self.tables.append((name, lambda make: make(chunk)))
            self.lines.append(f"# {name}: {len(rules)} rule{'s' if len(rules) != 1 else ''}, one function")
            return name
        self.buckets(name, action, entries)
        return name

    def split(self, name: str, action: vocab.Action, entries: list[_Entry],
              fact_name: str) -> bool:
        """The plan split on one fact: one function per value (see the module); False
        when that would copy too many rules or make too long a function."""
        fact = self.facts_of(action)[fact_name]
        assert isinstance(fact, vocab.Fact)
        keyed = [e for e in entries if e.key is not None and e.key.fact == fact_name]
        free = [e for e in entries if e.key is None or e.key.fact != fact_name]
        values: dict[Any, None] = {}
        if fact.type.kind == "bool":
            values.update(dict.fromkeys((True, False)))
        elif fact.type.kind == "enum":
            values.update(dict.fromkeys(fact.type.values))
        for e in keyed:
            assert e.key is not None
            values.update(dict.fromkeys(sorted(e.key.values, key=_order)))
        reach: dict[Any, list[_Entry]] = {v: [] for v in values}
        for e in keyed:
            assert e.key is not None
            for v in e.key.values:
                reach[v].append(e)
        other = sorted(free + [e for e in keyed if e.key and e.key.complement],
                       key=lambda e: e.pos)
        copies = len(other) + sum(len(r) for r in reach.values()) + len(free) * len(reach)
        longest = max([len(r) for r in reach.values()] + [0]) + len(free)
        if copies > 4 * len(entries) + 64 or longest > CHUNK or len(other) > CHUNK:
            return False
        table: dict[Any, Chunk | None] = {}
        for v in values:
            ordered = sorted(reach[v] + free, key=lambda e: e.pos)
            table[v] = self.chunk(action, ordered, {fact_name: v}, "list", ("eq", fact_name))
        rest = self.chunk(action, other, {}, "list")
        index, fallback = f"_index_{action.name}", f"_other_{action.name}"
        self.tables.append((index, lambda make: {v: make(c) for v, c in table.items()}))
        self.tables.append((fallback, lambda make: make(rest)))
        self.lines += [f"# {name}: split on {fact_name} ({len(values)} values)",
                       f"def {name}(f, at):",
                       f"    return {index}.get(f[{fact_name!r}], {fallback})(f, at)"]
        return True

    def buckets(self, name: str, action: vocab.Action, entries: list[_Entry]) -> None:
        """The plan gathering the findings of the buckets a request reaches (see the
        module)."""
        groups: dict[tuple[str, str], dict[Any, list[_Entry]]] = {}
        fallbacks: dict[str, list[_Entry]] = collections.defaultdict(list)
        free = []
        for e in entries:
            if e.key is None:
                free.append(e)
                continue
            group = groups.setdefault((e.key.kind, e.key.fact), {})
            for v in sorted(e.key.values, key=_order):
                group.setdefault(v, []).append(e)
            if e.key.complement:
                fallbacks[e.key.fact].append(e)
        body = [f"def {name}(f, at):", "    out = []"]
        if free:
            chunks = self.chunks(action, free, {})
            body.append(f"    for c in {self.table(chunks)}: c(f, at, out)")
        for (kind, fact_name), group in groups.items():
            made = {v: self.chunks(action, es, {fact_name: v} if kind == "eq" else {},
                                   (kind, fact_name)) for v, es in group.items()}
            table = self.table(made, mapping=True)
            if kind == "eq":
                rest = self.table(self.chunks(action, fallbacks[fact_name], {}))
                body.append(f"    for c in {table}.get(f[{fact_name!r}], {rest}): c(f, at, out)")
            elif kind == "has":
                body += [f"    for v in f[{fact_name!r}]:",
                         f"        for c in {table}.get(v, ()): c(f, at, out)"]
            else:
                body += [f"    s = f[{fact_name!r}]",
                         f"    for v, cs in {table}.items():",
                         "        if v not in s:",
                         "            for c in cs: c(f, at, out)"]
        body += ["    if len(out) > 1:", "        out.sort()", "    return [p[1] for p in out]"]
        self.lines.append(f"# {name}: {len(free)} rules without a key, buckets on "
                          + (", ".join(f"{f} ({k}, {len(g)} values)" for (k, f), g in groups.items())
                             or "nothing"))
        self.lines += body

    def table(self, chunks: Any, mapping: bool = False) -> str:
        """A name for a tuple of chunks, or (``mapping``) a dict of values to tuples."""
        name = f"_T{len(self.tables)}"
        if mapping:
            self.tables.append((name, lambda make: {v: tuple(make(c) for c in cs)
                                                    for v, cs in chunks.items()}))
        else:
            self.tables.append((name, lambda make: tuple(make(c) for c in chunks)))
        return name

    def chunks(self, action: vocab.Action, entries: list[_Entry], pinned: Mapping[str, Any],
               tested: tuple[str, str] | None = None) -> list[Chunk]:
        """``entries`` (in rule order) as functions of at most :data:`CHUNK` rules each,
        appending ``(position, finding)`` to ``out`` (``tested``: see :meth:`chunk`)."""
        made = []
        for start in range(0, len(entries), CHUNK):
            chunk = self.chunk(action, entries[start:start + CHUNK], pinned, "into", tested)
            if chunk is not None:
                made.append(chunk)
        return made

    # ---- one function ---------------------------------------------------------------
    def chunk(self, action: vocab.Action, entries: list[_Entry], pinned: Mapping[str, Any],
              style: str, tested: tuple[str, str] | None = None) -> Chunk | None:
        """A function testing ``entries`` in order with ``pinned`` facts known: ``list``
        style ``run(f, at) -> [Finding, …]``, ``into`` style ``run(f, at, out)``
        appending ``(position, finding)``. A rule's key part is left out where its key is
        exact and of the kind and fact ``tested`` (the bucket has tested it). None when no
        rule can apply."""
        body: list[str] = []
        args: list[Any] = []
        for e in entries:
            rule = e.rule
            fe = rule.ast.for_each
            scope = Scope(action, {fe.var: self.vocabulary.topics[fe.topic].type.element_type}
                          if fe else {}, pinned)
            key = e.key
            skip = (key.part if key is not None and key.exact and (key.kind, key.fact) == tested
                    else None)
            when = self.folded(rule.ast.when, scope, skip)
            if when is False:
                continue                      # cannot apply for the pinned values
            matched, met = self.results(e, style)
            for var, value in rule.bindings:
                body.append(f"_v_{var} = {value!r}")
            indent = ""
            if isinstance(when, str):
                body.append(f"if {when}:")
                indent = "    "
            found = f"a{len(args)}"
            args.append(matched)
            if rule.kind == "require":
                done = self.folded(rule.ast.done, scope) if rule.ast.done is not None else False
                if done is not False:
                    args.append(met)
                    found = (f"a{len(args) - 1}" if done is True
                             else f"(a{len(args) - 1} if {done} else {found})")
            body.append(f"{indent}out.append({found})")
        if not body:
            return None
        return Chunk(self.template(body, len(args), style), tuple(args))

    def results(self, e: _Entry, style: str) -> tuple[Any, Any]:
        """What a rule's function appends when it holds, and when its step is done."""
        rule = e.rule
        if style == "list":
            return rule.matched, rule.met
        # a rule "on A, B" has a position in each action's plan: keyed by both
        pair = self.pairs.get((id(rule), e.pos))
        if pair is None:
            pair = self.pairs[(id(rule), e.pos)] = ((e.pos, rule.matched),
                                           (e.pos, rule.met) if rule.met is not None else None)
        return pair

    def template(self, body: list[str], arity: int, style: str) -> str:
        """The name of a function factory for ``body`` (made once per distinct body)."""
        key = (style, *body)
        name = self.templates.get(key)
        if name is None:
            name = self.templates[key] = f"_make{len(self.templates)}"
            params = ", ".join(f"a{i}" for i in range(arity))
            self.lines.append(f"def {name}({params}):")
            if style == "list":
                self.lines += ["    def run(f, at):", "        out = []"]
            else:
                self.lines.append("    def run(f, at, out):")
            self.lines += [f"        {line}" for line in body]
            if style == "list":
                self.lines.append("        return out")
            self.lines.append("    return run")
        return name

    def folded(self, expr: ast.Expr | None, scope: Scope,
               skip: ast.Expr | None = None) -> str | bool:
        """Code for a condition, with the parts that do not depend on the request decided
        now: True, False, or the code of what is left (None means no condition: True).
        ``skip`` is a top-level part known to hold (the bucket tested it)."""
        if expr is None:
            return True
        left = []
        for part in conjuncts(expr):
            if part is skip:
                continue
            value = self.part(part, scope)
            if value is False:
                return False
            if value is not True:
                left.append(value)
        return " and ".join(left) if left else True

    def part(self, part: ast.Expr, scope: Scope) -> str | bool:
        """One top-level part of a condition, decided now (True, False) if it does not
        depend on the request, else its code. Kept per part and action (and the pinned
        values it reads): a rule in several buckets is typed once per value it sees."""
        pins: tuple[tuple[str, Any], ...] = ()
        if scope.pinned:
            names = self.names.get(id(part))
            if names is None:
                names = self.names[id(part)] = frozenset(
                    n.id for n in ast.walk(part) if isinstance(n, ast.Name))
            pins = tuple((k, v) for k, v in scope.pinned.items() if k in names)
        key = (id(part), scope.action.name, pins)
        if key in self.parts:
            return self.parts[key]
        self.temp = itertools.count()    # a part's temporaries are its own: code repeats
        code = self.expr(part, scope).code
        result: str | bool = code
        if "f[" not in code:             # reading the request, it cannot be decided now
            try:   # nor when it needs ``at`` or a loop value (NameError)
                # our own generated code, evaluated in the namespace it will run in (eval
                # only adds __builtins__ to it); a copy per part made loading quadratic
                value = eval(code, self.namespace)  # noqa: S307
                if value is False or value is True:
                    result = value
            except NameError:
                pass
        self.parts[key] = result
        return result


def _order(value: Any) -> tuple[str, str]:
    """A fixed order for a key's values (None, bools, numbers and texts mixed)."""
    return (type(value).__name__, str(value))

"""Code generation: each action's rules become one Python function.

``plan_ACTION(f, at) -> [Finding, …]`` tests the action's rules in source order and
collects their prebuilt findings. Parts of a condition that do not depend on the request
(a topic setting, a ``for each`` value, a fact pinned by the plan index) are decided here,
at load, so a request pays only for what it can change. The code is compiled once and
kept (``CompiledPack.code``) for reading and debugging.
"""

from __future__ import annotations

import collections
import heapq
from typing import Any, Mapping

from dsl import ast
from engine import vocabulary as vocab
from engine.compiler.check import Checker, Scope
from engine.compiler.compiled import CompiledRule, Plan
from engine.compiler.plan_index import conjuncts, equals_any, excludes, index_fact, literal_equal


class CodegenStep(Checker):
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
        for action in self.vocabulary.actions.values():
            applicable = [r for r in rules if action.name in r.actions]
            if not applicable:
                continue
            fname = f"plan_{action.name}"
            names[action.name] = fname
            key = index_fact(action, applicable)
            if key is None:
                self.emit_plan(lines, fname, action, applicable, {})
                continue
            fact, values = key
            # the rules each value can reach: those that name it, and those that name none
            free, named = [], collections.defaultdict(list)
            known = set(values)
            for i, rule in enumerate(applicable):
                needed = {v for part in conjuncts(rule.ast.when)
                          for v in literal_equal(part, fact)} & known
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
            others = [r for r in applicable if not equals_any(r.ast.when, fact.name, values)]
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
            if any(excludes(part, action.fact(name), value) for name, value in pinned.items()
                   for part in conjuncts(rule.ast.when)):
                continue                      # names another value: cannot apply
            fe = rule.ast.for_each
            scope = Scope(action, {fe.var: self.vocabulary.topics[fe.topic].type.element_type} if fe else {},
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

    def folded(self, expr: ast.Expr | None, scope: Scope) -> str | bool:
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

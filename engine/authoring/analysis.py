"""Static analysis of pack sources: the engine behind ``policy check``.

``check_source(text, origin, tests=…)`` runs every check on one pack (and its test
file) and returns a :class:`Report` of :class:`Diagnostic` values, each with a severity,
a stable code and a position, sorted by position. It collects rather than stops:

1. errors the pack cannot load with: every syntax error (``dsl.recovery`` parses item
   by item), then every compile error (unknown names, types, duplicate ids, sections);
2. errors in the test file: syntax, and cases that name unknown facts, rules or steps;
3. on a pack that compiles, the checks below (those on topics in
   ``engine.authoring.topic_checks``). Those that ask about every request
   decide every request that matters, over finite domains (``engine.authoring.enumeration``):

   ===================== ======== ======================================================
   code                  severity finding
   ===================== ======== ======================================================
   step-text-conflict    error    two rules require the same step id with other texts,
                                  role or level (a decision lists a step id once)
   never-applies         warning  a rule's condition is false for every request
   never-done            warning  a step's ``done when`` is false whenever it applies
   always-done           warning  a step's ``done when`` is true whenever it applies
   shadowed-rule         warning  every request the rule applies to is denied anyway
                                  (for a deny: by an earlier deny)
   duplicate-rule        warning  a rule has the same effect on the same requests as an
                                  earlier one
   allow-deny-conflict   warning  a request both allowed and denied (deny wins) by rules
                                  that read a fact in common; an example is given
   unused-topic          warning  a topic setting that no rule refers to
   unset-topic           warning  rules decide what a topic sums up (rules on like_page
                                  read page_category) while the topic is not regulated
   hard-coded-topic      warning  a rule writes out a value a topic setting holds
   missing-source        warning  a rule does not cite its section
   missing-level         warning  a rule does not say must or should (must is assumed)
   falls-to-default      warning  a rule reads a choice fact, yet requests with some of
                                  its values fall to the pack default (an open list
                                  where the guideline's may be closed)
   only-denies-missing   warning  an ``only`` rule on an optional fact also denies the
                                  requests that leave the fact out
   added-value           note     a choice fact the rules read has values that plugins
                                  added and no rule names: what such a request gets
   bad-ignore            warning  a ``# check: ignore`` directive without a reason, with
                                  an unknown code, or not above a rule or topic
   unused-ignore         warning  a directive that acknowledges nothing
   ===================== ======== ======================================================

A warning the author has judged can be acknowledged in the pack, with a reason
(``engine.authoring.acknowledge``): it stays in the report, marked, and no longer counts.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, Iterable, Mapping, Sequence

import attrs

from dsl import ast
from dsl.parser import parse_tests
from dsl.recovery import parse_pack_recovering
from dsl.text import normalise_source
from engine.authoring import acknowledge as ack
from engine.authoring import enumeration as en
from engine.authoring.example_requests import request_json, request_text
from engine.authoring.topic_checks import head_span, topic_findings
from engine import vocabulary as vocab
from engine.compiler import CompiledPack, CompiledRule, compile_pack
from engine.errors import PackErrors, PolicyError, SourceError, Span, source_lines
from engine.model import Step

ERROR, WARNING, NOTE = "error", "warning", "note"

#: The codes of the warnings a pack may acknowledge.
WARNING_CODES = ("never-applies", "never-done", "always-done", "shadowed-rule",
                 "duplicate-rule", "allow-deny-conflict", "unused-topic", "hard-coded-topic",
                 "missing-source", "missing-level", "falls-to-default", "only-denies-missing",
                 "unset-topic")


@attrs.frozen
class Diagnostic:
    """One finding of ``policy check``."""

    severity: str
    code: str
    message: str
    span: Span | None
    source_line: str | None = None
    example: Mapping[str, Any] | None = None     # a request showing the problem
    acknowledged: str | None = None              # the pack's reason for accepting it

    @classmethod
    def of_error(cls, error: SourceError) -> "Diagnostic":
        return cls(ERROR, error.code, error.message, error.span, error.source_line)

    def render(self) -> str:
        """``FILE:LINE:COL: severity[code]: message``, the line, and a caret; an
        acknowledged warning says so, with the pack's reason."""
        marked = f" (acknowledged: {self.acknowledged})" if self.acknowledged else ""
        return PolicyError(f"{self.severity}[{self.code}]{marked}: {self.message}",
                           span=self.span, source_line=self.source_line).render()

    def sort_key(self) -> tuple[str, int, int]:
        if self.span is None:
            return ("", 0, 0)
        return (self.span.file, self.span.line, self.span.column)

    def to_json(self) -> dict[str, Any]:
        span = self.span
        out: dict[str, Any] = {
            "severity": self.severity, "code": self.code, "message": self.message,
            "file": span.file if span else None, "line": span.line if span else None,
            "column": span.column if span else None,
            "end_line": span.end_line if span else None,
            "end_column": span.end_column if span else None,
        }
        if self.example is not None:
            out["example"] = dict(self.example)
        if self.acknowledged is not None:
            out["acknowledged"] = self.acknowledged
        return out


@attrs.frozen
class Enumerated:
    """How many requests of one action were decided to answer the checks.

    Each check decides the requests over the facts of the rules it is about;
    ``requests`` is the largest such set, ``space`` the size of the space over every
    fact the action's rules read (what deciding them all at once would take).
    """

    action: str
    requests: int
    space: int
    capped: bool


@attrs.frozen
class Report:
    origin: str
    pack_id: str | None
    diagnostics: tuple[Diagnostic, ...]
    enumerated: tuple[Enumerated, ...] = ()

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == ERROR)

    @property
    def warnings(self) -> int:
        """Warnings not acknowledged in the pack."""
        return sum(1 for d in self.diagnostics if d.severity == WARNING and d.acknowledged is None)

    @property
    def acknowledged(self) -> int:
        return sum(1 for d in self.diagnostics if d.acknowledged is not None)


def check_source(text: str, origin: str, tests: str | None = None,
                 tests_origin: str | None = None, at: dt.date = en.DEFAULT_AT,
                 vocabulary: vocab.Vocabulary | None = None, *,
                 checks: bool = True) -> Report:
    """Every check on one pack source and, when given, its test file, against
    ``vocabulary`` (default: the contract's).

    With ``checks=False``, only the errors: those the pack cannot load with (1 above)
    and those of the test file (2), not the checks on a compiled pack (3), which decide
    many requests; an editor reports these first, while the author types.
    """
    text = normalise_source(text)       # as the parser reads it, so lines match spans
    tests = normalise_source(tests) if tests is not None else None
    recovered = parse_pack_recovering(text, origin)
    diagnostics = [Diagnostic.of_error(e) for e in recovered.errors]
    pack: CompiledPack | None = None
    if recovered.pack is not None:
        try:
            pack = compile_pack(recovered.pack, vocabulary)
        except PackErrors as e:
            diagnostics += [Diagnostic.of_error(err) for err in e.errors
                            if not _follows_from(err, recovered.broken_topics)]
    if recovered.errors:
        pack = None      # lints on a pack with items left out would mislead
    enumerated: list[Enumerated] = []
    if pack is not None and checks:
        checker = _Checker(pack, text, at)
        diagnostics += _acknowledged(checker.run(), pack, text, origin)
        enumerated = checker.enumerated
    if tests is not None:
        diagnostics += _check_tests(tests, tests_origin or "<tests>", pack,
                                    bool(recovered.broken_rules or recovered.errors),
                                    vocabulary)
    pack_id = recovered.pack.header.id if recovered.pack is not None else None
    return Report(origin, pack_id, tuple(sorted(diagnostics, key=Diagnostic.sort_key)),
                  tuple(enumerated))


def _acknowledged(found: list[Diagnostic], pack: CompiledPack, text: str,
                  origin: str) -> list[Diagnostic]:
    """``found`` with the warnings the pack acknowledges marked, and the directives' own
    findings added."""
    if pack.ast is None:
        return found
    directives, problems = ack.directives(text, pack.ast, origin)
    warnings = [(d.code, d.span) if d.severity == WARNING else ("", None) for d in found]
    marks, more = ack.acknowledge(directives, warnings, WARNING_CODES)
    lines = source_lines(text)
    out = [attrs.evolve(d, acknowledged=marks[i]) if i in marks else d
           for i, d in enumerate(found)]
    for code, message, span in problems + more:
        out.append(Diagnostic(WARNING, code, message, span, lines[span.line - 1]))
    return out


def _follows_from(error: SourceError, broken_topics: Iterable[str]) -> bool:
    """A compile error that only says a topic is missing because its item did not parse."""
    return error.code == "unregulated-topic" and any(
        f"topic '{t}'" in error.message for t in broken_topics)


def _check_tests(text: str, origin: str, pack: CompiledPack | None,
                 pack_incomplete: bool,
                 vocabulary: vocab.Vocabulary | None = None) -> list[Diagnostic]:
    from engine.authoring.testing import check_cases

    try:
        tests = parse_tests(text, origin)
    except PackErrors as e:
        return [Diagnostic.of_error(err) for err in e.errors]
    except SourceError as e:
        return [Diagnostic.of_error(e)]
    if pack is None:   # the cases' requests can still be checked against the vocabulary
        pack_incomplete = True
    try:
        check_cases(pack, tests, vocabulary)
    except PackErrors as e:
        return [Diagnostic.of_error(err) for err in e.errors
                if not (pack_incomplete and err.code in ("unknown-rule", "unknown-step"))]
    return []


# ---- the checks on a compiled pack ----------------------------------------------------

class _Checker:
    def __init__(self, pack: CompiledPack, text: str, at: dt.date) -> None:
        self.pack = pack
        self.text = text
        self.at = at
        self.found: list[Diagnostic] = []
        self.enumerated: list[Enumerated] = []

    def warn(self, code: str, message: str, span: Span | None, severity: str = WARNING,
             example: Mapping[str, Any] | None = None) -> None:
        line = None
        if span is not None:
            lines = source_lines(self.text)
            if 1 <= span.line <= len(lines):
                line = lines[span.line - 1]
        self.found.append(Diagnostic(severity, code, message, span, line, example))

    def run(self) -> list[Diagnostic]:
        rules = list(self.pack.ast.rules)
        for rule in rules:
            self.check_clauses(rule)
        for code, message, span in topic_findings(self.pack, rules):
            self.warn(code, message, span)
        self.check_steps()
        for action in self.pack.vocabulary.actions.values():
            if self.pack.rules_for(action.name):
                _ActionChecker(self, action).run()
        return self.found

    def check_clauses(self, rule: ast.Rule) -> None:
        if rule.source is None:
            where = ("one of the sections the header lists" if self.pack.sections
                     else "the heading of the guideline's section")
            self.warn("missing-source", f"rule '{rule.id}' does not cite its section; add "
                      f"'source \"…\"' with {where}", head_span(rule))
        if rule.level is None:
            self.warn("missing-level", f"rule '{rule.id}' does not say how binding it is, so "
                      "'must' is assumed; add 'level must' (ska, måste, a legal duty) or "
                      "'level should' (bör)", head_span(rule))

    def check_steps(self) -> None:
        first: dict[str, tuple[CompiledRule, Step]] = {}
        for rule in self.pack.rules:
            step = rule.step
            if step is None:
                continue
            other, other_step = first.setdefault(step.id, (rule, step))
            if other is rule:
                continue
            differences = [what for what, a, b in (
                ("text", other_step.text, step.text),
                ("Swedish text", other.step_sv, rule.step_sv),
                ("role", other_step.by, step.by),
                ("level", other_step.level, step.level)) if a != b]
            if differences:
                differ = " and ".join(differences)
                self.warn("step-text-conflict", f"rules '{other.id}' and '{rule.id}' both require "
                          f"step '{step.id}' but with a different {differ}; a decision lists "
                          "a step id once, so one of them would be lost: give the steps ids of "
                          "their own, or the same texts",
                          rule.ast.effect.span if rule.ast.effect else head_span(rule.ast), ERROR)


class _ActionChecker:
    """The checks that decide every request of one action that matters."""

    def __init__(self, checker: _Checker, action: vocab.Action) -> None:
        self.checker = checker
        self.pack = checker.pack
        self.action = action
        self.rules = list(self.pack.rules_for(action.name))
        self.found = en.action_mentions([self.pack], action)
        self.instances = en.instance_of(self.pack, action.name)
        self.largest = 0
        self.capped = False

    def run(self) -> None:
        live = [r for r in self.rules if self.check_applies(r)]
        denies = [r for r in live if r.kind == "deny"]
        shadowed = set()
        for rule in live:
            if self.check_shadowed(rule, denies):
                shadowed.add(id(rule))
        for a, b in itertools.combinations(live, 2):
            if id(b) not in shadowed:
                self.check_duplicate(a, b)
        for allow in (r for r in live if r.kind == "allow" and id(r) not in shadowed):
            for deny in denies:
                self.check_conflict(allow, deny)
        self.check_falls_to_default()
        self.check_added_values()
        for rule in self.rules:
            if rule.only and rule.kind == "deny":
                self.check_only_on_missing(rule)
        full = en.space(self.action, [r.ast for r in self.rules], self.found, self.checker.at)
        self.checker.enumerated.append(Enumerated(self.action.name, self.largest, full.size,
                                                  self.capped))

    def outcomes(self, rules: Sequence[CompiledRule]
                 ) -> list[tuple[dict[str, Any], dict[int, str]]]:
        """Each request over the facts ``rules`` read, with what each rule did on it."""
        space = en.space(self.action, [r.ast for r in rules], self.found, self.checker.at)
        self.largest = max(self.largest, space.checked)
        self.capped |= space.capped
        out = []
        for facts in space.requests():
            did: dict[int, str] = {}
            for finding in en.evaluate(self.pack, self.action.name, facts, self.checker.at):
                rule, kind = self.instances.get(id(finding), (None, ""))
                if rule is not None:
                    did[id(rule)] = kind
            out.append((facts, did))
        return out

    def name(self, rule: CompiledRule) -> str:
        binding = ", ".join(f"{k} = {v}" for k, v in rule.bindings)
        return f"rule '{rule.id}'" + (f" (for {binding})" if binding else "")

    def check_applies(self, rule: CompiledRule) -> bool:
        results = self.outcomes([rule])
        applies = [did[id(rule)] for _, did in results if id(rule) in did]
        ast_rule = rule.ast
        if not applies:
            where = ast_rule.when.span if ast_rule.when is not None else head_span(ast_rule)
            self.checker.warn("never-applies", f"{self.name(rule)} can never apply to "
                              f"'{self.action.name}': its condition is false for every request "
                              f"({len(results)} checked); correct the condition or remove the rule",
                              where)
            return False
        if rule.kind == "require" and ast_rule.done is not None:
            step_id = rule.required_step.id
            if "met" not in applies:
                self.checker.warn("never-done", f"the step '{step_id}' of {self.name(rule)} "
                                  f"can never count as done for '{self.action.name}': its "
                                  "'done when' is false for every request it applies to",
                                  ast_rule.done.span)
            elif "fire" not in applies:
                self.checker.warn("always-done", f"the step '{step_id}' of {self.name(rule)} "
                                  f"is never required for '{self.action.name}': its 'done when' is "
                                  "true for every request it applies to", ast_rule.done.span)
        return True

    def check_shadowed(self, rule: CompiledRule, denies: Sequence[CompiledRule]) -> bool:
        earlier = [d for d in denies if d is not rule and (
            rule.kind != "deny" or self.rules.index(d) < self.rules.index(rule))]
        if not earlier:
            return False
        results = self.outcomes([rule, *earlier])
        covering: set[str] = set()
        for _, did in results:
            if id(rule) in did:
                hits = [d.id for d in earlier if id(d) in did]
                if not hits:
                    return False
                covering.update(hits)
        by = ", ".join(f"'{r}'" for r in sorted(covering))
        if rule.kind == "deny":
            message = (f"{self.name(rule)} only denies '{self.action.name}' requests that "
                       f"earlier rule{'s' if len(covering) > 1 else ''} {by} already "
                       "deny; it adds a reason but never changes a decision")
        else:
            message = (f"{self.name(rule)} never decides '{self.action.name}': every request "
                       f"it applies to is denied by {by}, and a deny wins")
        self.checker.warn("shadowed-rule", message, head_span(rule.ast))
        return True

    def check_falls_to_default(self) -> None:
        """A choice fact that rules read, some of whose values no rule speaks to: the
        request with that value (every other fact left out) falls to the pack default.
        Where the guideline's list is closed, that default is a wrong answer
        (docs/reading.md, kind 2)."""
        choices = [f for f in self.action.facts if f.type.kind == "enum"]
        for fact in choices:
            readers = [r for r in self.rules if fact.name in en.rule_facts(r.ast, self.action)]
            if not readers:
                continue
            others = [f for f in choices if f is not fact and f.required]
            fallen = []
            for value in fact.type.values:
                for combo in itertools.product(*(f.type.values for f in others)):
                    facts = dict(en.defaults(self.action), **{fact.name: value},
                                 **{f.name: v for f, v in zip(others, combo)})
                    if not en.with_derived(self.action, facts):
                        continue
                    if not en.evaluate(self.pack, self.action.name, facts, self.checker.at):
                        fallen.append((value, facts))
                        break
            if not fallen:
                continue
            values = ", ".join(v for v, _ in fallen)
            example = request_text(self.action, fallen[0][1])
            self.checker.warn(
                "falls-to-default", f"'{self.action.name}' requests with {fact.name} {values} "
                f"fall to the pack default ({self.pack.default}), e.g. {example}, although "
                f"{self.name(readers[0])} reads {fact.name}: if the guideline's list is closed, "
                f"write it as one rule 'only when {fact.name} in [...]' (docs/reading.md); if "
                "the guideline is silent on these values, the default is right",
                head_span(readers[0].ast),
                example={"action": self.action.name,
                         "facts": request_json(self.action, fallen[0][1])})

    def check_added_values(self) -> None:
        """Values plugins added to a choice fact the rules read that no rule (nor a topic a
        rule refers to) names: decided as any value the rules do not name (docs/plugins.md)."""
        named = set(self.found.names).union(*(self.pack.topics[t].names()
                                              for t in self.found.topics if t in self.pack.topics))
        words = self.pack.vocabulary
        for fact in (f for f in self.action.facts if f.type.kind == "enum"):
            added = [v for v in words.extensions(fact.type.name) if v not in named]
            readers = [r for r in self.rules if fact.name in en.rule_facts(r.ast, self.action)]
            if not added or not readers:
                continue
            answers = []
            for value in added:
                facts = dict(en.defaults(self.action), **{fact.name: value})
                if not en.with_derived(self.action, facts):
                    continue
                d = en.decide(self.pack, self.action.name, facts, self.checker.at)
                by = words.added_by(f"value:{fact.type.name}.{value}")
                answers.append(f"{value} (from plugin '{by}') → {d.outcome}" + (
                    " by default" if d.by_default else
                    " by " + ", ".join(dict.fromkeys(f"'{r.rule}'" for r in d.reasons))))
            self.checker.warn(
                "added-value", f"{fact.name}, which {self.name(readers[0])} reads, has values "
                f"plugins added that no rule names: {'; '.join(answers)}; if the guideline's "
                f"list is closed, one 'only when {fact.name} in [...]' rule denies every value "
                "it does not name", head_span(readers[0].ast), NOTE)

    def check_only_on_missing(self, deny: CompiledRule) -> None:
        """An ``only`` rule whose list is about an optional fact also denies the requests
        that leave the fact out (a comparison with a missing value is false): right when
        the guideline's list covers them, a surprise when such a request is outside it
        (a post with no image)."""
        optional = [f for f in self.action.facts if f.name in en.rule_facts(deny.ast, self.action)
                    and not f.required and f.default is None]
        for fact in optional:
            facts = dict(en.defaults(self.action), **{fact.name: None})
            if not en.with_derived(self.action, facts):
                continue
            found = en.evaluate(self.pack, self.action.name, facts, self.checker.at)
            if any(f is deny.matched for f in found):
                self.checker.warn(
                    "only-denies-missing", f"{self.name(deny)} ('only') denies "
                    f"'{self.action.name}' requests that leave out {fact.name}: a comparison "
                    "with a missing value is false. If such a request is outside the list, "
                    f"write 'only when {fact.name} is missing or {fact.name} in [...]'; if "
                    "the list covers it, acknowledge this warning", head_span(deny.ast))

    def check_duplicate(self, first: CompiledRule, second: CompiledRule) -> None:
        if (first.kind, first.level) != (second.kind, second.level):
            return
        if first.kind == "require" and first.required_step.id != second.required_step.id:
            return
        results = self.outcomes([first, second])
        if all(did.get(id(first)) == did.get(id(second)) for _, did in results):
            self.checker.warn("duplicate-rule", f"{self.name(second)} has the same effect as "
                              f"{self.name(first)} on every '{self.action.name}' request; keep one "
                              "of them", head_span(second.ast))

    def check_conflict(self, allow: CompiledRule, deny: CompiledRule) -> None:
        shared = (en.rule_facts(allow.ast, self.action)
                  & en.rule_facts(deny.ast, self.action))
        if not shared:
            return   # independent rules (images allowed, secrets banned): the deny winning is the point
        both = [facts for facts, did in self.outcomes([allow, deny])
                if id(allow) in did and id(deny) in did]
        if not both:
            return
        example = en.simplest(both, self.action)
        request = request_text(self.action, example)
        self.checker.warn(
            "allow-deny-conflict", f"{self.name(allow)} allows and {self.name(deny)} denies "
            f"the same requests ({len(both)} of those checked), e.g. {request}: the deny wins "
            "there; make sure that is what the guideline means",
            head_span(allow.ast if self.rules.index(allow) > self.rules.index(deny) else deny.ast),
            example={"action": self.action.name, "facts": request_json(self.action, example)})

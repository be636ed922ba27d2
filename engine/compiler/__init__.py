"""Check a pack's AST against the vocabulary and compile it for evaluation.

``compile_pack(pack_ast)`` returns a :class:`CompiledPack` or raises
:class:`~engine.errors.PackErrors` listing every problem found, sorted by position:
unknown actions, facts, topics, roles and enum values (with "did you mean"), type
mismatches, duplicate ids (rule ids, and step ids that differ only in case, are compared
without case), clauses that do not fit the rule's effect, sections that the
pack's header does not list.

Compiling runs these steps, each in its own module, all at load:

1. the header and sections (here);
2. topic settings checked and turned into values (``topics``);
3. rules checked, their conditions type checked (``check``) and ``for each`` rules
   expanded over their topic's values, with every rule's findings built (``expand``);
4. each action's rules generated as one plan function ``plan(facts, at) ->
   [Finding, …]`` (``codegen``) that evaluates only the rules a request's facts can
   reach, as the plan index reads them off each rule's condition (``plan_index``).

Conditions refer to topic settings by name, so a topic's value is written once and both
``policy explain`` and the decisions read it from the compiled pack (``compiled``).
"""

from __future__ import annotations


from dsl import ast
from engine.compiler.codegen import CodegenStep
from engine.compiler.compiled import (PACK_ID, CompiledPack, CompiledRule, Part, Plan,
                                      TopicValue)
from engine.compiler.expand import RulesStep
from engine.compiler.topics import TopicsStep
from engine.collector import collection_paused
from engine.contract import contract_vocabulary
from engine.errors import PackErrors
from engine.model import Reason, Source
from engine.vocabulary import Vocabulary

__all__ = ["PACK_ID", "CompiledPack", "CompiledRule", "Part", "Plan", "TopicValue",
           "compile_pack"]


def compile_pack(pack: ast.Pack, vocabulary: Vocabulary | None = None) -> CompiledPack:
    """Check ``pack`` against ``vocabulary`` and compile it, or raise :class:`PackErrors`
    with every problem. Without a vocabulary, the contract's alone is used (an engine
    passes its own, with its plugins' words).

    The cyclic garbage collector is paused while compiling: compiling allocates many
    objects that live on, and each full collection walks them all again (for 20,000
    rules that was about 40 % of the compile time). Nothing compiling makes is cyclic
    garbage; the collector runs again as before once the pack is compiled."""
    with collection_paused():
        return _Compiler(pack, vocabulary or contract_vocabulary()).run()


class _Compiler(TopicsStep, RulesStep, CodegenStep):
    def run(self) -> CompiledPack:
        header = self.pack.header
        self.check_header(header)
        self.topics = self.compile_topics()
        rules: list[CompiledRule] = []
        seen: dict[str, ast.Rule] = {}   # by the id without case: ids differ in more
        for rule in self.pack.rules:
            earlier = seen.get(rule.id.casefold())
            if earlier is not None:
                line = earlier.span.line if earlier.span else "?"
                if earlier.id == rule.id:
                    self.error(f"rule id '{rule.id}' is used twice (first at line {line}); "
                               "rule ids must be unique in a pack", rule.span, "duplicate-rule")
                else:
                    self.error(f"rule id '{rule.id}' differs only in case from rule id "
                               f"'{earlier.id}' (line {line}); ids are compared without case, "
                               "so rule ids must differ in more than case", rule.span,
                               "duplicate-rule")
                continue
            seen[rule.id.casefold()] = rule
            rules.extend(self.compile_rule(rule))
        self.check_step_ids(rules)
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
                "default", header.default or "allow", None,
                "The guideline does not regulate this request; the pack's default outcome "
                f"({header.default}) applies.", Source(header.id, None)),
            origin=self.pack.file,
            code=code,
            ast=self.pack,
            in_force_from=header.in_force.start if header.in_force else None,
            in_force_until=header.in_force.until if header.in_force else None,
            vocabulary=self.vocabulary,
            parts=tuple(Part(p.title.en, p.dated) for p in header.parts),
        )

    def check_step_ids(self, rules: list[CompiledRule]) -> None:
        """Rules may require the same step (its id spelled the same); two ids that differ
        only in case ("Appoint-Responsible", "appoint-responsible") are an error."""
        first: dict[str, CompiledRule] = {}
        for rule in rules:
            if rule.step is None:
                continue
            earlier = first.setdefault(rule.step.id.casefold(), rule)
            if earlier.step is not None and earlier.step.id != rule.step.id:
                span = earlier.ast.span if earlier.ast is not None else None
                self.error(f"step id '{rule.step.id}' (rule '{rule.id}') differs only in case "
                           f"from step id '{earlier.step.id}' (rule '{earlier.id}', line "
                           f"{span.line if span else '?'}); ids are compared without case: "
                           "spell one step the same everywhere, or give the two steps ids that "
                           "differ in more than case",
                           rule.ast.span if rule.ast is not None else None, "duplicate-step")

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
        if header.dated is None and not header.undated and not header.parts:
            self.error("the pack header does not say when its document is dated; add "
                       "'dated YYYY-MM-DD' or 'dated undated' (or, for a guideline published "
                       "as several pages, a 'part \"TITLE\" dated …' line for each)",
                       header.span, "missing-header-field")


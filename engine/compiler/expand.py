"""Checking rules and expanding ``for each`` rules into one compiled rule per value.

A rule's clauses are checked against its effect (``done when`` only on a require, a
``because`` on allow and deny, a known role after ``by``), its conditions are type checked
once per action it is ``on``, and a ``for each NAME in TOPIC`` rule becomes one
:class:`CompiledRule` per value of the topic, its step id suffixed with the value and
``{NAME}`` in its texts replaced by the value's label. Each compiled rule carries the
findings (reason, step) it yields, built once here.
"""

from __future__ import annotations

import attrs

from dsl import ast
from engine import vocabulary as vocab
from engine.compiler.check import Checker, Scope
from engine.compiler.compiled import CompiledRule
from engine.errors import did_you_mean, one_of
from engine.model import Finding, Reason, Source, Step


class RulesStep(Checker):
    def compile_rule(self, rule: ast.Rule) -> list[CompiledRule]:
        before = len(self.errors)
        actions = []
        if not rule.actions:
            self.error(f"rule '{rule.id}' does not say which action it is about; add "
                       f"'on ACTION' (one of {one_of(self.vocabulary.actions)})", rule.span, "missing-action")
        for name in rule.actions:
            if name not in self.vocabulary.actions:
                self.error(f"unknown action '{name}'{did_you_mean(name, self.vocabulary.actions)}; actions "
                           f"are {one_of(self.vocabulary.actions)}", rule.actions_span, "unknown-action")
            else:
                actions.append(self.vocabulary.actions[name])
        effect = rule.effect
        if effect is None:
            self.error(f"rule '{rule.id}' has no effect; add 'allow', 'deny' or "
                       "'require STEP-ID by ROLE \"text\"'", rule.span, "missing-effect")
        if rule.done is not None and not isinstance(effect, ast.Require):
            self.error("'done when' belongs to a require rule: it says when the step is done",
                       rule.done.span, "misplaced-clause")
        if effect is not None and not isinstance(effect, ast.Require) and rule.because is None:
            verb = {"deny": "denies", "allow": "allows", "only": "permits only this"}.get(
                effect.kind, effect.kind)
            self.error(f"rule '{rule.id}' needs a 'because \"…\"' text saying why it {verb}",
                       rule.span, "missing-because")
        if isinstance(effect, ast.Effect) and effect.kind == "only" and rule.when is None:
            self.error(f"rule '{rule.id}' says 'only' but not what is permitted; write "
                       "'only when CONDITION' (e.g. 'only when content_category in [defamation, "
                       "hate_speech]'): what the condition does not cover is denied",
                       effect.span, "only-needs-when")
        self.check_section(rule.source, rule.source_span)

        bindings: list[tuple[tuple[str, str], ...]] = [()]
        var_type: vocab.Type | None = None
        if rule.for_each is not None:
            fe = rule.for_each
            topic = self.topics.get(fe.topic)
            if topic is None:
                self.error(f"unknown topic '{fe.topic}'{did_you_mean(fe.topic, self.vocabulary.topics)}; "
                           f"topics are {one_of(self.vocabulary.topics)}", fe.span, "unknown-topic")
            elif self.vocabulary.topics[fe.topic].type.kind != "set":
                self.error(f"'for each' needs a topic holding a list; '{fe.topic}' holds a "
                           f"{self.vocabulary.topics[fe.topic].type.name}", fe.span, "type")
            elif topic.value is None:
                if fe.topic not in self.bad_topics:
                    self.error(f"topic '{fe.topic}' is not regulated in this pack, so a rule "
                               "cannot go through its values", fe.span, "unregulated-topic")
            else:
                var_type = self.vocabulary.topics[fe.topic].type.element_type
                bindings = [((fe.var, v),) for v in topic.value]
            for action in actions:
                if action.fact(fe.var) is not None:
                    self.error(f"the loop name '{fe.var}' hides the fact of the same name; "
                               "choose another", fe.span, "shadowed-fact")

        loop_var = rule.for_each.var if rule.for_each is not None else None
        if isinstance(effect, ast.Require) and effect.by is not None:
            by = effect.by
            if by not in self.vocabulary.roles.values and by != loop_var:
                choices = list(self.vocabulary.roles.values) + ([loop_var] if loop_var else [])
                self.error(f"unknown role '{by}'{did_you_mean(by, choices)}; roles are "
                           f"{one_of(self.vocabulary.roles.values)}", effect.span, "unknown-role")
            if var_type is not None and by == loop_var and var_type.name != "role":
                self.error(f"'{by}' goes through {var_type.name} values, not roles, so it "
                           "cannot name who does the step", effect.span, "type")

        # type-check conditions once per action (with the loop variable's type)
        loop = {loop_var: var_type} if loop_var is not None and var_type is not None else {}
        scopes = [Scope(a, loop) for a in actions]
        for scope in scopes:
            for expr in (rule.when, rule.done):
                if expr is not None:
                    self.condition(expr, scope)
        if len(self.errors) > before or effect is None:
            return []
        if isinstance(effect, ast.Effect) and effect.kind == "only":
            return [half for b in bindings for half in self.only_halves(rule, actions, b)]
        return [self.build_rule(rule, effect, actions, b) for b in bindings]

    def only_halves(self, rule: ast.Rule, actions: list[vocab.Action],
                    binding: tuple[tuple[str, str], ...]) -> list[CompiledRule]:
        """``only when C`` as the two rules it means, under the one rule id: allow when C
        holds, deny when it does not. Everything after compiling (plans, traces, coverage,
        enumeration) then sees plain allow and deny rules; ``only`` marks where they came
        from, for ``policy explain`` and ``policy check``."""
        effect, when = rule.effect, rule.when
        if not isinstance(effect, ast.Effect) or when is None:
            raise ValueError(f"rule '{rule.id}' is not an 'only when' rule")
        halves = []
        for kind, condition in (("allow", when), ("deny", ast.Not(when, span=when.span))):
            half = ast.Effect(kind, span=effect.span)
            built = self.build_rule(attrs.evolve(rule, effect=half, when=condition), half,
                                    actions, binding)
            halves.append(attrs.evolve(built, only=True))
        return halves

    def build_rule(self, rule: ast.Rule, effect: ast.Effect | ast.Require,
                   actions: list[vocab.Action],
                   binding: tuple[tuple[str, str], ...]) -> CompiledRule:
        """One compiled rule for ``binding``; ``effect`` is the rule's, known to be given."""
        level = rule.level or "must"
        source = Source(self.pack.header.id, rule.source)
        step = None
        step_sv = None
        if isinstance(effect, ast.Require):
            step_id = effect.step + "".join(f"-{value}" for _, value in binding)
            by = dict(binding).get(effect.by, effect.by) if effect.by else None
            step = Step(step_id, fill(effect.text.en, binding, "en", self.vocabulary), by, level, source)
            step_sv = fill(effect.text.sv, binding, "sv", self.vocabulary) if effect.text.sv else None
            kind = "require"
        else:
            kind = effect.kind
        because = rule.because
        if because is not None:
            text = fill(because.en, binding, "en", self.vocabulary)
            reason_sv = fill(because.sv, binding, "sv", self.vocabulary) if because.sv else None
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
            reason_sv=reason_sv, sentences=rule.sentences,
            matched=matched, met=met, ast=rule)


def fill(text: str | None, binding: tuple[tuple[str, str], ...], lang: str,
         vocabulary: vocab.Vocabulary) -> str:
    """Put role labels into ``{var}`` placeholders of a for-each rule's texts (other
    values stand as they are)."""
    if not text:
        return text or ""
    roles = vocabulary.roles.values
    for var, value in binding:
        label = vocabulary.role_label(value, lang) if value in roles else value
        text = text.replace("{" + var + "}", label)
    return text

"""What compiling a pack hands on: the compiled pack, its rules and its topic settings.

Every other part of the engine reads packs through these frozen values: the evaluator
calls ``CompiledPack.plans``, explain reads ``topics`` and ``rules``, authoring tools walk
``CompiledRule.ast``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable, Mapping

import attrs

from dsl import ast
from engine.errors import Span
from engine.model import Finding, Reason, Step
from engine.vocabulary import Vocabulary

#: A generated plan: ``plan(facts, at) -> [Finding, …]`` for one action.
Plan = Callable[[Mapping[str, Any], dt.date], list[Finding]]

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

    def names(self) -> set[str]:
        """Every name the setting holds (a choice, a list, a record of lists)."""
        return _strings(self.value)


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    items = (value.values() if isinstance(value, Mapping)
             else value if isinstance(value, (list, tuple)) else ())
    return set().union(*(_strings(item) for item in items))


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
    sentences: tuple[int, ...] = ()            # the cited section's sentences it encodes
    only: bool = False                         # one half of an ``only when`` rule
    matched: Finding = attrs.field(eq=False, repr=False, default=None)   # deny/allow/unmet
    met: Finding | None = attrs.field(eq=False, repr=False, default=None)
    ast: ast.Rule = attrs.field(eq=False, repr=False, default=None)

    @property
    def required_step(self) -> Step:
        """The step a require rule asks for; only a require rule has one."""
        if self.step is None:
            raise ValueError(f"rule '{self.id}' is a {self.kind} rule: it requires no step")
        return self.step


@attrs.frozen
class Part:
    """One page of a guideline published as several: its title and date (None: undated
    or not given)."""

    title: str
    dated: dt.date | None = None


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
    #: The edition's in-force period (both days included); None: the header gives no
    #: date (``in force undated``, or no clause), and the edition applies on any day.
    in_force_from: dt.date | None = None
    in_force_until: dt.date | None = None
    #: The pages of a guideline published as several (``part`` in the header), in order.
    parts: tuple[Part, ...] = ()
    #: The vocabulary the pack was checked against (its engine's, with plugin words).
    vocabulary: Vocabulary = attrs.field(default=None, eq=False, repr=False)

    def in_force_on(self, day: dt.date) -> bool:
        """Whether ``day`` falls in the edition's in-force period (an undated one: always)."""
        return ((self.in_force_from is None or self.in_force_from <= day)
                and (self.in_force_until is None or day <= self.in_force_until))

    def rules_for(self, action: str) -> tuple[CompiledRule, ...]:
        return tuple(r for r in self.rules if action in r.actions)

    @property
    def rule_count(self) -> int:
        """How many rules the pack has, as its source writes them: the one count that
        ``policy packs`` and ``GET /v1/packs`` show. A ``for each`` rule or an ``only when``
        rule counts once, however many entries of :attr:`rules` it compiles into."""
        if self.ast is not None:
            return len(self.ast.rules)
        return len({r.id for r in self.rules})

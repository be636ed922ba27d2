"""Evaluate a request against a compiled pack: the engine's standard evaluator.

The compiler turned each action's rules into one plan function; evaluating is calling
it with the validated facts and "now". The function is pure, so the evaluator needs no
lock. :class:`DslEvaluator` offers this as the ``policy_evaluate`` hook implementation
that the engine registers before any installed plugin.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from engine.compiler import CompiledPack
from engine.hookspecs import hookimpl
from engine.model import Finding


def evaluate(pack: CompiledPack, action: str, facts: Mapping[str, Any],
             at: dt.date) -> list[Finding]:
    """The findings of ``pack``'s rules for ``action``, in the pack's rule order."""
    plan = pack.plans.get(action)
    return plan(facts, at) if plan is not None else []


class DslEvaluator:
    """The built-in plugin: evaluates the compiled rules of every pack."""

    @hookimpl
    def policy_evaluate(self, pack: CompiledPack, action: str, facts: Mapping[str, Any],
                        at: dt.date) -> list[Finding] | None:
        plan = pack.plans.get(action)
        return plan(facts, at) if plan is not None else None

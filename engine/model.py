"""The values that flow through the engine: requests, findings and decisions.

All are frozen attrs classes. JSON goes in and out through the one converter of
``engine.serialization``; nothing here knows about JSON.

A :class:`Finding` is what evaluating one rule against one request yields (a deny that
matched, an allow that matched, a requirement met or unmet). The decide step
(``engine.decide``) turns the findings of every evaluator into a :class:`Decision`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

import attrs


@attrs.frozen
class Source:
    """Where a rule comes from: the pack and the guideline's section heading."""

    pack: str
    section: str | None


@attrs.frozen
class Step:
    """Something that must (or should) be done before the action is allowed."""

    id: str
    text: str
    by: str | None
    level: str
    source: Source


@attrs.frozen
class Reason:
    """A rule that decided the outcome."""

    rule: str
    effect: str          # allow | deny | require
    level: str | None    # must | should; None for the pack's default (no sentence binds it)
    text: str
    source: Source


@attrs.frozen
class Finding:
    """One rule's verdict on one request.

    ``kind`` is ``deny`` or ``allow`` (a matched rule), ``unmet`` or ``met`` (a
    requirement that applies). ``step`` is set for requirements.
    """

    kind: str = attrs.field(validator=attrs.validators.in_(("deny", "allow", "unmet", "met")))
    reason: Reason = attrs.field()
    step: Step | None = attrs.field(default=None)

    @step.validator
    def _step_with_requirements(self, _attribute: Any, step: Step | None) -> None:
        if (step is None) == (self.kind in ("unmet", "met")):
            raise ValueError("a requirement finding (met/unmet) has a step; deny/allow have none")


#: No finding at all: what an evaluator returns for a request it has nothing to say on.
NO_FINDINGS: tuple[Finding, ...] = ()


@attrs.frozen
class Request:
    """A decision request: which pack, which action, the facts, and "now".

    ``facts`` is the caller's mapping as given; the validator checks it against the
    action's vocabulary. ``at`` None means today (Europe/Stockholm).
    """

    pack: str
    action: str
    facts: Mapping[str, Any] = attrs.field(factory=dict)
    at: dt.date | None = None


@attrs.frozen
class Decision:
    """The answer to a request, as the contract's decision JSON describes it."""

    pack: str
    action: str
    outcome: str                     # allow | deny | required_steps
    steps: tuple[Step, ...]
    reasons: tuple[Reason, ...]
    by_default: bool
    pack_version: str
    at: dt.date
    #: The first day of the edition that decided (``pack_version``); None: undated.
    in_force_from: dt.date | None = None


@attrs.frozen
class PackSource:
    """A pack's source text as a plugin contributes it (see ``policy_packs``).

    ``origin`` says where it came from (a file path), for messages and ``policy packs``.
    ``tests`` and ``tests_origin`` are the pack's test cases, when it ships them.
    """

    text: str
    origin: str
    tests: str | None = None
    tests_origin: str | None = None

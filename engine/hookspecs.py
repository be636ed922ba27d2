"""The plugin hooks of the policy engine: every hook specification, in one place.

A plugin is any object or module with functions marked ``@hookimpl`` whose names are
the hooks below. Installed plugins are found through the entry-point group
``policy.packs`` (see ``engine.plugins``); the engine's own standard evaluator is a
plugin too, registered before the installed ones.

A pack package's ``__init__.py`` is typically just::

    from engine.hookspecs import hookimpl
    from engine.plugins import pack_resource

    @hookimpl
    def policy_packs():
        return [pack_resource(__name__, "tyreso.policy", tests="tyreso.tests")]

Hook names carry the ``policy_`` prefix; pluggy rejects a misspelt one at load time
(``check_pending``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import pluggy

if TYPE_CHECKING:
    from engine.compiler import CompiledPack
    from engine.model import Decision, Finding, PackSource, Request
    from engine.vocabulary import Contribution

PROJECT = "policy"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def policy_packs() -> "Sequence[PackSource]":
    """Contribute rule packs.

    Called once by ``Engine.load()`` (and again on a reload), after every plugin is
    registered. Return a sequence of :class:`engine.model.PackSource` (the pack's
    source text and where it came from); results of all plugins are collected, and
    a pack id given by two sources is a load error. Return ``[]`` for none.
    """


@hookspec
def policy_evaluate(pack: "CompiledPack", action: str, facts: Mapping[str, Any],
                    at: dt.date) -> "Iterable[Finding] | None":
    """Evaluate one request against one pack and return its findings.

    Called for every decision, once per implementation, with the compiled pack, the
    action, the validated facts (every fact of the action present, normalised: sets are
    frozensets, dates are ``datetime.date``) and the request's "now". Return the
    :class:`engine.model.Finding` values your rules produce (deny/allow matched,
    requirement met/unmet), or ``None`` when the pack is not yours. The findings of all
    implementations are combined by the decide step (deny overrides, then unmet steps,
    then allow, else the pack's default); none of them wins alone.

    The engine's standard implementation evaluates the pack's compiled rules; a pack may
    add Python-coded checks for its own pack id through this same hook. Implementations
    must be pure: no I/O, no clock (use ``at``), safe to call from many threads.
    """


@hookspec
def policy_decision(request: "Request", decision: "Decision") -> None:
    """Observe a decision.

    Called after every decision the engine makes, with the request (its facts as the
    caller gave them) and the decision. Return values are ignored. Use it for logging
    and auditing; it must not raise and should be fast, since it runs on the caller's
    thread before ``decide`` returns. Not called at all while no plugin implements it.
    """


@hookspec
def policy_vocabulary() -> "Contribution | Sequence[Contribution] | None":
    """Contribute words: actions, facts, enum values, roles, topics and their labels.

    Called once by ``Engine.load()`` (and again on a reload), before any pack is
    compiled. Return an :class:`engine.vocabulary.Contribution` (usually read from a
    ``vocabulary.toml`` beside the pack with
    :func:`engine.vocabulary_file.vocabulary_resource`), a list of them, or ``None``.
    The engine names each contribution after the plugin and combines them after the
    contract's own, by the rules of growth in ``engine.vocabulary`` (optional facts only
    on another's action; a name defined twice must be defined the same way). A plugin
    whose words conflict with another's is refused, and the packs of both fail to load
    with an error naming both.
    """

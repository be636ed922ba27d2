"""The words an editor offers: actions and their facts, topics, roles and their labels.

Every question the editor asks of the vocabulary goes through :func:`lexicon`, so that
where the vocabulary comes from can change in this one place. Today it is
``engine.vocabulary``; the labels are the English and Swedish role labels that step texts
use (``ROLE_LABELS``).
"""

from __future__ import annotations

import functools
from typing import Mapping

import attrs

from engine import vocabulary as vocab
from engine.vocabulary import Action, DerivedFact, Fact, Topic, Type

__all__ = ["Lexicon", "lexicon", "Action", "DerivedFact", "Fact", "Topic", "Type"]


@attrs.frozen
class Lexicon:
    """The vocabulary as the editor reads it."""

    actions: Mapping[str, Action]
    topics: Mapping[str, Topic]
    roles: tuple[str, ...]
    labels: Mapping[str, tuple[str, str]]      # a value: (English, Swedish)
    outcomes: tuple[str, ...] = vocab.OUTCOMES
    levels: tuple[str, ...] = vocab.LEVELS

    def facts(self, actions: tuple[str, ...]) -> dict[str, Fact | DerivedFact]:
        """The facts of ``actions`` (every action's when none is known), by name; a fact
        two actions share is the first one's."""
        chosen = [self.actions[a] for a in actions if a in self.actions] or list(
            self.actions.values())
        found: dict[str, Fact | DerivedFact] = {}
        for action in chosen:
            for fact in action.facts + action.derived:
                found.setdefault(fact.name, fact)
        return found

    def label(self, value: str) -> tuple[str, str] | None:
        """(English, Swedish) for a value that has labels, else None."""
        return self.labels.get(value)


@functools.cache
def lexicon() -> Lexicon:
    """The vocabulary the editor works with (built once, on first use)."""
    return Lexicon(actions=vocab.ACTIONS, topics=vocab.TOPICS, roles=vocab.ROLE.values,
                   labels=vocab.ROLE_LABELS)

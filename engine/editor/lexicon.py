"""The words an editor offers: actions and their facts, topics, roles and their labels.

Every question the editor asks of the vocabulary goes through :func:`lexicon`: the words
an engine would decide the current file with (the installed plugins' and those of a
``vocabulary.toml`` in the file's folder, ``engine.authoring.installed.words_beside``),
with the English and Swedish labels of every value.
"""

from __future__ import annotations

import contextvars
import functools
from pathlib import Path
from typing import Mapping

import attrs

from engine.authoring.installed import installed_words, words_beside
from engine.contract import LEVELS, OUTCOMES
from engine.vocabulary import Action, DerivedFact, Fact, Topic, Type
from engine.vocabulary_file import FILE_NAME

__all__ = ["Lexicon", "lexicon", "use_file", "Action", "DerivedFact", "Fact", "Topic", "Type"]


@attrs.frozen
class Lexicon:
    """The vocabulary as the editor reads it."""

    actions: Mapping[str, Action]
    topics: Mapping[str, Topic]
    roles: tuple[str, ...]
    labels: Mapping[str, tuple[str, str]]      # a value: (English, Swedish)
    outcomes: tuple[str, ...] = OUTCOMES
    levels: tuple[str, ...] = LEVELS

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


#: The file whose requests are being answered: its folder's words are the editor's.
_FILE: contextvars.ContextVar["Path | None"] = contextvars.ContextVar("policy_editor_file",
                                                                     default=None)


def use_file(path: Path | None) -> None:
    """Answer the requests that follow (on this thread) in the words of ``path``'s folder."""
    _FILE.set(path)


def lexicon() -> Lexicon:
    """The vocabulary the editor works with for the current file: the installed plugins'
    words and those of a ``vocabulary.toml`` in its folder (read again when it changes)."""
    path = _FILE.get()
    words = path.parent / FILE_NAME if path is not None else None
    stamp = words.stat().st_mtime_ns if words is not None and words.is_file() else None
    return _lexicon(path.parent if path is not None and stamp is not None else None, stamp)


@functools.lru_cache(maxsize=16)
def _lexicon(folder: Path | None, stamp: int | None) -> Lexicon:
    # no folder: a file without a path, or one whose folder has no words of its own; the
    # installed words alone (never a vocabulary.toml in the editor's working directory)
    vocabulary = words_beside(folder / "pack.policy")[0] if folder is not None \
        else installed_words()
    labels: dict[str, tuple[str, str]] = {}
    for name, enum in vocabulary.enums.items():
        for value in enum.values:
            key = f"value:{name}.{value}"
            labels.setdefault(value, (vocabulary.label(key, "en"), vocabulary.label(key, "sv")))
    return Lexicon(actions=vocabulary.actions, topics=vocabulary.topics,
                   roles=vocabulary.roles.values, labels=labels)

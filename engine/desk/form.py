"""The Decide page's form: its fields built from an action's facts, and the facts read
back from the page's URL.

``fields(vocabulary, action, lang)`` gives one :class:`Field` per fact of the action, in
the vocabulary's order, with its label, help and the input that fits its type: a
checkbox for yes/no, a list to choose from for one value, checkboxes for a set of
values, date and date-time inputs, a number, a line of text. ``facts_from_query`` reads
the submitted form (a GET: the request lives in the URL) into the facts of a request:
an empty field is a fact left out, a ticked box is true, a set is every value ticked.
What cannot be read as the fact's type is handed on as given, so that the engine's own
check says what is wrong with it, as it does for the API.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import attrs

from engine import vocabulary as vocab
from engine.glossary import LANGUAGES, label

#: The URL's parameters that are not facts.
CONTROL = ("pack", "action", "lang", "at", "show", "questions")

#: What a yes/no fact's value may be in a URL: the values a browser and the API send
#: ("on", "true", "1"), and the glossary's words for yes and no in every language.
_TRUE = {"on", "true", "1"} | {label("word:yes", lang).lower() for lang in LANGUAGES}
_FALSE = {"off", "false", "0"} | {label("word:no", lang).lower() for lang in LANGUAGES}


@attrs.frozen
class Option:
    value: str
    label: str


@attrs.frozen
class Field:
    """One fact as the form asks for it. ``input`` is ``checkbox``, ``select``,
    ``checkboxes``, ``date``, ``datetime-local``, ``number`` or ``text``."""

    name: str
    label: str
    help: str
    input: str
    required: bool
    options: tuple[Option, ...] = ()


def _input(t: vocab.Type) -> str:
    return {"bool": "checkbox", "enum": "select", "set": "checkboxes", "date": "date",
            "datetime": "datetime-local", "int": "number"}.get(t.kind, "text")


def _options(vocabulary: vocab.Vocabulary, t: vocab.Type, lang: str) -> tuple[Option, ...]:
    enum = t.element_type if t.kind == "set" else t
    if enum.kind != "enum":
        return ()
    return tuple(Option(v, vocabulary.label(f"value:{enum.name}.{v}", lang))
                 for v in enum.values)


def fields(vocabulary: vocab.Vocabulary, action: str, lang: str) -> tuple[Field, ...]:
    """The form's fields for ``action`` (which must be one of the vocabulary's)."""
    found = vocabulary.actions[action]
    return tuple(
        Field(f.name, vocabulary.label(f"fact:{action}.{f.name}", lang),
              vocabulary.help(f"fact:{action}.{f.name}", lang), _input(f.type), f.required,
              _options(vocabulary, f.type, lang))
        for f in found.facts)


def _one(fact: vocab.Fact | None, values: Sequence[str]) -> Any:
    """One fact's value from the URL's values for it; None: left out."""
    given = [v for v in values if v != ""]
    kind = fact.type.kind if isinstance(fact, vocab.Fact) else None
    if kind == "set":
        return given
    if not given:
        return False if kind == "bool" and values else None
    if len(given) > 1:
        return given         # the engine says a fact takes one value
    value = given[0]
    if kind == "bool":
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
    elif kind == "int" and value.isascii() and value.isdigit():
        return int(value)
    return value


def facts_from_query(vocabulary: vocab.Vocabulary, action: str,
                     query: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The facts a submitted form gives: every parameter but :data:`CONTROL`, by name.

    An unknown name is handed on (the engine names it and suggests the fact meant).
    """
    found = vocabulary.actions.get(action)
    grouped: dict[str, list[str]] = {}
    for name, value in query:
        if name not in CONTROL:
            grouped.setdefault(name, []).append(value)
    facts = {}
    for name, values in grouped.items():
        fact = found.fact(name) if found is not None else None
        value = _one(fact if isinstance(fact, vocab.Fact) else None, values)
        if value is not None:
            facts[name] = value
    return facts


def asked(query: Mapping[str, str] | Sequence[tuple[str, str]]) -> bool:
    """Whether the URL asks for a decision: it names a fact, or the day (``at``), as the
    submitted form always does; a URL with only the pack and action shows the form, and
    so does one sent with the button that shows the questions (``show``), or one whose
    action is not the one its questions were for (``questions``: the action was changed
    in the list, and its own questions are yet to be answered)."""
    pairs = list(query.items()) if isinstance(query, Mapping) else list(query)
    names = [n for n, _ in pairs]
    action = next((v for n, v in reversed(pairs) if n == "action"), "")
    shown = next((v for n, v in reversed(pairs) if n == "questions"), action)
    return ("show" not in names and shown == action
            and any(n not in ("pack", "action", "lang", "questions") for n in names))

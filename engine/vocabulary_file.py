"""Vocabulary files: a plugin's words written in TOML, beside its pack.

A pack folder may hold a ``vocabulary.toml`` with the actions, facts, values, roles and
topics its guideline needs beyond the contract (``docs/plugins.md`` shows a whole one)::

    [actions.answer_question.facts.asked_at]      # a fact of a new (or existing) action
    type = "datetime"
    required = true
    meaning = "when the visitor asked"
    label = { en = "asked at", sv = "frågan ställdes" }

    [values.role]                                  # values added to an enum
    registrar = { en = "registrar", sv = "registrator" }

    [topics.answer_deadline]
    title = "Time limit for answering questions"
    type = "hours"

Types are ``bool``, ``int``, ``hours``, ``date``, ``datetime``, ``string``, ``enum NAME``
and ``set of NAME``; an enum a file defines lists its ``values`` on the fact (or under
``[values.NAME]``), an enum named without values is an existing one. Labels and help are
``{ en = …, sv = … }``. :func:`read_vocabulary` turns a file into a
:class:`~engine.vocabulary.Contribution`; every problem raises
:class:`~engine.errors.VocabularyError` naming the file, the key path and what is valid.
"""

from __future__ import annotations

import importlib.resources
import re
import tomllib
from pathlib import Path
from typing import Any, Mapping

from engine.errors import VocabularyError, did_you_mean, one_of, show
from engine.vocabulary import (SCALARS, Action, Contribution, Fact, Label, Topic, Type,
                               enum, set_of)

FILE_NAME = "vocabulary.toml"

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_TOP = ("actions", "values", "topics")
_ACTION_KEYS = ("meaning", "label", "help", "facts")
_FACT_KEYS = ("type", "meaning", "required", "absent", "values", "label", "help")
_TOPIC_KEYS = ("title", "type", "informational", "values", "label", "help")
_TYPES = (*SCALARS, "enum NAME", "set of NAME")


def read_vocabulary(text: str, origin: str = FILE_NAME, name: str = "") -> Contribution:
    """The contribution a vocabulary file describes (``name``: its contributor, which an
    engine sets to the plugin's name). Raises :class:`VocabularyError`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise VocabularyError(f"{origin}: not valid TOML: {e}") from None
    return _Reader(origin).read(data, name)


def vocabulary_resource(package: str, resource: str = FILE_NAME) -> Contribution:
    """The contribution of a vocabulary file inside an installed package (``package`` is
    usually the calling module's ``__name__``), for a plugin's ``policy_vocabulary``."""
    path = importlib.resources.files(package).joinpath(resource)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise VocabularyError(f"cannot read vocabulary file '{resource}' of package "
                              f"'{package}': {e}", code="unreadable-vocabulary") from None
    return read_vocabulary(text, str(path))


def vocabulary_beside(pack_file: Path) -> Contribution | None:
    """The contribution of the ``vocabulary.toml`` in a pack file's folder, if any."""
    path = pack_file.parent / FILE_NAME
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise VocabularyError(f"cannot read {path}: {e}", code="unreadable-vocabulary") from None
    return read_vocabulary(text, str(path), name=f"file:{path}")


class _Reader:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.labels: dict[str, Label] = {}
        self.enums: dict[str, Type] = {}          # enums this file defines

    def fail(self, where: str, message: str) -> VocabularyError:
        return VocabularyError(f"{self.origin}: {where}: {message}")

    def table(self, value: Any, where: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table with keys {one_of(keys)}")
        for key in value:
            if key not in keys:
                raise self.fail(f"{where}.{key}", f"unknown key{did_you_mean(key, keys)}; "
                                f"keys are {one_of(keys)}")
        return value

    def named(self, value: Any, where: str) -> Mapping[str, Any]:
        """A table of names, each with a table of its own (``[actions.NAME]``)."""
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table with one table per name, as "
                                   f"[{where}.NAME]; got {show(value)}")
        return value

    def name(self, key: str, where: str) -> str:
        if not _NAME.match(key):
            raise self.fail(where, "a name is lower-case ASCII letters, digits and '_', "
                                   "starting with a letter")
        return key

    def text(self, table: Mapping[str, Any], key: str, where: str, required: bool = True) -> str:
        value = table.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}", "must be a non-empty string")
        return value.strip()

    def label(self, key: str, table: Mapping[str, Any], where: str) -> None:
        label, helps = table.get("label"), table.get("help", {})
        if label is None and not helps:
            return
        label = self.table(label or {}, f"{where}.label", ("en", "sv"))
        helps = self.table(helps, f"{where}.help", ("en", "sv"))
        for part, value in (*label.items(), *helps.items()):
            if not isinstance(value, str):
                raise self.fail(f"{where}", f"labels and help are strings, got {part} = {value!r}")
        self.labels[key] = Label(label.get("en") or key.rsplit(".", 1)[-1].replace("_", " "),
                                 label.get("sv", ""), helps.get("en", ""), helps.get("sv", ""))

    def type(self, spec: Any, values: Any, where: str) -> Type:
        if not isinstance(spec, str):
            raise self.fail(f"{where}.type", f"must be a string, one of {one_of(_TYPES)}")
        words = spec.split()
        if spec in SCALARS:
            if values is not None:
                raise self.fail(f"{where}.values", f"only an enum or set type has values, "
                                                   f"not {spec}")
            return SCALARS[spec]
        if len(words) == 2 and words[0] == "enum":
            return self.enum(words[1], values, where)
        if len(words) == 3 and words[:2] == ["set", "of"]:
            return set_of(self.enum(words[2], values, where))
        named = [f"enum {words[-1]}", f"set of {words[-1]}"] if len(words) > 1 else []
        raise self.fail(f"{where}.type", f"unknown type {spec!r}"   # "enm x": 'enum x'
                                         f"{did_you_mean(spec, [*_TYPES, *named])}; "
                                         f"types are {one_of(_TYPES)}")

    def enum(self, name: str, values: Any, where: str) -> Type:
        self.name(name, f"{where}.type")
        if values is None:                        # an existing enum, or one defined here
            return self.enums.get(name) or enum(name)
        if not isinstance(values, list) or not values or not all(
                isinstance(v, str) and _NAME.match(v) for v in values):
            raise self.fail(f"{where}.values", "must be a non-empty list of value names "
                                               "(lower-case ASCII, digits and '_')")
        if len(set(values)) != len(values):
            raise self.fail(f"{where}.values", "lists a value twice")
        known = self.enums.get(name)
        if known is not None and known.values != tuple(values):
            raise self.fail(f"{where}.values", f"enum '{name}' is defined twice in this file "
                                               "with different values")
        self.enums[name] = enum(name, *values)
        return self.enums[name]

    def read(self, data: Mapping[str, Any], name: str) -> Contribution:
        data = self.table(data, "the file", _TOP)
        actions = [self.action(self.name(a, f"actions.{a}"), body)
                   for a, body in self.named(data.get("actions", {}), "actions").items()]
        topics = [self.topic(self.name(t, f"topics.{t}"), body)
                  for t, body in self.named(data.get("topics", {}), "topics").items()]
        values = self.values(data.get("values", {}))
        return Contribution(name or f"file:{self.origin}", tuple(actions), values,
                            tuple(topics), dict(self.labels), self.origin)

    def action(self, action: str, body: Any) -> Action:
        where = f"actions.{action}"
        body = self.table(body, where, _ACTION_KEYS)
        self.label(f"action:{action}", body, where)
        facts = []
        for fname, fbody in self.named(body.get("facts", {}), f"{where}.facts").items():
            fwhere = f"{where}.facts.{self.name(fname, f'{where}.facts.{fname}')}"
            fbody = self.table(fbody, fwhere, _FACT_KEYS)
            required, absent = fbody.get("required", False), fbody.get("absent", "default")
            if not isinstance(required, bool):
                raise self.fail(f"{fwhere}.required", "must be true or false")
            if absent not in ("default", "missing"):
                raise self.fail(f"{fwhere}.absent", "must be \"default\" (false, 0, empty) or "
                                                    "\"missing\"")
            ftype = self.type(fbody.get("type"), fbody.get("values"), fwhere)
            facts.append(Fact(fname, ftype, self.text(fbody, "meaning", fwhere),
                              required=required, absent=absent))
            self.label(f"fact:{action}.{fname}", fbody, fwhere)
        meaning = self.text(body, "meaning", where, required=False)
        return Action(action, meaning, tuple(facts))

    def topic(self, topic: str, body: Any) -> Topic:
        where = f"topics.{topic}"
        body = self.table(body, where, _TOPIC_KEYS)
        informational = body.get("informational", False)
        if not isinstance(informational, bool):
            raise self.fail(f"{where}.informational", "must be true or false")
        self.label(f"topic:{topic}", body, where)
        return Topic(topic, self.text(body, "title", where),
                     self.type(body.get("type"), body.get("values"), where), informational)

    def values(self, data: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(data, dict):
            raise self.fail("values", "must be a table of enum names")
        added: dict[str, tuple[str, ...]] = {}
        for enum_name, body in data.items():
            where = f"values.{self.name(enum_name, f'values.{enum_name}')}"
            if isinstance(body, list):
                body = {v: {} for v in body if isinstance(v, str)} if all(
                    isinstance(v, str) for v in body) else None
            if not isinstance(body, dict) or not body:
                raise self.fail(where, "must list values: a list of names, or a table of "
                                       "name = { en = …, sv = … }")
            for value, label in body.items():
                self.name(value, f"{where}.{value}")
                entry = self.table(label, f"{where}.{value}", ("en", "sv", "help"))
                if entry:           # help is { en = …, sv = … }, or a string in English
                    helps = entry.get("help", {})
                    self.label(f"value:{enum_name}.{value}", {
                        "label": {k: entry[k] for k in ("en", "sv") if k in entry},
                        "help": {"en": helps} if isinstance(helps, str) else helps,
                    }, f"{where}.{value}")
            defined = self.enums.get(enum_name)
            new = tuple(v for v in body if defined is None or v not in defined.values)
            if new:
                added[enum_name] = new
        return added

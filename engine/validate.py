"""Check a request's facts against its action's vocabulary and normalise them.

``FactValidator(action).normalise(facts)`` returns a new dict with every fact of the
action present: absent bool/int/set facts as false/0/empty, absent optional facts as
None, sets as frozensets, dates as ``datetime.date``, strings and names in Unicode NFC,
plus the action's derived facts.
Anything else raises :class:`~engine.errors.RequestError` naming the fact, what was
wrong and what is valid, with the path into the request (``facts.page_category``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Mapping, Sequence

from dsl.dates import date_hint
from engine import vocabulary as vocab
from engine.errors import RequestError, did_you_mean, one_of, show
from engine.json_input import nfc
from engine.vocabulary import local_time, parse_datetime

Check = Callable[[Any], Any]




class FactValidator:
    """Validates and normalises the facts of one action; built once per action."""

    def __init__(self, action: vocab.Action, words: vocab.Vocabulary | None = None) -> None:
        """``words``, when given, lends its labels to the suggestions of errors: a
        Swedish fact or value ("kategori", "företag") leads to its name."""
        self.action = action
        self.words = words
        self.defaults = {f.name: f.default for f in action.facts}
        self.checks: dict[str, Check] = {f.name: self._check_for(f) for f in action.facts}
        self.required = tuple(f for f in action.facts if f.required)
        self.derived = action.derived

    def _fail(self, fact: vocab.Fact, message: str, code: str = "bad-fact-value") -> RequestError:
        return RequestError(f"fact '{fact.name}' of action '{self.action.name}' {message}",
                            path=f"facts.{fact.name}", code=code)

    def _check_for(self, fact: vocab.Fact) -> Check:
        t = fact.type
        if t.kind == "bool":
            def check(v: Any) -> Any:
                if v is True or v is False:
                    return v
                raise self._fail(fact, f"must be true or false, got {show(v)}")
        elif t.kind == "int":
            def check(v: Any) -> Any:
                if type(v) is int and v >= 0:
                    return v
                raise self._fail(fact, f"must be a whole number ≥ 0, got {show(v)}")
        elif t.kind == "string":
            def check(v: Any) -> Any:
                if isinstance(v, str):
                    return nfc(v)
                raise self._fail(fact, f"must be a string, got {show(v)}")
        elif t.kind == "date":
            def check(v: Any) -> Any:
                if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
                    return v
                parsed = vocab.parse_date(v)
                if parsed is not None:
                    return parsed
                raise self._fail(fact, f"must be a date as \"YYYY-MM-DD\", got {show(v)}"
                                       f"{date_hint(v)}")
        elif t.kind == "datetime":
            def check(v: Any) -> Any:
                if isinstance(v, dt.datetime):
                    return v.replace(tzinfo=None) if v.tzinfo is None else local_time(v)
                parsed = parse_datetime(v)
                if parsed is not None:
                    return parsed
                raise self._fail(fact, "must be a time as \"YYYY-MM-DDTHH:MM\" (Swedish local "
                                       f"time, or with a UTC offset), got {show(v)}"
                                       f"{date_hint(v)}")
        elif t.kind == "enum":
            values = frozenset(t.values)

            def check(v: Any) -> Any:
                if isinstance(v, str):
                    if v in values:
                        return v
                    composed = nfc(v)           # decomposed accents, as pasted from PDFs
                    if composed in values:
                        return composed
                hint = (did_you_mean(v, t.values, self._value_names(t.name, t.values))
                        if isinstance(v, str) else "")
                raise self._fail(fact, f"has no value {show(v)}{hint}; valid values are "
                                       f"{one_of(t.values, limit=20)}", "unknown-value")
        elif t.kind == "set":
            element = t.element
            assert element is not None
            values = frozenset(element.values)

            def check(v: Any) -> Any:
                if isinstance(v, (frozenset, set)):
                    v = sorted(v, key=str)
                if not isinstance(v, (list, tuple)):
                    raise self._fail(fact, f"must be a list of {element.name} values, got {show(v)}")
                v = [nfc(item) if isinstance(item, str) else item for item in v]
                for item in v:
                    if not (isinstance(item, str) and item in values):
                        hint = (did_you_mean(item, element.values,
                                             self._value_names(element.name, element.values))
                                if isinstance(item, str) else "")
                        raise self._fail(fact, f"has no {element.name} {show(item)}{hint}; valid "
                                               f"values are {one_of(element.values, limit=20)}",
                                         "unknown-value")
                result = frozenset(v)
                if len(result) != len(v):
                    raise self._fail(fact, f"lists a value twice: {show(list(v))}; each value "
                                           "may appear once")
                return result
        else:  # pragma: no cover - the vocabulary has no other kinds
            raise AssertionError(t.kind)
        return check

    def normalise(self, facts: Mapping[str, Any],
                  now: dt.datetime | None = None) -> dict[str, Any]:
        """The facts checked and completed (see the module); ``now`` is the request's time
        of day, for derived facts that count hours (None: ``at`` was a bare date)."""
        if type(facts) is not dict and not isinstance(facts, Mapping):
            raise RequestError(f"facts must be an object of fact names to values, got "
                               f"{show(facts)}", path="facts", code="bad-facts")
        out = dict(self.defaults)
        checks = self.checks
        for name, value in facts.items():
            if type(name) is str and not name.isascii():
                name = nfc(name)
            check = checks.get(name)
            if check is None:
                raise self._unknown(name)
            out[name] = check(value)
        for fact in self.required:
            if out[fact.name] is None:
                valid = (f"valid values are {one_of(fact.type.values, limit=20)}"
                         if fact.type.values else f"it is a {fact.type.name}")
                raise RequestError(
                    f"fact '{fact.name}' is required for action '{self.action.name}'; {valid}",
                    path=f"facts.{fact.name}", code="missing-fact")
        for derived in self.derived:
            out[derived.name] = derived.compute(out, now)
        return out

    def _value_names(self, enum: str, values: Sequence[str]) -> dict[str, str] | None:
        """The labels of an enum's values, naming them (only for an error's hint)."""
        if self.words is None:
            return None
        return self.words.names_of({f"value:{enum}.{v}": v for v in values})

    def _unknown(self, name: Any) -> RequestError:
        names = self.action.names
        labels = (self.words.names_of({f"fact:{self.action.name}.{n}": n for n in names})
                  if self.words is not None else None)
        hint = did_you_mean(name, names, labels) if isinstance(name, str) else ""
        return RequestError(f"unknown fact {show(name)} for action '{self.action.name}'{hint}; "
                            f"its facts are {one_of(names, limit=20)}",
                            path=f"facts.{name}" if isinstance(name, str) else "facts",
                            code="unknown-fact")


def validators(vocabulary: vocab.Vocabulary) -> dict[str, FactValidator]:
    """One validator per action of ``vocabulary``, suggesting by its labels too."""
    return {name: FactValidator(action, vocabulary)
            for name, action in vocabulary.actions.items()}

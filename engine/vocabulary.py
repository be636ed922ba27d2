"""The vocabulary: the actions, facts, values, roles and topics packs and requests use.

A vocabulary is built from *contributions*: the public contract's own (``engine.contract``)
comes first, then one per plugin that implements the ``policy_vocabulary`` hook (see
``engine.hookspecs``). Each :class:`~engine.core.Engine` builds its own
:class:`Vocabulary` from the plugins it loaded; nothing here is global, so two engines
with different plugins never share words. The compiler checks every pack against its
engine's vocabulary, the request validator checks every request against it, and every
view (explain, traces, OpenAPI, the editor support) reads names and labels from it.

Growth keeps callers safe (``docs/plugins.md``):

* a contribution may add actions, optional facts to any action, values to an open enum,
  roles (values of the ``role`` enum), topics and labels;
* it may not add a *required* fact to an action it did not define (a request that was
  valid stays valid), nor values to a closed enum (``interval``: its months are fixed);
* a name defined twice must be defined the same way; otherwise :meth:`Vocabulary.build`
  raises :class:`~engine.errors.VocabularyError` naming both contributors.

A pack decides for itself what values it does not name get (its ``only`` lists, its
default); ``policy check`` lists the values other contributions added that a pack's
rules on a fact do not name.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

import attrs

from engine.errors import VocabularyError
from engine.glossary import Label as Label   # re-exported: contributions carry labels


@attrs.frozen
class Type:
    """A value type. ``kind`` is one of bool, int, date, datetime, string, enum, set, record.

    An enum lists its ``values`` in contract order; ``includes`` names enums whose values
    it also holds (the custodian enum holds every role), and a ``closed`` enum cannot be
    extended by a plugin.
    """

    kind: str
    name: str
    values: tuple[str, ...] = ()          # enum: the allowed values, in contract order
    element: "Type | None" = None         # set: the element type
    fields: tuple[tuple[str, "Type"], ...] = ()  # record: named fields
    includes: tuple[str, ...] = ()        # enum: enums whose values come first
    closed: bool = False                  # enum: no plugin may add values

    def __str__(self) -> str:
        return self.name

    def field(self, name: str) -> "Type | None":
        return dict(self.fields).get(name)

    @property
    def element_type(self) -> "Type":
        """A set's element type; only a set has one, so asking another type is a mistake."""
        if self.element is None:
            raise TypeError(f"'{self.name}' is a {self.kind} type, not a set: it has no "
                            "element type")
        return self.element

    def is_enum(self, name: str) -> bool:
        """Whether this is the enum called ``name`` (enums are compared by name, since a
        vocabulary rebuilds every type that a contribution extends)."""
        return self.kind == "enum" and self.name == name


BOOL = Type("bool", "bool")
INT = Type("int", "int")
DATE = Type("date", "date")
DATETIME = Type("datetime", "datetime")
STRING = Type("string", "string")
#: A time limit or a span, in hours (derived spans may have a fraction).
HOURS = Type("int", "hours")
SCALARS: Mapping[str, Type] = {t.name: t for t in (BOOL, INT, DATE, DATETIME, STRING, HOURS)}


def enum(name: str, *values: str, includes: Sequence[str] = (), closed: bool = False) -> Type:
    return Type("enum", name, values=values, includes=tuple(includes), closed=closed)


def set_of(element: Type) -> Type:
    return Type("set", f"set of {element.name}", element=element)


@attrs.frozen
class Fact:
    """One fact of an action's request.

    ``required`` facts must be present. Absent bool, int and set facts mean false, 0 and
    the empty set ("not done / none"), unless ``absent`` is ``"missing"``: a number that
    has no "none" (how many days a channel has been silent) is then *missing* when left
    out, as other absent optional facts are (``None``). Every comparison with a missing
    value is false; test it with ``is set`` / ``is missing``.
    """

    name: str
    type: Type
    meaning: str
    required: bool = False
    absent: str = attrs.field(default="default",
                              validator=attrs.validators.in_(("default", "missing")))

    @property
    def default(self) -> Any:
        """What the fact is when a request leaves it out (None: missing)."""
        if self.absent == "missing":
            return None
        return {"bool": False, "int": 0, "set": frozenset()}.get(self.type.kind)


#: A derived fact's computation: ``compute(facts, now)`` with the validated facts and
#: the request's time of day (None when ``at`` is a bare date). May raise RequestError.
Compute = Callable[[Mapping[str, Any], "_dt.datetime | None"], Any]


@attrs.frozen
class DerivedFact:
    """A fact the engine computes from the request's own facts; packs may test it,
    requests may not send it."""

    name: str
    type: Type
    meaning: str
    compute: Compute = attrs.field(eq=False, repr=False)
    inputs: tuple[str, ...] = ()          # the request's facts it is computed from
    #: It can be missing (None): every comparison with it is then false, and packs may
    #: test it with ``is set`` / ``is missing``.
    may_be_missing: bool = False


@attrs.frozen
class Action:
    name: str
    meaning: str
    facts: tuple[Fact, ...]
    derived: tuple[DerivedFact, ...] = ()

    def fact(self, name: str) -> Fact | DerivedFact | None:
        for f in self.facts + self.derived:
            if f.name == name:
                return f
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.facts)


@attrs.frozen
class Topic:
    """A comparable setting of a pack, shown side by side by ``policy explain``.

    ``informational`` topics are for comparison only: no action's facts can test them,
    so no rule is expected to refer to them.
    """

    id: str
    title: str
    type: Type
    informational: bool = False


@attrs.frozen
class Contribution:
    """What one contributor adds to the vocabulary.

    ``actions`` are new actions, or existing ones (same name) bringing extra optional
    facts; ``values`` adds values to existing enums by name (roles are the ``role``
    enum); ``labels`` are keyed as :class:`Label` says. ``name`` is set by the engine to
    the plugin's name; the contract's contribution is called ``contract``.
    """

    name: str
    actions: tuple[Action, ...] = ()
    values: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    topics: tuple[Topic, ...] = ()
    labels: Mapping[str, Label] = attrs.field(factory=dict)
    #: Where it was read from (a vocabulary file), for messages; None: Python code.
    origin: str | None = None


def _types_in(t: Type) -> Iterator[Type]:
    yield t
    if t.element is not None:
        yield from _types_in(t.element)
    for _, field in t.fields:
        yield from _types_in(field)


@attrs.frozen
class Vocabulary:
    """Every word an engine knows, combined from its contributions.

    ``actions`` and ``topics`` are keyed by name; ``enums`` holds every enum by name with
    all values contributions gave it; ``origins`` says which contributor first gave each
    key (``action:…``, ``fact:A.F``, ``value:E.V``, ``topic:…``); ``contributors`` lists
    the contributions' names in the order they were combined.
    """

    actions: Mapping[str, Action]
    topics: Mapping[str, Topic]
    enums: Mapping[str, Type]
    labels: Mapping[str, Label] = attrs.field(eq=False, repr=False)
    origins: Mapping[str, str] = attrs.field(eq=False, repr=False)
    contributors: tuple[str, ...] = ()

    @property
    def roles(self) -> Type:
        return self.enums["role"]

    def label(self, key: str, lang: str = "en") -> str:
        """The label of ``key`` in ``lang`` ("en" or "sv"); Swedish falls back to English,
        an unknown key to its last part with spaces for underscores."""
        if lang not in ("en", "sv"):
            raise ValueError(f"unknown language {lang!r}; languages are 'en' and 'sv'")
        found = self._find(key)
        if found is None:
            return re.split(r"[:.]", key)[-1].replace("_", " ")
        return (found.sv or found.en) if lang == "sv" else found.en

    def names_of(self, choices: Mapping[str, str]) -> dict[str, str]:
        """The names people use for ``choices`` (label key -> the choice it names, as
        ``{"action:like_page": "like_page"}``): each choice's English and Swedish label
        ("like a page", "gilla en sida") mapped to it, for suggestions; choices without
        a label are left out."""
        found: dict[str, str] = {}
        for key, choice in choices.items():
            label = self._find(key)
            if label is not None:
                for name in (label.en, label.sv):
                    if name:
                        found.setdefault(name, choice)
        return found

    def _find(self, key: str) -> Label | None:
        """The label of ``key``; a value of an enum that includes another (a custodian
        that is a role) has the included enum's label."""
        found = self.labels.get(key)
        if found is None and key.startswith("value:"):
            enum_name, _, value = key[len("value:"):].partition(".")
            for inc in getattr(self.enums.get(enum_name), "includes", ()):
                found = self._find(f"value:{inc}.{value}")
                if found is not None:
                    break
        return found

    def help(self, key: str, lang: str = "en") -> str:
        """One sentence of help for ``key`` in ``lang`` ("" when there is none)."""
        found = self._find(key)
        if found is None:
            return ""
        return (found.help_sv or found.help_en) if lang == "sv" else found.help_en

    def role_label(self, role: str, lang: str = "en") -> str:
        return self.label(f"value:role.{role}", lang)

    def added_by(self, key: str) -> str:
        """Which contributor gave ``key`` (``contract`` for the public contract's words)."""
        return self.origins.get(key, "contract")

    def extensions(self, enum_name: str) -> tuple[str, ...]:
        """The values of ``enum_name`` that a contributor other than the one defining the
        enum added (for the contract's enums: every value a plugin added)."""
        t = self.enums.get(enum_name)
        if t is None:
            return ()
        own = self.added_by(f"enum:{enum_name}")
        return tuple(v for v in t.values if self.added_by(f"value:{enum_name}.{v}") != own)

    @classmethod
    def build(cls, contributions: Iterable[Contribution]) -> "Vocabulary":
        """Combine ``contributions`` in order; raises :class:`VocabularyError` on a
        conflict, naming both contributors (every conflict found, one per line)."""
        return _Builder().build(list(contributions))


class _Builder:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.origins: dict[str, str] = {}
        self.enum_defs: dict[str, Type] = {}
        self.extra_values: dict[str, list[str]] = {}
        self.actions: dict[str, Action] = {}
        self.topics: dict[str, Topic] = {}
        self.labels: dict[str, Label] = {}
        self.references: list[tuple[str, str]] = []

    def conflict(self, key: str, by: str, what: str) -> None:
        first = self.origins.get(key, "?")
        self.problems.append(f"{_who(first)} and {_who(by)} both define {what} differently")

    def build(self, contributions: list[Contribution]) -> Vocabulary:
        for c in contributions:
            self.add(c)
        for c in contributions:                 # values once every enum is defined
            self.add_values(c)
        for name, by in self.references:
            if name not in self.enum_defs:
                self.problems.append(f"{_who(by)} uses enum '{name}', which no contribution "
                                     f"defines; enums are {', '.join(sorted(self.enum_defs))}")
        if self.problems:
            raise VocabularyError("the vocabulary cannot be built: "
                                  + "; ".join(dict.fromkeys(self.problems)))
        enums = {name: self.resolved(name) for name in self.enum_defs}
        actions = {name: self.rebuild_action(a, enums) for name, a in self.actions.items()}
        topics = {tid: attrs.evolve(t, type=_rebuild(t.type, enums))
                  for tid, t in self.topics.items()}
        return Vocabulary(actions, topics, enums, dict(self.labels), dict(self.origins),
                          tuple(c.name for c in contributions))

    def define_enums(self, t: Type, by: str) -> None:
        for part in _types_in(t):
            if part.kind != "enum":
                continue
            if not part.values and not part.includes:     # a reference by name
                self.references.append((part.name, by))
                continue
            known = self.enum_defs.get(part.name)
            key = f"enum:{part.name}"
            if known is None:
                self.enum_defs[part.name] = part
                self.origins[key] = by
                for v in part.values:
                    self.origins.setdefault(f"value:{part.name}.{v}", by)
            elif (known.values, known.includes, known.closed) != (
                    part.values, part.includes, part.closed):
                self.conflict(key, by, f"enum '{part.name}' ({', '.join(known.values)} / "
                                       f"{', '.join(part.values)})")

    def add(self, c: Contribution) -> None:
        by = c.name
        for action in c.actions:
            key = f"action:{action.name}"
            known = self.actions.get(action.name)
            for f in action.facts + action.derived:
                self.define_enums(f.type, by)
            if known is None:
                self.origins[key] = by
                for f in action.facts + action.derived:
                    self.origins[f"fact:{action.name}.{f.name}"] = by
                self.actions[action.name] = action
                continue
            if action.meaning and action.meaning != known.meaning:
                self.conflict(key, by, f"action '{action.name}' (its meaning)")
            self.actions[action.name] = self.merge_facts(known, action, by)
        for topic in c.topics:
            self.define_enums(topic.type, by)
            key = f"topic:{topic.id}"
            known_topic = self.topics.get(topic.id)
            if known_topic is None:
                self.topics[topic.id] = topic
                self.origins[key] = by
            elif known_topic != topic:
                self.conflict(key, by, f"topic '{topic.id}'")
        for lkey, label in c.labels.items():
            known_label = self.labels.get(lkey)
            if known_label is None:
                self.labels[lkey] = label
                self.origins[f"label:{lkey}"] = by
            elif known_label != label:
                self.conflict(f"label:{lkey}", by, f"the label of '{lkey}'")

    def merge_facts(self, known: Action, extra: Action, by: str) -> Action:
        facts = list(known.facts)
        derived = list(known.derived)
        new: list[Fact | DerivedFact] = [*extra.facts, *extra.derived]
        for f in new:
            key = f"fact:{known.name}.{f.name}"
            same = known.fact(f.name)
            if same is not None:
                if same != f:
                    self.conflict(key, by, f"fact '{f.name}' of action '{known.name}'")
                continue
            if isinstance(f, Fact) and f.required \
                    and self.origins.get(f"action:{known.name}") != by:
                self.problems.append(
                    f"{_who(by)} adds the required fact '{f.name}' to action '{known.name}', "
                    f"which {_who(self.origins.get(f'action:{known.name}', '?'))} defines; a "
                    "fact added to another's action must be optional, so that requests "
                    "valid before stay valid")
                continue
            self.origins[key] = by
            if isinstance(f, Fact):
                facts.append(f)
            else:
                derived.append(f)
        return attrs.evolve(known, facts=tuple(facts), derived=tuple(derived))

    def add_values(self, c: Contribution) -> None:
        for name, values in c.values.items():
            known = self.enum_defs.get(name)
            if known is None:
                hint = ", ".join(sorted(self.enum_defs))
                self.problems.append(f"{_who(c.name)} adds values to enum '{name}', which no "
                                     f"contribution defines; enums are {hint}")
                continue
            if known.closed and self.origins.get(f"enum:{name}") != c.name:
                self.problems.append(f"{_who(c.name)} adds values to the closed enum '{name}' "
                                     f"of {_who(self.origins.get(f'enum:{name}', '?'))}; its "
                                     "values cannot grow")
                continue
            for v in values:
                key = f"value:{name}.{v}"
                if v in known.values or v in self.extra_values.get(name, ()):
                    continue                    # the same value twice is one value
                self.origins[key] = c.name
                self.extra_values.setdefault(name, []).append(v)

    def resolved(self, name: str, seen: tuple[str, ...] = ()) -> Type:
        t = self.enum_defs[name]
        values: list[str] = []
        for inc in t.includes:
            if inc in seen or inc not in self.enum_defs:
                continue
            values.extend(self.resolved(inc, seen + (name,)).values)
        values.extend(t.values)
        values.extend(self.extra_values.get(name, ()))
        return attrs.evolve(t, values=tuple(dict.fromkeys(values)))

    def rebuild_action(self, action: Action, enums: Mapping[str, Type]) -> Action:
        return attrs.evolve(
            action,
            facts=tuple(attrs.evolve(f, type=_rebuild(f.type, enums)) for f in action.facts),
            derived=tuple(attrs.evolve(d, type=_rebuild(d.type, enums)) for d in action.derived))


def _rebuild(t: Type, enums: Mapping[str, Type]) -> Type:
    if t.kind == "enum":
        return enums.get(t.name, t)
    if t.kind == "set" and t.element is not None:
        return set_of(_rebuild(t.element, enums))
    if t.kind == "record":
        return attrs.evolve(t, fields=tuple((n, _rebuild(f, enums)) for n, f in t.fields))
    return t


def _who(name: str) -> str:
    return "the contract" if name == "contract" else f"plugin '{name}'"


# --- date arithmetic ------------------------------------------------------------------
# Calendar months, to the day: ``months_since(d, at)`` is the largest n with
# ``add_months(d, n) <= at`` (negative when d lies after at), where adding months keeps
# the day of the month and clamps it to the month's last day (31 Aug + 6 months = 28 Feb).

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def parse_date(text: Any) -> _dt.date | None:
    """A "YYYY-MM-DD" string as a date, else None. Stricter than ``date.fromisoformat``,
    which also takes ISO week and ordinal dates ("2025-W01-1") that the contract does not."""
    if type(text) is str and _ISO_DATE.match(text):
        try:
            return _dt.date.fromisoformat(text)
        except ValueError:
            return None
    return None


def parse_at(value: Any) -> "_dt.date | _dt.datetime | None":
    """A request's ``at``: a day as "YYYY-MM-DD", or a moment as "YYYY-MM-DDTHH:MM[:SS]"
    (Swedish local time; with a UTC offset or "Z" it is converted to Swedish time), for
    requests whose facts count hours. None when it is neither."""
    day = parse_date(value)
    if day is not None:
        return day
    return parse_datetime(value)


def local_time(moment: _dt.datetime) -> _dt.datetime:
    """An aware datetime as naive Swedish local time (Europe/Stockholm); a naive one is
    taken to be local time already and returned as it is."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(_STOCKHOLM).replace(tzinfo=None)


def parse_datetime(text: Any) -> _dt.datetime | None:
    """A "YYYY-MM-DDTHH:MM" or "YYYY-MM-DDTHH:MM:SS" string (a space may stand for the "T")
    as a naive local datetime, else None.

    Without an offset the text is Swedish local time already. With "Z" or an offset such
    as "+01:00" the moment is converted to Europe/Stockholm time and the zone dropped.
    Stricter than ``datetime.fromisoformat``: no bare dates, no ISO week or ordinal dates,
    no fractions of a second; out-of-range values, and moments that convert to outside
    the calendar, give None.
    """
    if type(text) is not str or not _ISO_DATETIME.match(text):
        return None
    try:
        moment = _dt.datetime.fromisoformat(text)
        moment = local_time(moment)
    except (ValueError, OverflowError):
        return None
    return moment


_STOCKHOLM = ZoneInfo("Europe/Stockholm")
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})?\Z")


def add_months(day: _dt.date, months: int) -> _dt.date:
    """``day`` moved by ``months`` calendar months (the day clamped to the month's last).

    Raises ``OverflowError`` when the result lies outside the calendar (before 0001-01-01
    or after 9999-12-31), as ``date + timedelta`` does.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if not _dt.MINYEAR <= year <= _dt.MAXYEAR:
        raise OverflowError(f"{day.isoformat()} moved by {months} months is outside the calendar")
    if month == 12:
        last = 31
    else:
        last = (_dt.date(year, month + 1, 1) - _dt.timedelta(days=1)).day
    return _dt.date(year, month, min(day.day, last))


def months_since(day: _dt.date, at: _dt.date) -> int:
    n = (at.year - day.year) * 12 + (at.month - day.month)
    if add_months(day, n) > at:
        n -= 1
    return n


def days_since(day: _dt.date, at: _dt.date) -> int:
    return (at - day).days

"""The abstract syntax tree of the rule language.

Every node is a frozen attrs value. Each carries its source ``span`` as a field that
is left out of equality, so two trees compare equal when they mean the same, wherever
their text stood (the formatter's round-trip tests rely on this).

The parser (``dsl.parser``) builds these nodes; the compiler (``engine.compiler``)
checks them against the vocabulary and turns them into an evaluation form. ``children``
and ``walk`` go through the expressions inside an expression.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import attrs

from engine.errors import Span


def _span() -> Span | None:
    """A node's source span: None by default, and left out of equality and repr."""
    span: Span | None = attrs.field(default=None, eq=False, repr=False)
    return span


@attrs.frozen
class Text:
    """A human text in English, optionally with a Swedish version."""

    en: str
    sv: str | None = None
    span: Span | None = _span()


# ---- values and expressions ---------------------------------------------------------

@attrs.frozen
class Name:
    """A bare name: a fact, a topic, a loop variable or an enum value, by context."""

    id: str
    span: Span | None = _span()


@attrs.frozen
class Field:
    """``base.field``, e.g. ``allowed_likes.deny``."""

    base: str
    field: str
    span: Span | None = _span()


@attrs.frozen
class Call:
    """``func(arg)``, e.g. ``months_since(last_snapshot_on)``."""

    func: str
    arg: "Expr"
    span: Span | None = _span()


@attrs.frozen
class Constant:
    """An int, date, string or bool literal."""

    value: int | dt.date | str | bool
    span: Span | None = _span()


@attrs.frozen
class ListValue:
    items: tuple["Scalar", ...]
    span: Span | None = _span()


@attrs.frozen
class RecordValue:
    entries: tuple[tuple[str, "Value"], ...]
    span: Span | None = _span()


@attrs.frozen
class Compare:
    op: str                      # == != < <= > >=
    left: "Expr"
    right: "Expr"
    span: Span | None = _span()


@attrs.frozen
class Membership:
    """``item in collection`` (``negated`` for ``not in``)."""

    item: "Expr"
    collection: "Expr"
    negated: bool = False
    span: Span | None = _span()


@attrs.frozen
class Contains:
    """``collection contains item``; with mode ``all``/``any`` the right side is a set."""

    collection: "Expr"
    other: "Expr"
    mode: str = "one"            # one | all | any
    span: Span | None = _span()


@attrs.frozen
class IsSet:
    """``x is set`` (``negated``: ``x is missing``)."""

    operand: "Expr"
    negated: bool = False
    span: Span | None = _span()


@attrs.frozen
class And:
    items: tuple["Expr", ...]
    span: Span | None = _span()


@attrs.frozen
class Or:
    items: tuple["Expr", ...]
    span: Span | None = _span()


@attrs.frozen
class Not:
    operand: "Expr"
    span: Span | None = _span()


Scalar = Constant | Name
Value = Constant | Name | ListValue | RecordValue
Expr = (Name | Field | Call | Constant | ListValue | Compare | Membership | Contains | IsSet
        | And | Or | Not)


def children(e: Expr) -> tuple[Expr, ...]:
    """The expressions directly inside ``e``, in the order of its fields."""
    match e:
        case Call(arg=arg):
            return (arg,)
        case ListValue(items=items) | And(items=items) | Or(items=items):
            return items
        case Compare(left=left, right=right):
            return (left, right)
        case Membership(item=item, collection=collection):
            return (item, collection)
        case Contains(collection=collection, other=other):
            return (collection, other)
        case IsSet(operand=operand) | Not(operand=operand):
            return (operand,)
        case Name() | Field() | Constant():
            return ()


def walk(e: Expr | None) -> Iterator[Expr]:
    """``e`` (if any) and every expression inside it, each before those inside it."""
    stack = [e] if e is not None else []
    while stack:
        node = stack.pop()
        yield node
        stack.extend(children(node))


# ---- pack structure -----------------------------------------------------------------

@attrs.frozen
class InForce:
    """An edition's in-force period: ``start`` to ``until``, both days included.

    ``start`` None is ``in force undated`` (the guideline gives no date: the edition
    applies on any day); ``until`` None is open-ended.
    """

    start: dt.date | None = None
    until: dt.date | None = None
    span: Span | None = _span()

    def source(self) -> str:
        """``in force from DATE [until DATE]`` or ``in force undated``, as a header writes it."""
        if self.start is None:
            return "in force undated"
        until = f" until {self.until.isoformat()}" if self.until is not None else ""
        return f"in force from {self.start.isoformat()}{until}"


@attrs.frozen
class DocumentPart:
    """``part "TITLE" [dated DATE|undated]``: one page of a guideline published as
    several (its own title and date)."""

    title: Text
    dated: dt.date | None = None      # None: undated or not given
    undated: bool = False
    span: Span | None = _span()


@attrs.frozen
class Header:
    id: str
    name: Text | None = None
    document: Text | None = None
    dated: dt.date | None = None      # None: undated or not given
    undated: bool = False
    parts: tuple[DocumentPart, ...] = ()
    version: str | None = None
    default: str | None = None
    sections: tuple[str, ...] = ()
    span: Span | None = _span()
    in_force: InForce | None = None   # None: the header does not say (applies any day)


@attrs.frozen
class TopicSetting:
    """``topic ID = VALUE``; ``value`` is None for ``not regulated``."""

    id: str
    value: Value | None
    summary: Text | None = None
    source: str | None = None
    sentences: tuple[int, ...] = ()
    span: Span | None = _span()


@attrs.frozen
class Require:
    step: str
    by: str | None
    text: Text
    span: Span | None = _span()


@attrs.frozen
class Effect:
    """``allow``, ``deny`` or ``only``: allow when the rule's condition holds, deny when
    it does not (a closed list: what is not on it is not permitted)."""

    kind: str
    span: Span | None = _span()


@attrs.frozen
class ForEach:
    var: str
    topic: str
    span: Span | None = _span()


@attrs.frozen
class Rule:
    id: str
    actions: tuple[str, ...] = ()
    effect: Effect | Require | None = None
    when: Expr | None = None
    done: Expr | None = None
    for_each: ForEach | None = None
    level: str | None = None
    because: Text | None = None
    source: str | None = None
    sentences: tuple[int, ...] = ()      # ordinals of the cited section's sentences
    span: Span | None = _span()
    actions_span: Span | None = _span()
    level_span: Span | None = _span()
    source_span: Span | None = _span()


@attrs.frozen
class Pack:
    header: Header
    topics: tuple[TopicSetting, ...] = ()
    rules: tuple[Rule, ...] = ()
    file: str = attrs.field(default="<string>", eq=False)
    text: str = attrs.field(default="", eq=False, repr=False)


# ---- pack tests ---------------------------------------------------------------------

@attrs.frozen
class TestCase:
    __test__ = False  # not a pytest class

    name: str
    action: str | None = None
    facts: tuple[tuple[str, Value], ...] = ()
    at: dt.date | None = None
    expect: str | None = None
    steps: tuple[str, ...] | None = None
    rules: tuple[str, ...] | None = None
    by_default: bool | None = None
    span: Span | None = _span()
    fact_spans: tuple[Span | None, ...] = attrs.field(default=(), eq=False, repr=False)


@attrs.frozen
class TestFile:
    __test__ = False

    cases: tuple[TestCase, ...] = ()
    file: str = attrs.field(default="<string>", eq=False)
    text: str = attrs.field(default="", eq=False, repr=False)

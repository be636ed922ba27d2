"""What the parser's clause methods hand up, and how an item reads its clauses back.

A clause (``name "…"`` in a header, ``when …`` in a rule, ``at …`` in a test) is built
into a :class:`Clause`: its kind, its value and its span. The item that holds it checks
that each kind is given once and reads the values back through :class:`Given`, each as
the one type its clause method builds, so the AST's fields get what they are typed as.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

import attrs

from dsl import ast
from engine.errors import Span

__all__ = ["Cited", "Clause", "ClauseValue", "Given", "Request"]

_T = TypeVar("_T")


@attrs.frozen
class Request:
    """What a test's ``request`` clause gives: the action, its facts, each fact's span."""

    action: str
    facts: tuple[tuple[str, ast.Value], ...]
    spans: tuple[Span, ...]


@attrs.frozen
class Cited:
    """What a ``source`` clause gives: the section, and the sentences of it named."""

    section: str
    sentences: tuple[int, ...] = ()


#: What a clause gives: a text, a condition, an effect, a loop, a test's request, a word or
#: string, a list of them, a date, a flag, or None where the value was wrong (and reported).
ClauseValue = (ast.Text | ast.Expr | ast.Effect | ast.InForce | ast.Require | ast.ForEach | Request | Cited
               | ast.DocumentPart | str
               | tuple[str, ...] | dt.date | bool | None)


@attrs.frozen
class Clause:
    """A clause as its method hands it up: its kind, what it gives, where it stands."""

    kind: str
    value: ClauseValue
    span: Span | None


class Given:
    """The clauses an item gives, the first of each kind, read back as what they hold.

    Each clause method builds one type of value for its kind; reading a kind as another
    type is a mistake in this module, raised as such.
    """

    def __init__(self, clauses: dict[str, Clause]) -> None:
        self._clauses = clauses

    def span(self, kind: str) -> Span | None:
        clause = self._clauses.get(kind)
        return clause.span if clause is not None else None

    def value(self, kind: str) -> ClauseValue:
        clause = self._clauses.get(kind)
        return clause.value if clause is not None else None

    def of(self, kind: str, cls: type[_T]) -> _T | None:
        """The value of clause ``kind``, a ``cls``; None when not given."""
        value = self.value(kind)
        if value is None or isinstance(value, cls):
            return value
        raise self._wrong(kind, value)

    def words(self, kind: str) -> tuple[str, ...] | None:
        """The names or strings clause ``kind`` lists; None when not given."""
        value = self.value(kind)
        if value is None or isinstance(value, tuple):
            return value
        raise self._wrong(kind, value)

    def condition(self, kind: str) -> ast.Expr | None:
        """The condition of clause ``kind``; None when not given."""
        value = self.value(kind)
        if value is None or isinstance(value, ast.Expr):
            return value
        raise self._wrong(kind, value)

    def effect(self) -> ast.Effect | ast.Require | None:
        """The rule's effect (``allow``, ``deny``, ``only`` or ``require``); None when not given."""
        value = self.value("effect")
        if value is None or isinstance(value, (ast.Effect, ast.Require)):
            return value
        raise self._wrong("effect", value)

    @staticmethod
    def _wrong(kind: str, value: object) -> TypeError:
        return TypeError(f"the '{kind}' clause was built as a {type(value).__name__}")

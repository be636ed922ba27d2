"""The words of a source, read forgivingly: what completion, hover and navigation see.

:func:`scan` splits a text (in the language's normal form) into :class:`Token` values
the way the grammar's lexer does (``dsl/grammar.lark``: names with inner hyphens, dates,
numbers, strings, comments, comparisons), but never fails: a string left open runs to
the end of its line, and a character the language has no use for is a token of its
own. Half-typed files are what an editor mostly shows.
"""

from __future__ import annotations

import re
from typing import Iterator

import attrs

__all__ = ["Token", "scan", "WORD", "STRING", "DATE", "INT", "OP", "PUNCT", "COMMENT",
           "OTHER", "unquote"]

WORD, STRING, DATE, INT, OP, PUNCT, COMMENT, OTHER = (
    "word", "string", "date", "int", "op", "punct", "comment", "other")

_TOKEN = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\[^\n])*(?P<close>")?)
  | (?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)
  | (?P<int>[0-9]+)
  | (?P<op>==|!=|<=|>=|<|>|=)
  | (?P<punct>[()\[\]{},:.])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.X | re.S)


@attrs.frozen
class Token:
    kind: str
    text: str
    start: int          # offsets into the normal form
    end: int
    closed: bool = True  # False for a string left open


def scan(text: str) -> list[Token]:
    """Every token of ``text`` but whitespace, in order."""
    return list(_tokens(text))


def _tokens(text: str) -> Iterator[Token]:
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind is None or kind == "space":
            continue
        closed = kind != STRING or match.group("close") is not None
        yield Token(kind, match.group(), match.start(), match.end(), closed)


def unquote(token: Token) -> str:
    """A string token's text without its quotes (escapes left as written)."""
    return token.text[1:-1] if token.closed else token.text[1:]

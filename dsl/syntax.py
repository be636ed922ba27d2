"""The rule language's Lark parser, and what its syntax errors say.

Lark names terminals (``NAME``, ``LSQB``); these helpers turn them into what an author
reads ("a name", "'['"), list only what the parser would really accept at the place, and
say what is wrong with a character or a date that is not one. Used by ``dsl.parser``;
the parser is built once per process, on first use, from ``grammar.lark``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import lark
from lark import Lark, Token


@functools.cache
def grammar_parser() -> Lark:
    """The one Lark parser for the rule language (pack files and test files)."""
    return Lark.open_from_package(
        "dsl", "grammar.lark", ("",),
        parser="lalr", start=["pack_file", "test_file"],
        propagate_positions=True, maybe_placeholders=True, cache=True,
    )


TERMINAL_NAMES = {
    "NAME": "a name", "STRING": "a string", "DATE": "a date (YYYY-MM-DD)", "DATETIME": "a time (YYYY-MM-DDTHH:MM)", "INT": "a number",
    "COMPARE": "a comparison (==, !=, <, <=, >, >=)", "LEVEL": "'must' or 'should'",
    "UNDATED": "'undated'", "$END": "the end of the file",
    "LPAR": "'('", "RPAR": "')'", "LSQB": "'['", "RSQB": "']'", "LBRACE": "'{'",
    "RBRACE": "'}'", "COMMA": "','", "COLON": "':'", "DOT": "'.'", "EQUAL": "'='",
}


def describe(terminal: str) -> str:
    if terminal in TERMINAL_NAMES:
        return TERMINAL_NAMES[terminal]
    try:
        pattern = grammar_parser().get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    if isinstance(pattern, lark.lexer.PatternStr):
        return f"'{pattern.value}'"
    return terminal.lower()


def expected_text(names: Iterable[str]) -> str:
    described = sorted({describe(n) for n in names})
    if not described:
        return ""
    end = TERMINAL_NAMES["$END"]
    keywords = [d for d in described if d.startswith("'")]
    others = [d for d in described if not d.startswith("'") and d != end]
    described = others + keywords + ([end] if end in described else [])
    if len(described) > 8:
        described = (others + keywords)[:8] + ["…"]
    if len(described) == 1:
        return described[0]
    return ", ".join(described[:-1]) + " or " + described[-1]


def token_text(token: Token) -> str:
    return f"'{token}'" if token.type != "STRING" else f"string {token}"


def acceptable(e: lark.UnexpectedToken) -> set[str]:
    """The terminals the parser would really accept here (LALR's own list is wider)."""
    try:
        return e.accepts or e.expected
    except Exception:  # noqa: BLE001 - a better message is a nicety, never a new failure
        return e.expected


def keywords(terminals: Iterable[str]) -> list[str]:
    """The keywords among ``terminals``, as written."""
    words = []
    for name in terminals:
        try:
            pattern = grammar_parser().get_terminal(name).pattern
        except KeyError:
            continue
        if isinstance(pattern, lark.lexer.PatternStr) and pattern.value.replace("_", "").isalpha():
            words.append(pattern.value)
    return words


#: Keywords that start a clause or an item: read as a value, something before is missing.
CLAUSE_WORDS = frozenset({"on", "for", "when", "require", "done", "level", "because", "source",
                           "summary", "rule", "topic", "test", "request", "expect", "steps",
                           "rules", "sections", "version", "dated", "document"})

CHARACTER_HINTS = {
    "'": "strings are written in double quotes, \"like this\"",
    "\u201c": "write straight double quotes (\"), not typographic ones",
    "\u201d": "write straight double quotes (\"), not typographic ones",
    "&": "combine conditions with 'and'",
    "|": "combine conditions with 'or'",
    "!": "write 'not' before a condition, or '!=' to compare",
    ";": "clauses need no separator; start each on a line of its own",
    "-": "numbers are never negative, and a name starts with a letter",
}



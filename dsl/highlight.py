"""Syntax highlighting of the rule language, for people reading pack sources.

:class:`PolicyLexer` is a Pygments lexer for ``*.policy`` and ``*.tests`` files,
registered through Pygments' ``pygments.lexers`` entry point, so anything that uses
Pygments (``pygmentize``, Sphinx, MkDocs, rich) finds it by the name ``policy`` or by the
file name. ``highlight_source(text, "terminal" | "html")`` is the call for views that
show rule sources; without Pygments installed (it is the optional extra ``highlight``) it
returns the text plain (or HTML-escaped), so nothing depends on it.

Words are classed the way the language reads them: item keywords (``pack``, ``topic``,
``rule``, ``test``) and the id after them, clause keywords, the condition words
(``and``, ``in``, ``contains``…), constants (``true``, ``must``…), the vocabulary's
topics, facts and functions, and everything else as a plain name, so a misspelt keyword
stands out by not being coloured as one. The keywords are the grammar's (a test keeps
this lexer, the TextMate grammar in ``editors/`` and ``grammar.lark`` in step).
"""

from __future__ import annotations

import html
import re
from typing import Any, Iterator

from engine.contract import contract_vocabulary

try:
    from pygments.lexer import RegexLexer, bygroups
    from pygments.token import (Comment, Keyword, Literal, Name, Number, Operator, Punctuation,
                                String, Text, Whitespace)
except ImportError:  # pragma: no cover - the optional extra is not installed
    RegexLexer = object

__all__ = ["PolicyLexer", "highlight_source", "KEYWORDS"]

#: Words that start an item; the name after them is the item's id.
ITEMS = ("pack", "topic", "rule")
#: Clause and structure keywords.
CLAUSES = ("name", "document", "dated", "part", "force", "from", "until", "version", "default", "sections", "summary", "source",
           "sentence",
           "on", "for", "each", "when", "allow", "deny", "only", "require", "by", "done", "level",
           "because", "sv", "test", "request", "at", "expect", "steps", "rules", "by_default")
#: Words inside conditions.
OPERATORS = ("and", "or", "not", "in", "contains", "all", "any", "is", "set", "missing")
#: Constant words.
CONSTANTS = ("true", "false", "undated", "must", "should", "regulated")
#: Every keyword of the language, as the grammar spells them.
KEYWORDS = frozenset(ITEMS + CLAUSES + OPERATORS + CONSTANTS)

FUNCTIONS = ("months_since", "days_since")
_WORDS = contract_vocabulary()    # the contract's words; a plugin's show as plain names
_FACTS = frozenset(f.name for a in _WORDS.actions.values() for f in a.facts + a.derived)
_NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*"


def _word(lexer: RegexLexer, match: re.Match[str]) -> Iterator[tuple[int, Any, str]]:
    word = match.group(0)
    if word in ITEMS or word == "test":
        token = Keyword.Declaration
    elif word in CLAUSES:
        token = Keyword
    elif word in OPERATORS:
        token = Operator.Word
    elif word in CONSTANTS:
        token = Keyword.Constant
    elif word in FUNCTIONS:
        token = Name.Builtin
    elif word in _WORDS.topics:
        token = Name.Constant
    elif word in _FACTS:
        token = Name.Variable
    else:
        token = Name
    yield match.start(), token, word


# Pygments ships no type information, so to mypy its RegexLexer is Any, a base class it
# refuses under strict checking.
class PolicyLexer(RegexLexer):  # type: ignore[misc]
    """Pygments lexer for the policy engine's rule language (packs and their tests)."""

    name = "Policy rule pack"
    aliases = ["policy", "policy-pack"]
    filenames = ["*.policy", "*.tests"]
    mimetypes = ["text/x-policy-pack"]

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"#.*?$", Comment.Single),
            (r'"', String.Double, "string"),
            (rf"\b(pack|topic|rule)(\s+)({_NAME})",
             bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (rf"\b(require)(\s+)({_NAME})", bygroups(Keyword, Whitespace, Name.Label)),
            (r"\d{4}-\d{2}-\d{2}\b", Literal.Date),
            (r"\d+", Number.Integer),
            (r"==|!=|<=|>=|<|>|=", Operator),
            (rf"(\.)({_NAME})", bygroups(Punctuation, Name.Attribute)),     # allowed_likes.deny
            (rf"({_NAME})(\s*)(:)", bygroups(Name.Attribute, Whitespace, Punctuation)),  # {key: …}
            (r"[\[\](){},:.]", Punctuation),
            (_NAME, _word),
            (r".", Text),
        ],
        "string": [
            (r'\\(u\{[0-9A-Fa-f]{1,6}\}|["\\nt])', String.Escape),
            (r"\{[A-Za-z_][A-Za-z0-9_]*\}", String.Interpol),
            (r'"', String.Double, "#pop"),
            (r"\n", Text, "#pop"),            # an unterminated string ends at the line
            (r'[^"\\{\n]+', String.Double),
            (r"[\\{]", String.Double),
        ],
    }


def highlight_source(text: str, output: str = "terminal") -> str:
    """``text`` highlighted for a terminal (ANSI colours) or as an HTML fragment.

    Plain text (HTML-escaped in a ``<pre>`` for ``html``) when Pygments is not installed.
    """
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter, TerminalFormatter
    except ImportError:
        return f'<pre class="policy">{html.escape(text)}</pre>' if output == "html" else text
    if output == "html":
        return str(highlight(text, PolicyLexer(), HtmlFormatter(cssclass="policy")))
    return str(highlight(text, PolicyLexer(), TerminalFormatter()))


def source_css() -> str:
    """The CSS for :func:`highlight_source`'s HTML (empty without Pygments)."""
    try:
        from pygments.formatters import HtmlFormatter
    except ImportError:
        return ""
    return str(HtmlFormatter(cssclass="policy").get_style_defs(".policy"))

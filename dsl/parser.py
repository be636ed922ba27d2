"""Parse rule-language source text into the AST of ``dsl.ast``.

``parse_pack(text, file)`` returns a :class:`dsl.ast.Pack`, ``parse_tests(text, file)``
a :class:`dsl.ast.TestFile`. Grammar errors become :class:`engine.errors.PackSyntaxError`
with file, line, column, the offending line and a caret, and what was expected there;
clause errors the grammar cannot see (a clause given twice) are collected and raised
together as :class:`engine.errors.PackErrors`. No Lark exception leaves this module.

The Lark parser (LALR, contextual lexer) is built once per process, on first use, from
``grammar.lark`` (``dsl.syntax``, with the words syntax errors use); its parse tables are
cached on disk by Lark between processes.
"""

from __future__ import annotations

import builtins
import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

import attrs
import lark
from lark import Token, Transformer, v_args
from lark.tree import Meta

from dsl import ast
from dsl.clauses import Cited, Clause, Given, Request
from dsl.dates import date_problem
from dsl.syntax import (CHARACTER_HINTS, CLAUSE_WORDS, acceptable,
                                  expected_text, grammar_parser, keywords, token_text)
from dsl.text import normalise_source
from engine.errors import (PackErrors, PackSyntaxError, SourceError, Span, did_you_mean,
                           source_lines)

__all__ = ["parse_pack", "parse_tests", "grammar_parser"]


#: How deeply conditions may nest (``not not …``, brackets inside brackets). Deeper
#: sources are refused with a positioned error rather than exhausting Python's stack.
MAX_DEPTH = 100


def parse_pack(text: str, file: str = "<string>") -> ast.Pack:
    text = _entering(text, file)
    tree = _parse(text, file, "pack_file")
    return _Builder(file, text).run(tree, ast.Pack)


def parse_tests(text: str, file: str = "<string>") -> ast.TestFile:
    text = _entering(text, file)
    tree = _parse(text, file, "test_file")
    return _Builder(file, text).run(tree, ast.TestFile)


def _entering(text: str, file: str) -> str:
    """Source text in its one normal form (``dsl.text``); anything but text is refused."""
    if not isinstance(text, str):
        raise PackSyntaxError(f"{file}: a pack source must be text, not {type(text).__name__}")
    return normalise_source(text)


def _first(span: Span | None) -> str:
    return f" (first at line {span.line})" if span is not None else ""


def _parse(text: str, file: str, start: str) -> lark.Tree[Token]:
    if not isinstance(text, str):
        raise PackSyntaxError(f"{file}: a pack source must be text, not {type(text).__name__}")
    try:
        tree = _parse_tree(text, file, start)
    except RecursionError:
        raise PackSyntaxError(f"{file}: the source nests too deeply to read") from None
    _check_depth(tree, file, text)
    return tree


def _check_depth(tree: lark.Tree[Token], file: str, text: str) -> None:
    """Refuse trees deeper than :data:`MAX_DEPTH`, walking them without recursion."""
    stack: list[tuple[lark.Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            meta = node.meta
            span = Span(file, meta.line, meta.column) if not meta.empty else None
            raise PackSyntaxError.at(
                f"this condition nests more than {MAX_DEPTH} levels deep; split it into "
                "simpler conditions or rules", span, text, code="too-deep")
        stack.extend((child, depth + 1) for child in node.children
                     if isinstance(child, lark.Tree))


def _parse_tree(text: str, file: str, start: str) -> lark.Tree[Token]:
    try:
        return grammar_parser().parse(text, start=start)
    except lark.UnexpectedCharacters as e:
        char = str(e.char)   # the character the lexer stopped at
        if char == '"':
            message = "unterminated string: a string must close with '\"' on the same line"
        else:
            message = f"unexpected character {char!r}"
            if char in CHARACTER_HINTS:
                message += f": {CHARACTER_HINTS[char]}"
            elif e.allowed:
                message += f"; expected {expected_text(e.allowed)}"
        span = Span(file, e.line, e.column)
        raise PackSyntaxError.at(message, span, text) from None
    except lark.UnexpectedToken as e:
        token = e.token
        if token.type == "$END":
            lines = source_lines(text) or [""]
            span = Span(file, len(lines), len(lines[-1]) + 1)
        else:
            span = Span(file, token.line, token.column, token.end_line, token.end_column)
        message = ("unexpected end of file" if token.type == "$END"
                   else f"unexpected {token_text(token)}")
        expected = acceptable(e)
        if token.type == "NAME":
            message += did_you_mean(str(token), keywords(expected))
        elif token.type == "EQUAL" and "COMPARE" in expected:
            message += " (did you mean '=='?)"
        if expected:
            message += f"; expected {expected_text(expected)}"
        previous = (e.token_history or [None])[-1]
        if previous is not None and previous.type == "NAME" and str(previous) in CLAUSE_WORDS:
            message += (f"; '{previous}' before it was read as a value, not as a keyword, so "
                        f"something is missing before '{previous}'")
        if start == "pack_file" and token.line == 1 and token.column == 1 and token != "pack":
            message = "a pack file must start with 'pack ID'"
        raise PackSyntaxError.at(message, span, text) from None
    except lark.UnexpectedEOF as e:
        lines = source_lines(text) or [""]
        span = Span(file, len(lines), len(lines[-1]) + 1)
        message = f"unexpected end of file; expected {expected_text(e.expected)}"
        raise PackSyntaxError.at(message, span, text) from None


# ---- tree → AST ---------------------------------------------------------------------

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(u\{[0-9A-Fa-f]{1,6}\}|.)")

_Node = TypeVar("_Node", ast.Pack, ast.TestFile)

#: A record entry or a test's fact: the key, its value, and where the key stands.
Entry = tuple[str, ast.Value, Span]


class _Builder(Transformer[Token, ast.Pack | ast.TestFile]):
    """Builds AST nodes from Lark's tree, collecting clause errors on the way.

    Each method takes the children of its grammar rule as arguments (``inline``), after
    the rule's position (``meta``) where the node keeps a span.
    """

    def __init__(self, file: str, text: str) -> None:
        super().__init__()
        self.file = file
        self.source_text = text
        self.errors: list[SourceError] = []

    def build(self, tree: lark.Tree[Token], node: type[_Node]) -> _Node:
        """The AST of ``tree``, a ``node``; clause errors stay in :attr:`errors`."""
        try:
            result = self.transform(tree)
        except lark.exceptions.VisitError as e:
            raise e.orig_exc from None
        if not isinstance(result, node):
            raise TypeError(f"a {type(result).__name__} was built where a {node.__name__} "
                            "was asked for; the start rule and the node do not match")
        return result

    def run(self, tree: lark.Tree[Token], node: type[_Node]) -> _Node:
        """The AST of ``tree``, a ``node``, or every clause error raised together."""
        result = self.build(tree, node)
        if self.errors:
            raise PackErrors(self.errors)
        return result

    # helpers
    def _span(self, meta: Meta) -> Span | None:
        if meta.empty:
            return None
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tspan(self, token: Token) -> Span:
        return Span(self.file, token.line or 0, token.column or 0, token.end_line, token.end_column)

    def _error(self, message: str, span: Span | None, code: str = "syntax") -> None:
        self.errors.append(PackSyntaxError.at(message, span, self.source_text, code=code))

    def _once(self, clauses: Iterable[Clause], twice: Callable[[str, str], str]) -> Given:
        """The first clause of each kind, to be read back typed.

        Each repeat is reported as ``twice(kind, first)``, ``first`` saying where the kind
        was given first.
        """
        given: dict[str, Clause] = {}
        for clause in clauses:
            first = given.get(clause.kind)
            if first is not None:
                self._error(twice(clause.kind, _first(first.span)), clause.span)
                continue
            given[clause.kind] = clause
        return Given(given)

    def _string(self, token: Token) -> str:
        body = token[1:-1]

        def replace(m: re.Match[str]) -> str:
            esc = m.group(1)
            if esc in _ESCAPES:
                return _ESCAPES[esc]
            if esc.startswith("u{"):
                code = int(esc[2:-1], 16)
                if code <= 0x10FFFF:
                    return chr(code)
            self._error(f"unknown escape '\\{esc}' in string; valid escapes are "
                        "\\\" \\\\ \\n \\t and \\u{hex}", self._tspan(token))
            return ""

        return _ESCAPE_RE.sub(replace, body)

    def _date(self, token: Token) -> dt.date | None:
        timed = token.type == "DATETIME"
        try:
            return (dt.datetime if timed else dt.date).fromisoformat(str(token))
        except ValueError:
            problem = ("use YYYY-MM-DDTHH:MM with a real day, hours 00-23 and minutes 00-59"
                       if timed else date_problem(str(token)))
            self._error(f"'{token}' is not a valid {'time' if timed else 'date'}: {problem}",
                        self._tspan(token), code="bad-date")
            return None

    # values
    @v_args(inline=True, meta=True)
    def int(self, meta: Meta, token: Token) -> ast.Constant:
        return ast.Constant(int(token), span=self._span(meta))

    @v_args(inline=True, meta=True)
    def date(self, meta: Meta, token: Token) -> ast.Constant:
        value = self._date(token)
        return ast.Constant(value if value else dt.date.min, span=self._span(meta))

    @v_args(inline=True, meta=True)
    def datetime(self, meta: Meta, token: Token) -> ast.Constant:
        value = self._date(token)
        return ast.Constant(value if value else dt.datetime.min, span=self._span(meta))

    @v_args(inline=True, meta=True)
    def string(self, meta: Meta, token: Token) -> ast.Constant:
        return ast.Constant(self._string(token), span=self._span(meta))

    @v_args(inline=True, meta=True)
    def true(self, meta: Meta) -> ast.Constant:
        return ast.Constant(True, span=self._span(meta))

    @v_args(inline=True, meta=True)
    def false(self, meta: Meta) -> ast.Constant:
        return ast.Constant(False, span=self._span(meta))

    @v_args(inline=True, meta=True)
    def name(self, meta: Meta, token: Token) -> ast.Name:
        return ast.Name(str(token), span=self._span(meta))

    @v_args(inline=True, meta=True)
    def list(self, meta: Meta, *items: ast.Scalar | None) -> ast.ListValue:
        # an empty list is one placeholder (None) for its optional items
        return ast.ListValue(tuple(c for c in items if c is not None), span=self._span(meta))

    @v_args(inline=True, meta=True)
    def record(self, meta: Meta, *children: Entry | None) -> ast.RecordValue:
        entries = [c for c in children if c is not None]
        seen: set[str] = set()
        for key, _value, span in entries:
            if key in seen:
                self._error(f"field '{key}' is given twice; give each field once", span)
            seen.add(key)
        return ast.RecordValue(tuple((k, v) for k, v, _ in entries), span=self._span(meta))

    @v_args(inline=True)
    def entry(self, key: Token, value: ast.Value) -> Entry:
        return str(key), value, self._tspan(key)

    @v_args(inline=True, meta=True)
    def text(self, meta: Meta, *parts: Token | str) -> ast.Text:
        # the strings are tokens; a Swedish version comes built by ``swedish``, a plain str
        en = "".join(self._string(c) for c in parts if isinstance(c, Token))
        sv = next((c for c in parts if not isinstance(c, Token)), None)
        return ast.Text(en, sv, span=self._span(meta))

    @v_args(inline=True)
    def swedish(self, *strings: Token) -> str:
        return "".join(self._string(c) for c in strings)

    # expressions
    @v_args(inline=True, meta=True)
    def field(self, meta: Meta, base: Token, field: Token) -> ast.Field:
        return ast.Field(str(base), str(field), span=self._span(meta))

    @v_args(inline=True, meta=True)
    def call(self, meta: Meta, func: Token, arg: ast.Expr) -> ast.Call:
        return ast.Call(str(func), arg, span=self._span(meta))

    @v_args(inline=True, meta=True)
    def compare(self, meta: Meta, left: ast.Expr, op: Token, right: ast.Expr) -> ast.Compare:
        return ast.Compare(str(op), left, right, span=self._span(meta))

    @v_args(inline=True, meta=True)
    def in_(self, meta: Meta, item: ast.Expr, collection: ast.Expr) -> ast.Membership:
        return ast.Membership(item, collection, span=self._span(meta))

    @v_args(inline=True, meta=True)
    def not_in(self, meta: Meta, item: ast.Expr, collection: ast.Expr) -> ast.Membership:
        return ast.Membership(item, collection, negated=True, span=self._span(meta))

    @v_args(inline=True, meta=True)
    def contains(self, meta: Meta, collection: ast.Expr, other: ast.Expr) -> ast.Contains:
        return ast.Contains(collection, other, span=self._span(meta))

    @v_args(inline=True, meta=True)
    def contains_all(self, meta: Meta, collection: ast.Expr, other: ast.Expr) -> ast.Contains:
        return ast.Contains(collection, other, "all", span=self._span(meta))

    @v_args(inline=True, meta=True)
    def contains_any(self, meta: Meta, collection: ast.Expr, other: ast.Expr) -> ast.Contains:
        return ast.Contains(collection, other, "any", span=self._span(meta))

    @v_args(inline=True, meta=True)
    def is_set(self, meta: Meta, operand: ast.Expr) -> ast.IsSet:
        return ast.IsSet(operand, span=self._span(meta))

    @v_args(inline=True, meta=True)
    def is_missing(self, meta: Meta, operand: ast.Expr) -> ast.IsSet:
        return ast.IsSet(operand, negated=True, span=self._span(meta))

    @v_args(inline=True, meta=True)
    def and_(self, meta: Meta, left: ast.Expr, right: ast.Expr) -> ast.And:
        items = (left.items if isinstance(left, ast.And) else (left,)) + (right,)
        return ast.And(items, span=self._span(meta))

    @v_args(inline=True, meta=True)
    def or_(self, meta: Meta, left: ast.Expr, right: ast.Expr) -> ast.Or:
        items = (left.items if isinstance(left, ast.Or) else (left,)) + (right,)
        return ast.Or(items, span=self._span(meta))

    @v_args(inline=True, meta=True)
    def not_(self, meta: Meta, operand: ast.Expr) -> ast.Not:
        return ast.Not(operand, span=self._span(meta))

    # header
    @v_args(inline=True, meta=True)
    def header(self, meta: Meta, pack_id: Token, *clauses: Clause) -> ast.Header:
        parts = tuple(c.value for c in clauses if isinstance(c.value, ast.DocumentPart))
        given = self._once((c for c in clauses if c.kind != "part"), lambda kind, first: (
            f"the header gives '{_HEADER_WORDS[kind]}' twice{first}; keep one"))
        dated = given.value("dated")     # a date, "undated", or None (not given, or wrong)
        return ast.Header(str(pack_id), name=given.of("name", ast.Text),
                          document=given.of("document", ast.Text),
                          dated=dated if isinstance(dated, dt.date) else None,
                          undated=dated == "undated", parts=parts,
                          version=given.of("version", str),
                          default=given.of("default", str),
                          sections=given.words("sections") or (), span=self._span(meta),
                          in_force=given.of("in_force", ast.InForce))

    @v_args(inline=True, meta=True)
    def pack_name(self, meta: Meta, text: ast.Text) -> Clause:
        return Clause("name", text, self._span(meta))

    @v_args(inline=True, meta=True)
    def pack_document(self, meta: Meta, text: ast.Text) -> Clause:
        return Clause("document", text, self._span(meta))

    @v_args(inline=True, meta=True)
    def pack_dated(self, meta: Meta, token: Token) -> Clause:
        value = "undated" if token.type == "UNDATED" else self._date(token)
        return Clause("dated", value, self._span(meta))

    @v_args(inline=True, meta=True)
    def pack_part(self, meta: Meta, title: ast.Text, token: Token) -> Clause:
        value = "undated" if token.type == "UNDATED" else self._date(token)
        span = self._span(meta)
        return Clause("part", ast.DocumentPart(
            title, value if isinstance(value, dt.date) else None, value == "undated",
            span=span), span)

    @v_args(inline=True, meta=True)
    def pack_in_force(self, meta: Meta, period: ast.InForce) -> Clause:
        span = self._span(meta)
        return Clause("in_force", attrs.evolve(period, span=span), span)

    @v_args(inline=True, meta=True)
    def in_force_period(self, meta: Meta, *tokens: Token | None) -> ast.InForce:
        if tokens and tokens[0] is not None and tokens[0].type == "UNDATED":
            return ast.InForce(None, None, span=self._span(meta))
        start = self._date(tokens[0]) if tokens and tokens[0] is not None else None
        until = self._date(tokens[1]) if len(tokens) > 1 and tokens[1] is not None else None
        if start is not None and until is not None and until < start:
            self._error(f"an edition cannot end ({until.isoformat()}) before it comes into force "
                        f"({start.isoformat()}); 'until' names the last day it applies, on or "
                        "after the 'from' day", self._span(meta), code="bad-in-force")
        return ast.InForce(start, until, span=self._span(meta))

    @v_args(inline=True, meta=True)
    def pack_version(self, meta: Meta, token: Token) -> Clause:
        return Clause("version", self._string(token), self._span(meta))

    @v_args(inline=True, meta=True)
    def pack_default(self, meta: Meta, token: Token) -> Clause:
        value = str(token)
        if value not in ("allow", "deny"):
            self._error(f"a pack's default outcome is 'allow' or 'deny', not '{value}'"
                        f"{did_you_mean(value, ('allow', 'deny'))}",
                        self._tspan(token), code="bad-default")
        return Clause("default", value, self._span(meta))

    @v_args(inline=True, meta=True)
    def pack_sections(self, meta: Meta, *strings: Token) -> Clause:
        return Clause("sections", tuple(self._string(c) for c in strings), self._span(meta))

    # topics
    @v_args(inline=True, meta=True)
    def topic(self, meta: Meta, name: Token, value: ast.Value | None,
              *clauses: Clause) -> ast.TopicSetting:
        given = self._once(clauses, lambda kind, first: (
            f"topic '{name}' gives '{kind}' twice{first}; keep one"))
        cited = given.of("source", Cited)
        return ast.TopicSetting(str(name), value, summary=given.of("summary", ast.Text),
                                source=cited.section if cited else None,
                                sentences=cited.sentences if cited else (),
                                span=self._span(meta))

    @v_args(inline=True)
    def not_regulated(self) -> None:
        return None

    @v_args(inline=True, meta=True)
    def summary(self, meta: Meta, text: ast.Text) -> Clause:
        return Clause("summary", text, self._span(meta))

    @v_args(inline=True, meta=True)
    def source(self, meta: Meta, token: Token,
               sentences: tuple[builtins.int, ...] | None = None) -> Clause:
        return Clause("source", Cited(self._string(token), sentences or ()), self._span(meta))

    @v_args(inline=True)
    def sentences(self, *ordinals: Token) -> tuple[builtins.int, ...]:
        return tuple(builtins.int(n) for n in ordinals)

    # rules
    @v_args(inline=True, meta=True)
    def rule(self, meta: Meta, rule_id: Token, *clauses: Clause) -> ast.Rule:
        def twice(kind: str, first: str) -> str:
            what = ("an effect (allow, deny, only or require)" if kind == "effect"
                    else f"'{_RULE_WORDS[kind]}'")
            return f"rule '{rule_id}' gives {what} twice{first}; a rule has one of each clause"

        given = self._once(clauses, twice)
        cited = given.of("source", Cited)
        return ast.Rule(str(rule_id), actions=given.words("actions") or (),
                        effect=given.effect(), when=given.condition("when"),
                        done=given.condition("done"), for_each=given.of("for_each", ast.ForEach),
                        level=given.of("level", str), because=given.of("because", ast.Text),
                        source=cited.section if cited else None,
                        sentences=cited.sentences if cited else (), span=self._span(meta),
                        actions_span=given.span("actions"), level_span=given.span("level"),
                        source_span=given.span("source"))

    @v_args(inline=True, meta=True)
    def on(self, meta: Meta, *actions: Token) -> Clause:
        return Clause("actions", tuple(str(c) for c in actions), self._span(meta))

    @v_args(inline=True, meta=True)
    def for_each(self, meta: Meta, var: Token, topic: Token) -> Clause:
        span = self._span(meta)
        return Clause("for_each", ast.ForEach(str(var), str(topic), span=span), span)

    @v_args(inline=True, meta=True)
    def when(self, meta: Meta, condition: ast.Expr) -> Clause:
        return Clause("when", condition, self._span(meta))

    @v_args(inline=True, meta=True)
    def done(self, meta: Meta, condition: ast.Expr) -> Clause:
        return Clause("done", condition, self._span(meta))

    @v_args(inline=True, meta=True)
    def allow(self, meta: Meta) -> Clause:
        span = self._span(meta)
        return Clause("effect", ast.Effect("allow", span=span), span)

    @v_args(inline=True, meta=True)
    def deny(self, meta: Meta) -> Clause:
        span = self._span(meta)
        return Clause("effect", ast.Effect("deny", span=span), span)

    @v_args(inline=True, meta=True)
    def only(self, meta: Meta) -> Clause:
        span = self._span(meta)
        return Clause("effect", ast.Effect("only", span=span), span)

    @v_args(inline=True, meta=True)
    def require(self, meta: Meta, step: Token, by: Token | None, text: ast.Text) -> Clause:
        span = self._span(meta)
        return Clause("effect", ast.Require(str(step), str(by) if by is not None else None, text,
                                            span=span), span)

    @v_args(inline=True, meta=True)
    def level(self, meta: Meta, token: Token) -> Clause:
        return Clause("level", str(token), self._span(meta))

    @v_args(inline=True, meta=True)
    def because(self, meta: Meta, text: ast.Text) -> Clause:
        return Clause("because", text, self._span(meta))

    # files
    @v_args(inline=True)
    def pack_file(self, header: ast.Header, *items: ast.TopicSetting | ast.Rule) -> ast.Pack:
        topics = tuple(i for i in items if isinstance(i, ast.TopicSetting))
        rules = tuple(i for i in items if isinstance(i, ast.Rule))
        return ast.Pack(header, topics, rules, file=self.file, text=self.source_text)

    @v_args(inline=True)
    def test_file(self, *cases: ast.TestCase) -> ast.TestFile:
        return ast.TestFile(cases, file=self.file, text=self.source_text)

    # tests
    @v_args(inline=True, meta=True)
    def test_case(self, meta: Meta, title: Token, *clauses: Clause) -> ast.TestCase:
        name = self._string(title)
        given = self._once(clauses, lambda kind, first: (
            f"test \"{name}\" gives '{_TEST_WORDS[kind]}' twice{first}; keep one"))
        request = given.of("request", Request)
        return ast.TestCase(name, action=request.action if request else None,
                            facts=request.facts if request else (),
                            fact_spans=request.spans if request else (),
                            at=given.of("at", dt.date), expect=given.of("expect", str),
                            steps=given.words("steps"), rules=given.words("rules"),
                            by_default=given.of("by_default", bool), span=self._span(meta))

    @v_args(inline=True, meta=True)
    def request(self, meta: Meta, action: Token, facts: tuple[Entry, ...] | None) -> Clause:
        facts = facts or ()
        seen: set[str] = set()
        for key, _value, span in facts:   # as in JSON requests (engine.json_input)
            if key in seen:
                self._error(f"fact '{key}' is given twice in this request; give each fact "
                            "once", span, code="duplicate-key")
            seen.add(key)
        return Clause("request", Request(str(action), tuple((k, v) for k, v, _ in facts),
                                         tuple(s for _, _, s in facts)), self._span(meta))

    @v_args(inline=True)
    def facts(self, *facts: Entry | None) -> tuple[Entry, ...]:
        return tuple(c for c in facts if c is not None)

    @v_args(inline=True)
    def fact(self, key: Token, value: ast.Value) -> Entry:
        return str(key), value, self._tspan(key)

    @v_args(inline=True, meta=True)
    def at(self, meta: Meta, token: Token) -> Clause:
        return Clause("at", self._date(token), self._span(meta))

    @v_args(inline=True, meta=True)
    def expect(self, meta: Meta, token: Token) -> Clause:
        value = str(token)
        if value not in ("allow", "deny", "required_steps"):
            self._error(f"a test expects 'allow', 'deny' or 'required_steps', not '{value}'"
                        f"{did_you_mean(value, ('allow', 'deny', 'required_steps'))}",
                        self._tspan(token), code="bad-expect")
        return Clause("expect", value, self._span(meta))

    @v_args(inline=True, meta=True)
    def expect_steps(self, meta: Meta, *steps: Token | None) -> Clause:
        return Clause("steps", tuple(str(c) for c in steps if c is not None), self._span(meta))

    @v_args(inline=True, meta=True)
    def expect_rules(self, meta: Meta, *rules: Token | None) -> Clause:
        return Clause("rules", tuple(str(c) for c in rules if c is not None), self._span(meta))

    @v_args(inline=True, meta=True)
    def expect_by_default(self, meta: Meta, value: ast.Value) -> Clause:
        span = self._span(meta)
        if not (isinstance(value, ast.Constant) and isinstance(value.value, bool)):
            self._error("'by_default' takes true or false", span, code="bad-expect")
            return Clause("by_default", None, span)
        return Clause("by_default", value.value, span)


_HEADER_WORDS = {"name": "name", "document": "document", "dated": "dated", "in_force": "in force",
                 "version": "version", "default": "default", "sections": "sections"}
_RULE_WORDS = {"actions": "on", "for_each": "for each", "when": "when", "done": "done when",
               "level": "level", "because": "because", "source": "source"}
_TEST_WORDS = {"request": "request", "at": "at", "expect": "expect", "steps": "steps",
               "rules": "rules", "by_default": "by_default"}

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

import datetime as dt
import re
from typing import Any

import lark
from lark import Token, Transformer, v_args

from dsl import ast
from dsl.syntax import (CHARACTER_HINTS, CLAUSE_WORDS, acceptable, date_problem,
                                  expected_text, grammar_parser, keywords, token_text)
from engine.errors import PackErrors, PackSyntaxError, SourceError, Span, did_you_mean

__all__ = ["parse_pack", "parse_tests", "grammar_parser"]


#: How deeply conditions may nest (``not not …``, brackets inside brackets). Deeper
#: sources are refused with a positioned error rather than exhausting Python's stack.
MAX_DEPTH = 100


def parse_pack(text: str, file: str = "<string>") -> ast.Pack:
    tree = _parse(text, file, "pack_file")
    pack: ast.Pack = _Builder(file, text).run(tree)
    return pack


def parse_tests(text: str, file: str = "<string>") -> ast.TestFile:
    tree = _parse(text, file, "test_file")
    tests: ast.TestFile = _Builder(file, text).run(tree)
    return tests


def _first(span: Span | None) -> str:
    return f" (first at line {span.line})" if span is not None else ""


def _parse(text: str, file: str, start: str) -> lark.Tree:
    if not isinstance(text, str):
        raise PackSyntaxError(f"{file}: a pack source must be text, not {type(text).__name__}")
    try:
        tree = _parse_tree(text, file, start)
    except RecursionError:
        raise PackSyntaxError(f"{file}: the source nests too deeply to read") from None
    _check_depth(tree, file, text)
    return tree


def _check_depth(tree: lark.Tree, file: str, text: str) -> None:
    """Refuse trees deeper than :data:`MAX_DEPTH`, walking them without recursion."""
    stack: list[tuple[Any, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            meta = node.meta
            span = (Span(file, meta.line, meta.column) if not getattr(meta, "empty", True)
                    else None)
            raise PackSyntaxError.at(
                f"this condition nests more than {MAX_DEPTH} levels deep; split it into "
                "simpler conditions or rules", span, text, code="too-deep")
        stack.extend((child, depth + 1) for child in node.children
                     if isinstance(child, lark.Tree))


def _parse_tree(text: str, file: str, start: str) -> lark.Tree:
    try:
        return grammar_parser().parse(text, start=start)
    except lark.UnexpectedCharacters as e:
        char = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
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
            lines = text.splitlines() or [""]
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
        lines = text.splitlines() or [""]
        span = Span(file, len(lines), len(lines[-1]) + 1)
        message = f"unexpected end of file; expected {expected_text(e.expected)}"
        raise PackSyntaxError.at(message, span, text) from None


# ---- tree → AST ---------------------------------------------------------------------

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(u\{[0-9A-Fa-f]{1,6}\}|.)")


class _Builder(Transformer):  # type: ignore[type-arg]
    """Builds AST nodes from Lark's tree, collecting clause errors on the way."""

    def __init__(self, file: str, text: str) -> None:
        super().__init__()
        self.file = file
        self.source_text = text
        self.errors: list[SourceError] = []

    def run(self, tree: lark.Tree) -> Any:
        try:
            result = self.transform(tree)
        except lark.exceptions.VisitError as e:
            raise e.orig_exc from None
        if self.errors:
            raise PackErrors(self.errors)
        return result

    # helpers
    def _span(self, meta: Any) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tspan(self, token: Token) -> Span:
        return Span(self.file, token.line or 0, token.column or 0, token.end_line, token.end_column)

    def _error(self, message: str, span: Span | None, code: str = "syntax") -> None:
        self.errors.append(PackSyntaxError.at(message, span, self.source_text, code=code))

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
        try:
            return dt.date.fromisoformat(str(token))
        except ValueError:
            self._error(f"'{token}' is not a valid date: {date_problem(str(token))}",
                        self._tspan(token), code="bad-date")
            return None

    # values
    @v_args(meta=True)
    def int(self, meta: Any, children: list[Token]) -> ast.Constant:
        return ast.Constant(int(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def date(self, meta: Any, children: list[Token]) -> ast.Constant:
        value = self._date(children[0])
        return ast.Constant(value if value else dt.date.min, span=self._span(meta))

    @v_args(meta=True)
    def string(self, meta: Any, children: list[Token]) -> ast.Constant:
        return ast.Constant(self._string(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def true(self, meta: Any, children: list[Any]) -> ast.Constant:
        return ast.Constant(True, span=self._span(meta))

    @v_args(meta=True)
    def false(self, meta: Any, children: list[Any]) -> ast.Constant:
        return ast.Constant(False, span=self._span(meta))

    @v_args(meta=True)
    def name(self, meta: Any, children: list[Token]) -> ast.Name:
        return ast.Name(str(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def list(self, meta: Any, children: list[Any]) -> ast.ListValue:
        return ast.ListValue(tuple(c for c in children if c is not None), span=self._span(meta))

    @v_args(meta=True)
    def record(self, meta: Any, children: list[Any]) -> ast.RecordValue:
        entries = [c for c in children if c is not None]
        seen: set[str] = set()
        for key, _value, span in entries:
            if key in seen:
                self._error(f"field '{key}' is given twice; give each field once", span)
            seen.add(key)
        return ast.RecordValue(tuple((k, v) for k, v, _ in entries), span=self._span(meta))

    def entry(self, children: list[Any]) -> tuple[str, Any, Span]:
        return str(children[0]), children[1], self._tspan(children[0])

    @v_args(meta=True)
    def text(self, meta: Any, children: list[Any]) -> ast.Text:
        en = "".join(self._string(c) for c in children if isinstance(c, Token))
        sv = next((c for c in children if isinstance(c, str) and not isinstance(c, Token)), None)
        return ast.Text(en, sv, span=self._span(meta))

    def swedish(self, children: list[Token]) -> str:
        return "".join(self._string(c) for c in children)

    # expressions
    @v_args(meta=True)
    def field(self, meta: Any, children: list[Token]) -> ast.Field:
        return ast.Field(str(children[0]), str(children[1]), span=self._span(meta))

    @v_args(meta=True)
    def call(self, meta: Any, children: list[Any]) -> ast.Call:
        return ast.Call(str(children[0]), children[1], span=self._span(meta))

    @v_args(meta=True)
    def compare(self, meta: Any, children: list[Any]) -> ast.Compare:
        return ast.Compare(str(children[1]), children[0], children[2], span=self._span(meta))

    @v_args(meta=True)
    def in_(self, meta: Any, children: list[Any]) -> ast.Membership:
        return ast.Membership(children[0], children[1], span=self._span(meta))

    @v_args(meta=True)
    def not_in(self, meta: Any, children: list[Any]) -> ast.Membership:
        return ast.Membership(children[0], children[1], negated=True, span=self._span(meta))

    @v_args(meta=True)
    def contains(self, meta: Any, children: list[Any]) -> ast.Contains:
        return ast.Contains(children[0], children[1], span=self._span(meta))

    @v_args(meta=True)
    def contains_all(self, meta: Any, children: list[Any]) -> ast.Contains:
        return ast.Contains(children[0], children[1], "all", span=self._span(meta))

    @v_args(meta=True)
    def contains_any(self, meta: Any, children: list[Any]) -> ast.Contains:
        return ast.Contains(children[0], children[1], "any", span=self._span(meta))

    @v_args(meta=True)
    def is_set(self, meta: Any, children: list[Any]) -> ast.IsSet:
        return ast.IsSet(children[0], span=self._span(meta))

    @v_args(meta=True)
    def is_missing(self, meta: Any, children: list[Any]) -> ast.IsSet:
        return ast.IsSet(children[0], negated=True, span=self._span(meta))

    @v_args(meta=True)
    def and_(self, meta: Any, children: list[Any]) -> ast.And:
        left, right = children
        items = (left.items if isinstance(left, ast.And) else (left,)) + (right,)
        return ast.And(items, span=self._span(meta))

    @v_args(meta=True)
    def or_(self, meta: Any, children: list[Any]) -> ast.Or:
        left, right = children
        items = (left.items if isinstance(left, ast.Or) else (left,)) + (right,)
        return ast.Or(items, span=self._span(meta))

    @v_args(meta=True)
    def not_(self, meta: Any, children: list[Any]) -> ast.Not:
        return ast.Not(children[0], span=self._span(meta))

    # header
    @v_args(meta=True)
    def header(self, meta: Any, children: list[Any]) -> ast.Header:
        fields: dict[str, Any] = {}
        first: dict[str, Span | None] = {}
        for kind, value, span in children[1:]:
            if kind in fields:
                self._error(f"the header gives '{_HEADER_WORDS[kind]}' twice{_first(first[kind])}; "
                            "keep one", span)
                continue
            fields[kind], first[kind] = value, span
        dated = fields.pop("dated", None)
        if dated == "undated":
            fields["undated"] = True
        elif dated is not None:
            fields["dated"] = dated
        return ast.Header(str(children[0]), **fields, span=self._span(meta))

    @v_args(meta=True)
    def pack_name(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        return ("name", children[0], self._span(meta))

    @v_args(meta=True)
    def pack_document(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        return ("document", children[0], self._span(meta))

    @v_args(meta=True)
    def pack_dated(self, meta: Any, children: list[Token]) -> tuple[str, Any, Span | None]:
        token = children[0]
        value = "undated" if token.type == "UNDATED" else self._date(token)
        return ("dated", value, self._span(meta))

    @v_args(meta=True)
    def pack_version(self, meta: Any, children: list[Token]) -> tuple[str, Any, Span | None]:
        return ("version", self._string(children[0]), self._span(meta))

    @v_args(meta=True)
    def pack_default(self, meta: Any, children: list[Token]) -> tuple[str, Any, Span | None]:
        value = str(children[0])
        if value not in ("allow", "deny"):
            self._error(f"a pack's default outcome is 'allow' or 'deny', not '{value}'"
                        f"{did_you_mean(value, ('allow', 'deny'))}",
                        self._tspan(children[0]), code="bad-default")
        return ("default", value, self._span(meta))

    @v_args(meta=True)
    def pack_sections(self, meta: Any, children: list[Token]) -> tuple[str, Any, Span | None]:
        return ("sections", tuple(self._string(c) for c in children), self._span(meta))

    # topics
    @v_args(meta=True)
    def topic(self, meta: Any, children: list[Any]) -> ast.TopicSetting:
        name, value, *clauses = children
        fields: dict[str, Any] = {}
        first: dict[str, Span | None] = {}
        for kind, clause_value, span in clauses:
            if kind in fields:
                self._error(f"topic '{name}' gives '{kind}' twice{_first(first[kind])}; keep one",
                            span)
                continue
            fields[kind], first[kind] = clause_value, span
        return ast.TopicSetting(str(name), value, **self._sourced(fields), span=self._span(meta))

    def not_regulated(self, children: list[Any]) -> None:
        return None

    @v_args(meta=True)
    def summary(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        return ("summary", children[0], self._span(meta))

    @v_args(meta=True)
    def source(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        sentences = children[1] if len(children) > 1 and children[1] is not None else ()
        return ("source", (self._string(children[0]), sentences), self._span(meta))

    def sentences(self, children: list[Token]) -> tuple[int, ...]:
        return tuple(int(c) for c in children)

    def _sourced(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Split a ``source`` clause's value into the section and its sentence ordinals."""
        if "source" in fields:
            fields["source"], fields["sentences"] = fields["source"]
        return fields

    # rules
    @v_args(meta=True)
    def rule(self, meta: Any, children: list[Any]) -> ast.Rule:
        rule_id = str(children[0])
        fields: dict[str, Any] = {}
        first: dict[str, Span | None] = {}
        for kind, value, span in children[1:]:
            key = "effect" if kind in ("allow", "deny", "only", "require") else kind
            if key in fields:
                what = "an effect (allow, deny, only or require)" if key == "effect" else f"'{_RULE_WORDS[key]}'"
                self._error(f"rule '{rule_id}' gives {what} twice{_first(first[key])}; a rule has "
                            "one of each clause", span)
                continue
            fields[key], first[key] = value, span
            if key in ("actions", "level", "source"):
                fields[f"{key}_span"] = span
        return ast.Rule(rule_id, **self._sourced(fields), span=self._span(meta))

    @v_args(meta=True)
    def on(self, meta: Any, children: list[Token]) -> tuple[str, Any, Span | None]:
        return ("actions", tuple(str(c) for c in children), self._span(meta))

    @v_args(meta=True)
    def for_each(self, meta: Any, children: list[Token]) -> tuple[str, Any, Span | None]:
        span = self._span(meta)
        return ("for_each", ast.ForEach(str(children[0]), str(children[1]), span=span), span)

    @v_args(meta=True)
    def when(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        return ("when", children[0], self._span(meta))

    @v_args(meta=True)
    def done(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        return ("done", children[0], self._span(meta))

    @v_args(meta=True)
    def allow(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        span = self._span(meta)
        return ("allow", ast.Effect("allow", span=span), span)

    @v_args(meta=True)
    def deny(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        span = self._span(meta)
        return ("deny", ast.Effect("deny", span=span), span)

    @v_args(meta=True)
    def only(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        span = self._span(meta)
        return ("only", ast.Effect("only", span=span), span)

    @v_args(meta=True)
    def require(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        step, by, text = children
        span = self._span(meta)
        return ("require", ast.Require(str(step), str(by) if by is not None else None, text,
                                       span=span), span)

    @v_args(meta=True)
    def level(self, meta: Any, children: list[Token]) -> tuple[str, Any, Span | None]:
        return ("level", str(children[0]), self._span(meta))

    @v_args(meta=True)
    def because(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        return ("because", children[0], self._span(meta))

    # files
    def pack_file(self, children: list[Any]) -> ast.Pack:
        header, *items = children
        topics = tuple(i for i in items if isinstance(i, ast.TopicSetting))
        rules = tuple(i for i in items if isinstance(i, ast.Rule))
        return ast.Pack(header, topics, rules, file=self.file, text=self.source_text)

    def test_file(self, children: list[Any]) -> ast.TestFile:
        return ast.TestFile(tuple(children), file=self.file, text=self.source_text)

    # tests
    @v_args(meta=True)
    def test_case(self, meta: Any, children: list[Any]) -> ast.TestCase:
        name = self._string(children[0])
        fields: dict[str, Any] = {}
        first: dict[str, Span | None] = {}
        for kind, value, span in children[1:]:
            if kind in fields:
                self._error(f"test \"{name}\" gives '{_TEST_WORDS[kind]}' twice"
                            f"{_first(first[kind])}; keep one", span)
                continue
            first[kind] = span
            if kind == "request":
                action, facts, spans = value
                fields.update(action=action, facts=facts, fact_spans=spans)
            else:
                fields[kind] = value
        return ast.TestCase(name, **fields, span=self._span(meta))

    @v_args(meta=True)
    def request(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        action, facts = children
        facts = facts or []
        return ("request", (str(action), tuple((k, v) for k, v, _ in facts),
                            tuple(s for _, _, s in facts)), self._span(meta))

    def facts(self, children: list[Any]) -> list[Any]:
        return [c for c in children if c is not None]

    def fact(self, children: list[Any]) -> tuple[str, Any, Span]:
        return str(children[0]), children[1], self._tspan(children[0])

    @v_args(meta=True)
    def at(self, meta: Any, children: list[Token]) -> tuple[str, Any, Span | None]:
        return ("at", self._date(children[0]), self._span(meta))

    @v_args(meta=True)
    def expect(self, meta: Any, children: list[Token]) -> tuple[str, Any, Span | None]:
        value = str(children[0])
        if value not in ("allow", "deny", "required_steps"):
            self._error(f"a test expects 'allow', 'deny' or 'required_steps', not '{value}'"
                        f"{did_you_mean(value, ('allow', 'deny', 'required_steps'))}",
                        self._tspan(children[0]), code="bad-expect")
        return ("expect", value, self._span(meta))

    @v_args(meta=True)
    def expect_steps(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        return ("steps", tuple(str(c) for c in children if c is not None), self._span(meta))

    @v_args(meta=True)
    def expect_rules(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        return ("rules", tuple(str(c) for c in children if c is not None), self._span(meta))

    @v_args(meta=True)
    def expect_by_default(self, meta: Any, children: list[Any]) -> tuple[str, Any, Span | None]:
        value = children[0]
        span = self._span(meta)
        if not (isinstance(value, ast.Constant) and isinstance(value.value, bool)):
            self._error("'by_default' takes true or false", span, code="bad-expect")
            return ("by_default", None, span)
        return ("by_default", value.value, span)


_HEADER_WORDS = {"name": "name", "document": "document", "dated": "dated",
                 "version": "version", "default": "default", "sections": "sections"}
_RULE_WORDS = {"actions": "on", "for_each": "for each", "when": "when", "done": "done when",
               "level": "level", "because": "because", "source": "source"}
_TEST_WORDS = {"request": "request", "at": "at", "expect": "expect", "steps": "steps",
               "rules": "rules", "by_default": "by_default"}

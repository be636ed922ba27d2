"""Lay out rule-language sources canonically: the engine behind ``policy fmt``.

``format_source(text, file)`` parses a pack file (``*.policy``) or a test file
(``*.tests``), keeps its comments, and returns the canonical text; ``print_pack`` and
``print_tests`` print an AST that has no comments (the property tests build ASTs and
print them). Three laws hold and are tested: the result parses to the same AST as the
input (spans are outside equality), formatting is idempotent, and no comment is lost.
``format_source`` checks the first law itself and raises rather than hand back a text
that means something else.

The layout is the one the built-in packs are written in: items (header, topics, rules,
test cases) in source order, separated by one blank line; clauses indented two spaces in
a fixed order; a Swedish text (``sv "…"``) on a line of its own indented four; lists,
``sections`` and long conditions wrapped at :data:`WIDTH` columns with continuation lines
indented four. A keyword and its string stay on one line however long the string is.

Comments are collected by a second Lark parser whose lexer hands every ``COMMENT``
token to a callback (the grammar otherwise ignores them). Each comment is attached to a
clause: a comment on a line of its own belongs to the clause or item that follows it; a
comment after code belongs to the clause it trails, and stays at the end of that
clause's last line. A comment inside a clause that spans several lines moves to its own
line above the clause. Blank lines between items and comment blocks are kept (at most
one); blank lines inside an item are not.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence

import attrs
import lark
from lark import Lark, Token

from dsl import ast
from dsl.parser import parse_pack, parse_tests
from dsl.text import iso, normalise_source
from engine.errors import PolicyError

__all__ = ["WIDTH", "format_source", "print_pack", "print_tests", "source_kind"]

#: Lines are filled up to this many columns where they can be broken.
WIDTH = 94
INDENT = "  "
CONTINUATION = "    "

# A piece of a clause: its text, and whether a line may break before it.
Piece = tuple[str, bool]
# An item of a source: a pack's header, a topic or a rule, or a test case.
Item = ast.Header | ast.TopicSetting | ast.Rule | ast.TestCase


# ---- public API ---------------------------------------------------------------------

def source_kind(file: str, text: str = "") -> str:
    """``"pack"`` or ``"tests"``: by the file's suffix, else by its first keyword."""
    if file.endswith(".tests"):
        return "tests"
    if file.endswith(".policy"):
        return "pack"
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            return "tests" if words[0] == "test" else "pack"
    return "tests"        # nothing but comments: a test file with no cases yet


def format_source(text: str, file: str = "<string>", kind: str | None = None) -> str:
    """The canonical layout of a pack or test source, comments kept.

    Raises the parser's positioned errors for a source that does not parse.
    """
    text = normalise_source(text)
    kind = kind or source_kind(file, text)
    parse = parse_tests if kind == "tests" else parse_pack
    tree_start = "test_file" if kind == "tests" else "pack_file"
    before = parse(text, file)
    tree, comments = _parse_with_comments(text, tree_start)
    items = _items_with_anchors(tree, before)
    result = _Layout(text, items, comments).render()
    after = parse(result, file)
    if after != before:  # pragma: no cover - a formatter bug, never the author's fault
        raise PolicyError(f"{file}: the formatter would change what this source means; "
                          "the file was left as it is (please report this)",
                          code="formatter-bug")
    return result


def print_pack(pack: ast.Pack) -> str:
    """The canonical text of a pack AST (header, then topics, then rules)."""
    items: list[Item] = [pack.header, *pack.topics, *pack.rules]
    return _join_plain(items)


def print_tests(tests: ast.TestFile) -> str:
    """The canonical text of a test-file AST."""
    return _join_plain(tests.cases)


def _join_plain(items: Sequence[Item]) -> str:
    blocks = ["\n".join(line for unit in units_of(item) for line in unit.lines)
              for item in items]
    return "\n\n".join(blocks) + "\n" if blocks else ""


# ---- units: the clauses of an item, laid out ----------------------------------------

@attrs.frozen
class Unit:
    """One printed clause (or an item's head line), and the source clauses it covers."""

    keys: tuple[str, ...]
    lines: tuple[str, ...]


def units_of(item: Item) -> list[Unit]:
    """The units of a header, topic, rule or test case, in canonical order."""
    if isinstance(item, ast.Header):
        return _header_units(item)
    if isinstance(item, ast.TopicSetting):
        return _topic_units(item)
    if isinstance(item, ast.Rule):
        return _rule_units(item)
    if isinstance(item, ast.TestCase):
        return _test_units(item)
    raise TypeError(f"not an item: {type(item).__name__}")


def _unit(keys: str | tuple[str, ...], *segments: list[Piece], indent: str = INDENT) -> Unit:
    keys = (keys,) if isinstance(keys, str) else keys
    lines: list[str] = []
    for i, segment in enumerate(segments):
        lines.extend(_fill(segment, indent if i == 0 else CONTINUATION))
    return Unit(keys, tuple(lines))


def _fill(pieces: list[Piece], first_indent: str) -> list[str]:
    """Greedy filling: a piece goes on the current line if it fits or may not break."""
    lines: list[str] = []
    current = first_indent
    for i, (text, breakable) in enumerate(pieces):
        if i == 0:
            current += text
        elif breakable and len(current) + 1 + len(text) > WIDTH:
            lines.append(current)
            current = CONTINUATION + text
        else:
            current += " " + text
    lines.append(current)
    return lines


def _header_units(h: ast.Header) -> list[Unit]:
    units = [_unit("head", [(f"pack {h.id}", False)], indent="")]
    if h.name is not None:
        units.append(_unit("name", *_keyword_text("name", h.name)))
    if h.document is not None:
        units.append(_unit("document", *_keyword_text("document", h.document)))
    if _dated(h.undated, h.dated):
        units.append(_unit("dated", [(_dated(h.undated, h.dated), False)]))
    for part in h.parts:            # a page: its title, then its date after the Swedish
        *head, last = _keyword_text("part", part.title)
        units.append(_unit("part", *head, _glue(last, [(_dated(part.undated, part.dated), False)])))
    if h.in_force is not None:
        units.append(_unit("in_force", [(h.in_force.source(), False)]))
    if h.version is not None:
        units.append(_unit("version", [(f"version {quote(h.version)}", False)]))
    if h.default is not None:
        units.append(_unit("default", [(f"default {h.default}", False)]))
    if h.sections:
        units.append(_unit("sections", _glue([("sections", False)],
                                             _separated(quote(s) for s in h.sections))))
    return units


def _topic_units(t: ast.TopicSetting) -> list[Unit]:
    head = f"topic {t.id} ="
    if t.value is None:
        units = [_unit("head", [(f"{head} not regulated", False)], indent="")]
    else:
        units = [_topic_head(head, t.value)]
    if t.summary is not None:
        units.append(_unit("summary", *_keyword_text("summary", t.summary)))
    if t.source is not None:
        units.append(_unit("source", [(_source_text(t.source, t.sentences), False)]))
    return units


def _source_text(section: str, sentences: tuple[int, ...]) -> str:
    """``source "SECTION"``, with ``sentence N, M`` when the clause names sentences."""
    cited = f" sentence {', '.join(str(n) for n in sentences)}" if sentences else ""
    return f"source {quote(section)}{cited}"


def _topic_head(head: str, value: ast.Value) -> Unit:
    """``topic ID = VALUE``; a record that does not fit goes one field a line."""
    flat = _unit("head", _glue([(head, False)], value_pieces(value)), indent="")
    if not isinstance(value, ast.RecordValue) or not value.entries or len(flat.lines) == 1:
        return flat
    lines = [f"{head} {{"]
    for i, (key, entry) in enumerate(value.entries):
        comma = "," if i < len(value.entries) - 1 else ""
        pieces = _glue([(f"{key}:", False)], value_pieces(entry))
        pieces[-1] = (pieces[-1][0] + comma, pieces[-1][1])
        lines.extend(_fill(pieces, INDENT))
    lines.append("}")
    return Unit(("head",), tuple(lines))


def _rule_units(r: ast.Rule) -> list[Unit]:
    units = [_unit("head", [(f"rule {r.id}", False)], indent="")]
    if r.actions:
        units.append(_unit("on", _glue([("on", False)], _separated(r.actions))))
    if r.for_each is not None:
        units.append(_unit("for_each", [(f"for each {r.for_each.var} in {r.for_each.topic}",
                                         False)]))
    effect = r.effect
    # a plain effect takes the condition on its line: "allow when …"
    merged = r.when if isinstance(effect, ast.Effect) else None
    if r.when is not None and merged is None:
        units.append(_unit("when", _glue([("when", False)], expr_pieces(r.when))))
    if isinstance(effect, ast.Effect):
        if merged is not None:
            units.append(_unit(("effect", "when"), _glue([(f"{effect.kind} when", False)],
                                                         expr_pieces(merged))))
        else:
            units.append(_unit("effect", [(effect.kind, False)]))
    elif isinstance(effect, ast.Require):
        head = f"require {effect.step}" + (f" by {effect.by}" if effect.by else "")
        units.append(_unit("effect", *_keyword_text(head, effect.text)))
    if r.done is not None:
        units.append(_unit("done", _glue([("done when", False)], expr_pieces(r.done))))
    if r.level is not None:
        units.append(_unit("level", [(f"level {r.level}", False)]))
    if r.because is not None:
        units.append(_unit("because", *_keyword_text("because", r.because)))
    if r.source is not None:
        units.append(_unit("source", [(_source_text(r.source, r.sentences), False)]))
    return units


def _test_units(c: ast.TestCase) -> list[Unit]:
    units = [_unit("head", [(f"test {quote(c.name)}", False)], indent="")]
    if c.action is not None:
        request: list[Piece] = [(f"request {c.action}", False)]
        if c.facts:
            facts: list[Piece] = []
            for i, (name, value) in enumerate(c.facts):
                piece = _glue([(f"{name}:", True)], value_pieces(value))
                if i < len(c.facts) - 1:
                    piece[-1] = (piece[-1][0] + ",", piece[-1][1])
                facts.extend(piece)
            request = _glue(request, _enclose("{", facts, "}"))
        units.append(_unit("request", request))
    if c.at is not None:
        units.append(_unit("at", [(f"at {iso(c.at)}", False)]))
    if c.expect is not None:
        units.append(_unit("expect", [(f"expect {c.expect}", False)]))
    for key, ids in (("steps", c.steps), ("rules", c.rules)):
        if ids is not None:
            units.append(_unit(key, _glue([(key, False)], _bracketed(ids))))
    if c.by_default is not None:
        units.append(_unit("by_default", [(f"by_default {str(c.by_default).lower()}", False)]))
    return units


def _dated(undated: bool, dated: dt.date | None) -> str:
    return "dated undated" if undated else f"dated {dated.isoformat()}" if dated else ""


def _keyword_text(keyword: str, text: ast.Text) -> list[list[Piece]]:
    """``keyword "en"``, and ``sv "…"`` on a continuation line of its own."""
    segments = [[(f"{keyword} {quote(text.en)}", False)]]
    if text.sv is not None:
        segments.append([(f"sv {quote(text.sv)}", False)])
    return segments


# ---- pieces of values and expressions -----------------------------------------------

def _glue(left: list[Piece], right: list[Piece], sep: str = " ") -> list[Piece]:
    """``left`` then ``right``, the seam joined with ``sep`` (never broken)."""
    if not left:
        return list(right)
    if not right:
        return list(left)
    return [*left[:-1], (left[-1][0] + sep + right[0][0], left[-1][1]), *right[1:]]


def _enclose(open_: str, pieces: list[Piece], close: str) -> list[Piece]:
    if not pieces:
        return [(open_ + close, False)]
    return _glue(_glue([(open_, False)], pieces, ""), [(close, False)], "")


def _separated(words: Iterable[str]) -> list[Piece]:
    """``a, b, c`` with a break allowed after each comma."""
    words = list(words)
    return [(w + ("," if i < len(words) - 1 else ""), i > 0) for i, w in enumerate(words)]


def _bracketed(words: Iterable[str]) -> list[Piece]:
    return _enclose("[", _separated(words), "]")


def value_pieces(value: ast.Value) -> list[Piece]:
    if isinstance(value, ast.ListValue):
        return _bracketed(scalar(item) for item in value.items)
    if isinstance(value, ast.RecordValue):
        pieces: list[Piece] = []
        for i, (key, entry) in enumerate(value.entries):
            entry_pieces = _glue([(f"{key}:", True)], value_pieces(entry))
            if i < len(value.entries) - 1:
                entry_pieces[-1] = (entry_pieces[-1][0] + ",", entry_pieces[-1][1])
            pieces.extend(entry_pieces)
        return _enclose("{", pieces, "}")
    return [(scalar(value), False)]


def scalar(value: ast.Constant | ast.Name) -> str:
    if isinstance(value, ast.Name):
        return value.id
    v = value.value
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.date):
        return iso(v)
    return quote(v)


def quote(text: str) -> str:
    """A string literal for ``text``: escapes for quotes, backslashes and control characters."""
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch == "\x85":
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


# Binding strength, weakest first: what an operand must at least be to stand unbracketed.
_OR, _AND, _NOT, _COMPARE, _OPERAND = range(1, 6)


def _strength(e: ast.Expr) -> int:
    if isinstance(e, ast.Or):
        return _OR
    if isinstance(e, ast.And):
        return _AND
    if isinstance(e, ast.Not):
        return _NOT
    if isinstance(e, (ast.Compare, ast.Membership, ast.Contains, ast.IsSet)):
        return _COMPARE
    return _OPERAND


def expr_pieces(e: ast.Expr, at_least: int = _OR) -> list[Piece]:
    """An expression as pieces, bracketed where the grammar needs it to read back the same."""
    if _strength(e) < at_least:
        return _enclose("(", expr_pieces(e), ")")
    if isinstance(e, (ast.Or, ast.And)):
        word, inner = ("or", _AND) if isinstance(e, ast.Or) else ("and", _NOT)
        pieces = expr_pieces(e.items[0], inner)
        for item in e.items[1:]:
            pieces += _glue([(word, True)], expr_pieces(item, inner))
        return pieces
    if isinstance(e, ast.Not):
        return _glue([("not", False)], expr_pieces(e.operand, _NOT))
    if isinstance(e, ast.Compare):
        return _binary(e.left, e.op, e.right)
    if isinstance(e, ast.Membership):
        return _binary(e.item, "not in" if e.negated else "in", e.collection)
    if isinstance(e, ast.Contains):
        word = "contains" if e.mode == "one" else f"contains {e.mode}"
        return _binary(e.collection, word, e.other)
    if isinstance(e, ast.IsSet):
        return _glue(expr_pieces(e.operand, _OPERAND),
                     [("is missing" if e.negated else "is set", False)])
    if isinstance(e, ast.Call):
        return _enclose(f"{e.func}(", expr_pieces(e.arg), ")")
    if isinstance(e, ast.Field):
        return [(f"{e.base}.{e.field}", False)]
    if isinstance(e, (ast.Name, ast.Constant, ast.ListValue)):
        return value_pieces(e)
    raise TypeError(f"not an expression: {type(e).__name__}")


def _binary(left: ast.Expr, word: str, right: ast.Expr) -> list[Piece]:
    return _glue(_glue(expr_pieces(left, _OPERAND), [(word, False)]),
                 expr_pieces(right, _OPERAND))


# ---- comments -----------------------------------------------------------------------

def _parse_with_comments(text: str, start: str) -> tuple[lark.Tree[Token], list[Token]]:
    """The parse tree and every comment token, in order."""
    parser, sink, lock = _comment_parser()
    with lock:
        sink.clear()
        tree = parser.parse(text, start=start)
        comments = list(sink)
    return tree, comments


@functools.cache
def _comment_parser() -> tuple[Lark, list[Token], threading.Lock]:
    """A parser of the same grammar whose lexer hands each comment to a list.

    The lexer callback is fixed when a parser is built, so this parser has its own list,
    used under a lock; the grammar analysis comes from Lark's cache.
    """
    sink: list[Token] = []
    parser = Lark.open_from_package(
        "dsl", "grammar.lark", ("",), parser="lalr", start=["pack_file", "test_file"],
        propagate_positions=True, maybe_placeholders=True, cache=True,
        lexer_callbacks={"COMMENT": sink.append})
    return parser, sink, threading.Lock()


@attrs.frozen
class _Anchor:
    """Where a clause (or an item's head) stands in the source."""

    item: int
    key: str
    start: tuple[int, int]
    end: tuple[int, int]


_CLAUSE_KEYS = {
    "pack_name": "name", "pack_document": "document", "pack_dated": "dated",
    "pack_in_force": "in_force",
    "pack_version": "version", "pack_default": "default", "pack_sections": "sections",
    "allow": "effect", "deny": "effect", "only": "effect", "require": "effect", "expect_steps": "steps",
    "expect_rules": "rules", "expect_by_default": "by_default",
}


def _start(node: lark.Tree[Token] | Token) -> tuple[int, int]:
    if isinstance(node, Token):
        return (node.line or 0, node.column or 0)
    return (node.meta.line, node.meta.column)


def _end(node: lark.Tree[Token] | Token) -> tuple[int, int]:
    if isinstance(node, Token):
        return (node.end_line or 0, node.end_column or 0)
    return (node.meta.end_line, node.meta.end_column)


def _subtree(node: lark.Tree[Token] | Token) -> lark.Tree[Token]:
    """``node``, an item of a file or a clause of an item: a rule's tree, never a token."""
    if isinstance(node, Token):
        raise TypeError(f"a token ({node.type}) stands where the grammar has an item or clause")
    return node


def _items_with_anchors(tree: lark.Tree[Token], parsed: ast.Pack | ast.TestFile
                        ) -> list[tuple[Item, list[_Anchor]]]:
    """The source's items in order, each with the anchors of its head and clauses."""
    nodes: dict[str, Iterator[Item]]
    if isinstance(parsed, ast.Pack):
        topics, rules = iter(parsed.topics), iter(parsed.rules)
        nodes = {"header": iter([parsed.header]), "topic": topics, "rule": rules}
    else:
        nodes = {"test_case": iter(parsed.cases)}
    items = []
    for index, item_tree in enumerate(map(_subtree, tree.children)):
        item = next(nodes[item_tree.data])
        head_parts = 2 if item_tree.data == "topic" else 1   # the id, and a topic's value
        head_end = _end(item_tree.children[head_parts - 1])
        anchors = [_Anchor(index, "head", _start(item_tree), head_end)]
        for clause in map(_subtree, item_tree.children[head_parts:]):
            key = _CLAUSE_KEYS.get(clause.data, clause.data)
            anchors.append(_Anchor(index, key, _start(clause), _end(clause)))
        items.append((item, anchors))
    return items


@attrs.frozen
class _Comment:
    text: str
    position: tuple[int, int]
    blank_before: bool


@attrs.define
class _Attached:
    """The comments that go with one anchor."""

    leading: list[_Comment] = attrs.field(factory=list)
    trailing: list[_Comment] = attrs.field(factory=list)


class _Layout:
    """Print items with their comments put back."""

    def __init__(self, text: str, items: list[tuple[Item, list[_Anchor]]],
                 comments: list[Token]) -> None:
        self.lines = text.split("\n")
        self.items = items
        self.anchors = sorted((a for _, anchors in items for a in anchors),
                              key=lambda a: a.start)
        self.attached: dict[tuple[int, str], _Attached] = {
            (a.item, a.key): _Attached() for a in self.anchors}
        self.trailer: list[_Comment] = []
        for token in comments:
            self.attach(token)

    def blank_before(self, line: int, column: int) -> bool:
        """Whether a blank line separates the thing at (line, column) from what precedes."""
        if self.lines[line - 1][:column - 1].strip():
            return False
        return line >= 2 and not self.lines[line - 2].strip()

    def attach(self, token: Token) -> None:
        position = (token.line or 0, token.column or 0)
        comment = _Comment(str(token).rstrip(), position, self.blank_before(*position))
        after_code = bool(self.lines[position[0] - 1][:position[1] - 1].strip())
        if after_code:
            anchor = max((a for a in self.anchors if a.start < position), key=lambda a: a.start)
            slot = self.attached[(anchor.item, anchor.key)]
            # a comment inside a clause that goes on below it moves above the clause
            (slot.trailing if anchor.end[0] == position[0] else slot.leading).append(comment)
            return
        inside = [a for a in self.anchors if a.start < position < a.end]
        if inside:  # between two lines of one clause: above that clause
            self.attached[(inside[-1].item, inside[-1].key)].leading.append(comment)
            return
        following = [a for a in self.anchors if a.start > position]
        if not following:
            self.trailer.append(comment)
            return
        anchor = following[0]
        self.attached[(anchor.item, anchor.key)].leading.append(comment)

    def render(self) -> str:
        out: list[str] = []
        for index, (item, anchors) in enumerate(self.items):
            head = anchors[0]
            if index > 0:
                out.append("")
            for unit in units_of(item):
                leading, trailing = self.comments_of(index, unit.keys)
                if "head" in unit.keys:
                    for i, comment in enumerate(leading):
                        if i > 0 and comment.blank_before:
                            out.append("")
                        out.append(comment.text)
                    if leading and self.blank_before(*head.start):
                        out.append("")
                else:
                    out.extend(INDENT + c.text for c in leading)
                lines = list(unit.lines)
                if trailing is not None:
                    lines[-1] += "  " + trailing.text
                out.extend(lines)
        for comment in self.trailer:
            if comment.blank_before and out and out[-1] != "":
                out.append("")
            out.append(comment.text)
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out) + "\n" if out else ""

    def comments_of(self, item: int, keys: tuple[str, ...]
                    ) -> tuple[list[_Comment], _Comment | None]:
        """A unit's comments above it, and the one at the end of its last line.

        Only the unit's last comment can stay at the end of its line; when several
        clauses' comments meet in one unit, the others go above it in source order, so
        none is lost or reordered, and a second run leaves them where they are.
        """
        leading: list[_Comment] = []
        trailing: list[_Comment] = []
        for key in keys:
            slot = self.attached.get((item, key))
            if slot is not None:
                leading += slot.leading
                trailing += slot.trailing
        together = sorted(leading + trailing, key=lambda c: c.position)
        if together and together[-1] in trailing:
            return together[:-1], together[-1]
        return together, None


"""What the words of a source name: its items, and every name defined or used in them.

:func:`outline` reads the tokens of a pack or test source (``engine.editor.tokens``)
item by item (the header, ``topic``, ``rule``, ``test``) and clause by clause, and hands
on an :class:`Outline`: the items with their ranges, for the editor's outline, and each
:class:`Name` with its kind (``topic``, ``rule``, ``step``, ``section``, ``action``,
``fact``, ``value``, ``role``, ``var``, ``test``, ``pack``), whether it defines or uses
the name, and the item it stands in. Navigation, hover and completion read it; it needs
no parse, so a half-typed file has an outline too.
"""

from __future__ import annotations

import bisect
from typing import Iterator

import attrs

from engine.editor.lexicon import lexicon
from engine.editor.tokens import COMMENT, PUNCT, STRING, WORD, Token, scan, unquote

__all__ = ["Item", "Name", "Outline", "outline", "clauses", "ITEM_WORDS", "RULE_CLAUSES",
           "CONDITION_WORDS"]

ITEM_WORDS = ("topic", "rule", "test")
HEADER_CLAUSES = ("name", "document", "dated", "part", "in", "version", "default", "sections")
TOPIC_CLAUSES = ("summary", "source")
RULE_CLAUSES = ("on", "for", "when", "allow", "deny", "only", "require", "done", "level",
                "because", "source")
TEST_CLAUSES = ("request", "at", "expect", "steps", "rules", "by_default")
CONDITION_WORDS = frozenset({"and", "or", "not", "in", "contains", "all", "any", "is", "set",
                             "missing", "true", "false"})
_CLAUSES = {"header": HEADER_CLAUSES, "topic": TOPIC_CLAUSES, "rule": RULE_CLAUSES,
            "test": TEST_CLAUSES}


@attrs.frozen
class Name:
    """A name in the source: what it names, and whether it is defined here."""

    kind: str
    text: str                # as the language reads it (a string without its quotes)
    start: int               # the token's offsets into the normal form
    end: int
    item: int                # the index of its item
    definition: bool = False
    clause: str = ""         # the clause it stands in (``when``, ``on``, ``steps``, …)


@attrs.frozen
class Item:
    kind: str                # header | topic | rule | test
    name: str | None
    start: int
    end: int
    first: int               # its tokens: tokens[first:last]
    last: int
    actions: tuple[str, ...] = ()     # a rule's ``on``, a test's ``request``
    loop_vars: tuple[str, ...] = ()   # a rule's ``for each`` name


@attrs.frozen
class Outline:
    kind: str                          # pack | tests
    tokens: tuple[Token, ...]
    items: tuple[Item, ...]
    names: tuple[Name, ...]

    @property
    def sections(self) -> list[str]:
        return [n.text for n in self.names if n.kind == "section" and n.definition]

    @property
    def topic_ids(self) -> list[str]:
        return [n.text for n in self.names if n.kind == "topic" and n.definition]

    @property
    def pack_id(self) -> str | None:
        return next((n.text for n in self.names if n.kind == "pack"), None)

    @property
    def rule_ids(self) -> list[str]:
        return [n.text for n in self.names if n.kind == "rule" and n.definition]

    def topic_values(self, topic_id: str) -> list[str]:
        """The words a topic's setting names (roles, values), in order."""
        items = {n.item for n in self.find("topic", topic_id, definition=True)}
        return [n.text for n in self.names if n.item in items and n.kind == "value"]

    def step_ids(self) -> dict[str, Name]:
        """Every step id a decision can name, with the ``require`` that defines it: a
        ``for each`` rule's step once for each value of its topic (``id-value``)."""
        found: dict[str, Name] = {}
        for name in self.names:
            if name.kind != "step" or not name.definition:
                continue
            item = self.items[name.item]
            topic = next((n.text for n in self.names if n.item == name.item
                          and n.kind == "topic" and n.clause == "for"), None)
            if item.loop_vars and topic is not None:
                for value in self.topic_values(topic):
                    found.setdefault(f"{name.text}-{value}", name)
            else:
                found.setdefault(name.text, name)
        return found

    def name_at(self, offset: int) -> Name | None:
        """The name whose token holds ``offset`` (or ends at it)."""
        starts = [n.start for n in self.names]
        index = bisect.bisect_right(starts, offset) - 1
        for candidate in self.names[max(index, 0):index + 1]:
            if candidate.start <= offset <= candidate.end:
                return candidate
        return None

    def item_at(self, offset: int) -> Item | None:
        """The item ``offset`` stands in (the one before it, between two items)."""
        found = None
        for item in self.items:
            if item.start <= offset:
                found = item
        return found

    def find(self, kind: str, text: str, *, definition: bool | None = None) -> list[Name]:
        return [n for n in self.names if n.kind == kind and n.text == text
                and (definition is None or n.definition == definition)]


def outline(text: str, kind: str) -> Outline:
    """The outline of a source in normal form; ``kind`` is ``pack`` or ``tests``."""
    tokens = tuple(t for t in scan(text) if t.kind != COMMENT)
    items = _items(tokens, kind)
    names = _Namer(tokens, items).run()
    return Outline(kind, tokens, tuple(items), tuple(sorted(names, key=lambda n: n.start)))


def _items(tokens: tuple[Token, ...], kind: str) -> list[Item]:
    """The items, each with its own tokens; a pack's header is what precedes the first."""
    starts: list[tuple[int, str]] = []
    if kind == "pack":
        starts.append((0, "header"))
    for i, token in enumerate(tokens):
        if token.kind == WORD and token.text in ITEM_WORDS and not _after_dot(tokens, i):
            if (token.text == "test") == (kind == "tests"):
                starts.append((i, token.text))
    items = []
    for n, (first, item_kind) in enumerate(starts):
        last = starts[n + 1][0] if n + 1 < len(starts) else len(tokens)
        if first >= last and item_kind == "header" and not tokens:
            items.append(Item("header", None, 0, 0, 0, 0))
            continue
        if first >= last:
            continue
        head = tokens[first + 1] if item_kind != "header" and first + 1 < last else None
        name = None
        if head is not None and head.kind in (WORD, STRING):
            name = unquote(head) if head.kind == STRING else head.text
        if item_kind == "header" and first + 1 < last and tokens[first].text == "pack" and (
                tokens[first + 1].kind == WORD):
            name = tokens[first + 1].text
        items.append(Item(item_kind, name, tokens[first].start, tokens[last - 1].end, first,
                          last))
    return items


def clauses(tokens: tuple[Token, ...], item: Item,
            stop: int | None = None) -> Iterator[tuple[str, list[Token]]]:
    """Each clause of an item up to token ``stop``: its keyword ("" for the item's head)
    and the tokens after the keyword."""
    words = _CLAUSES[item.kind]
    clause, body = "", list[Token]()
    first = item.first + 1 if item.kind != "header" else item.first
    for i in range(first, item.last if stop is None else min(stop, item.last)):
        token = tokens[i]
        if token.kind == WORD and token.text in words and not _after_dot(tokens, i):
            if clause == "done" and token.text == "when" and not body:
                continue                        # ``done when``
            yield clause, body
            clause, body = token.text, []
        else:
            body.append(token)
    yield clause, body


def _after_dot(tokens: tuple[Token, ...], i: int) -> bool:
    return i > 0 and tokens[i - 1].kind == PUNCT and tokens[i - 1].text == "."


class _Namer:
    """Names the words of each item, clause by clause."""

    def __init__(self, tokens: tuple[Token, ...], items: list[Item]) -> None:
        self.tokens = tokens
        self.items = items
        self.names: list[Name] = []
        self.topics = set(lexicon().topics)

    def run(self) -> list[Name]:
        for index, item in enumerate(self.items):
            self.items[index] = self.item(index, item)
        self.topics |= {n.text for n in self.names if n.kind == "topic" and n.definition}
        for index, item in enumerate(self.items):
            if item.kind == "rule":
                self.conditions(index, item)
        return self.names

    def add(self, kind: str, token: Token, index: int, clause: str,
            definition: bool = False) -> None:
        text = unquote(token) if token.kind == STRING else token.text
        self.names.append(Name(kind, text, token.start, token.end, index, definition, clause))

    def item(self, index: int, item: Item) -> Item:
        tokens = self.tokens
        head = tokens[item.first + 1] if item.first + 1 < item.last else None
        if item.kind == "topic" and head is not None and head.kind == WORD:
            self.add("topic", head, index, "topic", definition=True)
        elif item.kind == "rule" and head is not None and head.kind == WORD:
            self.add("rule", head, index, "rule", definition=True)
        elif item.kind == "test" and head is not None and head.kind == STRING:
            self.add("test", head, index, "test", definition=True)
        actions: list[str] = []
        loop_vars: list[str] = []
        by: list[Token] = []
        for clause, body in clauses(self.tokens, item):
            words = [t for t in body if t.kind == WORD]
            if item.kind == "header":
                if clause == "" and body[:1] and body[0].text == "pack" and len(body) > 1:
                    self.add("pack", body[1], index, "pack", definition=True)
                elif clause == "sections":
                    for t in body:
                        if t.kind == STRING:
                            self.add("section", t, index, clause, definition=True)
            elif clause == "source":
                for t in body[:1]:
                    if t.kind == STRING:
                        self.add("section", t, index, clause)
            elif item.kind == "topic" and clause == "":
                self.topic_value(body[2:], index)
            elif clause == "on" or clause == "request":
                for t in words[:1] if clause == "request" else words:
                    self.add("action", t, index, clause)
                    actions.append(t.text)
                if clause == "request":
                    self.request(body, index)
            elif clause == "for" and len(words) >= 4:
                self.add("var", words[1], index, clause, definition=True)
                loop_vars.append(words[1].text)
                self.add("topic", words[3], index, clause)
            elif clause == "require":
                if words:
                    self.add("step", words[0], index, clause, definition=True)
                if len(words) >= 3 and words[1].text == "by":
                    by.append(words[2])
            elif clause in ("steps", "rules"):
                for t in words:
                    self.add(clause[:-1], t, index, clause)
        for token in by:           # ``by approver``: a ``for each`` name, else a role
            self.add("var" if token.text in loop_vars else "role", token, index, "require")
        return attrs.evolve(item, actions=tuple(actions), loop_vars=tuple(loop_vars))

    def topic_value(self, body: list[Token], index: int) -> None:
        """The words of ``= VALUE`` (``body`` after the ``=``): record keys and values."""
        if [t.text for t in body[:2]] == ["not", "regulated"]:
            return
        for i, token in enumerate(body):
            if token.kind == WORD:
                key = i + 1 < len(body) and body[i + 1].text == ":"
                self.add("field" if key else "value", token, index, "=")

    def request(self, body: list[Token], index: int) -> None:
        """A test request's facts: ``{name: value, …}``."""
        for i, token in enumerate(body):
            if token.kind != WORD or i == 0:
                continue
            following = body[i + 1] if i + 1 < len(body) else None
            if following is not None and following.text == ":":
                self.add("fact", token, index, "request")
            else:
                self.add("value", token, index, "request")

    def conditions(self, index: int, item: Item) -> None:
        facts = lexicon().facts(item.actions) if item.actions else {}
        for clause, body in clauses(self.tokens, item):
            if clause not in ("when", "done"):
                continue
            for i, token in enumerate(body):
                if token.kind != WORD or token.text in CONDITION_WORDS or (
                        clause == "done" and i == 0 and token.text == "when"):
                    continue
                if i > 0 and body[i - 1].text == ".":
                    self.add("field", token, index, clause)
                elif token.text in item.loop_vars:
                    self.add("var", token, index, clause)
                elif token.text in self.topics:
                    self.add("topic", token, index, clause)
                elif token.text in facts:
                    self.add("fact", token, index, clause)
                elif i + 1 < len(body) and body[i + 1].text == "(":
                    self.add("function", token, index, clause)
                else:
                    self.add("value", token, index, clause)

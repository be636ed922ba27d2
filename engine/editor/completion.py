"""Completion that knows where it is: what may be written at the cursor.

:func:`complete` reads the item and the clause the cursor stands in (``engine.editor
.outline``) and offers: actions after ``on`` and ``request``; in a condition, the facts
of the rule's actions, the pack's topics, ``for each`` names and functions, then after a
fact and ``==``, ``!=``, ``in [`` or ``contains`` the values of its type, after ``is``
``set``/``missing``, after a topic and ``.`` its fields; roles after ``by``; topics after
``for each NAME in`` and after ``topic``, and a topic's values after its ``=``; the
sections of the header after ``source``; a test request's facts and their values; step
and rule ids of the pack beside a test file in ``steps [`` and ``rules [``; the words a
clause takes (``must``/``should``, ``allow``/``deny``, …); the keywords elsewhere.
"""

from __future__ import annotations

from typing import Iterable

from lsprotocol import types as lsp

from engine.editor.lexicon import DerivedFact, Fact, Type, lexicon
from engine.editor.outline import (HEADER_CLAUSES, RULE_CLAUSES,
                                   TEST_CLAUSES, TOPIC_CLAUSES, Item, Outline, clauses)
from engine.editor.source import SourceText
from engine.editor.tokens import STRING, WORD, Token

__all__ = ["complete", "describe_type"]

K = lsp.CompletionItemKind
_FUNCTIONS = ("months_since", "days_since")
_OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "contains all",
              "contains any", "is set", "is missing", "and", "or")


def describe_type(t: Type) -> str:
    """A type as an author reads it: ``page_category (own, municipality, …)``."""
    if t.kind == "enum":
        return f"{t.name}: {', '.join(t.values)}"
    if t.kind == "set" and t.element is not None:
        return f"set of {describe_type(t.element)}"
    if t.kind == "record":
        return "{" + ", ".join(f"{k}: {v}" for k, v in t.fields) + "}"
    return t.name


def _values(t: Type | None) -> tuple[str, ...]:
    """The names a value of type ``t`` is written with (a set's: its elements')."""
    if t is None:
        return ()
    if t.kind == "set" and t.element is not None:
        return _values(t.element)
    if t.kind == "bool":
        return ("true", "false")
    return t.values


class _Context:
    def __init__(self, outline: Outline, source: SourceText, offset: int,
                 pack: Outline | None) -> None:
        self.outline = outline
        self.pack = pack if pack is not None else outline
        self.offset = offset
        tokens = outline.tokens
        index = next((i for i, t in enumerate(tokens) if t.end >= offset), len(tokens))
        current = tokens[index] if index < len(tokens) else None
        self.string = False
        if current is not None and current.start < offset and current.kind == STRING and (
                offset < current.end or not current.closed):
            self.string = True
            self.start, self.end = current.start, current.end
        elif current is not None and current.start <= offset and current.kind == WORD:
            self.start, self.end = current.start, current.end
        else:
            self.start = self.end = offset
            index = next((i for i, t in enumerate(tokens) if t.start >= offset), len(tokens))
        self.prefix = source.text[self.start:offset]
        self.index = index                      # the first token not before the cursor
        self.item: Item | None = None
        for item in outline.items:
            if item.start < self.start or (item.first < index and item.kind == "header"):
                self.item = item
        self.source = source

    def before(self) -> tuple[str, list[Token]]:
        """The clause the cursor stands in and its tokens before the cursor."""
        if self.item is None:
            return "", []
        last: tuple[str, list[Token]] = ("", [])
        for clause in clauses(self.outline.tokens, self.item, stop=self.index):
            last = clause
        return last


def complete(outline: Outline, source: SourceText, offset: int,
             pack: Outline | None = None) -> list[lsp.CompletionItem]:
    """What may be written at ``offset``; ``pack`` is the pack beside a test file."""
    context = _Context(outline, source, offset, pack)
    found = list(_offers(context))
    edit_range = source.range_of(context.start, context.end if context.string
                                 else max(context.end, offset))
    items = []
    seen = set()
    for label, kind, detail, text in found:
        if label in seen:
            continue
        seen.add(label)
        new_text = text if text is not None else label
        if context.string:
            new_text = '"' + new_text.strip('"') + '"'
        items.append(lsp.CompletionItem(label=label, kind=kind, detail=detail or None,
                                        text_edit=lsp.TextEdit(range=edit_range,
                                                               new_text=new_text),
                                        filter_text=new_text if context.string else None))
    return items


Offer = tuple[str, lsp.CompletionItemKind, str, "str | None"]


def _offers(c: _Context) -> Iterable[Offer]:
    clause, body = c.before()
    item = c.item
    if item is None:
        yield from _keywords(("pack",) if c.outline.kind == "pack" else ("test",))
        return
    words = [t.text for t in body]
    prev = body[-1].text if body else None
    if c.string:
        if clause == "source":
            yield from _sections(c)
        return
    if item.kind == "header":
        if clause == "default":
            yield from _keywords(("allow", "deny"), K.Value)
        elif clause == "dated":
            yield from _keywords(("undated",), K.Value)
        elif clause == "in" and not body:
            yield from _keywords(("force",))
        else:
            yield from _keywords(HEADER_CLAUSES + ("topic", "rule"))
        return
    if item.kind == "topic":
        yield from _topic(c, clause, words)
        return
    if item.kind == "test":
        yield from _test(c, clause, body, words)
        return
    # a rule
    if clause == "" and not body:
        return                                   # the rule's new id
    if clause == "on":
        if prev in (None, ","):
            yield from _actions()
            return
    elif clause == "for":
        if words == [] or words == ["each"]:
            yield from _keywords(("each",)) if not words else ()
            return
        if len(words) == 2:
            yield from _keywords(("in",))
            return
        if len(words) == 3:
            yield from _topics(c, sets_only=True)
            return
    elif clause == "require":
        if len(words) == 1:
            yield from _keywords(("by",))
            return
        if prev == "by":
            yield from _roles(item)
            return
        if not words:
            return                               # the step's new id
    elif clause == "level":
        if not body:
            yield from _keywords(("must", "should"), K.Value)
            return
    elif clause == "source":
        if not body:
            yield from _sections(c)
            return
    elif clause in ("when", "done"):
        yield from _condition(c, item, body)
        return
    yield from _keywords(RULE_CLAUSES + ("rule", "topic"))


def _condition(c: _Context, item: Item, body: list[Token]) -> Iterable[Offer]:
    facts = lexicon().facts(item.actions)
    prev = body[-1] if body else None
    subject = _subject(body, facts)
    if prev is not None and prev.text == "." and len(body) >= 2:
        topic = lexicon().topics.get(body[-2].text)
        if topic is not None:
            for name, field_type in topic.type.fields:
                yield name, K.Field, describe_type(field_type), None
        return
    if prev is not None and prev.text == "is":
        yield from _keywords(("set", "missing"))
        return
    if subject is not None:
        for value in _values(subject.type):
            yield _value_offer(value, subject.type)
        if prev is not None and prev.text in ("in", "contains", "all", "any"):
            yield from _topics(c)
        return
    if prev is None or prev.text in ("when", "and", "or", "not", "(", "in", "contains"):
        for name, fact in facts.items():
            yield name, K.Field, _fact_detail(fact), None
        yield from _topics(c)
        for var in item.loop_vars:
            yield var, K.Variable, "for each", None
        for function in _FUNCTIONS:
            yield function, K.Function, "whole calendar units to the request's day", \
                f"{function}("
        yield from _keywords(("not",))
        return
    yield from _keywords(_OPERATORS + tuple(w for w in RULE_CLAUSES if w != "on")
                         + ("rule", "topic"))


def _open_bracket(body: list[Token]) -> int | None:
    """The index of the ``[`` the cursor stands inside, if any."""
    depth = 0
    for i in range(len(body) - 1, -1, -1):
        if body[i].text == "]":
            depth += 1
        elif body[i].text == "[":
            if depth == 0:
                return i
            depth -= 1
    return None


def _subject(body: list[Token], facts: dict[str, Fact | DerivedFact]) -> Fact | DerivedFact | None:
    """The fact whose values may come next: ``FACT ==``, ``FACT in [a, ``,
    ``FACT contains``, ``FACT contains any [``."""
    bracket = _open_bracket(body)
    at = bracket - 1 if bracket is not None else len(body) - 1
    if at < 0 or body[at].text not in ("==", "!=", "in", "contains", "all", "any"):
        return None
    j = at - 1
    while j >= 0 and body[j].text in ("not", "contains"):
        j -= 1
    return facts.get(body[j].text) if j >= 0 else None


def _test(c: _Context, clause: str, body: list[Token], words: list[str]) -> Iterable[Offer]:
    prev = body[-1].text if body else None
    if clause == "request":
        if not body:
            yield from _actions()
            return
        action = lexicon().actions.get(body[0].text)
        if action is None or "{" not in words:
            yield from _keywords(TEST_CLAUSES)
            return
        facts = {f.name: f for f in action.facts}
        bracket = _open_bracket(body)
        colon = (bracket - 1) if bracket is not None else len(body) - 1
        if colon >= 1 and body[colon].text == ":" and body[colon - 1].text in facts:
            fact = facts[body[colon - 1].text]
            for value in _values(fact.type):
                yield _value_offer(value, fact.type)
            return
        if prev in ("{", ","):
            given = {t.text for i, t in enumerate(body[:-1]) if body[i + 1].text == ":"}
            for name, fact in facts.items():
                if name not in given:
                    yield name, K.Field, _fact_detail(fact), f"{name}: "
            return
        if prev == "}":
            yield from _keywords(TEST_CLAUSES)
        return
    if clause == "expect" and not body:
        yield from _keywords(lexicon().outcomes, K.Value)
    elif clause == "by_default" and not body:
        yield from _keywords(("true", "false"), K.Value)
    elif clause in ("steps", "rules") and "[" in words and "]" not in words:
        if clause == "steps":
            for step in c.pack.step_ids():
                yield step, K.Reference, "step", None
        else:
            for rule in c.pack.rule_ids + ["default"]:
                yield rule, K.Reference, "rule", None
    elif clause in ("steps", "rules") and not body:
        yield "[", K.Operator, "", "["
    else:
        yield from _keywords(TEST_CLAUSES + ("test",))


def _topic(c: _Context, clause: str, words: list[str]) -> Iterable[Offer]:
    if clause == "" and not words:
        taken = set(c.outline.topic_ids)
        for topic_id, known in lexicon().topics.items():
            if topic_id not in taken:
                yield topic_id, K.Variable, known.title, None
        return
    if clause == "" and len(words) >= 2 and "=" in words and words[-1] != "]":
        topic = lexicon().topics.get(words[0])
        if words[-1] == "=":
            yield from _keywords(("not regulated",))
        if topic is not None:
            for value in _values(topic.type):
                yield _value_offer(value, topic.type)
        return
    if clause == "source":
        yield from _sections(c)
        return
    yield from _keywords(TOPIC_CLAUSES + ("topic", "rule"))


def _value_offer(value: str, t: Type) -> Offer:
    label = lexicon().label(value)
    detail = t.name + (f" — {label[0]} / {label[1]}" if label else "")
    return value, K.EnumMember, detail, None


def _fact_detail(fact: Fact | DerivedFact) -> str:
    return f"{describe_type(fact.type)} — {fact.meaning}"


def _keywords(words: Iterable[str], kind: lsp.CompletionItemKind = K.Keyword) -> Iterable[Offer]:
    for word in words:
        yield word, kind, "", None


def _actions() -> Iterable[Offer]:
    for name, action in lexicon().actions.items():
        yield name, K.Event, action.meaning, None


def _roles(item: Item) -> Iterable[Offer]:
    for var in item.loop_vars:
        yield var, K.Variable, "for each", None
    for role in lexicon().roles:
        label = lexicon().label(role)
        yield role, K.EnumMember, f"{label[0]} / {label[1]}" if label else "role", None


def _topics(c: _Context, sets_only: bool = False) -> Iterable[Offer]:
    known = lexicon().topics
    for topic_id in c.pack.topic_ids or list(known):
        topic = known.get(topic_id)
        if topic is None or (sets_only and topic.type.kind != "set"):
            continue
        yield topic_id, K.Variable, f"topic: {topic.title}", None


def _sections(c: _Context) -> Iterable[Offer]:
    for section in c.pack.sections:
        yield f'"{section}"', K.Text, "a section of the guideline", f'"{section}"'

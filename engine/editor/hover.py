"""What a name means, shown when the pointer rests on it.

:func:`hover` answers, in Markdown: for a fact, its type, its values, whether a request
must give it and what it means (from the vocabulary, for the actions of the rule or the
request it stands in); for a value, the type it belongs to and its English and Swedish
labels where there are some; for an action, what it is and its facts; for a topic, what
it is, its type and this pack's setting; for a rule (its ``rule`` line, or its id in a
test file), its outcome, level, actions and section, and the rule as written; for a
step, the ``require`` that asks for it; for a section, how many rules cite it.
"""

from __future__ import annotations

from typing import Sequence

from lsprotocol import types as lsp

from engine.editor.completion import describe_type
from engine.editor.lexicon import DerivedFact, Fact, Lexicon, Type, lexicon
from engine.editor.navigation import File
from engine.editor.outline import Item, Name, clauses
from engine.editor.tokens import STRING, WORD, unquote

__all__ = ["hover"]

_MAX_LINES = 24
_FUNCTIONS = {
    "months_since": "whole calendar months from a date to the request's day "
                    "(`months_since(2025-01-31)` is 5 on 2025-07-30, 6 on 2025-07-31)",
    "days_since": "whole days from a date to the request's day",
}


def hover(files: Sequence[File], offset: int) -> lsp.Hover | None:
    """The meaning of the name at ``offset`` in ``files[0]``; ``files[1:]`` are the files
    beside it (the pack of a test file)."""
    here = files[0]
    name = here.outline.name_at(offset)
    if name is None:
        return None
    words = lexicon()
    item = here.outline.items[name.item]
    text = _explain(files, name, item, words)
    if not text:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
                     range=here.source.range_of(name.start, name.end))


def _explain(files: Sequence[File], name: Name, item: Item, words: Lexicon) -> str:
    if name.kind == "fact":
        facts = words.facts(item.actions)
        fact = facts.get(name.text)
        if fact is None:
            return ""
        derived = isinstance(fact, DerivedFact)
        required = isinstance(fact, Fact) and fact.required
        values = ", ".join(f"`{v}`" + _label(words, v) for v in _enum_values(fact.type))
        return "\n\n".join(part for part in (
            f"**fact** `{fact.name}`: {describe_type(fact.type)}",
            fact.meaning,
            f"Values: {values}" if values else "",
            "Derived by the engine; requests do not send it." if derived else
            "Required in every request." if required else "Optional.",
        ) if part)
    if name.kind == "value":
        label = words.label(name.text)
        owners = _owners(words, name.text, item)
        if not label and not owners:
            return ""
        head = f"**value** `{name.text}`" + (f" of {', '.join(owners)}" if owners else "")
        return head + (f"\n\n{label[0]} — *{label[1]}*" if label else "")
    if name.kind == "role":
        label = words.label(name.text)
        return f"**role** `{name.text}`" + (f"\n\n{label[0]} — *{label[1]}*" if label else "")
    if name.kind == "action":
        action = words.actions.get(name.text)
        if action is None:
            return ""
        listed = ", ".join(f"`{f.name}`" for f in action.facts + action.derived)
        return f"**action** `{action.name}`: {action.meaning}\n\nFacts: {listed}"
    if name.kind == "topic":
        topic = words.topics.get(name.text)
        if topic is None:
            return ""
        setting = _setting(files, name.text)
        return "\n\n".join(part for part in (
            f"**topic** `{topic.id}`: {topic.title}",
            f"Type: {describe_type(topic.type)}" + (" (informational)" if topic.informational
                                                    else ""),
            f"This pack: `{setting}`" if setting else "This pack does not set it.",
        ) if part)
    if name.kind == "field":
        return f"**field** `{name.text}`"
    if name.kind == "function":
        meaning = _FUNCTIONS.get(name.text)
        return f"**function** `{name.text}(date)`: {meaning}" if meaning else ""
    if name.kind == "var":
        return f"**for each** `{name.text}`: one rule for each value of the topic"
    if name.kind == "rule":
        return _rule(files, name.text)
    if name.kind == "step":
        return _step(files, name.text)
    if name.kind == "section":
        citing = sum(1 for f in files for n in f.outline.names
                     if n.kind == "section" and not n.definition and n.text == name.text)
        return f"**section** “{name.text}” of the guideline, cited {citing} times"
    return ""


def _label(words: Lexicon, value: str) -> str:
    label = words.label(value)
    return f" ({label[0]}, *{label[1]}*)" if label else ""


def _enum_values(t: Type | None) -> tuple[str, ...]:
    if t is not None and t.kind == "set":
        return _enum_values(t.element)
    return t.values if t is not None else ()


def _owners(words: Lexicon, value: str, item: Item) -> list[str]:
    """The types among the item's facts (or the topics) that have ``value``."""
    owners = []
    for fact in words.facts(item.actions).values():
        if value in _enum_values(fact.type):
            owners.append(_type_name(fact.type))
    if not owners:
        for topic in words.topics.values():
            for t in [topic.type] + [f for _, f in topic.type.fields]:
                if value in _enum_values(t):
                    owners.append(_type_name(t))
    return sorted(set(owners))


def _type_name(t: Type) -> str:
    return t.element.name if t.element is not None else t.name


def _pack(files: Sequence[File]) -> File | None:
    return next((f for f in files if f.outline.kind == "pack"), None)


def _setting(files: Sequence[File], topic_id: str) -> str:
    """The pack's setting of a topic as written (``[manager, communicator]``)."""
    pack = _pack(files)
    if pack is None:
        return ""
    for index, item in enumerate(pack.outline.items):
        if item.kind == "topic" and item.name == topic_id:
            body = next((b for c, b in clauses(pack.outline.tokens, item) if c == ""), [])
            if len(body) >= 2 and body[1].text == "=":
                value = pack.source.text[body[2].start:body[-1].end] if len(body) > 2 else ""
                return " ".join(value.split())
    return ""


def _rule_item(files: Sequence[File], rule_id: str) -> tuple[File, Item] | None:
    pack = _pack(files)
    if pack is None:
        return None
    for item in pack.outline.items:
        if item.kind == "rule" and item.name == rule_id:
            return pack, item
    return None


def _rule(files: Sequence[File], rule_id: str) -> str:
    if rule_id == "default":
        return "**default**: the pack's default outcome decided (no rule spoke)"
    found = _rule_item(files, rule_id)
    if found is None:
        return f"**rule** `{rule_id}` (not in this pack)"
    pack, item = found
    effect, level, section = "", "must (assumed)", ""
    for clause, body in clauses(pack.outline.tokens, item):
        if clause in ("allow", "deny", "only"):
            effect = clause
        elif clause == "require":
            step = body[0].text if body and body[0].kind == WORD else "?"
            by = f" by {body[2].text}" if len(body) > 2 and body[1].text == "by" else ""
            effect = f"require `{step}`{by}"
        elif clause == "level" and body:
            level = body[0].text
        elif clause == "source" and body and body[0].kind == STRING:
            section = unquote(body[0])
    on = ", ".join(f"`{a}`" for a in item.actions) or "no action"
    text = pack.source.text[item.start:item.end].split("\n")
    shown = "\n".join(text[:_MAX_LINES] + (["…"] if len(text) > _MAX_LINES else []))
    summary = f"**rule** `{rule_id}`: {effect or 'no effect'}, {level}; on {on}" + (
        f"; source “{section}”" if section else "")
    return f"{summary}\n\n```policy\n{shown}\n```"


def _step(files: Sequence[File], step_id: str) -> str:
    pack = _pack(files)
    if pack is None:
        return f"**step** `{step_id}`"
    defined = pack.outline.step_ids().get(step_id)
    names = [defined] if defined is not None else pack.outline.find("step", step_id,
                                                                     definition=True)
    if not names:
        return f"**step** `{step_id}` (no rule of this pack requires it)"
    rules = [pack.outline.items[n.item].name for n in names if n is not None]
    return f"**step** `{step_id}`\n\n" + "\n\n".join(
        _rule(files, r) for r in rules if r is not None)

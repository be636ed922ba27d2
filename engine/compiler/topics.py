"""Checking a pack's topic settings and turning them into values.

A topic is set once per pack (``topic allowed_likes = {allow: […], deny: […]}``) and read
by both ``policy explain`` and the rules that refer to it, so its value is checked here
against the topic's type and handed on, JSON-ready, as a :class:`TopicValue`.
"""

from __future__ import annotations

from typing import Any

from dsl import ast
from engine import vocabulary as vocab
from engine.compiler.check import Bad, Checker
from engine.compiler.compiled import TopicValue
from engine.errors import did_you_mean, one_of


class TopicsStep(Checker):
    # ---- topics -------------------------------------------------------------------
    def compile_topics(self) -> dict[str, TopicValue]:
        declared: dict[str, ast.TopicSetting] = {}
        for setting in self.pack.topics:
            if setting.id not in self.vocabulary.topics:
                self.error(f"unknown topic '{setting.id}'{did_you_mean(setting.id, self.vocabulary.topics)}; "
                           f"topics are {one_of(self.vocabulary.topics)}", setting.span, "unknown-topic")
                continue
            if setting.id in declared:
                first = declared[setting.id].span
                self.error(f"topic '{setting.id}' is set twice"
                           + (f" (first at line {first.line})" if first else "")
                           + "; set each topic once", setting.span, "duplicate-topic")
                continue
            declared[setting.id] = setting
            self.check_section(setting.source, setting.span)
        topics = {}
        for topic in self.vocabulary.topics.values():
            given = declared.get(topic.id)
            value = None
            if given is not None and given.value is not None:
                value = self.topic_value(topic, given.value)
                if value is None:   # reported; rules using it need not say so again
                    self.bad_topics.add(topic.id)
            topics[topic.id] = TopicValue(
                topic.id, topic.title, value, declared=given is not None,
                summary=given.summary if given else None,
                source=given.source if given else None,
                span=given.span if given else None)
        return topics

    def topic_value(self, topic: vocab.Topic, value: ast.Value) -> Any:
        t = topic.type
        try:
            if t.kind == "record":
                if not isinstance(value, ast.RecordValue):
                    self.error(f"topic '{topic.id}' takes {{{', '.join(f'{k}: [...]' for k, _ in t.fields)}}}",
                               value.span, "bad-topic-value")
                    return None
                entries = dict(value.entries)
                for key in entries:
                    if t.field(key) is None:
                        self.error(f"topic '{topic.id}' has no field '{key}'; its fields are "
                                   f"{one_of(k for k, _ in t.fields)}", value.span, "bad-topic-value")
                result = {}
                for key, ftype in t.fields:
                    if key not in entries:
                        self.error(f"topic '{topic.id}' needs its field '{key}' (write {key}: [] "
                                   "for none)", value.span, "bad-topic-value")
                        continue
                    result[key] = self.literal(entries[key], ftype)
                overlap = set(result.get("allow", ())) & set(result.get("deny", ()))
                if overlap:
                    self.error(f"topic '{topic.id}' both allows and denies {one_of(overlap)}",
                               value.span, "bad-topic-value")
                return result
            return self.literal(value, t)
        except Bad:
            return None

"""The checks that hold a pack's topic settings and its rules to each other (``policy check``).

``policy explain`` compares packs by their topic settings; decisions come from their
rules. Where the two part, the comparison says something the pack does not decide. Three
warnings, each returned by :func:`topic_findings` as ``(code, message, span)`` for
``engine.authoring.analysis`` to report:

- ``unused-topic``: a topic is set, but no rule refers to it;
- ``hard-coded-topic``: a rule writes out a value a topic setting holds;
- ``unset-topic``: rules decide what a topic summarises (rules on ``like_page`` read
  ``page_category``, which ``allowed_likes`` sums up) while the pack leaves the topic not
  regulated, so ``policy explain`` says "not regulated" for what the pack decides.

:data:`SUMMARISES` says which action and facts each topic sums up.
"""

from __future__ import annotations

from typing import Iterable, Mapping, NamedTuple, Sequence

from dsl import ast
from engine import vocabulary as vocab
from engine.authoring import enumeration as en
from engine.compiler import CompiledPack
from engine.contract import INTERVAL_MONTHS
from engine.errors import Span


class Summary(NamedTuple):
    """What a topic sums up: the facts of one action that the rules deciding it read, and
    how a pack sets the topic and refers to it (for the message)."""

    action: str
    facts: tuple[str, ...]
    setting: str
    reference: str


#: Every topic that is not informational: the action and facts it sums up.
SUMMARISES: Mapping[str, Summary] = {
    "channel_approver": Summary(
        "create_channel", ("approved_by",), "[manager]",
        "for each approver in channel_approver ... done when approved_by contains approver"),
    "credential_custody": Summary(
        "create_channel",
        ("credentials_held_by", "credentials_in_central_storage", "credential_holders"),
        "[communicator]", "done when credential_holders contains all credential_custody"),
    "snapshot_interval": Summary(
        "audit_channel", ("last_snapshot_on",), "half_yearly",
        "months_since(last_snapshot_on) < snapshot_interval"),
    "allowed_likes": Summary(
        "like_page", ("page_category",), "{allow: [], deny: [commercial]}",
        "page_category in allowed_likes.deny"),
    "break_time_use": Summary(
        "private_use_at_work", ("during_break", "department_head_permits"), "breaks_only",
        "break_time_use == breaks_only and during_break"),
    "response_time": Summary(
        "answer_question", ("office_hours_to_answer",), "24",
        "done when answered_at is set and office_hours_to_answer <= response_time"),
}

Finding = tuple[str, str, "Span | None"]


def head_span(node: ast.Rule | ast.TopicSetting) -> Span | None:
    """The span of ``rule ID`` / ``topic ID``: the first line of the item."""
    span = node.span
    if span is None:
        return None
    word = "rule" if isinstance(node, ast.Rule) else "topic"
    return Span(span.file, span.line, span.column, span.line,
                span.column + len(word) + 1 + len(node.id))


def topic_findings(pack: CompiledPack, rules: Sequence[ast.Rule]) -> list[Finding]:
    """Every ``unused-topic``, ``unset-topic`` and ``hard-coded-topic`` of the pack."""
    found: list[Finding] = []
    used: set[str] = set()
    for rule in rules:
        if rule.for_each is not None:
            used.add(rule.for_each.topic)
        for expr in (rule.when, rule.done):
            used |= _topic_refs(expr, pack.topics)
    settings = {t.id: t for t in pack.ast.topics}
    for topic_id, value in pack.topics.items():
        topic = pack.vocabulary.topics[topic_id]
        informational = topic.informational
        if value.value is not None and topic_id not in used and not informational:
            found.append((
                "unused-topic", f"topic '{topic_id}' is set but no rule refers to it, so what "
                "policy explain shows for it is not what the pack decides; refer to it in a "
                f"rule (e.g. {_example_ref(topic)}) or write 'topic {topic_id} = not "
                "regulated' if no rule is meant to use it", head_span(settings[topic_id])))
    for topic_id, summary in SUMMARISES.items():
        setting = pack.topics.get(topic_id)
        if setting is not None and setting.value is not None:
            continue
        if summary.action not in pack.vocabulary.actions:
            continue
        deciding = list(_deciding(rules, summary, pack.vocabulary))
        if deciding:
            rule, facts = deciding[0]
            where = settings.get(topic_id)
            more = (f" (and {len(deciding) - 1} more rule{'s' if len(deciding) > 2 else ''})"
                    if len(deciding) > 1 else "")
            found.append((
                "unset-topic", f"rule '{rule.id}'{more} decides '{summary.action}' by "
                f"{' and '.join(sorted(facts))}, which topic '{topic_id}' sums up, but the pack "
                "leaves the topic not regulated, so policy explain says 'not regulated' for what "
                f"the pack decides: set it (e.g. 'topic {topic_id} = {summary.setting}', with a "
                f"summary and its source) and refer to it in the rule ('{summary.reference}')",
                head_span(where) if where is not None else head_span(rule)))
    for rule in rules:
        for expr in (rule.when, rule.done):
            for node, topic_ref, shown in _hard_coded(expr, pack):
                found.append((
                    "hard-coded-topic", f"rule '{rule.id}' writes out {shown}, which is what "
                    f"topic setting {topic_ref} holds; refer to the topic instead ('{topic_ref}') "
                    "so a change of the setting changes the rule too", node.span))
    return found


def _deciding(rules: Sequence[ast.Rule], summary: Summary, vocabulary: vocab.Vocabulary
              ) -> Iterable[tuple[ast.Rule, frozenset[str]]]:
    """The rules on the summary's action that read its facts, with the facts they read."""
    action = vocabulary.actions[summary.action]
    for rule in rules:
        if summary.action not in rule.actions:
            continue
        facts = en.rule_facts(rule, action) & set(summary.facts)
        if facts:
            yield rule, facts


def _topic_refs(expr: ast.Expr | None, topics: Mapping[str, object]) -> set[str]:
    refs = set()
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and node.id in topics:
            refs.add(node.id)
        elif isinstance(node, ast.Field) and node.base in topics:
            refs.add(node.base)
    return refs


def _example_ref(topic: vocab.Topic) -> str:
    topic_id, t = topic.id, topic.type
    if t.kind == "record":
        return f"'{topic_id}.{t.fields[0][0]}'"
    if t.kind == "set":
        return f"'for each x in {topic_id}'"
    return f"'{topic_id} == …'"


def _hard_coded(expr: ast.Expr | None, pack: CompiledPack
                ) -> Iterable[tuple[ast.Expr, str, str]]:
    """Literals in ``expr`` that spell out a topic setting: lists whose values are exactly a
    list topic's (or a field's) values, and a number compared with ``months_since`` equal
    to the snapshot interval."""
    lists: dict[frozenset[str], str] = {}
    for topic_id, value in pack.topics.items():
        if isinstance(value.value, list) and len(value.value) > 1:
            lists.setdefault(frozenset(value.value), topic_id)
        elif isinstance(value.value, dict):
            for key, items in value.value.items():
                if len(items) > 1:
                    lists.setdefault(frozenset(items), f"{topic_id}.{key}")
    interval = pack.topics.get("snapshot_interval")
    months = INTERVAL_MONTHS.get(interval.value) if interval and interval.value else None
    for node in ast.walk(expr):
        if isinstance(node, ast.ListValue):
            ids = [i.id for i in node.items if isinstance(i, ast.Name)]
            names = frozenset(ids)
            if len(names) == len(node.items) and names in lists:   # distinct names only
                shown = "[" + ", ".join(ids) + "]"
                yield node, lists[names], shown
        elif isinstance(node, ast.Compare) and months is not None:
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if (isinstance(side, ast.Call) and side.func == "months_since"
                        and isinstance(other, ast.Constant) and other.value == months
                        and not isinstance(other.value, bool)):
                    yield other, "snapshot_interval", f"{months} months"

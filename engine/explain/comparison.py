"""Compare packs topic by topic: the data behind ``policy explain``.

``compare(packs, at)`` hands on a :class:`Comparison`: one :class:`TopicRow` per topic,
each with one :class:`Cell` per pack holding the pack's value (JSON-ready, None when the
pack does not regulate the topic), a summary, the guideline sections it rests on and the
rules it comes from. The views (``engine.explain.comparison_views``) print it as a terminal matrix,
markdown, HTML or the contract's JSON.

Every value comes from the pack itself, in one of two ways:

- **settings**, the vocabulary's topics (``Vocabulary.topics``: the contract's and
  plugins'), are read from the pack's topic settings (``CompiledPack.topics``); the rules
  listed are the rules that refer to the topic;
- **derived** topics are asked of the pack's compiled rules: the matching requests
  (each topic's ``question`` says which) are decided with the engine's own evaluate and
  combine steps, and the value is read off the decisions. A value is None when no rule
  of the pack spoke to any of the requests (the pack's default decided every one).

``tests/test_explain.py`` checks every topic's value against ``Engine.decide`` for the
same requests.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable, Mapping

import attrs

from dsl import ast
from engine import vocabulary as vocab
from engine.compiler import CompiledPack, CompiledRule, Part
from engine.contract import contract_vocabulary
from engine.decide import decide
from engine.errors import source_lines
from engine.explain.trace_views import sv_reason, sv_step
from engine.glossary import DERIVED_TOPICS
from engine.phrases import phrase, short_name, step_words
from engine.evaluator import evaluate
from engine.model import Decision, Reason
from engine.validate import FactValidator
from engine.validate import validators as validators_for


@attrs.frozen
class RuleRef:
    """A rule a value comes from, with its text and the guideline section it cites."""

    rule: str
    effect: str
    level: str | None           # None: the pack default (no sentence binds it)
    text: str
    text_sv: str | None
    section: str | None
    source_text: str | None = attrs.field(default=None, eq=False, repr=False)  # the rule as written


@attrs.frozen
class Cell:
    """One pack's value of one topic.

    ``source`` is the section the value rests on (several joined by "; "), ``sections``
    the same as a list; ``rules`` the rules the value comes from.
    """

    value: Any
    summary: str | None
    source: str | None
    summary_sv: str | None = None
    sections: tuple[str, ...] = ()
    rules: tuple[RuleRef, ...] = ()


@attrs.frozen
class TopicRow:
    """One topic across packs. ``kind`` is ``setting`` or ``derived``; a derived topic's
    ``question`` says which requests its values are read from."""

    id: str
    title: str
    kind: str
    question: str | None
    values: dict[str, Cell]
    title_sv: str | None = None       # the title in Swedish (the glossary's)
    question_sv: str | None = None    # a derived topic's question in Swedish


@attrs.frozen
class Column:
    """What one pack's column rests on: the municipality's name (``short_name`` for a
    narrow column, see :func:`engine.phrases.short_name`) and the guideline: its document
    title, its pages (``parts``) with their dates, the date it is dated, the pack's
    version and the days the edition is in force (None: not given)."""

    pack: str
    name: str
    short_name: str
    document: str | None
    dated: dt.date | None
    version: str
    in_force_from: dt.date | None = None
    in_force_until: dt.date | None = None
    parts: tuple[Part, ...] = ()


@attrs.frozen
class Comparison:
    """The topics, in reading order, across ``packs``, as decided at ``at``."""

    packs: tuple[str, ...]
    at: dt.date
    topics: tuple[TopicRow, ...]
    #: The words the packs were compared in (values a list topic ranges over, labels).
    vocabulary: vocab.Vocabulary = attrs.field(eq=False, repr=False, default=None,
                                               metadata={"json": False})
    #: Per pack id, the name and document its column rests on.
    columns: dict[str, Column] = attrs.field(factory=dict)

    def column(self, pack: str) -> Column:
        """The column of ``pack`` (a pack compared without one: its id as its name)."""
        found = self.columns.get(pack)
        return found if found is not None else Column(pack, pack, pack, None, None, "")

    def topic(self, topic_id: str) -> TopicRow:
        return next(t for t in self.topics if t.id == topic_id)

    def only(self, topics: Iterable[str] | None = None,
             packs: Iterable[str] | None = None) -> "Comparison":
        """The same comparison limited to some topics and packs (in the order given)."""
        keep = tuple(packs) if packs is not None else self.packs
        wanted = set(topics) if topics is not None else None
        rows = tuple(attrs.evolve(t, values={p: t.values[p] for p in keep})
                     for t in self.topics if wanted is None or t.id in wanted)
        return Comparison(keep, self.at, rows, self.vocabulary,
                          {p: self.columns[p] for p in keep if p in self.columns})

    def differing(self, a: str, b: str) -> "Comparison":
        """The topics on which packs ``a`` and ``b`` differ, with only those two packs."""
        rows = [t.id for t in self.topics
                if canonical(t.values[a].value) != canonical(t.values[b].value)]
        return self.only(rows, (a, b))


def canonical(value: Any) -> Any:
    """A value with its lists sorted, so that the order a pack wrote them in is no
    difference."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        return sorted(items, key=repr)
    return value


# ---- the topics ----------------------------------------------------------------------

class _Ask:
    """Decides requests against one pack with the engine's evaluate and combine steps."""

    def __init__(self, pack: CompiledPack, at: dt.date,
                 validators: Mapping[str, FactValidator]) -> None:
        self.pack = pack
        self.at = at
        self.validators = validators
        self.cache: dict[tuple[str, tuple[tuple[str, Any], ...]], Decision] = {}

    def __call__(self, action: str, facts: Mapping[str, Any]) -> Decision:
        key = (action, tuple(sorted(facts.items())))
        if key not in self.cache:
            normalised = self.validators[action].normalise(facts)
            findings = evaluate(self.pack, action, normalised, self.at)
            self.cache[key] = decide(self.pack, action, findings, self.at)
        return self.cache[key]


def all_done(action: str, vocabulary: vocab.Vocabulary | None = None) -> dict[str, bool]:
    """Every true/false fact of ``action`` true: every step the action has is done."""
    spec = (vocabulary or contract_vocabulary()).actions[action]
    return {f.name: True for f in spec.facts if f.type.kind == "bool"}


def _words(values: Iterable[str], lang: str = "en", pack: CompiledPack | None = None,
           enum: str = "") -> str:
    """Values in a summary: their ids in words in English, their labels in Swedish."""
    if lang == "sv" and pack is not None:
        return ", ".join(pack.vocabulary.label(f"value:{enum}.{v}", "sv") for v in values)
    return ", ".join(v.replace("_", " ") for v in values)


def _both(said: Callable[[str], str]) -> tuple[str, str]:
    """A summary in English and in Swedish, written once by ``said(lang)``."""
    return said("en"), said("sv")


Derive = Callable[[CompiledPack, _Ask], Cell]


@attrs.frozen
class Derived:
    """A topic asked of the packs' rules; its title is the glossary's, the question (which
    requests its values are read from) the phrases'."""

    id: str
    derive: Derive = attrs.field(eq=False, repr=False)

    @property
    def title(self) -> str:
        return DERIVED_TOPICS[self.id].en

    def question(self, lang: str = "en") -> str:
        return phrase(f"question:{self.id}", lang)


def rule_source(pack: CompiledPack, rule_id: str) -> str | None:
    """The rule's text as written in the pack file (from its header line to its last)."""
    for rule in pack.ast.rules:
        if rule.id == rule_id and rule.span is not None and rule.span.end_line:
            lines = source_lines(pack.ast.text)[rule.span.line - 1:rule.span.end_line]
            return "\n".join(lines).rstrip() or None
    return None


def _ref(pack: CompiledPack, reason: Reason) -> RuleRef:
    """The rule behind a decision's reason (for a ``for each`` rule, its expansion)."""
    sv, effect = None, reason.effect
    for rule in pack.rules:
        if rule.id == reason.rule and rule.reason == reason:
            sv = rule.reason_sv
            effect = "only" if rule.only else effect   # one entry for both halves
            break
    return RuleRef(reason.rule, effect, reason.level, reason.text, sv,
                   reason.source.section, rule_source(pack, reason.rule))


def _cell(pack: CompiledPack, value: Any, summary: str | None,
          reasons: Iterable[Reason], summary_sv: str | None = None) -> Cell:
    refs: list[RuleRef] = []
    for reason in reasons:
        ref = _ref(pack, reason)
        if ref not in refs:
            refs.append(ref)
    sections = tuple(dict.fromkeys(r.section for r in refs if r.section))
    return Cell(value, summary, "; ".join(sections) or None, summary_sv, sections, tuple(refs))


def closed(pack: CompiledPack, action: str) -> bool:
    """Whether ``pack`` closes a list for ``action`` with an ``only when`` rule: what the
    list leaves out is denied, not left to the default."""
    return any(r.only for r in pack.rules_for(action))


def _removal_grounds(pack: CompiledPack, ask: _Ask) -> Cell:
    allow, deny, reasons = [], [], []
    words = pack.vocabulary
    for category in words.enums["content_category"].values:
        d = ask("delete_comment", {"content_category": category,
                                   **all_done("delete_comment", words)})
        if d.by_default:
            continue
        if d.outcome == "allow" and any(r.effect == "allow" for r in d.reasons):
            allow.append(category)
            reasons += [r for r in d.reasons if r.effect == "allow"]
        elif d.outcome == "deny":
            deny.append(category)
            reasons += d.reasons
    if not allow and not deny:
        return _cell(pack, None, None, ())
    only = closed(pack, "delete_comment")

    def said(lang: str) -> str:
        cats = "content_category"
        if only:
            return phrase("summary:removed_only", lang).format(
                x=_words(allow, lang, pack, cats) or phrase("summary:nothing", lang))
        text = phrase("summary:removed_for", lang).format(
            x=_words(allow, lang, pack, cats) or phrase("summary:nothing_named", lang))
        if deny:
            text += phrase("summary:kept", lang).format(x=_words(deny, lang, pack, cats))
        return text
    summary, summary_sv = _both(said)
    return _cell(pack, {"allow": allow, "deny": deny, "only": only}, summary, reasons,
                 summary_sv)


def _removal_steps(pack: CompiledPack, ask: _Ask) -> Cell:
    """The steps before a removal, for each ground; where the pack names no grounds but
    asks for steps before any removal (a public-records duty), for every category."""
    grounds = _removal_grounds(pack, ask).value
    if grounds is not None and grounds["allow"]:
        categories = list(grounds["allow"])
    else:
        categories = [c for c in pack.vocabulary.enums["content_category"].values
                      if ask("delete_comment", {"content_category": c}).outcome == "required_steps"]
    if not categories:
        return _cell(pack, None, None, ())
    steps: dict[str, dict[str, Any]] = {}
    reasons: list[Reason] = []
    for category in categories:
        d = ask("delete_comment", {"content_category": category})
        if d.outcome != "required_steps":
            continue
        reasons += d.reasons
        for step in d.steps:
            entry = steps.setdefault(step.id, {"step": step.id, "level": step.level, "for": []})
            entry["for"].append(category)
    value = {"grounds": categories, "steps": list(steps.values())}

    def said(lang: str) -> str:
        if not steps:
            return phrase("summary:no_steps_before_removal", lang)
        return phrase("summary:before_removal", lang).format(x="; ".join(
            f"{s['step'] if lang == 'en' else step_words(s['step'], lang, pack.vocabulary)} "
            f"({_words(s['for'], lang, pack, 'content_category')})" for s in steps.values()))
    summary, summary_sv = _both(said)
    return _cell(pack, value, summary, reasons, summary_sv)


def _per_value(action: str, fact: str) -> Derive:
    """The outcome of ``action`` for each value of its enum ``fact``."""
    def derive(pack: CompiledPack, ask: _Ask) -> Cell:
        known = pack.vocabulary.actions[action].fact(fact)
        if known is None:
            raise ValueError(f"'{fact}' is not a fact of the action '{action}'")
        choices = known.type.values
        values: dict[str, Any] = {}
        reasons: list[Reason] = []
        for v in choices:
            d = ask(action, {fact: v})
            if d.by_default:
                values[v] = None
                continue
            entry: dict[str, Any] = {
                "outcome": d.outcome,
                "level": "must" if any(r.level == "must" for r in d.reasons) else "should"}
            if d.steps:
                entry["steps"] = [s.id for s in d.steps]
            values[v] = entry
            reasons += d.reasons
        if all(v is None for v in values.values()):
            return _cell(pack, None, None, ())
        by_outcome: dict[str, list[str]] = {}
        for v, entry in values.items():
            by_outcome.setdefault(entry["outcome"] if entry else "", []).append(v)

        def said(lang: str) -> str:
            words = pack.vocabulary
            return "; ".join(
                (words.label(f"outcome:{o}", lang) if lang == "sv" and o
                 else o.replace("_", " ") if o else words.label("word:not_regulated", lang))
                + f": {_words(vs, lang, pack, known.type.name)}"
                for o, vs in by_outcome.items()) + "."
        summary, summary_sv = _both(said)
        return _cell(pack, values, summary, reasons, summary_sv)
    return derive


def _clause(sentence: str) -> str:
    """A step's sentence as one clause of a list joined by "; ": without its full stop
    (the list ends with one of its own)."""
    return sentence.rstrip().rstrip(".")


def _steps_of(action: str, facts: Mapping[str, Any]) -> Derive:
    """The steps ``action`` needs when none of them is done."""
    def derive(pack: CompiledPack, ask: _Ask) -> Cell:
        d = ask(action, facts)
        if d.by_default:
            return _cell(pack, None, None, ())
        value = [s.id for s in d.steps]

        def said(lang: str) -> str:
            sv = lang == "sv"
            if d.outcome == "deny":
                return phrase("summary:not_allowed", lang).format(x=" ".join(
                    sv_reason(pack, r) if sv else r.text for r in d.reasons))
            if value:
                return phrase("summary:steps", lang).format(x="; ".join(
                    _clause(sv_step(pack, s) if sv else s.text) for s in d.steps))
            return phrase("summary:nothing_first", lang)
        summary, summary_sv = _both(said)
        return _cell(pack, value, summary, d.reasons, summary_sv)
    return derive


DERIVED: tuple[Derived, ...] = (
    Derived("new_channel", _steps_of("create_channel", {"account_type": "organisation"})),
    Derived("removal_grounds", _removal_grounds),
    Derived("removal_steps", _removal_steps),
    Derived("image_rights", _per_value("publish_post", "image_source")),
    Derived("private_accounts", _per_value("use_private_account", "purpose")),
    Derived("closing_channel", _steps_of("close_channel", {})),
)

#: The order topics are shown in: from starting a channel to closing it.
ORDER = ("channel_approver", "credential_custody", "new_channel", "snapshot_interval",
         "response_time", "removal_grounds", "removal_steps", "allowed_likes", "image_rights",
         "private_accounts", "break_time_use", "closing_channel")


def topic_ids(vocabulary: vocab.Vocabulary | None = None) -> tuple[str, ...]:
    """Every topic id, settings (the contract's and plugins') and derived, in the order
    shown: the contract's order, then plugins' topics as they were contributed."""
    ids = list((vocabulary or contract_vocabulary()).topics) + [d.id for d in DERIVED]
    return tuple(sorted(ids, key=lambda i: ORDER.index(i) if i in ORDER else len(ORDER)))


def rules_using(pack: CompiledPack, topic_id: str) -> tuple[CompiledRule, ...]:
    """The rules of ``pack`` whose conditions or ``for each`` refer to the topic."""
    def refers(e: ast.Expr | None) -> bool:
        return any(isinstance(node, ast.Name) and node.id == topic_id
                   or isinstance(node, ast.Field) and node.base == topic_id
                   for node in ast.walk(e))
    return tuple(r for r in pack.rules
                 if refers(r.ast.when) or refers(r.ast.done)
                 or (r.ast.for_each is not None and r.ast.for_each.topic == topic_id))


def _setting(pack: CompiledPack, topic_id: str) -> Cell:
    setting = pack.topics[topic_id]
    refs = tuple(dict.fromkeys(
        RuleRef(r.id, "only" if r.only else r.kind, r.level, r.reason.text, r.reason_sv, r.source,
                rule_source(pack, r.id))
        for r in rules_using(pack, topic_id)))
    sections = tuple(dict.fromkeys(
        s for s in [setting.source] + [r.section for r in refs] if s))
    summary = setting.summary
    value = setting.value
    if topic_id == "allowed_likes" and isinstance(value, dict):
        value = dict(value, only=closed(pack, "like_page"))
    return Cell(value, summary.en if summary else None, setting.source,
                summary.sv if summary else None, sections, refs)


def compare(packs: Mapping[str, CompiledPack], at: dt.date,
            vocabulary: vocab.Vocabulary | None = None) -> Comparison:
    """Every topic across ``packs`` (in the mapping's order), derived topics decided at
    ``at``. ``vocabulary`` is the packs' engine's (default: the first pack's)."""
    words = vocabulary or next((p.vocabulary for p in packs.values()), None) \
        or contract_vocabulary()
    validators = validators_for(words)
    askers = {pid: _Ask(pack, at, validators) for pid, pack in packs.items()}
    derived = {d.id: d for d in DERIVED}
    rows = []
    for topic_id in topic_ids(words):
        if topic_id in words.topics:
            values = {pid: _setting(pack, topic_id) for pid, pack in packs.items()}
            rows.append(TopicRow(topic_id, words.topics[topic_id].title, "setting", None,
                                 values, words.label(f"topic:{topic_id}", "sv")))
        else:
            d = derived[topic_id]
            values = {pid: d.derive(pack, askers[pid]) for pid, pack in packs.items()}
            rows.append(TopicRow(topic_id, d.title, "derived", d.question("en"), values,
                                 words.label(f"topic:{topic_id}", "sv"), d.question("sv")))
    return Comparison(tuple(packs), at, tuple(rows), words, columns(packs))


def columns(packs: Mapping[str, CompiledPack]) -> dict[str, Column]:
    """Each pack's column: its municipality's name, short where the short forms of the
    packs compared differ (else the full name), and the document it rests on."""
    shorts = {pid: short_name(p.name) for pid, p in packs.items()}
    clash = {s for s in shorts.values() if list(shorts.values()).count(s) > 1}
    return {pid: Column(pid, p.name, p.name if shorts[pid] in clash else shorts[pid],
                        p.document, p.dated, p.version, p.in_force_from, p.in_force_until,
                        tuple(p.parts))
            for pid, p in packs.items()}

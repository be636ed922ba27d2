"""Show why a pack decided a request: for developers, and for officials in plain words.

``developer`` prints the decision, then every rule of the pack for the action in order
(applied or not; for a condition that did not hold, the parts that failed and the values
they saw), the combining step that produced the outcome, and the sections cited.
``official`` is a short account of what to do and why, naming the guideline and its
sections, in Swedish (or English) for a communicator to paste into an answer. Where a
rule cites sentences of its section (``source "S" sentence 2``), both name them too
(``”S”, mening 2``; ``“S”, sentence 2``).
``side_by_side`` shows one request's outcome in several packs with the rules that decided
each. ``explain_request`` gathers what they show (an :class:`Explained`): the engine's
:class:`Decision`, the trace of ``engine.explain.trace``, and whether findings of other
evaluators (plugins) are in the decision.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import textwrap
from typing import Any, Iterable, Mapping, Sequence

import attrs

from engine.compiler import CompiledPack
from engine.errors import PolicyError
from engine.model import Decision, Reason, Step
from engine.explain.trace import Check, Combining, RuleTrace, Trace
from engine.glossary import label
from engine.phrases import phrase, phrases_of, quoted

OUTCOME_WORDS = {"allow": "ALLOW", "deny": "DENY", "required_steps": "REQUIRED STEPS"}


@attrs.frozen
class Explained:
    """A decision with its trace and combining step: what ``policy explain PACK ACTION``
    shows, and its JSON form."""

    decision: Decision
    facts: dict[str, Any]
    combining: Combining
    trace: Trace
    other_evaluators: bool      # the decision has findings the pack's rules do not give


def explain_request(engine: Any, pack: str, action: str, facts: Mapping[str, Any],
                    at: Any = None) -> Explained:
    """Decide a request with ``engine`` and trace it through the pack's rules.

    Bad input raises the engine's :class:`~engine.errors.RequestError`, as ``decide`` does.
    """
    from engine.decide import decide as combine
    from engine.explain.trace import combining, trace
    from engine.validate import FactValidator

    decision = engine.decide(pack, action, facts, at)
    compiled = engine.edition(pack, decision.at)     # the edition that decided
    from engine.core import moment
    now = moment(at)[1]          # the time of day derived facts count to
    normalised = FactValidator(compiled.vocabulary.actions[action]).normalise(facts, now)
    t = trace(compiled, action, normalised, decision.at)
    ours = combine(compiled, action, t.findings, decision.at) == decision
    return Explained(decision, {k: _plain(v) for k, v in normalised.items()},
                     combining(t.findings, compiled.default), t, not ours)


def _plain(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def show(value: Any, lang: str = "en") -> str:
    """A fact value as the developer view writes it: JSON, and for None the word for
    missing in ``lang`` (*missing*, *saknas*)."""
    return phrase("trace:missing", lang) if value is None else json.dumps(value, ensure_ascii=False)


# ---- developer ---------------------------------------------------------------------------

def _effect(rule: RuleTrace, pack: CompiledPack) -> str:
    if rule.kind != "require":
        return rule.kind
    step = next((r.step for r in pack.rules if r.id == rule.rule and r.bindings == rule.bindings
                 and r.step is not None), None)
    return f"require {step.id}" if step else "require"


def _check_lines(check: Check, indent: str, lang: str) -> list[str]:
    mark = "\u2713" if check.held else "\u2717"
    lines = [f"{indent}{mark} {check.text}"]
    if check.parts:
        for part in check.parts:
            lines += _check_lines(part, indent + "    ", lang)
    elif check.seen:
        lines.append(f"{indent}    {phrase('trace:saw', lang)} "
                     + ", ".join(f"{s.name} = {show(s.value, lang)}" for s in check.seen))
    return lines


def _condition(word: str, check: Check, indent: str, lang: str) -> list[str]:
    verdict = phrase("trace:held" if check.held else "trace:not_held", lang)
    lines = [f"{indent}{word} {check.text}: {verdict}"]
    if check.parts:
        for part in check.parts:
            lines += _check_lines(part, indent + "  ", lang)
        if not check.held:
            lines.append(f"{indent}  {phrase('trace:failed', lang)}: "
                         + "; ".join(c.text for c in check.failed()))
    elif check.seen:
        lines.append(f"{indent}  {phrase('trace:saw', lang)} "
                     + ", ".join(f"{s.name} = {show(s.value, lang)}" for s in check.seen))
    return lines


def _rule_lines(number: int, rule: RuleTrace, pack: CompiledPack, lang: str) -> list[str]:
    where = f" \u00b7 {quoted(rule.section, lang)}" if rule.section else ""
    cited = next((r.sentences for r in pack.rules if r.id == rule.rule), ())
    if where and cited:
        where += ", " + sentence_words(cited, lang)
    binding = "".join(f" [{var} = {value}]" for var, value in rule.bindings)
    verdict = (phrase(f"trace:{rule.finding.kind}", lang) if rule.finding
               else label("word:does_not_apply", lang))
    level = pack.vocabulary.label(f"level:{rule.level}", lang) if pack.vocabulary else rule.level
    lines = [f"{number}. {rule.rule}{binding} \u00b7 {_effect(rule, pack)} \u00b7 {level}"
             f"{where}", f"   \u2192 {verdict}"]
    if rule.when is not None:
        lines += _condition("when", rule.when, "   ", lang)
    if rule.applies and rule.kind == "require":
        if rule.done is None:
            lines.append("   " + phrase("trace:no_done", lang))
        else:
            lines += _condition("done when", rule.done, "   ", lang)
    return lines


def developer(explained: Explained, pack: CompiledPack, width: int = 80,
              lang: str = "en") -> str:
    """The decision and every rule of the pack for the action, in ``lang`` (the rules'
    conditions stay as written in the pack, in the language's keywords)."""
    d, t = explained.decision, explained.trace
    lines = [render_decision(d, lang, pack), ""]
    lines.append(phrase("trace:facts_seen", lang))
    lines += textwrap.wrap(", ".join(f"{k} = {show(v, lang)}" for k, v in explained.facts.items()),
                           width=max(40, width), initial_indent="  ", subsequent_indent="  ")
    lines.append("")
    if t.rules:
        lines.append(phrase("trace:rules_of", lang).format(pack=pack.name, action=t.action,
                                                           n=len(t.rules)))
        for number, rule in enumerate(t.rules, 1):
            lines.append("")
            lines += _rule_lines(number, rule, pack, lang)
    else:
        lines.append(phrase("trace:no_rule", lang).format(pack=pack.name, action=t.action))
    c = explained.combining
    # the outcome by its contract name in English, by the glossary's word in Swedish
    outcome = c.outcome if lang == "en" else label(f"outcome:{c.outcome}", lang)
    text = phrase(f"trace:step{c.step}", lang).format(default=outcome)
    lines.append("")
    lines.append(phrase("trace:combining", lang).format(step=c.step, text=text)
                 + f" \u2192 {outcome}"
                 + (f" ({phrase('trace:rules', lang)}: {', '.join(c.rules)})"
                    if c.step != 4 else ""))
    if explained.other_evaluators:
        lines.append(phrase("trace:plugins", lang))
    lines.append("")
    lines.append(phrase("trace:sources", lang))
    lines += ["  " + s for s in _sources(pack, d.reasons, d.steps, lang)]
    return "\n".join(lines) + "\n"


def sentence_words(numbers: Iterable[int], lang: str) -> str:
    """The sentences a rule cites: ``mening 2``, ``meningarna 2 och 3``; ``sentence 2``,
    ``sentences 2 and 3``."""
    shown = [str(n) for n in sorted(set(numbers))]
    if len(shown) == 1:
        return f"{label('word:sentence', lang)} {shown[0]}"
    listed = ", ".join(shown[:-1]) + f" {label('word:and', lang)} " + shown[-1]
    return f"{phrase('official:sentences_cited', lang)} {listed}"


def _cited_sentences(pack: CompiledPack, reasons: Iterable[Reason],
                     steps: Iterable[Step]) -> dict[str, set[int]]:
    """Section → the sentences of it that the rules behind the reasons and steps cite."""
    rule_ids = {r.rule for r in reasons}
    step_ids = {s.id for s in steps}
    cited: dict[str, set[int]] = {}
    for rule in pack.rules:
        if rule.source and rule.sentences and (
                rule.id in rule_ids or (rule.step is not None and rule.step.id in step_ids)):
            cited.setdefault(rule.source, set()).update(rule.sentences)
    return cited


def _sources(pack: CompiledPack, reasons: Iterable[Reason], steps: Iterable[Step],
             lang: str) -> list[str]:
    reasons, steps = list(reasons), list(steps)
    sections = list(dict.fromkeys(
        x.source.section for x in steps + reasons if x.source.section))
    # the document and its date as the comparison's list of documents says them
    doc = pack.document or pack.name
    dated = (f"{label('word:dated', lang)} {pack.dated.isoformat()}" if pack.dated
             else label("word:undated", lang))
    if not sections:
        return [f"{pack.name}, {doc}, {dated}: " + phrase("official:no_section", lang)]
    word = phrase("official:section_cited" if len(sections) == 1
                  else "official:sections_cited", lang)
    marked = [quoted(s, lang) for s in sections]
    cited = _cited_sentences(pack, reasons, steps)
    if not any(cited.get(s) for s in sections):
        return [f"{pack.name}, {doc}, {dated}, {word} " + ", ".join(marked)]
    items = [q + (f", {sentence_words(cited[s], lang)}" if cited.get(s) else "")
             for s, q in zip(sections, marked)]
    return [f"{pack.name}, {doc}, {dated}, {word} " + "; ".join(items)]


# ---- official ----------------------------------------------------------------------------

def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def sv_reason(pack: CompiledPack, reason: Reason) -> str:
    """A reason's text in Swedish: its rule's ``sv`` text, the trace's words for the
    pack's default, else the English text."""
    if reason.rule == "default" and reason == pack.default_reason:
        return phrase("trace:default_reason", "sv").format(
            outcome=label(f"outcome:{reason.effect}", "sv"))
    for rule in pack.rules:
        if rule.id == reason.rule and rule.reason == reason:
            return rule.reason_sv or reason.text
    return reason.text


def sv_step(pack: CompiledPack, step: Step) -> str:
    for rule in pack.rules:
        if rule.step is not None and rule.step.id == step.id:
            return rule.step_sv or step.text
    return step.text


def official(decision: Decision, pack: CompiledPack, lang: str = "sv") -> str:
    """A short plain-language account: the answer, what to do, why, and where it says so."""
    w = phrases_of("official", lang)
    sv = lang == "sv"
    words = pack.vocabulary
    said = _capitalised(words.label(f"action:{decision.action}", lang))
    lines = [f"{pack.name}: {said}"]
    if decision.by_default:
        lines.append(w["default_allow"] if decision.outcome == "allow" else w["default_deny"])
    elif decision.outcome == "deny":
        hard = any(r.level == "must" for r in decision.reasons)
        lines.append(w["no"] if hard else w["no_should"])
    elif decision.outcome == "required_steps":
        lines.append(w["steps"])
        for number, step in enumerate(decision.steps, 1):
            text = sv_step(pack, step) if sv else step.text
            who = ""
            if step.by:
                role = pack.vocabulary.role_label(step.by, lang)
                who = f"; {words.label('word:by', lang)} {role}"
            lines.append(f"{number}. {text} ({words.label(f'level:{step.level}', lang)}{who})")
    else:
        lines.append(w["yes"])
    if not decision.by_default and decision.outcome != "required_steps":
        texts = list(dict.fromkeys(sv_reason(pack, r) if sv else r.text
                                   for r in decision.reasons))
        lines.append(f"{w['why']} " + " ".join(texts))
    lines.append(f"{w['basis']} " + "; ".join(_sources(pack, decision.reasons, decision.steps,
                                                         lang)) + ".")
    return "\n".join(lines) + "\n"


# ---- several packs -----------------------------------------------------------------------

def side_by_side(explained: Sequence[Explained], width: int, lang: str = "en",
                 names: Mapping[str, str] | None = None) -> str:
    """One request through several packs: outcome, the rules that decided, sections; each
    pack by its municipality's name (``names``, by pack id; default: the id)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    names = names or {}
    output = io.StringIO()
    console = Console(width=width, file=output, color_system=None, highlight=False,
                      emoji=False, markup=False, legacy_windows=False)
    first = explained[0].decision
    # the action by its label and name in both languages, as a trace of one pack names it
    said = f"{label(f'action:{first.action}', lang)} ({first.action})"
    console.print(phrase("trace:in_packs", lang).format(action=said,
                                                        n=len(explained),
                                                        at=first.at.isoformat()),
                  overflow="fold")
    table = Table(box=box.SIMPLE_HEAD, show_lines=True, show_edge=False, padding=(0, 1, 0, 0))
    table.add_column(label("word:municipality", lang), no_wrap=True)
    table.add_column(label("word:outcome", lang), overflow="fold")
    table.add_column(phrase("trace:decided_by", lang), ratio=2, overflow="fold")
    table.add_column(phrase("trace:sections", lang), ratio=1, overflow="fold")
    for e in explained:
        d = e.decision
        outcome = (_outcome(d.outcome, lang).lower()
                   + (" " + phrase("trace:by_default", lang) if d.by_default else ""))
        if d.steps:
            outcome += "".join(f"\n- {s.id}" for s in d.steps)
        rules = ", ".join(dict.fromkeys(r.rule for r in d.reasons))
        if d.by_default and lang != "en":       # no rule: the default, in words
            rules = phrase("compare:default", lang)
        sections = "; ".join(dict.fromkeys(
            r.source.section for r in d.reasons if r.source.section)) or "-"
        table.add_row(names.get(d.pack, d.pack), outcome, rules, sections)
    console.print(table)
    text = output.getvalue()
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def _outcome(outcome: str, lang: str) -> str:
    """An outcome as the trace's headline writes it: the contract's name in capitals in
    English (ALLOW), the glossary's word in Swedish (TILLÅTET)."""
    if lang == "en":
        return OUTCOME_WORDS[outcome]
    return label(f"outcome:{outcome}", lang).upper()


def _action(action: str, lang: str, pack: CompiledPack | None = None) -> str:
    """An action as a trace of a pack names it: its label with the name after it ("like
    a page (like_page)", "gilla en sida (like_page)"); without the pack, in English, the
    name alone (``policy decide``'s text)."""
    if lang == "en" and pack is None:
        return action
    words = pack.vocabulary if pack is not None and pack.vocabulary is not None else None
    said = words.label(f"action:{action}", lang) if words else label(f"action:{action}", lang)
    return f"{said} ({action})"


def render_decision(decision: Any, lang: str = "en", pack: CompiledPack | None = None) -> str:
    """The decision for people: outcome, steps as a checklist, reasons with sources; with
    the ``pack`` that decided, by its municipality's name, and in Swedish with the rules'
    Swedish texts."""
    sv = lang == "sv" and pack is not None
    lines = [f"{pack.name if pack is not None else decision.pack} · "
             f"{_action(decision.action, lang, pack)} · "
             f"{decision.at.isoformat()}: {_outcome(decision.outcome, lang)}"
             + (phrase("trace:not_regulated", lang) if decision.by_default else "")]
    if decision.steps:
        lines.append("")
        lines.append(phrase("trace:steps_first", lang))
        for step in decision.steps:
            by = (pack.vocabulary.role_label(step.by, lang) if sv and pack and step.by
                  else step.by)
            who = f" ({by})" if by else ""
            lines.append(f"  [ ] {sv_step(pack, step) if sv and pack else step.text}{who}")
            lines.append(f"      {step.id} · {label(f'level:{step.level}', lang)} · "
                         f"{_source(step.source, lang, pack)}")
    if decision.reasons and not decision.steps:
        lines.append("")
        lines.append(phrase("trace:because", lang))
        for reason in decision.reasons:
            lines.append(f"  - {sv_reason(pack, reason) if sv and pack else reason.text}")
            said = f" · {label(f'level:{reason.level}', lang)}" if reason.level else ""
            lines.append(f"    {reason.rule} · {reason.effect}{said} · "
                         f"{_source(reason.source, lang, pack)}")
    return "\n".join(lines)


def render_decision_of(engine: Any, decision: Any, lang: str = "en") -> str:
    """:func:`render_decision` with the edition that decided, so that the municipality
    is named as it writes itself (``policy decide``'s text); by the pack's id when the
    engine no longer has that edition."""
    try:
        pack = engine.edition(decision.pack, decision.at)
    except PolicyError:
        pack = None
    return render_decision(decision, lang, pack)


def _source(source: Any, lang: str = "en", pack: CompiledPack | None = None) -> str:
    """Where a step or reason rests: with the ``pack``, the municipality's name and the
    section in the language's quotation marks (Tyresö kommun: ”Gilla andra” in Swedish,
    “Gilla andra” in English); without it (``policy decide``'s text), the pack's id and
    the section in plain quotes."""
    if pack is not None:
        return f"{pack.name}: {quoted(source.section, lang)}" if source.section else pack.name
    return f"{source.pack}: \"{source.section}\"" if source.section else source.pack

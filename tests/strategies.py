"""Hypothesis strategies for requests over the contract's vocabulary, and for sources
mutated the way an editor sees them half-typed."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from engine import vocabulary as vocab
from engine.contract import contract_vocabulary

WORDS = contract_vocabulary()

DATES = st.dates(dt.date(2023, 1, 1), dt.date(2026, 12, 31))
#: Days requests are decided at: every installed pack is in force on them (Vara's first
#: edition is in force from 2024-02-21; earlier days are not-in-force, tested apart).
AT_DATES = st.dates(dt.date(2024, 2, 21), dt.date(2026, 12, 31))


def fact_value(fact: vocab.Fact) -> st.SearchStrategy:
    t = fact.type
    if t.kind == "bool":
        return st.booleans()
    if t.kind == "int":
        return st.integers(0, 5)
    if t.kind == "string":
        return st.sampled_from(["facebook", "instagram", "x"])
    if t.kind == "date":
        return DATES.map(dt.date.isoformat)
    if t.kind == "datetime":
        return TIMES
    if t.kind == "enum":
        return st.sampled_from(t.values)
    return st.lists(st.sampled_from(t.element.values), unique=True, max_size=4)


#: Times around the days requests are decided at, on the minute, around holidays too.
TIMES = st.datetimes(dt.datetime(2024, 2, 1), dt.datetime(2026, 12, 31, 23, 59)).map(
    lambda d: d.replace(second=0, microsecond=0).isoformat(timespec="minutes"))


def facts_for(action: vocab.Action) -> st.SearchStrategy:
    required = {f.name: fact_value(f) for f in action.facts if f.required}
    optional = {f.name: fact_value(f) for f in action.facts if not f.required}
    times = [f.name for f in action.facts if f.type.kind == "datetime"]
    return st.fixed_dictionaries(required, optional=optional).map(
        lambda facts: in_order(facts, times))


def in_order(facts: dict, times: list[str]) -> dict:
    """The request's times given in the order the action declares them (a question is
    answered after it is asked): an answer before its question is bad input, which the
    properties over valid requests leave to the validation tests."""
    given = [name for name in times if name in facts]
    ordered = sorted(facts[name] for name in given)
    return {**facts, **dict(zip(given, ordered))}


ACTIONS = st.sampled_from(sorted(WORDS.actions))


@st.composite
def requests(draw, packs):
    """(pack id, action, facts, at) for any installed pack and any action."""
    action = draw(ACTIONS)
    return (draw(st.sampled_from(packs)), action, draw(facts_for(WORDS.actions[action])),
            draw(AT_DATES))


def mutations(text: str) -> st.SearchStrategy:
    """``text`` with its space-separated words deleted, swapped, repeated, or with junk
    bytes, huge numbers and deep nesting put in."""
    tokens = text.split(" ")
    n = len(tokens)

    def apply(ops):
        out = list(tokens)
        for kind, i, j, junk in ops:
            i %= len(out) or 1
            j %= len(out) or 1
            if kind == "delete" and out:
                del out[i]
            elif kind == "swap":
                out[i], out[j] = out[j], out[i]
            elif kind == "duplicate":
                out.insert(i, out[j])
            elif kind == "bytes":
                out.insert(i, junk.decode("utf-8", errors="replace"))
            elif kind == "huge":
                out.insert(i, "9" * 5000)
            elif kind == "nest":
                out.insert(i, "(" * 300 + "x" + ")" * 300)
            elif kind == "not":
                out.insert(i, "not " * 300)
        return " ".join(out)

    op = st.tuples(st.sampled_from(["delete", "swap", "duplicate", "bytes", "huge", "nest", "not"]),
                   st.integers(0, n), st.integers(0, n), st.binary(max_size=20))
    return st.lists(op, min_size=1, max_size=6).map(apply)

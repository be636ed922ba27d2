"""Hypothesis strategies for rule-language ASTs (``dsl.ast``), over the vocabulary.

The trees are shaped as the parser builds them, so that printing one and parsing the
text back can give the very same tree: ``and``/``or`` chains are flat on the left (a
nested chain of the same kind only to the right, as brackets write it), each clause at
most once, ``default`` and ``expect`` only with the words the parser accepts. Names are
the vocabulary's actions, facts, topics, roles and values, plus made-up ids; none is a
keyword of the language.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from hypothesis import strategies as st

from dsl import ast
from engine import contract
from engine.contract import contract_vocabulary

WORDS = contract_vocabulary()

KEYWORDS = frozenset("""
    pack name document dated version default sections topic not regulated summary source sentence only
    rule on for each in when allow deny require by done level because and or contains all
    any is set missing true false sv test request at expect steps rules by_default undated
    must should
""".split())

_VALUES = sorted({v for t in (contract.ROLE, WORDS.enums["custodian"], contract.PAGE_CATEGORY,
                              contract.CONTENT_CATEGORY, contract.INTERVAL, contract.BREAK_USE)
                  for v in t.values}
                 | {v for a in WORDS.actions.values() for f in a.facts
                    if f.type.kind == "enum" for v in f.type.values})
_FACTS = sorted({f.name for a in WORDS.actions.values() for f in a.facts + a.derived})

ids = st.from_regex(r"[a-z][a-z0-9_]{0,8}(-[a-z0-9]{1,6}){0,2}", fullmatch=True).filter(
    lambda s: s not in KEYWORDS)
names = st.one_of(st.sampled_from(_FACTS), st.sampled_from(sorted(WORDS.topics)),
                  st.sampled_from(_VALUES), ids)

# Any text a string literal can hold, quotes, backslashes, controls and all.
# Source text is read in Unicode NFC (dsl/text.py), so the drawn texts are NFC too.
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40).map(
    lambda s: unicodedata.normalize("NFC", s))
dates = st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))

constants = st.one_of(
    st.integers(0, 10**9), dates, texts, st.booleans()).map(ast.Constant)
scalars = st.one_of(constants, names.map(ast.Name))
lists = st.lists(scalars, max_size=5).map(lambda items: ast.ListValue(tuple(items)))


@st.composite
def records(draw, values):
    keys = draw(st.lists(ids, unique=True, max_size=3))
    return ast.RecordValue(tuple((k, draw(values)) for k in keys))


values = st.recursive(st.one_of(scalars, lists), lambda inner: records(inner), max_leaves=6)

fields = st.builds(ast.Field, st.sampled_from(sorted(WORDS.topics)),
                   st.sampled_from(["allow", "deny"]))
operands = st.one_of(names.map(ast.Name), constants, lists, fields)


def _chain(kind, items):
    """A flat chain as the parser builds it: the first item is never the same kind."""
    @st.composite
    def build(draw):
        first = draw(items.filter(lambda e: not isinstance(e, kind)))
        rest = draw(st.lists(items, min_size=1, max_size=3))
        return kind((first, *rest))
    return build()


def _extend(inner):
    return st.one_of(
        st.builds(ast.Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), inner, inner),
        st.builds(ast.Membership, inner, inner, st.booleans()),
        st.builds(ast.Contains, inner, inner, st.sampled_from(["one", "all", "any"])),
        st.builds(ast.IsSet, inner, st.booleans()),
        st.builds(ast.Call, st.sampled_from(["months_since", "days_since"]), inner),
        st.builds(ast.Not, inner),
        _chain(ast.And, inner),
        _chain(ast.Or, inner),
    )


expressions = st.recursive(operands, _extend, max_leaves=8)

text_values = st.builds(ast.Text, texts, st.none() | texts)


@st.composite
def in_force_periods(draw):
    """``in force undated``, ``from DATE``, or ``from DATE until DATE`` (until on or after)."""
    kind = draw(st.sampled_from(["undated", "from", "until"]))
    if kind == "undated":
        return ast.InForce(None, None)
    start = draw(dates)
    if kind == "from":
        return ast.InForce(start, None)
    return ast.InForce(start, start + dt.timedelta(
        days=draw(st.integers(0, min(3650, (dt.date.max - start).days)))))


@st.composite
def headers(draw):
    dated = draw(st.sampled_from(["date", "undated", "none"]))
    return ast.Header(
        id=draw(ids),
        name=draw(st.none() | text_values),
        document=draw(st.none() | text_values),
        dated=draw(dates) if dated == "date" else None,
        undated=dated == "undated",
        version=draw(st.none() | texts),
        default=draw(st.sampled_from([None, "allow", "deny"])),
        sections=tuple(draw(st.lists(texts, max_size=4))),
        in_force=draw(st.none() | in_force_periods()),
    )


topics = st.builds(ast.TopicSetting, st.sampled_from(sorted(WORDS.topics)) | ids,
                   st.none() | values, st.none() | text_values, st.none() | texts)

effects = st.one_of(
    st.none(),
    st.sampled_from(["allow", "deny", "only"]).map(ast.Effect),
    st.builds(ast.Require, ids, st.none() | st.sampled_from(contract.ROLE.values) | ids,
              text_values),
)


@st.composite
def rules(draw):
    source = draw(st.none() | texts)
    sentences = () if source is None else tuple(
        draw(st.lists(st.integers(0, 999), max_size=3)))
    return ast.Rule(
        id=draw(ids),
        actions=tuple(draw(st.lists(st.sampled_from(sorted(WORDS.actions)) | ids, max_size=3))),
        effect=draw(effects),
        when=draw(st.none() | expressions),
        done=draw(st.none() | expressions),
        for_each=draw(st.none() | st.builds(ast.ForEach, ids,
                                            st.sampled_from(sorted(WORDS.topics)))),
        level=draw(st.sampled_from([None, "must", "should"])),
        because=draw(st.none() | text_values),
        source=source,
        sentences=sentences,
    )


packs = st.builds(ast.Pack, headers(), st.lists(topics, max_size=3).map(tuple),
                  st.lists(rules(), max_size=4).map(tuple))


@st.composite
def test_cases(draw):
    action = draw(st.none() | st.sampled_from(sorted(WORDS.actions)) | ids)
    facts = () if action is None else tuple(draw(st.lists(st.tuples(names, values), max_size=4,
                                                                      unique_by=lambda f: f[0])))
    return ast.TestCase(
        name=draw(texts),
        action=action,
        facts=facts,
        at=draw(st.none() | dates),
        expect=draw(st.sampled_from([None, "allow", "deny", "required_steps"])),
        steps=draw(st.none() | st.lists(ids, max_size=4).map(tuple)),
        rules=draw(st.none() | st.lists(ids, max_size=4).map(tuple)),
        by_default=draw(st.sampled_from([None, True, False])),
    )


test_files = st.lists(test_cases(), max_size=4).map(lambda cases: ast.TestFile(tuple(cases)))

# Comment text: anything on one line.
comment_texts = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")),
                        max_size=20).map(lambda s: unicodedata.normalize("NFC", s))

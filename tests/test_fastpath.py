"""The fast path (``engine.fastpath``) against the straightforward reference.

The reference is the pipeline as written in the contract's terms: ``FactValidator``
normalises the facts, every ``policy_evaluate`` implementation is asked through the hook,
``engine.decide.decide`` combines. For generated requests over every action of every
pack, the example plugin pack's words included, and with bad facts of every kind, the
engine gives exactly the same Decision (==) or the same error (type, message, code,
path) as the reference.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
import types
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import vocabulary as vocab
from engine.core import Engine, moment
from engine.decide import decide as combine
from engine.errors import PolicyError, RequestError
from engine.fastpath import DecisionMemo, Normaliser, normalisers
from engine.hookspecs import hookimpl
from engine.model import Finding, Reason, Source
from engine.validate import FactValidator, validators

ROOT = Path(__file__).resolve().parent.parent
#: Several times the loaded profile's examples: these properties cover every action.
EXAMPLES = settings().max_examples
PACKAGE = ROOT / "examples" / "policy-pack-exempelby" / "policy_pack_exempelby"


def _example() -> types.ModuleType:
    """The example plugin pack's package, imported from the examples folder."""
    name = "policy_pack_exempelby"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, PACKAGE / "__init__.py", submodule_search_locations=[str(PACKAGE)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def with_example():
    engine = Engine.load(plugins=[_example()], strict=True)
    yield engine
    sys.modules.pop("policy_pack_exempelby", None)


# ---- requests, good and bad -------------------------------------------------------------

def decomposed(text: str) -> str:
    return unicodedata.normalize("NFD", text)


#: Values that are wrong for some or every kind of fact.
BAD = st.sampled_from([
    None, -1, 1.5, True, 1, 0, "", "zz", "true", [[1]], {"a": 1}, ["x", "x"], [1], (),
    dt.datetime(2025, 3, 1, 9, 30), dt.date(2025, 3, 1), "2025-02-30", "2025-W01-1",
    "2025-03-01T25:00", "2025-03-01", b"own"])

ZONES = st.sampled_from([None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=5))])


def good(fact: vocab.Fact) -> st.SearchStrategy:
    """A valid value of ``fact`` in any of the forms a caller may send it."""
    t = fact.type
    if t.kind == "bool":
        return st.booleans()
    if t.kind == "int":
        return st.integers(0, 40)
    if t.kind == "string":
        return st.sampled_from(["facebook", "Tyresö", decomposed("Tyresö"), "", "Å ä ö"])
    if t.kind == "enum":
        return st.sampled_from(t.values).flatmap(lambda v: st.sampled_from([v, decomposed(v)]))
    if t.kind == "set":
        items = st.lists(st.sampled_from(t.element_type.values), unique=True, max_size=4)
        return items.flatmap(lambda xs: st.sampled_from(
            [xs, tuple(xs), set(xs), frozenset(xs), [decomposed(x) for x in xs]]))
    if t.kind == "date":
        return st.dates(dt.date(2020, 1, 1), dt.date(2027, 12, 31)).flatmap(
            lambda d: st.sampled_from([d, d.isoformat()]))
    if t.kind == "datetime":
        return st.tuples(st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2026, 12, 31)),
                         ZONES, st.integers(0, 3)).map(_moment)
    raise AssertionError(t.kind)


def _moment(args: tuple[dt.datetime, Any, int]) -> Any:
    moment_, zone, form = args
    moment_ = moment_.replace(microsecond=0)
    if zone is not None:
        moment_ = moment_.replace(tzinfo=zone)
    if form == 0:
        return moment_
    text = moment_.isoformat(timespec="minutes" if form == 1 else "seconds")
    return text.replace("+00:00", "Z") if form == 3 else text


def value(fact: vocab.Fact) -> st.SearchStrategy:
    """Mostly good values, sometimes bad ones (sampled: one_of favours its first)."""
    return st.sampled_from("gggb").flatmap(lambda g: good(fact) if g == "g" else BAD)


@st.composite
def facts_for(draw: Any, action: vocab.Action) -> Any:
    names = [f.name for f in action.facts]
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    required = [f.name for f in action.facts if f.required]
    if draw(st.sampled_from("rrrr-")) == "r":         # mostly with every required fact
        chosen = list(dict.fromkeys(required + chosen))
    by_name = {f.name: f for f in action.facts}
    facts: dict[Any, Any] = {name: draw(value(by_name[name])) for name in chosen}
    # hypothesis favours the first of sampled values: the common case comes first
    extra = draw(st.sampled_from(["none"] * 9 + ["unknown", "derived", "decomposed"]))
    if extra == "unknown":
        facts[draw(st.sampled_from(["unknown_fact", "pägé", 1, "page_categroy"]))] = True
    elif extra == "derived" and action.derived:
        facts[action.derived[0].name] = None           # a derived fact may not be sent
    elif extra == "decomposed" and facts:
        first = next(iter(facts))
        if isinstance(first, str):                     # a name decomposed: still the same name
            facts = {decomposed(first) if k == first else k: v for k, v in facts.items()}
    form = draw(st.sampled_from(["dict"] * 18 + ["proxy", "other"]))
    if form == "proxy":
        return types.MappingProxyType(facts)           # a mapping that is not a dict
    if form == "other":
        return draw(st.sampled_from([None, [], "facts", 3]))
    return facts


NOW = st.one_of(st.none(), st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2026, 12, 31)))
AT = st.one_of(
    st.dates(dt.date(2019, 1, 1), dt.date(2027, 12, 31)),
    st.dates(dt.date(2019, 1, 1), dt.date(2027, 12, 31)).map(dt.date.isoformat),
    st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2026, 12, 31)).map(
        lambda d: d.isoformat(timespec="minutes")),
    st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2026, 12, 31)),
    st.none())


def outcome(call: Any, *args: Any) -> tuple:
    """What ``call(*args)`` gives: ("ok", value) or the error's type, message, code, path."""
    try:
        return ("ok", call(*args))
    except PolicyError as e:
        return ("error", type(e), e.message, e.code, e.path)


# ---- the generated normaliser is the validator -------------------------------------------

def _actions(engine: Engine) -> list[str]:
    return sorted(engine.vocabulary.actions)


@settings(max_examples=4 * EXAMPLES)
@given(data=st.data())
def test_the_generated_normaliser_is_the_validator(with_example, data):
    words = with_example.vocabulary
    action = words.actions[data.draw(st.sampled_from(_actions(with_example)))]
    validator = FactValidator(action)
    fast = Normaliser(validator)
    facts = data.draw(facts_for(action))
    now = data.draw(NOW)
    expected = outcome(validator.normalise, facts, now)
    assert outcome(fast, facts, now) == expected
    if expected[0] == "ok" and facts:
        got = fast(facts, now)
        assert list(got) == list(expected[1])          # the same facts, in the same order


def forms(fact: vocab.Fact) -> list[Any]:
    """Every form of a value of ``fact`` the fast path must tell apart, good and bad."""
    t = fact.type
    some = list(t.values or (t.element.values if t.element else ()))[:3]
    wrong = ["zz", 1.5, None, -1, True, 1, 0, [[1]], {"a": 1}, b"x", "", "2025-02-30",
             "2025-W01-1", "2025-03-01", "2025-03-01T25:00", dt.date(2025, 3, 1),
             dt.datetime(2025, 3, 1, 9, 30), ["x", "x"], [1], ()]
    if t.kind == "string":
        return wrong + ["Tyresö", decomposed("Tyresö"), "facebook", "a\u0301"]
    if t.kind == "enum":
        return wrong + some + [decomposed(v) + "\u0301" for v in some] + [v.upper() for v in some]
    if t.kind == "set":
        return wrong + [some, tuple(some), set(some), frozenset(some), some + some[:1],
                        [decomposed(v) for v in some], some + ["zz"], some + [None],
                        {v: 1 for v in some}, some[0] if some else "x"]
    if t.kind == "date":
        return wrong + [dt.date(2024, 2, 29), "2024-02-29", "2023-02-29", " 2024-02-28"]
    if t.kind == "datetime":
        return wrong + ["2025-03-01T09:30", "2025-03-01 09:30:15", "2025-03-01T09:30Z",
                        "2025-03-01T09:30+05:00", "2025-03-01T09:30:00.5",
                        dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.timezone.utc),
                        dt.datetime(2025, 3, 30, 2, 30)]
    return wrong + [2, 10 ** 30, False]


def test_every_fact_in_every_form_is_normalised_as_the_validator_does(with_example):
    """Exhaustively, one fact at a time, beside the action's required facts."""
    checked = 0
    for action in with_example.vocabulary.actions.values():
        validator = FactValidator(action)
        fast = Normaliser(validator)
        base = {f.name: f.type.values[0] for f in action.facts
                if f.required and f.type.kind == "enum"}
        base.update({f.name: "2025-03-01T09:00" for f in action.facts
                     if f.required and f.type.kind == "datetime"})
        for fact in action.facts:
            for form in forms(fact):
                for facts in ({**base, fact.name: form}, {fact.name: form}):
                    for now in (None, dt.datetime(2025, 3, 3, 12, 0)):
                        assert outcome(fast, facts, now) == outcome(
                            validator.normalise, facts, now), (action.name, facts, now)
                        checked += 1
    assert checked > 2000


def test_every_action_of_the_example_gets_its_normaliser(with_example):
    made = normalisers(validators(with_example.vocabulary))
    assert set(made) == set(with_example.vocabulary.actions) >= {"register_post"}
    code = Normaliser(FactValidator(with_example.vocabulary.actions["register_post"])).code
    assert code.startswith("# generated from the vocabulary's action 'register_post'")


@pytest.mark.parametrize("facts, message", [
    ({"page_category": "comercial"}, "fact 'page_category' of action 'like_page' has no "
                                     "value \"comercial\" (did you mean 'commercial'?)"),
    ({}, "fact 'page_category' is required for action 'like_page'"),
    ({"page_category": "own", "colour": 1}, "unknown fact \"colour\" for action 'like_page'"),
])
def test_the_fast_path_words_errors_as_the_validator_does(engine, facts, message):
    with pytest.raises(PolicyError) as caught:
        engine.decide("tyreso", "like_page", facts, dt.date(2025, 1, 1))
    assert caught.value.message.startswith(message)


# ---- the engine is the reference pipeline -----------------------------------------------

def reference(engine: Engine, pack: str, action: str, facts: Any, at: Any) -> Any:
    """The straightforward pipeline: validator, every evaluator through the hook, combine."""
    engine.pack(pack)
    when, now = moment(at)
    normalised = FactValidator(engine.vocabulary.actions[action]).normalise(
        facts if facts is not None else {}, now)
    edition = engine.edition(pack, when)
    results = engine.plugin_manager.hook.policy_evaluate(pack=edition, action=action,
                                                         facts=normalised, at=when)
    findings = [f for r in reversed(results) if r for f in r]
    return combine(edition, action, findings, when)


@st.composite
def requests(draw: Any, engine: Engine) -> tuple:
    action = draw(st.sampled_from(_actions(engine)))
    return (draw(st.sampled_from(sorted(engine.packs))), action,
            draw(facts_for(engine.vocabulary.actions[action])), draw(AT))


@settings(max_examples=4 * EXAMPLES)
@given(data=st.data())
def test_the_engine_decides_as_the_reference_pipeline(with_example, data):
    pack, action, facts, at = data.draw(requests(with_example))
    expected = outcome(reference, with_example, pack, action, facts, at)
    assert outcome(with_example.decide, pack, action, facts, at) == expected
    # and again, from the memo
    assert outcome(with_example.decide, pack, action, facts, at) == expected


@settings(max_examples=2 * EXAMPLES)
@given(data=st.data())
def test_valid_requests_decide_as_the_reference_pipeline(with_example, data):
    """Only good values, every required fact: the decisions themselves, all outcomes."""
    action = data.draw(st.sampled_from(_actions(with_example)))
    a = with_example.vocabulary.actions[action]
    facts = data.draw(st.fixed_dictionaries(
        {f.name: good(f) for f in a.facts if f.required},
        optional={f.name: good(f) for f in a.facts if not f.required}))
    pack = data.draw(st.sampled_from(sorted(with_example.packs)))
    at = data.draw(st.dates(dt.date(2024, 2, 21), dt.date(2026, 12, 31)))
    expected = outcome(reference, with_example, pack, action, facts, at)
    assert outcome(with_example.decide, pack, action, facts, at) == expected


def test_editions_decide_by_their_own_rules_through_the_memo():
    from tests.fixtures import editions_pack
    engine = Engine.load(plugins=[editions_pack], entry_points=False, strict=True)
    item = engine.loaded["edited"]
    facts = {"page_category": "commercial"}
    for edition in item.all_editions:
        day = edition.in_force_from or dt.date(2020, 1, 1)
        for _ in range(2):
            got = engine.decide("edited", "like_page", facts, day)
            assert got == reference(engine, "edited", "like_page", facts, day)
            assert got.pack_version == edition.version


class FreshFindings:
    """An evaluator that builds new findings on every call, their reasons naming the
    facts: the memo must never answer with another call's findings."""

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def policy_evaluate(self, pack: Any, action: str, facts: Any, at: Any) -> Any:
        if action != "like_page":
            return None
        self.calls += 1
        kind = "deny" if self.calls % 3 == 0 else "allow"
        return [Finding(kind, Reason(f"fresh-{self.calls % 5}", kind, "must",
                                     f"page {facts['page_category']}", Source(pack.id, None)))]


def test_fresh_findings_of_a_plugin_are_never_mistaken_for_others():
    engine = Engine.load(strict=True)
    plugin = FreshFindings()
    engine.register(plugin)
    twin = FreshFindings()
    for i in range(300):
        facts = {"page_category": ["own", "commercial", "other"][i % 3]}
        got = engine.decide("tyreso", "like_page", facts, dt.date(2025, 1, 1))
        twin.calls = plugin.calls - 1               # the reference sees the same call number
        findings = engine.edition("tyreso").plans["like_page"](
            FactValidator(engine.vocabulary.actions["like_page"]).normalise(facts),
            dt.date(2025, 1, 1)) + twin.policy_evaluate(engine.edition("tyreso"), "like_page",
                                                        facts, None)
        assert got == combine(engine.pack("tyreso"), "like_page", findings, dt.date(2025, 1, 1))


def test_the_memo_forgets_when_full_and_still_answers_the_same():
    engine = Engine.load(strict=True)
    memo = DecisionMemo(size=4)
    pack = engine.pack("tyreso")
    plan = pack.plans["create_channel"]
    validator = FactValidator(engine.vocabulary.actions["create_channel"])
    for i in range(40):
        facts = validator.normalise({"account_type": "organisation", "admin_count": i % 3,
                                     "purpose_defined": i % 2 == 0})
        day = dt.date(2025, 1, 1 + i % 7)
        findings = plan(facts, day)
        assert memo.decide(pack, "create_channel", findings, day) == combine(
            pack, "create_channel", findings, day)
        assert len(memo) <= 4
    memo.clear()
    assert len(memo) == 0


def test_an_observer_still_sees_every_decision_including_remembered_ones():
    seen = []

    class Observer:
        @hookimpl
        def policy_decision(self, request: Any, decision: Any) -> None:
            seen.append((request.facts, decision.outcome))

    engine = Engine.load(strict=True)
    engine.register(Observer())
    for _ in range(3):
        engine.decide("tyreso", "like_page", {"page_category": "commercial"}, "2025-01-01")
    assert seen == [({"page_category": "commercial"}, "deny")] * 3


def test_an_action_s_checks_are_generated_when_it_is_first_asked_for():
    """A command deciding one request builds one action's checks, not every action's;
    an unknown action builds nothing and is refused as before."""
    engine = Engine.load()
    assert engine._normalisers == {}
    engine.decide("tyreso", "like_page", {"page_category": "own"}, "2025-01-01")
    assert set(engine._normalisers) == {"like_page"}
    with pytest.raises(RequestError, match="unknown action 'like_pages'"):
        engine.decide("tyreso", "like_pages", {}, "2025-01-01")
    assert set(engine._normalisers) == {"like_page"}

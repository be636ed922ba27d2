"""The decision log's lines and the service's decision JSON, as encoded with orjson
straight from the decision, against the way they were encoded before (the converter and
the standard ``json`` encoder), kept here as the reference."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import attrs
import pytest
from hypothesis import given, settings, strategies as st

from bench import workload
from engine.core import Engine
from engine.hookspecs import hookimpl
from engine.model import Request
from engine.serialization import dumps, to_json
from engine.service import decision_log as dlog, log_lines
from engine.service.replay import replay
from tests.conftest import AT

ENTRY_FIELDS = ["time", "request_id", "decision_id", "source", "pack", "pack_version",
                "request", "index", "pack_digest", "authzen", "cut", "in_force_from",
                "decision"]


# ---- the reference: the encoding before orjson, as it was --------------------------------

def reference_decision_json(decision: Any) -> str:
    return json.dumps(to_json(decision), ensure_ascii=False, separators=(",", ":"))


def reference_encode(entry: dlog.LogEntry, decision: Any) -> bytes:
    data = to_json(entry)
    cut = dict(entry.cut or {})
    data["request"] = dlog.bounded(log_lines._sorted_sets(data["request"]), "request", cut)
    data["cut"] = cut or None
    tail = ',"decision":' + reference_decision_json(decision) + "}\n"
    try:
        head = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=repr)
        return (head[:-1] + tail).encode("utf-8")
    except UnicodeEncodeError:
        head = json.dumps(data, separators=(",", ":"), default=repr)
        return (head[:-1] + tail).encode("utf-8")


def same_line(new: bytes, old: bytes) -> None:
    """Both lines are one line of UTF-8 JSON, parse to the same value, keys in order."""
    assert new.endswith(b"\n") and new.count(b"\n") == 1
    new.decode("utf-8")
    assert json.loads(new) == json.loads(old)
    assert list(json.loads(new)) == list(json.loads(old)) == ENTRY_FIELDS
    assert list(json.loads(new)["request"]) == list(json.loads(old)["request"])
    assert list(json.loads(new)["decision"]) == list(json.loads(old)["decision"])


def entry_for(request: Request, decision: Any, **fields: Any) -> dlog.LogEntry:
    values: dict[str, Any] = dict(
        time=dt.datetime(2025, 6, 1, 8, 12, 3, 482113, tzinfo=dt.timezone.utc),
        request_id="pep-42", decision_id="4c0d" * 8, source="http", pack=decision.pack,
        pack_version=decision.pack_version, request=request, index=None,
        pack_digest=None, authzen=None, cut=None, in_force_from=decision.in_force_from)
    values.update(fields)
    return dlog.LogEntry(**values)


# ---- the workload's decisions -----------------------------------------------------------

@pytest.fixture(scope="module")
def decided(engine):
    """Requests of the benchmarks' seeded workload, as the hook sees them, and decisions."""
    out = []
    for pack, action, facts, at in workload.requests(sorted(engine.packs), 1500, 7):
        decision = engine.decide(pack, action, facts, at)
        out.append((Request(pack, action, dict(facts), decision.at), decision))
    return out


def test_each_workload_decision_json_is_the_converters(decided):
    for _request, decision in decided:
        assert json.loads(dlog.decision_bytes(decision)) == to_json(decision)
        assert dlog.decision_json(decision) == dlog.decision_bytes(decision).decode("utf-8")
        assert log_lines.decision_text(decision) == dlog.decision_json(decision)
        assert list(json.loads(dlog.decision_bytes(decision))) == list(to_json(decision))
        assert json.loads(dlog.decision_bytes(decision)) == \
            json.loads(reference_decision_json(decision))


def test_each_workload_entry_parses_to_the_reference_entry(decided):
    for number, (request, decision) in enumerate(decided):
        index = number % 7 if number % 3 else None
        entry = entry_for(request, decision, index=index,
                          pack_digest="ab" * 32 if number % 2 else None,
                          time=dt.datetime(2025, 6, 1, 8, 12, 3, number % 5 * 7,
                                           tzinfo=dt.timezone.utc))
        line = dlog.encode(entry, decision)
        fast = log_lines.entry_line(entry.time, entry.request_id, entry.decision_id,
                                    entry.source, request, entry.index, entry.pack_digest,
                                    None, None, dlog.decision_bytes(decision), entry.pack,
                                    entry.pack_version, entry.in_force_from)
        assert fast is not None and fast == line     # the fast way took it
        same_line(line, reference_encode(entry, decision))


def test_the_plugin_writes_what_the_reference_encodes(engine, decided):
    """Lines the plugin wrote, in a unit of work and outside one, against the reference
    encoding of the same parts (time and ids as the line has them)."""
    lines: list[bytes] = []
    seen: list[tuple[Request, Any]] = []

    class Seen:
        @hookimpl
        def policy_decision(self, request, decision):
            seen.append((request, decision))

    plugins = [dlog.DecisionLog(lines.extend), Seen()]
    for plugin in plugins:
        engine.register(plugin)
    try:
        requests = [{"pack": r.pack, "action": r.action, "facts": dict(r.facts),
                     "at": r.at.isoformat()} for r, _ in decided[:300]]
        with dlog.scope("http", "batch-1", batch=True, pack_digests={"tyreso": "d" * 64},
                        pack_versions={"tyreso": engine.packs["tyreso"].version}) as unit:
            engine.decide_many(requests[:150])
            unit.commit()
        for request in requests[150:]:
            engine.decide_request(request)
    finally:
        for plugin in plugins:
            engine.unregister(plugin)
    assert len(lines) == len(seen) == 300
    for raw, (request, decision) in zip(lines, seen):
        got = json.loads(raw)
        entry = entry_for(request, decision, time=dt.datetime.fromisoformat(got["time"]),
                          request_id=got["request_id"], decision_id=got["decision_id"],
                          source=got["source"], index=got["index"],
                          pack_digest=got["pack_digest"])
        same_line(raw, reference_encode(entry, decision))
    assert [json.loads(x)["index"] for x in lines[:3]] == [0, 1, 2]


# ---- any facts, any text ----------------------------------------------------------------

TEXT = st.text(max_size=8) | st.sampled_from(
    ["Besökare åäö ÅÄÖ", "\u2028", "\ud800x", "a" * 1024, "é" * 1025, "\x00\x1b\"\\"])
SCALAR = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | TEXT
          | st.dates() | st.datetimes())
VALUE = SCALAR | st.lists(TEXT, max_size=4) | st.lists(SCALAR, max_size=3) \
    | st.frozensets(st.sampled_from(["b", "a", "c"])) | st.dictionaries(TEXT, SCALAR, max_size=2)


@settings(max_examples=300)
@given(facts=st.dictionaries(TEXT | st.sampled_from(["platform", "roles"]), VALUE,
                             max_size=5),
       at=st.none() | st.dates(),
       authzen=st.none() | st.dictionaries(TEXT, SCALAR | st.lists(SCALAR, max_size=2),
                                            max_size=3),
       index=st.none() | st.integers(0, 999),
       request_id=st.sampled_from(["pep-42", "{3F2504E0-4F89}", "r\ud800"]),
       microsecond=st.integers(0, 999_999),
       zone=st.sampled_from([dt.timezone.utc, None, dt.timezone(dt.timedelta(hours=1)),
                             dt.timezone(dt.timedelta(hours=-3, seconds=30))]))
def test_any_entry_parses_to_the_reference_entry(engine, facts, at, authzen, index,
                                                 request_id, microsecond, zone):
    """Whatever a Python caller puts in the facts (long text, lone surrogates, big
    integers, NaN, dates, sets, nested objects) and an AuthZEN call adds."""
    decision = engine.decide("tyreso", "like_page", {"page_category": "own"}, AT)
    request = Request("tyreso", "like_page", facts, at)
    cut = {"authzen.context": {"size": 5000, "sha256": "0" * 64}} if authzen else None
    entry = entry_for(request, decision, index=index, request_id=request_id,
                      authzen=authzen, cut=cut,
                      time=dt.datetime(2025, 6, 1, 8, 12, 3, microsecond, tzinfo=zone))
    new, old = dlog.encode(entry, decision), reference_encode(entry, decision)
    assert new.endswith(b"\n") and new.count(b"\n") == 1
    new.decode("utf-8")
    # NaN is not equal to itself: compare the lines parsed, then dumped again
    assert json.dumps(json.loads(new), sort_keys=True) == \
        json.dumps(json.loads(old), sort_keys=True)
    assert list(json.loads(new)) == ENTRY_FIELDS


def test_swedish_text_is_written_as_utf8_not_escaped(engine):
    decision = engine.decide("tyreso", "like_page", {"page_category": "own"}, AT)
    entry = entry_for(Request("tyreso", "like_page", {"note": "Besökare åäö"}, AT), decision)
    line = dlog.encode(entry, decision)
    assert "Besökare åäö".encode("utf-8") in line and b"\\u00f6" not in line
    assert "Information till besökarna".encode("utf-8") in dlog.decision_bytes(
        engine.decide("tyreso", "delete_comment", {"content_category": "criticism",
                                                   "content_saved": True,
                                                   "author_saved": True,
                                                   "registered": True}, AT))


def test_a_reloaded_pack_decides_with_its_own_reasons(engine):
    """The cache of decision JSON keys by the identity of reasons: a pack compiled anew
    (other reason objects, another text) is never answered with the old text."""
    from engine.model import Reason
    decision = engine.decide("tyreso", "like_page", {"page_category": "own"}, AT)
    before = json.loads(dlog.decision_bytes(decision))
    reworded = [Reason(r.rule, r.effect, r.level, r.text + " (reworded)", r.source)
                for r in decision.reasons]
    other = attrs.evolve(decision, reasons=tuple(reworded))
    after = json.loads(dlog.decision_bytes(other))
    assert after == to_json(other) != before
    assert json.loads(dlog.decision_bytes(decision)) == before


def test_the_decision_cache_is_bounded(engine, monkeypatch):
    monkeypatch.setattr(log_lines, "_MAX_DECISIONS", 3)
    monkeypatch.setattr(log_lines, "_ENCODED", {})
    monkeypatch.setattr(log_lines, "_BY_IDENTITY", {})
    for day in range(1, 10):
        decision = engine.decide("tyreso", "like_page", {"page_category": "own"},
                                 dt.date(2025, 1, day))
        assert json.loads(dlog.decision_bytes(decision)) == to_json(decision)
        assert json.loads(dlog.decision_bytes(decision)) == to_json(decision)  # by identity
        assert len(log_lines._ENCODED) <= 3 and len(log_lines._BY_IDENTITY) <= 3


def test_a_decision_found_by_identity_is_that_decision_s_json(engine):
    """The engine hands out a remembered decision again; its JSON is found by identity,
    and an equal decision that is another object still gets its own (equal) JSON."""
    first = engine.decide("tyreso", "like_page", {"page_category": "own"}, AT)
    again = engine.decide("tyreso", "like_page", {"page_category": "own"}, AT)
    assert again is first
    assert dlog.decision_bytes(again) is dlog.decision_bytes(first)
    copy = attrs.evolve(first, outcome="deny")
    assert json.loads(dlog.decision_bytes(copy)) == to_json(copy) != to_json(first)


# ---- the service's JSON ---------------------------------------------------------------

@pytest.mark.parametrize("value", [
    {"a": 1, "b": [1.5, None, True], "c": "Besökare åäö"},
    {"error": {"code": "x", "message": "quoted \ud800 text", "path": None}},
    {"big": 2 ** 70, "day": dt.date(2024, 2, 29)},
    [1e16, 0.1, -0.0, "\u2028"],
])
def test_dumps_is_compact_json_of_the_same_value(value):
    out = dumps(value)
    out.decode("utf-8")
    expected = json.loads(json.dumps(value, ensure_ascii=False, default=str))
    assert json.loads(out) == expected
    assert b": " not in out and b", " not in out


def test_dumps_refuses_what_is_not_json():
    with pytest.raises(TypeError):
        dumps({"x": object()})


# ---- replay over a log the new code wrote ---------------------------------------------

def test_policy_replay_reads_a_log_written_by_the_plugin(tmp_path, decided):
    path = tmp_path / "decisions.jsonl"
    with dlog.recording(path, "cli") as unit:
        engine = Engine.load(plugins=unit.plugins)
        for request, _ in decided[:400]:
            engine.decide(request.pack, request.action, request.facts, request.at)
    raw = path.read_bytes()
    assert raw.count(b"\n") == 400
    result = replay(Engine.load(), io.BytesIO(raw))
    assert (result.lines, result.changed, result.unchanged, sum(result.unusable.values())) \
        == (400, 0, 400, 0)


def test_a_unit_answers_with_what_its_log_encoded_and_only_for_its_decisions(engine):
    lines: list[bytes] = []
    plugin = dlog.DecisionLog(lines.extend)
    engine.register(plugin)
    try:
        requests = [{"pack": "vara", "action": "close_channel"},
                    {"pack": "tyreso", "action": "like_page", "facts": {"page_category": "own"}}]
        with dlog.scope("http", "r-9", batch=True) as unit:
            decisions = engine.decide_many(requests)
            unit.commit()
    finally:
        engine.unregister(plugin)
    answers = unit.answers(decisions)
    assert [json.loads(a) for a in answers] == [to_json(d) for d in decisions]
    assert all(a is e for a, (_, e) in zip(answers, unit.encoded))
    assert [json.loads(line)["decision"] for line in lines] == [to_json(d) for d in decisions]
    # other decisions (or another order) are encoded afresh, never taken from the unit
    assert [json.loads(a) for a in unit.answers(decisions[::-1])] == \
        [to_json(d) for d in decisions[::-1]]
    with dlog.scope("http", "r-10") as empty:
        assert [json.loads(a) for a in empty.answers(decisions)] == \
            [to_json(d) for d in decisions]


@pytest.mark.parametrize("at", ["2024-05-13T10:00", dt.datetime(2024, 5, 13, 10, 0),
                                "2024-05-13T08:00:00+00:00"])
def test_a_request_s_time_of_day_reaches_observers_and_the_log(at):
    """Office hours are counted to the request's time when a question is unanswered: the
    observers and the log get that time, and deciding the logged request again gives the
    same decision."""
    lines: list[bytes] = []
    seen: list[Request] = []

    class Observer:
        @hookimpl
        def policy_decision(self, request, decision):
            seen.append(request)

    engine = Engine.load(plugins=[dlog.DecisionLog(lines.extend, "python"), Observer()])
    decision = engine.decide("perstorp", "answer_question",
                             {"asked_at": "2024-05-10T09:00"}, at)
    assert seen[0].at == dt.datetime(2024, 5, 13, 10, 0)
    logged = json.loads(lines[0])["request"]
    assert logged["at"] == "2024-05-13T10:00"
    assert Engine.load().decide_request(logged) == decision
    engine.decide("perstorp", "answer_question", {"asked_at": "2024-05-10T09:00"},
                  "2024-05-13")
    assert seen[1].at == dt.date(2024, 5, 13)
    assert json.loads(lines[1])["request"]["at"] == "2024-05-13"

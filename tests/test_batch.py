"""``Engine.decide_many`` and ``Engine.decide_stream``: one request at a time, in order,
with the same answers and errors; the stream lazily, the batch with the collector paused."""

from __future__ import annotations

import gc
import threading

import pytest

from engine.errors import RequestError
from engine.hookspecs import hookimpl

GOOD = {"pack": "tyreso", "action": "like_page", "facts": {"page_category": "own"},
        "at": "2025-01-01"}
OTHER = {"pack": "vara", "action": "close_channel", "facts": {}, "at": "2025-01-01"}
BAD = {"pack": "tyreso", "action": "like_pag", "facts": {}}


def test_the_stream_gives_what_the_batch_gives(engine):
    requests = [GOOD, OTHER, GOOD] * 5
    assert list(engine.decide_stream(requests)) == engine.decide_many(requests) == [
        engine.decide_request(r) for r in requests]


def test_the_stream_takes_a_request_only_when_its_decision_is_asked_for(engine):
    taken = []

    def requests():
        for i in range(1_000_000):
            taken.append(i)
            yield GOOD

    stream = engine.decide_stream(requests())
    assert taken == []
    first = next(stream)
    assert first.outcome == "allow" and taken == [0]
    next(stream)
    assert taken == [0, 1]


def test_a_bad_request_in_the_stream_raises_naming_its_index_after_the_ones_before(engine):
    stream = engine.decide_stream([GOOD, OTHER, BAD, GOOD])
    assert [next(stream).pack, next(stream).pack] == ["tyreso", "vara"]
    with pytest.raises(RequestError) as e:
        next(stream)
    assert e.value.message.startswith("request 2: unknown action 'like_pag'")
    assert e.value.path == "[2].action" and e.value.code == "unknown-action"
    assert list(stream) == []                      # the stream ends there


def test_the_batch_raises_the_same_error(engine):
    with pytest.raises(RequestError) as e:
        engine.decide_many([GOOD, OTHER, BAD, GOOD])
    assert e.value.message.startswith("request 2: unknown action") and e.value.path == "[2].action"


def test_a_stream_can_yield_the_errors_and_go_on(engine):
    results = list(engine.decide_stream([GOOD, BAD, {"pack": "nowhere"}, OTHER],
                                        on_error="yield"))
    assert [type(r).__name__ for r in results] == ["Decision", "RequestError",
                                                  "RequestError", "Decision"]
    assert results[1].path == "[1].action"
    assert results[2].message.startswith("request 2: ")
    assert results[3] == engine.decide_request(OTHER)


def test_on_error_takes_raise_or_yield(engine):
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'yield', got 'skip'"):
        list(engine.decide_stream([GOOD], on_error="skip"))


class CollectorWatch:
    """An observer that notes whether automatic collection is on at each decision."""

    def __init__(self):
        self.seen = []

    @hookimpl
    def policy_decision(self, request, decision):
        self.seen.append(gc.isenabled())


@pytest.fixture
def watch(engine):
    plugin = CollectorWatch()
    engine.register(plugin)
    yield plugin
    engine.unregister(plugin)


def test_the_batch_pauses_the_collector_and_resumes_it(engine, watch):
    assert gc.isenabled()
    engine.decide_many([GOOD, OTHER])
    assert watch.seen == [False, False] and gc.isenabled()
    with pytest.raises(RequestError):
        engine.decide_many([GOOD, BAD])
    assert gc.isenabled()                          # resumed after an error too


def test_the_batch_leaves_a_paused_collector_paused(engine, watch):
    gc.disable()
    try:
        engine.decide_many([GOOD])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_stream_leaves_the_collector_alone(engine, watch):
    for _ in engine.decide_stream([GOOD, OTHER]):
        assert gc.isenabled()
    assert watch.seen == [True, True]


def test_batches_in_many_threads_resume_the_collector_once_all_are_done(engine):
    start = threading.Barrier(4)

    def batch():
        start.wait()
        for _ in range(20):
            engine.decide_many([GOOD, OTHER] * 50)

    threads = [threading.Thread(target=batch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.isenabled()


def test_deciding_makes_no_garbage_cycles(engine):
    """What lets the batch pause the collector: nothing is left for it to find."""
    requests = [GOOD, OTHER, {"pack": "perstorp", "action": "answer_question",
                              "facts": {"asked_at": "2025-01-01T09:00"}, "at": "2025-01-02"}]
    engine.decide_many(requests * 10)              # first decisions fill caches
    gc.collect()
    gc.disable()
    try:
        engine.decide_many(requests * 100)
        assert gc.collect() == 0
    finally:
        gc.enable()

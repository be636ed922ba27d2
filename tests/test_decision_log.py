"""The decision log: the plugin, units of work, the writer's guarantees, ``policy log``."""

from __future__ import annotations

import datetime as dt
import errno
import json
import threading
import time

import pytest

from engine.service import decision_log as dlog
from engine.core import Engine
from tests.conftest import AT
from tests.servers import log_lines


def line(n: int, **extra) -> bytes:
    return (json.dumps({"n": n, "decision": {}, **extra}) + "\n").encode()


@pytest.fixture
def recorded(engine):
    """The engine with a DecisionLog plugin whose sink keeps the lines in a list."""
    lines: list[bytes] = []
    plugin = dlog.DecisionLog(lines.extend)
    engine.register(plugin)
    yield lines
    engine.unregister(plugin)


def test_a_decision_outside_any_unit_is_logged_at_once(engine, recorded):
    decision = engine.decide("tyreso", "like_page", {"page_category": "own"}, AT)
    (entry,) = [json.loads(x) for x in recorded]
    assert entry["source"] == "python" and entry["index"] is None
    assert entry["request"] == {"pack": "tyreso", "action": "like_page",
                                "facts": {"page_category": "own"}, "at": "2025-01-01"}
    assert entry["decision"]["outcome"] == decision.outcome == "allow"
    assert (entry["pack"], entry["pack_version"]) == ("tyreso", "1.2.0")
    assert dt.datetime.fromisoformat(entry["time"]).tzinfo is not None


def test_a_unit_holds_its_decisions_until_committed(engine, recorded):
    with dlog.scope("http", "r-1", batch=True) as unit:
        engine.decide_many([{"pack": "vara", "action": "close_channel"}] * 3)
        assert recorded == []
        unit.commit()
    entries = [json.loads(x) for x in recorded]
    assert [(e["request_id"], e["index"], e["source"]) for e in entries] == [
        ("r-1", 0, "http"), ("r-1", 1, "http"), ("r-1", 2, "http")]


def test_a_unit_that_fails_logs_nothing(engine, recorded):
    from engine.errors import RequestError
    with pytest.raises(RequestError):
        with dlog.scope("http", "r-2", batch=True) as unit:
            engine.decide_many([{"pack": "vara", "action": "close_channel"},
                                {"pack": "vara", "action": "close_channel", "facts": {"x": 1}}])
            unit.commit()
    assert recorded == []


def test_a_lone_surrogate_in_a_free_text_fact_still_gives_a_utf8_line(engine, recorded):
    engine.decide("vara", "create_channel", {"account_type": "private", "platform": "\ud800x"},
                  AT)
    (raw,) = recorded
    raw.decode("utf-8")
    assert json.loads(raw)["request"]["facts"]["platform"] == "\ud800x"


# ---- the writer ---------------------------------------------------------------------------

def test_the_writer_flushes_within_the_interval_and_at_close(tmp_path):
    path = tmp_path / "log.jsonl"
    writer = dlog.LogWriter(path, flush_interval=0.05).open()
    writer.submit([line(1), line(2)])
    deadline = time.monotonic() + 2
    while len(log_lines(path, writing=True)) < 2:
        assert time.monotonic() < deadline, "not flushed within the interval"
        time.sleep(0.01)
    slow = dlog.LogWriter(path, flush_interval=60).open()
    slow.submit([line(3)])
    time.sleep(0.1)
    assert len(log_lines(path)) == 2        # held: the interval has not passed
    slow.close()
    writer.close()
    assert [e["n"] for e in log_lines(path)] == [1, 2, 3]


def test_a_partial_last_line_is_set_aside_before_appending(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes(line(1) + line(2) + b'{"n": 3, "deci')
    with dlog.LogWriter(path, flush_interval=0) as writer:
        writer.submit([line(4)])
    assert [e["n"] for e in log_lines(path)] == [1, 2, 4]
    assert (tmp_path / "log.jsonl.partial").read_bytes() == b'{"n": 3, "deci\n'


def test_a_file_that_is_only_a_partial_line_is_emptied(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"n": 1')
    dlog.LogWriter(path, flush_interval=0).open().close()
    assert path.read_bytes() == b""


def test_a_failed_write_leaves_no_part_of_the_batch_and_is_retried(tmp_path, monkeypatch):
    path = tmp_path / "log.jsonl"
    writer = dlog.LogWriter(path, flush_interval=0).open()
    writer.submit([line(1)])
    real_write = dlog.os.write

    def half_then_full_disk(fd, data):
        real_write(fd, bytes(data[:len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(dlog.os, "write", half_then_full_disk)
    writer.submit([line(2), line(3)])
    assert [e["n"] for e in log_lines(path)] == [1]
    monkeypatch.setattr(dlog.os, "write", real_write)
    writer.submit([line(4)])
    writer.close()
    assert [e["n"] for e in log_lines(path)] == [1, 2, 3, 4]


def test_writers_sharing_a_file_write_whole_lines(tmp_path):
    path = tmp_path / "log.jsonl"
    writers = [dlog.LogWriter(path, flush_interval=0.001).open() for _ in range(4)]

    def write(w: int) -> None:
        for i in range(300):
            writers[w].submit([line(i, w=w, pad="x" * (i * 37 % 5000))])

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in writers:
        w.close()
    entries = log_lines(path)
    assert sorted((e["w"], e["n"]) for e in entries) == [(w, i) for w in range(4)
                                                         for i in range(300)]


def test_engine_load_with_the_log_plugin_records_every_decision(tmp_path):
    path = tmp_path / "log.jsonl"
    with dlog.LogWriter(path, flush_interval=0) as writer:
        engine = Engine.load(plugins=[dlog.DecisionLog(writer.submit)])
        engine.decide("norsjo", "close_channel", {}, AT)
    assert [e["pack"] for e in log_lines(path)] == ["norsjo"]


# ---- reading and filtering ----------------------------------------------------------------

def test_read_entries_reports_lines_that_are_not_whole_entries():
    raw = [line(1), b"not json\n", b"[1]\n", line(2)[:-1]]
    got = list(dlog.read_entries(raw))
    assert got[0][1]["n"] == 1
    assert [type(e).__name__ for _, e in got[1:]] == ["BadLine"] * 3
    assert "partial" in got[3][1].problem


def entry(pack="tyreso", action="like_page", outcome="deny", time="2025-03-01T10:00:00+00:00",
          request_id="r"):
    return {"pack": pack, "request": {"action": action}, "decision": {"outcome": outcome},
            "time": time, "request_id": request_id}


def test_the_filter():
    utc = dt.timezone.utc
    keep = dlog.LogFilter(packs=frozenset({"tyreso"}), outcomes=frozenset({"deny"}),
                          since=dt.datetime(2025, 3, 1, tzinfo=utc),
                          until=dt.datetime(2025, 3, 2, tzinfo=utc))
    assert keep(entry())
    assert not keep(entry(pack="vara"))
    assert not keep(entry(outcome="allow"))
    assert not keep(entry(time="2025-02-28T23:59:59+00:00"))
    assert not keep(entry(time="2025-03-02T00:00:00+00:00"))
    assert dlog.LogFilter(actions=frozenset({"close_channel"}))(entry()) is False
    assert dlog.LogFilter(request_id="r")(entry()) is True

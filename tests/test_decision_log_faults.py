"""The decision log in the field: rotation, amplification, failing writes, stable order.

Each test keeps a reproduction of issue 13 (kinds 8, 9 and 10). Failing disks are
simulated by replacing ``os.write``; no test asserts a speed, only how often something
happened within a bounded wait (fewer on a loaded machine, never more).
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
import time

import pytest

from engine.core import Engine
from engine.service import decision_log as dlog
from engine.service import log_writer
from tests.conftest import AT

DAY = AT.isoformat()
from tests.servers import ROOT, Server, log_lines, wait_for


def line(n: int, **extra) -> bytes:
    return (json.dumps({"n": n, "decision": {}, **extra}) + "\n").encode()


def numbers(path) -> list[int]:
    return [e["n"] for e in log_lines(path)]


def policy(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine", *args], text=True,
                          capture_output=True, cwd=ROOT, timeout=60,
                          env={**os.environ, **(env or {})})


# ---- 8. rotation -------------------------------------------------------------------------

def test_after_mv_new_entries_go_to_a_new_file_not_on_into_the_old(tmp_path):
    path, moved = tmp_path / "log", tmp_path / "log.1"
    with dlog.LogWriter(path, flush_interval=0) as writer:
        writer.submit([line(1)])
        path.rename(moved)
        writer.submit([line(2)])
        writer.submit([line(3)])
    assert numbers(moved) == [1]
    assert numbers(path) == [2, 3]


def test_after_the_rotated_file_is_compressed_and_removed_entries_are_not_lost(tmp_path):
    import gzip
    path, moved = tmp_path / "log", tmp_path / "log.1"
    writer = dlog.LogWriter(path, flush_interval=0.01).open()
    writer.submit([line(1)])
    wait_for(lambda: numbers(path) == [1])
    path.rename(moved)                                          # mv log log.1
    (tmp_path / "log.1.gz").write_bytes(gzip.compress(moved.read_bytes()))
    moved.unlink()                                              # gzip log.1
    writer.submit([line(2)])
    wait_for(lambda: numbers(path) == [2])
    writer.close()
    assert numbers(path) == [2]
    assert gzip.decompress((tmp_path / "log.1.gz").read_bytes()) == line(1)


def test_reopen_moves_on_to_the_path_and_keeps_what_is_buffered(tmp_path):
    path, moved = tmp_path / "log", tmp_path / "log.1"
    writer = dlog.LogWriter(path, flush_interval=60).open()     # holds entries for a minute
    writer.submit([line(1), line(2)])
    path.rename(moved)
    path.write_bytes(line(0))         # a new file already made by the rotation tool
    writer.reopen()
    writer.submit([line(3)])
    writer.close()
    assert numbers(moved) == []
    assert numbers(path) == [0, 1, 2, 3]


def test_reopen_is_a_no_op_before_open_and_after_close(tmp_path):
    writer = dlog.LogWriter(tmp_path / "log", flush_interval=0)
    writer.reopen()
    writer.open()
    writer.submit([line(1)])
    writer.close()
    writer.reopen()
    assert numbers(tmp_path / "log") == [1]


def test_reopen_from_a_signal_handler_in_the_middle_of_a_write_does_not_deadlock(
        tmp_path, monkeypatch):
    """A SIGHUP handler runs on the main thread, possibly while it is writing."""
    path, moved = tmp_path / "log", tmp_path / "log.1"
    writer = dlog.LogWriter(path, flush_interval=0).open()
    real_write = log_writer.os.write
    calls = []

    def write_interrupted_by_reopen(fd, data):
        if not calls:
            calls.append(fd)
            path.rename(moved)
            writer.reopen()                 # as a signal handler would, on this thread
        return real_write(fd, data)

    monkeypatch.setattr(log_writer.os, "write", write_interrupted_by_reopen)
    writer.submit([line(1)])
    monkeypatch.setattr(log_writer.os, "write", real_write)
    writer.submit([line(2)])
    writer.close()
    assert numbers(moved) == [1]            # the write in progress finished where it began
    assert numbers(path) == [2]


def test_reopen_while_threads_write_and_files_rotate_loses_nothing(tmp_path):
    path = tmp_path / "log"
    writer = dlog.LogWriter(path, flush_interval=0.001, max_batch=50).open()

    def write(w: int) -> None:
        for i in range(400):
            writer.submit([line(i, w=w)])

    threads = [threading.Thread(target=write, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    for k in range(20):                       # rotate while they write
        if path.exists():
            path.rename(tmp_path / f"log.{k}")
        writer.reopen()
    for t in threads:
        t.join()
    writer.close()
    got = [(e["w"], e["n"]) for f in tmp_path.iterdir() if f.name.startswith("log")
           and not f.name.endswith(".partial") for e in log_lines(f)]
    assert sorted(got) == [(w, i) for w in range(3) for i in range(400)]


def test_the_plugin_reopens_its_writer(tmp_path):
    path, moved = tmp_path / "log", tmp_path / "log.1"
    writer = dlog.LogWriter(path, flush_interval=60).open()
    plugin = dlog.DecisionLog(writer.submit)
    engine = Engine.load(plugins=[plugin])
    engine.decide("norsjo", "close_channel", {}, AT)
    path.rename(moved)
    plugin.reopen()
    writer.close()
    assert [e["pack"] for e in log_lines(path)] == ["norsjo"]
    dlog.DecisionLog([].extend).reopen()          # a sink of another kind: nothing to do


def test_the_service_writes_to_a_new_file_after_mv(tmp_path):
    log, moved = tmp_path / "decisions.jsonl", tmp_path / "decisions.jsonl.1"
    s = Server(tmp_path, "--decision-log", str(log), "--flush-interval", "0.02").start()
    body = {"pack": "vara", "action": "close_channel", "at": DAY}
    try:
        assert s.post("/v1/decide", body, headers={"X-Request-ID": "before"}).status == 200
        wait_for(lambda: len(log_lines(log, writing=True)) == 1)
        log.rename(moved)
        assert s.post("/v1/decide", body, headers={"X-Request-ID": "after"}).status == 200
        wait_for(lambda: len(log_lines(log, writing=True)) == 1)
    finally:
        s.stop()
    assert [e["request_id"] for e in log_lines(moved)] == ["before"]
    assert [e["request_id"] for e in log_lines(log)] == ["after"]


# ---- 9. amplification ----------------------------------------------------------------------

def test_a_shared_authzen_subject_is_not_copied_into_every_entry(tmp_path):
    """The reproduction: 1,000 `{}` items under a 100 KB default subject wrote 101 MB."""
    log = tmp_path / "decisions.jsonl"
    properties = {"pack": "tyreso", "notes": ["x" * 100 for _ in range(1000)]}
    body = {"subject": {"type": "municipality", "id": "tyreso", "properties": properties},
            "action": {"name": "close_channel"},
            "resource": {"type": "channel", "id": "c-1", "properties": {}},
            "context": {"at": DAY}, "evaluations": [{}] * 1000}
    size = len(json.dumps(body))
    s = Server(tmp_path, "--decision-log", str(log), "--flush-interval", "0.02").start()
    try:
        reply = s.post("/access/v1/evaluations", body, headers={"X-Request-ID": "amp"})
        assert reply.status == 200 and len(reply.json["evaluations"]) == 1000
        entries = wait_for(lambda: (lambda e: e if len(e) == 1000 else None)(log_lines(log, writing=True)))
    finally:
        s.stop()
    assert log.stat().st_size < 2 * 1024 * 1024, (log.stat().st_size, size)
    whole = json.dumps(properties, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    for entry in entries[:3] + entries[-3:]:
        assert entry["authzen"]["subject"] == {"type": "municipality", "id": "tyreso",
                                               "properties": None}
        assert entry["cut"] == {"authzen.subject.properties": {
            "size": len(whole), "sha256": hashlib.sha256(whole.encode()).hexdigest()}}
        assert entry["request"]["action"] == "close_channel"


def test_small_authzen_details_are_logged_whole(engine):
    from engine.service import authzen
    parts = authzen.evaluation_request({
        "subject": {"type": "municipality", "id": "tyreso", "properties": {"unit": "hr"}},
        "action": {"name": "close_channel"}, "resource": {"type": "channel", "id": "c"},
        "context": {"at": DAY, "user": "anna"}})
    details, cut = authzen.LogDetails()(parts)
    assert details == {"subject": {"type": "municipality", "id": "tyreso",
                                   "properties": {"unit": "hr"}},
                       "resource": {"type": "channel", "id": "c"},
                       "context": {"at": DAY, "user": "anna"}}
    assert cut == {}


def test_long_strings_are_cut_short_with_their_length_and_digest(engine):
    lines: list[bytes] = []
    engine.register(plugin := dlog.DecisionLog(lines.extend))
    try:
        platform = "é" * 50_000
        engine.decide("vara", "create_channel", {"account_type": "private",
                                                 "platform": platform}, AT)
    finally:
        engine.unregister(plugin)
    (raw,) = lines
    assert len(raw) < 8 * 1024
    entry = json.loads(raw)
    logged = entry["request"]["facts"]["platform"]
    assert len(logged) == dlog.MAX_TEXT and logged.endswith("…")
    assert entry["cut"] == {"request.facts.platform": {
        "size": 50_000, "sha256": hashlib.sha256(platform.encode()).hexdigest()}}


def test_an_entry_without_cuts_says_so():
    assert dlog.bounded({"a": ["b", 1, None]}, "x", cut := {}) == {"a": ["b", 1, None]}
    assert cut == {}
    assert dlog.bounded({"a": "b" * 5000}, "x", cut, limit=100) is None
    assert cut["x"]["size"] == len('{"a":""}') + 5000


# ---- 9. failing writes: back off, report now and then, keep a bounded buffer ----------------

@pytest.fixture
def full_disk(monkeypatch):
    """``os.write`` fails with ENOSPC until ``disk.fixed = True``; counts the attempts."""
    real_write = log_writer.os.write

    class Disk:
        fixed = False
        attempts = 0

    def write(fd, data):
        if Disk.fixed:
            return real_write(fd, data)
        Disk.attempts += 1
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(log_writer.os, "write", write)
    return Disk


def test_failing_writes_back_off_instead_of_spinning(tmp_path, full_disk, caplog):
    """The reproduction: 2,000 entries pending and a full disk spun at 99 % CPU."""
    caplog.set_level(logging.INFO, logger="policy.decision_log")
    path = tmp_path / "log"
    writer = dlog.LogWriter(path, flush_interval=0.01, max_batch=100, retry_delay=0.05,
                            max_retry_delay=0.2, report_every=60).open()
    writer.submit([line(i) for i in range(5000)])
    wait_for(lambda: full_disk.attempts >= 1)
    time.sleep(0.6)
    # a spinning thread makes thousands of attempts here; a back-off about five
    assert full_disk.attempts <= 15
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "5000 entries pending" in errors[0].getMessage()
    full_disk.fixed = True
    wait_for(lambda: writer.written == 5000)
    writer.close()
    assert numbers(path) == list(range(5000))
    assert any("written again" in r.getMessage() for r in caplog.records)


def test_the_failure_is_reported_once_in_a_while_with_counts(tmp_path, full_disk, caplog):
    caplog.set_level(logging.INFO, logger="policy.decision_log")
    writer = dlog.LogWriter(tmp_path / "log", flush_interval=0, retry_delay=0, report_every=0,
                            max_pending=1000)
    writer.open()
    writer.submit([line(i) for i in range(3)])            # fails: the first report
    writer.submit([line(100 + i) for i in range(200)])    # past max_pending: some dropped
    writer.submit([line(1000)])                           # dropped too, and fails again
    reports = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(reports) == 3                  # report_every=0: every failure is reported
    assert "3 entries pending, 0 dropped" in reports[0]
    reported = [int(m.split(" dropped")[0].rsplit(" ", 1)[1]) for m in reports]
    assert sum(reported) == writer.dropped > 150
    full_disk.fixed = True
    writer.submit([])
    writer.close()
    kept = numbers(tmp_path / "log")
    assert kept[:3] == [0, 1, 2] and len(kept) + writer.dropped == 204


def test_a_cli_run_whose_entries_cannot_be_written_fails_with_one_message(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    result = policy("decide", "vara", "close_channel", "--at", DAY, "--decision-log",
                    "/dev/full")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        "error: cannot append to the decision log /dev/full: 1 decision(s) could not be written")


# ---- 9. an unwritable PATH.partial --------------------------------------------------------

@pytest.fixture
def stuck_partial(tmp_path):
    """A log ending in a partial line whose PATH.partial cannot be written (a folder)."""
    path = tmp_path / "log"
    path.write_bytes(line(1) + b'{"n": 2, "deci')
    (tmp_path / "log.partial").mkdir()
    return path


def test_an_unwritable_partial_file_is_a_clear_error_when_opening(stuck_partial):
    with pytest.raises(OSError) as raised:
        dlog.LogWriter(stuck_partial, flush_interval=0).open()
    assert "cannot be set aside in" in raised.value.strerror
    assert raised.value.filename == str(stuck_partial) + ".partial"


def test_serve_and_decide_refuse_an_unwritable_partial_file_with_exit_2(stuck_partial):
    for args in (["serve", "--port", "0"], ["decide", "vara", "close_channel", "--at", DAY]):
        result = policy(*args, "--decision-log", str(stuck_partial))
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        (message,) = result.stderr.splitlines()
        assert "partial line" in message and "log.partial" in message


def test_a_service_worker_holds_entries_until_the_file_can_be_repaired(stuck_partial, caplog):
    caplog.set_level(logging.INFO, logger="policy.decision_log")
    writer = dlog.LogWriter(stuck_partial, flush_interval=0.01, retry_delay=0.01,
                            max_retry_delay=0.05).open(retry=True)
    writer.submit([line(3)])
    assert any("cannot be set aside" in r.getMessage() for r in caplog.records)
    (stuck_partial.parent / "log.partial").rmdir()
    wait_for(lambda: writer.written == 1)
    writer.close()
    assert numbers(stuck_partial) == [1, 3]


# ---- 10. order -----------------------------------------------------------------------------

SET_FACT_RUN = """
from engine.core import Engine
from engine.service import decision_log as dlog
lines = []
engine = Engine.load(plugins=[dlog.DecisionLog(lines.extend)])
engine.decide("vara", "create_channel", {"account_type": "private", "credentials_held_by": {
    "communicator", "manager", "department_head", "website_owner", "information_officer"}},
    "2025-01-01")
import json
print(json.dumps(json.loads(lines[0])["request"]))
"""


def test_a_set_valued_fact_is_logged_sorted_whatever_the_hash_seed():
    outputs = {subprocess.run([sys.executable, "-c", SET_FACT_RUN], capture_output=True,
                              text=True, cwd=ROOT, timeout=60, check=True,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
               for seed in range(4)}
    (output,) = outputs
    assert json.loads(output)["facts"]["credentials_held_by"] == [
        "communicator", "department_head", "information_officer", "manager", "website_owner"]


def test_a_set_valued_fact_given_as_a_list_is_logged_sorted(engine):
    lines: list[bytes] = []
    engine.register(plugin := dlog.DecisionLog(lines.extend))
    try:
        engine.decide_request({"pack": "vara", "action": "create_channel", "at": DAY, "facts": {
            "account_type": "private", "credentials_held_by": ["manager", "communicator"]}})
    finally:
        engine.unregister(plugin)
    assert json.loads(lines[0])["request"]["facts"]["credentials_held_by"] == [
        "communicator", "manager"]


def test_sets_anywhere_in_json_output_are_sorted():
    from engine.serialization import to_json
    assert to_json({"a": [{3, 1, "x", 2.5}], "b": frozenset({"q", "b"})}) == {
        "a": [[1, 2.5, 3, "x"]], "b": ["b", "q"]}

"""``policy decide --input`` with JSON Lines: one request per line in, one decision per line
out, streamed; a bad line named by its number; a progress bar only on a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.serialization import to_json

ROOT = Path(__file__).resolve().parent.parent

LIKE = {"pack": "tyreso", "action": "like_page", "facts": {"page_category": "commercial"},
        "at": "2025-01-01"}
CLOSE = {"pack": "vara", "action": "close_channel", "facts": {}, "at": "2025-01-01"}
NO_AT = {"pack": "toreboda", "action": "like_page", "facts": {"page_category": "own"}}


def policy(*args: str, stdin: str | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *args], input=stdin, text=True,
                          capture_output=True, cwd=ROOT, timeout=120, **kwargs)


def lines(*requests) -> str:
    return "".join(json.dumps(r) + "\n" for r in requests)


def test_a_jsonl_file_is_answered_one_decision_per_line(engine, tmp_path):
    path = tmp_path / "requests.jsonl"
    path.write_text(lines(LIKE, CLOSE, LIKE), encoding="utf-8")
    r = policy("decide", "--input", str(path), "--format", "json")
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert [json.loads(line) for line in out] == [
        to_json(engine.decide_request(q)) for q in (LIKE, CLOSE, LIKE)]
    assert r.stderr == ""                          # no progress bar: stderr is a pipe


def test_lines_are_told_from_a_document_by_their_shape(engine):
    # two lines, each a whole object, on standard input: JSON Lines
    r = policy("decide", "--input", "-", "--format", "json", stdin=lines(LIKE, CLOSE) + "\n\n")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 2
    # one object, even spread over lines: one decision, as before
    r = policy("decide", "--input", "-", "--format", "json", stdin=json.dumps(LIKE, indent=2))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == to_json(engine.decide_request(LIKE))
    r = policy("decide", "--input", "-", "--format", "json", stdin=lines(LIKE))
    assert json.loads(r.stdout) == to_json(engine.decide_request(LIKE))
    # a list: a JSON list of decisions, as before
    r = policy("decide", "--input", "-", "--format", "json", stdin=json.dumps([LIKE, CLOSE]))
    assert [d["pack"] for d in json.loads(r.stdout)] == ["tyreso", "vara"]


def test_a_file_named_jsonl_is_lines_even_with_one_line(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(LIKE), encoding="utf-8")
    r = policy("decide", "--input", str(path), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert "\n" not in r.stdout.rstrip("\n") and json.loads(r.stdout)["outcome"] == "deny"


def test_text_output_separates_the_decisions_with_a_blank_line():
    r = policy("decide", "--input", "-", stdin=lines(LIKE, CLOSE))
    assert r.returncode == 0, r.stderr
    blocks = r.stdout.rstrip("\n").split("\n\n")
    assert blocks[0] == "Tyresö kommun · like a page (like_page) · 2025-01-01: DENY"
    assert any(b.startswith("Vara kommun · close a channel (close_channel) · 2025-01-01: ")
               for b in blocks)


def test_at_applies_to_the_lines_that_give_none():
    r = policy("decide", "--input", "-", "--format", "json", "--at", "2024-06-01",
               stdin=lines(NO_AT, LIKE))
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["at"] for line in r.stdout.splitlines()] == ["2024-06-01",
                                                                         "2025-01-01"]


@pytest.mark.parametrize("bad, message", [
    ('{"pack": "tyreso", "action": "like_pag", "facts": {}}',
     "line 3: unknown action 'like_pag' (did you mean 'like_page'?)"),
    ("{not json", "line 3: the request is not valid JSON"),
    ('{"pack": "tyreso", "pack": "vara"}', "line 3: the request is not valid JSON here: the key "
                                          '"pack" appears twice'),
    ("[1, 2]", 'line 3: a request must be a JSON object with "pack", "action" and "facts"'),
])
def test_a_bad_line_stops_the_run_after_the_lines_before_it(bad, message):
    stdin = lines(LIKE) + "\n" + bad + "\n" + lines(CLOSE)
    r = policy("decide", "--input", "-", "--format", "json", stdin=stdin)
    assert r.returncode == 2
    assert [json.loads(line)["pack"] for line in r.stdout.splitlines()] == ["tyreso"]
    assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"error: --input <stdin> {message}"), r.stderr
    assert r.stderr.rstrip().endswith("the lines before it were decided, none after it")


def test_on_error_continue_reports_each_bad_line_in_its_place():
    stdin = lines(LIKE) + "oops\n" + '{"pack": "nowhere", "action": "like_page", "facts": {}}\n' \
        + lines(CLOSE)
    r = policy("decide", "--input", "-", "--format", "json", "--on-error", "continue",
               stdin=stdin)
    assert r.returncode == 2
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o.get("pack") for o in out] == ["tyreso", None, None, "vara"]
    assert out[1]["line"] == 2 and out[1]["error"]["code"] == "malformed-json"
    assert out[2]["line"] == 3 and out[2]["error"]["path"] == "pack"
    assert out[2]["error"]["message"].startswith("unknown pack 'nowhere'")
    errors = r.stderr.splitlines()
    assert errors[0].startswith("error: --input <stdin> line 2: ")
    assert errors[1].startswith("error: --input <stdin> line 3: unknown pack 'nowhere'")
    assert errors[-1] == "error: --input <stdin>: 2 bad lines (reported above); 2 decided"


def test_the_decision_log_gets_the_decisions_written_and_no_others(tmp_path):
    log = tmp_path / "decisions.log"
    r = policy("decide", "--input", "-", "--decision-log", str(log), stdin=lines(LIKE, CLOSE, LIKE))
    assert r.returncode == 0, r.stderr
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [e["pack"] for e in entries] == ["tyreso", "vara", "tyreso"]
    assert entries[0]["source"] == "cli"
    log.unlink()
    r = policy("decide", "--input", "-", "--decision-log", str(log),
               stdin=lines(LIKE, CLOSE) + "{bad\n" + lines(LIKE))
    assert r.returncode == 2
    assert [json.loads(line)["pack"] for line in log.read_text(encoding="utf-8").splitlines()] \
        == ["tyreso", "vara"]


def test_a_pipe_gets_each_decision_before_the_next_line_is_written():
    proc = subprocess.Popen([sys.executable, "-m", "engine", "decide", "--input", "-",
                             "--format", "json"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        for request in (LIKE, CLOSE):
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
        # the first is decided once the second shows the input is JSON Lines
        assert json.loads(proc.stdout.readline())["pack"] == "tyreso"
        assert json.loads(proc.stdout.readline())["pack"] == "vara"
        proc.stdin.write(json.dumps(LIKE) + "\n")
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["pack"] == "tyreso"
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.wait()


def test_a_progress_bar_shows_on_a_terminal_only(tmp_path):
    import pty
    path = tmp_path / "requests.jsonl"
    path.write_text(lines(*([LIKE, CLOSE] * 200)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    leader, follower = pty.openpty()
    with open(out, "w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "engine", "decide", "--input", str(path),
                                 "--format", "json"], stdout=sink, stderr=follower, cwd=ROOT,
                                env=dict(os.environ, COLUMNS="100", TERM="xterm"))
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:          # the terminal is gone: the process ended
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.wait(timeout=120) == 0
    assert b"deciding" in shown
    assert len(out.read_text(encoding="utf-8").splitlines()) == 400


MEMORY = r"""
import resource, subprocess, sys
with open(sys.argv[1], "rb") as requests:
    done = subprocess.run([sys.executable, "-m", "engine", "decide", "--input", "-", "--format",
                           "json"], stdin=requests, stdout=subprocess.DEVNULL)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_kib(path: Path) -> int:
    r = subprocess.run([sys.executable, "-c", MEMORY, str(path)], capture_output=True,
                       text=True, cwd=ROOT, timeout=600, check=True)
    status, peak = r.stdout.split()
    assert status == "0", r.stderr
    return int(peak)


def test_a_long_stream_runs_in_bounded_memory(tmp_path):
    request = [LIKE, CLOSE, NO_AT]
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    small.write_text(lines(*(request * 100)), encoding="utf-8")
    with open(large, "w", encoding="utf-8") as f:
        for _ in range(100_002 // 3):
            f.write(lines(*request))
    # 100,000 decisions kept, or their lines, would be 100 MiB and more; a stream keeps none
    assert peak_kib(large) < peak_kib(small) + 16 * 1024


def test_a_named_pipe_ending_in_jsonl_is_answered_line_by_line(tmp_path):
    fifo = tmp_path / "requests.jsonl"
    os.mkfifo(fifo)
    proc = subprocess.Popen([sys.executable, "-m", "engine", "decide", "--input", str(fifo),
                             "--format", "json"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        with open(fifo, "w", encoding="utf-8") as requests:
            for request in (LIKE, CLOSE):
                requests.write(json.dumps(request) + "\n")
                requests.flush()
                # answered before the next request is written, the first one too
                assert json.loads(proc.stdout.readline())["pack"] == request["pack"]
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.wait()

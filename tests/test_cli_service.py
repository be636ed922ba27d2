"""``policy serve``'s own checks, ``policy decide --decision-log`` and ``policy log``."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys

from tests.servers import ROOT, log_lines

AT = "2025-01-01"


def policy(*args: str, stdin: str | None = None, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "engine", *args], input=stdin, text=True,
                          capture_output=True, cwd=ROOT, timeout=60,
                          env={**os.environ, **(env or {})})


def test_serve_refuses_bad_options_with_one_line(tmp_path):
    (tmp_path / "empty-tokens").write_text("# none\n\n")
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        cases = [
            (["--token-file", str(tmp_path / "empty-tokens")], "holds no token"),
            (["--token-file", str(tmp_path / "missing")], "No such file"),
            (["--packs", str(tmp_path / "nowhere")], "no such file or folder"),
            (["--packs", str(tmp_path)], "holds no .policy file"),
            (["--no-installed"], "name at least one"),
            (["--decision-log", str(tmp_path / "no" / "log.jsonl")], "cannot append"),
            (["--port", str(taken.getsockname()[1])], "cannot listen on 127.0.0.1:"),
            # numbers are said as numbers, ranges in words (not click's "integer range")
            (["--port", "abc"], "--port: 'abc' is not a valid whole number"),
            (["--port", "70000"], "--port: 70000 is out of range: give a whole number from 0 "
                                  "to 65535"),
            (["--workers", "0"], "--workers: 0 is out of range: give a whole number from 1 to 64"),
            (["--flush-interval", "soon"], "--flush-interval: 'soon' is not a valid number"),
            (["--max-batch", "0"], "--max-batch: 0 is out of range: give a whole number 1 or more"),
        ]
        for args, words in cases:
            r = policy("serve", *args)
            assert r.returncode == 2, (args, r.stderr)
            assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: "), r.stderr
            assert words in r.stderr, r.stderr
    finally:
        taken.close()


def test_policy_decide_records_when_asked_and_only_what_succeeded(tmp_path):
    path = tmp_path / "cli.jsonl"
    ok = policy("decide", "tyreso", "like_page", "--facts", '{"page_category": "commercial"}',
                "--at", AT, "--decision-log", str(path))
    assert ok.returncode == 0, ok.stderr
    many = [{"pack": "vara", "action": "close_channel"},
            {"pack": "vara", "action": "close_channel", "facts": {"nope": 1}}]
    bad = policy("decide", "--input", "-", stdin=json.dumps(many),
                 env={"POLICY_DECISION_LOG": str(path)})
    assert bad.returncode == 2
    by_env = policy("decide", "--input", "-", stdin=json.dumps(many[:1]),
                    env={"POLICY_DECISION_LOG": str(path)})
    assert by_env.returncode == 0
    entries = log_lines(path)
    assert [(e["pack"], e["source"]) for e in entries] == [("tyreso", "cli"), ("vara", "cli")]
    unwritable = policy("decide", "tyreso", "close_channel", "--decision-log",
                        str(tmp_path / "missing" / "x.jsonl"))
    assert unwritable.returncode == 2
    assert unwritable.stderr.startswith("error: cannot append to the decision log")


def test_policy_log_shows_and_filters(tmp_path):
    path = tmp_path / "log.jsonl"
    for facts in ({"page_category": "own"}, {"page_category": "commercial"}):
        policy("decide", "tyreso", "like_page", "--facts", json.dumps(facts), "--at", AT,
               "--decision-log", str(path))
    policy("decide", "vara", "close_channel", "--decision-log", str(path))
    with open(path, "ab") as f:
        f.write(b'{"torn')
    shown = policy("log", str(path))
    assert shown.returncode == 0
    lines = shown.stdout.splitlines()
    assert len(lines) == 3 and "tyreso 1.2.0  like_page  ALLOW" in lines[0]
    assert "DENY (likes-only-listed-pages, no-likes-for-companies-or-parties)" in lines[1]
    assert shown.stderr == f"warning: {path}:4: a partial last line (the writer was " \
                           f"interrupted); skipped\n"
    denied = policy("log", str(path), "--outcome", "deny", "--format", "json")
    assert [json.loads(x)["decision"]["outcome"] for x in denied.stdout.splitlines()] == ["deny"]
    vara = policy("log", str(path), "--pack", "vara", "--action", "close_channel")
    assert len(vara.stdout.splitlines()) == 1
    today = dt.date.today()
    span = policy("log", str(path), "--since", (today - dt.timedelta(days=1)).isoformat(),
                  "--until", (today + dt.timedelta(days=1)).isoformat())
    assert len(span.stdout.splitlines()) == 3
    none = policy("log", str(path), "--until", "2020-01-01")
    assert none.stdout == ""
    for args, words in ((["--action", "like_pages"], "did you mean 'like_page'"),
                        (["--since", "yesterday"], "give a date")):
        r = policy("log", str(path), *args)
        assert r.returncode == 2 and words in r.stderr and r.stderr.count("\n") == 1
    assert policy("log", str(tmp_path / "none.jsonl")).returncode == 2

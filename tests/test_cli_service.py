"""``policy serve``'s own checks of its options."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from tests.servers import ROOT


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
        ]
        for args, words in cases:
            r = policy("serve", *args)
            assert r.returncode == 2, (args, r.stderr)
            assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: "), r.stderr
            assert words in r.stderr, r.stderr
    finally:
        taken.close()

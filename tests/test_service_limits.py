"""The HTTP server's limits, disconnects, tokens across workers and SIGHUP (issue 13, 5–7).

Each test runs the real ``policy serve`` on loopback and talks to it over raw sockets
where the client must misbehave. Every wait is bounded; the tests assert what the
server does (the status, that the connection is closed, what the log says), not how
fast it does it.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from engine.service.app import Service, ServiceConfig
from tests.servers import Server, log_lines, signal, wait_for

DECIDE = {"pack": "tyreso", "action": "close_channel"}


def read_all(c: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (bounded by c's timeout)."""
    answer = b""
    try:
        while chunk := c.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass
    return answer


def body_of(answer: bytes) -> dict:
    return json.loads(answer.split(b"\r\n\r\n", 1)[1])


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("limited")
    s = Server(tmp, "--max-header-size", "8192", "--header-timeout", "0.5",
               "--body-timeout", "0.5", "--keep-alive-timeout", "1",
               "--decision-log", str(tmp / "log.jsonl"), "--flush-interval", "0.05").start()
    s.log = tmp / "log.jsonl"
    yield s
    s.stop()


# ---- header size ----------------------------------------------------------------------------

def test_a_huge_header_is_refused_with_431_before_it_is_read_whole(limited):
    sent = 0
    with socket.create_connection(("127.0.0.1", limited.port), timeout=10) as c:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        try:
            for _ in range(1024):                 # up to 64 MB, as in the report
                c.sendall(b"a" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = read_all(c)
    assert sent < 8 * 1048576                    # refused long before the 64 MB were sent
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert body_of(answer)["error"]["code"] == "header-too-large"
    assert "8192" in body_of(answer)["error"]["message"]
    assert limited.get("/healthz").status == 200


def test_many_headers_count_together_and_a_header_under_the_limit_is_served(limited):
    assert limited.get("/healthz", headers={"X-Fill": "a" * 7000}).status == 200
    many = {f"X-H{i}": "b" * 90 for i in range(100)}          # about 10 KB together
    with socket.create_connection(("127.0.0.1", limited.port), timeout=10) as c:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(
            f"{k}: {v}\r\n".encode() for k, v in many.items()) + b"\r\n")
        answer = read_all(c)
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_headers_of_kept_alive_requests_are_counted_per_request(limited):
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Fill: " + b"c" * 3000 + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", limited.port), timeout=10) as c:
        for _ in range(5):                       # 15 KB over one connection, 3 KB a request
            c.sendall(request)
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                answer += c.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 "), answer[:100]


def test_a_large_body_is_no_header_of_the_next_request(limited):
    """The last piece of a body, read with the end of its request, was counted as the
    next request's header section: a body whose last read was over the limit got 431."""
    for size in (20_000, 40_000, 90_000, 200_000):
        body = json.dumps({**DECIDE, "facts": {}, "x": "a" * size}).encode()
        reply = limited.call("POST", "/v1/decide", raw=body)
        assert reply.status == 422, (size, reply.body[:200])     # read whole, then judged
        assert reply.json["error"]["message"].startswith("$: unknown field(s) 'x'")


# ---- timeouts ---------------------------------------------------------------------------------

def test_a_client_that_sends_its_headers_too_slowly_gets_408_and_is_closed(limited):
    with socket.create_connection(("127.0.0.1", limited.port), timeout=10) as c:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")      # and never the rest
        answer = read_all(c)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    assert body_of(answer)["error"]["code"] == "header-timeout"


def test_a_connection_that_sends_nothing_is_closed(limited):
    with socket.create_connection(("127.0.0.1", limited.port), timeout=10) as c:
        assert read_all(c) == b""


def test_a_client_that_sends_its_body_too_slowly_gets_408_and_is_closed(limited):
    body = json.dumps(DECIDE).encode()
    with socket.create_connection(("127.0.0.1", limited.port), timeout=10) as c:
        c.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nX-Request-ID: slow-body\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (len(body), body[:10]))
        answer = read_all(c)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    assert b"connection: close" in answer.lower()
    assert body_of(answer)["error"] == {
        "code": "body-timeout", "path": "$",
        "message": "the request body did not arrive within 0.5 seconds (10 bytes came); "
                   "send it at once"}
    time.sleep(0.2)
    assert not [e for e in log_lines(limited.log) if e["request_id"] == "slow-body"]


def test_an_idle_kept_alive_connection_is_closed(limited):
    with socket.create_connection(("127.0.0.1", limited.port), timeout=10) as c:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = read_all(c)            # the answer, then the close after --keep-alive-timeout
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"}")


def test_a_body_over_the_limit_closes_the_connection(limited):
    with socket.create_connection(("127.0.0.1", limited.port), timeout=10) as c:
        c.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n")
        answer = read_all(c)
    assert answer.startswith(b"HTTP/1.1 413 ") and b"connection: close" in answer.lower()


# ---- disconnects, trailing slashes, Host -------------------------------------------------------

def test_a_client_gone_mid_body_is_one_info_line_not_a_500(limited):
    body = json.dumps(DECIDE).encode()
    for i in range(20):
        with socket.create_connection(("127.0.0.1", limited.port), timeout=10) as c:
            c.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nX-Request-ID: gone-%d\r\n"
                      b"Content-Length: %d\r\n\r\n%s" % (i, len(body) + 100, body))
    wait_for(lambda: limited.stderr.count("closed the connection after") >= 20)
    lines = [line for line in limited.stderr.splitlines() if "gone-" in line]
    assert len(lines) == 20 and all(line.startswith("INFO:") for line in lines), lines
    assert "Traceback" not in limited.stderr and "internal" not in limited.stderr
    assert limited.get("/healthz").status == 200


@pytest.mark.parametrize("method, path", [("POST", "/v1/decide/"), ("GET", "/healthz/"),
                                          ("POST", "/v1/decide/batch/"), ("GET", "/v1/packs/")])
def test_a_trailing_slash_is_404_never_a_redirect_built_from_host(limited, method, path):
    reply = limited.call(method, path, DECIDE, headers={"Host": "evil.example"})
    assert reply.status == 404 and "location" not in reply.headers
    assert reply.json["error"]["code"] == "not-found"
    assert f"did you mean {path.rstrip('/')}?" in reply.json["error"]["message"]


def test_authzen_discovery_uses_a_host_only_when_it_is_one(limited):
    good = limited.get("/.well-known/authzen-configuration", headers={"Host": "pdp.example:8181"})
    assert good.json["policy_decision_point"] == "http://pdp.example:8181"
    for bad in ("evil.example/phish?", "a b", "x@evil.example", "-dash.example"):
        reply = limited.get("/.well-known/authzen-configuration", headers={"Host": bad})
        assert reply.json["policy_decision_point"] == f"http://127.0.0.1:{limited.port}"


def test_a_connection_over_the_concurrency_limit_gets_503(tmp_path):
    s = Server(tmp_path, "--limit-concurrency", "3").start()
    idle = [socket.create_connection(("127.0.0.1", s.port), timeout=10) for _ in range(3)]
    try:
        time.sleep(0.2)
        assert s.get("/healthz").status == 503
    finally:
        for c in idle:
            c.close()
        s.stop()


# ---- tokens in every worker ---------------------------------------------------------------------

def workers_of(server: Server) -> set[int]:
    """The pids of the worker processes under a ``--workers N`` server."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if (int(stat.rsplit(")", 1)[1].split()[1]) == server.process.pid
                and b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline):
            found.add(int(entry.name))
    return found


def accepted(server: Server, token: str, calls: int = 40) -> int:
    return sum(server.get("/v1/packs", headers={"Authorization": f"Bearer {token}"}).status
               == 200 for _ in range(calls))


def replace(path: Path, text: str) -> None:
    (path.parent / "tokens.new").write_text(text)
    os.replace(path.parent / "tokens.new", path)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds workers in /proc")
def test_every_worker_accepts_the_same_tokens_at_every_moment(tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("old-token\n")
    s = Server(tmp_path, "--workers", "2", "--token-file", str(tokens)).start()
    try:
        wait_for(lambda: len(workers_of(s)) == 2, timeout=20)
        assert accepted(s, "old-token") == 40
        replace(tokens, "new-token\n")
        assert (accepted(s, "new-token"), accepted(s, "old-token")) == (40, 0)
        # a worker that dies is replaced by one that reads the same file
        first = workers_of(s)
        os.kill(min(first), signal.SIGKILL)
        wait_for(lambda: len(workers_of(s)) == 2 and workers_of(s) != first, timeout=30)
        assert (accepted(s, "new-token"), accepted(s, "old-token")) == (40, 0)
        # a missing file: no token is accepted, and a new worker starts all the same
        tokens.unlink()
        assert accepted(s, "new-token") == 0
        second = workers_of(s)
        os.kill(min(second), signal.SIGKILL)
        wait_for(lambda: len(workers_of(s)) == 2 and workers_of(s) != second, timeout=30)
        wait_for(lambda: s.get("/healthz").status == 200)
        assert s.process.poll() is None
        assert accepted(s, "new-token") == 0
        replace(tokens, "# back\nnew-token\n")
        assert accepted(s, "new-token") == 40
    finally:
        s.stop()
    assert "no token is accepted until it is fixed" in s.stderr
    assert "tokens accepted again" in s.stderr


# ---- SIGHUP --------------------------------------------------------------------------------------

def test_sighup_reloads_tokens_and_reopens_the_log_without_stopping(tmp_path):
    log, tokens = tmp_path / "log.jsonl", tmp_path / "tokens"
    tokens.write_text("t1\n")
    # a long flush interval: the 300 entries are still in memory at the SIGHUP
    s = Server(tmp_path, "--decision-log", str(log), "--flush-interval", "10",
               "--token-file", str(tokens)).start()
    auth = {"Authorization": "Bearer t1"}
    try:
        for i in range(300):
            assert s.post("/v1/decide", DECIDE, headers={**auth, "X-Request-ID": f"b{i}"}
                          ).status == 200
        os.replace(log, tmp_path / "log.1")      # rotated: SIGHUP moves on to a new file
        s.send_signal(signal.SIGHUP)
        wait_for(lambda: "SIGHUP: reading the token file" in s.stderr)
        assert s.process.poll() is None
        assert s.post("/v1/decide", DECIDE, headers={**auth, "X-Request-ID": "after"}
                      ).status == 200
    finally:
        assert s.stop() in (0, -signal.SIGTERM)
    ids = [e["request_id"] for e in log_lines(tmp_path / "log.1") + log_lines(log)]
    assert sorted(ids) == sorted([f"b{i}" for i in range(300)] + ["after"])
    assert [e["request_id"] for e in log_lines(log)][-1] == "after"


def test_sighup_with_two_workers_replaces_them_and_keeps_every_entry(tmp_path):
    log = tmp_path / "log.jsonl"
    s = Server(tmp_path, "--workers", "2", "--decision-log", str(log),
               "--flush-interval", "10").start()
    try:
        for i in range(50):
            assert s.post("/v1/decide", DECIDE, headers={"X-Request-ID": f"h{i}"}).status == 200
        s.send_signal(signal.SIGHUP)
        wait_for(lambda: "Received SIGHUP" in s.stderr)
        for i in range(50):
            assert s.post("/v1/decide", DECIDE, headers={"X-Request-ID": f"k{i}"}).status == 200
        assert s.process.poll() is None
    finally:
        assert s.stop() in (0, -signal.SIGTERM)
    ids = sorted(e["request_id"] for e in log_lines(log))
    assert ids == sorted([f"h{i}" for i in range(50)] + [f"k{i}" for i in range(50)])


def test_hangup_asks_a_decision_log_that_can_reopen(tmp_path):
    calls = []

    class Reopening:
        path = "x"

        def reopen(self) -> None:
            calls.append("reopen")

    service = Service(ServiceConfig())
    service.hangup()                               # no log, no tokens: nothing to do
    service.writer = Reopening()                   # type: ignore[assignment]
    service.hangup()
    assert calls == ["reopen"]

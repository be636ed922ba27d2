"""Fault run: ``policy serve`` against misbehaving clients, on loopback.

    python bench/faults.py                       # every scenario, about a minute
    python bench/faults.py --slow 300 --nofile 256 --header-timeout 2 --body-timeout 2

Starts the service on a free loopback port (one worker, a decision log) and runs, each
bounded in count and time:

- ``baseline``: ``GET /healthz`` calls/s from one keep-alive client, for ``--measure`` s;
- ``huge-header``: one client sends a 64 MB header in 64 KiB pieces while another
  calls ``/healthz``; reports what the server read before it refused, its answer, how
  long that took and the other client's calls/s meanwhile;
- ``slow-headers``: ``--slow`` clients each send a request line and then one header
  byte a second; reports how many the server answered 408 and closed, the calls/s of a
  healthy client meanwhile, and its failed calls (the service runs with the open-file
  limit ``--nofile``, so slow clients holding sockets would starve it);
- ``slow-bodies``: the same with whole headers and a body that trickles in;
- ``aborts``: ``--aborts`` clients send half a body and close; reports the lines and
  bytes the server wrote to stderr and the tracebacks among them.

Prints one JSON object of figures. Standard library only; not a test (the figures
depend on the machine).
"""

from __future__ import annotations

if not __package__:          # run as a file, python bench/NAME.py: import bench from the checkout
    import os as _os
    import sys as _sys
    _sys.path[0] = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))

import argparse
import http.client
import json
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from bench import ports

ROOT = Path(__file__).resolve().parent.parent
BODY = json.dumps({"pack": "tyreso", "action": "close_channel"}).encode()




class Service:
    def __init__(self, tmp: Path, nofile: int, *args: str, port: int = 0) -> None:
        self.port = ports.choose(port)
        self.err = tmp / "serve.err"
        command = [sys.executable, "-m", "engine", "serve", "--port", str(self.port),
                   "--decision-log", str(tmp / "log.jsonl"), *args]
        self.command = " ".join(command[1:])

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=open(self.err, "wb"), preexec_fn=limit)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if healthz(self.port, 1) == 200:
                ports.announce(self.port)
                return
            time.sleep(0.1)
        raise SystemExit(f"policy serve did not start:\n{self.err.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def healthz(port: int, timeout: float = 5) -> int:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("GET", "/healthz")
        status = c.getresponse().status
        c.close()
        return status
    except (OSError, http.client.HTTPException):
        return 0


def rate_while(port: int, busy: Callable[[], bool], longest: float) -> dict[str, Any]:
    """Calls/s of one keep-alive client to /healthz while ``busy()`` (at most ``longest`` s)."""
    ok = failed = 0
    start = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    while busy() and time.monotonic() - start < longest:
        try:
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            ok += r.status == 200
            failed += r.status != 200
        except (OSError, http.client.HTTPException):
            failed += 1
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            time.sleep(0.01)
    c.close()
    took = time.monotonic() - start
    return {"calls_per_s": round(ok / took, 1) if took else 0, "failed": failed,
            "seconds": round(took, 2)}


def huge_header(port: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    done = threading.Event()

    def attack() -> None:
        sent, start = 0, time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
            try:
                for _ in range(1024):                       # 64 MB at most
                    c.sendall(b"a" * 65536)
                    sent += 65536
            except OSError:
                pass
            answer = b""
            try:
                while chunk := c.recv(65536):
                    answer += chunk
            except OSError:
                pass
        result.update(bytes_sent_before_refusal=sent, seconds=round(time.monotonic() - start, 3),
                      answer=answer.split(b"\r\n", 1)[0].decode(errors="replace"))
        done.set()

    thread = threading.Thread(target=attack)
    thread.start()
    result["healthz_meanwhile"] = rate_while(port, lambda: not done.is_set(), 30)
    thread.join()
    return result


def slow_clients(port: int, count: int, head: bytes, window: float) -> dict[str, Any]:
    """``count`` clients send ``head`` and then a byte a second, for at most ``window`` s."""
    socks, refused_at_connect = [], 0
    for _ in range(count):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(head)
            s.setblocking(False)
            socks.append(s)
        except OSError:
            refused_at_connect += 1
    answers: dict[str, int] = {}
    open_socks = list(socks)
    stop = threading.Event()

    def drip() -> None:
        end = time.monotonic() + window
        while open_socks and time.monotonic() < end and not stop.is_set():
            for s in list(open_socks):
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    try:
                        s.send(b"a")
                    except OSError:
                        answers["closed"] = answers.get("closed", 0) + 1
                        open_socks.remove(s)
                    continue
                except OSError:
                    data = b""
                line = data.split(b"\r\n", 1)[0].decode(errors="replace") or "closed"
                answers[line] = answers.get(line, 0) + 1
                open_socks.remove(s)
            time.sleep(1)
        stop.set()

    thread = threading.Thread(target=drip)
    started = time.monotonic()
    thread.start()
    meanwhile = rate_while(port, lambda: not stop.is_set(), window)
    thread.join()
    still_open = len(open_socks)
    for s in socks:
        s.close()
    return {"clients": count, "refused_at_connect": refused_at_connect, "answers": answers,
            "still_open_at_end": still_open,
            "all_closed_after_s": round(time.monotonic() - started, 1),
            "healthz_meanwhile": meanwhile}


def aborts(port: int, count: int, err: Path) -> dict[str, Any]:
    before = err.read_bytes()
    start = time.monotonic()
    for i in range(count):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
            c.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nX-Request-ID: abort-%d\r\n"
                      b"Content-Length: %d\r\n\r\n%s" % (i, len(BODY) * 2, BODY))
    took = time.monotonic() - start
    deadline = time.monotonic() + 10
    while err.read_bytes().count(b"closed the connection after") < count + before.count(
            b"closed the connection after") and time.monotonic() < deadline:
        time.sleep(0.1)
    added = err.read_bytes()[len(before):]
    return {"aborts": count, "seconds": round(took, 2), "stderr_lines": added.count(b"\n"),
            "stderr_bytes": len(added), "tracebacks": added.count(b"Traceback"),
            "status_500": added.count(b" 500")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow", type=int, default=300, help="slow clients (300)")
    parser.add_argument("--aborts", type=int, default=1000, help="aborted bodies (1000)")
    parser.add_argument("--nofile", type=int, default=256, help="the service's open-file limit")
    parser.add_argument("--measure", type=float, default=3, help="seconds of baseline")
    parser.add_argument("--header-timeout", default="2")
    parser.add_argument("--body-timeout", default="2")
    ports.add_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(Path(tmp), args.nofile, "--header-timeout", args.header_timeout,
                          "--body-timeout", args.body_timeout, port=args.port)
        window = float(args.header_timeout) + float(args.body_timeout) + 8
        try:
            report = {
                "command": service.command, "nofile": args.nofile,
                "baseline": rate_while(service.port, lambda: True, args.measure),
                "huge_header": huge_header(service.port),
                "slow_headers": slow_clients(service.port, args.slow,
                                             b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: ", window),
                "slow_bodies": slow_clients(
                    service.port, args.slow,
                    b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                    % (len(BODY) + 10_000), window),
                "aborts": aborts(service.port, args.aborts, service.err),
                "healthz_after": healthz(service.port),
            }
        finally:
            service.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

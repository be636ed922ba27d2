"""Kill -9 trial: ``policy serve`` workers killed under load, and what the decision log keeps.

    python bench/kill.py                   # 5 kills of one of 2 workers, then of the service
    python bench/kill.py --kills 10 --interval 2 --clients 8 --flush-interval 0.2
    python bench/kill.py --quick           # 1 kill of each kind, a few seconds

Two trials, each on loopback (a free port), each with its own decision log:

``workers``: starts ``python -m engine serve --workers 2 --decision-log LOG``, runs
``--clients`` keep-alive clients deciding (``POST /v1/decide``, a unique
``X-Request-ID`` per request, no retries, a new connection every 100 requests so that
both workers get some), and ``--kills`` times, ``--interval`` s
apart, sends SIGKILL to one worker process. Workers are found as the children of the
server process in ``/proc/PID/task/*/children`` whose command line is a
multiprocessing spawn (the resource tracker is left alone). After each kill it
measures how long until the supervisor had started a new worker, and until that
worker *answered*: a probe opens a connection, calls ``/healthz``, finds the
connection's server end in ``/proc/net/tcp`` and the process holding that socket in
``/proc/PID/fd``, and repeats until it is a new process.

``service``: starts ``python -m engine serve --decision-log LOG`` (one worker, so the
server process is the worker), runs the clients for ``--interval`` s, SIGKILLs the
server process, looks at the log's end; should the log end in a whole line (a kill in
the middle of a write is rare), it appends half of a line to it, as a write cut off by
the crash would leave (a simulated torn write, said so in the report). Then it starts
the service again on the same log, which must set the partial line aside in
``LOG.partial``, runs the clients for a second, stops it with SIGTERM, and reads the log
with ``policy log LOG`` and ``policy log LOG --format json``.

For each trial it reports answers (200s), failed requests by kind (connection errors
while a worker dies), and, from the log after a graceful stop: whether every line is a
whole JSON entry, what was set aside in ``LOG.partial``, entries lost (answered 200
but not in the log: entries buffered in a killed worker, at most ``--flush-interval``
s of them, are lost, by design), entries logged for requests whose answer was lost
with the connection, and duplicates. The last line is a summary (``kill: … OK`` or
``… FAILED``); the exit status is 1 when a log line is not whole JSON, ``policy log``
fails or warns, a replacement worker never answered, the restart failed, or an answer
given after the restart is missing from the log. Lost entries older than the flush
interval allows (sent more than ``--flush-interval`` + 0.5 s before the kill) are
counted and reported, not failed on: a busy machine can delay the flushing thread.

Standard library and /proc only (Linux); every loop is bounded in count and time;
every process started is stopped and the temporary folder removed. Not a test: the
figures depend on the machine.
"""

from __future__ import annotations

if not __package__:          # run as a file, python bench/NAME.py: import bench from the checkout
    import os as _os
    import sys as _sys
    _sys.path[0] = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))

import argparse
import collections
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench import ports

ROOT = Path(__file__).resolve().parent.parent
PACKS = ("tyreso", "vara", "norsjo", "perstorp", "toreboda")
PER_CONNECTION = 100        # requests a client sends on one connection before a new one
START_TIMEOUT = 60          # seconds for a service to answer /healthz
REPLACE_TIMEOUT = 60        # seconds for a replacement worker to answer
POLICY_LOG_TIMEOUT = 120    # seconds for `policy log`




# ---- /proc -----------------------------------------------------------------------------

def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (from every thread's ``children`` file)."""
    out: set[int] = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.update(int(x) for x in f.read().split())
        except OSError:
            continue
    return sorted(out)


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def started_at(pid: int) -> str | None:
    """The process's start time (``/proc/PID/stat`` field 22): tells a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def stop(process: subprocess.Popen[bytes], grace: float = 40) -> None:
    """SIGTERM ``process`` and wait; SIGKILL it, and any child it left, when it hangs."""
    left = [(pid, started_at(pid)) for pid in children(process.pid)]
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    for pid, started in left:       # children of a supervisor that did not stop them
        if started is not None and started_at(pid) == started:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def workers(server: int) -> list[int]:
    """The uvicorn worker processes of the server (multiprocessing spawns, not the tracker)."""
    return [p for p in children(server)
            if "spawn_main" in (c := cmdline(p)) and "resource_tracker" not in c]


def socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server end of the loopback connection from ``client_port``."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    local, remote = fields[1], fields[2]
                    if (int(local.rsplit(":", 1)[1], 16) == server_port
                            and int(remote.rsplit(":", 1)[1], 16) == client_port):
                        return fields[9]
        except OSError:
            continue
    return None


def holder(inode: str, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the socket ``inode``."""
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
            except OSError:
                continue
    return None


def answered_by(port: int, pids: list[int]) -> int | None:
    """Call /healthz on a new connection; return the pid (of ``pids``) that answered it."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            if not s.recv(65536).startswith(b"HTTP/1.1 200"):
                return None
            inode = socket_inode(port, s.getsockname()[1])   # still open: keep-alive
            return holder(inode, pids) if inode else None
    except OSError:
        return None


# ---- the service and its clients -------------------------------------------------------

class Service:
    def __init__(self, tmp: Path, name: str, log: Path, flush: float, *args: str,
                 port: int = 0) -> None:
        self.port = ports.choose(port)
        self.err_path = tmp / f"{name}.err"
        command = [sys.executable, "-m", "engine", "serve", "--port", str(self.port),
                   "--decision-log", str(log), "--flush-interval", str(flush), *args]
        self.command = " ".join(["python", *command[1:]])
        self.err = open(self.err_path, "ab")
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=self.err)

    def wait_ready(self) -> float:
        start = time.monotonic()
        while time.monotonic() - start < START_TIMEOUT and self.process.poll() is None:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    c.close()
                    ports.announce(self.port)
                    return time.monotonic() - start
                c.close()
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"policy serve did not answer within {START_TIMEOUT} s "
                           f"(exit {self.process.returncode}):\n{self.stderr}")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM (graceful: the log is written); then make sure no process is left."""
        stop(self.process)
        self.err.close()


class Load:
    """Keep-alive clients deciding; every request has its own X-Request-ID."""

    def __init__(self, port: int, clients: int, prefix: str) -> None:
        self.port, self.prefix = port, prefix
        self.answered: dict[str, float] = {}         # request id -> when it was sent (200)
        self.failed: dict[str, tuple[str, float]] = {}   # request id -> (kind, time)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(i,)) for i in range(clients)]

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        for t in self.threads:
            t.join(30)

    def client(self, number: int) -> None:
        conn: http.client.HTTPConnection | None = None
        n = 0
        while not self.done.is_set():
            n += 1
            rid = f"{self.prefix}-{number}-{n}"
            body = json.dumps({"pack": PACKS[n % len(PACKS)], "action": "like_page",
                               "facts": {"page_category": "commercial"}, "at": "2025-06-01"})
            sent = time.monotonic()
            try:
                if conn is None or n % PER_CONNECTION == 0:    # spread over the workers
                    if conn is not None:
                        conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("POST", "/v1/decide", body,
                             {"Content-Type": "application/json", "X-Request-ID": rid})
                r = conn.getresponse()
                r.read()
                kind = None if r.status == 200 else f"status {r.status}"
            except (OSError, http.client.HTTPException) as e:
                kind = type(e).__name__
                if conn is not None:
                    conn.close()
                conn = None
            with self.lock:
                if kind is None:
                    self.answered[rid] = sent
                else:
                    self.failed[rid] = (kind, sent)
            if kind is not None:
                time.sleep(0.01)
        if conn is not None:
            conn.close()

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return len(self.answered), len(self.failed)


# ---- the log ---------------------------------------------------------------------------

def read_log(log: Path) -> dict[str, Any]:
    """Every line of the log: whole JSON or not; request ids of the entries."""
    data = log.read_bytes() if log.exists() else b""
    lines = data.split(b"\n")
    tail = lines.pop()                       # b"" when the file ends in a newline
    ids: collections.Counter[str] = collections.Counter()
    torn = 0
    for line in lines:
        try:
            ids[json.loads(line)["request_id"]] += 1
        except (ValueError, KeyError, TypeError):
            torn += 1
    partial = Path(str(log) + ".partial")
    return {"lines": len(lines), "torn_lines": torn + (1 if tail else 0),
            "ends_in_newline": not tail, "ids": ids,
            "partial_bytes": partial.stat().st_size if partial.exists() else 0}


def compare(load: Load, entries: collections.Counter[str], kills: list[float],
            flush: float) -> dict[str, Any]:
    """Entries lost (answered but not logged) and logged without an answer."""
    lost = [rid for rid in load.answered if rid not in entries]
    # how long before the kill that followed it was each lost entry's request sent (its
    # decision was made after that and before the kill: an upper bound of its age)
    ages: list[float] = []
    by_kill: collections.Counter[int | None] = collections.Counter()
    for rid in lost:
        t = load.answered[rid]
        after = [k for k in kills if k >= t]
        ages.append(min(after) - t if after else float("inf"))
        by_kill[kills.index(min(after)) + 1 if after else None] += 1
    return {
        "answered": len(load.answered),
        "failed": len(load.failed),
        "failed_by_kind": dict(collections.Counter(k for k, _ in load.failed.values())),
        "entries": sum(entries.values()),
        "lost": len(lost),
        "lost_oldest_s": round(max(ages), 3) if ages else None,
        "lost_older_than_flush": sum(a > flush + 0.5 for a in ages),
        "lost_by_kill": dict(by_kill),
        "logged_without_answer": sum(1 for rid in load.failed if rid in entries),
        "duplicates": sum(n - 1 for n in entries.values() if n > 1),
        "unknown_ids": sum(1 for rid in entries
                           if rid not in load.answered and rid not in load.failed),
    }


def policy_log(log: Path, *args: str) -> dict[str, Any]:
    r = subprocess.run([sys.executable, "-m", "engine", "log", str(log), *args], cwd=ROOT,
                       capture_output=True, timeout=POLICY_LOG_TIMEOUT)
    return {"exit": r.returncode, "lines": r.stdout.count(b"\n"),
            "warnings": r.stderr.count(b"\n")}


# ---- the trials ------------------------------------------------------------------------

def workers_trial(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    log = tmp / "workers.jsonl"
    service = Service(tmp, "workers", log, args.flush_interval, "--workers", "2",
                      port=args.port)
    rows, kill_times = [], []
    try:
        start_s = service.wait_ready()
        server = service.process.pid
        # both workers must be up before the first kill
        deadline = time.monotonic() + START_TIMEOUT
        while len(workers(server)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        with Load(service.port, args.clients, "w") as load:
            started = time.monotonic()
            for k in range(args.kills):
                time.sleep(args.interval)
                before = workers(server)
                if not before:
                    rows.append({"kill": k + 1, "error": "no worker found"})
                    break
                victim = before[k % len(before)]
                answered0, failed0 = load.counts()
                t0 = time.monotonic()
                os.kill(victim, signal.SIGKILL)
                kill_times.append(t0)
                respawn = first = None
                while time.monotonic() - t0 < REPLACE_TIMEOUT:
                    now_workers = workers(server)
                    new = [p for p in now_workers if p not in before]
                    if new and respawn is None:
                        respawn = time.monotonic() - t0
                    if new and answered_by(service.port, now_workers) in new:
                        first = time.monotonic() - t0
                        break
                    time.sleep(0.02)
                time.sleep(0.2)       # the broken connections' failures are counted by now
                answered1, failed1 = load.counts()
                rows.append({"kill": k + 1, "pid": victim,
                             "new_worker_s": None if respawn is None else round(respawn, 2),
                             "new_worker_answers_s": None if first is None else round(first, 2),
                             "answers_meanwhile": answered1 - answered0,
                             "failed": failed1 - failed0})
            time.sleep(min(args.interval, 1.0))
            elapsed = time.monotonic() - started
    finally:
        service.stop()                  # SIGTERM: the surviving workers write their entries
    stderr = service.stderr
    found = read_log(log)
    compared = compare(load, found["ids"], kill_times, args.flush_interval)
    for row in rows:
        row["lost"] = compared["lost_by_kill"].get(row["kill"], 0)
    return {"command": service.command, "start_s": round(start_s, 2),
            "elapsed_s": round(elapsed, 1), "kills": rows,
            "answers_per_s": round(len(load.answered) / elapsed),
            "log_lines": found["lines"], "torn_lines": found["torn_lines"],
            "partial_bytes": found["partial_bytes"],
            **compared,
            "policy_log": policy_log(log),
            "tracebacks": stderr.count("Traceback"),
            "worker_died_lines": stderr.count("died")}


def service_trial(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    log = tmp / "service.jsonl"
    first = Service(tmp, "service", log, args.flush_interval, port=args.port)
    try:
        first.wait_ready()
        with Load(first.port, args.clients, "s1") as load1:
            time.sleep(args.interval)
            t_kill = time.monotonic()
            os.kill(first.process.pid, signal.SIGKILL)
            first.process.wait(10)          # the clients stop at once: nothing serves now
    finally:
        first.stop()
    after_kill = read_log(log)
    simulated = 0
    if after_kill["ends_in_newline"] and after_kill["lines"]:
        last = log.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1]
        torn = last[: len(last) // 2]
        with open(log, "ab") as f:        # what a write cut off by the crash leaves
            f.write(torn)
        simulated = len(torn)
    second = Service(tmp, "service", log, args.flush_interval, port=args.port)
    restarted = True
    try:
        try:
            restart_s = round(second.wait_ready(), 2)
        except RuntimeError:
            restarted, restart_s = False, None
        if restarted:
            with Load(second.port, args.clients, "s2") as load2:
                time.sleep(min(args.interval, 1.0))
    finally:
        second.stop()
    found = read_log(log)
    entries = found["ids"]
    before = collections.Counter({rid: n for rid, n in entries.items() if rid.startswith("s1-")})
    result = compare(load1, before, [t_kill], args.flush_interval)
    result["unknown_ids"] = sum(1 for rid in entries if not (
        rid in load1.answered or rid in load1.failed
        or restarted and (rid in load2.answered or rid in load2.failed)))
    result["duplicates"] = sum(n - 1 for n in entries.values() if n > 1)
    return {"command": first.command, "answers_before_kill": result.pop("answered"),
            "failed_at_kill": result.pop("failed"),
            "failed_by_kind": result.pop("failed_by_kind"),
            "log_ended_in_partial_line_after_kill": not after_kill["ends_in_newline"],
            "simulated_torn_bytes": simulated,
            "restarted": restarted, "restart_s": restart_s,
            "answers_after_restart": len(load2.answered) if restarted else 0,
            "lost_after_restart": (sum(1 for rid in load2.answered if rid not in entries)
                                   if restarted else None),
            "log_lines": found["lines"], "torn_lines": found["torn_lines"],
            "partial_bytes": found["partial_bytes"],
            **result, "entries": sum(entries.values()), "entries_before_kill": result["entries"],
            "policy_log": policy_log(log), "policy_log_json": policy_log(log, "--format", "json"),
            "set_aside_warning": "moved it to" in second.stderr,
            "tracebacks": (first.stderr + second.stderr).count("Traceback")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=5, help="workers killed (5)")
    parser.add_argument("--interval", type=float, default=3.0,
                        help="seconds of load before each kill (3)")
    parser.add_argument("--clients", type=int, default=4, help="loopback clients (4)")
    parser.add_argument("--flush-interval", type=float, default=0.2,
                        help="the service's --flush-interval (0.2)")
    parser.add_argument("--quick", action="store_true",
                        help="a tiny bounded run for the test: 1 kill, 2 clients, 0.5 s")
    ports.add_option(parser)
    args = parser.parse_args()
    if args.quick:
        args.kills, args.interval, args.clients = 1, 0.5, 2
    if not os.path.exists("/proc/self/task"):
        parser.error("needs Linux's /proc")

    tmp = Path(tempfile.mkdtemp(prefix="policy-kill-"))
    try:
        w = workers_trial(args, tmp)
        s = service_trial(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"workers trial: {w['command']}")
    print(f"  {args.clients} clients, {args.kills} kills, {w['elapsed_s']} s, "
          f"{w['answers_per_s']} answers/s")
    print(f"  {'kill':>4} {'pid':>8} {'new worker s':>12} {'it answers s':>12} "
          f"{'answers meanwhile':>17} {'failed':>6} {'entries lost':>12}")
    for r in w["kills"]:
        if "error" in r:
            print(f"  {r['kill']:>4} {r['error']}")
            continue
        print(f"  {r['kill']:>4} {r['pid']:>8} {r['new_worker_s']!s:>12} "
              f"{r['new_worker_answers_s']!s:>12} {r['answers_meanwhile']:>17} "
              f"{r['failed']:>6} {r['lost']:>12}")
    firsts = [r["new_worker_answers_s"] for r in w["kills"] if r.get("new_worker_answers_s")]
    if firsts:
        print(f"  replacement answers after: median {statistics.median(firsts):.2f} s, "
              f"longest {max(firsts):.2f} s")
    for name, t in (("workers", w), ("service", s)):
        print(f"\n{name} trial, decision log:" if name == "workers" else
              f"\nservice trial: {s['command']} (kill -9 of the server, restart on the same log)")
        if name == "service":
            print(f"  answers before the kill {t['answers_before_kill']}, failed at the kill "
                  f"{t['failed_at_kill']} {t['failed_by_kind'] or ''}")
            print(f"  log ended in a partial line after the kill: "
                  f"{t['log_ended_in_partial_line_after_kill']}; simulated torn write appended: "
                  f"{t['simulated_torn_bytes']} bytes")
            print(f"  restarted on the same log: {t['restarted']} in {t['restart_s']} s, "
                  f"set the partial line aside (warning logged): {t['set_aside_warning']}; "
                  f"answers after restart {t['answers_after_restart']}, "
                  f"of them not logged {t['lost_after_restart']}")
        else:
            print(f"  answers {t['answered']}, failed {t['failed']} {t['failed_by_kind'] or ''}; "
                  f"the supervisor logged {t['worker_died_lines']} workers dead")
        print(f"  log lines {t['log_lines']}, not whole JSON {t['torn_lines']}, "
              f"LOG.partial {t['partial_bytes']} bytes")
        before_kill = (f" ({t['entries_before_kill']} from before the kill)"
                       if name == "service" else "")
        print(f"  entries {t['entries']}{before_kill}: lost (answered 200, not logged) {t['lost']}"
              f" (oldest sent {t['lost_oldest_s'] if t['lost'] else '-'} s before its kill; "
              f"older than flush interval + 0.5 s: {t['lost_older_than_flush']}), "
              f"logged without an answer {t['logged_without_answer']}, "
              f"duplicates {t['duplicates']}, unknown ids {t['unknown_ids']}")
        pl = t["policy_log"]
        extra = (f"; --format json: exit {t['policy_log_json']['exit']}, "
                 f"{t['policy_log_json']['lines']} lines" if name == "service" else "")
        print(f"  policy log: exit {pl['exit']}, {pl['lines']} lines, {pl['warnings']} warnings"
              f"{extra}")
        print(f"  tracebacks in stderr {t['tracebacks']}")

    replaced = all(r.get("new_worker_answers_s") is not None for r in w["kills"])
    logs_ok = all(t["torn_lines"] == 0 and t["policy_log"]["exit"] == 0
                  and t["policy_log"]["warnings"] == 0 for t in (w, s))
    service_ok = (s["restarted"] and s["policy_log_json"]["exit"] == 0
                  and s["policy_log_json"]["lines"] == s["log_lines"]
                  and s["lost_after_restart"] == 0
                  and (s["simulated_torn_bytes"] == 0 or s["partial_bytes"] > 0))
    ok = replaced and logs_ok and service_ok
    print(f"\nkill: {len(w['kills'])} worker kills: {w['answered']} answers, {w['failed']} failed, "
          f"replacement answers in {max(firsts) if firsts else '-'} s at most, "
          f"{w['lost']} entries lost ({w['lost_older_than_flush']} older than the flush "
          f"interval), {w['torn_lines']} torn lines; service kill: {s['lost']} entries lost "
          f"({s['lost_older_than_flush']} older), restart {'ok' if s['restarted'] else 'FAILED'}, "
          f"{s['torn_lines']} torn lines, policy log exit {s['policy_log']['exit']} — "
          f"{'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

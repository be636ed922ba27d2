"""Reload under load: ``policy serve --watch`` deciding while its pack files change, on loopback.

    python bench/reload.py                        # 1 worker, 12 rounds, 4 clients (about 30 s)
    python bench/reload.py --workers 2 --rounds 20 --clients 8 --deadline 180
    python bench/reload.py --quick                # 2 rounds, 2 clients, a few seconds

Starts ``python -m engine serve --watch --no-installed`` on a free loopback port
(``--watch-interval 0.1 --watch-settle 0.3``, ``--workers N``) serving two packs made
for the run. Each has a ``.tests`` file beside it that expects ``like_page
{page_category: commercial}`` to be denied; the pack allows by default and its second
rule is the one that denies:

- ``demo`` in a ConfigMap-style folder (``demo.policy -> ..data/demo.policy``,
  ``..data -> ..vN``): each round writes a new folder ``..vN`` and swaps ``..data`` to
  it in one rename, as the kubelet does, then removes the old folder;
- ``slow`` in a plain folder that also holds editors' files (an Emacs lock
  ``.#slow.policy``, a backup ``slow.policy~``, an autosave ``#slow.policy#``, a Vim
  swap file ``.slow.policy.swp``, each rewritten with broken text every round): each
  round rewrites ``slow.policy`` in place, pausing at the rule boundary before the
  denying rule for longer than the settle time. The half settles and compiles, but its
  tests fail, so it must be held back; then the rest is written.

Meanwhile ``--clients`` loopback clients (keep-alive) decide ``like_page commercial``
against both packs, and a poller reads ``GET /v1/packs/{id}``. Reports:

- answers per (pack, version, outcome), and answers/s;
- errors (non-200 answers and connection errors), by kind;
- half-written versions served: an ``allow`` for commercial (must be 0);
- versions held back by their tests: distinct ``failed_at`` with a ``failing-test``
  error seen on ``GET /v1/packs/{id}``, and the service's ``failed to load; still
  serving`` lines (one per worker that held a version back);
- how long each round's complete version took to be answered (from the end of its
  write to the first answer naming it), median and longest;
- the versions serving at the end, and tracebacks in the service's stderr.

Every loop is bounded in count and time (``--deadline`` for the rounds, fixed waits
for the start and the end); the service is always stopped and the temporary folder
removed. The last line is a summary (``reload: … OK`` or ``… FAILED``); the exit status
is 1 when a half-written version was served, a request failed, the last version did not
go live, or the service wrote a traceback. Standard library only; not a test (the
figures depend on the machine, and the clients share its cores with the service).
"""

from __future__ import annotations

if not __package__:          # run as a file, python bench/NAME.py: import bench from the checkout
    import os as _os
    import sys as _sys
    _sys.path[0] = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))

import argparse
import collections
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench import ports
from bench.kill import stop

ROOT = Path(__file__).resolve().parent.parent
INTERVAL, SETTLE = 0.1, 0.3           # --watch-interval, --watch-settle
START_TIMEOUT = 60                    # seconds for the service to answer at start
LIVE_TIMEOUT = 15                     # seconds for the last version to go live at the end
EDITORS_FILES = (".#slow.policy", "slow.policy~", "#slow.policy#", ".slow.policy.swp")

HEAD = 'pack {id}\n  name "Demo"\n  dated 2020-01-01\n  version "{v}"\n  default allow\n'
OWN = ('\nrule likes-own\n  on like_page\n  allow when page_category == own\n'
       '  because "Own."\n  source "Gilla"\n')
DENY = ('\nrule no-companies\n  on like_page\n  deny when page_category == commercial\n'
        '  because "No."\n  source "Gilla"\n')
TESTS = ('test "companies are not liked"\n  request like_page {page_category: commercial}\n'
         '  expect deny\n')
COMMERCIAL = {"action": "like_page", "facts": {"page_category": "commercial"}}


def pack(pid: str, version: int) -> str:
    return HEAD.format(id=pid, v=version) + OWN + DENY




def configmap(root: Path, files: dict[str, str], stamp: str) -> None:
    """Publish ``files`` in ``root`` as the kubelet updates a ConfigMap volume."""
    root.mkdir(exist_ok=True)
    data = root / f"..{stamp}"
    data.mkdir()
    for name, text in files.items():
        (data / name).write_text(text)
    old = os.readlink(root / "..data") if (root / "..data").is_symlink() else None
    os.symlink(data.name, root / "..data_tmp")
    os.replace(root / "..data_tmp", root / "..data")          # the one atomic step
    for name in files:
        if not (root / name).is_symlink():
            os.symlink(f"..data/{name}", root / name)
    if old:
        shutil.rmtree(root / old)


def editors_files(folder: Path, round_: int) -> None:
    """Broken text in the names editors use beside a file; none of it is a pack."""
    for name in EDITORS_FILES:
        (folder / name).write_text(f"pack slow\n  name {round_}\n  rule (\n")


class Client:
    """One keep-alive HTTP connection that reconnects after an error."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            data = None if body is None else json.dumps(body)
            self.conn.request(method, path, data, {"Content-Type": "application/json"})
            r = self.conn.getresponse()
            return r.status, json.loads(r.read())
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Run:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args, self.tmp = args, tmp
        self.cfg, self.plain = tmp / "cfg", tmp / "plain"
        self.counts: collections.Counter[tuple[str, int, str]] = collections.Counter()
        self.errors: collections.Counter[tuple[Any, ...]] = collections.Counter()
        self.first_seen: dict[tuple[str, int], float] = {}
        self.held: dict[str, set[str]] = {"demo": set(), "slow": set()}
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.written: dict[tuple[str, int], float] = {}     # (pack, version) -> complete at

    # ---- the service -------------------------------------------------------------
    def start(self) -> None:
        configmap(self.cfg, {"demo.policy": pack("demo", 1), "demo.tests": TESTS}, "v1")
        self.plain.mkdir()
        (self.plain / "slow.policy").write_text(pack("slow", 1))
        (self.plain / "slow.tests").write_text(TESTS)
        editors_files(self.plain, 1)
        self.port = ports.choose(self.args.port)
        command = [sys.executable, "-m", "engine", "serve", "--port", str(self.port),
                   "--workers", str(self.args.workers), "--no-installed",
                   "--packs", str(self.cfg), "--packs", str(self.plain), "--watch",
                   "--watch-interval", str(INTERVAL), "--watch-settle", str(SETTLE)]
        self.command = " ".join(["python", *command[1:]])
        self.err_path = self.tmp / "serve.err"
        self.err = open(self.err_path, "wb")
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=self.err)
        client, deadline = Client(self.port), time.monotonic() + START_TIMEOUT
        try:
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    if all(client.call("POST", "/v1/decide", {"pack": p, **COMMERCIAL})[0] == 200
                           for p in ("demo", "slow")):
                        ports.announce(self.port)
                        return
                except (OSError, http.client.HTTPException, ValueError):
                    pass
                time.sleep(0.1)
        finally:
            client.close()
        raise RuntimeError(f"policy serve did not answer within {START_TIMEOUT} s:\n"
                           + self.err_path.read_text(errors="replace"))

    def stop(self) -> None:
        process = getattr(self, "process", None)
        if process is not None:
            stop(process)                   # SIGTERM; SIGKILL it and its workers if it hangs
        if getattr(self, "err", None) is not None:
            self.err.close()

    # ---- load --------------------------------------------------------------------
    def client(self) -> None:
        c = Client(self.port)
        while not self.done.is_set():
            for pid in ("demo", "slow"):
                try:
                    status, d = c.call("POST", "/v1/decide", {"pack": pid, **COMMERCIAL})
                except Exception as e:  # noqa: BLE001 - every failure is counted
                    with self.lock:
                        self.errors[(pid, type(e).__name__)] += 1
                    time.sleep(0.05)
                    continue
                now = time.monotonic()
                with self.lock:
                    if status == 200:
                        key = (pid, int(d["pack_version"]), d["outcome"])
                        self.counts[key] += 1
                        self.first_seen.setdefault(key[:2], now)
                    else:
                        self.errors[(pid, status, (d.get("error") or {}).get("code"))] += 1
        c.close()

    def poller(self) -> None:
        """Read GET /v1/packs/{id}; note each version held back by a failing test."""
        c = Client(self.port)
        while not self.done.is_set():
            for pid in ("demo", "slow"):
                try:
                    status, p = c.call("GET", f"/v1/packs/{pid}")
                except Exception:  # noqa: BLE001 - the clients count failures
                    continue
                if status == 200 and p.get("status") == "error" and any(
                        e.get("code") == "failing-test" for e in p.get("errors", ())):
                    with self.lock:
                        self.held[pid].add(p["failed_at"])
            time.sleep(0.05)
        c.close()

    def rounds(self) -> int:
        """Swap ``demo`` and rewrite ``slow`` slowly, round after round; return the last version."""
        start, last = time.monotonic(), 1
        for version in range(2, self.args.rounds + 2):
            if time.monotonic() - start > self.args.deadline:
                break
            configmap(self.cfg, {"demo.policy": pack("demo", version), "demo.tests": TESTS},
                      f"v{version}")
            self.written[("demo", version)] = time.monotonic()
            editors_files(self.plain, version)
            text = pack("slow", version)
            cut = text.index("\nrule no-companies")
            with open(self.plain / "slow.policy", "w") as f:    # in place, like an editor
                f.write(text[:cut])
                f.flush()
                time.sleep(self.args.pause)        # > settle: the half settles and compiles
                f.write(text[cut:])
            self.written[("slow", version)] = time.monotonic()
            last = version
            time.sleep(self.args.pause)
        return last

    def wait_live(self, last: int) -> bool:
        """Wait (bounded) until both packs answer with the last version, on every worker."""
        c, seen, deadline = Client(self.port), 0, time.monotonic() + LIVE_TIMEOUT
        try:
            while time.monotonic() < deadline:
                try:
                    ok = all(c.call("GET", f"/v1/packs/{p}")[1].get("version") == str(last)
                             for p in ("demo", "slow"))
                except Exception:  # noqa: BLE001
                    ok = False
                c.close()                            # a new connection: maybe another worker
                seen = seen + 1 if ok else 0
                if seen >= 5 * self.args.workers:
                    return True
                time.sleep(0.05)
            return False
        finally:
            c.close()

    def final_packs(self) -> list[dict[str, Any]]:
        c = Client(self.port)
        try:
            return c.call("GET", "/v1/packs")[1]["packs"]
        except Exception as e:  # noqa: BLE001
            return [{"id": "?", "version": "?", "status": f"{type(e).__name__}: {e}"}]
        finally:
            c.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1, help="worker processes (1)")
    parser.add_argument("--rounds", type=int, default=12, help="rewrites of each pack (12)")
    parser.add_argument("--clients", type=int, default=4, help="loopback clients (4)")
    parser.add_argument("--deadline", type=float, default=120,
                        help="no round starts after this many seconds (120)")
    parser.add_argument("--pause", type=float, default=1.0,
                        help="seconds paused at the rule boundary, and between rounds (1.0)")
    parser.add_argument("--quick", action="store_true",
                        help="a tiny bounded run for the test: 2 rounds, 2 clients")
    ports.add_option(parser)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.clients, args.deadline = 2, 2, 20
    if args.pause <= SETTLE + INTERVAL:
        parser.error(f"--pause must be longer than the settle time ({SETTLE + INTERVAL} s)")

    tmp = Path(tempfile.mkdtemp(prefix="policy-reload-"))
    run = Run(args, tmp)
    try:
        run.start()
        threads = [threading.Thread(target=run.client) for _ in range(args.clients)]
        threads.append(threading.Thread(target=run.poller))
        started = time.monotonic()
        for t in threads:
            t.start()
        try:
            last = run.rounds()
            live = run.wait_live(last)
            time.sleep(0.5)                          # answers with the last version
        finally:
            run.done.set()
            for t in threads:
                t.join(30)
        elapsed = time.monotonic() - started
        packs = run.final_packs()
    finally:
        run.stop()
        stderr = run.err_path.read_text(errors="replace") if hasattr(run, "err_path") else ""
        shutil.rmtree(tmp, ignore_errors=True)

    answers = sum(run.counts.values())
    errors = sum(run.errors.values())
    half = sum(v for (_, _, outcome), v in run.counts.items() if outcome != "deny")
    held = {p: len(s) for p, s in run.held.items()}
    held_lines = stderr.count("failed to load; still serving")
    tracebacks = stderr.count("Traceback")
    lags = {p: [run.first_seen[(p, v)] - t for (q, v), t in run.written.items()
                if q == p and (p, v) in run.first_seen] for p in ("demo", "slow")}
    never = sorted(k for k in run.written if k not in run.first_seen)

    print(f"command: {run.command}")
    print(f"elapsed {elapsed:.1f} s; rounds {last - 1}; clients {args.clients}; "
          f"workers {args.workers}; pause {args.pause} s")
    print("\nanswers by pack, version and outcome (like_page commercial):")
    print(f"  {'pack':<6} {'version':>7} {'outcome':<8} {'answers':>8}")
    for (pid, version, outcome) in sorted(run.counts):
        print(f"  {pid:<6} {version:>7} {outcome:<8} {run.counts[(pid, version, outcome)]:>8}")
    print(f"  total {answers} answers, {answers / elapsed:.0f}/s")
    print("\nerrors:", dict(run.errors) or "none")
    print("\nper pack:")
    print(f"  {'pack':<6} {'held back (GET /v1/packs)':>26} {'live after (median, max s)':>28}")
    for p in ("demo", "slow"):
        lag = (f"{statistics.median(lags[p]):.2f}, {max(lags[p]):.2f}" if lags[p] else "-")
        print(f"  {p:<6} {held[p]:>26} {lag:>28}")
    if never:
        print("  versions never answered:", never)
    print("  stderr 'failed to load; still serving' lines:", held_lines)
    print("\nserving at the end:", ", ".join(f"{p['id']} {p['version']} ({p['status']})"
                                          for p in packs))
    print("last version live on every look:", live)
    print("tracebacks in stderr:", tracebacks)

    ok = half == 0 and errors == 0 and tracebacks == 0 and live
    print(f"\nreload: {last - 1} rounds, {args.clients} clients, {args.workers} worker(s), "
          f"{elapsed:.1f} s: {answers} answers ({answers / elapsed:.0f}/s), {errors} errors, "
          f"{half} half-written served, {sum(held.values())} held back by tests, "
          f"{tracebacks} tracebacks, last version live: {'yes' if live else 'no'} — "
          f"{'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

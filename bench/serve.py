"""Benchmark: what the decision log costs, in process and over HTTP (``policy serve``).

    python -m bench.serve                     # in process, then HTTP on port 8189
    python -m bench.serve --port 9000 --duration 10 --runs 5
    python -m bench.serve --quick             # a few requests of each kind (the suite runs it)

Two measurements, each as medians of ``--runs`` rounds (3), the two sides of each ratio
taken in turn in the same rounds:

1. **In process**: the seeded workload of bench/workload.py (``--requests`` requests
   over every installed pack) decided by an engine without the decision log and by one
   with it (the ``DecisionLog`` plugin writing through a ``LogWriter`` to a temporary
   file, as ``policy serve`` does), after a warm-up pass. Figures are this process's CPU
   time (all threads, so the writer's thread counts) per decision, in microseconds.
2. **Over HTTP**: ``policy serve --workers 1`` on loopback port ``--port`` (8189; ``0``
   takes a free port; the port is printed on stderr either way), once without and once
   with ``--decision-log``, in turn each round, each answering ``POST /v1/decide/batch``
   of ``--batch`` requests (100) for ``--duration`` seconds after a warm-up. The load
   generator is wrk (``apt-get install wrk``) when it is on PATH, else (and with
   ``--client python``) a Python client sending ``--calls`` calls on one connection.
   Every answer must be a 200, and the log must hold one line per decision answered.
   Besides decisions/s, the server process's CPU time (user and system, read from
   ``/proc`` on Linux) per decision answered: a figure other work on the machine moves
   much less than the throughput.

The last line gives the ratios (log on / log off): the time per decision in process,
decisions/s over HTTP, and the server's CPU time per decision. This is a benchmark to run and report, not a test: the
numbers depend on the machine, and the load generator shares its cores with the server.
"""

from __future__ import annotations

if not __package__:          # run as a file, python bench/NAME.py: import bench from the checkout
    import os as _os
    import sys as _sys
    _sys.path[0] = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import ports, workload

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 8189      # not policy serve's own 8181, so that a running service is left alone


def requests(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` request bodies of the shared seeded workload over every installed pack."""
    from engine.core import Engine
    packs = sorted(Engine.load(strict=True).packs)
    return [{"pack": pack, "action": action, "facts": facts, "at": at}
            for pack, action, facts, at in workload.requests(packs, n, seed)]


# ---- in process ---------------------------------------------------------------------

def in_process(pool: list[dict[str, Any]], runs: int) -> tuple[list[float], list[float]]:
    """CPU microseconds per decision without and with the decision log, one pair a round."""
    from engine.core import Engine
    from engine.service.decision_log import DecisionLog, LogWriter

    plain = Engine.load(strict=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "decisions.jsonl")
        writer = LogWriter(path, flush_interval=0.2).open()
        try:
            logged = Engine.load(strict=True, plugins=[DecisionLog(writer.submit, "python")])

            def one_pass(engine: Engine) -> float:
                t0 = time.process_time()
                for request in pool:
                    engine.decide_request(request)
                if engine is logged:
                    writer.flush()          # the entries of this pass, written and synced
                return (time.process_time() - t0) / len(pool) * 1e6

            one_pass(plain), one_pass(logged)           # warm-up
            off, on = [], []
            for _ in range(runs):
                off.append(one_pass(plain))
                on.append(one_pass(logged))
        finally:
            writer.close()
        lines = sum(1 for _ in open(path, "rb"))
    if lines != len(pool) * (runs + 1):
        raise SystemExit(f"in process: {lines} log lines for {len(pool) * (runs + 1)} decisions")
    return off, on


# ---- over HTTP ------------------------------------------------------------------------

def lua_script(path: str, bodies: list[str]) -> str:
    """A wrk script that POSTs the bodies in turn."""
    quoted = ",\n".join(f"[==[{b}]==]" for b in bodies)
    return (f"local bodies = {{\n{quoted}\n}}\nlocal i = 0\n"
            "local headers = {[\"Content-Type\"] = \"application/json\"}\n"
            "request = function()\n  i = i % #bodies + 1\n"
            f"  return wrk.format(\"POST\", \"{path}\", headers, bodies[i])\nend\n")


def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"policy serve on port {port} exited with {process.returncode} "
                             "(is the port in use? choose another with --port)")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("policy serve did not come up")


def parse_wrk(text: str) -> tuple[float, int, int]:
    """wrk's calls per second, calls made, and answers that were not 2xx or 3xx."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    calls = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    return rps, calls, int(bad.group(1)) if bad else 0


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) process ``pid`` has used, in seconds, or NaN where
    unknown.

    Read in nanoseconds from each thread's ``/proc/PID/task/TID/schedstat`` where the
    kernel keeps it (a short run shows no clock tick in ``/proc/PID/stat``), else in
    clock ticks from ``/proc/PID/stat``. Threads that have ended are not counted by the
    first; the server's threads live as long as it does.
    """
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
        total = 0
        for task in tasks:
            with open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk_calls(port: int, script: Path, seconds: int, threads: int,
              connections: int) -> tuple[float, int, int]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(script),
               f"http://127.0.0.1:{port}"]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"wrk failed: {run.stderr.strip() or run.stdout.strip()}")
    return parse_wrk(run.stdout)


def python_calls(port: int, bodies: list[bytes], calls: int) -> tuple[float, int]:
    """``calls`` POSTs on one kept-alive connection: calls per second, answers not 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    bad = 0
    try:
        t0 = time.perf_counter()
        for i in range(calls):
            connection.request("POST", "/v1/decide/batch", bodies[i % len(bodies)],
                               {"Content-Type": "application/json"})
            answer = connection.getresponse()
            answer.read()
            bad += answer.status != 200
        elapsed = time.perf_counter() - t0
    finally:
        connection.close()
    return calls / elapsed, bad


def serve(port: int, log: Path | None) -> subprocess.Popen[bytes]:
    options = ["--decision-log", str(log)] if log is not None else []
    process = subprocess.Popen(
        [sys.executable, "-m", "engine", "serve", "--port", str(port), "--workers", "1",
         *options], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(port, process)
    except BaseException:
        process.terminate()
        process.wait(30)
        raise
    ports.announce(port, f"policy serve (decision log {'on' if log else 'off'})")
    return process


def over_http(pool: list[dict[str, Any]], args: argparse.Namespace,
              client: str) -> dict[bool, list[tuple[float, float]]]:
    """Decisions per second in batches and the server's CPU µs per decision, without
    (``False``) and with (``True``) the decision log, one of each a round."""
    bodies = [json.dumps({"requests": pool[i:i + args.batch]}, ensure_ascii=False)
              for i in range(0, len(pool) - args.batch + 1, args.batch)]
    if not bodies:
        raise SystemExit(f"--requests {len(pool)} is fewer than one batch of {args.batch}")
    encoded = [b.encode("utf-8") for b in bodies]
    results: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "batch.lua")
        script.write_text(lua_script("/v1/decide/batch", bodies), encoding="utf-8")
        for round_ in range(args.runs):
            for logged in (False, True):
                log = Path(tmp, f"decisions-{round_}.jsonl") if logged else None
                port = ports.choose(args.port)
                process = serve(port, log)
                try:
                    if client == "wrk":
                        _, warm, _ = wrk_calls(port, script, args.warmup, args.threads,
                                               args.connections)
                        cpu = cpu_seconds(process.pid)
                        rps, calls, bad = wrk_calls(port, script, args.duration, args.threads,
                                                    args.connections)
                        answered = (warm + calls) * args.batch
                    else:
                        python_calls(port, encoded, max(1, args.calls // 10))   # warm-up
                        cpu = cpu_seconds(process.pid)
                        rps, bad = python_calls(port, encoded, args.calls)
                        calls = args.calls
                        answered = (args.calls + max(1, args.calls // 10)) * args.batch
                    cpu = (cpu_seconds(process.pid) - cpu) / (calls * args.batch) * 1e6
                finally:
                    process.terminate()
                    process.wait(30)
                if bad:
                    raise SystemExit(f"{bad} answers were not 200")
                if log is not None:
                    lines = sum(1 for _ in open(log, "rb"))
                    # wrk counts the calls it completed; a call cut off at the end of its
                    # time may still have been decided and logged
                    if not answered <= lines <= answered + (
                            args.connections * 2 * args.batch if client == "wrk" else 0):
                        raise SystemExit(f"the decision log holds {lines} lines for "
                                         f"{answered} decisions answered")
                results[logged].append((rps * args.batch, cpu))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"loopback port for the service (default {DEFAULT_PORT}; 0: a free "
                        "one); printed on stderr")
    parser.add_argument("--runs", type=int, default=3, help="rounds; figures are medians")
    parser.add_argument("--requests", type=int, default=2000,
                        help="seeded requests (in process: per pass; HTTP: cut into batches)")
    parser.add_argument("--batch", type=int, default=100, help="requests per HTTP call")
    parser.add_argument("--duration", type=int, default=5, help="wrk: seconds per run")
    parser.add_argument("--warmup", type=int, default=1, help="wrk: seconds before each run")
    parser.add_argument("--connections", type=int, default=4, help="wrk: connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk: threads")
    parser.add_argument("--client", choices=("wrk", "python"),
                        help="load generator (default: wrk when on PATH, else python)")
    parser.add_argument("--calls", type=int, default=200, help="python client: calls per run")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--no-http", dest="http", action="store_false",
                        help="measure in process only")
    parser.add_argument("--quick", action="store_true",
                        help="one round of a few requests, python client (checks it runs)")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.requests, args.calls, args.client = 1, 200, 5, "python"
    client = args.client or ("wrk" if shutil.which("wrk") else "python")
    if client == "wrk" and shutil.which("wrk") is None:
        raise SystemExit("wrk is not on PATH (Debian: apt-get install wrk); or --client python")

    pool = requests(args.requests, args.seed)
    off, on = in_process(pool, args.runs)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"decision log benchmark: {len(pool)} seeded requests, {args.runs} rounds (medians), "
          f"{os.cpu_count()} CPUs, load average {load:.2f}")
    ratio_in = statistics.median(on) / statistics.median(off)
    print(f"in process, CPU µs per decision:  log off {statistics.median(off):7.2f}   "
          f"log on {statistics.median(on):7.2f}   ratio {ratio_in:.2f}×")
    print(f"  rounds: off {' '.join(f'{x:.2f}' for x in off)}; "
          f"on {' '.join(f'{x:.2f}' for x in on)}")
    if not args.http:
        return
    results = over_http(pool, args, client)
    http_off, http_on = ([dps for dps, _ in results[k]] for k in (False, True))
    cpu_off, cpu_on = ([cpu for _, cpu in results[k]] for k in (False, True))
    ratio_http = statistics.median(http_on) / statistics.median(http_off)
    # where the server's CPU time is counted in clock ticks, a short run may show none
    ratio_cpu = (statistics.median(cpu_on) / statistics.median(cpu_off)
                 if statistics.median(cpu_off) > 0 else float("nan"))
    what = (f"wrk -c{args.connections} -d{args.duration}s" if client == "wrk"
            else f"python client, {args.calls} calls")
    print(f"HTTP batch of {args.batch}, decisions/s ({what}, 1 worker):  "
          f"log off {statistics.median(http_off):9,.0f}   "
          f"log on {statistics.median(http_on):9,.0f}   ratio {ratio_http:.2f}")
    print(f"  rounds: off {' '.join(f'{x:,.0f}' for x in http_off)}; "
          f"on {' '.join(f'{x:,.0f}' for x in http_on)}")
    print(f"HTTP batch of {args.batch}, server CPU µs per decision:  "
          f"log off {statistics.median(cpu_off):7.2f}   log on {statistics.median(cpu_on):7.2f}"
          f"   ratio {ratio_cpu:.2f}×" + ("  (too short to measure)" if ratio_cpu != ratio_cpu
                                         else ""))
    print(f"cost of the log: {ratio_in:.2f}× the time per decision in process, "
          f"{1 / ratio_http:.2f}× over HTTP (batch of {args.batch}; "
          f"{ratio_cpu:.2f}× the server's CPU time)")


if __name__ == "__main__":
    main()

"""Benchmark: ``policy serve`` under a real HTTP load generator (wrk), on loopback.

    python bench/serve.py                         # 1 and 2 workers, single and batch
    python bench/serve.py --duration 20 --connections 64 --batch 100 --workers 1,2,4
    python -m bench.serve --port 8282             # the same, on a port of your choice

Starts the service on loopback, on ``--port`` or else a free port, and prints where it
listens (with a decision log, as deployed, unless
``--no-decision-log``), warms it up, then runs ``wrk --latency`` for a fixed time
against ``POST /v1/decide`` (one request per call, 32 connections) and
``POST /v1/decide/batch`` (``--batch`` requests per call, 4 connections), cycling
through valid random requests over every installed pack (the seeded workload of
bench/workload.py, which bench/decide.py times in process). Prints HTTP calls/s, decisions/s, and wrk's p50 and p99 latency per
call, and fails when any response was not a 200. wrk (Debian: ``apt-get install wrk``)
must be on PATH. This is a benchmark to run and report, not a test: the numbers depend
on the machine, and the load generator shares the machine's cores with the server.
"""

from __future__ import annotations

if not __package__:          # run as a file, python bench/NAME.py: import bench from the checkout
    import os as _os
    import sys as _sys
    _sys.path[0] = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import ports, workload

ROOT = Path(__file__).resolve().parent.parent


def requests(n: int, seed: int) -> list[dict]:
    """``n`` request bodies of the shared seeded workload over every installed pack."""
    from engine.core import Engine
    packs = sorted(Engine.load(strict=True).packs)
    return [{"pack": pack, "action": action, "facts": facts, "at": at}
            for pack, action, facts, at in workload.requests(packs, n, seed)]


def lua_script(path: str, bodies: list[str]) -> str:
    """A wrk script that POSTs the bodies in turn."""
    quoted = ",\n".join(f"[==[{b}]==]" for b in bodies)
    return (f"local bodies = {{\n{quoted}\n}}\nlocal i = 0\n"
            "local headers = {[\"Content-Type\"] = \"application/json\"}\n"
            "request = function()\n  i = i % #bodies + 1\n"
            f"  return wrk.format(\"POST\", \"{path}\", headers, bodies[i])\nend\n")


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"policy serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("policy serve did not come up")


def parse_wrk(text: str) -> dict[str, float]:
    def duration(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    p50 = duration(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))  # type: ignore[union-attr]
    p99 = duration(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:.*", text)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": float(bad.group(1)) if bad else 0.0,
            "socket_errors": errors.group(0) if errors else ""}  # type: ignore[dict-item]


def run_wrk(port: int, script: Path, args: argparse.Namespace, duration: float,
            connections: int) -> dict:
    command = ["wrk", f"-t{args.threads}", f"-c{connections}", f"-d{duration:g}s",
               "--latency", "-s", str(script), f"http://127.0.0.1:{port}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before each run")
    parser.add_argument("--connections", type=int, default=32, help="for single requests")
    parser.add_argument("--batch-connections", type=int, default=4, help="for batches")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--batch", type=int, default=100, help="requests per batch call")
    parser.add_argument("--workers", default="1,2", help="server worker counts to try")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--no-decision-log", dest="decision_log", action="store_false",
                        help="run the service without its decision log")
    ports.add_option(parser)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not on PATH (Debian: apt-get install wrk)")

    pool = requests(1000, args.seed)
    singles = [json.dumps(r) for r in pool[:200]]
    batches = [json.dumps({"requests": pool[i:i + args.batch]})
               for i in range(0, len(pool) - args.batch + 1, args.batch)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        single_lua = Path(tmp, "single.lua")
        single_lua.write_text(lua_script("/v1/decide", singles))
        batch_lua = Path(tmp, "batch.lua")
        batch_lua.write_text(lua_script("/v1/decide/batch", batches))
        for workers in [int(w) for w in args.workers.split(",")]:
            port = ports.choose(args.port)
            log = Path(tmp, f"decisions-{workers}.jsonl")
            options = ["--decision-log", str(log)] if args.decision_log else []
            process = subprocess.Popen(
                [sys.executable, "-m", "engine", "serve", "--port", str(port), "--workers",
                 str(workers), *options], cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_healthy(port, process)
                ports.announce(port, f"policy serve --workers {workers}")
                for name, script, per_call, connections in (
                        ("single", single_lua, 1, args.connections),
                        (f"batch of {args.batch}", batch_lua, args.batch, args.batch_connections)):
                    run_wrk(port, script, args, args.warmup, connections)
                    result = run_wrk(port, script, args, args.duration, connections)
                    if result["non2xx"]:
                        raise SystemExit(f"{int(result['non2xx'])} responses were not 200")
                    rows.append((workers, name, connections, result["rps"],
                                 result["rps"] * per_call, result["p50"], result["p99"],
                                 result["socket_errors"]))
            finally:
                process.terminate()
                process.wait(30)
            if args.decision_log:
                logged = sum(1 for _ in open(log, "rb"))
                print(f"workers={workers}: {logged:,} decisions in the decision log",
                      file=sys.stderr)

    print(f"policy serve on loopback, wrk -t{args.threads} -d{args.duration:g}s, "
          f"{os.cpu_count()} CPUs shared by server and wrk; decision log "
          f"{'on' if args.decision_log else 'off'}")
    print(f"{'workers':>7}  {'request':<13} {'conns':>5} {'calls/s':>9} {'decisions/s':>12} "
          f"{'p50 ms':>8} {'p99 ms':>8}")
    for workers, name, connections, rps, dps, p50, p99, errors in rows:
        print(f"{workers:>7}  {name:<13} {connections:>5} {rps:>9,.0f} {dps:>12,.0f} "
              f"{p50:>8.2f} {p99:>8.2f}" + (f"  ({errors})" if errors else ""))


if __name__ == "__main__":
    main()

"""Benchmark: cold start and memory, each measured in fresh processes.

    python -m bench.startup                 # 10 runs of each
    python -m bench.startup --runs 20

Cold start:
  - ``policy decide tyreso like_page --facts '{"page_category": "commercial"}'``, the
    whole process, wall time and CPU time (user and system), and ``python -c pass``
    beside it (the interpreter alone);
  - inside a fresh process: importing the engine, then ``Engine.load()`` (discover,
    parse and compile every installed pack).

Memory, in a fresh process, of loading and compiling every installed pack:
  - resident set size (VmRSS) of the bare interpreter, after importing the engine, and
    after ``Engine.load()``;
  - tracemalloc: what ``Engine.load()`` allocates and keeps (current) and at most
    (peak), traced from after the imports.

Medians over the runs, with the minimum. This is a benchmark to run and read, not a test.
"""

from __future__ import annotations

if not __package__:          # run as a file, python bench/NAME.py: import bench from the checkout
    import os as _os
    import sys as _sys
    _sys.path[0] = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

DECIDE = ["decide", "tyreso", "like_page", "--facts", '{"page_category": "commercial"}']

#: The children's environment: with bytecode caching on, as an installed program runs (a
#: PYTHONDONTWRITEBYTECODE in the caller's environment would make every process compile
#: the engine's modules from source again, a third of its start-up).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

_CHILD = r"""
import json, sys, time, tracemalloc

def rss_kib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

bare = rss_kib()
t0 = time.perf_counter()
from engine.core import Engine
t1 = time.perf_counter()
imported = rss_kib()
if "--trace" in sys.argv:
    tracemalloc.start()
t2 = time.perf_counter()
engine = Engine.load(strict=True)
t3 = time.perf_counter()
current, peak = tracemalloc.get_traced_memory() if tracemalloc.is_tracing() else (0, 0)
print(json.dumps({"import_ms": (t1 - t0) * 1000, "load_ms": (t3 - t2) * 1000,
                  "packs": len(engine.packs), "rss_bare": bare, "rss_imported": imported,
                  "rss_loaded": rss_kib(), "traced": current, "traced_peak": peak}))
"""


def policy_command() -> list[str]:
    """The ``policy`` script beside this interpreter, else ``python -m engine``."""
    script = Path(sys.executable).with_name("policy")
    if script.exists():
        return [str(script)]
    found = shutil.which("policy")
    return [found] if found else [sys.executable, "-m", "engine"]


def wall_ms(cmd: list[str], runs: int, cpu: list[float] | None = None) -> list[float]:
    """Wall milliseconds of ``runs`` fresh processes; with ``cpu``, their CPU time (user and
    system, which other processes on the machine stretch far less) is appended to it."""
    out = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=ENV)
        out.append((time.perf_counter() - t0) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if cpu is not None:
            cpu.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
                       * 1000)
    return out


def child(*flags: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, *flags], capture_output=True,
                         text=True, check=True, env=ENV).stdout
    return json.loads(out)


def show(values: list[float], unit: str = "ms") -> str:
    return f"median {statistics.median(values):.1f} {unit} (min {min(values):.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)

    cmd = policy_command()
    # warm the disk cache, and write the bytecode caches an installation would have
    subprocess.run(cmd + DECIDE, check=True, stdout=subprocess.DEVNULL, env=ENV)
    print(f"bench.startup: {args.runs} fresh processes each; load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if "PYTHONDONTWRITEBYTECODE" in os.environ:
        print("  (PYTHONDONTWRITEBYTECODE is set here; the processes measured run without it)")
    cpu: list[float] = []
    print(f"  policy {' '.join(DECIDE[:3])} --facts '{DECIDE[4]}' (whole process, wall): "
          f"{show(wall_ms(cmd + DECIDE, args.runs, cpu))}; CPU time {show(cpu)}")
    print(f"  python -c pass (the interpreter alone, wall):                            "
          f"{show(wall_ms([sys.executable, '-c', 'pass'], args.runs))}")
    runs = [child() for _ in range(args.runs)]
    packs = runs[0]["packs"]
    print(f"  in a fresh process: import the engine {show([r['import_ms'] for r in runs])}; "
          f"Engine.load() of {packs} packs {show([r['load_ms'] for r in runs])}")

    traced = [child("--trace") for _ in range(3)]
    mib = 1024
    r = runs[len(runs) // 2]
    print(f"  memory (RSS): bare interpreter {r['rss_bare'] / mib:.1f} MiB, after importing the "
          f"engine {r['rss_imported'] / mib:.1f} MiB, after Engine.load() "
          f"{r['rss_loaded'] / mib:.1f} MiB")
    print(f"    over the bare interpreter: {(r['rss_loaded'] - r['rss_bare']) / mib:.1f} MiB; "
          f"Engine.load() alone: {(r['rss_loaded'] - r['rss_imported']) / mib:.1f} MiB")
    t = traced[0]
    print(f"  memory (tracemalloc, from after the imports): Engine.load() keeps "
          f"{t['traced'] / 2**20:.2f} MiB, peak {t['traced_peak'] / 2**20:.2f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

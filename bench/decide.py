"""Benchmark: in-process decisions per pack, and the time to load the installed packs.

    python -m bench.decide                 # Tyresö, 10,000 requests
    python -m bench.decide --pack all      # every installed pack
    python -m bench.decide --requests 50000 --seed 7

Prints the median and p99 microseconds per decision (each decision timed on its own with
``perf_counter_ns``), decisions per second over the whole run, the outcome mix (all three
outcomes occur), and the cold load-and-compile time of every installed pack, measured in
fresh processes so that nothing is cached in memory. This is a benchmark to run and
report, not a test: the numbers depend on the machine.
"""

from __future__ import annotations

if not __package__:          # run as a file, python bench/NAME.py: import bench from the checkout
    import os as _os
    import sys as _sys
    _sys.path[0] = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))

import argparse
import collections
import statistics
import subprocess
import sys
import time

from bench import workload


def load_time(repeats: int) -> tuple[list[float], list[float]]:
    """Milliseconds, in fresh processes: importing the engine; loading and compiling
    every installed pack once it is imported."""
    code = ("import time; t = time.perf_counter(); from engine.core import Engine; "
            "u = time.perf_counter(); e = Engine.load(strict=True); v = time.perf_counter(); "
            "print((u - t) * 1000, (v - u) * 1000)")
    imports, loads = [], []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout.split()
        imports.append(float(out[0]))
        loads.append(float(out[1]))
    return imports, loads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pack", default="tyreso", help="a pack id, or 'all' (default tyreso)")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the workload")
    args = parser.parse_args()

    from engine.core import Engine
    engine = Engine.load(strict=True)
    packs = sorted(engine.packs) if args.pack == "all" else [args.pack]
    requests = workload.requests(packs, args.requests, args.seed)
    outcomes = collections.Counter(engine.decide(*r).outcome for r in requests)

    timer = time.perf_counter_ns
    decide = engine.decide
    samples: list[float] = []
    start = time.perf_counter()
    for _ in range(args.rounds):
        for p, a, f, at in requests:
            t0 = timer()
            decide(p, a, f, at)
            samples.append((timer() - t0) / 1000)
    wall = time.perf_counter() - start
    samples.sort()

    imports, loads = load_time(5)
    print(f"workload: {args.requests} requests over {', '.join(packs)}, seed {args.seed}, "
          f"{args.rounds} rounds; outcomes {dict(sorted(outcomes.items()))}")
    print(f"decide:   median {statistics.median(samples):.2f} µs, p99 "
          f"{workload.percentile(samples, 0.99):.2f} µs, {len(samples) / wall:,.0f} decisions/s "
          "(including the timer)")
    print(f"load:     load + compile {len(engine.packs)} installed packs: median "
          f"{statistics.median(loads):.1f} ms (min {min(loads):.1f}); importing the engine "
          f"first: median {statistics.median(imports):.1f} ms; {len(loads)} fresh processes")


if __name__ == "__main__":
    main()

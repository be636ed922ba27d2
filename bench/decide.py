"""Benchmark: in-process decisions per pack, and the time to load the installed packs.

    python bench/decide.py                 # Tyresö, 10,000 requests
    python bench/decide.py --pack all      # every installed pack
    python bench/decide.py --requests 50000 --seed 7

Prints the median and p99 microseconds per decision (each decision timed on its own with
``perf_counter_ns``), decisions per second over the whole run, the outcome mix (all three
outcomes occur), and the cold load-and-compile time of every installed pack, measured in
fresh processes so that nothing is cached in memory. This is a benchmark to run and
report, not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import collections
import random
import statistics
import subprocess
import sys
import time
from typing import Any

from engine import vocabulary as vocab


def random_facts(rng: random.Random, action: vocab.Action) -> dict[str, Any]:
    """Facts for one request: every fact present or absent at random, values at random."""
    facts: dict[str, Any] = {}
    for fact in action.facts:
        if not fact.required and rng.random() < 0.3:
            continue
        t = fact.type
        if t.kind == "bool":
            facts[fact.name] = rng.random() < 0.7
        elif t.kind == "int":
            facts[fact.name] = rng.randrange(0, 5)
        elif t.kind == "string":
            facts[fact.name] = rng.choice(["facebook", "instagram"])
        elif t.kind == "date":
            facts[fact.name] = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        elif t.kind == "enum":
            facts[fact.name] = rng.choice(t.values)
        elif t.kind == "set":
            assert t.element is not None
            facts[fact.name] = rng.sample(t.element.values, rng.randrange(0, 3))
    return facts


def workload(packs: list[str], n: int, seed: int) -> list[tuple[str, str, dict[str, Any]]]:
    rng = random.Random(seed)
    actions = list(vocab.ACTIONS.values())
    return [(rng.choice(packs), (a := rng.choice(actions)).name, random_facts(rng, a))
            for _ in range(n)]


def percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


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
    requests = workload(packs, args.requests, args.seed)
    at = "2025-06-01"
    outcomes = collections.Counter(engine.decide(p, a, f, at).outcome for p, a, f in requests)

    timer = time.perf_counter_ns
    decide = engine.decide
    samples: list[float] = []
    start = time.perf_counter()
    for _ in range(args.rounds):
        for p, a, f in requests:
            t0 = timer()
            decide(p, a, f, at)
            samples.append((timer() - t0) / 1000)
    wall = time.perf_counter() - start
    samples.sort()

    imports, loads = load_time(5)
    print(f"workload: {args.requests} requests over {', '.join(packs)}, seed {args.seed}, "
          f"{args.rounds} rounds; outcomes {dict(sorted(outcomes.items()))}")
    print(f"decide:   median {statistics.median(samples):.2f} µs, p99 "
          f"{percentile(samples, 0.99):.2f} µs, {len(samples) / wall:,.0f} decisions/s "
          "(including the timer)")
    print(f"load:     load + compile {len(engine.packs)} installed packs: median "
          f"{statistics.median(loads):.1f} ms (min {min(loads):.1f}); importing the engine "
          f"first: median {statistics.median(imports):.1f} ms; {len(loads)} fresh processes")


if __name__ == "__main__":
    main()

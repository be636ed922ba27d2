"""Benchmark: in-process decisions per pack, and the time to load the installed packs.

    python -m bench.decide                 # Tyresö, 10,000 requests
    python -m bench.decide --pack all      # every installed pack
    python -m bench.decide --requests 50000 --seed 7
    python -m bench.decide --vs-floor      # two requests against the validating floor

Prints the median and p99 microseconds per decision (each decision timed on its own with
``perf_counter_ns``), decisions per second over the whole run, the outcome mix (all three
outcomes occur), and the cold load-and-compile time of every installed pack, measured in
fresh processes so that nothing is cached in memory. This is a benchmark to run and
report, not a test: the numbers depend on the machine.

``--vs-floor`` instead times two single requests side by side in one run: the heaviest
(Tyresö ``create_channel`` with all fifteen facts) and a one-fact ``like_page``, each
decided by this engine, by the validating floor (``bench/floor.py``: the hand-written
if-chains behind a hand-written check of the request), by the plain floor (no checks)
and by the reference pipeline (``FactValidator`` then combining, as the engine decided
before its fast path). Each is timed as loops of calls, the variants in a different
order each repetition, on the thread's CPU time (so that other processes on the machine
do not count); it prints the median per call and the engine's ratio to the validating
floor, of the medians and of the minimums.
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


#: The requests --vs-floor times: (label, pack, action, facts, at).
VS_FLOOR = (
    ("Tyresö create_channel, all 15 facts", "tyreso", "create_channel", {
        "account_type": "organisation", "platform": "Instagram",
        "approved_by": ["manager", "communications_director"], "informed": ["communicator"],
        "responsible_appointed": True, "substitute_appointed": True, "purpose_defined": True,
        "admin_count": 2, "credentials_held_by": ["communicator"],
        "credentials_in_central_storage": True, "activity_plan_filed": True,
        "applied_via_eservice": False, "listed_on_website": True,
        "follows_graphic_profile": True, "visitor_information_published": False},
     "2025-06-02"),
    ("Tyresö like_page, one fact", "tyreso", "like_page", {"page_category": "municipality"},
     "2025-06-02"),
)


def vs_floor(repeats: int, calls: int) -> None:
    """Time the engine and the floors on the VS_FLOOR requests, side by side."""
    import gc
    import os

    from bench import floor
    from engine.core import Engine, moment
    from engine.decide import decide as combine
    engine = Engine.load(strict=True)

    def reference(pack: str, action: str, facts: dict, at: str) -> object:
        when, now = moment(at)
        compiled = engine.edition(pack, when)
        normalised = engine._validators[action].normalise(facts, now)
        plan = compiled.plans.get(action)
        return combine(compiled, action, plan(normalised, when) if plan else [], when)

    variants = [("this engine", engine.decide),
                ("validating floor", floor.decide_validating),
                ("floor (no checks)", floor.decide),
                ("reference pipeline", reference)]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"bench.decide --vs-floor: {repeats} repetitions of {calls:,} calls per variant, "
          f"CPU time; load average {load}")
    for label, pack, action, facts, at in VS_FLOOR:
        want = engine.decide(pack, action, facts, at)
        assert reference(pack, action, facts, at) == want
        assert floor.decide_validating(pack, action, facts, at) == (
            want.outcome, tuple(s.id for s in want.steps), want.by_default)
        per_call: dict[str, list[float]] = {name: [] for name, _ in variants}
        timer = time.thread_time_ns        # this thread's CPU time: other processes don't count
        for rep in range(repeats):
            shift = rep % len(variants)
            for name, fn in variants[shift:] + variants[:shift]:
                gc.collect()
                t0 = timer()
                for _ in range(calls):
                    fn(pack, action, facts, at)
                per_call[name].append((timer() - t0) / calls / 1000)
        med = {name: statistics.median(v) for name, v in per_call.items()}
        print(f"{label} ({want.outcome}, {len(want.reasons)} reasons):")
        for name, _ in variants:
            print(f"  {name:<20} median {med[name]:6.2f} µs per call "
                  f"(min {min(per_call[name]):.2f})")
        ratio = med["this engine"] / med["validating floor"]
        low = min(per_call["this engine"]) / min(per_call["validating floor"])
        print(f"  this engine / validating floor: {ratio:.2f}× (of the minimums: {low:.2f}×); "
              f"/ floor without checks: "
              f"{med['this engine'] / med['floor (no checks)']:.2f}×; reference pipeline / "
              f"this engine: {med['reference pipeline'] / med['this engine']:.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pack", default="tyreso", help="a pack id, or 'all' (default tyreso)")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the workload")
    parser.add_argument("--vs-floor", action="store_true",
                        help="time the heaviest and a one-fact request against the floors")
    args = parser.parse_args()
    if args.vs_floor:
        vs_floor(repeats=15, calls=10_000)
        return

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

"""Benchmark: this engine side by side with the floor and the peer engines.

    python -m bench.peers                       # 10,000 requests, seed 2025, 3 rounds
    python -m bench.peers --requests 2000 --rounds 1

Every engine decides the same seeded requests for the Tyresö and Töreboda packs, in the
same process: this engine (``Engine.decide``, the full decision), the floor
(``bench/floor.py``, hand-written if-chains), the validating floor (the same if-chains
behind a hand-written check of the request) and each peer whose package is installed
(``pip install -e '.[bench]'``): Rego through opa-eval, Cedar through cedarpy,
rule-engine and Casbin, with their policies in ``bench/peers/``.

First the agreement check: every engine must give the same outcome, step ids and
``by_default`` as this engine on every request; on a mismatch the request and both
answers are printed and the command exits 1. Then the timing: several rounds, the
engines in a different order each round, each call timed on its own with
``perf_counter_ns`` (median and p99), and a pass without per-call timers for decisions
per second (on the thread's CPU time, so that other processes do not count). Two
workloads: all eight actions, and the two-action subset (like_page, create_channel).

This is a benchmark to run and read, not a test: the numbers depend on the machine.
"""

from __future__ import annotations

if not __package__:          # run as a file, python bench/NAME.py: import bench from the checkout
    import os as _os
    import sys as _sys
    _sys.path[0] = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))

import argparse
import collections
import gc
import os
import platform
import sys
from typing import Any

from bench import adapters, workload

TWO_ACTIONS = ("like_page", "create_channel")
WARMUP = 500


class Mismatch(Exception):
    pass


def check_agreement(reference: Any, engines: list[Any], reqs: list[workload.Request],
                    counters: dict[str, list[int]] | None = None) -> dict[str, float]:
    """Raise :class:`Mismatch` unless every engine answers every request as
    ``reference`` does. Returns the peer calls per decision, for the counting peers."""
    expected = [reference.result(reference.decide(*r)) for r in reqs]
    for eng in engines:
        if counters and eng.name in counters:
            counters[eng.name][0] = 0
        for req, want in zip(reqs, expected):
            try:
                got = eng.result(eng.decide(*req))
            except Exception as e:        # an engine that fails on a request disagrees
                got = f"error: {type(e).__name__}: {e}"
            if got != want:
                pack, action, facts, at = req
                raise Mismatch(
                    f"{eng.name} disagrees with {reference.name}\n"
                    f"  request: pack={pack} action={action} at={at} facts={facts}\n"
                    f"  {reference.name}: {want}\n  {eng.name}: {got}")
    return {name: c[0] / len(reqs) for name, c in (counters or {}).items()}


def measure(engines: list[Any], reqs: list[workload.Request], rounds: int,
            budget_s: float) -> dict[str, dict]:
    """Median, p99 and decisions/s per engine. An engine so slow that timing it on every
    request would take more than ``budget_s`` seconds is timed on the first requests
    only (a random sample, as the workload is random), never fewer than 1,000."""
    sizes = {}
    for eng in engines:
        probe = reqs[:WARMUP]
        per_call_ns = workload.time_pass(eng.decide, probe) / len(probe)
        fits = int(budget_s * 1e9 / (per_call_ns * rounds * 2))
        sizes[eng.name] = min(len(reqs), max(1000, fits))
    samples: dict[str, list[int]] = {e.name: [] for e in engines}
    passes: dict[str, int] = collections.Counter()
    for r in range(rounds):
        order = engines[r % len(engines):] + engines[:r % len(engines)]
        for eng in order:
            part = reqs[:sizes[eng.name]]
            gc.collect()
            workload.time_each(eng.decide, part, samples[eng.name])
            gc.collect()
            passes[eng.name] += workload.time_pass(eng.decide, part)
    out = {}
    for eng in engines:
        s = workload.summary(samples[eng.name])
        out[eng.name] = {"median": s.median_us, "p99": s.p99_us, "timed": sizes[eng.name],
                         "per_s": sizes[eng.name] * rounds / (passes[eng.name] / 1e9)}
    return out


def batch_cost(engine: Any, reqs: list[workload.Request], rounds: int) -> tuple[float, float]:
    """Mean CPU µs per decision: ``decide`` one by one, and ``decide_many`` on the batch."""
    from time import thread_time_ns as timer
    batch = [{"pack": p, "action": a, "facts": f, "at": at} for p, a, f, at in reqs]
    single, many = [], []
    for _ in range(rounds):
        gc.collect()
        single.append(workload.time_pass(engine.decide, reqs))
        gc.collect()
        t0 = timer()
        engine.engine.decide_many(batch)
        many.append(timer() - t0)
    return min(single) / len(reqs) / 1000, min(many) / len(reqs) / 1000


def table(title: str, rows: list[tuple], ours: float, total: int) -> str:
    lines = [title,
             f"  {'engine':<20} {'median µs':>10} {'p99 µs':>10} {'decisions/s':>12} "
             f"{'calls/dec':>9} {'× this engine':>14}  notes"]
    for name, stats, calls, note in rows:
        if stats is None:
            lines.append(f"  {name:<20} {'—':>10} {'—':>10} {'—':>12} {'—':>9} {'—':>14}  {note}")
            continue
        ratio = stats["median"] / ours
        if stats["timed"] < total:
            note += f"; timed on {stats['timed']:,} of the requests"
        lines.append(f"  {name:<20} {stats['median']:>10.2f} {stats['p99']:>10.2f} "
                     f"{stats['per_s']:>12,.0f} {calls:>9} {ratio:>13.2f}×  {note}")
    return "\n".join(lines)


class ValidatingFloor:
    """The floor's if-chains behind a hand-written check of the request
    (``bench.floor.decide_validating``)."""

    name = "validating floor"
    note = "the floor checking the request as the contract requires"

    def __init__(self, counter: list[int] | None = None) -> None:
        from bench import floor
        self.decide = floor.decide_validating

    result = staticmethod(lambda r: r)


def run(workload_name: str, reqs: list[workload.Request], engine: Any, floor: Any,
        peers: list[Any], counted: list[Any], counters: dict[str, list[int]],
        rounds: int, budget_s: float) -> dict[str, dict]:
    live = [p for p in peers if not isinstance(p, adapters.Missing)]
    checked = ValidatingFloor()
    # Every request through the floors and the call-counting peers; the timed peers (the
    # same adapters without the counter) on the first requests, which warms them up.
    calls = check_agreement(engine, [floor, checked] + [p for p in counted
                                                        if not isinstance(p, adapters.Missing)],
                            reqs, counters)
    check_agreement(engine, live, reqs[:WARMUP])
    outcomes = collections.Counter(engine.result(engine.decide(*r))[0] for r in reqs)
    print(f"\n{workload_name}: {len(reqs):,} requests, outcomes "
          f"{dict(sorted(outcomes.items()))}; every engine agrees on every request "
          "(outcome, step ids, by_default)")
    stats = measure([engine, floor, checked] + live, reqs, rounds, budget_s)
    ours = stats[engine.name]["median"]
    rows = [(engine.name, stats[engine.name], "1", engine.note),
            (floor.name, stats[floor.name], "—", floor.note),
            (checked.name, stats[checked.name], "—", checked.note)]
    for peer in peers:
        if isinstance(peer, adapters.Missing):
            rows.append((peer.name, None, None, peer.reason))
        else:
            rows.append((peer.name, stats[peer.name], f"{calls[peer.name]:.2f}", peer.note))
    print(table(f"{workload_name} ({rounds} rounds; decisions/s on CPU time; × this engine = "
                "ratio of medians):", rows, ours,
                len(reqs)))
    fl = stats[floor.name]["median"]
    vf = stats[checked.name]["median"]
    print(f"  this engine / floor: {ours / fl:.1f}× (median {ours:.2f} µs vs {fl:.2f} µs); "
          f"/ validating floor: {ours / vf:.2f}× ({vf:.2f} µs)")
    return stats


def versions() -> str:
    import importlib.metadata as md
    parts = [f"Python {platform.python_version()}", f"{platform.machine()}",
             f"{os.cpu_count()} CPUs"]
    for dist in ("opa-eval", "cedarpy", "rule-engine", "casbin"):
        try:
            parts.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:
            parts.append(f"{dist} missing")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes per engine")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="seconds of timing per engine and workload (default 20); a "
                             "slower engine is timed on fewer requests")
    args = parser.parse_args(argv)

    engine, floor = adapters.Engine(), adapters.Floor()
    peers = adapters.load_peers()
    counters: dict[str, list[int]] = {}
    counted = adapters.load_peers(counters)
    print(f"bench.peers: seed {args.seed}; {versions()}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average before the run: {load} (other processes on the machine "
          "stretch the p99 of the slower engines most)")
    print(f"timer overhead (empty perf_counter_ns pair): {workload.timer_overhead_ns():.0f} ns, "
          "included in every median and p99 below")
    try:
        everything = workload.requests(adapters.PACKS, args.requests, args.seed,
                                       actions=adapters.PEER_ACTIONS)
        run("all actions, Tyresö + Töreboda", everything, engine, floor, peers, counted,
            counters, args.rounds, args.budget)
        two = workload.requests(adapters.PACKS, args.requests, args.seed, actions=TWO_ACTIONS)
        run("two actions (like_page, create_channel), Tyresö + Töreboda", two, engine, floor,
            peers, counted, counters, args.rounds, args.budget)
    except Mismatch as e:
        print(f"\nMISMATCH: {e}", file=sys.stderr)
        return 1
    single, many = batch_cost(engine, everything, args.rounds)
    print(f"\nbatch, all actions: decide one by one {single:.2f} µs/decision, decide_many "
          f"{many:.2f} µs/decision ({many / single:.2f}× the single call; target ≤ 1.5×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

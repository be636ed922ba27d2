"""Benchmark: cost per decision as batches grow, and the memory of a stream.

    python -m bench.batch                   # 100, 10,000, 100,000 and 1,000,000 requests
    python -m bench.batch --max 10000       # only the sizes up to 10,000
    python -m bench.batch --rounds 5

For each size, microseconds per decision on this thread's CPU time (other processes on
the machine do not count), median over the rounds, for three ways of deciding the same
request objects ``{"pack", "action", "facts", "at"}`` (the shared seeded workload over
every installed pack, a fresh dict for each request as a caller's batch would hold;
below 10,000 requests, a round decides 10,000 of them in batches of that size, so that
every size decides the same requests and only the batching differs):

  - ``decide``: ``Engine.decide_request`` called once per request, the decisions dropped;
  - ``decide_many``: one call for the whole list, the list of decisions kept;
  - ``decide_stream``: iterating ``Engine.decide_stream`` over the list, the decisions
    dropped as they come.

Then the ratios that say whether the cost is flat: each way at each size against the
same way at the smallest size, and ``decide_many`` against ``decide`` at each size.
Memory, each in a fresh process: the peak resident set size (``VmHWM``) while
``decide_stream`` decides the largest size of requests made one at a time by a
generator, against the same process before the stream began, and the same for
``decide_many`` holding that many requests and decisions in lists.

Every request is decided once before anything is timed (the first decision of some
actions loads a calendar of public holidays). This is a benchmark to run and read, not a
test: the numbers depend on the machine.
"""

from __future__ import annotations

if not __package__:          # run as a file, python bench/NAME.py: import bench from the checkout
    import os as _os
    import sys as _sys
    _sys.path[0] = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any, Iterator

from bench import workload

SIZES = (100, 10_000, 100_000, 1_000_000)
DISTINCT = 10_000          # distinct requests drawn; larger batches repeat them (as copies)
WAYS = ("decide", "decide_many", "decide_stream")


def request_objects(packs: list[str], n: int, seed: int) -> Iterator[dict[str, Any]]:
    """``n`` request objects, lazily: the seeded workload's first ``DISTINCT`` requests
    over and over, each a fresh dict with its own facts dict."""
    base = workload.requests(packs, min(n, DISTINCT), seed)
    for i in range(n):
        pack, action, facts, at = base[i % len(base)]
        yield {"pack": pack, "action": action, "facts": dict(facts), "at": at}


def time_way(engine: Any, way: str, batch: list[dict[str, Any]]) -> float:
    """Microseconds per decision of one pass over ``batch``, on this thread's CPU time."""
    timer = time.thread_time_ns
    if way == "decide":
        decide = engine.decide_request
        t0 = timer()
        for request in batch:
            decide(request)
        elapsed = timer() - t0
    elif way == "decide_many":
        t0 = timer()
        decisions = engine.decide_many(batch)
        elapsed = timer() - t0
        del decisions
    else:
        t0 = timer()
        for _ in engine.decide_stream(batch):
            pass
        elapsed = timer() - t0
    return elapsed / len(batch) / 1000


_CHILD = r"""
import json, resource, sys
from bench.batch import request_objects
from engine.core import Engine

def peak_kib():
    # VmHWM: this process's own peak; ru_maxrss on Linux also counts the parent's
    # resident size when it forked this process
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

way, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
engine = Engine.load(strict=True)
packs = sorted(engine.packs)
for _ in engine.decide_stream(request_objects(packs, 10_000, seed)):   # warm, as timed runs are
    pass
before = peak_kib()
if way == "decide_stream":
    count = sum(1 for _ in engine.decide_stream(request_objects(packs, n, seed)))
else:
    batch = list(request_objects(packs, n, seed))
    count = len(engine.decide_many(batch))
print(json.dumps({"before_kib": before, "peak_kib": peak_kib(), "count": count}))
"""


def peak_memory(way: str, n: int, seed: int) -> dict[str, int]:
    """The peak RSS of a fresh process deciding ``n`` requests ``way``, and before it."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
    out = subprocess.run([sys.executable, "-c", _CHILD, way, str(n), str(seed)], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=int, default=SIZES[-1], metavar="N",
                        help="the largest batch (default 1,000,000); sizes above it are left out")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes per size and way")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--no-memory", action="store_true",
                        help="leave out the memory measurements (two fresh processes)")
    args = parser.parse_args(argv)
    sizes = [n for n in SIZES if n <= args.max] or [args.max]

    from engine.core import Engine
    engine = Engine.load(strict=True)
    packs = sorted(engine.packs)
    print(f"bench.batch: seed {args.seed}, {args.rounds} rounds; Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs; load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for _ in engine.decide_stream(request_objects(packs, DISTINCT, args.seed)):   # warm up
        pass

    medians: dict[tuple[str, int], float] = {}
    print(f"  {'requests':>10}  " + "  ".join(f"{w + ' µs':>17}" for w in WAYS)
          + "  many/decide")
    for n in sizes:
        # below DISTINCT requests, as many different batches of n as make up DISTINCT: a
        # round decides the same requests at every size, in batches of n
        pool = list(request_objects(packs, max(n, DISTINCT), args.seed))
        batches = [pool[i:i + n] for i in range(0, len(pool), n)]
        for way in WAYS:
            runs = []
            for _ in range(args.rounds):
                gc.collect()
                runs.append(sum(time_way(engine, way, b) * len(b) for b in batches)
                            / len(pool))
            medians[way, n] = statistics.median(runs)
        del pool, batches
        print(f"  {n:>10,}  " + "  ".join(f"{medians[w, n]:>17.2f}" for w in WAYS)
              + f"  {medians['decide_many', n] / medians['decide', n]:>10.2f}×")
    first = sizes[0]
    for way in WAYS:
        print(f"  {way}: × the cost at {first:,}: "
              + ", ".join(f"{medians[way, n] / medians[way, first]:.2f}× at {n:,}"
                          for n in sizes[1:]) if len(sizes) > 1 else "")
    if not args.no_memory:
        largest = sizes[-1]
        for way in ("decide_stream", "decide_many"):
            m = peak_memory(way, largest, args.seed)
            print(f"  memory, {way} of {m['count']:,} requests in a fresh process: peak RSS "
                  f"{m['peak_kib'] / 1024:.1f} MiB, {(m['peak_kib'] - m['before_kib']) / 1024:.1f} "
                  "MiB over the process before it")
    return 0


if __name__ == "__main__":
    sys.exit(main())

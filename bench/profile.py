"""Where this engine's time per decision goes: ``Engine.decide`` under cProfile.

    python -m bench.profile                  # every installed pack, 20,000 requests
    python -m bench.profile --pack tyreso --pack toreboda

Prints the functions with the largest own time (tottime), each with its share of the
total and calls per decision, and the cumulative share of the pipeline's steps
(validate, evaluate, combine). cProfile adds a fixed cost to every call, so small
functions look heavier than they are; the shares say where to look, the benchmarks say
how fast it is. With pyinstrument installed (``pip install -e '.[bench]'``),
``--sampling`` prints its statistical profile instead, which has no such bias.
"""

from __future__ import annotations

if not __package__:          # run as a file, python bench/NAME.py: import bench from the checkout
    import os as _os
    import sys as _sys
    _sys.path[0] = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))

import argparse
import cProfile
import pstats
import sys

from bench import workload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pack", action="append", help="a pack id (repeatable); default all")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--sampling", action="store_true", help="use pyinstrument")
    args = parser.parse_args(argv)

    from engine.core import Engine
    engine = Engine.load(strict=True)
    packs = args.pack or sorted(engine.packs)
    reqs = workload.requests(packs, args.requests, args.seed)
    decide = engine.decide
    for r in reqs[:1000]:
        decide(*r)                                   # warm up

    def run() -> None:
        for pack, action, facts, at in reqs:
            decide(pack, action, facts, at)

    if args.sampling:
        try:
            from pyinstrument import Profiler
        except ImportError:
            print("error: --sampling needs pyinstrument, one of the bench extras: "
                  "pip install -e '.[bench]' (or leave out --sampling for cProfile)",
                  file=sys.stderr)
            return 2
    print(f"bench.profile: {len(reqs):,} requests over {', '.join(packs)}, seed {args.seed}")
    if args.sampling:
        profiler = Profiler(interval=0.0001)
        profiler.start()
        run()
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return 0

    profile = cProfile.Profile()
    profile.runcall(run)
    stats = pstats.Stats(profile)
    total = stats.total_tt
    rows = []
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        where = filename.split("/")[-1] if filename != "~" else "builtin"
        rows.append((tottime, cumtime, ncalls, f"{where}:{line}({name})"))
    rows.sort(reverse=True)
    print(f"total {total:.3f} s under cProfile ({total / len(reqs) * 1e6:.2f} µs per decision "
          "with the profiler's overhead)")
    print(f"  {'own %':>6} {'cum %':>6} {'calls/dec':>9}  function")
    for tottime, cumtime, ncalls, label in rows[:args.top]:
        print(f"  {tottime / total * 100:>6.1f} {cumtime / total * 100:>6.1f} "
              f"{ncalls / len(reqs):>9.2f}  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

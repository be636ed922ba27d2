"""Benchmark: cost per decision as one action's rules grow from 20 to 2,000.

    python -m bench.scaling                     # N = 20, 200, 2000
    python -m bench.scaling --sizes 20 200 2000 20000 --requests 5000

For each N a pack is generated with N rules on ``create_channel``, each testing a
different ``admin_count`` value, in three shapes taken in turn:

    rule r-0   deny when admin_count == 100 and account_type == private
    rule r-1   allow when admin_count == 101
    rule r-2   require step-2 when admin_count == 102, done when purpose_defined

so any request matches at most one rule: the work a decision needs is the same for
every N, and whatever grows with N is the engine's own cost of finding that rule. The
pack goes through the real pipeline (``dsl.parser.parse_pack``, then
``engine.compiler.compile_pack``, loaded into an ``Engine`` as a plugin pack) and the
decisions are checked against the generator's own expectation before anything is
timed. Requests hit every rule's value, and a tenth of them hit none (the default).

Prints the curve: compile time, median and p99 per decision, and the ratio to N=20.
This is a benchmark to run and read, not a test.
"""

from __future__ import annotations

if not __package__:          # run as a file, python bench/NAME.py: import bench from the checkout
    import os as _os
    import sys as _sys
    _sys.path[0] = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))

import argparse
import gc
import random
import sys
import time
from typing import Any

from bench import workload

BASE = 100          # admin_count of rule 0


def pack_text(n: int) -> str:
    """A pack with ``n`` rules on create_channel, as described above."""
    lines = [f"pack scaling{n}", f'  name "Scaling, {n} rules"', "  dated undated",
             '  version "1.0.0"', "  default allow", ""]
    for i in range(n):
        value = BASE + i
        lines.append(f"rule r-{i}")
        lines.append("  on create_channel")
        if i % 3 == 0:
            lines.append(f"  deny when admin_count == {value} and account_type == private")
            lines.append(f'  because "No private account with {value} administrators."')
        elif i % 3 == 1:
            lines.append(f"  allow when admin_count == {value}")
            lines.append(f'  because "A channel with {value} administrators may start."')
        else:
            lines.append(f"  when admin_count == {value}")
            lines.append(f'  require step-{i} "Write down the purpose of channel {value}."')
            lines.append("  done when purpose_defined")
        lines.append("")
    return "\n".join(lines)


def expected(n: int, facts: dict[str, Any]) -> tuple[str, tuple[str, ...], bool]:
    """What the pack of :func:`pack_text` decides for ``facts``: outcome, steps, by_default."""
    i = facts.get("admin_count", 0) - BASE
    if not 0 <= i < n:
        return ("allow", (), True)
    if i % 3 == 0:
        return ("deny", (), False) if facts["account_type"] == "private" else ("allow", (), True)
    if i % 3 == 1:
        return ("allow", (), False)
    if facts.get("purpose_defined"):
        return ("allow", (), False)
    return ("required_steps", (f"step-{i}",), False)


def requests(n: int, count: int, seed: int) -> list[workload.Request]:
    rng = random.Random(seed)
    out: list[workload.Request] = []
    for _ in range(count):
        value = BASE + rng.randrange(n) if rng.random() < 0.9 else rng.randrange(0, BASE)
        facts = {"account_type": rng.choice(["organisation", "private"]),
                 "admin_count": value, "purpose_defined": rng.random() < 0.5}
        out.append((f"scaling{n}", "create_channel", facts, "2025-06-01"))
    return out


def load(n: int) -> tuple[Any, float]:
    """An engine holding the generated pack, and the parse + compile time in ms."""
    from dsl.parser import parse_pack
    from engine.compiler import compile_pack
    from engine.core import Engine
    from engine.hookspecs import hookimpl
    from engine.model import PackSource

    text = pack_text(n)
    t0 = time.perf_counter()
    compile_pack(parse_pack(text, f"scaling{n}.policy"))
    compile_ms = (time.perf_counter() - t0) * 1000

    class GeneratedPack:
        @hookimpl
        def policy_packs(self) -> list[PackSource]:
            return [PackSource(text, f"scaling{n}.policy")]

    return Engine.load(plugins=[GeneratedPack()], entry_points=False, strict=True), compile_ms


def check(engine: Any, reqs: list[workload.Request]) -> None:
    n = int(reqs[0][0].removeprefix("scaling"))
    for pack, action, facts, at in reqs:
        d = engine.decide(pack, action, facts, at)
        got = (d.outcome, tuple(s.id for s in d.steps), d.by_default)
        if got != expected(n, facts):
            raise AssertionError(f"scaling{n}: {facts} gave {got}, expected {expected(n, facts)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200, 2000])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)

    print(f"bench.scaling: {args.requests:,} requests per size, {args.rounds} rounds, seed "
          f"{args.seed}; one action (create_channel), rules on distinct admin_count values")
    print(f"  {'rules':>6} {'compile ms':>11} {'median µs':>10} {'p99 µs':>8} {'× N=' + str(args.sizes[0]):>8}")
    first = None
    for n in args.sizes:
        engine, compile_ms = load(n)
        reqs = requests(n, args.requests, args.seed)
        check(engine, reqs)
        samples: list[int] = []
        for _ in range(args.rounds):
            gc.collect()
            workload.time_each(engine.decide, reqs, samples)
        s = workload.summary(samples)
        first = first or s.median_us
        print(f"  {n:>6} {compile_ms:>11.1f} {s.median_us:>10.2f} {s.p99_us:>8.2f} "
              f"{s.median_us / first:>7.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: cost per decision and compile time as one action's rules grow.

    python -m bench.scaling                      # N = 20, 200, 2,000, 20,000; every shape
    python -m bench.scaling --max 2000           # stop at 2,000 rules (a quick run)
    python -m bench.scaling --shapes string mixed --requests 2000
    python -m bench.scaling --compile-only --sizes 2000 20000

For each N and each *shape* a pack is generated with N rules on ``create_channel``, each
rule keyed on its own value of one fact, in three effects taken in turn:

    rule r-0   deny when KEY(0) and account_type == private
    rule r-1   allow when KEY(1) and EXTRA(1)
    rule r-2   require step-2 when KEY(2) and EXTRA(2), done when purpose_defined

The shapes differ in the key and the extra condition:

    int      KEY(i) = admin_count == 100+i                  no extra
    string   KEY(i) = platform == "p-i"                     no extra
    mixed    KEY(i) = platform == "p-i"                     EXTRA(i) in turn: set membership
             (manager in approved_by), a negated bool, contains, !=, not in
    gated    KEY(i) = ROLE in approved_by and [not] responsible_appointed and
             admin_count >= 100+i and admin_count < 101+i   (no equality at all: a set and a
             bool gate the rule, a numeric range decides it)

so any request matches at most one rule: the work a decision needs is the same for
every N, and whatever grows with N is the engine's own cost of finding that rule. For
``gated`` the role can only narrow the candidates to about one rule in seven for each
role the request's set holds: the bool and the numeric range are evaluated for those. The pack goes through the real
pipeline (``dsl.parser.parse_pack``, then ``engine.compiler.compile_pack``, loaded into
an ``Engine`` as a plugin pack) and the decisions are checked against the generator's
own expectation before anything is timed. Requests hit every rule's key, and a tenth of
them hit none (the default).

Prints, per shape and N: compile time (parsed once, compiled ``--rounds`` times, the
median), the median and p99 per decision (the median of the rounds' medians, and the
p99 over all of them) and the ratio of the median to the smallest N's. This is a
benchmark to run and read, not a test.
"""

from __future__ import annotations

if not __package__:          # run as a file, python bench/NAME.py: import bench from the checkout
    import os as _os
    import sys as _sys
    _sys.path[0] = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))

import argparse
import gc
import os
import random
import statistics
import sys
import time
from typing import Any, Callable

from bench import workload

BASE = 100          # admin_count of rule 0
SIZES = (20, 200, 2000, 20_000)
ROLES = ("manager", "department_head", "communicator", "communications_unit",
         "communications_director", "information_officer", "website_owner")

Facts = dict[str, Any]
#: The extra conditions of the ``mixed`` shape, in turn: their text and what they mean.
EXTRAS: tuple[tuple[str, Callable[[Facts], bool]], ...] = (
    ("manager in approved_by", lambda f: "manager" in f["approved_by"]),
    ("not responsible_appointed", lambda f: not f["responsible_appointed"]),
    ("informed contains communicator", lambda f: "communicator" in f["informed"]),
    ("account_type != private", lambda f: f["account_type"] != "private"),
    ("communicator not in credentials_held_by",
     lambda f: "communicator" not in f["credentials_held_by"]),
)
SHAPES = ("int", "string", "mixed", "gated")


def key_text(shape: str, i: int) -> str:
    if shape == "int":
        return f"admin_count == {BASE + i}"
    if shape in ("string", "mixed"):
        return f'platform == "p-{i}"'
    gate = "" if i % 2 else "not "
    return (f"{ROLES[i % len(ROLES)]} in approved_by and {gate}responsible_appointed and "
            f"admin_count >= {BASE + i} and admin_count < {BASE + i + 1}")


def extra(shape: str, i: int) -> tuple[str, Callable[[Facts], bool]] | None:
    return EXTRAS[i % len(EXTRAS)] if shape == "mixed" else None


def pack_text(n: int, shape: str = "int") -> str:
    """A pack with ``n`` rules of ``shape`` on create_channel, as described above."""
    lines = [f"pack scaling_{shape}_{n}", f'  name "Scaling, {shape}, {n} rules"',
             "  dated undated", '  version "1.0.0"', "  default allow", ""]
    for i in range(n):
        when = key_text(shape, i)
        more = extra(shape, i)
        lines.append(f"rule r-{i}")
        lines.append("  on create_channel")
        if i % 3 == 0:
            lines.append(f"  deny when {when} and account_type == private")
            lines.append(f'  because "No private account for channel {i}."')
        else:
            when = f"{when} and {more[0]}" if more else when
            if i % 3 == 1:
                lines.append(f"  allow when {when}")
                lines.append(f'  because "Channel {i} may start."')
            else:
                lines.append(f"  when {when}")
                lines.append(f'  require step-{i} "Write down the purpose of channel {i}."')
                lines.append("  done when purpose_defined")
        lines.append("")
    return "\n".join(lines)


def key_of(shape: str, facts: Facts) -> int | None:
    """The one rule whose key ``facts`` can satisfy, if any."""
    if shape == "int":
        return facts["admin_count"] - BASE
    if shape in ("string", "mixed"):
        platform = facts["platform"]
        return int(platform[2:]) if platform.startswith("p-") else None
    i = facts["admin_count"] - BASE
    if i < 0 or ROLES[i % len(ROLES)] not in facts["approved_by"]:
        return None
    return i if facts["responsible_appointed"] == bool(i % 2) else None


def expected(n: int, facts: Facts, shape: str = "int") -> tuple[str, tuple[str, ...], bool]:
    """What the pack of :func:`pack_text` decides for ``facts``: outcome, steps, by_default."""
    i = key_of(shape, facts)
    if i is None or not 0 <= i < n:
        return ("allow", (), True)
    if i % 3 == 0:
        return ("deny", (), False) if facts["account_type"] == "private" else ("allow", (), True)
    more = extra(shape, i)
    if more and not more[1](facts):
        return ("allow", (), True)
    if i % 3 == 1:
        return ("allow", (), False)
    if facts["purpose_defined"]:
        return ("allow", (), False)
    return ("required_steps", (f"step-{i}",), False)


def requests(n: int, count: int, seed: int, shape: str = "int") -> list[workload.Request]:
    rng = random.Random(seed)
    out: list[workload.Request] = []
    for _ in range(count):
        hit = rng.random() < 0.9
        i = rng.randrange(n)
        facts = {"account_type": rng.choice(["organisation", "private"]),
                 "purpose_defined": rng.random() < 0.5,
                 "responsible_appointed": rng.random() < 0.5,
                 "approved_by": [r for r in ROLES if rng.random() < 0.15],
                 "informed": [r for r in ROLES if rng.random() < 0.5],
                 "credentials_held_by": [r for r in ROLES if rng.random() < 0.5],
                 "admin_count": BASE + i if hit else rng.randrange(0, BASE),
                 "platform": f"p-{i}" if hit else "facebook"}
        if shape == "gated" and hit:
            facts["responsible_appointed"] = bool(i % 2) if rng.random() < 0.9 else not i % 2
            if rng.random() < 0.9 and ROLES[i % len(ROLES)] not in facts["approved_by"]:
                facts["approved_by"].append(ROLES[i % len(ROLES)])
        out.append((f"scaling_{shape}_{n}", "create_channel", facts, "2025-06-01"))
    return out


def compile_seconds(n: int, shape: str, rounds: int) -> tuple[float, float]:
    """Parse seconds (once) and the median of ``rounds`` compile times, in seconds."""
    from dsl.parser import parse_pack
    from engine.compiler import compile_pack

    text = pack_text(n, shape)
    t0 = time.perf_counter()
    pack = parse_pack(text, f"scaling_{shape}_{n}.policy")
    parse_s = time.perf_counter() - t0
    times = []
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        compile_pack(pack)
        times.append(time.perf_counter() - t0)
    return parse_s, statistics.median(times)


def load(n: int, shape: str = "int") -> Any:
    """An engine holding the generated pack."""
    from engine.core import Engine
    from engine.hookspecs import hookimpl
    from engine.model import PackSource

    text = pack_text(n, shape)

    class GeneratedPack:
        @hookimpl
        def policy_packs(self) -> list[PackSource]:
            return [PackSource(text, f"scaling_{shape}_{n}.policy")]

    return Engine.load(plugins=[GeneratedPack()], entry_points=False, strict=True)


def check(engine: Any, reqs: list[workload.Request]) -> None:
    _, shape, size = reqs[0][0].split("_")
    for pack, action, facts, at in reqs:
        d = engine.decide(pack, action, facts, at)
        got = (d.outcome, tuple(s.id for s in d.steps), d.by_default)
        want = expected(int(size), facts, shape)
        if got != want:
            raise AssertionError(f"{pack}: {facts} gave {got}, expected {want}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--max", type=int, default=None, help="leave out sizes above this")
    parser.add_argument("--shapes", nargs="+", choices=SHAPES, default=list(SHAPES))
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--compile-only", action="store_true",
                        help="measure parsing and compiling only, no decisions")
    args = parser.parse_args(argv)
    sizes = [n for n in args.sizes if args.max is None or n <= args.max]

    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"bench.scaling: {args.requests:,} requests per size, {args.rounds} rounds, seed "
          f"{args.seed}; one action (create_channel); load average {load_avg}")
    columns = f"  {'shape':<7} {'rules':>6} {'parse s':>8} {'compile s':>10}"
    print(columns if args.compile_only else
          f"{columns} {'median µs':>10} {'p99 µs':>8} {'× N=' + str(sizes[0]):>9}")
    for shape in args.shapes:
        first = None
        for n in sizes:
            parse_s, compile_s = compile_seconds(n, shape, args.rounds)
            if args.compile_only:
                print(f"  {shape:<7} {n:>6} {parse_s:>8.2f} {compile_s:>10.3f}", flush=True)
                continue
            engine = load(n, shape)
            reqs = requests(n, args.requests, args.seed, shape)
            check(engine, reqs)
            medians: list[float] = []
            samples: list[int] = []
            for _ in range(args.rounds):
                gc.collect()
                one: list[int] = []
                workload.time_each(engine.decide, reqs, one)
                medians.append(workload.summary(one).median_us)
                samples += one
            median = statistics.median(medians)
            first = first or median
            print(f"  {shape:<7} {n:>6} {parse_s:>8.2f} {compile_s:>10.3f} {median:>10.2f} "
                  f"{workload.summary(samples).p99_us:>8.2f} {median / first:>8.2f}×", flush=True)
            del engine
    return 0


if __name__ == "__main__":
    sys.exit(main())

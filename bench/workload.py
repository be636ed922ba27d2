"""Seeded request workloads and the timing statistics shared by the benchmarks.

``requests(packs, n, seed)`` draws ``n`` requests over the given packs and every action
of the vocabulary. Each request is ``(pack, action, facts, at)`` exactly as a caller
would send it: facts as JSON values (sets as lists, dates as ISO strings), the date
``at`` as an ISO string. Facts are drawn so that all three outcomes occur for most
actions: each request picks how diligent its caller was (how likely a bool fact is
true, a role is in a set), and snapshot dates cluster around the six-month boundary,
month ends and leap days, where calendar-month arithmetic goes wrong first.

``summary(samples_ns)`` turns per-call timings into the median and p99 in microseconds.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
from typing import Any, Callable, Iterable, NamedTuple

from engine import vocabulary as vocab
from engine.contract import contract_vocabulary

WORDS = contract_vocabulary()

Request = tuple[str, str, dict[str, Any], str]

#: Dates the requests are decided at: ordinary days, month ends, a leap day.
AT_DATES = ("2025-01-01", "2025-06-01", "2025-07-30", "2025-07-31", "2025-02-28",
            "2024-02-29", "2024-08-31", "2025-12-31", "2025-03-31", "2025-09-30")

#: How diligent a request's caller was: P(bool fact true), P(role in a set fact).
DILIGENCE = ((0.3, 0.15), (0.8, 0.5), (0.97, 0.9))


def _date(rng: random.Random, at: dt.date) -> dt.date:
    """A snapshot date: near the six-month boundary before ``at``, or anywhere in the
    two years before it, or (rarely) after it."""
    r = rng.random()
    if r < 0.5:
        return vocab.add_months(at, -6) + dt.timedelta(days=rng.randrange(-3, 4))
    if r < 0.95:
        return at - dt.timedelta(days=rng.randrange(0, 730))
    return at + dt.timedelta(days=rng.randrange(1, 60))


def random_facts(rng: random.Random, action: vocab.Action, at: dt.date) -> dict[str, Any]:
    """Facts for one request of ``action``: each optional fact present or absent at
    random, values at random, biased by the caller's diligence."""
    p_true, p_member = rng.choice(DILIGENCE)
    facts: dict[str, Any] = {}
    # times in order: the first (a question asked) up to ten days before at, each later
    # one (its answer) up to four days after the one before
    moment = dt.datetime.combine(at, dt.time(9)) - dt.timedelta(minutes=rng.randrange(0, 14400))
    for fact in action.facts:
        if not fact.required and rng.random() < 0.2:
            continue
        t = fact.type
        if t.kind == "bool":
            facts[fact.name] = rng.random() < p_true
        elif t.kind == "int":
            facts[fact.name] = rng.randrange(0, 5) if fact.name == "admin_count" else rng.randrange(0, 400)
        elif t.kind == "string":
            facts[fact.name] = rng.choice(["facebook", "instagram", "linkedin"])
        elif t.kind == "date":
            facts[fact.name] = _date(rng, at).isoformat()
        elif t.kind == "datetime":
            facts[fact.name] = moment.isoformat(timespec="minutes")
            moment += dt.timedelta(minutes=rng.randrange(0, 5760))
        elif t.kind == "enum":
            facts[fact.name] = rng.choice(t.values)
        elif t.kind == "set":
            assert t.element is not None
            facts[fact.name] = [v for v in t.element.values if rng.random() < p_member]
    return facts


def requests(packs: Iterable[str], n: int, seed: int,
             actions: Iterable[str] | None = None) -> list[Request]:
    """``n`` requests drawn with ``seed``: pack, action and date at random."""
    rng = random.Random(seed)
    packs = list(packs)
    chosen = [WORDS.actions[a] for a in actions] if actions is not None else list(WORDS.actions.values())
    out: list[Request] = []
    for _ in range(n):
        pack = rng.choice(packs)
        action = rng.choice(chosen)
        at = rng.choice(AT_DATES)
        out.append((pack, action.name, random_facts(rng, action, dt.date.fromisoformat(at)), at))
    return out


# ---- timing ---------------------------------------------------------------------------

class Summary(NamedTuple):
    median_us: float
    p99_us: float
    count: int


def percentile(sorted_values: list[float], q: float) -> float:
    """The value at quantile ``q`` (nearest rank) of an ascending list."""
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def summary(samples_ns: list[int]) -> Summary:
    values = sorted(samples_ns)
    return Summary(statistics.median(values) / 1000, percentile(values, 0.99) / 1000, len(values))


Decide = Callable[[str, str, dict[str, Any], str], Any]


def time_each(decide: Decide, reqs: list[Request], into: list[int]) -> None:
    """One pass over ``reqs``, each call timed on its own with ``perf_counter_ns``."""
    from time import perf_counter_ns as timer
    append = into.append
    for pack, action, facts, at in reqs:
        t0 = timer()
        decide(pack, action, facts, at)
        append(timer() - t0)


def time_pass(decide: Decide, reqs: list[Request]) -> int:
    """One pass over ``reqs`` without per-call timers: nanoseconds of this thread's CPU
    time for the whole pass. CPU time, not wall time, so that other processes taking
    the core do not count: decisions per second on one core."""
    from time import thread_time_ns as timer
    t0 = timer()
    for pack, action, facts, at in reqs:
        decide(pack, action, facts, at)
    return timer() - t0


def timer_overhead_ns(repeats: int = 100_000) -> float:
    """The median cost of an empty ``perf_counter_ns`` pair, for reading small medians."""
    from time import perf_counter_ns as timer
    samples = []
    for _ in range(repeats):
        t0 = timer()
        samples.append(timer() - t0)
    return statistics.median(samples)

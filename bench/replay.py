"""``policy replay`` on a large decision log: lines per second and peak memory.

    python bench/replay.py                      # 1,000,000 lines (about 1 GB on disk)
    python bench/replay.py --lines 200000 --gzip
    python bench/replay.py --quick              # 2,000 lines, a few seconds

Builds a synthetic log in a temporary folder (removed at the end): ``--distinct``
requests drawn by ``bench.workload`` over the five installed packs and every action, each
decided once by the engine and encoded as the decision log encodes entries
(``engine.service.decision_log.encode``), then written round-robin until the log has
``--lines`` lines (with ``--gzip``, compressed). Then runs ``python -m engine replay LOG
--format json`` once as a child process and reports the wall time, lines/s, and the
child's peak resident memory (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``).

The log is replayed against the packs it was made with, so every decision must come out
unchanged: the run fails (exit 1) when the replay's exit status is not 0 or its counts
are not ``--lines`` unchanged. The last line is the summary (``replay: … — OK``).
Not a test: the figures depend on the machine.
"""

from __future__ import annotations

if not __package__:          # run as a file, python bench/NAME.py: import bench from the checkout
    import os as _os
    import sys as _sys
    _sys.path[0] = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))

import argparse
import datetime as dt
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PACKS = ("norsjo", "perstorp", "toreboda", "tyreso", "vara")


def entries(distinct: int, seed: int) -> list[bytes]:
    """``distinct`` encoded log lines, one per request of a seeded workload."""
    from bench import workload
    from engine.core import Engine
    from engine.model import Request
    from engine.service.decision_log import LogEntry, encode, new_id

    engine = Engine.load()
    when = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.timezone.utc)
    lines = []
    for pack, action, facts, at in workload.requests(PACKS, distinct, seed):
        decision = engine.decide(pack, action, facts, at)
        request = Request(pack, action, facts, dt.date.fromisoformat(at))
        entry = LogEntry(time=when, request_id=new_id(), decision_id=new_id(), source="http",
                         pack=pack, pack_version=decision.pack_version, request=request)
        lines.append(encode(entry, decision))
    return lines


def write_log(path: Path, lines: list[bytes], count: int, compress: bool) -> int:
    """Write ``count`` lines, cycling through ``lines``; the file's size in bytes."""
    opener = gzip.open if compress else open
    with opener(path, "wb") as out:       # type: ignore[operator]
        chunk = b"".join(lines)
        full, rest = divmod(count, len(lines))
        for _ in range(full):
            out.write(chunk)
        out.write(b"".join(lines[:rest]))
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines in the log")
    parser.add_argument("--distinct", type=int, default=5000,
                        help="distinct requests the log cycles through")
    parser.add_argument("--gzip", action="store_true", help="write the log gzip-compressed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the replay")
    parser.add_argument("--quick", action="store_true", help="2,000 lines, 500 distinct")
    args = parser.parse_args(argv)
    if args.quick:
        args.lines, args.distinct = 2000, 500
    if args.lines < 1 or args.distinct < 1:
        parser.error("--lines and --distinct must be at least 1")

    with tempfile.TemporaryDirectory(prefix="policy-replay-bench-") as folder:
        log = Path(folder) / ("decisions.jsonl.gz" if args.gzip else "decisions.jsonl")
        started = time.perf_counter()
        size = write_log(log, entries(min(args.distinct, args.lines), args.seed), args.lines,
                         args.gzip)
        built = time.perf_counter() - started
        print(f"log: {args.lines:,} lines, {size / 1e6:,.1f} MB{' gzip' if args.gzip else ''}"
              f" (built in {built:.1f} s)")
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "engine", "replay", str(log),
                              "--format", "json"], cwd=ROOT, capture_output=True,
                             timeout=args.timeout, env={**os.environ, "PYTHONUTF8": "1"})
        took = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss   # KiB on Linux
    problems = []
    try:
        counts = json.loads(run.stdout)["summary"]
    except (ValueError, KeyError):
        counts = {}
        problems.append("no JSON report")
    if run.returncode != 0:
        problems.append(f"exit status {run.returncode}")
    if counts.get("unchanged") != args.lines or counts.get("lines") != args.lines:
        problems.append(f"counts {counts}")
    if run.stderr.strip():
        problems.append("stderr: " + run.stderr.decode(errors="replace").strip()[-400:])
    print(f"replay: {args.lines:,} lines in {took:.1f} s = {args.lines / took:,.0f} lines/s, "
          f"peak memory {peak_kib / 1024:,.0f} MiB (ru_maxrss of the child)"
          + (" — OK" if not problems else " — FAILED: " + "; ".join(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""The cheap benchmarks run from the checkout as documented, in a tiny mode, and print
what they measure (never asserted: the figures depend on the machine)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


CASES = [
    (["-m", "bench.batch", "--max", "100", "--rounds", "1"],
     ["decide_stream µs", "memory, decide_stream of 100 requests"]),
    (["bench/batch.py", "--max", "10000", "--rounds", "1", "--no-memory"],
     ["decide_many: × the cost at 100:"]),
    (["-m", "bench.startup", "--runs", "1"], ["(whole process, wall)", "CPU time",
                                             "Engine.load() of"]),
    (["-m", "bench.decide", "--pack", "all", "--requests", "300", "--rounds", "1"],
     ["decide:   median"]),
    (["-m", "bench.scaling", "--sizes", "20", "--requests", "200", "--rounds", "1"],
     ["rules  parse s  compile s"]),
    (["-m", "bench.profile", "--requests", "300"], ["decide", "normalise"]),
    (["-m", "bench.replay", "--quick"], ["replay: 2,000 lines"]),
]


@pytest.mark.parametrize("args, shows", CASES, ids=[" ".join(args) for args, _ in CASES])
def test_a_benchmark_runs_in_a_tiny_mode(args, shows):
    r = run(*args)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    for text in shows:
        assert text in r.stdout, r.stdout


def test_the_sampling_profile_without_its_extra_says_what_to_install():
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("pyinstrument is installed (the bench extra): nothing is missing")
    r = run("-m", "bench.profile", "--sampling", "--requests", "10")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: --sampling needs pyinstrument") and ".[bench]" in r.stderr

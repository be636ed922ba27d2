"""bench/serve.py in its --quick mode: it starts, measures both sides and reports."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_decision_log_benchmark_runs_quickly_as_a_module_and_reports_both_sides():
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run = subprocess.run([sys.executable, "-m", "bench.serve", "--quick", "--port", "0"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert re.search(r"(?m)^in process, CPU µs per decision: +log off +[\d.]+ +log on +[\d.]+ "
                     r"+ratio [\d.]+×$", out), out
    assert re.search(r"(?m)^HTTP batch of 100, decisions/s \(python client, 5 calls, 1 worker\):"
                     r" +log off +[\d,]+ +log on +[\d,]+ +ratio [\d.]+$", out), out
    # the server's CPU time comes in nanoseconds where /proc has schedstat; where only
    # clock ticks are to be had, a quick run may see none and says so
    assert re.search(r"(?m)^HTTP batch of 100, server CPU µs per decision: +log off +[\d.]+ "
                     r"+log on +[\d.]+ +ratio (?:[\d.]+×|nan×  \(too short to measure\))$",
                     out), out
    assert re.search(r"(?m)^cost of the log: [\d.]+× .* [\d.]+× over HTTP", out), out
    # it says where the service listened, with the log off and on
    assert len(re.findall(r"listening on http://127\.0\.0\.1:\d+", run.stderr)) == 2, run.stderr


def test_the_benchmark_says_its_default_port():
    run = subprocess.run([sys.executable, "bench/serve.py", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "default 8189" in run.stdout, run.stdout + run.stderr

"""Benchmarks: run from the project's root as ``python -m bench.peers`` (and
``bench.scaling``, ``bench.startup``, ``bench.profile``); see docs/performance.md."""

"""The benchmark's correctness checks, on a small workload and without timing anything.

The floor and every installed peer must answer every request as the engine does
(outcome, step ids, by_default), the check must catch an engine that does not, and the
scaling benchmark's generated pack must decide what its generator expects. A peer that
is not installed is skipped with the command that installs it.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from bench import adapters, floor, peers, scaling, workload
from engine import vocabulary as vocab
from engine.contract import contract_vocabulary

WORDS = contract_vocabulary()

REQUESTS = workload.requests(adapters.PACKS, 400, seed=11)


@pytest.fixture(scope="module")
def this_engine():
    return adapters.Engine()


def test_the_workload_reaches_every_outcome_pack_and_action(this_engine):
    outcomes = {this_engine.result(this_engine.decide(*r))[0] for r in REQUESTS}
    assert outcomes == {"allow", "deny", "required_steps"}
    assert {(p, a) for p, a, _, _ in REQUESTS} == {(p, a) for p in adapters.PACKS
                                                   for a in WORDS.actions}


def test_the_workload_is_fixed_by_its_seed():
    assert workload.requests(adapters.PACKS, 50, seed=3) == workload.requests(adapters.PACKS, 50, seed=3)
    assert workload.requests(adapters.PACKS, 50, seed=3) != workload.requests(adapters.PACKS, 50, seed=4)


def test_the_floor_agrees_with_the_engine(this_engine):
    peers.check_agreement(this_engine, [adapters.Floor()], REQUESTS)


def test_the_floor_counts_calendar_months_as_the_engine_does():
    start = dt.date(2023, 7, 1)
    for at in workload.AT_DATES:
        day = dt.date.fromisoformat(at)
        for offset in range(0, 800, 3):
            last = start + dt.timedelta(days=offset)
            assert floor._snapshot_fresh(last.isoformat(), at, 6) == (
                vocab.months_since(last, day) < 6), (last, at)


@pytest.mark.parametrize("peer", adapters.PEERS, ids=lambda p: p.package)
def test_a_peer_agrees_with_the_engine(this_engine, peer):
    pytest.importorskip(peer.package, reason=f"{peer.name} is not installed; "
                                             "pip install -e '.[bench]'")
    counter = [0]
    loaded = peer(counter)
    covered = [r for r in REQUESTS if r[1] in adapters.PEER_ACTIONS]   # as bench.peers asks
    calls = peers.check_agreement(this_engine, [loaded], covered, {loaded.name: counter})
    assert calls[loaded.name] > 0          # the peer itself answered, not the adapter


def test_a_disagreeing_engine_is_a_mismatch_naming_the_request(this_engine):
    class AlwaysAllow:
        name = "always-allow"

        @staticmethod
        def decide(pack, action, facts, at):
            return ("allow", (), False)

        result = staticmethod(lambda r: r)

    with pytest.raises(peers.Mismatch, match=r"always-allow disagrees with this engine\n"
                                             r"  request: pack=\w+ action=\w+"):
        peers.check_agreement(this_engine, [AlwaysAllow()], REQUESTS)


def test_an_engine_that_raises_is_a_mismatch(this_engine):
    class Broken:
        name = "broken"

        @staticmethod
        def decide(pack, action, facts, at):
            raise RuntimeError("no policy")

        result = staticmethod(lambda r: r)

    with pytest.raises(peers.Mismatch, match="broken: error: RuntimeError: no policy"):
        peers.check_agreement(this_engine, [Broken()], REQUESTS[:5])


@pytest.mark.parametrize("shape", scaling.SHAPES)
def test_the_scaling_pack_decides_what_its_generator_expects(shape):
    engine = scaling.load(20, shape)
    reqs = scaling.requests(20, 300, seed=5, shape=shape)
    scaling.check(engine, reqs)
    outcomes = {scaling.expected(20, facts, shape)[0] for _, _, facts, _ in reqs}
    assert outcomes == {"allow", "deny", "required_steps"}
    assert len(engine.packs[f"scaling_{shape}_20"].rules_for("create_channel")) == 20


def test_the_scaling_benchmark_runs_in_its_tiny_mode(capsys):
    assert scaling.main(["--max", "20", "--requests", "50", "--rounds", "1"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [(row[0], row[1]) for row in rows] == [(shape, "20") for shape in scaling.SHAPES]
    assert all(len(row) == 7 for row in rows)
    assert scaling.main(["--sizes", "20", "--shapes", "gated", "--compile-only"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [row[:2] for row in rows] == [["gated", "20"]] and len(rows[0]) == 4


# ---- the load and fault runs, in their --quick mode ------------------------------------

@pytest.mark.parametrize("script, summary", [
    ("reload.py",
     r"(?m)^reload: \d+ rounds, .* 0 errors, 0 half-written served, .* — OK$"),
    ("kill.py",
     r"(?m)^kill: \d+ worker kills: .* 0 torn lines; service kill: .* restart ok, "
     r"0 torn lines, policy log exit 0 — OK$"),
], ids=["reload", "kill"])
def test_a_load_and_fault_run_finishes_quickly_with_its_summary(script, summary):
    """Each script runs the real service on loopback and stops it; bounded by a timeout."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, str(root / "bench" / script), "--quick"], cwd=root,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(summary, run.stdout), run.stdout


def test_the_replay_benchmark_finishes_quickly_with_its_summary():
    """bench/replay.py --quick: a 2,000-line log replayed unchanged; bounded by a timeout."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, str(root / "bench" / "replay.py"), "--quick"],
                         cwd=root, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"(?m)^replay: 2,000 lines in .* lines/s, peak memory \d+ MiB .* — OK$",
                     run.stdout), run.stdout


# ---- every benchmark runs as the documents show it, from a checkout ---------------------

def _root():
    from pathlib import Path
    return Path(__file__).resolve().parent.parent


def _scripts() -> list[str]:
    """The bench modules that are commands (they have a ``__main__`` block)."""
    return sorted(p.stem for p in (_root() / "bench").glob("*.py")
                  if '__name__ == "__main__"' in p.read_text(encoding="utf-8"))


def _documented() -> list[str]:
    """Every benchmark command the README and docs/ show: ``python -m bench.x …`` or
    ``python bench/x.py …``, its options as written (``[--sampling]`` taken as given)."""
    import re
    root = _root()
    found = []
    for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for block in re.findall(r"```(?:sh|console|text)\n(.*?)```",
                                page.read_text(encoding="utf-8"), re.S):
            for line in block.splitlines():
                command = line.removeprefix("$ ").split("  #")[0].strip()
                if re.match(r"python (-m bench\.\w+|bench/\w+\.py)\b", command):
                    found.append(re.sub(r"\[(--[\w-]+)\]", r"\1", command))
    return sorted(set(found))


def _run(args: list[str]):
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run([sys.executable, *args], cwd=_root(), env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_documents_show_the_benchmarks():
    commands = _documented()
    assert "python bench/serve.py" in commands and "python -m bench.decide" in commands
    shown = {c.split()[1 if c.split()[1] != "-m" else 2] for c in commands}
    for script in _scripts():
        assert f"bench/{script}.py" in shown or f"bench.{script}" in shown, script


@pytest.mark.parametrize("command", _documented())
def test_each_documented_benchmark_command_runs_as_written(command):
    """The command as the document writes it, with --help: its imports and options hold
    (a script that cannot find its own modules fails here)."""
    r = _run([*command.split()[1:], "--help"])
    assert r.returncode == 0 and r.stdout.startswith("usage:"), r.stdout + r.stderr


@pytest.mark.parametrize("script", _scripts())
def test_each_benchmark_runs_as_a_file_and_as_a_module(script):
    for args in ([f"bench/{script}.py", "--help"], ["-m", f"bench.{script}", "--help"]):
        r = _run(args)
        assert r.returncode == 0 and r.stdout.startswith("usage:"), (args, r.stdout + r.stderr)


@pytest.mark.parametrize("script", ["serve", "faults", "kill", "reload"])
def test_a_benchmark_that_starts_the_service_takes_its_port(script):
    r = _run([f"bench/{script}.py", "--help"])
    assert "--port PORT" in r.stdout and "printed" in r.stdout, r.stdout


def test_the_service_benchmark_sends_the_shared_workload():
    """bench/serve.py's request bodies (it needs wrk to run at all): valid requests, each
    decided by the engine, over every installed pack."""
    from bench import serve
    from engine.core import Engine

    bodies = serve.requests(200, seed=7)
    engine = Engine.load(strict=True)
    assert {b["pack"] for b in bodies} == set(engine.packs)
    for body in bodies:
        engine.decide(body["pack"], body["action"], body["facts"], body["at"])


def test_the_language_server_benchmark_runs():
    import subprocess
    import sys

    from tests.servers import ROOT
    result = subprocess.run([sys.executable, "-m", "bench.lsp", "--quick"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "errors: a syntax error shown" in result.stdout
    assert "completion median" in result.stdout


def test_the_validating_floor_agrees_with_the_engine(this_engine):
    peers.check_agreement(this_engine, [peers.ValidatingFloor()], REQUESTS)


def _forms(fact: vocab.Fact) -> list:
    t = fact.type
    some = list(t.values or (t.element.values if t.element else ()))[:2]
    wrong = ["zz", 1.5, None, -1, True, 1, [[1]], {"a": 1}, "2025-02-30", "2025-W01-1",
             "2025-03-01", "2025-03-01T09:30", dt.date(2025, 3, 1), ["x", "x"], [1]]
    if t.kind == "enum":
        return wrong + some + [unicodedata.normalize("NFD", "Tyresö")]
    if t.kind == "set":
        return wrong + [some, set(some), some + some[:1], some + ["zz"]]
    return wrong + ["Tyresö", 2, False, dt.datetime(2025, 3, 1, 9, 30),
                    "2025-03-01T09:30:00.5", dt.date(2024, 2, 29)]


def test_the_validating_floor_refuses_what_the_engine_refuses(this_engine):
    """The same class of behaviour: for every fact of every action the floor knows, in
    good and bad forms, the floor raises BadRequest exactly when the engine raises."""
    from engine.errors import RequestError
    checked = 0
    for pack in adapters.PACKS:
        for action in WORDS.actions.values():
            base = {f.name: (f.type.values[0] if f.type.kind == "enum" else "2025-03-01T09:00")
                    for f in action.facts if f.required}
            requests = [(action.name, {**base, f.name: v}, "2025-03-03")
                        for f in action.facts for v in _forms(f)]
            requests += [(action.name, {}, "2025-03-03"), (action.name, {**base, "zz": 1}, "2025-03-03"),
                         (action.name, base, "2025-13-01"), ("unknown", base, "2025-03-03"),
                         (action.name, [], "2025-03-03")]
            for name, facts, at in requests:
                try:
                    this_engine.engine.decide(pack, name, facts, at)
                    engine_refuses = False
                except RequestError:
                    engine_refuses = True
                try:
                    floor.decide_validating(pack, name, facts, at)
                    floor_refuses = False
                except floor.BadRequest:
                    floor_refuses = True
                assert floor_refuses == engine_refuses, (pack, name, facts, at)
                checked += 1
    assert checked > 500

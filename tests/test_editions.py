"""Editions in force: a request is decided by the edition of its pack in force on its day.

The fixture pack ``edited`` (tests/fixtures/editions_pack) has two editions: 1.0.0 in force
from 2020-01-01 until 2024-02-29, and 2.0.0 from 2024-03-01; liking a commercial page is
allowed under the first and denied under the second.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dsl.parser import parse_pack
from engine.compiler import compile_pack
from engine.core import Engine
from engine.errors import RequestError
from engine.hookspecs import hookimpl
from engine.plugins import LoadedPack, PackSource, load_packs, make_plugin_manager
from engine.serialization import to_json
from tests import fixtures
from tests.fixtures import editions_pack
from tests.servers import Server
from tests.test_plugins import install_entry_point

ROOT = Path(__file__).resolve().parent.parent
COMMERCIAL = {"page_category": "commercial"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load(plugins=[editions_pack], entry_points=False, strict=True)


@pytest.fixture
def installed(tmp_path) -> dict[str, str]:
    """The environment of a `policy` run with the fixture pack installed (an entry point)."""
    path = install_entry_point(tmp_path, "edited", "tests.fixtures.editions_pack")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(path), str(ROOT)])}


def policy(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine", *args], text=True,
                          capture_output=True, cwd=ROOT, env=env, timeout=60)


# ---- the Python API ---------------------------------------------------------------------

def test_the_editions_load_as_one_pack_in_in_force_order(engine):
    item = engine.loaded["edited"]
    assert [(e.version, e.in_force_from, e.in_force_until) for e in item.all_editions] == [
        ("1.0.0", dt.date(2020, 1, 1), dt.date(2024, 2, 29)),
        ("2.0.0", dt.date(2024, 3, 1), None)]
    assert engine.packs["edited"].version == "2.0.0"


def test_the_day_before_and_the_day_of_a_change(engine):
    before = engine.decide("edited", "like_page", COMMERCIAL, "2024-02-29")
    on = engine.decide("edited", "like_page", COMMERCIAL, "2024-03-01")
    assert (before.outcome, before.pack_version, before.in_force_from) == (
        "allow", "1.0.0", dt.date(2020, 1, 1))
    assert (on.outcome, on.pack_version, on.in_force_from) == (
        "deny", "2.0.0", dt.date(2024, 3, 1))
    assert to_json(on)["in_force_from"] == "2024-03-01"


def test_a_date_before_the_first_edition_is_not_in_force(engine):
    with pytest.raises(RequestError) as caught:
        engine.decide("edited", "like_page", COMMERCIAL, "2019-12-31")
    assert caught.value.code == "not-in-force" and caught.value.path == "at"
    assert "2020-01-01" in caught.value.message


def test_vara_is_in_force_from_its_date_and_undated_packs_apply_any_day():
    engine = Engine.load(strict=True)
    with pytest.raises(RequestError) as caught:
        engine.decide("vara", "like_page", {"page_category": "own"}, "2023-06-01")
    assert caught.value.code == "not-in-force" and "2024-02-21" in caught.value.message
    assert engine.decide("vara", "like_page", {"page_category": "own"}, "2024-02-21"
                         ).in_force_from == dt.date(2024, 2, 21)
    for pack in ("tyreso", "perstorp", "norsjo", "toreboda"):
        decision = engine.decide(pack, "like_page", {"page_category": "own"}, "1990-01-01")
        assert decision.in_force_from is None


def _source(version: str, period: str) -> PackSource:
    text = (f'pack gappy\n  name "Gappy"\n  dated undated\n  {period}\n  version "{version}"\n'
            "  default allow\n")
    return PackSource(text, f"<gappy {version}>")


class _Offers:
    """A plugin offering the given pack sources (editions of one pack, or duplicates)."""

    def __init__(self, *sources: PackSource) -> None:
        self.sources = list(sources)

    @hookimpl
    def policy_packs(self) -> list[PackSource]:
        return self.sources


def test_a_gap_between_editions_is_not_in_force_naming_the_editions():
    pm = make_plugin_manager(entry_points=False, plugins=[_Offers(
        _source("1", "in force from 2020-01-01 until 2020-12-31"),
        _source("2", "in force from 2022-01-01"))])
    loaded, failed = load_packs(pm)
    assert not failed
    item: LoadedPack = loaded["gappy"]
    assert item.edition_on(dt.date(2020, 12, 31)).version == "1"
    assert item.edition_on(dt.date(2022, 1, 1)).version == "2"
    with pytest.raises(RequestError) as caught:
        item.edition_on(dt.date(2021, 6, 1))
    assert caught.value.code == "not-in-force"
    assert "version 1 in force from 2020-01-01 until 2020-12-31" in caught.value.message


def test_two_editions_with_one_version_are_still_a_duplicate():
    pm = make_plugin_manager(entry_points=False, plugins=[_Offers(
        _source("1", "in force from 2020-01-01"), _source("1", "in force from 2022-01-01"))])
    loaded, failed = load_packs(pm)
    assert "gappy" not in loaded and failed[0].error.code == "duplicate-pack"


def test_an_edition_cannot_end_before_it_starts():
    with pytest.raises(Exception) as caught:
        compile_pack(parse_pack('pack x\n  in force from 2024-02-01 until 2024-01-31\n'))
    assert "bad-in-force" in repr(getattr(caught.value, "errors", [caught.value])) \
        or "before it comes into force" in str(caught.value)


# ---- the command line, end to end ---------------------------------------------------------

def test_cli_decides_by_the_edition_in_force(installed):
    before = policy("decide", "edited", "like_page", "--facts", json.dumps(COMMERCIAL),
                    "--at", "2024-02-29", "--format", "json", env=installed)
    on = policy("decide", "edited", "like_page", "--facts", json.dumps(COMMERCIAL),
                "--at", "2024-03-01", "--format", "json", env=installed)
    assert before.returncode == 0 and on.returncode == 0, before.stderr + on.stderr
    assert (json.loads(before.stdout)["pack_version"], json.loads(before.stdout)["outcome"]) \
        == ("1.0.0", "allow")
    assert json.loads(on.stdout)["in_force_from"] == "2024-03-01"


def test_cli_not_in_force_is_one_error_line_and_exit_2():
    r = policy("decide", "vara", "like_page", "--facts", '{"page_category": "own"}',
               "--at", "2023-06-01")
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "2024-02-21" in lines[0]


def test_cli_packs_lists_every_edition(installed):
    r = policy("packs", "--format", "json", env=installed)
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    assert [(e["version"], e["in_force_from"], e["in_force_until"])
            for e in rows["edited"]["editions"]] == [
        ("1.0.0", "2020-01-01", "2024-02-29"), ("2.0.0", "2024-03-01", None)]
    assert rows["tyreso"]["editions"][0]["in_force_from"] is None
    text = policy("packs", env=installed).stdout
    assert "edition 1.0.0: in force from 2020-01-01 until 2024-02-29" in text
    assert "in force undated" in text


def test_cli_explain_at_uses_the_edition_in_force(installed):
    args = ("explain", "edited", "like_page", "--facts", json.dumps(COMMERCIAL),
            "--format", "json")
    before = json.loads(policy(*args, "--at", "2024-02-29", env=installed).stdout)
    on = json.loads(policy(*args, "--at", "2024-03-01", env=installed).stdout)
    assert before["decision"]["pack_version"] == "1.0.0"
    assert on["decision"]["pack_version"] == "2.0.0"
    r = policy("explain", "--at", "2023-06-01", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert "vara" in r.stderr and "left out" in r.stderr
    r = policy("explain", "--diff", "tyreso", "vara", "--at", "2023-06-01")
    assert r.returncode == 2 and r.stderr.startswith("error: ")


def test_cli_diff_names_editions_as_id_at_version(installed):
    r = policy("diff", "edited@1.0.0", "edited@2.0.0", "--format", "json", env=installed)
    assert r.returncode == 1, r.stderr
    assert "no-commercial-likes" in r.stdout
    r = policy("diff", "edited@9.9.9", "edited@2.0.0", env=installed)
    assert r.returncode == 2 and "1.0.0, 2.0.0" in r.stderr


def test_the_decision_log_carries_the_edition(installed, tmp_path):
    log = tmp_path / "decisions.jsonl"
    r = policy("decide", "edited", "like_page", "--facts", json.dumps(COMMERCIAL),
               "--at", "2024-02-29", "--decision-log", str(log), env=installed)
    assert r.returncode == 0, r.stderr
    entry = json.loads(log.read_text().splitlines()[-1])
    assert (entry["pack_version"], entry["in_force_from"]) == ("1.0.0", "2020-01-01")
    assert entry["decision"]["in_force_from"] == "2020-01-01"


# ---- HTTP ---------------------------------------------------------------------------------

def test_http_not_in_force_is_422(tmp_path, installed):
    server = Server(tmp_path, env={"PYTHONPATH": installed["PYTHONPATH"]}).start()
    try:
        reply = server.post("/v1/decide", {"pack": "vara", "action": "like_page",
                                           "facts": {"page_category": "own"},
                                           "at": "2023-06-01"})
        assert reply.status == 422
        assert reply.json["error"]["code"] == "not-in-force"
        reply = server.post("/v1/decide", {"pack": "edited", "action": "like_page",
                                           "facts": COMMERCIAL, "at": "2024-02-29"})
        assert reply.status == 200
        assert (reply.json["pack_version"], reply.json["in_force_from"]) == (
            "1.0.0", "2020-01-01")
        packs = {p["id"]: p for p in server.get("/v1/packs").json["packs"]}
        assert [(e["version"], e["in_force_from"], e["in_force_until"])
                for e in packs["edited"]["editions"]] == [
            ("1.0.0", "2020-01-01", "2024-02-29"), ("2.0.0", "2024-03-01", None)]
    finally:
        server.stop()


assert fixtures  # the fixture packs are a package


# ---- policy check ---------------------------------------------------------------------------

def _write(folder: Path, name: str, version: str, period: str) -> Path:
    path = folder / name
    path.write_text(f'pack gappy\n  name "Gappy"\n  dated undated\n  {period}\n'
                    f'  version "{version}"\n  default allow\n', encoding="utf-8")
    return path


def test_check_reports_overlaps_gaps_and_undated_editions(tmp_path):
    _write(tmp_path, "a.policy", "1", "in force from 2020-01-01")
    _write(tmp_path, "b.policy", "2", "in force from 2021-01-01 until 2021-06-30")
    _write(tmp_path, "c.policy", "3", "in force from 2022-01-01")
    _write(tmp_path, "d.policy", "4", "in force undated")
    r = policy("check", str(tmp_path), "--format", "json")
    assert r.returncode == 1, r.stderr
    found = {(d["code"], Path(d["file"]).name, d["line"])
             for d in json.loads(r.stdout)["diagnostics"]
             if d["code"] in ("overlapping-editions", "edition-gap", "undated-edition")}
    assert found == {("overlapping-editions", "b.policy", 4), ("edition-gap", "c.policy", 4),
                     ("undated-edition", "d.policy", 4)}


def test_check_accepts_editions_that_follow_each_other():
    r = policy("check", str(ROOT / "tests/fixtures/editions_pack"),
               str(ROOT / "tests/fixtures/editions_pack/editions"), "--format", "json")
    codes = {d["code"] for d in json.loads(r.stdout)["diagnostics"]}
    assert not codes & {"overlapping-editions", "edition-gap", "undated-edition"}, r.stdout


# ---- live reload ----------------------------------------------------------------------------

def test_reload_carries_every_edition_and_watches_their_files(tmp_path):
    from engine.service.reload import PackFile, PackStore, pack_files
    shutil.copy(ROOT / "tests/fixtures/editions_pack/edited.policy", tmp_path)
    (tmp_path / "editions").mkdir()
    old = tmp_path / "editions" / "edited-1.0.0.policy"
    shutil.copy(ROOT / "tests/fixtures/editions_pack/editions/edited-1.0.0.policy", old)
    store = PackStore(lambda: Engine.load(plugins=[PackFile(p) for p in pack_files([tmp_path])],
                                          entry_points=False), verify=False)
    store.reload()

    def decided(at: str) -> tuple[str, str, dt.date | None]:
        d = store.snapshot.engine.decide("edited", "like_page", COMMERCIAL, at)
        return d.pack_version, d.outcome, d.in_force_from

    assert decided("2024-02-29") == ("1.0.0", "allow", dt.date(2020, 1, 1))
    assert decided("2024-03-01") == ("2.0.0", "deny", dt.date(2024, 3, 1))
    assert str(old) in store.watched_paths([tmp_path])
    old.write_text(old.read_text().replace("from 2020-01-01", "from 2018-01-01"))
    store.reload()
    assert decided("2019-01-01") == ("1.0.0", "allow", dt.date(2018, 1, 1))


def test_a_log_entry_has_no_digest_for_an_edition_other_than_the_current_one():
    from engine.service import decision_log as dlog

    class Sink:
        lines: list[bytes] = []

        def write(self, line: bytes) -> None:
            self.lines.append(line)

    engine = Engine.load(plugins=[editions_pack], entry_points=False, strict=True)
    log = dlog.DecisionLog(Sink(), "python")
    engine.register(log)
    for at in ("2024-02-29", "2024-03-01"):
        with dlog.scope("http", pack_digests={"edited": "abc"},
                        pack_versions={"edited": "2.0.0"}) as unit:
            engine.decide("edited", "like_page", COMMERCIAL, at)
            entries = [json.loads(line) for _, line in unit.pending]
        assert len(entries) == 1
        entry = entries[0]
        expected = None if at == "2024-02-29" else "abc"
        assert (entry["pack_version"], entry["pack_digest"]) == (
            "1.0.0" if expected is None else "2.0.0", expected)

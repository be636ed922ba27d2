"""The pack store: reloading off to the side, last good versions, errors by pack."""

from __future__ import annotations

import os

import pytest

from engine.core import Engine
from engine.service.reload import PackFile, PackStore, Problem, Settler, look, pack_files
from tests.conftest import AT
from tests.servers import configmap

PACK = """\
pack {id}
  name "Demo kommun"
  dated 2020-01-01
  version "{version}"
  default {default}
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "demo.policy").write_text(PACK.format(id="demo", version="1", default="deny"))
    (tmp_path / "other.policy").write_text(PACK.format(id="other", version="1", default="allow"))
    return tmp_path


def store_for(folder) -> PackStore:
    return PackStore(lambda: Engine.load(plugins=[PackFile(p) for p in pack_files([folder])],
                                         entry_points=False))


def outcome(store, pack="demo"):
    d = store.snapshot.engine.decide(pack, "close_channel", {}, AT)
    return d.pack_version, d.outcome


def test_a_failing_pack_keeps_its_last_good_version_and_reports_where(folder):
    store = store_for(folder)
    first = store.reload()
    assert outcome(store) == ("1", "deny") and first.generation == 1
    (folder / "demo.policy").write_text(PACK.format(id="demo", version="2", default="maybe"))
    second = store.reload()
    state = second.states["demo"]
    assert state.status == "error" and state.loaded is not None
    assert state.loaded.pack.version == "1" and outcome(store) == ("1", "deny")
    (problem,) = Problem.list_from(state.error)
    assert (problem.file, problem.line) == (str(folder / "demo.policy"), 5)
    assert second.states["other"].status == "ok"
    assert first.engine is not second.engine and outcome(store, "other") == ("1", "allow")
    (folder / "demo.policy").write_text(PACK.format(id="demo", version="3", default="allow"))
    third = store.reload()
    assert third.states["demo"].status == "ok" and outcome(store) == ("3", "allow")
    assert third.generation == 3


def test_loaded_at_and_failed_at_change_only_when_something_changed(folder):
    store = store_for(folder)
    first = store.reload().states["demo"]
    again = store.reload().states["demo"]
    assert again.loaded_at == first.loaded_at and again.digest == first.digest
    (folder / "demo.policy").write_text("pack demo\n  nonsense\n")
    broken = store.reload().states["demo"]
    still = store.reload().states["demo"]
    assert broken.failed_at is not None and still.failed_at == broken.failed_at
    assert still.loaded_at == first.loaded_at


def test_a_pack_that_never_loaded_is_reported_and_not_served(folder):
    (folder / "new.policy").write_text(PACK.format(id="new", version="1", default="nope"))
    store = store_for(folder)
    snapshot = store.reload()
    assert snapshot.states["new"].status == "error" and snapshot.states["new"].loaded is None
    assert "new" not in snapshot.engine.packs


def test_an_unreadable_file_keeps_its_pack_by_its_plugin(folder):
    path = folder / "demo.policy"
    store = PackStore(lambda: Engine.load(plugins=[PackFile(path)], entry_points=False))
    store.reload()
    path.unlink()
    state = store.reload().states["demo"]
    assert state.status == "error" and state.error.code == "unreadable-pack"
    assert outcome(store) == ("1", "deny")


def test_a_removed_file_in_a_folder_is_no_longer_served(folder):
    store = store_for(folder)
    store.reload()
    (folder / "other.policy").unlink()
    assert "other" not in store.reload().engine.packs


def test_a_duplicate_id_is_an_error_on_the_pack_that_keeps_serving(folder):
    store = store_for(folder)
    store.reload()
    (folder / "twin.policy").write_text(PACK.format(id="demo", version="9", default="allow"))
    state = store.reload().states["demo"]
    assert state.status == "error" and state.error.code == "duplicate-pack"
    assert "twin.policy" in str(state.error) and "demo.policy" in str(state.error)
    assert outcome(store) == ("1", "deny")      # the last good version, not the twin


def test_a_duplicate_id_at_the_first_load_serves_neither(folder):
    (folder / "twin.policy").write_text(PACK.format(id="demo", version="9", default="allow"))
    store = store_for(folder)
    state = store.reload().states["demo"]
    assert state.status == "error" and state.loaded is None
    assert "demo" not in store.snapshot.engine.packs


def test_the_watched_paths_are_those_named_and_the_installed_packs_files(folder):
    store = PackStore(lambda: Engine.load(plugins=[PackFile(p) for p in pack_files([folder])]))
    store.reload()
    paths = store.watched_paths([folder])
    assert str(folder) in paths
    assert not any(p.startswith(str(folder) + "/") for p in paths)   # the folder covers them
    assert any(p.endswith("tyreso/tyreso.policy") for p in paths)
    assert any(p.endswith("tyreso/tyreso.tests") for p in paths)


# ---- Kubernetes ConfigMaps (issue 13, kind 11) -----------------------------------------

def test_a_configmap_data_swap_changes_the_look_and_loads_the_new_version(tmp_path):
    cfg = configmap(tmp_path / "cfg", {"demo.policy": PACK.format(
        id="demo", version="1", default="deny")}, "2025_01_01_00_00_00.1")
    named = [str(cfg), str(cfg / "demo.policy")]      # a folder, and a file in it
    before = look(named)
    store = store_for(cfg)
    store.reload()
    assert outcome(store) == ("1", "deny")
    configmap(cfg, {"demo.policy": PACK.format(id="demo", version="2", default="allow")},
              "2025_01_01_00_01_00.2")
    after = look(named)
    assert after[str(cfg / "demo.policy")] != before[str(cfg / "demo.policy")]
    assert set(after) == set(before)                  # '..data' and its folders are no sources
    store.reload()
    assert outcome(store) == ("2", "allow")
    assert store.snapshot.states["demo"].origin == str(cfg / "demo.policy")   # not resolved


def test_an_edit_of_a_symlinks_target_changes_the_look(tmp_path):
    target = tmp_path / "elsewhere" / "demo.policy"
    target.parent.mkdir()
    target.write_text(PACK.format(id="demo", version="1", default="deny"))
    served = tmp_path / "served"
    served.mkdir()
    (served / "demo.policy").symlink_to(target)
    named = [str(served), str(served / "demo.policy")]
    before = look(named)
    target.write_text(PACK.format(id="demo", version="2", default="allow"))
    after = look(named)
    assert after[str(served / "demo.policy")] != before[str(served / "demo.policy")]


def test_serve_keeps_a_packs_path_as_given_not_resolved(tmp_path, monkeypatch):
    """``policy serve --packs cfg/demo.policy`` must not pin the timestamped folder."""
    import json

    import uvicorn
    from click.testing import CliRunner

    from engine.cli import main
    from engine.service.app import CONFIG_ENV
    cfg = configmap(tmp_path / "cfg", {"demo.policy": PACK.format(
        id="demo", version="1", default="deny")}, "2025_01_01_00_00_00.1")
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--no-installed", "--packs",
                                       str(cfg / "demo.policy")])
    assert result.exit_code == 0, result.output
    config = json.loads(os.environ.pop(CONFIG_ENV))
    assert config["packs"] == [str(cfg / "demo.policy")]
    assert config["watch_interval"] == 0.5 and config["watch_settle"] == 1.0


# ---- half-written files, the settle and the test gate (issue 13, kind 12) ---------------

def test_a_change_goes_live_only_after_it_has_settled():
    settler = Settler({"a": (1,)}, settle=1.0)
    assert settler.see({"a": (1,)}, 0.0) is None                 # nothing changed
    assert settler.see({"a": (2,)}, 0.1) is None                 # changed: first look
    assert settler.see({"a": (2,)}, 0.6) is None                 # same, but not long enough
    assert settler.see({"a": (3,)}, 1.2) is None                 # still being written
    assert settler.see({"a": (3,)}, 1.9) is None
    assert settler.see({"a": (3,)}, 2.2) == {"a": (3,)}          # stable for 1 s: load it
    settler.live = {"a": (3,)}
    assert settler.see({"a": (3,)}, 3.0) is None
    zero = Settler({"a": (1,)}, settle=0.0)                      # still two looks
    assert zero.see({"a": (2,)}, 0.0) is None and zero.see({"a": (2,)}, 0.0) == {"a": (2,)}


TESTS = """\
test "closing is denied by default"
  request close_channel {}
  expect deny
"""

RULES = """
rule likes-own
  on like_page
  allow when page_category == own
  because "Only our own pages."
  source "Gilla"

rule no-likes-for-companies
  on like_page
  deny when page_category == commercial
  because "No likes for companies."
  source "Gilla"
"""

GATED_TESTS = """\
test "closing is allowed by default"
  request close_channel {}
  expect allow

test "companies are not liked"
  request like_page {page_category: commercial}
  expect deny
"""


def test_a_half_written_version_that_fails_its_tests_is_held_back(folder):
    full = PACK.format(id="demo", version="2", default="allow") + RULES
    (folder / "demo.policy").write_text(full)
    (folder / "demo.tests").write_text(GATED_TESTS)
    store = store_for(folder)
    assert store.reload().states["demo"].status == "ok"
    half = full[:full.index("rule no-likes")].replace('"2"', '"3"')  # stops at a rule boundary
    (folder / "demo.policy").write_text(half)
    state = store.reload().states["demo"]
    assert state.status == "error" and state.loaded.pack.version == "2"
    (problem,) = Problem.list_from(state.error)
    assert problem.code == "failing-test" and problem.file == str(folder / "demo.tests")
    assert "fails against version 3" in problem.message and problem.line == 5
    engine = store.snapshot.engine
    assert engine.decide("demo", "like_page", {"page_category": "commercial"}, AT).outcome == "deny"
    (folder / "demo.policy").write_text(full.replace('"2"', '"3"'))
    state = store.reload().states["demo"]
    assert state.status == "ok" and state.loaded.pack.version == "3"


def test_a_first_version_failing_its_tests_is_not_served(folder):
    (folder / "demo.tests").write_text(TESTS.replace("expect deny", "expect allow"))
    store = store_for(folder)
    state = store.reload().states["demo"]
    assert state.status == "error" and state.loaded is None
    assert "demo" not in store.snapshot.engine.packs
    assert PackStore(store._load, verify=False).reload().states["demo"].status == "ok"


def test_a_broken_tests_file_holds_the_new_version_back(folder):
    store = store_for(folder)
    store.reload()
    (folder / "demo.tests").write_text('test "x"\n  request close_channel {\n')
    state = store.reload().states["demo"]
    assert state.status == "error" and state.error.code != "failing-test"
    assert Problem.list_from(state.error)[0].file == str(folder / "demo.tests")


EDITOR_FILES = [".#demo.policy", "._demo.policy", "demo.policy~", ".demo.policy.swp",
                "#demo.policy#", ".demo.tests.swp", "demo.tests~"]


def test_editor_files_in_a_served_folder_are_ignored(folder):
    before = look([str(folder)])
    for name in EDITOR_FILES:
        (folder / name).write_text("pack demo\n  half written")
    assert [p.name for p in pack_files([folder])] == ["demo.policy", "other.policy"]
    assert look([str(folder)]) == before
    store = store_for(folder)
    snapshot = store.reload()
    assert sorted(snapshot.states) == ["demo", "other"] and not snapshot.unidentified
    assert all(s.status == "ok" for s in snapshot.states.values())


def test_serve_refuses_a_folder_of_editors_files_only(tmp_path):
    from click.testing import CliRunner

    from engine.cli import main
    for name in EDITOR_FILES:
        (tmp_path / name).write_text("pack demo\n")
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--no-installed",
                                       "--packs", str(tmp_path)])
    assert result.exit_code == 2 and "holds no .policy file" in result.output
    result = CliRunner().invoke(main, ["serve", "--watch-settle", "-1", "--packs",
                                       str(tmp_path)])
    assert result.exit_code == 2 and "--watch-settle" in result.output

"""The pack store: reloading off to the side, last good versions, errors by pack."""

from __future__ import annotations

import pytest

from engine.core import Engine
from engine.service.reload import PackFile, PackStore, Problem, pack_files
from tests.conftest import AT

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


def test_the_watched_folders_are_those_of_the_pack_files(folder, tmp_path_factory):
    extra = tmp_path_factory.mktemp("extra")
    store = store_for(folder)
    store.reload()
    assert store.watched_folders([extra]) == sorted([str(folder), str(extra)])

"""The parsed-pack cache: same AST as parsing, misses on any change, survives corruption."""

from __future__ import annotations

from dsl.cache import parse_pack_cached
from dsl.parser import parse_pack

SOURCE = 'pack p\n name "P"\n dated undated\n version "1"\n default allow\n'


def test_hit_gives_the_same_ast(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICY_CACHE_DIR", str(tmp_path))
    first = parse_pack_cached(SOURCE, "p.policy")
    assert len(list(tmp_path.glob("*.pickle"))) == 1
    second = parse_pack_cached(SOURCE, "p.policy")
    assert first == second == parse_pack(SOURCE, "p.policy")
    assert second.file == "p.policy" and second.text == SOURCE
    assert second.header.span.line == 1


def test_any_change_misses(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICY_CACHE_DIR", str(tmp_path))
    parse_pack_cached(SOURCE, "p.policy")
    changed = parse_pack_cached(SOURCE.replace('"1"', '"2"'), "p.policy")
    assert changed.header.version == "2"
    moved = parse_pack_cached(SOURCE, "q.policy")
    assert moved.file == "q.policy"
    assert len(list(tmp_path.glob("*.pickle"))) == 3


def test_corrupt_entries_and_off(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICY_CACHE_DIR", str(tmp_path))
    parse_pack_cached(SOURCE, "p.policy")
    for entry in tmp_path.glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert parse_pack_cached(SOURCE, "p.policy").header.id == "p"
    monkeypatch.setenv("POLICY_CACHE_DIR", "off")
    assert parse_pack_cached(SOURCE, "r.policy").header.id == "p"
    assert not list(tmp_path.glob("*r.policy*"))


def test_unwritable_cache_falls_back(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("POLICY_CACHE_DIR", str(blocker / "sub"))
    assert parse_pack_cached(SOURCE, "p.policy").header.id == "p"

"""What a command loads: only the requested pack for ``policy decide PACK``, and no
module a command does not need (a guard on laziness; the time is measured by
``python -m bench.startup``, not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.hookspecs import hookimpl
from engine.model import PackSource
from engine.plugins import load_packs, load_vocabulary, make_plugin_manager, name_version
from tests.conftest import PROJECT_PACKS

ROOT = Path(__file__).resolve().parent.parent
TYRESO = (ROOT / "packs/tyreso/tyreso.policy").read_text(encoding="utf-8")


def load(*plugins, only=None, entry_points=True):
    pm = make_plugin_manager(plugins=plugins, entry_points=entry_points)
    vocabulary, refused = load_vocabulary(pm)
    return load_packs(pm, vocabulary, refused, only=only)


def test_only_one_pack_is_compiled_when_only_one_is_asked_for():
    everything, _ = load()
    loaded, failed = load(only="tyreso")
    assert set(loaded) == {"tyreso"} and failed == []
    assert loaded["tyreso"] == everything["tyreso"]
    assert set(everything) >= set(PROJECT_PACKS)


def test_every_edition_of_the_pack_asked_for_is_loaded():
    def edition(version: str, period: str) -> PackSource:
        return PackSource(f'pack gappy\n  name "Gappy"\n  dated undated\n  {period}\n'
                          f'  version "{version}"\n  default allow\n', f"<gappy {version}>")

    class Editions:
        @hookimpl
        def policy_packs(self):
            return [edition("1", "in force from 2020-01-01 until 2020-12-31"),
                    edition("2", "in force from 2022-01-01")]

    loaded, failed = load(Editions(), only="gappy")
    assert set(loaded) == {"gappy"} and failed == []
    assert [e.version for e in loaded["gappy"].all_editions] == ["1", "2"]


def test_a_pack_offered_twice_is_still_a_duplicate_when_only_it_is_asked_for():
    class Copy:
        @hookimpl
        def policy_packs(self):
            return [PackSource(TYRESO, "copy.policy")]

    loaded, failed = load(Copy(), only="tyreso")
    assert "tyreso" not in loaded
    assert [f.pack_id for f in failed] == ["tyreso"]
    assert "offered 2 times" in str(failed[0].error)


def test_a_source_whose_id_cannot_be_read_off_its_header_is_compiled():
    class Odd:
        @hookimpl
        def policy_packs(self):                 # a comment first, then an odd header
            return [PackSource("# notes\n" + TYRESO.replace("pack tyreso", "pack\ttyreso2", 1),
                               "odd.policy"),
                    PackSource("pak broken\n", "broken.policy")]

    loaded, failed = load(Odd(), only="tyreso2")
    assert set(loaded) == {"tyreso2"}
    loaded, failed = load(Odd(), only="tyreso")
    assert set(loaded) == {"tyreso"}
    assert [f.origin for f in failed] == ["broken.policy"]   # no id: it might have been it


def test_an_unknown_pack_is_reported_against_every_installed_one():
    loaded, _ = load(only="tyresö")
    assert set(loaded) >= set(PROJECT_PACKS)
    r = subprocess.run([sys.executable, "-m", "engine", "decide", "tyresoo", "like_page"],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2
    assert r.stderr.startswith("error: unknown pack 'tyresoo' (did you mean 'tyreso'?); "
                               "installed packs are ")
    assert "'vara'" in r.stderr


def test_a_distributions_name_and_version_are_its_metadatas():
    import importlib.metadata
    dist = importlib.metadata.distribution("policy-engine")
    assert name_version(dist) == (dist.metadata["name"], dist.version)

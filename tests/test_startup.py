"""What a command loads: only the requested pack for ``policy decide PACK``, and no
module a command does not need (a guard on laziness; the time is measured by
``python -m bench.startup``, not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


#: What ``policy decide PACK ACTION`` never needs: the service, the desk, the editor, the
#: authoring tools, rich, the holiday calendars (only answer_question's facts need them),
#: cattrs (only a request that is not a plain JSON object does), and lark once the parse
#: cache holds the pack.
NOT_FOR_DECIDE = ("engine.service", "engine.desk", "engine.editor", "engine.authoring",
                  "engine.cli.authoring", "engine.cli.service", "engine.cli.explain",
                  "engine.cli.editor", "engine.office_hours", "starlette", "uvicorn", "rich",
                  "holidays", "cattrs", "lark", "pygments")

RUN = r"""
import json, sys
from engine.cli import main
sys.argv = ["policy", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def modules_after(*args: str) -> set[str]:
    r = subprocess.run([sys.executable, "-c", RUN, *args], capture_output=True, text=True,
                       cwd=ROOT, timeout=60)
    assert r.stderr == "", r.stderr
    return set(json.loads(r.stdout.splitlines()[-1]))


def loaded(modules: set[str], names) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in names or m in names
                  or any(m.startswith(n + ".") for n in names))


def test_policy_decide_imports_only_what_it_needs():
    args = ("decide", "tyreso", "like_page", "--facts", '{"page_category": "own"}')
    modules_after(*args)                    # fills the parse cache
    modules = modules_after(*args)
    assert "engine.core" in modules and "engine.cli.decide" in modules
    assert loaded(modules, NOT_FOR_DECIDE) == []
    json_out = modules_after(*args, "--format", "json")
    assert loaded(json_out, set(NOT_FOR_DECIDE) - {"cattrs"}) == []


def test_the_command_line_imports_a_command_only_when_it_is_called():
    modules = modules_after("--version")
    assert loaded(modules, ("engine.core", "engine.compiler", "engine.cli.decide", "dsl",
                            *NOT_FOR_DECIDE)) == []


def test_every_command_is_where_the_group_says():
    from engine.cli import COMMANDS, main
    for name in COMMANDS:
        assert main.commands[name].name == name
    assert sorted(main.list_commands(None)) == sorted(COMMANDS)


def dist_info(folder: Path, folder_name: str, entry_points: str, name: str = "") -> Path:
    info = folder / folder_name
    info.mkdir(parents=True)
    name = name or folder_name.partition("-")[0]
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1\n")
    (info / "entry_points.txt").write_text(entry_points)
    return info


def test_policy_packs_reads_the_distributions_it_found(tmp_path, monkeypatch):
    dist_info(tmp_path, "throwaway-0.1.dist-info",
              "[policy.packs]\nthrowaway = tests.fixtures.throwaway_pack\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    everything, failed = load()
    assert failed == [] and everything["throwaway"].distribution == "throwaway 1"
    pm = make_plugin_manager()
    assert ("throwaway", "1") in [name_version(d) for _, d in pm.list_plugin_distinfo()]
    assert {d.project_name for _, d in pm.list_plugin_distinfo()} >= {"throwaway",
                                                                      "policy-engine"}


def test_policy_decide_imports_difflib_only_to_suggest_a_word():
    modules = modules_after("decide", "tyreso", "like_page", "--facts", '{"page_category": "own"}')
    assert "difflib" not in modules
    r = subprocess.run([sys.executable, "-c", RUN, "decide", "tyreso", "like_page", "--facts",
                        '{"page_categori": "own"}'], capture_output=True, text=True, cwd=ROOT,
                       timeout=60)
    assert "did you mean 'page_category'?" in r.stderr
    assert "difflib" in json.loads(r.stdout.splitlines()[-1])


def test_a_pack_is_parsed_and_compiled_with_the_collector_paused(monkeypatch):
    """Parsing a large pack, like compiling it, makes many objects and no cycles: the
    collector waits until the pack is loaded, and runs again after."""
    import gc

    import engine.plugins
    seen = []
    parse = engine.plugins.parse_pack_cached

    def watched(text, origin):
        seen.append(gc.isenabled())
        return parse(text, origin)

    monkeypatch.setattr(engine.plugins, "parse_pack_cached", watched)
    assert gc.isenabled()
    loaded, failed = load(only="tyreso")
    assert failed == [] and "tyreso" in loaded
    assert seen and not any(seen) and gc.isenabled()

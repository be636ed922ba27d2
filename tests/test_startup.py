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


def test_policy_decide_finds_the_installed_packs_without_importlib_metadata():
    args = ("decide", "tyreso", "like_page", "--facts", '{"page_category": "own"}')
    modules_after(*args)
    modules = modules_after(*args)
    assert loaded(modules, ("importlib.metadata", "importlib.resources", "email", "csv",
                            "zipfile", "tempfile")) == []


def dist_info(folder: Path, folder_name: str, entry_points: str, name: str = "") -> Path:
    info = folder / folder_name
    info.mkdir(parents=True)
    name = name or folder_name.partition("-")[0]
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1\n")
    (info / "entry_points.txt").write_text(entry_points)
    return info


def as_importlib_finds(group: str) -> list[tuple[str, str, str, str]]:
    import importlib
    import importlib.metadata
    importlib.invalidate_caches()
    return sorted((ep.name, ep.value, ep.group, str(ep.dist._path))
                  for ep in importlib.metadata.entry_points(group=group))


def as_found(group: str) -> list[tuple[str, str, str, str]] | None:
    from engine.entry_points import group_entry_points
    found = group_entry_points(group)
    return None if found is None else sorted(
        (ep.name, ep.value, ep.group, ep.dist._folder) for ep in found)


def test_entry_points_are_found_as_importlib_metadata_finds_them(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    dist_info(a, "first_pack-1.0.dist-info", "[policy.packs]\none = first.pack\n"
              "# a comment\n\n  two=first.other:plugin  \n[console_scripts]\nx = y:z\n")
    dist_info(b, "First.Pack-2.0.dist-info", "[policy.packs]\nshadowed = by.the.first\n")
    dist_info(b, "legacy-0.3.egg-info", "[[policy.packs]]\nold = legacy.pack [extra]\n")
    dist_info(b, "nothing-1.dist-info", "")
    (b / "empty-1.dist-info").mkdir()
    monkeypatch.setattr(sys, "path", [str(a), str(tmp_path / "missing"), str(b)])
    expected = as_importlib_finds("policy.packs")
    assert [e[0] for e in expected] == ["old", "one", "two"]    # the shadowed one is not
    assert as_found("policy.packs") == expected
    assert as_found("console_scripts") == as_importlib_finds("console_scripts")
    found = {ep.name: ep for ep in __import__("engine.entry_points").entry_points
             .group_entry_points("policy.packs")}
    assert found["old"].dist.read_text("METADATA").startswith("Metadata-Version")
    assert (found["old"].dist.metadata["name"], found["old"].dist.version) == ("legacy", "1")
    assert found["old"].dist.read_text("RECORD") is None


def test_an_entry_point_loads_as_importlib_metadata_loads_it(monkeypatch):
    import importlib.metadata
    from engine.entry_points import FoundDistribution, FoundEntryPoint
    for value in ("engine.hookspecs", "engine.hookspecs:hookimpl", "engine:errors.PolicyError",
                  "engine.hookspecs [extra]"):
        theirs = importlib.metadata.EntryPoint("x", value, "policy.packs").load()
        assert FoundEntryPoint("x", value, "policy.packs", FoundDistribution(".")).load() is theirs
    for value in ("not a module", "engine:no_such_name"):
        errors = []
        for ep in (importlib.metadata.EntryPoint("x", value, "policy.packs"),
                   FoundEntryPoint("x", value, "policy.packs", FoundDistribution("."))):
            with pytest.raises(Exception) as e:
                ep.load()
            errors.append(f"{type(e.value).__name__}: {e.value}")
        assert errors[0] == errors[1]


@pytest.mark.parametrize("layout", ["zip", "egg", "bad line", "other finder", "bad name"])
def test_an_installation_the_quick_search_does_not_cover_is_left_to_importlib(
        tmp_path, monkeypatch, layout):
    folder = tmp_path / "site"
    dist_info(folder, "fine-1.dist-info", "[policy.packs]\nfine = fine.pack\n")
    path = [str(folder)]
    if layout == "zip":
        (tmp_path / "lib.zip").write_bytes(b"")
        path.append(str(tmp_path / "lib.zip"))
    elif layout == "egg":
        (tmp_path / "x.egg").mkdir()
        path.append(str(tmp_path / "x.egg"))
    elif layout == "bad line":
        dist_info(folder, "odd-1.dist-info", "[other]\nno equals sign\n")
    elif layout == "other finder":
        class Finder:
            @staticmethod
            def find_distributions(context=None):
                return iter(())
        monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder])
    elif layout == "bad name":
        dist_info(folder, "Odd-1.Dist-Info", "[policy.packs]\nodd = odd.pack\n", name="odd")
    monkeypatch.setattr(sys, "path", path)
    assert as_found("policy.packs") is None


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


def test_a_package_s_files_are_where_importlib_resources_says(tmp_path, monkeypatch):
    import importlib.resources
    import zipfile
    from dsl.cache import _package_folder
    from engine.entry_points import package_files
    assert package_files("packs.tyreso") == importlib.resources.files("packs.tyreso")
    assert _package_folder() == importlib.resources.files("dsl")
    with zipfile.ZipFile(tmp_path / "zipped.zip", "w") as z:
        z.writestr("zipped_pack/__init__.py", "")
        z.writestr("zipped_pack/p.policy", "pack zipped\n")
    monkeypatch.syspath_prepend(str(tmp_path / "zipped.zip"))
    root = package_files("zipped_pack")
    assert root.joinpath("p.policy").read_text() == "pack zipped\n"
    for name in ("engine.core", "no_such_package_here"):
        with pytest.raises(Exception) as theirs:
            importlib.resources.files(name)
        with pytest.raises(type(theirs.value)) as ours:
            package_files(name)
        assert str(ours.value) == str(theirs.value)


def test_policy_decide_imports_difflib_only_to_suggest_a_word():
    modules = modules_after("decide", "tyreso", "like_page", "--facts", '{"page_category": "own"}')
    assert "difflib" not in modules
    r = subprocess.run([sys.executable, "-c", RUN, "decide", "tyreso", "like_page", "--facts",
                        '{"page_categori": "own"}'], capture_output=True, text=True, cwd=ROOT,
                       timeout=60)
    assert "did you mean 'page_category'?" in r.stderr
    assert "difflib" in json.loads(r.stdout.splitlines()[-1])

"""Plugins: third-party packs through the entry points, hooks, load errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core import Engine
from engine.errors import PackLoadError
from engine.hookspecs import hookimpl
from tests.conftest import AT

ROOT = Path(__file__).resolve().parent.parent


def install_entry_point(tmp_path: Path, name: str, target: str) -> Path:
    """Make an installed distribution (a .dist-info folder) with one policy.packs entry."""
    dist = tmp_path / f"{name}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[policy.packs]\n{name} = {target}\n")
    return tmp_path


@pytest.fixture
def throwaway(tmp_path, monkeypatch):
    path = install_entry_point(tmp_path, "throwaway", "tests.fixtures.throwaway_pack")
    monkeypatch.syspath_prepend(str(path))
    return path


def test_third_party_pack_loads_through_the_entry_point(throwaway):
    engine = Engine.load(strict=True)
    assert {"tyreso", "throwaway"} <= set(engine.packs)
    loaded = engine.loaded["throwaway"]
    assert loaded.plugin == "throwaway" and loaded.distribution == "throwaway 0.1"
    assert engine.decide("throwaway", "like_page", {"page_category": "own"}, AT).outcome == "allow"
    d = engine.decide("throwaway", "like_page", {"page_category": "other"}, AT)
    assert (d.outcome, d.by_default) == ("deny", True)


def test_python_coded_checks_join_through_the_evaluate_hook(throwaway):
    engine = Engine.load(strict=True)
    d = engine.decide("throwaway", "close_channel", {}, AT)
    assert (d.outcome, [s.id for s in d.steps]) == ("required_steps", ["tell-the-mayor"])
    assert engine.decide("throwaway", "close_channel", {"manager_consulted": True},
                         AT).by_default is True
    # the other packs are untouched by the throwaway plugin
    assert engine.decide("tyreso", "close_channel", {}, AT).steps[0].id == "consult-manager"


def test_built_in_packs_load_by_the_same_path():
    engine = Engine.load(strict=True)
    assert engine.loaded["tyreso"].plugin == "tyreso"
    assert engine.loaded["tyreso"].distribution.startswith("policy-engine ")


def test_observer_sees_every_decision_and_can_be_dropped(engine):
    seen = []

    class Observer:
        @hookimpl
        def policy_decision(self, request, decision):
            seen.append((request.facts, decision.outcome))

    observer = Observer()
    engine.register(observer)
    try:
        engine.decide("tyreso", "like_page", {"page_category": "own"}, AT)
        engine.decide_many([{"pack": "tyreso", "action": "like_page",
                             "facts": {"page_category": "commercial"}, "at": "2025-01-01"}])
    finally:
        engine.unregister(observer)
    engine.decide("tyreso", "like_page", {"page_category": "own"}, AT)
    assert seen == [({"page_category": "own"}, "allow"), ({"page_category": "commercial"}, "deny")]


def test_observers_are_called_as_the_hook_calls_them(engine):
    """Called directly, plain observers still get only the arguments they name, the
    last registered first, tryfirst before the rest; a wrapper observer goes through the
    hook call and sees the same."""
    calls = []

    class Both:
        @hookimpl
        def policy_decision(self, decision, request):
            calls.append(("both", request.action, decision.outcome))

    class DecisionOnly:
        @hookimpl
        def policy_decision(self, decision):
            calls.append(("decision", decision.outcome))

    class RequestOnly:
        @hookimpl(tryfirst=True)
        def policy_decision(self, request):
            calls.append(("request", request.facts["page_category"]))

    class Wrapper:
        @hookimpl(wrapper=True)
        def policy_decision(self, request, decision):
            calls.append(("wrapper", decision.outcome))
            return (yield)

    def decide_with(*plugins):
        calls.clear()
        for plugin in plugins:
            engine.register(plugin)
        try:
            engine.decide("tyreso", "like_page", {"page_category": "commercial"}, AT)
        finally:
            for plugin in plugins:
                engine.unregister(plugin)
        return list(calls)

    plain = decide_with(Both(), DecisionOnly(), RequestOnly())
    assert plain == [("request", "commercial"), ("decision", "deny"),
                     ("both", "like_page", "deny")]
    assert decide_with(Both(), DecisionOnly(), RequestOnly(), Wrapper()) == \
        [("wrapper", "deny"), *plain]


def test_a_wrapper_evaluator_goes_through_the_full_hook_call(engine):
    calls = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def policy_evaluate(self, pack, action, facts, at):
            result = yield
            calls.append(action)
            return result

    wrapper = Wrapper()
    engine.register(wrapper)
    try:
        d = engine.decide("tyreso", "like_page", {"page_category": "commercial"}, AT)
    finally:
        engine.unregister(wrapper)
    assert d.outcome == "deny" and calls == ["like_page"]


def test_misspelt_hook_is_a_load_error():
    class Bad:
        @hookimpl
        def policy_packz(self):
            return []

    with pytest.raises(PackLoadError, match="implements a hook that does not exist"):
        Engine.load(plugins=[Bad()], entry_points=False)


def test_broken_plugin_is_a_load_error(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(install_entry_point(tmp_path, "broken", "no_such_module_x")))
    with pytest.raises(PackLoadError, match="cannot load pack plugin 'broken'"):
        Engine.load()


def test_duplicate_pack_id_and_broken_source_are_reported(tmp_path):
    from engine.model import PackSource
    text = (ROOT / "packs/tyreso/tyreso.policy").read_text(encoding="utf-8")

    class Twice:
        @hookimpl
        def policy_packs(self):
            return [PackSource(text, "copy.policy"),
                    PackSource("pack broken\n  nme \"x\"\n", "broken.policy")]

    engine = Engine.load(plugins=[Twice()])
    errors = {f.origin: str(f.error) for f in engine.failed}
    duplicate = next(f for f in engine.failed if f.pack_id == "tyreso")
    assert "pack id 'tyreso' is offered 2 times" in str(duplicate.error)
    assert "copy.policy" in str(duplicate.error) and "tyreso" not in engine.packs
    assert errors["broken.policy"].startswith("broken.policy:2:3:")
    with pytest.raises(Exception, match="broken.policy:2:3"):
        engine.decide("broken", "like_page", {"page_category": "own"})
    with pytest.raises(Exception):
        Engine.load(plugins=[Twice()], strict=True)


def test_every_hook_is_documented():
    """Each hook specification has a docstring and a section in docs/plugins.md."""
    from engine import hookspecs
    docs = (ROOT / "docs/plugins.md").read_text(encoding="utf-8")
    hooks = [n for n in dir(hookspecs) if n.startswith("policy_")]
    assert hooks == ["policy_decision", "policy_evaluate", "policy_packs", "policy_vocabulary"]
    for name in hooks:
        assert getattr(hookspecs, name).__doc__.strip()
        assert f"## `{name}" in docs, f"docs/plugins.md does not document {name}"


# ---- entry-point collisions (issue 13, kind 13) ----------------------------------------

def install_pack_distribution(tmp_path: Path, dist: str, entry: str, pack_text: str) -> str:
    """A distribution named ``dist`` whose entry point ``entry`` offers ``pack_text``.

    The module gets a name of its own (``dist`` made an identifier), so that tests never
    share one through ``sys.modules``.
    """
    module = dist.replace("-", "_") + f"_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(
        "from engine.hookspecs import hookimpl\n"
        "from engine.model import PackSource\n\n"
        f"TEXT = {pack_text!r}\n\n"
        "@hookimpl\n"
        "def policy_packs():\n"
        f"    return [PackSource(TEXT, {dist + '.policy'!r})]\n", encoding="utf-8")
    info = tmp_path / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[policy.packs]\n{entry} = {module}\n")
    return module


def _pack_text(pack_id: str, default: str = "allow") -> str:
    return (f'pack {pack_id}\n  name "Impostor"\n  dated 2020-01-01\n  version "6.6.6"\n'
            f"  default {default}\n")


def test_an_entry_point_named_like_a_built_in_one_does_not_hide_it(tmp_path, monkeypatch):
    install_pack_distribution(tmp_path, "other-vara", "vara", _pack_text("elsewhere"))
    monkeypatch.syspath_prepend(str(tmp_path))
    engine = Engine.load(strict=True)
    assert {"vara", "elsewhere"} <= set(engine.packs)
    assert engine.loaded["vara"].distribution.startswith("policy-engine ")
    assert engine.loaded["elsewhere"].plugin == "vara (other-vara)"
    assert engine.loaded["vara"].plugin == "vara (policy-engine)"
    assert engine.loaded["elsewhere"].distribution == "other-vara 0.1"


def test_a_pack_id_offered_under_a_name_that_sorts_first_replaces_nothing(tmp_path,
                                                                           monkeypatch):
    install_pack_distribution(tmp_path, "aaa-impostor", "aaa", _pack_text("tyreso"))
    monkeypatch.syspath_prepend(str(tmp_path))
    engine = Engine.load()
    assert "tyreso" not in engine.packs and "vara" in engine.packs
    (failure,) = [f for f in engine.failed if f.pack_id == "tyreso"]
    message = str(failure.error)
    assert failure.error.code == "duplicate-pack"
    assert "pack id 'tyreso' is offered 2 times" in message
    assert "distribution 'aaa-impostor 0.1'" in message and "'policy-engine " in message
    with pytest.raises(PackLoadError, match="offered 2 times"):
        engine.decide("tyreso", "like_page", {"page_category": "commercial"}, AT)
    with pytest.raises(PackLoadError, match="aaa-impostor"):
        Engine.load(strict=True)


def test_a_second_distribution_offering_vara_under_its_name_is_a_load_error(tmp_path,
                                                                           monkeypatch):
    install_pack_distribution(tmp_path, "zzz-vara", "vara", _pack_text("vara"))
    monkeypatch.syspath_prepend(str(tmp_path))
    engine = Engine.load()
    assert "vara" not in engine.packs
    message = str(next(f.error for f in engine.failed if f.pack_id == "vara"))
    assert "'zzz-vara 0.1'" in message and "'policy-engine " in message


def test_policy_packs_shows_the_collision_and_exits_2(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from engine.cli import main
    install_pack_distribution(tmp_path, "aaa-impostor", "aaa", _pack_text("tyreso"))
    monkeypatch.syspath_prepend(str(tmp_path))
    result = CliRunner().invoke(main, ["packs"])
    assert result.exit_code == 2
    assert "tyreso     FAILED TO LOAD" in result.output
    assert "aaa-impostor 0.1" in result.output and "Traceback" not in result.output


def test_two_plugins_offering_one_pack_id_name_both(tmp_path):
    from engine.model import PackSource

    class Offer:
        def __init__(self, origin: str) -> None:
            self.origin = origin

        @hookimpl
        def policy_packs(self):
            return [PackSource(_pack_text("twin"), self.origin)]

    engine = Engine.load(plugins=[Offer("a.policy"), Offer("b.policy")], entry_points=False)
    assert "twin" not in engine.packs
    message = str(engine.failed[0].error)
    assert "a.policy (plugin" in message and "b.policy (plugin" in message

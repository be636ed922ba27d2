"""Plugin management: build an engine's plugin manager and load the packs it offers.

Each :class:`~engine.core.Engine` owns one :class:`pluggy.PluginManager` (there is no
global one). ``make_plugin_manager`` registers the built-in plugins from the explicit
tuple :data:`BUILTIN_PLUGINS`, then every installed plugin of the entry-point group
``policy.packs`` (the five built-in packs arrive this way too, from this project's own
``pyproject.toml``), then any extra plugins the caller passes, and finally runs
``check_pending()`` so a misspelt hook name fails loudly.

``load_packs`` asks every plugin for its pack sources and parses and compiles each one.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
from typing import Any, Iterable

import attrs
import pluggy

from dsl.cache import parse_pack_cached
from engine import hookspecs
from engine.compiler import CompiledPack, compile_pack
from engine.errors import PackLoadError, PolicyError
from engine.evaluator import DslEvaluator
from engine.model import PackSource

ENTRY_POINT_GROUP = "policy.packs"

#: Plugins every engine registers first, in this order.
BUILTIN_PLUGINS: tuple[type, ...] = (DslEvaluator,)


@attrs.frozen
class LoadedPack:
    """A compiled pack with where it came from (for ``policy packs``)."""

    pack: CompiledPack
    source: PackSource
    plugin: str
    distribution: str | None


@attrs.frozen
class FailedPack:
    """A pack source that did not load, with the error(s)."""

    origin: str
    plugin: str
    error: PolicyError
    pack_id: str | None = None


def pack_resource(package: str, resource: str, tests: str | None = None) -> PackSource:
    """A :class:`PackSource` read from a file inside an installed package.

    ``package`` is usually the calling module's ``__name__``; ``tests`` names the
    pack's test file beside it, if any.
    """
    root = importlib.resources.files(package)

    def read(name: str) -> tuple[str, str]:
        path = root.joinpath(name)
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as e:
            raise PackLoadError(f"cannot read pack file '{name}' of package '{package}': {e}",
                                code="unreadable-pack") from None

    text, origin = read(resource)
    if tests is None:
        return PackSource(text, origin)
    tests_text, tests_origin = read(tests)
    return PackSource(text, origin, tests_text, tests_origin)


def make_plugin_manager(*, entry_points: bool = True,
                        plugins: Iterable[Any] = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for plugin_class in BUILTIN_PLUGINS:
        pm.register(plugin_class(), name=f"builtin:{plugin_class.__name__}")
    if entry_points:
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
                         key=lambda ep: ep.name):
            if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as e:  # a broken third-party package must not crash us
                raise PackLoadError(f"cannot load pack plugin '{ep.name}' ({ep.value}) from the "
                                    f"'{ENTRY_POINT_GROUP}' entry points: {type(e).__name__}: {e}",
                                    code="broken-plugin") from None
            pm.register(plugin, name=ep.name)
            dist = getattr(ep, "dist", None)
            if dist is not None:
                pm._plugin_distinfo.append((plugin, dist))  # as pluggy's own loader does
    for plugin in plugins:
        pm.register(plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as e:
        raise PackLoadError(f"plugin '{e.plugin}' implements a hook that does not exist: {e}; "
                            "hook names start with 'policy_' (see engine/hookspecs.py)",
                            code="bad-plugin") from None
    return pm


def _distribution(pm: pluggy.PluginManager, plugin: Any) -> str | None:
    for registered, dist in pm.list_plugin_distinfo():
        if registered is plugin:
            return f"{dist.metadata['name']} {dist.version}"
    return None


def load_packs(pm: pluggy.PluginManager) -> tuple[dict[str, LoadedPack], list[FailedPack]]:
    """Ask every plugin for its packs; parse and compile each.

    Returns the packs that loaded, by id, and the ones that did not. Plugins are asked in
    registration order, so the result does not depend on pluggy's call order.
    """
    loaded: dict[str, LoadedPack] = {}
    failed: list[FailedPack] = []
    for impl in pm.hook.policy_packs.get_hookimpls():
        name = impl.plugin_name
        try:
            sources = offered_sources(impl)
        except PolicyError as e:
            failed.append(FailedPack(name, name, e))
            continue
        for source in sources:
            if not isinstance(source, PackSource):
                failed.append(FailedPack(name, name, PackLoadError(
                    f"plugin '{name}' returned {type(source).__name__} from policy_packs; it "
                    "must return PackSource values (see engine.plugins.pack_resource)",
                    code="bad-plugin")))
                continue
            try:
                pack = compile_pack(parse_pack_cached(source.text, source.origin))
            except PolicyError as e:
                failed.append(FailedPack(source.origin, name, e, _guess_id(source.text)))
                continue
            if pack.id in loaded:
                first = loaded[pack.id]
                failed.append(FailedPack(source.origin, name, PackLoadError(
                    f"pack id '{pack.id}' from {source.origin} is already taken by "
                    f"{first.source.origin} (plugin '{first.plugin}'); pack ids must be unique",
                    code="duplicate-pack"), pack.id))
                continue
            loaded[pack.id] = LoadedPack(pack, source, name, _distribution(pm, impl.plugin))
    return loaded, failed


def offered_sources(impl: pluggy.HookImpl) -> list[object]:
    """What one plugin's ``policy_packs`` returned, as a list; nothing (None) is none.

    Pluggy types a hook's result ``object``: a plugin is not checked code. The items are
    still to be checked as :class:`PackSource` values; a result that is not a collection
    at all fails as ``list()`` would fail on it.
    """
    returned = impl.function() or ()
    if not isinstance(returned, Iterable):
        raise TypeError(f"'{type(returned).__name__}' object is not iterable")
    return list(returned)


def _guess_id(text: str) -> str | None:
    """The id after ``pack`` in a source that failed to compile, for messages."""
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] == "pack":
            return words[1]
        if words:
            return None
    return None

"""Plugin management: build an engine's plugin manager and load the packs it offers.

Each :class:`~engine.core.Engine` owns one :class:`pluggy.PluginManager` (there is no
global one). ``make_plugin_manager`` registers the built-in plugins from the explicit
tuple :data:`BUILTIN_PLUGINS`, then every installed plugin of the entry-point group
``policy.packs`` (the five built-in packs arrive this way too, from this project's own
``pyproject.toml``), then any extra plugins the caller passes, and finally runs
``check_pending()`` so a misspelt hook name fails loudly.

``load_packs`` asks every plugin for its pack sources and parses and compiles each one.
A pack id offered by more than one source (two distributions, two plugins) is a load
error naming every offer; none of them is served, so an installed package can never
replace another's pack in silence.

``source_files`` lists the pack (and test) files of a folder the way every command
does: editors' lock, backup and swap files are not sources.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.resources
import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import attrs
import pluggy

from dsl.cache import parse_pack_cached
from engine import hookspecs
from engine.collector import collection_paused
from engine.compiler import CompiledPack, compile_pack
from engine.contract import CONTRACT, contract_vocabulary
from engine.errors import PackLoadError, PolicyError, RequestError, VocabularyError
from engine.evaluator import DslEvaluator
from engine.model import PackSource
from engine.vocabulary import Contribution, Vocabulary

ENTRY_POINT_GROUP = "policy.packs"



@attrs.frozen
class LoadedPack:
    """A compiled pack with where it came from (for ``policy packs``)."""

    pack: CompiledPack
    source: PackSource
    plugin: str
    distribution: str | None
    #: Every edition of the pack, in in-force order (undated first, then by first day);
    #: ``pack`` is the last of them. Empty: the pack has one edition, ``pack``.
    editions: tuple[CompiledPack, ...] = ()

    @property
    def all_editions(self) -> tuple[CompiledPack, ...]:
        return self.editions or (self.pack,)

    def edition_on(self, day: dt.date) -> CompiledPack:
        """The edition in force on ``day``: of those whose period holds it, the one that came
        into force last (an undated edition applies on any day).

        Raises :class:`RequestError` (code ``not-in-force``) when no edition is in force
        that day: before the first one, after the last one's ``until``, or in a gap.
        """
        editions = self.all_editions
        for edition in reversed(editions):      # on the per-decision path: no list built
            if edition.in_force_on(day):
                return edition
        first = editions[0]
        pack_id = first.id
        if first.in_force_from is not None and day < first.in_force_from:
            raise RequestError(
                f"pack '{pack_id}' is not in force on {day.isoformat()}: its first edition "
                f"(version {first.version}) is in force from {first.in_force_from.isoformat()}; "
                "decide at a date on or after it", path="at", code="not-in-force")
        periods = "; ".join(f"version {e.version} {in_force_words(e)}" for e in editions)
        raise RequestError(f"no edition of pack '{pack_id}' is in force on {day.isoformat()}: "
                           f"{periods}", path="at", code="not-in-force")


def in_force_words(pack: CompiledPack) -> str:
    """``in force from 2024-02-21 until 2025-12-31``, ``in force from …`` or ``undated``."""
    if pack.in_force_from is None:
        return "undated"
    until = f" until {pack.in_force_until.isoformat()}" if pack.in_force_until else ""
    return f"in force from {pack.in_force_from.isoformat()}{until}"


def edition_order(pack: CompiledPack) -> tuple[dt.date, str]:
    """The order editions stand in: undated first, then by the day they come into force."""
    return (pack.in_force_from or dt.date.min, pack.version)


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


def pack_editions(package: str, folder: str = "editions") -> list[PackSource]:
    """The earlier (or later) editions a package ships beside its pack: every ``.policy``
    file in its ``folder`` (by convention ``editions/<id>-<version>.policy``), sorted by
    name; none when there is no such folder. Each is a complete pack source of the same
    pack id with its own ``version`` and ``in force`` clause (see docs/language.md)."""
    root = importlib.resources.files(package).joinpath(folder)
    try:
        names = sorted(entry.name for entry in root.iterdir()
                       if is_source_name(entry.name) and entry.is_file())
    except (OSError, NotADirectoryError):
        return []
    return [pack_resource(package, f"{folder}/{name}") for name in names]


def make_plugin_manager(*, entry_points: bool = True,
                        plugins: Iterable[Any] = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for plugin_class in BUILTIN_PLUGINS:
        pm.register(plugin_class(), name=f"builtin:{plugin_class.__name__}")
    if entry_points:
        for ep, name in _entry_points():
            if pm.is_blocked(ep.name) or pm.is_blocked(name):
                continue
            try:
                plugin = ep.load()
            except Exception as e:  # a broken third-party package must not crash us
                raise PackLoadError(f"cannot load pack plugin '{ep.name}' ({ep.value}) from the "
                                    f"'{ENTRY_POINT_GROUP}' entry points{_of(ep)}: "
                                    f"{type(e).__name__}: {e}", code="broken-plugin") from None
            if pm.is_registered(plugin):    # two entry points naming one module: one plugin
                continue
            pm.register(plugin, name=name)
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


def _entry_points() -> list[tuple[importlib.metadata.EntryPoint, str]]:
    """The ``policy.packs`` entry points in a stable order, each with a unique plugin name.

    The name is the entry point's; when several distributions use one name, each of them
    is registered as ``NAME (DISTRIBUTION)``, so that none is dropped and none is
    preferred.
    """
    found = sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
                   key=lambda ep: (ep.name, _dist_name(ep), ep.value))
    counts: dict[str, int] = {}
    for ep in found:
        counts[ep.name] = counts.get(ep.name, 0) + 1
    named: list[tuple[importlib.metadata.EntryPoint, str]] = []
    taken: set[str] = set()
    for ep in found:
        name = ep.name if counts[ep.name] == 1 else f"{ep.name} ({_dist_name(ep) or ep.value})"
        if name in taken:           # one distribution listing one name twice
            name = f"{ep.name} ({ep.value})"
        if name not in taken:
            taken.add(name)
            named.append((ep, name))
    return named


def _dist_name(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return name_version(dist)[0] if dist is not None else ""


def name_version(dist: Any) -> tuple[str, str]:
    """The name and version of a distribution (``importlib.metadata.Distribution``, or
    pluggy's wrapper of one), read off the header lines of its metadata
    (``dist.metadata`` parses the whole file as e-mail: a millisecond a distribution, on
    every start)."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break                                   # the headers end at a blank line
        key, colon, value = line.partition(":")
        key = key.strip().lower()
        if colon and key in ("name", "version"):
            found.setdefault(key, value.strip())
    if "name" in found and "version" in found:
        return found["name"], found["version"]
    return str(dist.metadata["name"]), str(dist.version)


def _of(ep: importlib.metadata.EntryPoint) -> str:
    name = _dist_name(ep)
    return f" of distribution '{name}'" if name else ""


def _distribution(pm: pluggy.PluginManager, plugin: Any) -> str | None:
    for registered, dist in pm.list_plugin_distinfo():
        if registered is plugin:
            return " ".join(name_version(dist))
    return None


def load_packs(pm: pluggy.PluginManager, vocabulary: Vocabulary | None = None,
               refused: Mapping[str, PolicyError] | None = None, *, only: str | None = None,
               ) -> tuple[dict[str, LoadedPack], list[FailedPack]]:
    """Ask every plugin for its packs; parse and compile each against ``vocabulary``
    (default: the contract's).

    Returns the packs that loaded, by id, and the ones that did not. Plugins are asked in
    registration order, so the result does not depend on pluggy's call order. A pack id
    offered more than once is one failure (code ``duplicate-pack``) naming every offer,
    and none of the offers is served. The packs of a plugin in ``refused`` (its words
    could not join the vocabulary, see :func:`load_vocabulary`) fail with that error.

    With ``only`` (a pack id), the sources that name another id in their header
    (:func:`guess_pack_id`) are left out unparsed: what a command that decides for one
    pack needs, at a fifth of the cost. Every source of that id is still compiled, so its
    editions and a duplicate offer are found as without ``only``; when no source names
    that id, ``only`` is ignored, so that an unknown pack is reported against all of them.
    """
    vocabulary = vocabulary or contract_vocabulary()
    refused = refused or {}
    offers: dict[str, list[LoadedPack]] = {}
    failed: list[FailedPack] = []
    offered: list[tuple[pluggy.HookImpl, PackSource]] = []
    for impl in pm.hook.policy_packs.get_hookimpls():
        name = impl.plugin_name
        if name in refused:
            failed.append(FailedPack(name, name, refused[name]))
            continue
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
            offered.append((impl, source))
    if only is not None:
        ids = [guess_pack_id(source.text) for _, source in offered]
        if only in ids:
            offered = [o for o, i in zip(offered, ids) if i in (only, None)]
    for impl, source in offered:
        name = impl.plugin_name
        try:
            with collection_paused():     # parsing a large pack: as compiling it
                pack = compile_pack(parse_pack_cached(source.text, source.origin), vocabulary)
        except PolicyError as e:
            failed.append(FailedPack(source.origin, name, e, guess_pack_id(source.text)))
            continue
        offers.setdefault(pack.id, []).append(
            LoadedPack(pack, source, name, _distribution(pm, impl.plugin)))
    loaded: dict[str, LoadedPack] = {}
    for pack_id, items in offers.items():
        if len(items) == 1:
            loaded[pack_id] = items[0]
        elif _editions_of_one(items):
            editions = tuple(sorted((item.pack for item in items), key=edition_order))
            item = next(i for i in items if i.pack is editions[-1])
            loaded[pack_id] = attrs.evolve(item, editions=editions)
        else:
            failed.append(FailedPack(items[0].source.origin, items[0].plugin,
                                     duplicate_error(pack_id, items), pack_id))
    return loaded, failed


def load_vocabulary(pm: pluggy.PluginManager) -> tuple[Vocabulary, dict[str, PolicyError]]:
    """Combine every plugin's ``policy_vocabulary`` contribution, in registration order
    (the contract's built-in contribution first).

    Returns the vocabulary and the plugins whose words were refused, each with the error
    (a :class:`VocabularyError` naming both sides of a conflict, or a broken hook). A
    refused plugin's words are left out whole, and so are the words of every plugin it
    conflicts with, so no pack is ever checked against a half-agreed vocabulary; their
    packs then fail to load with that error, while every other pack is served.
    """
    contributions: list[Contribution] = []
    refused: dict[str, PolicyError] = {}
    for impl in pm.hook.policy_vocabulary.get_hookimpls():
        try:
            contributions.extend(offered_words(impl))
        except PolicyError as e:
            refused[impl.plugin_name] = e
    base = [c for c in contributions if c.name == "contract"]
    others = [c for c in contributions if c.name != "contract"]
    try:
        return Vocabulary.build(base + others), refused
    except VocabularyError:
        pass
    fine: list[Contribution] = []
    for c in others:                     # alone against the contract
        try:
            Vocabulary.build(base + [c])
            fine.append(c)
        except VocabularyError as e:
            refused[c.name] = e
    for i, a in enumerate(fine):         # two by two
        for b in fine[i + 1:]:
            try:
                Vocabulary.build(base + [a, b])
            except VocabularyError as e:
                refused.setdefault(a.name, e)
                refused.setdefault(b.name, e)
    kept = [c for c in fine if c.name not in refused]
    return Vocabulary.build(base + kept), refused


def offered_words(impl: pluggy.HookImpl) -> list[Contribution]:
    """What one plugin's ``policy_vocabulary`` returned, as contributions named after the
    plugin; raises :class:`VocabularyError` when it is not contributions."""
    returned = impl.function()
    if returned is None:
        return []
    items = [returned] if isinstance(returned, Contribution) else returned
    if not isinstance(items, Iterable) or not all(isinstance(c, Contribution) for c in items):
        raise VocabularyError(
            f"plugin '{impl.plugin_name}' returned {type(returned).__name__} from "
            "policy_vocabulary; it must return a Contribution, a list of them, or None (see "
            "engine.vocabulary_file.vocabulary_resource)", code="bad-plugin")
    name = "contract" if isinstance(impl.plugin, ContractWords) else impl.plugin_name
    return [attrs.evolve(c, name=name) for c in items]


class ContractWords:
    """The built-in plugin that contributes the contract's vocabulary, first of all."""

    @hookspecs.hookimpl
    def policy_vocabulary(self) -> Contribution:
        return CONTRACT


#: Plugins every engine registers first, in this order.
BUILTIN_PLUGINS: tuple[type, ...] = (ContractWords, DslEvaluator)


def _editions_of_one(items: Sequence[LoadedPack]) -> bool:
    """Whether the offers of one pack id are its editions: all from one plugin, each with
    its own version (anything else is a duplicate)."""
    versions = {item.pack.version for item in items}
    return len({item.plugin for item in items}) == 1 and len(versions) == len(items)


def duplicate_error(pack_id: str, offers: Sequence[LoadedPack]) -> PackLoadError:
    """The error of a pack id offered more than once, naming each offer's distribution."""
    def offer(item: LoadedPack) -> str:
        by = [f"distribution '{item.distribution}'"] if item.distribution else []
        if item.plugin != f"file:{item.source.origin}":
            by.append(f"plugin '{item.plugin}'")
        return item.source.origin + (f" ({', '.join(by)})" if by else "")

    listed = [offer(item) for item in offers]
    remedy = ("uninstall one of the distributions or give its pack another id"
              if any(item.distribution for item in offers) else "give all but one another id")
    return PackLoadError(
        f"pack id '{pack_id}' is offered {len(offers)} times: by "
        + ", ".join(listed[:-1]) + f" and by {listed[-1]}; a pack id must be offered once, "
        f"so none of them is served: {remedy}", code="duplicate-pack")


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


def guess_pack_id(text: str) -> str | None:
    """The id after ``pack`` in a source, read without parsing it (for a source that may
    not parse or compile: messages, and finding an installed pack by id)."""
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] == "pack":
            return words[1]
        if words:
            return None
    return None


def is_source_name(name: str, suffixes: Sequence[str] = (".policy",)) -> bool:
    """Whether a file name is a source with one of ``suffixes``, not an editor's file.

    Hidden files are never sources: that leaves out Emacs locks (``.#x.policy``), macOS
    resource forks (``._x.policy``) and Vim swap files (``.x.policy.swp``); backups
    (``x.policy~``) and Emacs autosaves (``#x.policy#``) do not end in the suffix.
    """
    return name.endswith(tuple(suffixes)) and not name.startswith((".", "#"))


def source_files(folder: str | os.PathLike[str],
                 suffixes: Sequence[str] = (".policy",)) -> list[Path]:
    """The source files directly in ``folder`` (sorted), without editors' files.

    Entries are taken by name and followed if they are symbolic links (a Kubernetes
    ConfigMap's files are links into its ``..data`` folder); folders are skipped.
    """
    folder = Path(folder)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [folder / n for n in names if is_source_name(n, suffixes)
            and not (folder / n).is_dir()]

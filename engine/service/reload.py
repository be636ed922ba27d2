"""Live packs: load them, keep each pack's last good version, reload when files change.

A :class:`PackStore` holds one :class:`Snapshot`: an :class:`~engine.core.Engine` plus the
state of every pack (the version serving, and the error of the latest attempt, if it
failed). :meth:`PackStore.reload` builds a complete new engine off to the side (a
fresh ``Engine.load``), holds back every pack version that fails its own tests (the
``.tests`` it ships, run by ``engine.authoring.testing.verify_pack``), puts back the last
good version of every pack that fails, and swaps the snapshot reference in one
assignment. A caller takes the snapshot once per request, so no request ever sees a
half-loaded pack, and a batch is decided by one version throughout.

:meth:`PackStore.watch` looks at what the user named (each ``--packs`` path as given,
opened afresh on every look, so symbolic links are followed anew: a Kubernetes
ConfigMap's ``..data`` swap and an edit of a link's target are both seen) and at the
installed packs' files, every ``interval`` seconds. A change is loaded only once the
files have settled: the same size, modification time and content hash on looks at
least ``settle`` seconds apart, and unchanged again after they were read. Editors' files
(``.#x.policy``, ``x.policy~``, …) are no sources (:func:`engine.plugins.is_source_name`).
:class:`PackFile` is the plugin that offers a pack from a file named on the command
line (``policy serve --packs PATH``), with its ``.tests`` file when there is one and its
other editions (``editions/<stem>-*.policy`` beside it); a pack reloads with all its
editions at once, and each edition's file is watched.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

import attrs

from engine.errors import PackErrors, PackLoadError, PolicyError, SourceError
from engine.hookspecs import hookimpl
from engine.model import PackSource
from engine.plugins import FailedPack, LoadedPack, source_files
from engine.vocabulary import Contribution
from engine.vocabulary_file import vocabulary_beside

if TYPE_CHECKING:
    from engine.core import Engine

logger = logging.getLogger("policy.reload")


class PackFile:
    """A plugin offering the pack in one ``.policy`` file (read afresh on every load).

    The path is kept as given (never resolved), so a file that is a symbolic link is
    followed anew on every load. The ``.tests`` file beside it, if any, comes along as
    the pack's tests.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.__name__ = f"file:{self.path}"    # the name pluggy registers it by

    @hookimpl
    def policy_packs(self) -> list[PackSource]:
        text = _read(self.path)
        tests_path = self.path.with_suffix(".tests")
        editions = [PackSource(_read(p), str(p)) for p in self.editions()]
        if not tests_path.is_file():
            return [PackSource(text, str(self.path)), *editions]
        return [PackSource(text, str(self.path), _read(tests_path), str(tests_path)),
                *editions]

    @hookimpl
    def policy_vocabulary(self) -> Contribution | None:
        """The words of the ``vocabulary.toml`` beside the file, if there is one."""
        return vocabulary_beside(self.path)

    def editions(self) -> list[Path]:
        """The pack's other editions: ``editions/<stem>-*.policy`` beside the file."""
        prefix = f"{self.path.stem}-"
        return [p for p in source_files(self.path.parent / "editions")
                if p.name.startswith(prefix)]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise PackLoadError(f"cannot read pack file {path}: {e}",
                            code="unreadable-pack") from None


def pack_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The pack files named by ``paths``: files as given, folders' ``*.policy`` files
    (without editors' files such as ``.#x.policy``)."""
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(source_files(path) if path.is_dir() else [path])
    return files


@attrs.frozen
class Problem:
    """One error of a pack that failed to load, with its position where known."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None

    @classmethod
    def list_from(cls, error: PolicyError) -> list["Problem"]:
        errors: Sequence[PolicyError] = error.errors if isinstance(error, PackErrors) else [error]
        problems = []
        for e in errors:
            span = e.span if isinstance(e, SourceError) else None
            problems.append(cls(e.code, e.message, *(
                (span.file, span.line, span.column, span.end_line, span.end_column)
                if span else ())))
        return problems


@attrs.frozen
class PackState:
    """A pack as the store knows it: the version serving and the latest error."""

    id: str | None
    origin: str
    loaded: LoadedPack | None = None        # the version serving (the last good one)
    digest: str | None = None               # sha256 of the serving version's source
    loaded_at: dt.datetime | None = None
    error: PolicyError | None = None        # why the latest load of this pack failed
    failed_at: dt.datetime | None = None

    @property
    def status(self) -> str:
        return "ok" if self.error is None else "error"


@attrs.frozen
class Snapshot:
    """One consistent view: the engine that decides, and every pack's state."""

    engine: "Engine"
    states: Mapping[str, PackState]                 # by pack id
    unidentified: tuple[PackState, ...] = ()        # failures whose pack id is unknown
    generation: int = 1
    digests: Mapping[str, str] = attrs.field(       # of the versions serving, by pack id
        init=False, default=attrs.Factory(
            lambda self: {k: s.digest for k, s in self.states.items() if s.digest},
            takes_self=True))
    versions: Mapping[str, str] = attrs.field(      # of the current editions, by pack id
        init=False, default=attrs.Factory(
            lambda self: {k: s.loaded.pack.version for k, s in self.states.items()
                          if s.loaded is not None},
            takes_self=True))


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PackStore:
    """The current :class:`Snapshot`, replaced whole by :meth:`reload`.

    With ``verify`` (the default), a pack version that ships tests is served only when
    every case passes; otherwise it is a failure like a compile error (code
    ``failing-test``), and the last good version keeps serving.
    """

    def __init__(self, load: Callable[[], "Engine"], *, verify: bool = True) -> None:
        self._load = load
        self._verify = verify
        self._verified: set[tuple[str, str]] = set()    # (pack, tests) digests that passed
        self._lock = threading.Lock()          # one reload at a time
        self._snapshot: Snapshot | None = None

    @property
    def snapshot(self) -> Snapshot:
        snapshot = self._snapshot
        if snapshot is None:
            raise RuntimeError("PackStore.reload() has not run yet")
        return snapshot

    def reload(self, confirm: Callable[[], bool] | None = None) -> Snapshot:
        """Load every pack afresh; keep the last good version of any that fail.

        ``confirm``, when given, is asked after the load and before the swap; when it
        answers false (the files changed while they were read), the new engine is
        dropped and the current snapshot returned unchanged.
        """
        from engine.core import Engine

        with self._lock:
            fresh = self._load()
            fresh_loaded, fresh_failed = self._gate(fresh.loaded, fresh.failed)
            previous = self._snapshot
            if previous is not None and confirm is not None and not confirm():
                logger.info("pack files changed while they were read; loading them again "
                            "once they settle")
                return previous
            now = dt.datetime.now(dt.timezone.utc)
            old = previous.states if previous else {}
            states: dict[str, PackState] = {}
            loaded: dict[str, LoadedPack] = dict(fresh_loaded)
            for pack_id, item in fresh_loaded.items():
                sha = digest(item.source.text)
                before = old.get(pack_id)
                since = before.loaded_at if before and before.digest == sha else now
                states[pack_id] = PackState(pack_id, item.source.origin, item, sha, since)
            still_failed: list[FailedPack] = []
            unidentified: list[PackState] = []
            for failure in fresh_failed:
                failed_id = failure.pack_id or _known_id(failure, old)
                if failed_id is None:
                    still_failed.append(failure)
                    unidentified.append(PackState(None, failure.origin, error=failure.error,
                                                  failed_at=now))
                    continue
                before = states.get(failed_id) or old.get(failed_id)
                same = (before is not None and before.error is not None
                        and str(before.error) == str(failure.error))
                failed_at = before.failed_at if same and before else now
                if failed_id in states:     # loaded from another source
                    states[failed_id] = attrs.evolve(states[failed_id], error=failure.error,
                                                   failed_at=failed_at)
                    continue
                keep = before.loaded if before else None
                states[failed_id] = PackState(
                    failed_id, failure.origin, keep, before.digest if keep and before else None,
                    before.loaded_at if keep and before else None, failure.error, failed_at)
                if keep is not None:
                    loaded[failed_id] = keep
                else:
                    still_failed.append(failure)
            engine = Engine(loaded, fresh.plugin_manager, still_failed, fresh.vocabulary)
            snapshot = Snapshot(engine, states, tuple(unidentified),
                                previous.generation + 1 if previous else 1)
            _report(previous, snapshot)
            self._snapshot = snapshot
            return snapshot

    def _gate(self, loaded: Mapping[str, LoadedPack], failed: Sequence[FailedPack]
              ) -> tuple[dict[str, LoadedPack], list[FailedPack]]:
        """Hold back the pack versions that fail their own tests (as load failures)."""
        if not self._verify:
            return dict(loaded), list(failed)
        from engine.authoring.testing import verify_pack

        passed: dict[str, LoadedPack] = {}
        held: list[FailedPack] = list(failed)
        verified: set[tuple[str, str]] = set()
        for pack_id, item in loaded.items():
            source = item.source
            if source.tests is None:
                passed[pack_id] = item
                continue
            key = (digest(source.text), digest(source.tests))
            if key not in self._verified:
                try:
                    verify_pack(item.pack, source.tests, source.tests_origin or "<tests>")
                except PolicyError as e:
                    held.append(FailedPack(source.origin, item.plugin, e, pack_id))
                    continue
            verified.add(key)
            passed[pack_id] = item
        self._verified = verified
        return passed, held

    # ---- watching ----------------------------------------------------------------
    def watched_paths(self, named: Iterable[str | os.PathLike[str]] = ()) -> list[str]:
        """What :meth:`watch` looks at: the ``named`` paths (absolute, not resolved) and
        the files of the packs that no named path offers (the installed packs')."""
        paths = {os.path.abspath(p) for p in named}
        snapshot = self.snapshot
        for state in [*snapshot.states.values(), *snapshot.unidentified]:
            item = state.loaded
            if item is not None:        # every edition's file, whoever offers the pack
                paths.update(e.origin for e in item.editions if os.path.isfile(e.origin))
            if item is not None and item.plugin.startswith("file:"):
                continue
            if item is None and state.origin and state.origin.startswith("file:"):
                continue
            sources = ([item.source.origin, item.source.tests_origin] if item is not None
                       else [state.origin])
            paths.update(o for o in sources if o and os.path.isfile(o))
        return sorted(paths)

    async def watch(self, stop: asyncio.Event, named: Iterable[str | os.PathLike[str]] = (),
                    interval: float = 0.5, settle: float = 1.0) -> None:
        """Reload whenever the watched files change and have settled, until ``stop``.

        Every ``interval`` seconds the files are looked at (:func:`look`). A change is
        loaded once two looks at least ``settle`` seconds apart see the same files, and
        the files are still the same after the load read them (else it waits again).
        """
        import anyio.to_thread

        paths = self.watched_paths(named)
        if not paths:
            logger.warning("--watch: no pack files to watch")
            return
        logger.info("watching %s for changed packs (every %g s, settling for %g s)",
                    ", ".join(paths), interval, settle)
        settler = Settler(await anyio.to_thread.run_sync(look, paths), settle)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), interval)
                break
            except TimeoutError:
                pass
            settled = settler.see(await anyio.to_thread.run_sync(look, paths),
                                  time.monotonic())
            if settled is None:
                continue
            try:
                before = self.snapshot.generation
                after = await anyio.to_thread.run_sync(
                    self.reload, lambda: look(paths) == settled)
                if after.generation == before:
                    continue             # changed while read: settle again
            except Exception:    # a broken plugin must not end the watching
                logger.exception("reloading the packs failed; the packs loaded before keep "
                                 "serving")
            settler.live = settled


View = Mapping[str, tuple[object, ...]]


class Settler:
    """Decides when changed files have settled: the same view on looks ``settle`` apart.

    ``live`` is the view loaded last. :meth:`see` takes each new look with its time (s,
    monotonic) and returns the view to load once it has stayed the same for ``settle``
    seconds (and on at least two looks), else None. The caller sets ``live`` to the
    view it loaded.
    """

    def __init__(self, live: View, settle: float) -> None:
        self.live = live
        self.settle = settle
        self._candidate: View | None = None
        self._since = 0.0

    def see(self, view: View, now: float) -> View | None:
        if view == self.live:
            self._candidate = None
            return None
        if view != self._candidate:
            if self._candidate is None:
                logger.debug("pack files changed; waiting %g s for them to settle",
                             self.settle)
            self._candidate, self._since = view, now
            return None
        if now - self._since < self.settle:
            return None
        self._candidate = None
        return view


def look(paths: Iterable[str]) -> View:
    """What ``paths`` hold now: for every file (a named file, or a ``.policy`` or
    ``.tests`` file in a named folder, editors' files left out), its size, modification
    time (ns) and SHA-256, or why it cannot be read.

    Each file is opened by its path, so symbolic links are resolved anew on every look;
    ``os.fstat`` of the open file gives the target's size and time.
    """
    seen: dict[str, tuple[object, ...]] = {}
    for path in paths:
        if os.path.isdir(path):
            seen[path] = ("folder",)
            for file in source_files(path, (".policy", ".tests")):
                seen[str(file)] = _file_state(str(file))
        else:
            seen[path] = _file_state(path)
    return seen


def _file_state(path: str) -> tuple[object, ...]:
    try:
        with open(path, "rb") as file:
            stat = os.fstat(file.fileno())
            data = file.read()
    except OSError as e:
        return ("unreadable", e.errno)
    return (stat.st_size, stat.st_mtime_ns, hashlib.sha256(data).hexdigest())


def _known_id(failure: FailedPack, states: Mapping[str, PackState]) -> str | None:
    """The id a failed source had when it last loaded (by origin, or by its plugin)."""
    by_plugin = [s.id for s in states.values()
                 if s.loaded is not None and s.loaded.plugin == failure.plugin]
    for state in states.values():
        if state.origin == failure.origin:
            return state.id
    return by_plugin[0] if len(by_plugin) == 1 else None


def _report(previous: Snapshot | None, current: Snapshot) -> None:
    """Log what changed: packs (re)loaded, packs failing, packs fixed."""
    old = previous.states if previous else {}
    for pack_id, state in sorted(current.states.items()):
        before = old.get(pack_id)
        if state.error is not None:
            if before is None or before.error is None or str(before.error) != str(state.error):
                serving = (f"still serving version {state.loaded.pack.version} loaded "
                           f"{state.loaded_at:%Y-%m-%d %H:%M:%S} UTC" if state.loaded
                           and state.loaded_at else "not serving it")
                logger.error("pack '%s' failed to load; %s:\n%s", pack_id, serving, state.error)
            continue
        assert state.loaded is not None
        if before is None or before.digest != state.digest or before.error is not None:
            verb = "loaded" if before is None else "reloaded"
            logger.info("pack '%s' %s: version %s from %s", pack_id, verb,
                        state.loaded.pack.version, state.origin)
    for pack_id in sorted(set(old) - set(current.states)):
        logger.info("pack '%s' is no longer offered; not serving it", pack_id)
    for state in current.unidentified:
        logger.error("a pack from %s failed to load:\n%s", state.origin, state.error)

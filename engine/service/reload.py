"""Live packs: load them, keep each pack's last good version, reload when files change.

A :class:`PackStore` holds one :class:`Snapshot`: an :class:`~engine.core.Engine` plus the
state of every pack (the version serving, and the error of the latest attempt, if it
failed). :meth:`PackStore.reload` builds a complete new engine off to the side (a
fresh ``Engine.load``), puts back the last good version of every pack that now fails
to load, and swaps the snapshot reference in one assignment. A caller takes the
snapshot once per request, so no request ever sees a half-loaded pack, and a batch is
decided by one version throughout.

:meth:`PackStore.watch` (with ``watchfiles``) reloads when a ``.policy`` file in the
folders of the packs changes. :class:`PackFile` is the plugin that offers a pack from
a file named on the command line (``policy serve --packs PATH``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import attrs

from engine.errors import PackErrors, PackLoadError, PolicyError, SourceError
from engine.hookspecs import hookimpl
from engine.model import PackSource
from engine.plugins import FailedPack, LoadedPack

if TYPE_CHECKING:
    import asyncio

    from engine.core import Engine

logger = logging.getLogger("policy.reload")


class PackFile:
    """A plugin offering the pack in one ``.policy`` file (read afresh on every load)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.__name__ = f"file:{self.path}"    # the name pluggy registers it by

    @hookimpl
    def policy_packs(self) -> list[PackSource]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise PackLoadError(f"cannot read pack file {self.path}: {e}",
                                code="unreadable-pack") from None
        return [PackSource(text, str(self.path))]


def pack_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The pack files named by ``paths``: files as given, folders' ``*.policy`` files."""
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(path.glob("*.policy")) if path.is_dir() else [path])
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


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PackStore:
    """The current :class:`Snapshot`, replaced whole by :meth:`reload`."""

    def __init__(self, load: Callable[[], "Engine"]) -> None:
        self._load = load
        self._lock = threading.Lock()          # one reload at a time
        self._snapshot: Snapshot | None = None

    @property
    def snapshot(self) -> Snapshot:
        snapshot = self._snapshot
        if snapshot is None:
            raise RuntimeError("PackStore.reload() has not run yet")
        return snapshot

    def reload(self) -> Snapshot:
        """Load every pack afresh; keep the last good version of any that fail."""
        from engine.core import Engine

        with self._lock:
            fresh = self._load()
            previous = self._snapshot
            now = dt.datetime.now(dt.timezone.utc)
            old = previous.states if previous else {}
            states: dict[str, PackState] = {}
            loaded: dict[str, LoadedPack] = dict(fresh.loaded)
            for pack_id, item in fresh.loaded.items():
                sha = digest(item.source.text)
                before = old.get(pack_id)
                since = before.loaded_at if before and before.digest == sha else now
                states[pack_id] = PackState(pack_id, item.source.origin, item, sha, since)
            still_failed: list[FailedPack] = []
            unidentified: list[PackState] = []
            for failure in fresh.failed:
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
                if failed_id in states:     # loaded from another source (a duplicate id)
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
            engine = Engine(loaded, fresh.plugin_manager, still_failed)
            snapshot = Snapshot(engine, states, tuple(unidentified),
                                previous.generation + 1 if previous else 1)
            _report(previous, snapshot)
            self._snapshot = snapshot
            return snapshot

    # ---- watching ----------------------------------------------------------------
    def watched_folders(self, extra: Iterable[str | os.PathLike[str]] = ()) -> list[str]:
        """The folders holding the packs' files (and ``extra`` folders), that exist."""
        snapshot = self.snapshot
        origins = [s.origin for s in snapshot.states.values()]
        origins += [s.origin for s in snapshot.unidentified]
        folders = {os.path.dirname(os.path.abspath(o)) for o in origins if os.path.isfile(o)}
        for path in extra:
            path = os.path.abspath(path)
            folders.add(path if os.path.isdir(path) else os.path.dirname(path))
        return sorted(f for f in folders if os.path.isdir(f))

    async def watch(self, stop: "asyncio.Event", extra: Iterable[str | os.PathLike[str]] = (),
                    debounce_ms: int = 250) -> None:
        """Reload whenever a ``.policy`` file in the watched folders changes, until ``stop``."""
        import anyio.to_thread
        import watchfiles

        folders = self.watched_folders(extra)
        if not folders:
            logger.warning("--watch: no pack folders to watch")
            return
        logger.info("watching %s for changed packs", ", ".join(folders))
        async for _changes in watchfiles.awatch(
                *folders, watch_filter=_is_pack_file, debounce=debounce_ms, step=50,
                stop_event=stop, recursive=False):
            try:
                await anyio.to_thread.run_sync(self.reload)
            except Exception:    # a broken plugin must not end the watching
                logger.exception("reloading the packs failed; the packs loaded before keep "
                                 "serving")


def _is_pack_file(_change: Any, path: str) -> bool:
    return path.endswith(".policy")


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

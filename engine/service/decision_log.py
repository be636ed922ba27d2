"""The decision log: every decision as one JSON line in an append-only file.

A municipality's decisions are part of how it documents its handling of public
records, so the log must not lose or corrupt entries. Three pieces:

- :class:`DecisionLog` is a plugin implementing the ``policy_decision`` hook. It turns
  each decision into a :class:`LogEntry` (request, decision, pack id and version, time,
  request id) and hands the encoded line to a sink. Any other plugin implementing the
  same hook can send decisions elsewhere instead.
- :func:`scope` marks a unit of work (one HTTP request, one CLI run): its decisions
  share a request id and are held until the work succeeds (:meth:`Scope.commit`), so
  a batch rejected half-way leaves no entries for decisions nobody received.
- :class:`LogWriter` appends lines to the file: one ``write`` per batch of whole lines,
  under an exclusive ``flock`` (several worker processes share one file), flushed by a
  background thread within ``flush_interval`` seconds, ``fdatasync``-ed after each
  batch and at close. A partial last line (left by a crash in the middle of a write)
  is moved to ``PATH.partial`` and cut off before anything is appended, so the file
  only ever grows by whole lines.

:func:`read_entries` and :class:`LogFilter` serve ``policy log``.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import itertools
import json
import logging
import os
import threading
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import attrs

from engine.hookspecs import hookimpl
from engine.model import Decision, Request

logger = logging.getLogger("policy.decision_log")

Sink = Callable[[Sequence[bytes]], None]


@attrs.frozen
class LogEntry:
    """One line of the decision log but for its last field, ``decision``.

    :func:`encode` adds the decision JSON, which :func:`decision_json` encodes once for
    each distinct decision: decisions repeat a lot, and the service answers with the
    same text.
    """

    time: dt.datetime                 # when the decision was made, UTC
    request_id: str                   # the HTTP request (X-Request-ID) or CLI run
    decision_id: str                  # unique per decision
    source: str                       # http | authzen | cli | python
    pack: str
    pack_version: str
    request: Request                  # as the caller gave it, with the resolved "at"
    index: int | None = None          # position in a batch
    pack_digest: str | None = None    # sha256 of the pack source that decided, when known
    authzen: Mapping[str, Any] | None = None   # subject, resource and context of an AuthZEN call


class _Ids:
    """Unique ids of 32 hex digits: 16 random ones per process, then a counter.

    As unique as random UUIDs across processes and restarts, without reading the
    system's randomness for every decision. A forked child starts afresh.
    """

    def __init__(self) -> None:
        self._pid = -1
        self._prefix = ""
        self._counter = itertools.count()

    def __call__(self) -> str:
        if os.getpid() != self._pid:
            self._pid, self._prefix = os.getpid(), os.urandom(8).hex()
            self._counter = itertools.count()
        return f"{self._prefix}{next(self._counter):016x}"


new_id = _Ids()


@attrs.define
class Scope:
    """A unit of work whose decisions share a request id and are logged together."""

    source: str
    request_id: str = attrs.field(factory=new_id)
    batch: bool = False
    pack_digests: Mapping[str, str] = attrs.field(factory=dict)
    authzen: Mapping[str, Any] | None = None
    count: int = 0
    pending: list[tuple[Sink, bytes]] = attrs.field(factory=list)
    plugins: tuple[Any, ...] = ()     # for engines loaded inside (the CLI's decision log)

    def commit(self) -> None:
        """Hand the held entries to their sinks, one call per sink, in order."""
        by_sink: dict[int, tuple[Sink, list[bytes]]] = {}
        for sink, line in self.pending:
            by_sink.setdefault(id(sink), (sink, []))[1].append(line)
        self.pending.clear()
        for sink, lines in by_sink.values():
            sink(lines)

    def discard(self) -> None:
        self.pending.clear()


_SCOPE: contextvars.ContextVar[Scope | None] = contextvars.ContextVar(
    "policy_decision_scope", default=None)


@contextlib.contextmanager
def scope(source: str, request_id: str | None = None, **fields: Any) -> Iterator[Scope]:
    """Hold the decisions made inside the block; the caller commits them on success."""
    current = Scope(source, request_id or new_id(), **fields)
    token = _SCOPE.set(current)
    try:
        yield current
    finally:
        _SCOPE.reset(token)


def current_scope() -> Scope | None:
    return _SCOPE.get()


def scope_plugins() -> tuple[Any, ...]:
    """The plugins an engine loaded in the current unit of work should register."""
    current = _SCOPE.get()
    return current.plugins if current is not None else ()


@functools.lru_cache(maxsize=4096)
def decision_json(decision: Decision) -> str:
    """The decision JSON as text, encoded once for each distinct decision."""
    from engine.serialization import to_json
    return json.dumps(to_json(decision), ensure_ascii=False, separators=(",", ":"))


def encode(entry: LogEntry, decision: Decision) -> bytes:
    """The entry and its decision as one line of JSON (UTF-8, ending in a newline)."""
    from engine.serialization import to_json
    data = to_json(entry)
    tail = ',"decision":' + decision_json(decision) + "}\n"
    try:
        head = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=repr)
        return (head[:-1] + tail).encode("utf-8")
    except UnicodeEncodeError:   # a lone surrogate in a free-text fact: escape it
        head = json.dumps(data, separators=(",", ":"), default=repr)
        return (head[:-1] + tail).encode("utf-8")


class DecisionLog:
    """The ``policy_decision`` observer that records decisions to a sink."""

    def __init__(self, sink: Sink, source: str = "python") -> None:
        self.sink = sink
        self.source = source
        self.__name__ = f"decision-log-{id(self):x}"   # the name pluggy registers it by

    @hookimpl
    def policy_decision(self, request: Request, decision: Decision) -> None:
        try:
            current = _SCOPE.get()
            index = None
            if current is not None:
                if current.batch:
                    index = current.count
                current.count += 1
            entry = LogEntry(
                time=dt.datetime.now(dt.timezone.utc),
                request_id=current.request_id if current else new_id(),
                decision_id=new_id(),
                source=current.source if current else self.source,
                pack=decision.pack, pack_version=decision.pack_version,
                request=request, index=index,
                pack_digest=current.pack_digests.get(decision.pack) if current else None,
                authzen=current.authzen if current else None)
            line = encode(entry, decision)
        except Exception:   # the hook must not raise; say loudly that an entry is missing
            logger.exception("could not record a decision of pack %r in the decision log",
                             getattr(decision, "pack", None))
            return
        if current is not None:
            current.pending.append((self.sink, line))
        else:
            self.sink([line])


class LogWriter:
    """Appends whole lines to a decision log file; see the module docstring."""

    def __init__(self, path: str | os.PathLike[str], *, flush_interval: float = 0.2,
                 max_batch: int = 2000) -> None:
        self.path = os.fspath(path)
        self.flush_interval = flush_interval
        self.max_batch = max_batch
        self._fd: int | None = None
        self._buffer: list[bytes] = []
        self._cond = threading.Condition()
        self._io = threading.Lock()
        self._closing = False
        self._thread: threading.Thread | None = None
        self.written = 0

    # ---- lifecycle ---------------------------------------------------------------
    def open(self) -> "LogWriter":
        """Open (create) the file, check its end, start the flushing thread.

        With ``flush_interval`` 0 there is no thread: every submit is written at once.
        """
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC,
                           0o640)
        with self._io:
            with _exclusive(self._fd):
                self._repair()
        if self.flush_interval > 0:
            self._thread = threading.Thread(target=self._run, name="decision-log", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Write what is buffered, fsync and close. Safe to call twice."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.flush()
        if self._fd is not None:
            with self._io:
                os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> "LogWriter":
        return self.open() if self._fd is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- writing -----------------------------------------------------------------
    def submit(self, lines: Sequence[bytes]) -> None:
        """Queue whole lines (each ending in a newline) for the next flush."""
        with self._cond:
            self._buffer.extend(lines)
            if len(self._buffer) >= self.max_batch:
                self._cond.notify()
        if self._thread is None:   # no background flushing: write now
            self.flush()

    def flush(self) -> None:
        """Write everything buffered now, on the caller's thread."""
        with self._cond:
            batch, self._buffer = self._buffer, []
        if batch:
            self._write(batch)

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._closing and len(self._buffer) < self.max_batch:
                    self._cond.wait(self.flush_interval)
                batch, self._buffer = self._buffer, []
                closing = self._closing
            if batch:
                self._write(batch)
            if closing:
                return

    def _write(self, batch: list[bytes]) -> None:
        data = b"".join(batch)
        with self._io:
            fd = self._fd
            if fd is None:
                logger.error("decision log %s is closed; %d entries not written", self.path,
                             len(batch))
                return
            try:
                with _exclusive(fd):
                    size = self._repair()
                    try:
                        view = memoryview(data)
                        while view:
                            view = view[os.write(fd, view):]
                    except OSError:
                        os.ftruncate(fd, size)   # never leave part of a batch behind
                        raise
                _datasync(fd)
            except OSError as e:
                logger.error("cannot write %d entries to the decision log %s: %s; keeping "
                             "them to try again", len(batch), self.path, e)
                with self._cond:
                    self._buffer[:0] = batch
                return
            self.written += len(batch)

    def _repair(self) -> int:
        """Cut off a partial last line (kept in ``PATH.partial``); return the file size."""
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        if size == 0 or os.pread(self._fd, 1, size - 1) == b"\n":
            return size
        keep, pos = 0, size
        while pos > 0:
            start = max(0, pos - 65536)
            cut = os.pread(self._fd, pos - start, start).rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                break
            pos = start
        tail = os.pread(self._fd, size - keep, keep)
        with open(self.path + ".partial", "ab") as aside:
            aside.write(tail + b"\n")
        os.ftruncate(self._fd, keep)
        logger.warning("decision log %s ended in a partial line of %d bytes (left by a crash); "
                       "moved it to %s.partial", self.path, size - keep, self.path)
        return keep


_datasync = getattr(os, "fdatasync", os.fsync)     # macOS has fsync only


@contextlib.contextmanager
def _exclusive(fd: int) -> Iterator[None]:
    """Hold an exclusive flock on the file (Unix; imported here so that the rest of
    this module, which every `policy decide` imports, works without it)."""
    import fcntl
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def recording(path: str | os.PathLike[str], source: str) -> Iterator[Scope]:
    """Record the decisions of engines loaded inside the block, as one unit of work.

    An engine loaded in the block registers the log plugin when it is loaded with
    ``plugins=scope_plugins()``. Entries are written (and fsynced) when the block ends
    without an exception; a block that raises writes none. For commands that make a few
    decisions and exit; raises ``OSError`` when the file cannot be opened.
    """
    writer = LogWriter(path, flush_interval=0).open()
    try:
        with scope(source) as unit:
            unit.plugins = (DecisionLog(writer.submit, source),)
            yield unit
            unit.commit()
    finally:
        writer.close()


# ---- reading -------------------------------------------------------------------------

@attrs.frozen
class LogFilter:
    """Which entries ``policy log`` shows; empty fields match everything."""

    packs: frozenset[str] = frozenset()
    actions: frozenset[str] = frozenset()
    outcomes: frozenset[str] = frozenset()
    since: dt.datetime | None = None      # inclusive
    until: dt.datetime | None = None      # exclusive
    request_id: str | None = None

    def __call__(self, entry: Mapping[str, Any]) -> bool:
        decision = entry.get("decision") or {}
        request = entry.get("request") or {}
        if self.packs and entry.get("pack") not in self.packs:
            return False
        if self.actions and request.get("action") not in self.actions:
            return False
        if self.outcomes and decision.get("outcome") not in self.outcomes:
            return False
        if self.request_id is not None and entry.get("request_id") != self.request_id:
            return False
        if self.since is not None or self.until is not None:
            when = entry_time(entry)
            if when is None:
                return False
            if self.since is not None and when < self.since:
                return False
            if self.until is not None and when >= self.until:
                return False
        return True


def entry_time(entry: Mapping[str, Any]) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(entry["time"])
    except (KeyError, TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


@attrs.frozen
class BadLine:
    """A line of a log file that is not a whole entry."""

    number: int
    problem: str


def read_entries(lines: Iterable[bytes]) -> Iterator[tuple[int, Mapping[str, Any] | BadLine]]:
    """Parse a log's lines: ``(line number, entry)``, or a :class:`BadLine`."""
    for number, raw in enumerate(lines, start=1):
        if not raw.endswith(b"\n"):
            yield number, BadLine(number, "a partial last line (the writer was interrupted)")
            continue
        try:
            entry = json.loads(raw)
        except ValueError as e:
            yield number, BadLine(number, f"not JSON ({e})")
            continue
        if not isinstance(entry, dict) or "decision" not in entry:
            yield number, BadLine(number, "not a decision log entry")
            continue
        yield number, entry

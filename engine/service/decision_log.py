"""The decision log: every decision as one JSON line in an append-only file.

A municipality's decisions are part of how it documents its handling of public
records, so the log must not lose or corrupt entries. Four pieces:

- :class:`DecisionLog` is a plugin implementing the ``policy_decision`` hook. It turns
  each decision into an entry (request, decision, pack id and version, time, request
  id) and hands the encoded line to a sink. Any other plugin implementing the same hook
  can send decisions elsewhere instead.
- :func:`scope` marks a unit of work (one HTTP request, one CLI run): its decisions
  share a request id and are held until the work succeeds (:meth:`Scope.commit`), so
  a batch rejected half-way leaves no entries for decisions nobody received.
- ``engine.service.log_lines`` encodes the lines (:class:`LogEntry`, :func:`encode`,
  bounds on long text) and the decision JSON the service answers with.
- :class:`~engine.service.log_writer.LogWriter` appends lines to the file (whole lines
  under ``flock``, batches, rotation, back-off on failure); see its module.

:func:`read_entries` and :class:`LogFilter` serve ``policy log``; :func:`read_entries`
serves ``policy replay`` too (``engine.service.replay``).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import errno
import itertools
import json
import logging
import os
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import attrs

from engine.hookspecs import hookimpl
from engine.model import Decision, Request
from engine.service.log_lines import (MAX_EXTRA, MAX_TEXT, LogEntry, bounded, decision_bytes,
                                      decision_data, decision_json, encode)
from engine.service.log_lines import _encode_converted, entry_line
from engine.service.log_writer import LogWriter

__all__ = ["LogEntry", "Scope", "scope", "current_scope", "scope_plugins", "decision_json",
           "decision_bytes", "decision_data", "encode", "bounded", "DecisionLog", "LogWriter",
           "recording", "LogFilter", "entry_time", "BadLine", "read_entries", "new_id",
           "MAX_TEXT", "MAX_EXTRA"]

logger = logging.getLogger("policy.decision_log")

Sink = Callable[[Sequence[bytes]], None]



class _Ids:
    """Unique ids of 32 hex digits: 16 random ones per process, then a counter.

    As unique as random UUIDs across processes and restarts, without reading the
    system's randomness for every decision. A forked child starts afresh.
    """

    def __init__(self) -> None:
        self._fresh()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._fresh)

    def _fresh(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count()

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


new_id = _Ids()


@attrs.define
class Scope:
    """A unit of work whose decisions share a request id and are logged together."""

    source: str
    request_id: str = attrs.field(factory=new_id)
    batch: bool = False
    pack_digests: Mapping[str, str] = attrs.field(factory=dict)
    #: The version each digest is of (the pack's current edition): a decision by another
    #: edition of the pack is logged without a digest rather than with the wrong one.
    pack_versions: Mapping[str, str] = attrs.field(factory=dict)
    authzen: Mapping[str, Any] | None = None
    authzen_cut: Mapping[str, Any] | None = None   # what bounded() cut from ``authzen``
    count: int = 0
    pending: list[tuple[Sink, bytes]] = attrs.field(factory=list)
    #: Each decision logged in the unit with its JSON (:func:`decision_bytes`), in order,
    #: for the answer (see :meth:`answers`).
    encoded: list[tuple[Decision, bytes]] = attrs.field(factory=list)
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

    def answers(self, decisions: Sequence[Decision]) -> list[bytes]:
        """The JSON of each of ``decisions`` (:func:`decision_bytes`), reusing what the
        log encoded when it logged exactly these decisions in this order."""
        encoded = self.encoded
        if len(encoded) == len(decisions) and all(
                d is e for d, (e, _) in zip(decisions, encoded)):
            return [text for _, text in encoded]
        return list(map(decision_bytes, decisions))


_UTC = dt.timezone.utc

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


def _decided_by(current: Scope | None, decision: Decision) -> str | None:
    """The digest of the source that decided, when the scope knows it."""
    if current is None:
        return None
    version = current.pack_versions.get(decision.pack)
    if version is not None and version != decision.pack_version:
        return None
    return current.pack_digests.get(decision.pack)


def scope_plugins() -> tuple[Any, ...]:
    """The plugins an engine loaded in the current unit of work should register."""
    current = _SCOPE.get()
    return current.plugins if current is not None else ()



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
            if current is None:
                request_id, source = new_id(), self.source
                index = digest = authzen = cut = None
            else:
                index = current.count if current.batch else None
                current.count += 1
                request_id, source = current.request_id, current.source
                digest = _decided_by(current, decision)
                authzen, cut = current.authzen, current.authzen_cut
            time = dt.datetime.now(_UTC)
            decision_id = new_id()
            encoded = decision_bytes(decision)
            line = entry_line(time, request_id, decision_id, source, request, index, digest,
                         authzen, cut, encoded, decision.pack, decision.pack_version,
                         decision.in_force_from)
            if line is None:
                line = _encode_converted(LogEntry(
                    time=time, request_id=request_id, decision_id=decision_id,
                    source=source, pack=decision.pack, pack_version=decision.pack_version,
                    request=request, index=index, pack_digest=digest, authzen=authzen,
                    cut=cut, in_force_from=decision.in_force_from), decision)
        except Exception:   # the hook must not raise; say loudly that an entry is missing
            logger.exception("could not record a decision of pack %r in the decision log",
                             getattr(decision, "pack", None))
            return
        if current is not None:
            current.pending.append((self.sink, line))
            current.encoded.append((decision, encoded))
        else:
            self.sink([line])

    def reopen(self) -> None:
        """Reopen the log file, when the sink is a :class:`LogWriter`'s ``submit``.

        See :meth:`LogWriter.reopen`; a sink of another kind has nothing to reopen.
        """
        writer = getattr(self.sink, "__self__", None)
        if isinstance(writer, LogWriter):
            writer.reopen()


@contextlib.contextmanager
def recording(path: str | os.PathLike[str], source: str) -> Iterator[Scope]:
    """Record the decisions of engines loaded inside the block, as one unit of work.

    An engine loaded in the block registers the log plugin when it is loaded with
    ``plugins=scope_plugins()``. Entries are written (and fsynced) when the block ends
    without an exception; a block that raises writes none. For commands that make a few
    decisions and exit; raises ``OSError`` when the file cannot be opened (``strerror``
    says why), and when the block's entries could not be written.
    """
    writer = LogWriter(path, flush_interval=0).open()
    try:
        with scope(source) as unit:
            unit.plugins = (DecisionLog(writer.submit, source),)
            yield unit
            unit.commit()
    finally:
        writer.close()
    if writer.lost:
        raise OSError(errno.EIO, f"{writer.lost} decision(s) could not be written to it "
                      "(see the messages above)", os.fspath(path))


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
    """A line of a log file that is not a whole entry.

    ``kind`` names why, in one word: ``torn`` (a partial last line), ``not-json``, or
    ``foreign`` (JSON, but not a decision log entry).
    """

    number: int
    problem: str
    kind: str = "foreign"


def read_entries(lines: Iterable[bytes]) -> Iterator[tuple[int, Mapping[str, Any] | BadLine]]:
    """Parse a log's lines: ``(line number, entry)``, or a :class:`BadLine`."""
    for number, raw in enumerate(lines, start=1):
        if not raw.endswith(b"\n"):
            yield number, BadLine(number, "a partial last line (the writer was interrupted)",
                                  "torn")
            continue
        try:
            entry = json.loads(raw)
        except ValueError as e:
            yield number, BadLine(number, f"not JSON ({e})", "not-json")
            continue
        if not isinstance(entry, dict) or "decision" not in entry:
            yield number, BadLine(number, "not a decision log entry")
            continue
        yield number, entry

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
- :class:`~engine.service.log_writer.LogWriter` appends lines to the file (whole lines
  under ``flock``, batches, rotation, back-off on failure); see its module.

An entry is bounded by what was decided, not by how the request was shaped: a string
longer than :data:`MAX_TEXT` characters is logged cut short (ending in "…"), and an
AuthZEN call's open-ended parts (``subject.properties``, ``context``) are logged only
when their JSON fits in :data:`MAX_EXTRA` bytes, else as ``null``; either way the entry's
``cut`` field names the path with the full size and SHA-256. Sets are logged sorted.

:func:`read_entries` and :class:`LogFilter` serve ``policy log``; :func:`read_entries`
serves ``policy replay`` too (``engine.service.replay``).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import errno
import hashlib
import itertools
import json
import logging
import math
import os
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import attrs
import orjson

from engine.hookspecs import hookimpl
from engine.model import Decision, Request
from engine.service.log_writer import LogWriter

__all__ = ["LogEntry", "Scope", "scope", "current_scope", "scope_plugins", "decision_json",
           "decision_bytes", "decision_data", "encode", "bounded", "DecisionLog", "LogWriter",
           "recording", "LogFilter", "entry_time", "BadLine", "read_entries", "new_id",
           "MAX_TEXT", "MAX_EXTRA"]

logger = logging.getLogger("policy.decision_log")

Sink = Callable[[Sequence[bytes]], None]


@attrs.frozen
class LogEntry:
    """One line of the decision log but for its last field, ``decision``.

    :func:`encode` adds the decision JSON (:func:`decision_data`, the service's answer).
    The log plugin encodes its entries straight from these parts, without building one.
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
    cut: Mapping[str, Any] | None = None       # path: {"size", "sha256"} of what was cut short
    in_force_from: dt.date | None = None       # first day of the edition that decided (None: undated)


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


#: The JSON-ready data of each step and reason (compiled once with their pack, shared by
#: every decision that names them), keyed by identity. Each value holds its object, so
#: no id is reused while it is cached; the cache is emptied when it grows past
#: :data:`_MAX_PIECES` (after reloads that compiled new packs).
_PIECES: dict[int, tuple[Any, Any]] = {}
_MAX_PIECES = 65536


def _piece(value: Any) -> Any:
    hit = _PIECES.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    from engine.serialization import to_json
    data = to_json(value)
    if len(_PIECES) >= _MAX_PIECES:
        _PIECES.clear()
    _PIECES[id(value)] = (value, data)
    return data


#: The fields of a Decision, in the order of its JSON: the shape decision_data builds.
_DECISION_FIELDS = ("pack", "action", "outcome", "steps", "reasons", "by_default",
                    "pack_version", "at", "in_force_from")
_DECISION_SHAPE = (tuple(f.name for f in attrs.fields(Decision)) == _DECISION_FIELDS and
                   not any(f.metadata.get("json") is False for f in attrs.fields(Decision)))


def decision_data(decision: Decision) -> dict[str, Any]:
    """The decision JSON as data (``to_json(decision)``), built from cached pieces.

    Its steps' and reasons' data are shared with other decisions' (read-only). Dates
    stay ``datetime.date`` values, which the JSON encoder writes as ``YYYY-MM-DD``.
    """
    if not _DECISION_SHAPE or type(decision) is not Decision:   # a changed model: the converter
        from engine.serialization import to_json
        data: dict[str, Any] = to_json(decision)
        return data
    return {"pack": decision.pack, "action": decision.action, "outcome": decision.outcome,
            "steps": [_piece(s) for s in decision.steps],
            "reasons": [_piece(r) for r in decision.reasons],
            "by_default": decision.by_default, "pack_version": decision.pack_version,
            "at": decision.at, "in_force_from": decision.in_force_from}


#: Each distinct decision's JSON, keyed by its plain fields and the identities of its
#: steps and reasons; each value holds a decision with that key, so those identities
#: stay its objects' while cached. Emptied when it grows past :data:`_MAX_DECISIONS`.
_ENCODED: dict[tuple[Any, ...], tuple[Decision, bytes]] = {}
_MAX_DECISIONS = 8192
#: The same JSON by the decision object itself (the engine hands out a remembered
#: decision again for the same findings): one lookup and an identity check. Each value
#: holds its decision, so an id is not reused while cached.
_BY_IDENTITY: dict[int, tuple[Decision, bytes]] = {}


def decision_bytes(decision: Decision) -> bytes:
    """The decision JSON as UTF-8 bytes, compact (the service's answer and the log's).

    Encoded once for each distinct decision: a repeated one is found by a key of
    strings, dates and the identities of its steps and reasons, never by hashing the
    decision itself.
    """
    same = _BY_IDENTITY.get(id(decision))
    if same is not None and same[0] is decision:      # the engine's memo gave it again
        return same[1]
    if not _DECISION_SHAPE or type(decision) is not Decision:
        return _encoded(decision_data(decision))
    key = (decision.pack, decision.action, decision.outcome, decision.pack_version,
           decision.at, decision.in_force_from, decision.by_default,
           *map(id, decision.steps), None, *map(id, decision.reasons))
    hit = _ENCODED.get(key)
    if hit is not None:
        text = hit[1]
    else:
        text = _encoded(decision_data(decision))
        if len(_ENCODED) >= _MAX_DECISIONS:
            _ENCODED.clear()
        _ENCODED[key] = (decision, text)
    if len(_BY_IDENTITY) >= _MAX_DECISIONS:
        _BY_IDENTITY.clear()
    _BY_IDENTITY[id(decision)] = (decision, text)
    return text


def _encoded(data: Any) -> bytes:
    try:
        return orjson.dumps(data)
    except TypeError:      # a lone surrogate: the standard encoder escapes it
        from engine.serialization import dumps
        return dumps(data)


def decision_json(decision: Decision) -> str:
    """The decision JSON as text, compact."""
    return decision_bytes(decision).decode("utf-8")


_UTC = dt.timezone.utc

MAX_TEXT = 1024      # characters of one string in an entry; longer ones are cut short
MAX_EXTRA = 4096     # bytes of JSON of an AuthZEN call's subject.properties, or its context


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                      default=repr)


def bounded(value: Any, path: str, cut: dict[str, Any], limit: int | None = None) -> Any:
    """JSON-ready ``value`` with every string over :data:`MAX_TEXT` characters cut short.

    Each cut is recorded in ``cut`` under its path (``request.facts.platform``) as
    ``{"size": characters, "sha256": of the whole string}``. With ``limit`` (bytes), a
    value whose JSON is still longer is replaced by ``None`` and recorded with its size
    in bytes and the SHA-256 of its JSON (compact, keys sorted).
    """
    if limit is not None:
        inner: dict[str, Any] = {}
        short = bounded(value, path, inner)
        text = _compact(short)
        if len(text) > limit // 4 and len(text.encode("utf-8", "surrogatepass")) > limit:
            whole = _compact(value)
            cut[path] = {"size": len(whole.encode("utf-8", "surrogatepass")),
                         "sha256": _digest(whole)}
            return None
        cut.update(inner)
        return short
    if isinstance(value, str):
        if len(value) <= MAX_TEXT:
            return value
        cut[path] = {"size": len(value), "sha256": _digest(value)}
        return value[:MAX_TEXT - 1] + "…"
    if isinstance(value, dict):
        return {k: bounded(v, f"{path}.{k}", cut) for k, v in value.items()}
    if isinstance(value, list):
        return [bounded(v, f"{path}[{i}]", cut) for i, v in enumerate(value)]
    return value


def _sorted_sets(request: dict[str, Any]) -> dict[str, Any]:
    """The request with its set-valued facts sorted, however the caller listed them.

    A logged request was decided, so it passed validation: in any vocabulary a fact given
    as a list is a set fact, whose order carries no meaning."""
    facts = request.get("facts")
    if not isinstance(facts, dict) or not any(isinstance(v, list) for v in facts.values()):
        return request
    return {**request, "facts": {k: sorted(v, key=str) if isinstance(v, list) else v
                                 for k, v in facts.items()}}


def encode(entry: LogEntry, decision: Decision) -> bytes:
    """The entry and its decision as one line of JSON (UTF-8, ending in a newline).

    The request is :func:`bounded`; the AuthZEN details are expected bounded already
    (with what was cut in ``entry.cut``).
    """
    line = _line(entry.time, entry.request_id, entry.decision_id, entry.source, entry.request,
                 entry.index, entry.pack_digest, entry.authzen, entry.cut,
                 decision_bytes(decision), entry.pack, entry.pack_version, entry.in_force_from)
    return line if line is not None else _encode_converted(entry, decision)


def _encode_converted(entry: LogEntry, decision: Decision) -> bytes:
    """:func:`encode` through the converter: for requests :func:`_line` does not take."""
    from engine.serialization import to_json
    data = to_json(entry)
    cut = dict(entry.cut or {})
    data["request"] = bounded(_sorted_sets(data["request"]), "request", cut)
    data["cut"] = cut or None
    tail = ',"decision":' + decision_json(decision) + "}\n"
    try:
        head = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=repr)
        return (head[:-1] + tail).encode("utf-8")
    except UnicodeEncodeError:   # a lone surrogate in a free-text fact: escape it
        head = json.dumps(data, separators=(",", ":"), default=repr)
        return (head[:-1] + tail).encode("utf-8")


def _plain_facts(facts: Any) -> dict[str, Any] | None:
    """The facts as logged (lists sorted) when they are plain JSON that needs no cut:
    strings of at most :data:`MAX_TEXT` characters, booleans, integers, finite floats,
    ``None`` and lists of such strings; else ``None`` (the converter's way)."""
    if type(facts) is not dict:
        return None
    lists = False
    for value in facts.values():
        kind = type(value)
        if kind is str:
            if len(value) > MAX_TEXT:
                return None
        elif kind is bool or kind is int or value is None:
            continue
        elif kind is list:
            for item in value:
                if type(item) is not str or len(item) > MAX_TEXT:
                    return None
            lists = True
        elif kind is float:
            if not math.isfinite(value):
                return None
        else:
            return None
    if lists:
        return {k: sorted(v) if type(v) is list else v for k, v in facts.items()}
    return facts


def _plain(value: Any) -> bool:
    """Whether ``value`` is JSON the way orjson writes it as the standard encoder does:
    dicts with string keys, lists, strings, booleans, integers, finite floats, None."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            for key in item:
                if type(key) is not str:
                    return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is float:
            if not math.isfinite(item):
                return False
        elif not (kind is str or kind is bool or kind is int or item is None):
            return False
    return True


def _line(time: dt.datetime, request_id: str, decision_id: str, source: str,
          request: Request, index: int | None, pack_digest: str | None,
          authzen: Mapping[str, Any] | None, cut: Mapping[str, Any] | None,
          encoded: bytes, pack: str, pack_version: str,
          in_force_from: dt.date | None) -> bytes | None:
    """One entry encoded straight from its parts (``encoded``: the decision's JSON), or
    ``None`` when the request holds what only the converter's way logs the same (see
    :func:`_plain_facts`); the line parses to what that way gives, field for field and
    in the same order."""
    facts = _plain_facts(request.facts)
    at = request.at
    if (facts is None or type(time) is not dt.datetime or time.tzinfo is not _UTC
            or not (at is None or type(at) is dt.date)
            or not (in_force_from is None or type(in_force_from) is dt.date)
            or type(request.pack) is not str or type(request.action) is not str
            or len(request.pack) > MAX_TEXT or len(request.action) > MAX_TEXT
            or (authzen is not None and not _plain(authzen))
            or (cut is not None and not _plain(cut))):
        return None
    try:
        head = orjson.dumps({
            "time": time, "request_id": request_id, "decision_id": decision_id,
            "source": source, "pack": pack, "pack_version": pack_version,
            "request": {"pack": request.pack, "action": request.action, "facts": facts,
                        "at": at},
            "index": index, "pack_digest": pack_digest, "authzen": authzen,
            "cut": dict(cut) if cut else None, "in_force_from": in_force_from})
        return b"".join((memoryview(head)[:-1], b',"decision":', encoded, b"}\n"))
    except TypeError:    # a lone surrogate, an integer beyond 64 bits: the converter's way
        return None


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
            line = _line(time, request_id, decision_id, source, request, index, digest,
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

"""The decision log's lines, and the decision JSON the service answers with.

One entry is one line of JSON: :class:`LogEntry`'s fields in order, then ``decision``,
the decision as the service answers it (:func:`decision_bytes`). :func:`encode` is the
reference way from an entry; the log plugin (``engine.service.decision_log``) writes the
same line straight from its parts with :func:`entry_line`, caching what repeats (each
decision's JSON, the JSON of steps and reasons). A request the fast way cannot write as
the converter would (long text to cut short, sets, lone surrogates, integers beyond 64
bits, values that are not JSON) goes the converter's way.

An entry is bounded by what was decided, not by how the request was shaped: a string
longer than :data:`MAX_TEXT` characters is logged cut short (ending in "…"), and an
AuthZEN call's open-ended parts (``subject.properties``, ``context``) are logged only
when their JSON fits in :data:`MAX_EXTRA` bytes, else as ``null``; either way the entry's
``cut`` field names the path with the full size and SHA-256. Sets are logged sorted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from typing import Any, Mapping

import attrs
import orjson

from engine.model import Decision, Request

__all__ = ["LogEntry", "decision_data", "decision_bytes", "decision_json", "decision_text",
           "encode", "entry_line", "bounded", "MAX_TEXT", "MAX_EXTRA"]


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


def decision_text(decision: Decision) -> str:
    """:func:`decision_json` without the cache of whole decisions' JSON: for a caller that
    writes each decision once (a stream), where the cache would only hold memory."""
    return _encoded(decision_data(decision)).decode("utf-8")


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
    line = entry_line(entry.time, entry.request_id, entry.decision_id, entry.source, entry.request,
                 entry.index, entry.pack_digest, entry.authzen, entry.cut,
                 decision_bytes(decision), entry.pack, entry.pack_version, entry.in_force_from)
    return line if line is not None else _encode_converted(entry, decision)


def _encode_converted(entry: LogEntry, decision: Decision) -> bytes:
    """:func:`encode` through the converter: for requests :func:`entry_line` does not take."""
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


def entry_line(time: dt.datetime, request_id: str, decision_id: str, source: str,
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

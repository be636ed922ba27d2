"""The OpenID AuthZEN Authorization API 1.0 on top of the engine.

A policy enforcement point that speaks AuthZEN sends ``subject``, ``action``,
``resource`` and ``context``; this module maps them onto a request (pack, action,
facts, at), decides it, and answers ``{"decision": bool, "context": …}``:

=============================================  =======================================
AuthZEN                                        engine
=============================================  =======================================
``subject.properties.pack``, or ``subject.id``  the pack (the municipality whose
when ``subject.type`` is ``"municipality"``     guideline applies)
``action.name``                                 the action (``like_page``, …)
``resource.properties``                         the facts
``context.at``                                  the date decided at (default today)
=============================================  =======================================

``decision`` is true only for ``allow``; ``deny`` and ``required_steps`` answer false,
and the response's ``context`` is the engine's decision JSON (outcome, steps, reasons
with their sources), so a ``required_steps`` answer carries its steps. Everything else
(the subject's id and type, the resource's id and type, other context keys) does not
change the decision and is recorded in the decision log. Unknown fields are ignored,
as the specification asks (§10.1.1).

``/access/v1/evaluations`` takes defaults at the top level and an ``evaluations`` list
whose items replace them key by key (§7.1.1); ``options.evaluations_semantic`` is
``execute_all`` (default), ``deny_on_first_deny`` or ``permit_on_first_permit``. An
item that cannot be decided answers ``decision: false`` with ``context.error``
(``status``, ``code``, ``message``, ``path``). Without an ``evaluations`` list (or with
an empty one) the request is one evaluation and gets the single answer (§7.1).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping

import attrs

from engine.errors import RequestError, UnknownPackError, did_you_mean, one_of
from engine.vocabulary import parse_at
from engine.model import Decision
from engine.serialization import structure

if TYPE_CHECKING:
    from engine.core import Engine

PACK_SUBJECT_TYPE = "municipality"


@attrs.frozen
class Subject:
    type: str
    id: str
    properties: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Action:
    name: str
    properties: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Resource:
    type: str
    id: str
    properties: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Evaluation:
    """One evaluation request; in a list, any part may come from the defaults."""

    subject: Subject | None = None
    action: Action | None = None
    resource: Resource | None = None
    context: dict[str, Any] | None = None


SEMANTICS = ("execute_all", "deny_on_first_deny", "permit_on_first_permit")


@attrs.frozen
class Options:
    evaluations_semantic: str = "execute_all"


@attrs.frozen
class Evaluations:
    """The top level of ``/access/v1/evaluations``: defaults, items, options."""

    subject: dict[str, Any] | None = None
    action: dict[str, Any] | None = None
    resource: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    evaluations: list[Any] | None = None
    options: dict[str, Any] | None = None


@attrs.frozen
class ItemError:
    status: int
    code: str
    message: str
    path: str | None


@attrs.frozen
class ErrorContext:
    error: ItemError


@attrs.frozen
class Answer:
    """One AuthZEN decision: true only for ``allow``; the engine's decision as context."""

    decision: bool
    context: Decision | ErrorContext


@attrs.frozen
class Answers:
    evaluations: list[Answer]


_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(a.name for a in attrs.fields(cls))
    for cls in (Subject, Action, Resource, Evaluation, Options, Evaluations)}

_HINTS = {
    Subject: "a subject has \"type\" and \"id\" (strings) and optionally \"properties\" "
             "(an object)",
    Action: "an action has \"name\" (a string) and optionally \"properties\" (an object)",
    Resource: "a resource has \"type\" and \"id\" (strings) and optionally \"properties\" "
              "(an object)",
    Options: "options.evaluations_semantic is 'execute_all', 'deny_on_first_deny' or "
             "'permit_on_first_permit'",
    Evaluations: "an evaluations request has \"subject\", \"action\", \"resource\", "
                 "\"context\" (objects), \"evaluations\" (a list) and \"options\"",
}


def _read(data: Any, cls: type, path: str) -> Any:
    """Structure ``data`` as ``cls``, ignoring unknown fields (§10.1.1)."""
    if not isinstance(data, dict):
        raise RequestError(f"{path or '$'}: expected an object; {_HINTS[cls]}", path=path or "$",
                           code="bad-request")
    known = {k: v for k, v in data.items() if k in _FIELDS[cls]}
    return structure(known, cls, what=_HINTS[cls], at=path)


def _join(prefix: str, path: str | None) -> str:
    if not path or path == "$":
        return prefix or "$"
    return f"{prefix}.{path}" if prefix else path


@attrs.frozen
class Parts:
    """A complete evaluation, with where each part was given (for error paths)."""

    subject: Subject
    action: Action
    resource: Resource
    context: Mapping[str, Any]
    where: Mapping[str, str]


def evaluation_request(data: Any) -> Parts:
    """Read the body of ``/access/v1/evaluation``."""
    if not isinstance(data, dict):
        raise RequestError("an evaluation request is a JSON object with \"subject\", "
                           "\"action\" and \"resource\"", path="$", code="bad-request")
    return _complete(data, {}, "")


def _complete(item: Mapping[str, Any], defaults: Mapping[str, Any], prefix: str) -> Parts:
    parts: dict[str, Any] = {}
    where: dict[str, str] = {}
    for key, cls in (("subject", Subject), ("action", Action), ("resource", Resource)):
        if key in item:                        # null included: it is not an object
            path = _join(prefix, key)
            value = item[key]
        elif defaults.get(key) is not None:
            path, value = key, defaults[key]
        else:
            raise RequestError(f"{_join(prefix, key)}: required field missing (an evaluation "
                               f"needs a subject, an action and a resource)",
                               path=_join(prefix, key), code="bad-request")
        parts[key] = _read(value, cls, path)
        where[key] = path
    context = item.get("context") if item.get("context") is not None else defaults.get("context")
    where["context"] = _join(prefix, "context") if item.get("context") is not None else "context"
    _check_context(context, where["context"])
    return Parts(parts["subject"], parts["action"], parts["resource"], context or {}, where)




def _check_context(context: Any, path: str) -> None:
    """A context is an object; its ``at``, when given, a date as YYYY-MM-DD."""
    if context is None:
        return
    if not isinstance(context, dict):
        raise RequestError(f"{path}: the context must be an object", path=path,
                           code="bad-request")
    at = context.get("at")
    if at is None:
        return
    if parse_at(at) is not None:
        return
    raise RequestError(f"{path}.at: the date decided at is a date as \"YYYY-MM-DD\" or a "
                       f"time as \"YYYY-MM-DDTHH:MM\", got {json.dumps(at)[:40]}",
                       path=f"{path}.at", code="bad-date")


def _pack_of(parts: Parts) -> str:
    subject, where = parts.subject, parts.where["subject"]
    named = subject.properties.get("pack")
    by_type = subject.id if subject.type == PACK_SUBJECT_TYPE else None
    if "pack" in subject.properties and not isinstance(named, str):
        raise RequestError(f"{where}.properties.pack must be a pack id (a string)",
                           path=f"{where}.properties.pack", code="bad-request")
    if named is not None and by_type is not None and named != by_type:
        raise RequestError(f"the subject names two packs: '{by_type}' (its id) and '{named}' "
                           "(properties.pack)", path=f"{where}.properties.pack",
                           code="bad-request")
    pack = named if named is not None else by_type
    if pack is None:
        raise RequestError(
            f"{where}: name the pack (the municipality whose guideline applies) in "
            f"subject.properties.pack, or send a subject of type '{PACK_SUBJECT_TYPE}' whose id "
            "is the pack", path=f"{where}.properties.pack", code="missing-pack")
    return pack


def _engine_path(parts: Parts, path: str | None) -> str:
    """An engine error path (``facts.x``, ``at``, …) as a path into the AuthZEN request."""
    path = path or ""
    head, _, rest = path.partition(".")
    if head == "facts":
        return _join(f"{parts.where['resource']}.properties", rest)
    if head == "at":
        return f"{parts.where['context']}.at"
    if head == "action":
        return f"{parts.where['action']}.name"
    if head == "pack":
        subject = parts.subject
        return (f"{parts.where['subject']}.id" if "pack" not in subject.properties
                else f"{parts.where['subject']}.properties.pack")
    return parts.where["resource"]


def decide(engine: "Engine", parts: Parts) -> Answer:
    """Decide one complete evaluation; bad input raises with AuthZEN paths."""
    pack = _pack_of(parts)
    try:
        decision = engine.decide(pack, parts.action.name, parts.resource.properties,
                                 parts.context.get("at"))
    except RequestError as e:
        path = _engine_path(parts, e.path)
        raise type(e)(e.message, code=e.code, path=path) from None
    return Answer(decision.outcome == "allow", decision)


class LogDetails:
    """What the decision log records of an AuthZEN call besides the request, bounded.

    ``details(parts)`` gives ``(details, cut)``: the subject's type, id and properties,
    the resource's type and id, and the context, made :func:`~engine.service.decision_log.bounded`
    (long strings cut short; ``subject.properties`` and ``context`` over
    ``MAX_EXTRA`` bytes of JSON logged as ``null``), with what was cut. Parts taken from
    the defaults of an evaluations list are bounded once and shared by its entries, so
    neither the log nor the work grows with how often a default is used.
    """

    def __init__(self) -> None:
        self._memo: dict[tuple[str, str], tuple[Any, dict[str, Any]]] = {}

    def _part(self, key: str, where: str, make: Any, limit: int | None = None) -> Any:
        from engine.service.decision_log import bounded
        memo = self._memo.get((key, where))
        if memo is None:
            cut: dict[str, Any] = {}
            memo = self._memo[(key, where)] = (bounded(make(), f"authzen.{key}", cut, limit),
                                               cut)
        return memo

    def __call__(self, parts: Parts) -> tuple[dict[str, Any], dict[str, Any]]:
        from engine.service.decision_log import MAX_EXTRA
        subject, resource, where = parts.subject, parts.resource, parts.where
        who = self._part("subject", where["subject"],
                         lambda: {"type": subject.type, "id": subject.id})
        props = self._part("subject.properties", where["subject"],
                           lambda: subject.properties, MAX_EXTRA)
        what = self._part("resource", where["resource"],
                          lambda: {"type": resource.type, "id": resource.id})
        context = self._part("context", where["context"], lambda: dict(parts.context),
                             MAX_EXTRA)
        details = {"subject": {**who[0], "properties": props[0]}, "resource": what[0],
                   "context": context[0]}
        return details, {**who[1], **props[1], **what[1], **context[1]}


def evaluations_request(data: Any, max_items: int) -> tuple[str, list[Parts] | None]:
    """Read the body of ``/access/v1/evaluations``: the semantic and the evaluations.

    Each evaluation is complete (defaults applied). ``None`` instead of a list means
    there was no list (or an empty one): the body is one evaluation (§7.1). Anything
    that cannot be read (a malformed part, a part given nowhere) refuses the request.
    """
    if not isinstance(data, dict):
        raise RequestError("an evaluations request is a JSON object with defaults "
                           "(\"subject\", \"action\", \"resource\", \"context\") and "
                           "\"evaluations\"", path="$", code="bad-request")
    top: Evaluations = _read(data, Evaluations, "")
    for key, cls in (("subject", Subject), ("action", Action), ("resource", Resource)):
        if key in data:                        # null included: it is not an object
            _read(data[key], cls, key)
    _check_context(top.context, "context")
    options: Options = _read(top.options or {}, Options, "options")
    if options.evaluations_semantic not in SEMANTICS:
        semantic = options.evaluations_semantic
        raise RequestError(f"options.evaluations_semantic: unknown semantic '{semantic}'"
                           f"{did_you_mean(semantic, SEMANTICS)}; it is {one_of(SEMANTICS)}",
                           path="options.evaluations_semantic", code="bad-request")
    items = data.get("evaluations")
    if items is not None and not isinstance(items, list):
        raise RequestError("evaluations: expected a list of evaluations", path="evaluations",
                           code="bad-request")
    if not items:
        return options.evaluations_semantic, None
    if len(items) > max_items:
        raise RequestError(f"evaluations: {len(items)} evaluations in one request; at most "
                           f"{max_items} are taken", path="evaluations", code="batch-too-long")
    defaults = attrs.asdict(top, recurse=False)
    return options.evaluations_semantic, [_item(item, defaults, i) for i, item in enumerate(items)]


def _item(item: Any, defaults: Mapping[str, Any], index: int) -> Parts:
    prefix = f"evaluations[{index}]"
    if not isinstance(item, dict):
        raise RequestError(f"{prefix}: an evaluation is a JSON object", path=prefix,
                           code="bad-request")
    return _complete(item, defaults, prefix)


def error_answer(error: RequestError) -> Answer:
    status = 404 if isinstance(error, UnknownPackError) else 400
    return Answer(False, ErrorContext(ItemError(status, error.code, error.message, error.path)))


def stops_after(semantic: str, answer: Answer) -> bool:
    """Whether ``semantic`` ends the list after ``answer`` (§7.1.2.1)."""
    if semantic == "deny_on_first_deny":
        return not answer.decision
    if semantic == "permit_on_first_permit":
        return answer.decision
    return False

"""JSON in and out: the project's one cattrs converter.

``make_converter()`` builds it (on cattrs' preconfigured JSON converter, rejecting
unknown keys on input). ``request_from_json`` turns a parsed JSON value into a
:class:`~engine.model.Request`, raising :class:`~engine.errors.RequestError` with the
path into the data; ``to_json`` turns any model value into JSON-ready data, and
``dumps`` JSON-ready data into compact UTF-8 JSON (orjson).
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import functools
import json
import typing
from typing import Any, TypeVar

import attrs
import cattrs
import orjson
from cattrs.gen import make_dict_unstructure_fn, override
from cattrs.preconf.json import make_converter as _json_converter

from dsl.text import iso
from engine.errors import RequestError, show
from engine.vocabulary import parse_at
from engine.model import Request

T = TypeVar("T")


def _structure_date(value: Any, _type: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    parsed = parse_at(value)
    return parsed if parsed is not None else _bad_date(value)


def _bad_date(value: Any) -> dt.date:
    raise ValueError(f"expected a date as \"YYYY-MM-DD\" or a time as \"YYYY-MM-DDTHH:MM\", "
                     f"got {show(value)}")


def _structure_str(value: Any, _type: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {show(value)}")
    return value




def _is_set(type_: Any) -> bool:
    origin = typing.get_origin(type_) or type_
    return isinstance(origin, type) and issubclass(origin, collections.abc.Set)


def _set_order(value: Any) -> tuple[int, Any]:
    """Numbers, then strings, then the rest by their JSON: a total order of JSON values."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, json.dumps(value, sort_keys=True, default=repr))


def make_converter() -> cattrs.Converter:
    """The converter used for every JSON boundary of the project.

    Sets become sorted lists, so that the same value always gives the same JSON,
    whatever the process's hash seed.
    """
    converter = _json_converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(dt.date, _structure_date)
    # a date as YYYY-MM-DD; a request's `at` with a time of day keeps it (YYYY-MM-DDTHH:MM)
    converter.register_unstructure_hook(dt.date, iso)
    converter.register_structure_hook(str, _structure_str)

    def unstructure_set(type_: Any) -> Any:
        args = typing.get_args(type_)
        element = args[0] if args else Any

        def unstructure(value: Any) -> list[Any]:
            items = [converter.unstructure(v, unstructure_as=element if args else v.__class__)
                     for v in value]
            return sorted(items, key=_set_order)
        return unstructure

    converter.register_unstructure_hook_factory(_is_set, unstructure_set)

    def unstructure_public(cls: Any) -> Any:
        omitted: dict[str, Any] = {f.name: override(omit=True) for f in attrs.fields(cls)
                                   if f.metadata.get("json") is False}
        return make_dict_unstructure_fn(cls, converter, **omitted)

    converter.register_unstructure_hook_factory(_has_private_fields, unstructure_public)
    return converter


def _has_private_fields(cls: Any) -> bool:
    """An attrs class with fields marked ``metadata={"json": False}`` (kept out of JSON)."""
    return attrs.has(cls) and any(f.metadata.get("json") is False for f in attrs.fields(cls))


@functools.cache
def converter() -> cattrs.Converter:
    """The shared converter (built on first use; never mutated after)."""
    return make_converter()


def _format(exc: BaseException, _type: Any) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unknown field(s) {', '.join(sorted(map(repr, exc.extra_fields)))}"
    return str(exc) if isinstance(exc, ValueError) else cattrs.v.format_exception(exc, _type)


def request_from_json(data: Any, path: str = "$") -> Request:
    """Structure one request object ``{"pack", "action", "facts", "at"}``.

    Error paths point into the request without the root marker: ``at``,
    ``facts.page_category``; ``$`` alone means the request itself.
    """
    if not isinstance(data, dict):
        raise RequestError(f"a request must be a JSON object with \"pack\", \"action\" and "
                           f"\"facts\", got {show(data)}", path=path, code="bad-request")
    if "facts" in data and not isinstance(data["facts"], dict):
        raise RequestError(f"\"facts\" must be a JSON object of fact names to values, got "
                           f"{show(data['facts'])}", path="facts", code="bad-facts")
    try:
        return converter().structure(data, Request)
    except Exception as e:  # cattrs raises ClassValidationError groups
        messages = cattrs.transform_error(e, path=path, format_exception=_format)
        first = messages[0] if messages else str(e)
        message, _, where = first.rpartition(" @ ")
        if not message:
            message, where = first, path
        where = where[2:] if where.startswith("$.") else where.lstrip("$") or "$"
        extra = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
        raise RequestError(f"{where}: {message}{extra}; a request has \"pack\" and \"action\" "
                           f"(strings), \"facts\" (an object) and optionally \"at\" (YYYY-MM-DD, or YYYY-MM-DDTHH:MM)",
                           path=where, code="bad-date" if where == "at" else "bad-request") from None


def to_json(value: Any) -> Any:
    """JSON-ready data (dicts, lists, strings, numbers) for any model value."""
    return converter().unstructure(value)


def structure(data: Any, cls: type[T], *, what: str, at: str = "") -> T:
    """Structure parsed JSON into ``cls``, raising :class:`RequestError` on bad input.

    ``what`` says what a valid value looks like, for the message ("a batch request has
    …"). The error's ``path`` points into the data without the root marker, as for
    requests, after ``at`` (where ``data`` sits in a larger document).
    """
    try:
        return converter().structure(data, cls)
    except Exception as e:  # cattrs raises ClassValidationError groups
        messages = cattrs.transform_error(e, path="$", format_exception=_format)
        first = messages[0] if messages else str(e)
        message, _, where = first.rpartition(" @ ")
        if not message:
            message, where = first, "$"
        where = where[2:] if where.startswith("$.") else where.lstrip("$") or "$"
        if at:
            where = at if where == "$" else at + where if where[0] == "[" else f"{at}.{where}"
        extra = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
        raise RequestError(f"{where}: {message}{extra}; {what}", path=where,
                           code="bad-request") from None


def _date_default(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def dumps(data: Any) -> bytes:
    """Compact JSON as UTF-8 (``{"a":1,"b":"å"}``: no spaces, keys in their order, text
    unescaped), for JSON-ready data; ``datetime.date`` values are written ISO.

    orjson writes it; what orjson refuses (a lone surrogate from a request's text, an
    integer beyond 64 bits) the standard encoder writes the same way, with lone
    surrogates escaped (``\\ud800``). Raises ``TypeError`` for a value that is not JSON.
    """
    try:
        return orjson.dumps(data)
    except TypeError:
        pass
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"),
                          default=_date_default).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data, separators=(",", ":"), default=_date_default).encode("ascii")

"""The one reading of JSON text, used by every surface that takes JSON.

:func:`parse_json` reads JSON strictly and the same way for the HTTP service (request
bodies), the command line (``policy decide --facts/--input``, ``policy explain
--facts``) and the Python API (``engine.parse_json``, this function):

- text is UTF-8 (bytes are decoded; a leading byte-order mark is dropped);
- an object may not give a key twice (code ``duplicate-key``);
- ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON (code ``malformed-json``);
- an integer has at most :data:`MAX_INT_DIGITS` digits and a float is finite (code
  ``number-too-large``);
- arrays and objects nest at most :data:`MAX_DEPTH` deep (code ``too-deep``);
- every string, key or value, is put in Unicode normal form C, so text copied from a
  PDF (decomposed, NFD) equals the same text typed (composed, NFC).

Every problem raises a :class:`~engine.errors.RequestError` (``MalformedInputError`` for
text that is not JSON at all) with ``path="$"``; the service answers them with 400, the
command line with ``error: …`` and exit status 2.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from engine.errors import MalformedInputError, RequestError

__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "parse_json", "nfc"]

MAX_DEPTH = 32        # nesting of arrays and objects; far above what any valid request needs
MAX_INT_DIGITS = 4300  # longer integer literals are refused (Python will not convert them)


class _BadNumber(Exception):
    pass


class _BadConstant(Exception):
    pass


def nfc(text: str) -> str:
    """``text`` in Unicode normal form C (composed), cheaply for ASCII."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _BadNumber(f"the number {text[:20]}… has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _BadNumber(f"the number {text[:30]} is out of range")
    return value


def _constant(text: str) -> Any:
    raise _BadConstant(text)


class _Twice(Exception):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = {nfc(key): value for key, value in pairs}
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if nfc(key) in seen:
                raise _Twice(key)
            seen.add(nfc(key))
    return obj


def parse_json(data: str | bytes, what: str = "the request body") -> Any:
    """Parse JSON text strictly (see the module's rules); ``what`` names the text in messages.

    Returns dicts, lists, strings (NFC), ints, floats, bools and None. Raises
    :class:`~engine.errors.MalformedInputError` (``malformed-json``, ``duplicate-key``) or
    :class:`~engine.errors.RequestError` (``number-too-large``, ``too-deep``).
    """
    if isinstance(data, (bytes, bytearray)):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as e:
            raise MalformedInputError(f"{what} is not valid UTF-8 (byte {e.start}); send "
                                      "JSON in UTF-8", path="$") from None
    else:
        text = data
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise MalformedInputError(f"{what} is empty; send a JSON object", path="$")
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant,
                           object_pairs_hook=_object)
    except json.JSONDecodeError as e:
        raise MalformedInputError(f"{what} is not valid JSON: {e.msg} at line "
                                  f"{e.lineno} column {e.colno}", path="$") from None
    except _BadConstant as e:
        raise MalformedInputError(f"{what} is not valid JSON: {e} is not a JSON value",
                                  path="$") from None
    except _Twice as e:
        raise MalformedInputError(f"{what} is not valid JSON here: the key "
                                  f"{json.dumps(str(e), ensure_ascii=False)} appears twice "
                                  "in one object; give each key once", path="$",
                                  code="duplicate-key") from None
    except _BadNumber as e:
        raise RequestError(f"{what}: {e}; no value of the vocabulary needs that", path="$",
                           code="number-too-large") from None
    except (RecursionError, MemoryError):
        raise _too_deep(what) from None
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise _too_deep(what)
    return value if text.isascii() and "\\u" not in text else _nfc_values(value)


def _too_deep(what: str) -> RequestError:
    return RequestError(f"{what} nests deeper than {MAX_DEPTH} levels", path="$",
                        code="too-deep")


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return deepest if isinstance(value, (dict, list)) else 0


def _nfc_values(value: Any) -> Any:
    """``value`` with every string value in NFC (keys already are); depth is bounded."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [_nfc_values(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc_values(v) for k, v in value.items()}
    return value

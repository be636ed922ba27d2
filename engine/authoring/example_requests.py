"""How an enumerated request is shown: as a test file's request line and as JSON.

``policy check`` and ``policy diff`` give their examples in these two forms, so an author
can paste one into a ``.tests`` file or send it to ``policy decide``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from dsl.text import iso
from engine import vocabulary as vocab


def request_text(action: vocab.Action, facts: Mapping[str, Any]) -> str:
    """A request as a test file writes it: ``like_page {page_category: own}``.

    Facts at their defaults are left out, except a required choice.
    """
    base = {f.name: f.default for f in action.facts}
    parts = []
    for f in action.facts:
        value = facts.get(f.name)
        if value == base[f.name] and not f.required:
            continue
        parts.append(f"{f.name}: {_literal(value, f.type)}")
    return f"{action.name} {{{', '.join(parts)}}}" if parts else action.name


def request_json(action: vocab.Action, facts: Mapping[str, Any]) -> dict[str, Any]:
    """The same request as JSON-ready facts."""
    base = {f.name: f.default for f in action.facts}
    out: dict[str, Any] = {}
    for f in action.facts:
        value = facts.get(f.name)
        if value == base[f.name] and not f.required:
            continue
        if isinstance(value, frozenset):
            value = [v for v in f.type.element_type.values if v in value]
        elif isinstance(value, dt.date):
            value = iso(value)
        out[f.name] = value
    return out


def _literal(value: Any, t: vocab.Type) -> str:
    if isinstance(value, frozenset):
        return "[" + ", ".join(v for v in t.element_type.values if v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return iso(value)
    if isinstance(value, str) and t.kind == "string":
        from dsl.formatter import quote
        return quote(value)
    return str(value)

"""``policy check`` across the editions of one pack: overlaps, gaps, undated editions.

Several sources with one pack id are that pack's editions (docs/language.md, "Editions
in force"). Sorted by the day they come into force, each dated edition should end (its
``until``) the day before the next begins:

- ``overlapping-editions`` (error): an edition begins while the one before is still in
  force (the one before has no ``until``, or it falls on or after the next ``from``);
- ``edition-gap`` (warning): days between one edition's ``until`` and the next ``from``,
  on which no edition is in force (requests then fail with ``not-in-force``);
- ``undated-edition`` (warning): an edition without a date among dated ones; it applies
  on every day no dated edition holds, which is seldom what its text means.

Each diagnostic stands at the ``in force`` clause it is about (or the pack header).
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from dsl import ast
from dsl.cache import parse_pack_cached
from engine.authoring.analysis import ERROR, WARNING, Diagnostic
from engine.errors import PolicyError

__all__ = ["edition_diagnostics"]


def edition_diagnostics(sources: Iterable[tuple[str, str]]) -> dict[str, list[Diagnostic]]:
    """Diagnostics of the editions among ``sources`` ((text, origin) pairs), by origin.

    Sources that do not parse are left out (their own check reports them).
    """
    by_id: dict[str, list[ast.Header]] = {}
    for text, origin in sources:
        try:
            header = parse_pack_cached(text, origin).header
        except PolicyError:
            continue
        by_id.setdefault(header.id, []).append(header)
    found: dict[str, list[Diagnostic]] = {}

    def add(header: ast.Header, severity: str, code: str, message: str) -> None:
        span = header.in_force.span if header.in_force else header.span
        origin = span.file if span else "<string>"
        found.setdefault(origin, []).append(Diagnostic(severity, code, message, span))

    for pack_id, headers in by_id.items():
        if len(headers) < 2:
            continue
        dated = sorted((h for h in headers if h.in_force and h.in_force.start),
                       key=lambda h: (_start(h), h.version or ""))
        if dated:
            for header in headers:
                if header not in dated:
                    add(header, WARNING, "undated-edition",
                        f"edition {header.version} of pack '{pack_id}' has no in-force date, "
                        f"but {len(dated)} other edition(s) have one; it applies on every day "
                        "no dated edition holds: give it 'in force from DATE [until DATE]'")
        for before, after in zip(dated, dated[1:]):
            until = before.in_force.until if before.in_force else None
            start = _start(after)
            if until is None or until >= start:
                ends = f"until {until.isoformat()}" if until else "with no 'until'"
                add(after, ERROR, "overlapping-editions",
                    f"edition {after.version} of pack '{pack_id}' comes into force on "
                    f"{start.isoformat()} while edition {before.version} is still in force "
                    f"({ends}); end the earlier one the day before: 'until "
                    f"{(start - dt.timedelta(days=1)).isoformat()}'")
            elif until + dt.timedelta(days=1) < start:
                add(after, WARNING, "edition-gap",
                    f"no edition of pack '{pack_id}' is in force from "
                    f"{(until + dt.timedelta(days=1)).isoformat()} to "
                    f"{(start - dt.timedelta(days=1)).isoformat()}: edition {before.version} "
                    f"ends {until.isoformat()} and edition {after.version} begins "
                    f"{start.isoformat()}; requests dated in between fail with 'not-in-force'")
    return found


def _start(header: ast.Header) -> dt.date:
    return header.in_force.start if header.in_force and header.in_force.start else dt.date.min




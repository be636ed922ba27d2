"""Warnings a pack's author has judged and acknowledged, with the reason, in the pack.

A ``policy check`` warning can be right to raise and still not call for a change: the
guideline really is silent on the values a rule leaves to the default, say. As linters
allow (Regal's ``# regal ignore:``, mypy's ``# type: ignore[code]``), the author writes a
comment directly above the item (or at the end of its first line)::

    # check: ignore falls-to-default: the guideline names only what may not be liked
    rule no-likes-for-companies
      …

Every warning of those codes inside that rule or topic is then acknowledged: it stays in
the report, marked with the reason, but no longer counts as a warning. A reason is
required; an unknown code, or a directive that acknowledges nothing, is itself a warning
(``bad-ignore``, ``unused-ignore``), so directives cannot go stale silently. Errors
cannot be acknowledged.

``acknowledge(diagnostics, pack, text, codes)`` hands back the diagnostics with those
marks, plus the directives' own findings.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

import attrs

from dsl import ast
from engine.errors import Span, did_you_mean, one_of, source_lines

__all__ = ["Directive", "acknowledge", "directives"]

_DIRECTIVE = re.compile(r"#\s*check:\s*ignore\b(?P<rest>.*)$")
_CODES = re.compile(r"\s*(?P<codes>[a-z][a-z-]*(?:\s*,\s*[a-z][a-z-]*)*)\s*(?::\s*(?P<why>.*))?$")


@attrs.frozen
class Directive:
    """``# check: ignore CODE[, CODE]: reason`` and the lines of the item it covers."""

    codes: tuple[str, ...]
    reason: str
    span: Span
    first: int          # the covered item's first and last line
    last: int


def directives(text: str, pack: ast.Pack,
               file: str) -> tuple[list[Directive], list[tuple[str, str, Span]]]:
    """The directives of a pack source, and problems with them as (code, message, span)."""
    heads: list[ast.Rule | ast.TopicSetting] = [*pack.rules, *pack.topics]
    items = {item.span.line: item.span for item in heads if item.span is not None}
    lines = source_lines(text)
    found: list[Directive] = []
    problems: list[tuple[str, str, Span]] = []
    for number, line in enumerate(lines, start=1):
        match = _DIRECTIVE.search(line)
        if match is None:
            continue
        span = Span(file, number, match.start() + 1, number, len(line) + 1)
        parts = _CODES.match(match.group("rest"))
        if parts is None or not (parts.group("why") or "").strip():
            problems.append(("bad-ignore", "write '# check: ignore CODE: the reason', e.g. "
                             "'# check: ignore falls-to-default: the guideline is silent on "
                             "the other pages'; a reason is required", span))
            continue
        codes = tuple(c.strip() for c in parts.group("codes").split(","))
        target = _target(lines, number, line[:match.start()].strip() != "")
        item = items.get(target) if target is not None else None
        if item is None:
            problems.append(("bad-ignore", "a '# check: ignore' directive belongs directly "
                             "above a rule or topic (or at the end of its first line)", span))
            continue
        found.append(Directive(codes, parts.group("why").strip(), span, item.line,
                               item.end_line or item.line))
    return found, problems


def _target(lines: Sequence[str], number: int, inline: bool) -> int | None:
    """The line the directive on line ``number`` covers: its own (at the end of an item's
    first line), else the next line that is neither blank nor a comment."""
    if inline:
        return number
    for later in range(number, len(lines)):
        stripped = lines[later].strip()
        if stripped and not stripped.startswith("#"):
            return later + 1
    return None


def acknowledge(found: Iterable[Directive], warnings: Sequence[tuple[str, Span | None]],
                known_codes: Iterable[str]) -> tuple[dict[int, str], list[tuple[str, str, Span]]]:
    """Which of ``warnings`` (code, span), by index, each directive acknowledges, with its
    reason; and the directives' own problems (unknown codes, nothing acknowledged)."""
    known = sorted(set(known_codes))
    marks: dict[int, str] = {}
    problems: list[tuple[str, str, Span]] = []
    for directive in found:
        for code in directive.codes:
            if code not in known:
                problems.append(("bad-ignore", f"'{code}' is not a warning code"
                                 f"{did_you_mean(code, known)}; codes are {one_of(known)}",
                                 directive.span))
                continue
            hits = [i for i, (c, span) in enumerate(warnings) if c == code and span is not None
                    and directive.first <= span.line <= directive.last]
            if not hits:
                problems.append(("unused-ignore", f"nothing here raises '{code}' any more; "
                                 "remove it from the directive", directive.span))
            for i in hits:
                marks[i] = directive.reason
    return marks, problems

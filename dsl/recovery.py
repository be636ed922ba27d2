"""Parse a pack source that has errors, item by item, to find all of them at once.

The LALR parser stops at the first syntax error. ``parse_pack_recovering`` finds it,
blanks out the item it stands in (the header, or one ``topic``/``rule`` that starts at
the beginning of a line), and parses again, until the rest parses. Blanking keeps every
line and column where it was, so each error keeps its position. The errors the tree
builder collects once the grammar is satisfied (a clause given twice, a bad date) need
no blanking: they are gathered while the AST is still built, with a stand-in value.

It returns the AST of the items that parsed (None when the header itself does not
parse), every error sorted by position, and the ids of the items left out, so that later
steps can leave alone the errors that only follow from an item being missing.
"""

from __future__ import annotations

import datetime as dt
import re

import attrs

from dsl import ast
from dsl.parser import _Builder, _entering, _parse  # the same parser, keeping the builder's errors
from engine.errors import PackSyntaxError, SourceError

__all__ = ["Recovered", "parse_pack_recovering"]

_ITEM = re.compile(r"^(topic|rule)\b[ \t]*([A-Za-z_][A-Za-z0-9_-]*)?", re.M)


@attrs.frozen
class Recovered:
    pack: ast.Pack | None
    errors: tuple[SourceError, ...]
    broken_topics: frozenset[str] = frozenset()
    broken_rules: frozenset[str] = frozenset()


@attrs.frozen
class _Segment:
    start: int
    end: int
    kind: str            # header | topic | rule
    name: str | None
    first_line: int
    end_line: int


def parse_pack_recovering(text: str, file: str = "<string>") -> Recovered:
    text = _entering(text, file)
    segments = _segments(text)
    blanked: set[int] = set()
    errors: list[SourceError] = []
    seen: set[str] = set()
    header_broken = False
    for _ in range(len(segments) + 1):
        source = _blank(text, segments, blanked, header_broken)
        try:
            tree = _parse(source, file, "pack_file")
        except PackSyntaxError as e:
            found = [e]
        else:
            builder = _Builder(file, text)
            pack = builder.build(tree, ast.Pack)
            errors.extend(e for e in builder.errors if e.render() not in seen)
            if any(e.code == "bad-date" and e.span and e.span.line < segments[0].end_line
                   for e in builder.errors) and pack.header.dated is None:
                # the header's date is wrong, not missing: say so once
                pack = attrs.evolve(pack, header=attrs.evolve(pack.header, dated=dt.date.min))
            return Recovered(None if header_broken else pack,
                             tuple(sorted(errors, key=SourceError.sort_key)),
                             _names(segments, blanked, "topic"), _names(segments, blanked, "rule"))
        progress = False
        for error in found:
            if error.render() not in seen:
                seen.add(error.render())
                errors.append(error)
            index = _segment_of(segments, blanked, error)
            if index == 0 and not header_broken:
                header_broken = progress = True
            elif index > 0 and index not in blanked:
                blanked.add(index)
                progress = True
        if not progress:
            break
    return Recovered(None, tuple(sorted(errors, key=SourceError.sort_key)),
                     _names(segments, blanked, "topic"), _names(segments, blanked, "rule"))


def _segments(text: str) -> list[_Segment]:
    starts = [(m.start(), m.group(1), m.group(2)) for m in _ITEM.finditer(text)]
    bounds = [s for s, _, _ in starts] + [len(text)]
    segments = [_Segment(0, bounds[0], "header", None, 1, text.count("\n", 0, bounds[0]) + 1)]
    for i, (start, kind, name) in enumerate(starts):
        end = bounds[i + 1]
        segments.append(_Segment(start, end, kind, name, text.count("\n", 0, start) + 1,
                                 text.count("\n", 0, end) + 1))
    return segments


def _segment_of(segments: list[_Segment], blanked: set[int], error: SourceError) -> int:
    """The item an error is in. An error on the keyword that starts an item (or at the
    end of the file) means the item before it is unfinished: that one is to blame."""
    position = (error.span.line, error.span.column) if error.span is not None else (1, 1)
    index = 0
    for i, segment in enumerate(segments):
        if i not in blanked and (segment.first_line, 1) < position:
            index = i
    segment = segments[index]
    if index > 0 and position[0] == segment.first_line and error.source_line is not None and (
            error.source_line[:position[1] - 1].split() in ([], [segment.kind])):
        # the item's own keyword was taken as a value of the unfinished item before it
        index = max((i for i in range(index) if i not in blanked), default=0)
    return index


def _blank(text: str, segments: list[_Segment], blanked: set[int], header_broken: bool) -> str:
    """``text`` with the chosen segments turned into blank lines (lines kept)."""
    parts = []
    for i, segment in enumerate(segments):
        body = text[segment.start:segment.end]
        if i == 0 and header_broken:
            parts.append("pack _" + "\n" * body.count("\n") if "\n" in body or body else body)
        elif i in blanked:
            parts.append("\n" * body.count("\n"))
        else:
            parts.append(body)
    return "".join(parts)


def _names(segments: list[_Segment], blanked: set[int], kind: str) -> frozenset[str]:
    chosen = (segments[i] for i in blanked)
    return frozenset(s.name for s in chosen if s.kind == kind and s.name)

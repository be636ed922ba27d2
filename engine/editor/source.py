"""A document's text as the editor holds it, and positions both ways.

The language reads every source in one normal form (``dsl.text``: no byte-order mark,
``\\n`` line endings, Unicode NFC), and its spans count lines and columns from 1 in
that form, in code points. An editor counts from 0, in the units the client and server
agreed on (UTF-16 unless the client offers UTF-8 or UTF-32), in the text as the editor
has it. :class:`SourceText` keeps both texts and converts: ``span`` → LSP range,
LSP position → offset into the normal form.

Lines are split where the protocol splits them (``\\n``, ``\\r\\n``, ``\\r``), which is
where the normal form splits them too: a form feed or U+2028 stays inside its line.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

from lsprotocol import types as lsp

from dsl.text import BOM, normalise_source
from engine.errors import Span

__all__ = ["SourceText"]

_BREAK = re.compile(r"\r\n|\r|\n")
_UTF8, _UTF32 = lsp.PositionEncodingKind.Utf8.value, lsp.PositionEncodingKind.Utf32.value


class SourceText:
    """A document's text, in the editor's form and in the language's normal form."""

    def __init__(self, raw: str,
                 encoding: lsp.PositionEncodingKind | str = lsp.PositionEncodingKind.Utf16
                 ) -> None:
        self.raw = raw
        self.text = normalise_source(raw)
        # "utf-8", "utf-16" or "utf-32" (anything else is taken as UTF-16)
        self.encoding: str = (encoding.value if isinstance(encoding, lsp.PositionEncodingKind)
                              else encoding)
        self._raw_lines = _BREAK.split(raw)
        self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        self._column_maps: dict[int, list[int]] = {}

    # ---- the normal form ------------------------------------------------------------

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line(self, index: int) -> str:
        """Line ``index`` (from 0) of the normal form, without its line break."""
        if not 0 <= index < len(self._starts):
            return ""
        start = self._starts[index]
        end = self._starts[index + 1] - 1 if index + 1 < len(self._starts) else len(self.text)
        return self.text[start:end]

    def offset_of(self, line: int, column: int) -> int:
        """The offset in the normal form of a line and column counted from 0."""
        line = min(max(line, 0), len(self._starts) - 1)
        return min(self._starts[line] + max(column, 0), self._line_end(line))

    def line_column(self, offset: int) -> tuple[int, int]:
        """(line, column) from 0 of an offset into the normal form."""
        offset = min(max(offset, 0), len(self.text))
        line = bisect.bisect_right(self._starts, offset) - 1
        return line, offset - self._starts[line]

    def _line_end(self, line: int) -> int:
        return self._starts[line + 1] - 1 if line + 1 < len(self._starts) else len(self.text)

    # ---- the editor's positions -----------------------------------------------------

    def position(self, line: int, column: int) -> lsp.Position:
        """The editor's position of a line and column (from 0) of the normal form."""
        raw = self._raw_line(line)
        raw_column = self._raw_column(line, column)
        return lsp.Position(line=max(line, 0), character=_units(raw[:raw_column], self.encoding))

    def position_at(self, offset: int) -> lsp.Position:
        return self.position(*self.line_column(offset))

    def range_of(self, start: int, end: int) -> lsp.Range:
        """The editor's range of offsets ``start``..``end`` into the normal form."""
        return lsp.Range(start=self.position_at(start), end=self.position_at(end))

    def span_range(self, span: Span | None) -> lsp.Range:
        """The editor's range of a span (one character where it has no end; the start
        of the file where there is no span)."""
        if span is None:
            return lsp.Range(start=lsp.Position(line=0, character=0),
                             end=lsp.Position(line=0, character=0))
        line, column = span.line - 1, span.column - 1
        start = self.offset_of(line, column)
        if span.end_line is not None and span.end_column is not None:
            end = self.offset_of(span.end_line - 1, span.end_column - 1)
        else:
            end = min(start + 1, self._line_end(min(max(line, 0), len(self._starts) - 1)))
        return self.range_of(start, max(start, end))

    def offset(self, position: lsp.Position) -> int:
        """The offset into the normal form of an editor's position."""
        line = min(max(position.line, 0), len(self._starts) - 1)
        raw = self._raw_line(line)
        raw_column = _code_points(raw, position.character, self.encoding)
        return self.offset_of(line, self._column(line, raw_column))

    @property
    def whole(self) -> lsp.Range:
        """The editor's range of the whole document."""
        last = len(self._raw_lines) - 1
        return lsp.Range(start=lsp.Position(line=0, character=0),
                         end=lsp.Position(line=last, character=_units(self._raw_lines[last],
                                                                      self.encoding)))

    # ---- between the editor's line and the normal form's ----------------------------

    def _raw_line(self, line: int) -> str:
        return self._raw_lines[line] if 0 <= line < len(self._raw_lines) else ""

    def _map(self, line: int) -> list[int]:
        """For a line whose normal form differs (a BOM, decomposed letters): the raw
        column of each normal-form column; an empty list when the two are alike."""
        if line not in self._column_maps:
            raw = self._raw_line(line)
            if line == 0 and raw.startswith(BOM):
                raw = raw[1:]
                shift = 1
            else:
                shift = 0
            mapping: list[int] = []
            if shift or unicodedata.normalize("NFC", raw) != raw:
                for k in range(len(raw) + 1):
                    while len(mapping) <= len(unicodedata.normalize("NFC", raw[:k])):
                        mapping.append(k + shift)
            self._column_maps[line] = mapping
        return self._column_maps[line]

    def _raw_column(self, line: int, column: int) -> int:
        mapping = self._map(line)
        if not mapping:
            return column
        return mapping[min(max(column, 0), len(mapping) - 1)]

    def _column(self, line: int, raw_column: int) -> int:
        mapping = self._map(line)
        if not mapping:
            return raw_column
        return max(0, bisect.bisect_right(mapping, raw_column) - 1)


def _units(text: str, encoding: str) -> int:
    """How many of the encoding's units ``text`` takes."""
    if encoding == _UTF32:
        return len(text)
    if encoding == _UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _code_points(line: str, units: int, encoding: str) -> int:
    """The code-point column of ``units`` of the encoding into ``line`` (clamped)."""
    if encoding == _UTF32 or line.isascii():
        return min(max(units, 0), len(line))
    count = 0
    for index, char in enumerate(line):
        if count >= units:
            return index
        count += _units(char, encoding)
    return len(line)

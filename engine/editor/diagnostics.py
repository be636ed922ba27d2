"""Findings as an editor shows them, and the quick fixes their suggestions offer.

:func:`to_lsp` turns a finding of ``policy check`` (``engine.authoring.analysis
.Diagnostic``) into an LSP diagnostic: its range in the editor's units, its severity,
its stable code, ``policy`` as its source. A warning the pack acknowledges is shown as a
hint with the pack's reason. Where the message suggests a word ("… (did you mean
'level'?)"), the diagnostic carries the word it would replace and where, and
:func:`quick_fixes` offers the replacement as a code action.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from lsprotocol import types as lsp

from engine.authoring.analysis import ERROR, WARNING, Diagnostic
from engine.editor.source import SourceText
from engine.editor.tokens import scan

__all__ = ["to_lsp", "quick_fixes", "SOURCE"]

SOURCE = "policy"
_SUGGESTION = re.compile(r"\(did you mean '([^']+)'\?\)")
_QUOTED = re.compile(r"'([^'\s]+)'")
_WORD_AT = re.compile(r'[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*|"(?:[^"\\\n]|\\[^\n])*"?|\S')


def to_lsp(found: Diagnostic, source: SourceText) -> lsp.Diagnostic:
    start, end = _offsets(found, source)
    message = found.message
    severity = {ERROR: lsp.DiagnosticSeverity.Error,
                WARNING: lsp.DiagnosticSeverity.Warning}.get(found.severity,
                                                            lsp.DiagnosticSeverity.Information)
    if found.acknowledged is not None:
        severity = lsp.DiagnosticSeverity.Hint
        message = f"acknowledged ({found.acknowledged}): {message}"
    return lsp.Diagnostic(range=source.range_of(start, end), message=message,
                          severity=severity, code=found.code, source=SOURCE,
                          data=_suggestion(found.message, source, start, end))


def _offsets(found: Diagnostic, source: SourceText) -> tuple[int, int]:
    """The finding's offsets in the normal form; a span without an end covers the word
    (or string, or character) it starts at."""
    span = found.span
    if span is None:
        return 0, 0
    start = source.offset_of(span.line - 1, span.column - 1)
    if span.end_line is not None and span.end_column is not None:
        return start, max(start, source.offset_of(span.end_line - 1, span.end_column - 1))
    match = _WORD_AT.match(source.text, start)
    return start, match.end() if match is not None and "\n" not in match.group() else start


def _suggestion(message: str, source: SourceText, start: int, end: int) -> dict[str, Any] | None:
    """For a did-you-mean: the word to replace (the first one the message quotes that
    stands in the finding's range), where it stands, and the suggestion."""
    suggested = _SUGGESTION.search(message)
    if suggested is None:
        return None
    quoted = [m.group(1) for m in _QUOTED.finditer(message, 0, suggested.start())]
    tokens = [t for t in scan(source.text[start:end]) if t.kind in ("word", "op", "other")]
    for word in quoted:
        for token in tokens:
            if token.text == word:
                where = source.range_of(start + token.start, start + token.end)
                return {"replace": word, "with": suggested.group(1),
                        "line": where.start.line, "start": where.start.character,
                        "end": where.end.character}
    return None


def quick_fixes(uri: str, source: SourceText,
                diagnostics: Iterable[lsp.Diagnostic]) -> list[lsp.CodeAction]:
    """A quick fix for each did-you-mean among ``diagnostics`` whose word is still there."""
    actions = []
    for diagnostic in diagnostics:
        data = diagnostic.data
        if diagnostic.source != SOURCE or not isinstance(data, dict):
            continue
        try:
            line, begin, stop = int(data["line"]), int(data["start"]), int(data["end"])
            old, new = str(data["replace"]), str(data["with"])
        except (KeyError, TypeError, ValueError):
            continue
        where = lsp.Range(start=lsp.Position(line=line, character=begin),
                          end=lsp.Position(line=line, character=stop))
        if source.text[source.offset(where.start):source.offset(where.end)] != old:
            continue                        # the text changed since
        actions.append(lsp.CodeAction(
            title=f"Replace '{old}' with '{new}'", kind=lsp.CodeActionKind.QuickFix,
            diagnostics=[diagnostic], is_preferred=True,
            edit=lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(range=where, new_text=new)]})))
    return actions

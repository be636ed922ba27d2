"""Go to definition, find references, and the outline of a document.

Names are matched by kind and text (``engine.editor.outline``): a topic's definition is
its ``topic`` line and its references are the rules that read it; a rule's definition is
its ``rule`` line, and a test file's ``rules [..]`` refer to it; a step's definition is
the ``require`` that names it, and ``steps [..]`` refer to it (a ``for each`` rule's
``approve-channel-manager`` to its ``require approve-channel``); a section's definition
is its place in the header's ``sections``, and every ``source`` refers to it; a ``for
each`` name is defined in its rule. A pack and the test file beside it are searched
together.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import attrs
from lsprotocol import types as lsp

from engine.editor.outline import Name, Outline
from engine.editor.source import SourceText

__all__ = ["File", "definition", "references", "symbols"]

#: The kinds of name that have a definition in a source.
DEFINED = ("topic", "rule", "step", "section", "var")


@attrs.frozen
class File:
    """A document, or the file beside it: where it is, its text and its outline."""

    uri: str
    source: SourceText
    outline: Outline

    def location(self, name: Name) -> lsp.Location:
        return lsp.Location(uri=self.uri, range=self.source.range_of(name.start, name.end))


def _target(files: Sequence[File], offset: int) -> Name | None:
    name = files[0].outline.name_at(offset)
    return name if name is not None and name.kind in DEFINED else None


def _definitions(files: Sequence[File], name: Name) -> list[tuple[File, Name]]:
    if name.kind == "var":
        here = files[0]
        return [(here, n) for n in here.outline.names if n.kind == "var" and n.definition
                and n.item == name.item and n.text == name.text]
    found = []
    for file in files:
        if name.kind == "step" and file.outline.kind == "pack":
            defined = file.outline.step_ids().get(name.text)
            found += [(file, defined)] if defined is not None else []
            found += [(file, n) for n in file.outline.find("step", name.text, definition=True)
                      if n is not defined]
        else:
            found += [(file, n) for n in file.outline.find(name.kind, name.text,
                                                           definition=True)]
    return found


def definition(files: Sequence[File], offset: int) -> list[lsp.Location]:
    """Where the name at ``offset`` in ``files[0]`` is defined (in any of ``files``)."""
    name = _target(files, offset)
    if name is None:
        return []
    return [file.location(n) for file, n in _definitions(files, name)]


def references(files: Sequence[File], offset: int, declaration: bool) -> list[lsp.Location]:
    """Every use of the name at ``offset`` (and its definitions with ``declaration``)."""
    name = _target(files, offset)
    if name is None:
        return []
    defined = _definitions(files, name)
    texts = {name.text} | {n.text for _, n in defined}
    if name.kind == "step":            # the step ids a ``for each`` rule's step expands to
        for file in files:
            if file.outline.kind == "pack":
                texts |= {step for step, n in file.outline.step_ids().items()
                          if n.text in texts}
    found = []
    for file in files:
        for n in file.outline.names:
            if n.kind != name.kind or n.text not in texts:
                continue
            if name.kind == "var" and (file is not files[0] or n.item != name.item):
                continue
            if n.definition and not declaration:
                continue
            found.append(file.location(n))
    return found


_SYMBOL_KINDS = {"header": lsp.SymbolKind.Package, "topic": lsp.SymbolKind.Property,
                 "rule": lsp.SymbolKind.Function, "test": lsp.SymbolKind.Method}


def symbols(file: File) -> list[lsp.DocumentSymbol]:
    """The document's items (header, topics, rules, test cases) for the editor's outline;
    a rule's step is a child of it."""
    outline, source = file.outline, file.source
    found = []
    for index, item in enumerate(outline.items):
        names = [n for n in outline.names if n.item == index]
        head = next((n for n in names if n.definition and n.kind in ("pack", "topic", "rule",
                                                                     "test")), None)
        label = item.name or ("pack" if item.kind == "header" else item.kind)
        whole = source.range_of(item.start, item.end)
        chosen = source.range_of(head.start, head.end) if head is not None else whole
        children = [lsp.DocumentSymbol(name=n.text, kind=lsp.SymbolKind.Event, detail="step",
                                       range=source.range_of(n.start, n.end),
                                       selection_range=source.range_of(n.start, n.end))
                    for n in names if n.kind == "step" and n.definition]
        found.append(lsp.DocumentSymbol(
            name=label, kind=_SYMBOL_KINDS[item.kind],
            detail=_detail(item.kind, item.actions), range=whole, selection_range=chosen,
            children=children or None))
    return found


def _detail(kind: str, actions: Iterable[str]) -> str:
    on = ", ".join(actions)
    return {"header": "pack", "topic": "topic"}.get(kind, f"{kind} on {on}" if on else kind)

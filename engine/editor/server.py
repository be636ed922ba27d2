"""``policy lsp``: the language server, over the Language Server Protocol (pygls).

The server keeps the documents the editor has open (full text on every change) and
answers from their words (``engine.editor.outline``): completion, hover, definition,
references, document symbols; formatting is ``policy fmt``'s (``dsl.formatter``); quick
fixes apply the did-you-mean of a diagnostic. Diagnostics are checked in a worker
process (``engine.editor.worker``) a moment after the author stops typing
(:data:`DEBOUNCE`): a pack's errors first, then everything ``policy check`` finds; a test
file's errors and failing cases against the pack beside it, again whenever that pack
changes. A pack and the test file of the same name in the same folder are partners:
each is read from the editor when it is open there, else from disk.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import pathlib
from typing import Any

import attrs
from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from dsl.formatter import format_source, source_kind
from dsl.text import envelope, restore
from engine.editor.completion import complete
from engine.editor.lexicon import use_file
from engine.editor.diagnostics import quick_fixes, to_lsp
from engine.editor.hover import hover
from engine.editor.navigation import File, definition, references, symbols
from engine.editor.outline import Outline, outline
from engine.editor.source import SourceText
from engine.editor.worker import Job, Worker
from engine.errors import PolicyError

__all__ = ["PolicyLanguageServer", "make_server", "DEBOUNCE"]

#: Seconds without a change before a document is checked again.
DEBOUNCE = 0.3

log = logging.getLogger(__name__)


@attrs.define
class Document:
    """An open document: its text as of ``version``, and its outline once asked for."""

    uri: str
    path: pathlib.Path | None
    kind: str                              # pack | tests
    version: int | None
    source: SourceText
    errors_shown: bool = False             # the last diagnostics published had an error
    _outline: Outline | None = None

    @property
    def outline(self) -> Outline:
        if self._outline is None:
            self._outline = outline(self.source.text, self.kind)
        return self._outline

    def file(self) -> File:
        return File(self.uri, self.source, self.outline)


class PolicyLanguageServer(LanguageServer):
    """The rule language's server; :func:`make_server` registers its features."""

    def __init__(self, debounce: float = DEBOUNCE) -> None:
        try:
            version = importlib.metadata.version("policy-engine")
        except importlib.metadata.PackageNotFoundError:
            version = "0"
        super().__init__("policy-lsp", version,
                         text_document_sync_kind=lsp.TextDocumentSyncKind.Full)
        self.debounce = debounce
        self.documents: dict[str, Document] = {}
        self.worker = Worker()
        self.pending: dict[str, asyncio.Task[None]] = {}
        # files beside open documents, read from disk: kept while unchanged there
        self.on_disk: dict[pathlib.Path, tuple[tuple[int, int, str], File]] = {}

    # ---- documents ------------------------------------------------------------------

    def open(self, uri: str, version: int | None, text: str) -> Document:
        path_text = to_fs_path(uri) if uri.startswith("file:") else None
        path = pathlib.Path(path_text) if path_text else None
        source = SourceText(text, self.workspace.position_encoding
                            or lsp.PositionEncodingKind.Utf16)
        kind = source_kind(path.name if path else "", source.text)
        previous = self.documents.get(uri)
        document = Document(uri, path, kind, version, source,
                            previous.errors_shown if previous else False)
        self.documents[uri] = document
        return document

    def partner(self, document: Document) -> File | None:
        """The pack beside a test file, or the test file beside a pack."""
        if document.path is None:
            return None
        path = document.path.with_suffix(".policy" if document.kind == "tests" else ".tests")
        uri = from_fs_path(str(path)) or ""
        if uri in self.documents:
            return self.documents[uri].file()
        try:
            stat = path.stat()
            key = (stat.st_mtime_ns, stat.st_size, document.source.encoding)
            cached = self.on_disk.get(path)
            if cached is not None and cached[0] == key:
                return cached[1]
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        source = SourceText(text, document.source.encoding)
        kind = "pack" if path.suffix == ".policy" else "tests"
        found = File(uri, source, outline(source.text, kind))
        self.on_disk[path] = (key, found)
        return found

    def files(self, uri: str) -> list[File]:
        """The document and, after it, the file beside it (empty when not open)."""
        document = self.documents.get(uri)
        if document is None:
            return []
        use_file(document.path)              # its folder's words, for what follows
        beside = self.partner(document)
        return [document.file()] + ([beside] if beside is not None else [])

    # ---- diagnostics ----------------------------------------------------------------

    def schedule(self, uri: str, delay: float) -> None:
        """Check ``uri`` after ``delay`` seconds, instead of any check still waiting or
        running for it (which ends)."""
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.pending[uri] = asyncio.ensure_future(self._diagnose(uri, delay))

    def changed(self, document: Document, delay: float) -> None:
        self.schedule(document.uri, delay)
        if document.kind == "pack" and document.path is not None:
            tests = from_fs_path(str(document.path.with_suffix(".tests"))) or ""
            if tests in self.documents:
                self.schedule(tests, delay)

    async def _diagnose(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        document = self.documents.get(uri)
        if document is None:
            return
        origin = str(document.path) if document.path is not None else uri
        if document.kind == "tests":
            beside = self.partner(document)
            pack_origin = (to_fs_path(beside.uri) or beside.uri) if beside else origin
            job = Job("tests", document.source.raw, origin,
                      beside.source.raw if beside is not None else None, pack_origin)
        else:
            job = Job("pack", document.source.raw, origin)
        try:
            async for stage, found in self.worker.run(uri, job):
                if self.documents.get(uri) is not document:
                    return                                   # changed or closed since
                has_errors = any(d.severity == "error" for d in found)
                if stage == "errors" and not has_errors and not document.errors_shown:
                    continue              # keep the last warnings until the new ones come
                document.errors_shown = has_errors
                self.publish(document, [to_lsp(d, document.source) for d in found])
        except Exception as e:  # noqa: BLE001 - the editor is told; the server goes on
            log.exception("checking %s failed", uri)
            self.window_show_message(lsp.ShowMessageParams(
                type=lsp.MessageType.Error, message=f"policy lsp: checking {uri} failed: {e}"))

    def publish(self, document: Document, diagnostics: list[lsp.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=document.uri, diagnostics=diagnostics, version=document.version))

    def close(self, uri: str) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.worker.supersede(uri)
        self.documents.pop(uri, None)
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri,
                                                                            diagnostics=[]))

    # ---- formatting -----------------------------------------------------------------

    def formatted(self, uri: str) -> list[lsp.TextEdit]:
        """One edit replacing the document by its ``policy fmt`` layout; none when it
        is laid out already or does not parse."""
        document = self.documents.get(uri)
        if document is None:
            return []
        raw = document.source.raw
        try:
            text = restore(format_source(raw, str(document.path or "<editor>"),
                                         document.kind), envelope(raw))
        except PolicyError:
            return []
        if text == raw:
            return []
        return [lsp.TextEdit(range=document.source.whole, new_text=text)]


def make_server(debounce: float = DEBOUNCE) -> PolicyLanguageServer:
    """A server with every feature registered."""
    server = PolicyLanguageServer(debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PolicyLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        ls.changed(ls.open(item.uri, item.version, item.text), 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PolicyLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        document = ls.documents.get(params.text_document.uri)
        if document is None or not params.content_changes:
            return
        text = document.source.raw
        for change in params.content_changes:
            if isinstance(change, lsp.TextDocumentContentChangeWholeDocument):
                text = change.text
        ls.changed(ls.open(document.uri, params.text_document.version, text), ls.debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PolicyLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.close(params.text_document.uri)

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: PolicyLanguageServer, params: Any) -> None:
        ls.worker.close()

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=[".", "[", "{", ",", ":", '"']))
    def completion(ls: PolicyLanguageServer,
                   params: lsp.CompletionParams) -> lsp.CompletionList | None:
        files = ls.files(params.text_document.uri)
        if not files:
            return None
        here = files[0]
        pack = next((f.outline for f in files[1:] if f.outline.kind == "pack"), None)
        items = complete(here.outline, here.source, here.source.offset(params.position), pack)
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: PolicyLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        files = ls.files(params.text_document.uri)
        return hover(files, files[0].source.offset(params.position)) if files else None

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def on_definition(ls: PolicyLanguageServer,
                      params: lsp.DefinitionParams) -> list[lsp.Location] | None:
        files = ls.files(params.text_document.uri)
        return definition(files, files[0].source.offset(params.position)) if files else None

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def on_references(ls: PolicyLanguageServer,
                      params: lsp.ReferenceParams) -> list[lsp.Location] | None:
        files = ls.files(params.text_document.uri)
        if not files:
            return None
        return references(files, files[0].source.offset(params.position),
                          params.context.include_declaration)

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def on_symbols(ls: PolicyLanguageServer,
                   params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol] | None:
        files = ls.files(params.text_document.uri)
        return symbols(files[0]) if files else None

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    async def on_formatting(ls: PolicyLanguageServer,
                            params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
        return await asyncio.to_thread(ls.formatted, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    def on_code_action(ls: PolicyLanguageServer,
                       params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        document = ls.documents.get(params.text_document.uri)
        if document is None:
            return None
        return quick_fixes(document.uri, document.source, params.context.diagnostics)

    return server

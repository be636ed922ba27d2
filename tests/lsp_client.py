"""Helpers for driving ``policy lsp`` with a real LSP client (pytest-lsp) over stdio."""

from __future__ import annotations

import asyncio
import pathlib
import sys
import time
from typing import Callable, Sequence

from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = pathlib.Path(__file__).resolve().parent.parent

#: The server as an editor starts it.
CONFIG = ClientServerConfig(server_command=[sys.executable, "-m", "engine", "lsp"])


async def start(client: LanguageClient, root: pathlib.Path) -> lsp.InitializeResult:
    return await client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="packs")]))


def open_document(client: LanguageClient, path: pathlib.Path, text: str | None = None,
                  version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri, language_id="policy", version=version,
        text=path.read_text(encoding="utf-8") if text is None else text)))
    return uri


def change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))


async def diagnostics(client: LanguageClient, uri: str,
                      until: Callable[[Sequence[lsp.Diagnostic]], bool] = lambda d: True,
                      timeout: float = 30) -> Sequence[lsp.Diagnostic]:
    """The diagnostics published for ``uri`` once ``until`` holds for them."""
    deadline = time.monotonic() + timeout
    while True:
        found = client.diagnostics.get(uri)
        if found is not None and until(found):
            return found
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no such diagnostics for {uri}; last: {found}")
        try:
            await asyncio.wait_for(
                client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS),
                timeout=min(left, 1))
        except asyncio.TimeoutError:
            pass


def position(text: str, needle: str, offset: int = 0) -> lsp.Position:
    """The position of ``needle`` (plus ``offset`` characters) in ``text``."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return lsp.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))

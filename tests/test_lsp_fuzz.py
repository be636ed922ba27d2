"""``policy lsp`` never falls over on a half-typed file: mutated packs and test files (the
mutations the parser's fuzz tests use, ``tests.strategies.mutations``) go to the real
server over stdio, each followed by every request an editor makes while typing."""

from __future__ import annotations

import pathlib
import shutil
import tempfile

import pytest
import pytest_lsp
from hypothesis import HealthCheck, given, settings
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.lsp_client import CONFIG, ROOT, change, diagnostics, open_document, start
from tests.strategies import mutations

pytestmark = pytest.mark.asyncio(loop_scope="module")

WORK = pathlib.Path(tempfile.mkdtemp(prefix="policy-lsp-fuzz-"))
EXAMPLES = 20          # sources per file kind


@pytest_lsp.fixture(scope="module", config=CONFIG)
async def client(lsp_client: LanguageClient):
    await start(lsp_client, WORK)
    yield
    await lsp_client.shutdown_session()
    shutil.rmtree(WORK, ignore_errors=True)


def mutated(text: str) -> list[str]:
    """Mutated versions of ``text``, drawn by hypothesis (deterministically)."""
    found: list[str] = []

    @settings(max_examples=EXAMPLES, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(mutations(text))
    def collect(source: str) -> None:
        found.append(source)

    collect()
    return found


def positions(text: str) -> list[lsp.Position]:
    """Places across the text, and one past its end."""
    lines = text.split("\n")
    picked = [lsp.Position(line=0, character=0), lsp.Position(line=10**6, character=10**6)]
    for k in (1, 2, 3):
        line = len(lines) * k // 4
        if line < len(lines):
            picked.append(lsp.Position(line=line, character=min(len(lines[line]), 7 * k)))
    return picked


async def ask_everything(client: LanguageClient, uri: str, text: str) -> None:
    document = lsp.TextDocumentIdentifier(uri=uri)
    for where in positions(text):
        await client.text_document_completion_async(lsp.CompletionParams(
            text_document=document, position=where))
        await client.text_document_hover_async(lsp.HoverParams(text_document=document,
                                                               position=where))
        await client.text_document_definition_async(lsp.DefinitionParams(
            text_document=document, position=where))
        await client.text_document_references_async(lsp.ReferenceParams(
            text_document=document, position=where,
            context=lsp.ReferenceContext(include_declaration=True)))
    await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        text_document=document))
    await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=document, options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))


@pytest.mark.parametrize("suffix", [".policy", ".tests"])
async def test_mutated_sources_never_bring_the_server_down(client: LanguageClient, suffix):
    """Each mutated source is opened (and checked at once), asked every request, edited
    back to the original, and closed."""
    original = (ROOT / f"packs/tyreso/tyreso{suffix}").read_text(encoding="utf-8")
    for n, text in enumerate(mutated(original)):
        folder = WORK / f"{suffix.lstrip('.')}-{n}"
        folder.mkdir()
        shutil.copy(ROOT / "packs/tyreso/tyreso.policy", folder / "tyreso.policy")
        uri = open_document(client, folder / f"tyreso{suffix}", text)
        await ask_everything(client, uri, text)
        await diagnostics(client, uri, timeout=60)       # the mutated source was checked
        change(client, uri, original, 2)
        await ask_everything(client, uri, original)
        client.text_document_did_close(lsp.DidCloseTextDocumentParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri)))
    assert client.error is None
    assert [m.message for m in client.messages if m.type == lsp.MessageType.Error] == []
    assert client._server is not None and client._server.returncode is None

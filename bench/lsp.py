"""Benchmark: how quickly ``policy lsp`` answers while an author edits a large pack.

    python -m bench.lsp                  # a pack of 1,015 rules (Tyresö's 29, 35 times)
    python -m bench.lsp --copies 4       # smaller
    python -m bench.lsp --quick          # a smoke test: one copy, no waiting for the checks

The pack is Tyresö's, with its rules repeated under new ids (and new step ids) until it
has the size asked for, written to a temporary folder. The server runs as an editor
starts it (``python -m engine lsp``) and a pygls client measures, from the moment the
change is sent:

- **errors**: an edit that breaks a rule, until the diagnostics with its syntax error
  arrive; then the edit that mends it, until the diagnostics without errors arrive
  (both include the server's wait for typing to settle, ``DEBOUNCE``);
- **findings**: until every ``policy check`` finding of the mended pack has arrived;
- **completion** and **hover**: round trips while that check runs in the worker.
"""

from __future__ import annotations

import argparse
import asyncio
import pathlib
import re
import statistics
import sys
import tempfile
import time
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.client import BaseLanguageClient

ROOT = pathlib.Path(__file__).resolve().parent.parent


def big_pack(copies: int) -> str:
    """Tyresö's pack with its rules ``copies`` times, each copy's ids suffixed."""
    source = (ROOT / "packs/tyreso/tyreso.policy").read_text(encoding="utf-8")
    first = source.index("\nrule ") + 1
    head, rules = source[:first], source[first:]
    out = [head]
    for k in range(copies):
        body = re.sub(r"^rule ([\w-]+)", lambda m: f"rule {m.group(1)}-{k}", rules, flags=re.M)
        out.append(re.sub(r"require ([\w-]+)", lambda m: f"require {m.group(1)}-{k}", body))
    return "\n".join(out)


class Client(BaseLanguageClient):
    def __init__(self) -> None:
        super().__init__("bench-lsp", "1")
        self.published: list[tuple[float, lsp.PublishDiagnosticsParams]] = []
        self.arrived = asyncio.Event()

        @self.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: lsp.PublishDiagnosticsParams) -> None:
            self.published.append((time.perf_counter(), params))
            self.arrived.set()

    async def until(self, version: int, test: Any, timeout: float) -> float:
        """When diagnostics of ``version`` that pass ``test`` arrived."""
        deadline = time.perf_counter() + timeout
        while True:
            for at, params in self.published:
                if params.version == version and test(params.diagnostics):
                    return at
            self.arrived.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"no such diagnostics for version {version}")
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except asyncio.TimeoutError:
                pass


def _errors(found: list[lsp.Diagnostic]) -> int:
    return sum(1 for d in found if d.severity == lsp.DiagnosticSeverity.Error)


async def run(copies: int, quick: bool) -> None:
    text = big_pack(copies)
    folder = pathlib.Path(tempfile.mkdtemp(prefix="bench-lsp-"))
    path = folder / "big.policy"
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    rules = text.count("\nrule ")
    print(f"bench.lsp: {rules:,} rules, {len(text.encode()) / 1e6:.2f} MB, "
          f"{text.count(chr(10)):,} lines; Python {sys.version.split()[0]}")
    client = Client()
    await client.start_io(sys.executable, "-m", "engine", "lsp")
    await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    client.initialized(lsp.InitializedParams())
    document = lsp.TextDocumentIdentifier(uri=uri)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri, language_id="policy", version=1, text=text)))

    def edit(version: int, new: str) -> float:
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=new)]))
        return time.perf_counter()

    middle = text.index("\n  level must\n", len(text) // 2) + 1
    broken = text[:middle] + "  levle must\n" + text[middle + len("  level must\n"):]
    sent = edit(2, broken)
    broke = await client.until(2, lambda d: _errors(d) > 0, 300) - sent
    sent = edit(3, text)
    mended = await client.until(3, lambda d: _errors(d) == 0, 300) - sent
    print(f"errors: a syntax error shown {broke:.2f} s after the edit, gone {mended:.2f} s "
          "after the mending edit")

    where = broken.index("page_category in allowed_likes")
    line = text.count("\n", 0, where)
    position = lsp.Position(line=line, character=where - text.rfind("\n", 0, where) - 1)
    completions, hovers = [], []
    for _ in range(3 if quick else 20):
        start = time.perf_counter()
        await client.text_document_completion_async(lsp.CompletionParams(
            text_document=document, position=position))
        completions.append(time.perf_counter() - start)
        start = time.perf_counter()
        await client.text_document_hover_async(lsp.HoverParams(text_document=document,
                                                               position=position))
        hovers.append(time.perf_counter() - start)
    print(f"while the checks run: completion median {statistics.median(completions) * 1e3:.0f} ms "
          f"(max {max(completions) * 1e3:.0f}), hover median "
          f"{statistics.median(hovers) * 1e3:.0f} ms (max {max(hovers) * 1e3:.0f})")
    if not quick:
        done = await client.until(3, lambda d: any(x.severity != lsp.DiagnosticSeverity.Error
                                                   for x in d), 1800) - sent
        count = len(client.published[-1][1].diagnostics)
        print(f"findings: every policy check finding ({count:,}) {done:.1f} s after the edit")
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=35, help="copies of Tyresö's 29 rules")
    parser.add_argument("--quick", action="store_true", help="one copy; no wait for findings")
    args = parser.parse_args()
    asyncio.run(run(1 if args.quick else args.copies, args.quick))


if __name__ == "__main__":
    main()

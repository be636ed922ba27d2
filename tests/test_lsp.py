"""``policy lsp`` end to end: a real LSP client (pytest-lsp) drives the server over stdio.

One server serves the module's tests; each works on files of its own in a copy of the
Tyresö pack, so the pack and its test file are partners as in a real pack folder.
"""

from __future__ import annotations

import pathlib
import shutil
import tempfile

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from dsl.formatter import format_source
from tests.lsp_client import CONFIG, ROOT, change, diagnostics, open_document, position, start

pytestmark = pytest.mark.asyncio(loop_scope="module")

WORK = pathlib.Path(tempfile.mkdtemp(prefix="policy-lsp-"))
TYRESO = (ROOT / "packs/tyreso/tyreso.policy").read_text(encoding="utf-8")
TYRESO_TESTS = (ROOT / "packs/tyreso/tyreso.tests").read_text(encoding="utf-8")


def pack_folder(name: str) -> tuple[pathlib.Path, pathlib.Path]:
    """A copy of the Tyresö pack and its tests as NAME/tyreso.policy and .tests."""
    folder = WORK / name
    folder.mkdir()
    for suffix in (".policy", ".tests"):
        shutil.copy(ROOT / f"packs/tyreso/tyreso{suffix}", folder / f"tyreso{suffix}")
    return folder / "tyreso.policy", folder / "tyreso.tests"


@pytest_lsp.fixture(scope="module", config=CONFIG)
async def client(lsp_client: LanguageClient):
    result = await start(lsp_client, WORK)
    lsp_client.initialize_result = result          # for the capability test
    yield
    await lsp_client.shutdown_session()
    shutil.rmtree(WORK, ignore_errors=True)


async def test_initialize_announces_the_features(client: LanguageClient):
    capabilities = client.initialize_result.capabilities
    assert client.initialize_result.server_info.name == "policy-lsp"
    assert capabilities.completion_provider is not None
    assert capabilities.hover_provider and capabilities.definition_provider
    assert capabilities.references_provider and capabilities.document_symbol_provider
    assert capabilities.document_formatting_provider
    assert capabilities.code_action_provider
    assert not capabilities.rename_provider          # nothing is renamed by accident


async def test_a_broken_pack_gets_its_error_at_the_right_line_and_a_quick_fix(
        client: LanguageClient):
    pack, _ = pack_folder("broken")
    text = TYRESO.replace("  level must\n", "  levle must\n", 1)
    uri = open_document(client, pack, text)
    found = await diagnostics(client, uri, lambda d: any(x.code == "syntax" for x in d))
    error = next(d for d in found if d.code == "syntax")
    where = position(text, "levle must")
    assert error.range.start == where
    assert error.severity == lsp.DiagnosticSeverity.Error and error.source == "policy"
    assert "did you mean 'level'" in error.message

    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=error.range,
        context=lsp.CodeActionContext(diagnostics=[error])))
    assert [a.title for a in actions] == ["Replace 'levle' with 'level'"]
    [edit] = actions[0].edit.changes[uri]
    assert edit.new_text == "level"
    assert (edit.range.start, edit.range.end.character) == (where, where.character + 5)


async def test_a_compile_error_and_a_warning_have_their_codes(client: LanguageClient):
    pack, _ = pack_folder("compile")
    text = TYRESO.replace("page_category in allowed_likes.deny",
                          "page_category == comercial", 1)
    uri = open_document(client, pack, text)
    found = await diagnostics(client, uri, lambda d: any(x.code == "unknown-value" for x in d))
    error = next(d for d in found if d.code == "unknown-value")
    start = position(text, "comercial")
    assert (error.range.start, error.range.end.character) == (start, start.character + 9)
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=error.range,
        context=lsp.CodeActionContext(diagnostics=[error])))
    assert actions[0].edit.changes[uri][0].new_text == "commercial"

    fixed = text.replace("page_category == comercial\n  level must\n",
                         "page_category in allowed_likes.deny\n")
    change(client, uri, fixed, 2)
    found = await diagnostics(client, uri, lambda d: any(x.code == "missing-level" for x in d))
    assert not [d for d in found if d.severity == lsp.DiagnosticSeverity.Error]
    warning = next(d for d in found if d.code == "missing-level")
    assert warning.severity == lsp.DiagnosticSeverity.Warning
    assert warning.range.start == position(fixed, "rule no-likes-for-companies")
    acknowledged = next(d for d in found if d.code == "shadowed-rule")
    assert acknowledged.severity == lsp.DiagnosticSeverity.Hint


async def test_a_test_file_reports_failing_cases_and_unknown_rules(client: LanguageClient):
    _, tests = pack_folder("tests")
    text = TYRESO_TESTS.replace("expect required_steps", "expect deny", 1)
    uri = open_document(client, tests, text)
    found = await diagnostics(client, uri, lambda d: any(x.code == "failing-test" for x in d))
    failing = next(d for d in found if d.code == "failing-test")
    assert failing.range.start == position(text, 'test "a new channel with nothing done')
    assert "expected deny, got required_steps" in failing.message

    wrong = TYRESO_TESTS.replace("rules [new-channel-approved,", "rules [new-channel-aproved,", 1)
    change(client, uri, wrong, 2)
    found = await diagnostics(client, uri, lambda d: any(x.code == "unknown-rule" for x in d))
    unknown = next(d for d in found if d.code == "unknown-rule")
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=unknown.range,
        context=lsp.CodeActionContext(diagnostics=[unknown])))
    [edit] = actions[0].edit.changes[uri]
    assert edit.new_text == "new-channel-approved"
    assert edit.range.start == position(wrong, "new-channel-aproved")


async def test_completion_after_on_offers_the_actions(client: LanguageClient):
    pack, _ = pack_folder("complete")
    text = TYRESO + "\nrule new-rule\n  on \n"
    uri = open_document(client, pack, text)
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=position(text, "  on \n", 5)))
    labels = [item.label for item in result.items]
    assert labels[:2] == ["create_channel", "like_page"] and "close_channel" in labels
    assert "rule" not in labels


async def test_completion_in_a_test_request_offers_the_facts_values(client: LanguageClient):
    _, tests = pack_folder("complete-tests")
    text = 'test "t"\n  request like_page {page_category: }\n  expect deny\n'
    uri = open_document(client, tests, text)
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=position(text, ": }", 2)))
    assert "commercial" in [item.label for item in result.items]


async def test_hover_on_a_fact_gives_its_type_and_meaning(client: LanguageClient):
    pack, _ = pack_folder("hover")
    uri = open_document(client, pack, TYRESO)
    result = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=position(TYRESO, "page_category in allowed_likes.deny", 3)))
    assert "**fact** `page_category`" in result.contents.value
    assert "the kind of page" in result.contents.value and "`commercial`" in result.contents.value


async def test_hover_on_a_role_gives_its_swedish_label(client: LanguageClient):
    pack, _ = pack_folder("hover-role")
    uri = open_document(client, pack, TYRESO)
    result = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=position(TYRESO, "by manager", 4)))
    assert "kommunikatör" in result.contents.value or "chef" in result.contents.value


async def test_formatting_gives_the_policy_fmt_layout(client: LanguageClient):
    pack, _ = pack_folder("format")
    text = TYRESO.replace("  on like_page\n", "  on    like_page\n", 1)
    uri = open_document(client, pack, text)
    edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    [edit] = edits
    assert edit.range.start == lsp.Position(line=0, character=0)
    assert edit.new_text == format_source(text) == TYRESO
    change(client, uri, TYRESO, 2)
    assert await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        options=lsp.FormattingOptions(tab_size=2, insert_spaces=True))) in ([], (), None)


async def test_definition_of_a_topic_is_its_setting(client: LanguageClient):
    pack, _ = pack_folder("definition")
    uri = open_document(client, pack, TYRESO)
    result = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=position(TYRESO, "allowed_likes.deny", 2)))
    [location] = result
    assert location.uri == uri
    assert location.range.start == position(TYRESO, "topic allowed_likes", 6)


async def test_definition_from_a_test_file_goes_to_the_rule(client: LanguageClient):
    pack, tests = pack_folder("definition-tests")
    uri = open_document(client, tests)
    result = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=position(TYRESO_TESTS, "approve-channel-manager", 3)))
    [location] = result
    assert location.uri == pack.as_uri()
    assert location.range.start == position(TYRESO, "require approve-channel", 8)


async def test_references_of_a_rule_include_the_test_files(client: LanguageClient):
    pack, tests = pack_folder("references")
    uri = open_document(client, pack, TYRESO)
    result = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=position(TYRESO, "rule new-channel-has-purpose", 6),
        context=lsp.ReferenceContext(include_declaration=False)))
    assert {r.uri for r in result} == {tests.as_uri()}
    assert len(result) == TYRESO_TESTS.count("new-channel-has-purpose")

    topic = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=position(TYRESO, "topic snapshot_interval", 7),
        context=lsp.ReferenceContext(include_declaration=True)))
    lines = sorted(r.range.start.line for r in topic)
    written = [i for i, line in enumerate(TYRESO.split("\n"))
               if "snapshot_interval" in line.split("#")[0]]
    assert lines == written                   # every use in code, none in a comment


async def test_document_symbols_list_the_items(client: LanguageClient):
    pack, _ = pack_folder("symbols")
    uri = open_document(client, pack, TYRESO)
    result = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri)))
    names = [s.name for s in result]
    assert names[0] == "tyreso" and "allowed_likes" in names
    assert names.count("new-channel-approved") == 1
    assert len(names) == 1 + TYRESO.count("\ntopic ") + TYRESO.count("\nrule ")


async def test_quick_changes_are_checked_once_they_settle(client: LanguageClient):
    pack, _ = pack_folder("debounce")
    uri = open_document(client, pack, TYRESO)
    await diagnostics(client, uri)
    for version in range(2, 12):             # typing: each change replaces the last
        change(client, uri, TYRESO.replace("default allow", "default alow"[:version] + "x"),
                version)
    change(client, uri, TYRESO + "\nrule last\n  on like_page\n  levle must\n", 12)
    found = await diagnostics(client, uri, lambda d: any("'levle'" in x.message for x in d))
    assert [d.code for d in found if d.severity == lsp.DiagnosticSeverity.Error] == ["syntax"]

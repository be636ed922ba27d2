"""The editor's pieces without a server: positions, tokens, outline, completion."""

from __future__ import annotations

import pathlib
import unicodedata

import pytest
from lsprotocol import types as lsp

from engine.editor.completion import complete
from engine.editor.navigation import File, definition, references
from engine.editor.outline import outline
from engine.editor.source import SourceText
from engine.editor.tokens import scan
from engine.errors import Span

ROOT = pathlib.Path(__file__).resolve().parent.parent
TYRESO = (ROOT / "packs/tyreso/tyreso.policy").read_text(encoding="utf-8")


def test_positions_count_utf16_units_as_editors_do():
    source = SourceText('pack p\n  name "😀 å"  # x\n')
    column = source.line(1).index("å")                    # 10 code points in
    span = Span("f", 2, column + 1, 2, column + 2)
    assert source.span_range(span) == lsp.Range(start=lsp.Position(line=1, character=11),
                                                 end=lsp.Position(line=1, character=12))
    utf32 = SourceText(source.raw, lsp.PositionEncodingKind.Utf32)
    assert utf32.span_range(span).start.character == 10
    utf8 = SourceText(source.raw, lsp.PositionEncodingKind.Utf8)
    assert utf8.span_range(span).start.character == 13
    assert source.offset(lsp.Position(line=1, character=11)) == source.text.index("å")


def test_positions_in_a_crlf_file_with_a_byte_order_mark():
    source = SourceText("\ufeffpack p\r\n  name \"x\"\r\n")
    assert source.text == 'pack p\n  name "x"\n'
    assert source.span_range(Span("f", 1, 6, 1, 7)).start == lsp.Position(line=0, character=6)
    assert source.span_range(Span("f", 2, 3)).start == lsp.Position(line=1, character=2)
    assert source.offset(lsp.Position(line=0, character=6)) == 5
    assert source.whole.end == lsp.Position(line=2, character=0)


def test_positions_in_a_line_the_normal_form_composes():
    decomposed = unicodedata.normalize("NFD", 'pack p\n  name "Tyresö" x\n')
    source = SourceText(decomposed)
    column = source.text.split("\n")[1].index("x")           # in the composed text
    assert source.span_range(Span("f", 2, column + 1)).start.character == (
        decomposed.split("\n")[1].index("x"))
    assert source.offset(lsp.Position(line=1, character=decomposed.split("\n")[1].index("x"))) \
        == source.text.index("x\n")


def test_a_form_feed_is_no_line_break_for_the_editor_either():
    source = SourceText("pack p\x0c name \"x\"\nrule r")
    assert source.line_count == 2
    assert source.span_range(Span("f", 2, 1)).start == lsp.Position(line=1, character=0)


def test_tokens_forgive_what_the_parser_does_not():
    kinds = [(t.kind, t.text, t.closed) for t in scan('rule a-b "open\n  x == 2025-01-01 ! ')]
    assert kinds == [("word", "rule", True), ("word", "a-b", True), ("string", '"open', False),
                     ("word", "x", True), ("op", "==", True), ("date", "2025-01-01", True),
                     ("other", "!", True)]


def test_outline_names_what_each_word_names():
    found = outline(TYRESO, "pack")
    assert found.pack_id == "tyreso" and "Gilla andra" in found.sections
    kinds = {(n.kind, n.text) for n in found.names}
    assert {("topic", "allowed_likes"), ("field", "deny"), ("fact", "page_category"),
            ("action", "like_page"), ("var", "approver"),
            ("rule", "no-likes-for-companies-or-parties")} <= kinds
    assert ("rule", "deny") not in kinds and ("fact", "deny") not in kinds
    assert "approve-channel-communications_director" in found.step_ids()


def _complete(text: str, kind: str = "pack") -> list[str]:
    offset = text.index("|")
    text = text.replace("|", "")
    source = SourceText(text)
    pack = outline(TYRESO, "pack") if kind == "tests" else None
    return [i.label for i in complete(outline(source.text, kind), source, offset, pack)]


RULE = TYRESO + "\nrule r\n  on "


@pytest.mark.parametrize("text, kind, expected, absent", [
    (RULE + "|", "pack", ["like_page", "create_channel"], ["rule"]),
    (RULE + "like_page\n  deny when |", "pack", ["page_category", "allowed_likes", "not"],
     ["approved_by"]),
    (RULE + "like_page\n  deny when page_category == |", "pack", ["commercial"], ["manager"]),
    (RULE + "like_page\n  deny when page_category in [own, |", "pack", ["commercial"], []),
    (RULE + "like_page\n  deny when page_category in allowed_likes.|", "pack",
     ["allow", "deny"], ["commercial"]),
    (RULE + "audit_channel\n  when last_snapshot_on is |", "pack", ["set", "missing"], []),
    (RULE + "create_channel\n  require x by |", "pack", ["manager"], ["like_page"]),
    (RULE + "create_channel\n  for each a in |", "pack", ["channel_approver"],
     ["snapshot_interval"]),
    (RULE + "create_channel\n  source |", "pack", ['"Gilla andra"'], []),
    (RULE + "create_channel\n  level |", "pack", ["must", "should"], []),
    ("pack p\n  default |", "pack", ["allow", "deny"], []),
    ("pack p\ntopic |", "pack", ["channel_approver"], []),
    ('test "t"\n  request |', "tests", ["like_page"], []),
    ('test "t"\n  request create_channel {|', "tests", ["account_type"], ["manager"]),
    ('test "t"\n  request create_channel {approved_by: [manager, |', "tests",
     ["communicator"], ["account_type"]),
    ('test "t"\n  request like_page\n  expect |', "tests", ["deny", "required_steps"], []),
    ('test "t"\n  request like_page\n  steps [|', "tests", ["approve-channel-manager"], []),
    ('test "t"\n  request like_page\n  rules [|', "tests", ["new-channel-approved", "default"],
     []),
])
def test_completion_knows_where_it_is(text, kind, expected, absent):
    labels = _complete(text, kind)
    assert set(expected) <= set(labels), labels
    assert not set(absent) & set(labels), labels


def test_a_step_of_a_for_each_rule_is_found_from_its_expanded_id():
    tests_text = 'test "t"\n  request create_channel\n  steps [approve-channel-manager]\n'
    tests = File("file:///t.tests", SourceText(tests_text), outline(tests_text, "tests"))
    pack = File("file:///t.policy", SourceText(TYRESO), outline(TYRESO, "pack"))
    [location] = definition([tests, pack], tests_text.index("approve-channel-manager"))
    assert location.uri == pack.uri
    found = references([pack, tests], TYRESO.index("require approve-channel") + 9, False)
    assert [r.uri for r in found] == [tests.uri]


def test_a_pack_folder_with_words_of_its_own_completes_them(tmp_path):
    """A vocabulary.toml beside the pack brings its words to the editor, as to the engine;
    a file elsewhere does not see them."""
    from engine.editor.lexicon import use_file
    (tmp_path / "vocabulary.toml").write_text(
        '[actions.register_post]\nmeaning = "register an incoming post"\n'
        '[actions.register_post.facts.post_kind]\ntype = "enum post_kind"\n'
        'values = ["question", "complaint"]\nrequired = true\nmeaning = "what came in"\n'
        '[values.role]\nregistrar = { en = "registrar", sv = "registrator" }\n',
        encoding="utf-8")
    try:
        use_file(tmp_path / "p.policy")
        assert "register_post" in _complete(RULE + "|", "pack")
        assert "registrar" in _complete(RULE + "like_page\n  require s by |", "pack")
        assert "complaint" in _complete('test "t"\n  request register_post {post_kind: |',
                                        "tests")
        use_file(tmp_path.parent / "elsewhere.policy")
        assert "register_post" not in _complete(RULE + "|", "pack")
    finally:
        use_file(None)


def test_words_in_the_working_directory_are_not_a_pathless_file_s(tmp_path, monkeypatch):
    """A file without a path, or in a folder without words of its own, is completed in the
    installed words alone: a vocabulary.toml in the editor's working directory is not
    its folder's."""
    from engine.editor.lexicon import use_file
    (tmp_path / "vocabulary.toml").write_text(
        '[actions.register_post]\nmeaning = "register an incoming post"\n', encoding="utf-8")
    (tmp_path / "plain").mkdir()
    monkeypatch.chdir(tmp_path)
    try:
        for where in (None, tmp_path / "plain" / "p.policy"):
            use_file(where)
            completed = _complete(RULE + "|", "pack")
            assert "like_page" in completed and "register_post" not in completed, where
    finally:
        use_file(None)


def test_the_register_beside_a_pack_is_checked_with_it(tmp_path):
    """A register.toml beside the pack is checked against the pack being edited, as policy
    check does; its problems show on the pack's first line, naming the register's line."""
    import shutil
    from engine.editor.checks import pack_findings
    folder = tmp_path / "perstorp"
    shutil.copytree(pathlib.Path(__file__).resolve().parent.parent / "packs" / "perstorp",
                    folder)
    text = (folder / "perstorp.policy").read_text(encoding="utf-8")
    origin = str(folder / "perstorp.policy")
    assert [f for f in pack_findings(text, origin) if f.acknowledged is None] == []
    register = (folder / "register.toml").read_text(encoding="utf-8")
    (folder / "register.toml").write_text(
        register.replace('encoded_by = ["say-who-answers"]', 'encoded_by = ["say-who-answer"]'),
        encoding="utf-8")
    found = {f.code: f for f in pack_findings(text, origin) if f.acknowledged is None}
    assert {"unknown-rule", "unlisted-rule"} <= set(found)
    assert found["unknown-rule"].span.line == 1
    assert "register.toml:" in found["unknown-rule"].message


@pytest.mark.parametrize("pack_origin", ["same", "beside"])
def test_a_test_file_without_a_pack_beside_it_is_checked_against_the_vocabulary_only(
        tmp_path, pack_origin):
    """No pack: the test file's own requests are checked, and no "a pack file must start
    with 'pack ID'" about the missing pack lands on it."""
    from engine.editor.checks import tests_findings
    tests = tmp_path / "alone.tests"
    good = (ROOT / "packs" / "tyreso" / "tyreso.tests").read_text(encoding="utf-8")
    origin = str(tests)
    where = origin if pack_origin == "same" else str(tmp_path / "alone.policy")
    assert tests_findings(good, origin, None, where) == []
    bad = tests_findings(good.replace("page_category", "page_categoryX"), origin, None, where)
    assert bad and all("unknown fact" in d.message for d in bad)

"""Syntax highlighting: the Pygments lexer, its entry point, and the TextMate grammar."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

pygments = pytest.importorskip("pygments")
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename  # noqa: E402
from pygments.token import Error, Keyword, Name, Operator, String  # noqa: E402

from dsl.highlight import KEYWORDS, PolicyLexer, highlight_source  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "packs").glob("*/*.policy")) + sorted((ROOT / "packs").glob("*/*.tests"))
GRAMMAR_WORDS = set(re.findall(r'"([a-z_]+)"', (ROOT / "dsl/grammar.lark").read_text()))
TEXTMATE = json.loads((ROOT / "editors/policy.tmLanguage.json").read_text(encoding="utf-8"))


def test_the_highlighters_know_exactly_the_grammars_keywords():
    assert KEYWORDS == GRAMMAR_WORDS
    patterns = [re.compile(r["match"]) for name, r in TEXTMATE["repository"].items()
                if name in ("keyword", "operator", "constant", "test")]
    item = re.compile(TEXTMATE["repository"]["item"]["match"])
    for word in sorted(GRAMMAR_WORDS):
        assert any(p.fullmatch(word) for p in patterns) or item.match(f"{word} x"), word


def test_textmate_patterns_compile_and_match_whole_words_only():
    def regexes(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("match", "begin", "end"):
                    yield value
                else:
                    yield from regexes(value)
        elif isinstance(node, list):
            for value in node:
                yield from regexes(value)

    for regex in regexes(TEXTMATE):
        re.compile(regex)
    keyword = re.compile(TEXTMATE["repository"]["keyword"]["match"])
    assert keyword.search("  level must") and not keyword.search("  levle must")
    assert not keyword.search("rule turn-on-alerts") and not keyword.search("sources")
    includes = {p["include"][1:] for p in TEXTMATE["patterns"]}
    assert includes == set(TEXTMATE["repository"])
    assert TEXTMATE["scopeName"] == "source.policy"


def test_the_lexer_is_found_through_its_entry_point():
    assert isinstance(get_lexer_by_name("policy"), PolicyLexer)
    assert isinstance(get_lexer_for_filename("tyreso.tests"), PolicyLexer)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_every_builtin_source_lexes_without_errors(path):
    text = path.read_text(encoding="utf-8")
    tokens = list(PolicyLexer().get_tokens(text))
    assert not [v for t, v in tokens if t in Error]
    assert "".join(v for _, v in tokens) == text


def tokens_of(text: str) -> list[tuple[object, str]]:
    return [(t, v) for t, v in PolicyLexer().get_tokens(text) if v.strip()]


def test_words_are_classed_as_the_language_reads_them():
    found = tokens_of('rule approve on create_channel for each a in channel_approver\n'
                      '  require approve-channel by a "Get the {a}\'s \\"yes\\"." sv "Ja"\n'
                      '  done when a in approved_by and months_since(last_snapshot_on) < 6\n'
                      '  levle must\n')
    kinds = dict((v, t) for t, v in found)
    assert kinds["rule"] in Keyword.Declaration and kinds["approve"] in Name.Function
    assert kinds["approve-channel"] in Name.Label
    assert kinds["channel_approver"] in Name.Constant
    assert kinds["approved_by"] in Name.Variable
    assert kinds["months_since"] in Name.Builtin
    assert kinds["and"] in Operator.Word and kinds["must"] in Keyword.Constant
    assert kinds["{a}"] in String.Interpol and kinds['\\"'] in String.Escape
    assert kinds["levle"] is Name     # a misspelt keyword is not coloured as one


def test_highlight_source_for_terminals_and_html(monkeypatch):
    html = highlight_source('rule r on like_page deny when x < 1 # <b>\n', "html")
    assert html.startswith('<div class="policy">') and "&lt;b&gt;" in html
    assert '<span class="k">deny</span>' in html
    assert "\x1b[" in highlight_source("rule r\n")
    monkeypatch.setitem(sys.modules, "pygments", None)
    assert highlight_source("rule r <x>\n") == "rule r <x>\n"
    assert highlight_source("rule r <x>\n", "html") == (
        '<pre class="policy">rule r &lt;x&gt;\n</pre>')

"""The desk speaks one language at a time: every page, and every error a page shows, in
Swedish by default and in English with ``lang=en``, from the real ``policy serve``.

An English page holds none of the desk's Swedish words and no Swedish quotation mark
(”…” opening a quotation); a Swedish page holds none of the desk's English words where
Swedish ones exist, and no English quotation mark. What is English on a Swedish page by
design (the engine's own error messages, ``policy check``'s diagnostics, a failed test's
problems) is marked ``lang="en"`` and introduced in Swedish; it is left out before the
words are looked for. So is what a pack or an author wrote (sources, names, titles).
"""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from engine.desk import form
from engine.desk import playground as pg
from engine.errors import RequestError
from engine.glossary import CONTRACT_LABELS, label
from engine.phrases import PHRASES, phrase
from tests.servers import served

ROOT = Path(__file__).resolve().parent.parent
TYRESO = (ROOT / "packs/tyreso/tyreso.policy").read_text(encoding="utf-8")
TYRESO_TESTS = (ROOT / "packs/tyreso/tyreso.tests").read_text(encoding="utf-8")
LIKE_COMMERCIAL = '{"action": "like_page", "facts": {"page_category": "commercial"}}'

#: The views whose words frame the desk's pages, and the outcomes a page says.
FRAMING = ("desk:", "playground:", "error:", "compare:", "outcome:")
#: English framing words that are Swedish words too.
BOTH = {"under"}


server = served("desk-language")


@pytest.fixture(scope="module")
def pack_words(engine):
    """What the packs themselves write on a page (names, document titles)."""
    return {t for p in engine.packs.values() for t in (p.name, p.document) if t}


def get(server, path: str, status: int) -> str:
    reply = server.get(path)
    assert reply.status == status, reply.body.decode()[-1500:]
    return reply.body.decode("utf-8")


def post(server, path: str = "/playground", status: int = 200, **fields: str) -> str:
    reply = server.call("POST", path, raw=urlencode(fields).encode(),
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                        timeout=30)
    assert reply.status == status, reply.body.decode()[-1500:]
    return reply.body.decode("utf-8")


def framing(markup: str) -> str:
    """The page's own text: no style, no author's text (textareas, the trace), nothing
    marked English, no code (error codes, paths, rule ids), no test names; then without
    tags and entities."""
    markup = re.sub(r"(?s)<style>.*?</style>|<textarea.*?</textarea>|<pre id=\"trace\">.*?</pre>",
                    " ", markup)
    markup = re.sub(r'(?s)<span lang="en">.*?</span>|<code[ >].*?</code>', " ", markup)
    markup = re.sub(r'<li class="test (passed|failed)">[^<]*: ', "<li>", markup)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def words_of(lang: str, pack_words: set[str]) -> dict[str, str]:
    """The framing words in ``lang`` that differ from the other language's, but for
    those a pack writes too (a guideline titled "Riktlinjer för sociala medier")."""
    other = "en" if lang == "sv" else "sv"
    found = {}
    for key, entry in {**PHRASES, **CONTRACT_LABELS}.items():
        if not key.startswith(FRAMING):
            continue
        said, theirs = getattr(entry, lang), getattr(entry, other)
        if said and said != theirs and not any(said in w for w in pack_words):
            found[key] = said.split("{")[0].strip()       # the words before a value
    return {k: v for k, v in found.items() if len(v) > 3 and v not in BOTH}


def assert_one_language(markup: str, lang: str, pack_words: set[str]) -> None:
    assert f'<html lang="{lang}">' in markup
    shown = framing(markup)
    other = "en" if lang == "sv" else "sv"
    for key, said in words_of(other, pack_words).items():
        assert not re.search(rf"(?<!\w){re.escape(said)}(?!\w)", shown), (key, said, shown)
    if lang == "en":   # a Swedish quotation opens with ”
        assert not re.search(r"(^|[\s(;:,])\u201d", shown), shown
    else:
        assert "\u201c" not in shown, shown


def error_of(markup: str) -> str:
    found = re.search(r'(?s)<section class="error" role="alert" id="error">.*?</section>', markup)
    assert found, "no error on the page"
    return found.group(0)


def assert_framed(markup: str, lang: str, code: str, heading: str = "desk:error") -> None:
    """The error is framed in ``lang``: its heading, its code under the page's word."""
    section = error_of(markup)
    assert f"<h2>{html.escape(phrase(heading, lang))}</h2>" in section
    assert f"{phrase('desk:error_code', lang).capitalize()}:" in html.unescape(section)
    assert f'<code class="code">{code}</code>' in section


# ---- pages without errors -----------------------------------------------------------------

PAGES = [
    "/",
    "/?pack=tyreso&action=like_page",
    "/?pack=tyreso&action=like_page&page_category=commercial",
    "/?pack=tyreso&action=close_channel&at=",
    "/?pack=vara&action=delete_comment&content_category=hate_speech&at=",
    "/compare",
    "/compare?pack=tyreso&pack=vara&diff=1",
    "/playground",
    "/playground?pack=tyreso",
]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_each_page_is_in_one_language(server, pack_words, path, lang):
    query = "" if lang == "sv" else ("&" if "?" in path else "?") + "lang=en"
    assert_one_language(get(server, path + query, 200), lang, pack_words)


@pytest.mark.parametrize("lang, mark", [("en", "section \u201cGilla andra\u201d"),
                                        ("sv", "avsnitt \u201dGilla andra\u201d")])
def test_a_section_is_quoted_in_the_pages_language(server, lang, mark):
    decide = get(server, f"/?pack=tyreso&action=like_page&page_category=commercial&lang={lang}",
                 200)
    assert mark in html.unescape(decide)
    compare = html.unescape(get(server, f"/compare?pack=tyreso&topic=allowed_likes&lang={lang}",
                                200))
    assert mark.split(" ", 1)[1] in compare


# ---- errors on Decide and Compare ---------------------------------------------------------

ENGINE_ERRORS = [
    ("/?pack=nope", 404, "unknown-pack", "unknown pack 'nope'"),
    ("/?pack=tyreso&action=likepage", 422, "unknown-action", "unknown action 'likepage'"),
    ("/?pack=tyreso&action=like_page&page_category=comercial", 422, "unknown-value",
     "has no value \"comercial\""),
    ("/compare?pack=nope", 404, "unknown-pack", "unknown pack 'nope'"),
    ("/compare?topic=nope", 422, "unknown-topic", "unknown topic 'nope'"),
    ("/compare?at=someday", 422, "bad-date", "got 'someday'"),
    ("/playground?pack=nope", 404, "unknown-pack", "unknown pack 'nope'"),
]


@pytest.mark.parametrize("path, status, code, message", ENGINE_ERRORS)
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_engines_message_is_framed_in_the_pages_language(server, pack_words, path, status,
                                                             code, message, lang):
    body = get(server, path + ("" if lang == "sv" else "&lang=en"), status)
    assert_one_language(body, lang, pack_words)
    # the Compare page cannot compare; the others cannot decide
    assert_framed(body, lang, code, "desk:compare_error" if path.startswith("/compare")
                  else "desk:error")
    section = error_of(body)
    # the engine's English message, said to be the engine's and marked as English
    assert html.escape(phrase("desk:engine_says", lang)) in section
    said = re.search(r'<span lang="en">(.*?)</span>', section)
    assert said and message in html.unescape(said.group(1))


@pytest.mark.parametrize("path, code", [("/?pack=tyreso", "missing-action"),
                                        ("/?action=like_page", "missing-pack")])
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_desks_own_errors_are_in_the_pages_language(server, pack_words, path, code, lang):
    body = get(server, path + ("" if lang == "sv" else "&lang=en"), 422)
    assert_one_language(body, lang, pack_words)
    assert_framed(body, lang, code)
    assert html.escape(phrase(f"error:{code}", lang)) in error_of(body)
    assert 'lang="en"' not in error_of(body)


# ---- the Playground -----------------------------------------------------------------------

@pytest.mark.parametrize("lang, words, not_words", [
    ("sv", ("Källor:", "Sammanvägning: steg", "Regler i Tyresö kommun"),
     ("Sources:", "Combining:", "Rules of", "Facts as the rules see them")),
    ("en", ("Sources:", "Combining: step", "Rules of Tyresö kommun"),
     ("Källor:", "Sammanvägning", "Regler i", "Uppgifterna som reglerna")),
])
def test_the_playgrounds_trace_and_outcome_are_in_the_pages_language(server, pack_words, lang,
                                                                     words, not_words):
    body = post(server, source=TYRESO, tests=TYRESO_TESTS, request=LIKE_COMMERCIAL, lang=lang)
    assert_one_language(body, lang, pack_words)
    outcome = re.search(r'<p class="outcome" data-outcome="deny">(.*?)</p>', body)
    assert outcome and outcome.group(1) == label("outcome:deny", lang).capitalize()
    trace = html.unescape(re.search(r'(?s)<pre id="trace">(.*?)</pre>', body).group(1))
    for said in words:
        assert said in trace, said
    for said in not_words:
        assert said not in trace, said
    results = re.findall(r'<li class="test passed">[^<]*: ([^<]*)</li>', body)
    assert results and set(results) == {phrase("playground:passed", lang)}


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_diagnostic_is_framed_in_the_pages_language(server, pack_words, lang):
    broken = TYRESO.replace("  level must\n", "  level mustt\n", 1)
    body = post(server, source=broken, tests="", request="", lang=lang)
    assert_one_language(body, lang, pack_words)
    item = re.search(r'(?s)<li class="diagnostic error".*?</li>', body).group(0)
    assert f": {phrase('playground:error', lang)}: <span lang=\"en\">" in item
    note = html.escape(phrase("playground:in_english", "sv"))
    assert (note in body) == (lang == "sv")


@pytest.mark.parametrize("request_text, code", [
    ('{"action": "likepage", "facts": {}}', "unknown-action"),
    ('{"action": "like_page", "facts": {"page_category": "comercial"}}', "unknown-value"),
])
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_request_that_fails_in_the_playground_is_framed(server, pack_words, request_text,
                                                          code, lang):
    body = post(server, source=TYRESO, tests="", request=request_text, lang=lang)
    assert_one_language(body, lang, pack_words)
    assert_framed(body, lang, code)
    assert html.escape(phrase("desk:engine_says", lang)) in error_of(body)


@pytest.mark.parametrize("request_text, code, values", [
    ("not json", "request-not-json", {"line": 1, "column": 1}),
    ("[1]", "request-not-object", {}),
    ('{"facts": {}}', "request-no-action", {}),
])
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_request_the_playground_cannot_read_is_said_in_the_pages_language(
        server, pack_words, request_text, code, values, lang):
    body = post(server, source=TYRESO, tests="", request=request_text, lang=lang)
    assert_one_language(body, lang, pack_words)
    assert_framed(body, lang, code)
    assert html.escape(phrase(f"error:{code}", lang).format(**values)) in error_of(body)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_bad_playground_form_is_answered_in_its_language(server, pack_words, lang):
    path = "/playground" + ("" if lang == "sv" else "?lang=en")
    empty = post(server, path, 422, source=" ", tests="kept", lang=lang)
    assert_one_language(empty, lang, pack_words)
    assert_framed(empty, lang, "empty-source")
    assert html.escape(phrase("error:empty-source", lang)) in error_of(empty)
    assert re.search(r'<textarea id="tests"[^>]*>\nkept</textarea>', empty)  # kept as sent
    # too large to read: the language is the form's URL's
    big = post(server, path, 413, source="x" * (pg.MAX_BODY + 10), lang=lang)
    assert_one_language(big, lang, pack_words)
    assert_framed(big, lang, "too-large")
    assert phrase("error:too-large", lang).format(limit=pg.MAX_BODY) in html.unescape(big)
    reply = server.call("POST", path, raw=b"source=%ff%fe",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400
    unreadable = reply.body.decode()
    assert_one_language(unreadable, lang, pack_words)
    assert_framed(unreadable, lang, "bad-form")


def test_an_english_playground_form_posts_to_its_english_url(server):
    assert 'action="/playground?lang=en"' in get(server, "/playground?lang=en", 200)
    assert 'action="/playground"' in get(server, "/playground", 200)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_work_that_takes_too_long_is_said_in_the_pages_language(engine, monkeypatch, lang,
                                                                 pack_words):
    monkeypatch.setattr(pg, "TIME_LIMIT", 0.001)
    fields = {"source": TYRESO, "tests": TYRESO_TESTS, "request": LIKE_COMMERCIAL}
    with pytest.raises(RequestError) as stopped:
        asyncio.run(pg.run(fields, lang))
    assert stopped.value.code == "too-slow"
    body = pg.playground_page(engine, fields, lang, None, stopped.value)
    assert_one_language(body, lang, pack_words)
    assert_framed(body, lang, "too-slow")
    assert phrase("error:too-slow", lang).format(seconds="0.001") in html.unescape(body)


# ---- the form's yes and no ----------------------------------------------------------------

@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_form_reads_the_glossarys_yes_and_no(engine, lang):
    yes, no = label("word:yes", lang), label("word:no", lang)
    for said, value in ((yes, True), (yes.capitalize(), True), (no, False)):
        facts = form.facts_from_query(engine.vocabulary, "close_channel",
                                      [("manager_consulted", said)])
        assert facts == {"manager_consulted": value}, said

"""The Playground over HTTP, from the real ``policy serve``: start from an installed pack
or a blank one, post an edited source, and read what ``policy check`` says at its
positions, the pack's tests, and a request's decision with its trace; the limits on
untrusted source; ``--no-playground``.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from engine.desk.playground import BLANK, MAX_BODY
from tests.servers import Server, served

ROOT = Path(__file__).resolve().parent.parent
TYRESO = (ROOT / "packs/tyreso/tyreso.policy").read_text(encoding="utf-8")
TYRESO_TESTS = (ROOT / "packs/tyreso/tyreso.tests").read_text(encoding="utf-8")


server = served("playground")


def post(server, **fields):
    return server.call("POST", "/playground", raw=urlencode(fields).encode(),
                       headers={"Content-Type": "application/x-www-form-urlencoded"},
                       timeout=30)


def textarea(body: str, name: str) -> str:
    # a newline right after the tag is not part of the text, as a browser reads it
    found = re.search(rf'(?s)<textarea id="{name}"[^>]*>\n(.*?)</textarea>', body)
    assert found
    return html.unescape(found.group(1))


def test_starts_from_an_installed_pack_or_a_blank_one(server):
    reply = server.get("/playground?pack=tyreso")
    assert reply.status == 200
    body = reply.body.decode()
    assert textarea(body, "source") == TYRESO
    assert textarea(body, "tests") == TYRESO_TESTS
    blank = server.get("/playground").body.decode()
    assert textarea(blank, "source") == BLANK
    missing = server.get("/playground?pack=tyrso")
    assert missing.status == 404
    assert "did you mean 'tyreso'" in html.unescape(missing.body.decode())


def test_a_diagnostic_at_its_position(server):
    broken = TYRESO.replace("  level must\n", "  level mustt\n", 1)
    line = broken[:broken.index("level mustt")].count("\n") + 1
    reply = post(server, source=broken, tests="", request="")
    assert reply.status == 200
    body = reply.body.decode()
    found = re.findall(r'<li class="diagnostic error" data-line="(\d+)" data-column="(\d+)"', body)
    assert str(line) in [n for n, _ in found]
    assert textarea(body, "source") == broken        # the edit is kept in the page


def test_tests_a_decision_and_its_trace(server):
    body = post(server, source=TYRESO, tests=TYRESO_TESTS,
                request='{"action": "like_page", "facts": {"page_category": "commercial"}}'
                ).body.decode()
    assert "Inga fel eller varningar." in body        # Tyresö's one warning is acknowledged
    passed = re.findall(r'<li class="test passed">', body)
    assert passed and 'class="test failed"' not in body
    assert 'data-outcome="deny"' in body
    assert "no-likes-for-companies-or-parties" in html.unescape(
        re.search(r'(?s)<pre id="trace">(.*?)</pre>', body).group(1))


def test_a_request_error_and_a_failing_test_are_shown(server):
    body = post(server, source=BLANK,
                tests='test "companies are liked"\n  request like_page {page_category: commercial}\n'
                      '  expect allow\n',
                request='{"action": "like_page", "facts": {"page_category": "x"}}').body.decode()
    assert 'class="test failed"' in body or 'class="diagnostic' in body
    assert "has no value" in html.unescape(body)


def test_untrusted_source_has_limits(server):
    big = post(server, source="x" * (MAX_BODY + 10))
    assert big.status == 413
    assert post(server, source="").status == 422
    bad = server.call("POST", "/playground", raw=b"source=%ff%fe",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert bad.status == 400
    evil = post(server, source='pack x\n  name "<script>alert(1)</script>"\n').body.decode()
    assert "<script>alert" not in evil


def test_it_can_be_turned_off(tmp_path):
    s = Server(tmp_path, "--no-playground").start()
    try:
        assert s.get("/playground").status == 404
        assert s.get("/").status == 200
    finally:
        s.stop()


@pytest.mark.parametrize("pack_id", ["tyreso", "vara", "perstorp"])
def test_a_warning_the_pack_acknowledges_is_counted_apart_with_its_reason(server, pack_id):
    """As policy check does: a warning the pack acknowledges (``# check: ignore``) is no
    warning of the page's, but folded away with the pack's reason."""
    source = (ROOT / f"packs/{pack_id}/{pack_id}.policy").read_text(encoding="utf-8")
    body = post(server, source=source, tests="", request="").body.decode()
    assert 'class="diagnostic warning"' not in body.split('<details id="acknowledged">')[0]
    assert "Inga fel eller varningar." in body
    folded = re.search(r'(?s)<details id="acknowledged"><summary>(.*?)</summary>(.*?)</details>',
                       body)
    assert folded and "som paketet godtar" in folded.group(1)
    assert "skäl: " in html.unescape(folded.group(2))
    english = post(server, source=source, tests="", request="", lang="en").body.decode()
    assert "the pack acknowledges" in english and "No errors or warnings." in english


def test_the_blank_pack_is_clean_and_decides_the_example(server):
    body = post(server, source=BLANK, tests="",
                request='{"action": "like_page", "facts": {"page_category": "commercial"}}'
                ).body.decode()
    assert "Inga fel eller varningar." in body and 'class="diagnostic' not in body
    assert 'data-outcome="deny"' in body


def test_a_pack_with_errors_says_why_its_tests_and_request_are_not_run(server):
    broken = TYRESO.replace("  level must\n", "  level mustt\n", 1)
    body = post(server, source=broken, tests=TYRESO_TESTS,
                request='{"action": "like_page", "facts": {}}').body.decode()
    assert 'id="tests-run"' not in body and 'id="play-decision"' not in body
    assert "dess tester kördes inte och förfrågan prövades inte" in body
    english = post(server, source=broken, tests="", request="", lang="en").body.decode()
    assert "its tests were not run and the request was not decided" in english


def test_a_request_naming_another_pack_is_decided_by_the_one_in_the_editor(server):
    body = html.unescape(post(server, source=BLANK, tests="", request=(
        '{"pack": "tyreso", "action": "like_page", "facts": {"page_category": "own"}}')
        ).body.decode())
    assert "Förfrågan anger paketet 'tyreso'; lekplatsen prövar den mot paketet i " \
           "redigeraren, Min kommun (mypack)." in body
    assert 'data-outcome="allow"' in body
    same = post(server, source=BLANK, tests="", request=(
        '{"pack": "mypack", "action": "like_page", "facts": {"page_category": "own"}}'))
    assert 'id="request-note"' not in same.body.decode()


def test_a_form_sent_as_multipart_is_refused_naming_the_type_taken(server):
    boundary = "xYz"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\n"
            f"{BLANK}\r\n--{boundary}--\r\n").encode()
    reply = server.call("POST", "/playground", raw=body, timeout=30, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert reply.status == 400
    text = html.unescape(reply.body.decode())
    assert "application/x-www-form-urlencoded" in text and "källtext är tom" not in text


def test_every_desk_page_links_the_playground_when_it_is_served(server, tmp_path):
    for path in ("/", "/compare", "/playground", "/?lang=en", "/compare?lang=en"):
        nav = re.search(r'(?s)<nav[^>]*>(.*?)</nav>', server.get(path).body.decode()).group(1)
        assert 'href="/playground' in nav, (path, nav)
    assert 'href="/playground?lang=en"' in server.get("/compare?lang=en").body.decode()
    s = Server(tmp_path, "--no-playground").start()
    try:
        assert "/playground" not in s.get("/").body.decode()
        assert "/playground" not in s.get("/compare").body.decode()
    finally:
        s.stop()


def test_an_error_of_the_compare_page_is_headed_as_a_comparison(server):
    body = html.unescape(server.get("/compare?pack=tyrso").body.decode())
    assert "<h2>Det gick inte att jämföra</h2>" in body and "gick inte att pröva" not in body
    body = html.unescape(server.get("/compare?pack=tyrso&lang=en").body.decode())
    assert "<h2>The comparison could not be made</h2>" in body


@pytest.mark.parametrize("tests", [
    'test "x"\n  request like_pag {}\n  expect allow\n',                 # unknown action
    'test "x"\n  request like_page {page_category: comercial}\n  expect allow\n',
    'test "x"\n  request like_page {page_category: own}\n  expect allow\n  rules [nonexistent]\n',
    'test "x"\n  request like_page {page_category: own}\n  expect alow\n',
    'garbage here\n',
])
def test_tests_with_errors_are_not_run_and_the_page_says_so(server, tests):
    """As policy test, which runs no case of a test file with errors (exit 2); the
    errors are shown, and the request is still decided."""
    reply = post(server, source=TYRESO, tests=tests,
                 request='{"action": "like_page", "facts": {"page_category": "own"}}')
    assert reply.status == 200
    body = reply.body.decode()
    assert 'class="diagnostic error"' in body and 'id="tests-run"' not in body
    assert "Testerna har fel, så inget av dem kördes" in body
    assert 'data-outcome="allow"' in body


def test_a_diagnostic_underlines_the_word_as_policy_check_does(server):
    broken = TYRESO.replace("deny when page_category in allowed_likes.deny",
                            "deny when page_categry in allowed_likes.deny", 1)
    body = html.unescape(post(server, source=broken, tests="", request="").body.decode())
    assert ("  deny when page_categry in allowed_likes.deny\n"
            "            ^^^^^^^^^^^^</pre>") in body


def test_a_form_error_names_no_path_the_reader_cannot_use(server):
    reply = server.call("POST", "/playground", raw=b"source=x", timeout=30,
                        headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert reply.status == 400 and 'class="path"' not in reply.body.decode()


@pytest.mark.parametrize("request_text, code", [
    ('{"action": "like_page", "facts": {"page_category": "own"}, "date": "2020-01-01"}',
     "request-unknown-key"),                # a misspelt "at" would decide for today
    ('{"action": "like_page", "facts": []}', "request-facts-not-object"),
])
def test_a_request_the_api_would_refuse_is_refused(server, request_text, code):
    body = post(server, source=BLANK, tests="", request=request_text).body.decode()
    assert f'<code class="code">{code}</code>' in body and 'id="play-decision"' not in body


def test_the_editor_keeps_a_source_that_starts_with_blank_lines(server):
    """A browser drops the newline right after <textarea>: the page writes one, so a
    source's own first blank lines, and the lines diagnostics name, stay as sent."""
    source = "\n\n" + BLANK.replace("default allow", "default alow")
    body = post(server, source=source, tests="", request="").body.decode()
    assert textarea(body, "source") == source
    line = re.search(r'<li class="diagnostic error" data-line="(\d+)"', body).group(1)
    assert source.splitlines()[int(line) - 1].strip() == "default alow"

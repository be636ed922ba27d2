"""The web desk over HTTP, from the real ``policy serve``: the Decide and Compare pages'
content in Swedish and English, permalinks, errors shown on the page with the API's
status, escaping of everything a URL or a pack can put on a page, and the token rule.

The pages are plain HTML forms sent with GET, so what a browser with JavaScript off
does is what these requests do: fetch a URL, read the page.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

from engine.core import Engine
from engine.service.app import Service, ServiceConfig
from tests.servers import ROOT, Server

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>'&amp;"
EVIL_URL = '"' + EVIL

EVIL_PACK = f"""
pack evil
  name "Ond {EVIL} kommun"
  document "Riktlinjer {EVIL}"
  dated undated
  version "0.1.0"
  default allow
  sections "{EVIL}"

rule no-likes
  on like_page
  deny when page_category == commercial
  level must
  because "Never {EVIL}."
    sv "Aldrig {EVIL}."
  source "{EVIL}"
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("desk")
    (tmp / "evil.policy").write_text(EVIL_PACK, encoding="utf-8")
    s = Server(tmp, "--packs", str(tmp / "evil.policy")).start()
    yield s
    s.stop()


def page(server, path, status=200):
    reply = server.get(path)
    assert reply.status == status, reply.body.decode()[-2000:]
    assert reply.headers["content-type"].startswith("text/html")
    return reply.body.decode("utf-8")


def text(markup: str) -> str:
    """What a reader sees: the page's text without tags, style and entities."""
    markup = re.sub(r"(?s)<style>.*?</style>", "", markup)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def answer(markup: str) -> str:
    found = re.search(r'(?s)<section class="answer.*?</section>', markup)
    assert found, "no answer on the page"
    return text(found.group(0))


# ---- Decide -------------------------------------------------------------------------------

def test_the_front_page_offers_municipalities_by_their_own_names_and_actions_in_swedish(server):
    body = page(server, "/")
    assert '<html lang="sv">' in body
    assert '<option value="tyreso">Tyresö kommun</option>' in body
    assert '<option value="toreboda">Töreboda kommun</option>' in body
    assert '<option value="like_page">gilla en sida</option>' in body
    assert "<form" in body and 'method="get"' in body
    assert "<script" not in body       # no JavaScript needed, none sent


def test_a_permalink_shows_its_decision(server):
    body = page(server, "/?pack=tyreso&action=like_page&page_category=commercial")
    shown = answer(body)
    assert "Inte tillåtet" in shown
    assert "ska" in shown                                # must, in Swedish
    assert "avsnitt ”Gilla andra”" in shown              # the section behind the reason
    assert "Riktlinjer för sociala medier" in shown       # and the document
    # the form is filled in as the URL says
    assert '<option value="commercial" selected>företag</option>' in body


def test_steps_name_who_does_them_and_must_or_should(server):
    shown = answer(page(server, "/?pack=tyreso&action=close_channel&at="))
    assert "Kräver åtgärder" in shown
    assert "bör : Avsluta kanalen i samråd med förvaltningskommunikatören." in shown
    assert "görs av: kommunikatör" in shown
    assert "ska : Förklara i ett inlägg" in shown
    done = answer(page(server, "/?pack=tyreso&action=close_channel&manager_consulted=true"
                               "&communicator_consulted=true&farewell_post_published=true"))
    assert "Tillåtet" in done and "Kräver" not in done


def test_english_on_request(server):
    body = page(server, "/?pack=tyreso&action=like_page&page_category=commercial&lang=en")
    assert '<html lang="en">' in body
    shown = answer(body)
    assert "Not allowed" in shown and "must" in shown and "section “Gilla andra”" in shown
    # the other language is one link away, on the same decision
    assert 'href="/?pack=tyreso&amp;action=like_page&amp;page_category=commercial"' in body
    swedish = page(server, "/?pack=tyreso&action=like_page&page_category=commercial")
    assert ('href="/?pack=tyreso&amp;action=like_page&amp;page_category=commercial&amp;'
            'lang=en"') in swedish


def test_the_form_is_built_from_the_facts_types_with_labels_tied_to_inputs(server):
    body = page(server, "/?pack=tyreso&action=create_channel")
    assert 'type="checkbox" id="f-purpose_defined" name="purpose_defined" value="true"' in body
    assert '<label for="f-purpose_defined">' in body
    assert '<select id="f-account_type" name="account_type" required' in body
    assert 'type="number" id="f-admin_count" name="admin_count"' in body
    assert 'type="checkbox" id="f-approved_by-manager" name="approved_by" value="manager"' in body
    assert "Välj" in text(body)        # Swedish help for the facts
    assert "<section class=\"answer" not in body      # nothing asked yet: no decision
    audit = page(server, "/?pack=tyreso&action=audit_channel")
    assert 'type="date" id="f-last_snapshot_on"' in audit
    question = page(server, "/?pack=tyreso&action=answer_question")
    assert 'type="datetime-local" id="f-asked_at"' in question
    # every input has a label naming it (WCAG: labels tied to inputs)
    for markup in (body, audit, question):
        ids = re.findall(r'<(?:input|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', markup)
        labelled = set(re.findall(r'<label for="([^"]+)"', markup))
        assert ids and set(ids) <= labelled


def test_a_set_and_a_date_and_time_from_the_url(server):
    shown = answer(page(server, "/?pack=tyreso&action=answer_question"
                                "&asked_at=2025-06-02T10%3A00&answered_at=2025-06-02T11%3A00"
                                "&at=2025-06-03"))
    assert "2025-06-03" in shown
    body = page(server, "/?pack=tyreso&action=create_channel&account_type=organisation"
                        "&approved_by=manager&approved_by=communications_director&at=")
    assert re.search(r'value="manager" checked', body)
    assert "approve-channel-manager" not in re.findall(r'data-step="([^"]+)"', body)


@pytest.mark.parametrize("path, status, message", [
    ("/?pack=tyreso&action=like_page&page_category=comercial", 422,
     "has no value \"comercial\" (did you mean 'commercial'?)"),
    ("/?pack=tyrso&action=like_page", 404, "unknown pack 'tyrso' (did you mean 'tyreso'?)"),
    ("/?pack=tyreso&action=like_pag", 422, "unknown action 'like_pag'"),
    ("/?pack=tyreso&action=like_page&at=", 422, "fact 'page_category' is required"),
    ("/?pack=tyreso&action=like_page&page_categry=own", 422, "unknown fact \"page_categry\""),
    ("/?pack=tyreso&action=audit_channel&days_since_last_post=-1", 422, "whole number"),
    ("/?pack=tyreso&action=like_page&page_category=own&at=2025-13-01", 422, "2025-13-01"),
    ("/?pack=tyreso&action=close_channel&manager_consulted=perhaps", 422,
     "must be true or false"),
    ("/?lang=de", 400, "\"lang\" must be \"sv\" or \"en\""),
    ("/?pack=tyreso&action=like_page&page_category=own&page_category=authority", 422,
     "page_category"),
    ("/?pack=%00%ff&action=%f0", 404, "unknown pack"),
])
def test_bad_input_shows_the_engines_message_never_a_server_error(server, path, status, message):
    body = page(server, path, status)
    found = re.search(r'(?s)<section class="error".*?</section>', body)
    assert found and message in text(found.group(0))


def test_everything_is_escaped(server):
    evil = quote(EVIL_URL)
    for path in (f"/?pack={evil}", f"/?pack=tyreso&action={evil}",
                 f"/?pack=tyreso&action=create_channel&platform={evil}&at=",
                 f"/?pack=tyreso&action=like_page&page_category={evil}",
                 f"/?pack=tyreso&action=like_page&{evil}=1",
                 "/?pack=evil&action=like_page&page_category=commercial",
                 "/?pack=evil&action=like_page&page_category=commercial&lang=en",
                 f"/?lang={evil}", f"/compare?pack={evil}", f"/compare?topic={evil}",
                 "/compare", "/", f"/compare?lang={evil}"):
        body = server.get(path).body.decode()
        assert "<script>" not in body and "<img" not in body, path
        assert "onerror=alert" not in body.replace("onerror=alert(2)&gt;", ""), path
    shown = answer(page(server, "/?pack=evil&action=like_page&page_category=commercial"))
    assert EVIL in shown         # shown as text, whole


def test_pages_forbid_scripts_and_framing(server):
    reply = server.get("/")
    policy = reply.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert reply.headers["x-content-type-options"] == "nosniff"


def test_the_pages_are_well_formed_enough_to_parse(server):
    class Strict(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack = []

        def handle_starttag(self, tag, attrs):
            if tag not in ("meta", "input", "br", "img", "link"):
                self.stack.append(tag)

        def handle_endtag(self, tag):
            assert self.stack and self.stack.pop() == tag, tag

    for path in ("/", "/?pack=tyreso&action=create_channel&at=",
                 "/?pack=tyreso&action=like_page&page_category=x", "/compare",
                 "/compare?pack=tyreso&pack=vara&diff=1"):
        parser = Strict()
        parser.feed(server.get(path).body.decode())
        assert parser.stack == [], path


# ---- Compare ------------------------------------------------------------------------------

def test_compare_shows_the_matrix_in_swedish(server):
    body = page(server, "/compare?pack=tyreso&pack=vara")
    matrix = text(re.search(r'(?s)<table id="matrix".*?</table>', body).group(0))
    assert "Tyresö kommun" in matrix and "Vara kommun" in matrix
    assert "Töreboda" not in matrix
    assert "Vilka sidor kommunen får gilla" in matrix
    assert "avsnitt" in matrix


def test_compare_picks_topics_and_the_difference_of_two(server):
    one = page(server, "/compare?pack=tyreso&pack=vara&topic=allowed_likes")
    assert re.findall(r'<tr id="topic-([^"]+)"', one) == ["allowed_likes"]
    full = page(server, "/compare?pack=tyreso&pack=vara")
    diff = page(server, "/compare?pack=tyreso&pack=vara&diff=1")
    all_rows = re.findall(r'<tr id="topic-([^"]+)"', full)
    diff_rows = re.findall(r'<tr id="topic-([^"]+)"', diff)
    assert diff_rows and set(diff_rows) < set(all_rows)
    same = page(server, "/compare?pack=tyreso&pack=tyreso&diff=1")
    assert "Skillnader visas när exakt två" in text(same)    # one pack picked twice


def test_compare_errors_are_shown(server):
    assert "did you mean 'tyreso'" in text(page(server, "/compare?pack=tyrso", 404))
    assert "unknown topic 'allowed_like'" in text(page(server, "/compare?topic=allowed_like",
                                                       422))
    assert "YYYY-MM-DD" in text(page(server, "/compare?at=yesterday", 422))


# ---- the service around it ------------------------------------------------------------------

def test_the_desk_is_not_part_of_the_api_document(server):
    paths = server.get("/openapi.json").json["paths"]
    assert "/" not in paths and "/compare" not in paths
    assert {r.path for r in Service(ServiceConfig()).routes()} == set(paths)


def test_with_a_token_file_the_pages_need_a_token_too(tmp_path):
    (tmp_path / "tokens").write_text("desk-secret\n")
    s = Server(tmp_path, "--token-file", str(tmp_path / "tokens")).start()
    try:
        assert s.get("/").status == 401
        assert s.get("/compare").status == 401
        reply = s.get("/?pack=tyreso&action=like_page&page_category=own",
                      headers={"Authorization": "Bearer desk-secret"})
        assert reply.status == 200 and "Tillåtet" in answer(reply.body.decode())
    finally:
        s.stop()


def test_the_page_decides_as_the_engine_does():
    from engine.desk.decide_page import decide_page
    engine = Engine.load()
    for outcome, facts in (("deny", {"page_category": "commercial"}),
                           ("allow", {"page_category": "own"})):
        query = [("pack", "tyreso"), ("action", "like_page"), *facts.items(), ("at", "")]
        status, body = decide_page(engine, query)
        assert status == 200
        assert engine.decide("tyreso", "like_page", facts).outcome == outcome
        assert f'data-outcome="{outcome}"' in body


def test_the_playground_checks_in_the_installed_words():
    """The sandbox compiles a source in the words an engine with the installed plugins has
    (the contract's, here), and decides a request with it."""
    from engine.desk.sandbox import work
    source = (ROOT / "packs" / "perstorp" / "perstorp.policy").read_text(encoding="utf-8")
    out = work(source, None, '{"action": "answer_question", "facts": {"asked_at": '
                             '"2026-11-27T16:00", "answered_at": "2026-12-02T13:00", '
                             '"signed": true}, "at": "2026-12-02"}')
    assert not [d for d in out["diagnostics"] if d["severity"] == "error"], out["diagnostics"]
    assert out["request_error"] is None
    assert out["decision"]["outcome"] == "allow"


def test_a_permalink_names_the_day_it_was_decided_for(server):
    """An answer asked for today (the day left empty) links to that day, so the link
    shows the same answer when it is opened later; a day given stays that day."""
    import datetime as dt
    import html as _html
    import re as _re
    body = page(server, "/?pack=tyreso&action=like_page&page_category=commercial&at=")
    link = _html.unescape(_re.search(r'<a id="permalink" href="([^"]*)"', body).group(1))
    assert link == (f"/?pack=tyreso&action=like_page&page_category=commercial"
                    f"&at={dt.date.today().isoformat()}")
    body = page(server, "/?pack=tyreso&action=like_page&at=2025-06-02&page_category=own")
    link = _html.unescape(_re.search(r'<a id="permalink" href="([^"]*)"', body).group(1))
    assert link == "/?pack=tyreso&action=like_page&page_category=own&at=2025-06-02"


def test_compare_suggests_a_topic_by_its_title(server):
    import html as _html
    reply = server.get("/compare?topic=bilder")
    assert reply.status == 422
    assert "unknown topic 'bilder' (did you mean 'image_rights'?)" in _html.unescape(
        reply.body.decode())


def test_compare_keeps_its_day_and_says_who_is_left_out(server):
    """A day before Vara's guideline came into force: Vara is left out and the page says
    so; the form keeps the day, so pressing Show again compares the same day; the columns
    come in the form's order."""
    import html as _html
    import re as _re
    body = _html.unescape(page(server, "/compare?at=2023-01-01"))
    assert 'data-pack="vara"' not in body
    assert "Visas inte: Vara kommun, som inte har några riktlinjer som gäller 2023-01-01." in body
    assert '<input type="date" id="at" name="at" value="2023-01-01"' in body
    columns = _re.findall(r'<th scope="col" data-pack="([^"]+)"', body)
    boxes = _re.findall(r'<input type="checkbox" id="p-([^"]+)"', body)
    assert columns == [p for p in boxes if p != "vara"]
    assert "Visas inte" not in page(server, "/compare")


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize("method, path, status, said", [
    ("GET", "/compare/", 404, "Det finns ingen sida på /compare/."),
    ("GET", "/nosuch", 404, "Det finns ingen sida på /nosuch."),
    ("POST", "/", 405, "Sidan på / skickas inte på det sättet"),
    ("GET", "/nosuch?lang=en", 404, "There is no page at /nosuch."),
])
def test_a_browser_at_no_page_gets_a_page_and_a_program_json(server, method, path, status, said):
    import html as _html
    import json as _json
    reply = server.call(method, path, headers=BROWSER)
    assert reply.status == status
    body = _html.unescape(reply.body.decode())
    assert body.startswith("<!DOCTYPE html>") and said in body and 'href="/compare' in body
    reply = server.call(method, path)                   # no Accept: the API's JSON
    assert reply.status == status
    assert _json.loads(reply.body)["error"]["code"] in ("not-found", "method-not-allowed")
    reply = server.call("GET", "/v1/nosuch", headers=BROWSER)   # the API's paths stay JSON
    assert _json.loads(reply.body)["error"]["code"] == "not-found"


def test_a_browser_at_a_service_with_tokens_is_told_a_key_is_needed(tmp_path):
    import json as _json
    (tmp_path / "tokens").write_text("s3cret-token-for-tests\n")
    s = Server(tmp_path, "--token-file", str(tmp_path / "tokens")).start()
    try:
        reply = s.call("GET", "/", headers=BROWSER)
        assert reply.status == 401 and "Tjänsten kräver en nyckel" in reply.body.decode()
        assert reply.headers.get("www-authenticate") == 'Bearer realm="policy"'
        reply = s.call("GET", "/v1/packs", headers=BROWSER)
        assert reply.status == 401
        assert _json.loads(reply.body)["error"]["code"] == "unauthorized"
    finally:
        s.stop()

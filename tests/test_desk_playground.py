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
from tests.servers import Server

ROOT = Path(__file__).resolve().parent.parent
TYRESO = (ROOT / "packs/tyreso/tyreso.policy").read_text(encoding="utf-8")
TYRESO_TESTS = (ROOT / "packs/tyreso/tyreso.tests").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("playground")).start()
    yield s
    s.stop()


def post(server, **fields):
    return server.call("POST", "/playground", raw=urlencode(fields).encode(),
                       headers={"Content-Type": "application/x-www-form-urlencoded"},
                       timeout=30)


def textarea(body: str, name: str) -> str:
    found = re.search(rf'(?s)<textarea id="{name}"[^>]*>(.*?)</textarea>', body)
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
    assert "Inga fel eller varningar." in body or 'class="diagnostic' in body
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

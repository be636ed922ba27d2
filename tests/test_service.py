"""The HTTP decision service, run for real: ``policy serve`` in a subprocess, over HTTP.

One server (with a decision log and small limits) serves most tests; token auth, the
CLI's checks and several workers get their own. Reload, shutdown and crash tests are
in ``test_service_lifecycle.py``; schemathesis in ``test_service_schema.py``.
"""

from __future__ import annotations

import json
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.serialization import to_json
from tests.conftest import PROJECT_PACKS
from tests.servers import ROOT, Server, log_lines, signal, wait_for
from engine.contract import contract_vocabulary

WORDS = contract_vocabulary()

AT = "2025-01-01"
MAX_BODY = 65536
MAX_BATCH = 20


def req(pack: str, action: str, facts: dict | None = None, at: str | None = AT) -> dict:
    return {"pack": pack, "action": action, "facts": facts or {}, **({"at": at} if at else {})}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("service")
    s = Server(tmp, "--decision-log", str(tmp / "decisions.jsonl"), "--flush-interval", "0.05",
               "--max-body-size", str(MAX_BODY), "--max-batch", str(MAX_BATCH)).start()
    s.log = tmp / "decisions.jsonl"
    yield s
    s.stop()


def entries_of(server, request_id: str, count: int) -> list[dict]:
    """The decision log entries of one request, once ``count`` of them are written."""
    return wait_for(lambda: (lambda found: found if len(found) >= count else None)(
        [e for e in log_lines(server.log, writing=True) if e["request_id"] == request_id]))


# ---- /healthz, request ids -----------------------------------------------------------------

def test_health(server, engine):
    reply = server.get("/healthz")
    assert reply.status == 200
    # every installed pack: the project's five, and any other installed beside them
    assert reply.json == {"status": "ok", "packs": len(engine.packs), "failed": 0,
                          "generation": 1}
    served = {p["id"] for p in server.get("/v1/packs").json["packs"]}
    assert set(PROJECT_PACKS) <= served and len(served) == len(engine.packs)
    assert len(reply.headers["x-request-id"]) == 32


@pytest.mark.parametrize("given", [
    "pep-7:a/b", "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}", "req 42", "x" * 256,
    "a \"quoted\" id; with <brackets> & {braces}",
])
def test_a_printable_request_id_is_echoed_and_logged(server, given):
    reply = server.post("/v1/decide", req("tyreso", "close_channel"),
                        headers={"X-Request-ID": given})
    assert reply.status == 200
    assert reply.headers["x-request-id"] == given
    assert entries_of(server, given, 1)[0]["request_id"] == given


@pytest.mark.parametrize("given", [b"x" * 257, b"tab\there", "f\u00f6rfr\u00e5gan".encode(),
                                   b"\xff\xfe", b"bell\x07", b"del\x7f"])
def test_an_overlong_or_unprintable_request_id_is_replaced(server, given):
    """Control characters other than tab are refused by the HTTP parser itself (400)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as c:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: " + given +
                  b"\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := c.recv(65536):
            answer += chunk
    if given in (b"bell\x07", b"del\x7f"):
        assert answer.startswith(b"HTTP/1.1 400 ")
        return
    assert answer.startswith(b"HTTP/1.1 200 ")
    echoed = [line for line in answer.split(b"\r\n") if line.lower().startswith(b"x-request-id:")]
    assert len(echoed) == 1 and len(echoed[0].split(b": ", 1)[1]) == 32, echoed


# ---- /v1/decide ------------------------------------------------------------------------------

@pytest.mark.parametrize("request_body", [
    req("tyreso", "like_page", {"page_category": "commercial"}),
    req("vara", "create_channel", {"account_type": "organisation", "approved_by": ["manager"]}),
    req("norsjo", "use_private_account", {"purpose": "closed_professional_network"}),
    req("tyreso", "audit_channel", {"last_snapshot_on": "2024-01-31"}, at="2025-07-31"),
    req("perstorp", "close_channel"),
])
def test_decide_answers_what_the_python_api_answers(server, engine, request_body):
    reply = server.post("/v1/decide", request_body)
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json == to_json(engine.decide_request(request_body))


def test_decide_defaults_at_to_today(server, engine):
    from engine.core import today
    reply = server.post("/v1/decide", req("tyreso", "like_page", {"page_category": "own"},
                                          at=None))
    assert reply.json["at"] == today().isoformat()


@pytest.mark.parametrize("body, status, code, path", [
    (req("tyreso", "like_page", {"page_category": "comercial"}), 422, "unknown-value",
     "facts.page_category"),
    (req("tyreso", "like_page", {"page_category": "own", "colour": "red"}), 422,
     "unknown-fact", "facts.colour"),
    (req("tyreso", "like_page", {}), 422, "missing-fact", "facts.page_category"),
    (req("tyreso", "like_pages", {}), 422, "unknown-action", "action"),
    (req("tyresö", "like_page", {"page_category": "own"}), 404, "unknown-pack", "pack"),
    (req("tyreso", "like_page", {"page_category": "own"}, at="2025-13-01"), 422, "bad-date",
     "at"),
    ({"pack": "tyreso", "action": "like_page", "facts": {}, "extra": 1}, 422, "bad-request",
     "$"),
    ({"pack": 7, "action": "like_page"}, 422, "bad-request", "pack"),
    ({"pack": "tyreso", "action": "like_page", "facts": [1]}, 422, "bad-facts", "facts"),
    ([req("tyreso", "like_page", {"page_category": "own"})], 422, "bad-request", "$"),
    ("a string", 422, "bad-request", "$"),
    (req("tyreso", "audit_channel", {"days_since_last_post": -1}), 422, "bad-fact-value",
     "facts.days_since_last_post"),
])
def test_bad_requests_get_their_status_and_an_error_with_a_path(server, body, status, code,
                                                                   path):
    reply = server.post("/v1/decide", body)
    assert (reply.status, reply.json["error"]["code"], reply.json["error"]["path"]) == (
        status, code, path), reply.json
    assert set(reply.json) == {"error"} and set(reply.json["error"]) == {"code", "message",
                                                                        "path"}


@pytest.mark.parametrize("raw, status, code, words", [
    (b'{"pack": "tyreso"', 400, "malformed-json", "not valid JSON"),
    (b"", 400, "malformed-json", "empty"),
    (b'{"pack": "tyr\xe9so"}', 400, "malformed-json", "not valid UTF-8"),
    (b'\xef\xbb\xbf{"pack": "tyreso"}', 422, "bad-request", "action"),  # a BOM is dropped
    (b'{"pack": NaN}', 400, "malformed-json", "NaN is not a JSON value"),
    (b'{"pack": "a", "pack": "b"}', 400, "duplicate-key", "appears twice"),
    (b'{"facts": {"admin_count": 1' + b"0" * 5000 + b"}}", 422, "number-too-large", "digits"),
    (b'{"facts": {"admin_count": 1e999}}', 422, "number-too-large", "out of range"),
    (b"[" * 40 + b"]" * 40, 422, "too-deep", "nests deeper"),
    (b"[" * 100000 + b"]" * 100000, 413, "too-large", "larger than"),
    (b'{"a":' * 5000 + b"1" + b"}" * 5000, 422, "too-deep", "nests deeper"),
])
def test_garbage_gets_a_4xx_and_the_server_keeps_serving(server, raw, status, code, words):
    reply = server.post("/v1/decide", raw=raw)
    assert reply.status == status and reply.json["error"]["code"] == code, reply.body[:300]
    assert words in reply.json["error"]["message"]
    assert server.get("/healthz").status == 200


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
POSTS = ["/v1/decide", "/v1/decide/batch", "/access/v1/evaluation", "/access/v1/evaluations"]


@settings(max_examples=min(50, settings().max_examples), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(POSTS),
       body=st.binary(max_size=300) | JSON.map(lambda v: json.dumps(v).encode()))
def test_no_body_ever_gets_a_server_error(server, path, body):
    reply = server.post(path, raw=body)
    assert reply.status < 500, (reply.status, reply.body[:300])
    assert reply.headers["content-type"] == "application/json"
    if reply.status >= 400:
        assert set(reply.json["error"]) == {"code", "message", "path"}


def test_a_body_over_the_limit_gets_413_with_or_without_content_length(server):
    big = json.dumps(req("tyreso", "create_channel", {"account_type": "private",
                                                       "platform": "x" * MAX_BODY})).encode()
    assert server.post("/v1/decide", raw=big).status == 413
    # chunked: no Content-Length, the limit is counted while reading
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  b"Content-Type: application/json\r\n\r\n")
        for start in range(0, len(big), 8192):
            chunk = big[start:start + 8192]
            try:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:       # the server may answer and close before the end
                break
        answer = s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert server.get("/healthz").status == 200


def test_unknown_path_and_wrong_method_use_the_error_shape(server):
    missing = server.get("/v1/decides")
    assert missing.status == 404 and missing.json["error"]["code"] == "not-found"
    wrong = server.get("/v1/decide")
    assert wrong.status == 405 and wrong.json["error"]["code"] == "method-not-allowed"
    assert wrong.headers["allow"] == "POST"


# ---- /v1/decide/batch ------------------------------------------------------------------------

def test_batch_answers_in_order(server, engine):
    requests = [
        req("tyreso", "like_page", {"page_category": "commercial"}),
        req("tyreso", "like_page", {"page_category": "own"}),
        req("tyreso", "close_channel"),
        req("norsjo", "use_private_account", {"purpose": "official_communication"}),
        req("toreboda", "private_use_at_work", {"during_break": True}),
        req("tyreso", "like_page", {"page_category": "political_party"}),
    ]
    reply = server.post("/v1/decide/batch", {"requests": requests},
                        headers={"X-Request-ID": "batch-order"})
    assert reply.status == 200
    assert reply.json == {"decisions": [to_json(d) for d in engine.decide_many(requests)]}
    assert len({d["outcome"] for d in reply.json["decisions"]}) == 3
    logged = entries_of(server, "batch-order", len(requests))
    assert [e["index"] for e in logged] == list(range(len(requests)))
    assert [e["request"] for e in logged] == requests
    assert [e["decision"] for e in logged] == reply.json["decisions"]


def test_empty_batch(server):
    assert server.post("/v1/decide/batch", {"requests": []}).json == {"decisions": []}


def test_a_bad_request_rejects_the_whole_batch_and_logs_none_of_it(server):
    requests = [req("tyreso", "like_page", {"page_category": "own"}),
                req("norsjo", "close_channel"),
                req("norsjo", "use_private_account", {"purpose": "gossip"})]
    reply = server.post("/v1/decide/batch", {"requests": requests},
                        headers={"X-Request-ID": "bad-batch"})
    assert reply.status == 422
    assert reply.json["error"]["path"] == "[2].facts.purpose"
    assert reply.json["error"]["message"].startswith("request 2: ")
    unknown = server.post("/v1/decide/batch", {"requests": [req("nope", "close_channel")]})
    assert (unknown.status, unknown.json["error"]["path"]) == (404, "[0].pack")
    # a later request's entries are written, the rejected batch's never are
    server.post("/v1/decide", requests[0], headers={"X-Request-ID": "after-bad-batch"})
    entries_of(server, "after-bad-batch", 1)
    assert not [e for e in log_lines(server.log) if e["request_id"] == "bad-batch"]


@pytest.mark.parametrize("body, path, code", [
    ({"requests": [req("tyreso", "close_channel")] * (MAX_BATCH + 1)}, "requests",
     "batch-too-long"),
    ({"requests": "all of them"}, "requests", "bad-batch"),
    ({"request": []}, "requests", "bad-batch"),
    ({"requests": [], "more": 1}, "$", "bad-request"),
    ([], "$", "bad-batch"),
])
def test_bad_batches_get_422(server, body, path, code):
    reply = server.post("/v1/decide/batch", body)
    assert (reply.status, reply.json["error"]["path"], reply.json["error"]["code"]) == (
        422, path, code), reply.json


# ---- packs and explain -----------------------------------------------------------------------

def test_packs_list_every_pack_with_its_version(server, engine):
    packs = server.get("/v1/packs").json["packs"]
    assert [p["id"] for p in packs] == sorted(engine.packs)
    for p in packs:
        loaded = engine.loaded[p["id"]]
        assert p["status"] == "ok" and p["errors"] == []
        assert (p["version"], p["name"], p["rules"], p["origin"]) == (
            loaded.pack.version, loaded.pack.name, loaded.pack.rule_count, loaded.pack.origin)
        assert len(p["digest"]) == 64 and p["loaded_at"]


def test_one_pack_and_an_unknown_one(server):
    tyreso = server.get("/v1/packs/tyreso")
    assert tyreso.status == 200 and tyreso.json["name"] == "Tyresö kommun"
    missing = server.get("/v1/packs/tyres")
    assert missing.status == 404 and "did you mean 'tyreso'" in missing.json["error"]["message"]
    named = server.get("/v1/packs/T%C3%B6reboda%20kommun")       # as the municipality writes it
    assert named.status == 404 and "did you mean 'toreboda'" in named.json["error"]["message"]


def test_explain_compares_the_packs_on_the_contract_topics(server, engine):
    """/v1/explain is `policy explain --format json`: the contract's topics among them,
    each cell the pack's own setting."""
    from engine.core import today
    from engine.explain.comparison import closed, compare
    from engine.serialization import to_json
    data = server.get("/v1/explain").json
    assert data == to_json(compare({p: engine.packs[p] for p in sorted(engine.packs)}, today()))
    topics = {t["id"]: t for t in data["topics"]}
    assert {"channel_approver", "credential_custody", "snapshot_interval", "allowed_likes",
            "break_time_use"} <= set(topics)
    for topic_id in WORDS.topics:
        assert set(topics[topic_id]["values"]) == set(engine.packs)
        for pack_id, cell in topics[topic_id]["values"].items():
            setting = engine.packs[pack_id].topics[topic_id]
            if topic_id == "allowed_likes" and setting.value is not None:
                assert cell["value"] == dict(setting.value, only=closed(engine.packs[pack_id],
                                                                         "like_page"))
            else:
                assert cell["value"] == setting.value
            assert cell["summary"] == (setting.summary.en if setting.summary else None)


# ---- AuthZEN ---------------------------------------------------------------------------------

def evaluation(pack_subject: dict, action: str, facts: dict | None = None, **extra) -> dict:
    return {"subject": pack_subject, "action": {"name": action},
            "resource": {"type": "page", "id": "https://example.org/p",
                         **({"properties": facts} if facts is not None else {})},
            "context": {"at": AT}, **extra}


USER = {"type": "user", "id": "anna@tyreso.se", "properties": {"pack": "tyreso"}}
TYRESO = {"type": "municipality", "id": "tyreso"}


def test_authzen_allow_is_true_and_deny_false_with_the_decision_as_context(server, engine):
    allow = server.post("/access/v1/evaluation",
                        evaluation(TYRESO, "like_page", {"page_category": "own"}))
    deny = server.post("/access/v1/evaluation",
                       evaluation(USER, "like_page", {"page_category": "commercial"}))
    assert allow.status == deny.status == 200
    assert allow.json["decision"] is True and deny.json["decision"] is False
    assert deny.json["context"] == to_json(engine.decide(
        "tyreso", "like_page", {"page_category": "commercial"}, AT))


def test_authzen_required_steps_is_false_with_the_steps_in_the_context(server):
    reply = server.post("/access/v1/evaluation", evaluation(USER, "close_channel"),
                        headers={"X-Request-ID": "authzen-steps"})
    assert reply.json["decision"] is False
    assert reply.json["context"]["outcome"] == "required_steps"
    assert [s["id"] for s in reply.json["context"]["steps"]] == [
        "consult-manager", "consult-communicator", "publish-farewell-post"]
    (entry,) = entries_of(server, "authzen-steps", 1)
    assert entry["source"] == "authzen"
    assert entry["authzen"]["subject"]["id"] == "anna@tyreso.se"
    assert entry["authzen"]["resource"] == {"type": "page", "id": "https://example.org/p"}


def test_authzen_ignores_unknown_fields(server):
    body = evaluation(dict(TYRESO, colour="blue"), "like_page", {"page_category": "own"},
                      future_field={"x": 1})
    assert server.post("/access/v1/evaluation", body).json["decision"] is True


@pytest.mark.parametrize("body, path, code, status", [
    (evaluation({"type": "user", "id": "x"}, "like_page", {"page_category": "own"}),
     "subject.properties.pack", "missing-pack", 400),
    (evaluation({"type": "municipality", "id": "tyreso", "properties": {"pack": "vara"}},
                "like_page", {"page_category": "own"}), "subject.properties.pack",
     "bad-request", 400),
    (evaluation(TYRESO, "like_page", {"page_category": "comercial"}),
     "resource.properties.page_category", "unknown-value", 400),
    (evaluation(TYRESO, "like_pages", {}), "action.name", "unknown-action", 400),
    (evaluation({"type": "municipality", "id": "tyresx"}, "like_page", {}), "subject.id",
     "unknown-pack", 404),
    ({"subject": TYRESO, "action": {"name": "like_page"}}, "resource", "bad-request", 400),
    ({"subject": TYRESO, "action": {"name": 3}, "resource": {"type": "p", "id": "1"}},
     "action.name", "bad-request", 400),
    (dict(evaluation(TYRESO, "like_page", {"page_category": "own"}), context={"at": "soon"}),
     "context.at", "bad-date", 400),
])
def test_authzen_errors(server, body, path, code, status):
    reply = server.post("/access/v1/evaluation", body)
    assert (reply.status, reply.json["error"]["path"], reply.json["error"]["code"]) == (
        status, path, code), reply.json


def test_authzen_evaluations_take_defaults_answer_in_order_and_per_item_errors(server):
    body = {
        "subject": {"type": "municipality", "id": "vara"},
        "action": {"name": "like_page"},
        "context": {"at": AT},
        "evaluations": [
            {"resource": {"type": "page", "id": "1", "properties": {"page_category": "own"}}},
            {"resource": {"type": "page", "id": "2", "properties": {"page_category": "x"}}},
            {"subject": TYRESO,
             "resource": {"type": "page", "id": "3", "properties": {"page_category": "own"}}},
            {"subject": TYRESO, "resource": {"type": "page", "id": "4",
                                             "properties": {"page_category": "commercial"}}},
        ]}
    answers = server.post("/access/v1/evaluations", body).json["evaluations"]
    assert [a["decision"] for a in answers] == [True, False, True, False]
    assert [a["context"].get("pack") for a in answers] == ["vara", None, "tyreso", "tyreso"]
    assert answers[1]["context"]["error"]["path"] == "evaluations[1].resource.properties." \
                                                     "page_category"
    assert answers[1]["context"]["error"]["status"] == 400


@pytest.mark.parametrize("semantic, decisions", [
    ("execute_all", [True, False, True]),
    ("deny_on_first_deny", [True, False]),
    ("permit_on_first_permit", [True]),
])
def test_authzen_evaluation_semantics(server, semantic, decisions):
    body = {"subject": TYRESO, "action": {"name": "like_page"},
            "options": {"evaluations_semantic": semantic},
            "evaluations": [{"resource": {"type": "p", "id": str(i), "properties": {
                "page_category": category}}} for i, category in
                enumerate(["own", "commercial", "own"])]}
    answers = server.post("/access/v1/evaluations", body).json["evaluations"]
    assert [a["decision"] for a in answers] == decisions


def test_authzen_evaluations_without_a_list_is_one_evaluation(server):
    body = evaluation(TYRESO, "like_page", {"page_category": "own"}, evaluations=[])
    reply = server.post("/access/v1/evaluations", body)
    assert reply.status == 200 and reply.json["decision"] is True and "evaluations" not in \
        reply.json


@pytest.mark.parametrize("body, path", [
    ({"action": {"name": "like_page"}, "evaluations": [{"resource": {"type": "p", "id": "1"}}]},
     "evaluations[0].subject"),
    ({"subject": {"type": "user"}, "evaluations": [{}]}, "subject.id"),
    ({"options": {"evaluations_semantic": "first"}, "evaluations": [{}]},
     "options.evaluations_semantic"),
    ({"evaluations": {"a": 1}}, "evaluations"),
    ({"subject": TYRESO, "action": {"name": "like_page"}, "resource": {"type": "p", "id": "1"},
      "evaluations": [{}] * (MAX_BATCH + 1)}, "evaluations"),
])
def test_authzen_evaluations_that_cannot_be_read_get_400(server, body, path):
    reply = server.post("/access/v1/evaluations", body)
    assert (reply.status, reply.json["error"]["path"]) == (400, path), reply.json


def test_authzen_configuration(server):
    config = server.get("/.well-known/authzen-configuration").json
    base = f"http://127.0.0.1:{server.port}"
    assert config == {"policy_decision_point": base,
                      "access_evaluation_endpoint": f"{base}/access/v1/evaluation",
                      "access_evaluations_endpoint": f"{base}/access/v1/evaluations"}


# ---- the decision log ------------------------------------------------------------------------

def test_every_decision_is_logged_with_request_pack_version_time_and_request_id(server):
    body = req("tyreso", "like_page", {"page_category": "commercial"})
    reply = server.post("/v1/decide", body, headers={"X-Request-ID": "log-one"})
    (entry,) = entries_of(server, "log-one", 1)
    assert entry["request"] == body and entry["decision"] == reply.json
    assert (entry["pack"], entry["pack_version"], entry["source"]) == ("tyreso", "1.2.0", "http")
    assert entry["pack_digest"] == server.get("/v1/packs/tyreso").json["digest"]
    assert entry["time"].endswith("+00:00") and len(entry["decision_id"]) == 32


def test_policy_packs_and_the_service_count_rules_alike(server, engine):
    """One count of rules everywhere: the rules as the source writes them, an 'only when'
    rule (two compiled halves) and a 'for each' rule (one per value) once each."""
    import re
    from tests.test_cli import policy
    listed = {row["id"]: row["rules"] for row in json.loads(policy("packs", "--format", "json").stdout)}
    served = {p["id"]: p["rules"] for p in server.get("/v1/packs").json["packs"]}
    for pack_id in PROJECT_PACKS:
        source = (ROOT / "packs" / pack_id / f"{pack_id}.policy").read_text(encoding="utf-8")
        written = len(re.findall(r"(?m)^rule ", source))
        assert listed[pack_id] == served[pack_id] == written, pack_id
        assert server.get(f"/v1/packs/{pack_id}").json["rules"] == written
    # the count differs from what the rules compile into, so it is a choice, kept
    assert all(len(engine.packs[p].rules) > listed[p] for p in PROJECT_PACKS)


def test_the_openapi_document_lists_every_route(server):
    from engine.service.app import Service, ServiceConfig
    doc = server.get("/openapi.json").json
    assert doc["openapi"].startswith("3.0")
    routes = {route.path for route in Service(ServiceConfig()).routes()}
    assert set(doc["paths"]) == routes
    enum = doc["components"]["schemas"]["Request_like_page"]["properties"]["pack"]["enum"]
    assert set(PROJECT_PACKS) <= set(enum) and enum == sorted(enum)


# ---- token authentication --------------------------------------------------------------------

@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("guarded")
    (tmp / "tokens").write_text("# the publishing system\nsecret-one\n\nsecret-two\n")
    s = Server(tmp, "--token-file", str(tmp / "tokens")).start()
    yield s
    s.stop()


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/v1/decide", req("tyreso", "like_page", {"page_category": "own"})),
    ("POST", "/v1/decide/batch", {"requests": []}),
    ("GET", "/v1/packs", None),
    ("GET", "/v1/packs/tyreso", None),
    ("GET", "/v1/explain", None),
    ("GET", "/openapi.json", None),
    ("POST", "/access/v1/evaluation", evaluation(TYRESO, "like_page", {"page_category": "own"})),
    ("POST", "/access/v1/evaluations", {"evaluations": []}),
    ("GET", "/.well-known/authzen-configuration", None),
    ("GET", "/no/such/path", None),
])
def test_every_endpoint_but_healthz_needs_the_token(guarded, method, path, body):
    for headers in ({}, {"Authorization": "Bearer secret-three"}, {"Authorization": "secret-one"},
                    {"Authorization": "Basic c2VjcmV0LW9uZQ=="}, {"Authorization": "Bearer "}):
        reply = guarded.call(method, path, body, headers=headers)
        assert reply.status == 401, (headers, reply.status)
        assert reply.json["error"]["code"] == "unauthorized"
        assert reply.headers["www-authenticate"].startswith("Bearer")
    for token in ("secret-one", "secret-two"):
        reply = guarded.call(method, path, body, headers={"Authorization": f"Bearer {token}"})
        assert reply.status != 401, reply.json


def test_healthz_needs_no_token(guarded):
    assert guarded.get("/healthz").status == 200


def test_two_workers_share_one_log(tmp_path):
    log = tmp_path / "decisions.jsonl"
    s = Server(tmp_path, "--workers", "2", "--decision-log", str(log)).start()
    try:
        for i in range(30):
            assert s.post("/v1/decide", req("vara", "like_page", {"page_category": "own"}),
                          headers={"X-Request-ID": f"w{i}"}).status == 200
    finally:
        assert s.stop() in (0, -signal.SIGTERM)
    assert sorted(e["request_id"] for e in log_lines(log)) == sorted(f"w{i}" for i in range(30))


def test_the_readme_client_example_works_as_written(server):
    readme = (ROOT / "README.md").read_text()
    start = readme.index("```python", readme.index("A calling system in Python needs"))
    code = readme[start + len("```python"):readme.index("```", start + 3)]
    namespace: dict = {}
    exec(compile(code.replace("http://127.0.0.1:8181", f"http://127.0.0.1:{server.port}"),
                 "README.md", "exec"), namespace)
    assert namespace["decision"]["outcome"] == "required_steps"
    with pytest.raises(ValueError, match="did you mean 'commercial'"):
        namespace["decide"]("tyreso", "like_page", {"page_category": "comercial"})


def test_explain_compares_the_editions_in_force_on_a_day(server):
    before = server.get("/v1/explain?at=2023-06-01")
    assert before.status == 200
    assert "vara" not in before.json["packs"]          # Vara is in force from 2024-02-21
    assert before.json["at"] == "2023-06-01"
    after = server.get("/v1/explain?at=2024-02-21")
    assert "vara" in after.json["packs"]
    bad = server.get("/v1/explain?at=2024-02-30")
    assert (bad.status, bad.json["error"]["code"]) == (422, "bad-date")

"""schemathesis against the running service's own ``/openapi.json``.

For every operation, generated requests that fit the document and requests that do
not; every response must be no server error, have a documented status and content
type, and match the documented schema. Requests that fit must be accepted and those
that do not rejected, so the document says exactly what the service does. The
examples per operation and mode are bounded: 25, or the hypothesis profile's number
when smaller (the ``long`` profile's when it is in use).

The operations are listed from the application's routes, so the test is collected
without a server; the server starts once for the module.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               negative_data_rejection,
                                               positive_data_acceptance,
                                               response_schema_conformance,
                                               status_code_conformance)

from engine.core import Engine
from engine.errors import RequestError
from engine.service.app import Service, ServiceConfig
from engine.service.authzen import PACK_SUBJECT_TYPE
from tests.servers import served

PROFILE_EXAMPLES = settings().max_examples      # the loaded hypothesis profile's
MAX_EXAMPLES = PROFILE_EXAMPLES if PROFILE_EXAMPLES > 1000 else min(25, PROFILE_EXAMPLES)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection, positive_data_acceptance]
OPERATIONS = [(method, route.path, mode) for route in Service(ServiceConfig()).routes()
              for method in sorted(route.methods or ()) if method != "HEAD"
              for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
              # a GET without parameters has nothing that could be made invalid
              if mode == GenerationMode.POSITIVE or method == "POST" or "{" in route.path]


service = served("schema", "--max-batch", "5")


@pytest.fixture(scope="module")
def api_schema(service):
    return schemathesis.openapi.from_url(f"http://127.0.0.1:{service.port}/openapi.json")


_ENGINE = Engine.load()


def _not_in_force(body: Any) -> bool:
    """Whether a request body (one request or a batch) names a day, before any other
    fault, on which its pack is not in force."""
    items = body.get("requests") if isinstance(body, dict) and "requests" in body else [body]
    if isinstance(body, dict) and "evaluations" in body and isinstance(body["evaluations"], list):
        items = [{**body, **e} if isinstance(e, dict) else e for e in body["evaluations"]]
    if not isinstance(items, list):
        return False
    items = [_authzen_as_request(i) if isinstance(i, dict) and "subject" in i else i
             for i in items]
    for item in items:
        if not (isinstance(item, dict) and isinstance(item.get("pack"), str)
                and item["pack"] in _ENGINE.packs and isinstance(item.get("at"), str)):
            continue
        try:
            _ENGINE.edition(item["pack"], item["at"])
        except RequestError as e:
            if e.code == "not-in-force":
                return True
    return False


def _times_the_calendar_refuses(body: Any) -> bool:
    """Whether a request body (one request or a batch, or an AuthZEN one) gives a time or
    an ``at`` that fits the documented pattern but not the calendar (30 February, year 0),
    or an answer before its question: a pattern cannot say either, so the service refuses
    the request (codes ``bad-date``, ``bad-fact-value``)."""
    from engine.office_hours import parse_datetime
    from engine.vocabulary import parse_at
    found: list[dict] = []
    refused = False

    def walk(value: Any) -> None:
        nonlocal refused
        if isinstance(value, dict):
            if "asked_at" in value or "answered_at" in value:
                found.append(value)
            at = value.get("at")
            if isinstance(at, str) and parse_at(at) is None:
                refused = True
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)
    walk(body)
    for facts in found:
        times = [facts.get(k) for k in ("asked_at", "answered_at") if isinstance(facts.get(k), str)]
        parsed = [parse_datetime(t) for t in times]
        if any(p is None for p in parsed) or (len(parsed) == 2 and parsed[1] < parsed[0]):
            refused = True
    return refused


def _authzen_as_request(body: dict) -> dict:
    """The pack and day an AuthZEN body names (a municipality subject, or its property)."""
    subject, context = body.get("subject"), body.get("context")
    pack = None
    if isinstance(subject, dict):
        props = subject.get("properties")
        pack = (subject.get("id") if subject.get("type") == PACK_SUBJECT_TYPE
                else props.get("pack") if isinstance(props, dict) else None)
    at = context.get("at") if isinstance(context, dict) else None
    return {"pack": pack, "at": at}


@pytest.mark.parametrize("method, path, mode", OPERATIONS)
def test_responses_are_documented_and_never_a_server_error(api_schema, service, method, path,
                                                          mode):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        # Requests that fit the schema but not the calendar: a day a pack is not in force
        # on, 30 February, an answer before its question. The schema cannot say these, so
        # the service refuses them: /v1 with 422, an AuthZEN evaluation with 400, and an
        # AuthZEN list with the error in the evaluation's own answer.
        refused = {"not-in-force"} if _not_in_force(case.body) else set()
        if mode == GenerationMode.POSITIVE and _times_the_calendar_refuses(case.body):
            refused |= {"bad-date", "bad-fact-value"}     # whichever the service meets first
        if refused:
            response = case.call()
            if path == "/access/v1/evaluations":
                assert response.status_code in (200, 400), response.text
                if response.status_code == 400 or mode != GenerationMode.POSITIVE:
                    return
                errors = [a["context"]["error"] for a in response.json()["evaluations"]
                          if "error" in (a.get("context") or {})]
                assert any(e["code"] in refused for e in errors), response.text
                return
            assert response.status_code == (400 if path.startswith("/access") else 422), \
                response.text
            if mode == GenerationMode.POSITIVE:   # else another fault may be named first
                assert response.json()["error"]["code"] in refused
            return
        case.call_and_validate(checks=CHECKS)

    run()
    assert service.process.poll() is None

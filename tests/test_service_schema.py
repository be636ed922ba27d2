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
from tests.servers import Server

PROFILE_EXAMPLES = settings().max_examples      # the loaded hypothesis profile's
MAX_EXAMPLES = PROFILE_EXAMPLES if PROFILE_EXAMPLES > 1000 else min(25, PROFILE_EXAMPLES)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection, positive_data_acceptance]
OPERATIONS = [(method, route.path, mode) for route in Service(ServiceConfig()).routes()
              for method in sorted(route.methods or ()) if method != "HEAD"
              for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
              # a GET without parameters has nothing that could be made invalid
              if mode == GenerationMode.POSITIVE or method == "POST" or "{" in route.path]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("schema"), "--max-batch", "5").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def api_schema(service):
    return schemathesis.openapi.from_url(f"http://127.0.0.1:{service.port}/openapi.json")


_ENGINE = Engine.load()


def _requests(path: str, body: Any) -> list[tuple[Any, Any]]:
    """The (pack, at) of each request a body holds, as the operation at ``path`` reads
    them: one request or a batch of them, or an AuthZEN evaluation (the pack in
    ``subject.properties.pack``, or ``subject.id`` of a municipality; ``context.at``)."""
    if not isinstance(body, dict):
        return []
    if path.startswith("/access/"):
        if path.endswith("/evaluations") and body.get("evaluations"):
            return []               # each item answers for itself, inside a 200
        subject = body.get("subject")
        context = body.get("context")
        if not isinstance(subject, dict) or not isinstance(context, dict):
            return []
        properties = subject.get("properties")
        pack = properties.get("pack") if isinstance(properties, dict) else None
        if pack is None and subject.get("type") == "municipality":
            pack = subject.get("id")
        return [(pack, context.get("at"))]
    items = body.get("requests") if "requests" in body else [body]
    if not isinstance(items, list):
        return []
    return [(item.get("pack"), item.get("at")) for item in items if isinstance(item, dict)]


def _not_in_force(path: str, body: Any) -> bool:
    """Whether a request body names a day, before any other fault, on which its pack is
    not in force."""
    for pack, at in _requests(path, body):
        if not (isinstance(pack, str) and pack in _ENGINE.packs and isinstance(at, str)):
            continue
        try:
            _ENGINE.edition(pack, at)
        except RequestError as e:
            if e.code == "not-in-force":
                return True
    return False


@pytest.mark.parametrize("method, path, mode", OPERATIONS)
def test_responses_are_documented_and_never_a_server_error(api_schema, service, method, path,
                                                          mode):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        if _not_in_force(path, case.body):
            # Fits the schema, but names a day its pack is not in force on: a 422 with
            # code not-in-force (the schema cannot say which days each pack holds); an
            # AuthZEN evaluation answers 400, as that API does for a bad request.
            response = case.call()
            assert response.status_code == (400 if path.startswith("/access/") else 422), \
                response.text
            if mode == GenerationMode.POSITIVE:   # else another fault may be named first
                assert response.json()["error"]["code"] == "not-in-force"
            return
        case.call_and_validate(checks=CHECKS)

    run()
    assert service.process.poll() is None

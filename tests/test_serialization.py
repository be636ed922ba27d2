"""JSON in and out through the one converter."""

from __future__ import annotations

import json

import pytest

from engine.errors import RequestError
from engine.model import Request
from engine.serialization import request_from_json, to_json
from tests.conftest import AT


def test_decision_json_has_the_contract_shape(engine):
    d = engine.decide("tyreso", "create_channel", {"account_type": "organisation"}, AT)
    data = to_json(d)
    assert list(data)[:6] == ["pack", "action", "outcome", "steps", "reasons", "by_default"]
    assert data["outcome"] == "required_steps" and data["by_default"] is False
    step = data["steps"][0]
    assert set(step) == {"id", "text", "by", "level", "source"}
    assert step["source"] == {"pack": "tyreso", "section": "Uppstart av ny kanal"}
    reason = data["reasons"][0]
    assert set(reason) == {"rule", "effect", "level", "text", "source"}
    assert data["at"] == "2025-01-01" and data["pack_version"] == "1.2.0"
    json.dumps(data)


def test_request_round_trip():
    data = {"pack": "tyreso", "action": "like_page", "facts": {"page_category": "own"},
            "at": "2025-01-01"}
    request = request_from_json(data)
    assert request == Request("tyreso", "like_page", {"page_category": "own"}, AT)
    assert to_json(request) == data


@pytest.mark.parametrize("data, message, path", [
    ([], "a request must be a JSON object", "$"),
    ({"action": "like_page", "facts": {}}, "$: required field missing" , None),
    ({"pack": "tyreso", "action": "like_page", "facts": [], "at": None},
     "\"facts\" must be a JSON object", "facts"),
    ({"pack": "tyreso", "action": "like_page", "facts": {}, "at": "2025-1-1"},
     "at: expected a date as \"YYYY-MM-DD\" or a time as \"YYYY-MM-DDTHH:MM\", got \"2025-1-1\"", "at"),
    ({"pack": "tyreso", "action": "like_page", "facts": {}, "extra": 1},
     "unknown field(s) 'extra'", "$"),
    ({"pack": 3, "action": "like_page", "facts": {}}, "pack: expected a string, got 3", "pack"),
])
def test_bad_request_json(data, message, path):
    with pytest.raises(RequestError) as info:
        request_from_json(data)
    if path is not None:
        assert info.value.path == path
    assert message.split(": ", 1)[-1] in str(info.value) if path is None else message in str(info.value)


@pytest.mark.parametrize("data", [
    {"pack": "tyreso", "action": "like_page", "facts": {"page_category": "own"}, "at": "2025-1-1"},
    {"pack": "tyreso", "action": "like_page", "facts": {"page_category": "own"}, "at": 20250101},
    {"pack": "tyreso", "action": "like_page", "facts": {}, "extra": True},
    {"pack": "tyreso", "facts": {}},
])
def test_request_objects_fail_as_the_converter_says(engine, data):
    with pytest.raises(RequestError) as direct:
        request_from_json(data)
    with pytest.raises(RequestError) as via_engine:
        engine.decide_request(data)
    assert str(via_engine.value) == str(direct.value)


def test_plain_request_objects_decide_like_structured_ones(engine):
    data = {"pack": "tyreso", "action": "like_page", "facts": {"page_category": "own"},
            "at": "2025-01-01"}
    assert engine.decide_request(data) == engine.decide_request(request_from_json(data))
    assert engine.decide_request(dict(data, at=None)).at == engine.decide_request(
        {k: v for k, v in data.items() if k != "at"}).at

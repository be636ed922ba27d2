"""Request validation: every kind of bad input gets a message naming what is valid."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.errors import RequestError, UnknownPackError
from tests.conftest import AT


@pytest.mark.parametrize("pack, action, facts, message, path", [
    ("tyreso", "like_page", {"page_categry": "own"},
     "unknown fact \"page_categry\" for action 'like_page' (did you mean 'page_category'?); "
     "its facts are 'page_category'", "facts.page_categry"),
    ("tyreso", "like_page", {},
     "fact 'page_category' is required for action 'like_page'; valid values are", "facts.page_category"),
    ("tyreso", "like_page", {"page_category": "comercial"},
     "has no value \"comercial\" (did you mean 'commercial'?); valid values are", "facts.page_category"),
    ("tyreso", "create_channel", {"account_type": "organisation", "admin_count": "2"},
     "fact 'admin_count' of action 'create_channel' must be a whole number ≥ 0, got \"2\"",
     "facts.admin_count"),
    ("tyreso", "create_channel", {"account_type": "organisation", "admin_count": -1},
     "must be a whole number ≥ 0, got -1", "facts.admin_count"),
    ("tyreso", "create_channel", {"account_type": "organisation", "admin_count": True},
     "must be a whole number ≥ 0, got true", "facts.admin_count"),
    ("tyreso", "create_channel", {"account_type": "organisation", "substitute_appointed": 1},
     "must be true or false, got 1", "facts.substitute_appointed"),
    ("tyreso", "create_channel", {"account_type": "organisation", "approved_by": "manager"},
     "must be a list of role values, got \"manager\"", "facts.approved_by"),
    ("tyreso", "create_channel", {"account_type": "organisation", "approved_by": ["managr"]},
     "has no role \"managr\" (did you mean 'manager'?)", "facts.approved_by"),
    ("tyreso", "create_channel", {"account_type": "organisation",
                                  "approved_by": ["manager", "manager"]},
     "lists a value twice", "facts.approved_by"),
    ("tyreso", "create_channel", {"account_type": "organisation", "credential_holders": []},
     "unknown fact \"credential_holders\"", "facts.credential_holders"),
    ("tyreso", "audit_channel", {"last_snapshot_on": "2025-02-30"},
     "must be a date as \"YYYY-MM-DD\", got \"2025-02-30\"", "facts.last_snapshot_on"),
    ("tyreso", "like_pag", {}, "unknown action 'like_pag' (did you mean 'like_page'?)", "action"),
    # the glossary's labels, Swedish or English, lead to the names they label
    ("tyreso", "gilla en sida", {}, "unknown action 'gilla en sida' (did you mean 'like_page'?)",
     "action"),
    ("tyreso", "Gilla", {}, "unknown action 'Gilla' (did you mean 'like_page'?)", "action"),
    ("tyreso", "like_page", {"page_category": "Företag"},
     "has no value \"Företag\" (did you mean 'commercial'?)", "facts.page_category"),
    ("tyreso", "like_page", {"page_category": "political parties"},
     "has no value \"political parties\" (did you mean 'political_party'?)",
     "facts.page_category"),
    ("tyreso", "create_channel", {"account_type": "organisation", "approved_by": ["chef"]},
     "has no role \"chef\" (did you mean 'manager'?)", "facts.approved_by"),
    # another form of a label's word, a compound's head; several names sharing it: none
    ("tyreso", "like_page", {"page_category": "förening"},
     "has no value \"förening\" (did you mean 'local_association'?)", "facts.page_category"),
    ("tyreso", "like_page", {"page_category": "partier"},
     "has no value \"partier\" (did you mean 'political_party'?)", "facts.page_category"),
    ("tyreso", "like_page", {"page_category": "övrigt"},
     "has no value \"övrigt\" (did you mean 'other'?)", "facts.page_category"),
    ("tyreso", "like_page", {"page_category": "idrottsförening"},
     "has no value \"idrottsförening\" (did you mean 'local_association'?)",
     "facts.page_category"),
    ("tyreso", "create_channel", {"account_type": "organisation", "approved_by": ["enhetschef"]},
     "has no role \"enhetschef\" (did you mean 'manager'?)", "facts.approved_by"),
    ("tyreso", "create_channel", {"account_type": "organisation",
                                  "approved_by": ["verksamhetschef"]},
     "has no role \"verksamhetschef\" (did you mean 'manager'?)", "facts.approved_by"),
    ("tyreso", "skapa konto", {}, "unknown action 'skapa konto'; actions are", "action"),
    ("tyreso", "like_page", {"typ av sida": "own"},
     "unknown fact \"typ av sida\" for action 'like_page' (did you mean 'page_category'?)",
     "facts.typ av sida"),
])
def test_bad_requests(engine, pack, action, facts, message, path):
    with pytest.raises(RequestError) as info:
        engine.decide(pack, action, facts, AT)
    assert message in str(info.value)
    assert info.value.path == path
    assert isinstance(info.value, ValueError)


def test_a_word_every_municipality_shares_suggests_none(engine):
    with pytest.raises(UnknownPackError) as info:
        engine.decide("kommun", "like_page", {}, AT)
    assert "did you mean" not in str(info.value)


def test_unknown_pack(engine):
    with pytest.raises(UnknownPackError, match=r"unknown pack 'tyresö' \(did you mean 'tyreso'\?\)"):
        engine.decide("tyresö", "like_page", {"page_category": "own"}, AT)


def test_bad_at(engine):
    with pytest.raises(RequestError, match="\"at\" must be a date"):
        engine.decide("tyreso", "like_page", {"page_category": "own"}, "tomorrow")


@pytest.mark.parametrize("at, facts, said", [
    ("2026-02-30", {}, "(February 2026 has 28 days; write YYYY-MM-DD with a real day)"),
    ("2025-01-01", {"last_snapshot_on": "2026-13-01"},
     "(there is no month 13; months run from 01 to 12)"),
])
def test_a_date_whose_day_does_not_exist_says_why(engine, at, facts, said):
    """As a pack or test file says it: the month's days, the months' numbers."""
    with pytest.raises(RequestError) as info:
        engine.decide("tyreso", "audit_channel", facts, at)
    assert str(info.value).endswith(said)


def test_a_time_whose_day_does_not_exist_says_why(engine):
    with pytest.raises(RequestError, match=r"\(April 2026 has 30 days; "):
        engine.decide("tyreso", "answer_question", {"asked_at": "2026-04-31T10:00"}, AT)


def test_facts_are_normalised(engine):
    d1 = engine.decide("tyreso", "audit_channel", {"last_snapshot_on": "2025-01-01"}, AT)
    d2 = engine.decide("tyreso", "audit_channel", {"last_snapshot_on": dt.date(2025, 1, 1)}, AT)
    assert d1 == d2
    s1 = engine.decide("tyreso", "create_channel", {"account_type": "organisation",
                                                    "approved_by": ["manager"]}, AT)
    s2 = engine.decide("tyreso", "create_channel", {"account_type": "organisation",
                                                    "approved_by": {"manager"}}, AT)
    assert s1 == s2


@pytest.mark.parametrize("call", [
    lambda e: e.decide("tyreso", "like_page", {"page_category": 10 ** 5000}, AT),
    lambda e: e.decide("tyreso", "like_page", {10 ** 5000: "own"}, AT),
    lambda e: e.decide(10 ** 5000, "like_page", {}, AT),
    lambda e: e.decide("tyreso", 10 ** 5000, {}, AT),
    lambda e: e.decide("tyreso", "like_page", {"page_category": "own"}, 10 ** 5000),
])
def test_numbers_too_long_to_print_are_still_request_errors(engine, call):
    with pytest.raises(RequestError) as info:   # repr() of such a number raises ValueError
        call(engine)
    assert "too large to show" in str(info.value) or "…" in str(info.value) or "..." in str(info.value)


@pytest.mark.parametrize("text", ["2025-W01-1", "2025-001", "20250101", "2025-01-01T24:00",
                                  "2025-01-01T9:00", "2025-01-01T09:00+0100"])
def test_only_calendar_dates_count_as_dates(engine, text):
    from engine.serialization import request_from_json
    with pytest.raises(RequestError, match="YYYY-MM-DD"):
        engine.decide("tyreso", "close_channel", {}, text)
    with pytest.raises(RequestError, match="YYYY-MM-DD"):
        engine.decide("tyreso", "audit_channel", {"last_snapshot_on": text}, AT)
    with pytest.raises(RequestError, match="YYYY-MM-DD") as info:
        request_from_json({"pack": "tyreso", "action": "close_channel", "facts": {}, "at": text})
    assert info.value.code == "bad-date"
    with pytest.raises(RequestError) as direct:
        engine.decide("tyreso", "close_channel", {}, text)
    assert direct.value.code == "bad-date"


@pytest.mark.parametrize("text, day", [
    ("2025-01-01T09:30", dt.date(2025, 1, 1)),
    ("2025-01-01 23:59:59", dt.date(2025, 1, 1)),
    ("2024-12-31T23:30Z", dt.date(2025, 1, 1)),       # 00:30 in Stockholm
])
def test_at_may_carry_a_time_of_day_and_is_decided_on_its_swedish_day(engine, text, day):
    from engine.serialization import request_from_json
    assert engine.decide("tyreso", "close_channel", {}, text).at == day
    request = request_from_json({"pack": "tyreso", "action": "close_channel", "facts": {},
                                 "at": text})
    assert engine.decide_request(request).at == day
    # a date fact stays a date: a time of day is no date
    with pytest.raises(RequestError, match="YYYY-MM-DD"):
        engine.decide("tyreso", "audit_channel", {"last_snapshot_on": text}, AT)

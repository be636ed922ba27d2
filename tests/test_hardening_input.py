"""Input that reaches the engine (issue 13, kinds 1-4), on every surface.

1. text encodings: a byte-order mark, NFD text, line separators, CRLF files;
2. one reading of JSON: duplicate keys, nesting, integer size, NaN, the same everywhere;
3. dates at the calendar's edges: never an OverflowError;
4. ids that differ only in case.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.errors import MalformedInputError, PackErrors, RequestError
from engine.json_input import parse_json

ROOT = Path(__file__).resolve().parent.parent
TYRESO = ROOT / "packs" / "tyreso"


def policy(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Run ``policy ARGS`` in this process: (exit status, stdout, stderr); a traceback
    (an exception that escaped) fails the test."""
    result = CliRunner().invoke(main, list(args), input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


# ---- 2. one reading of JSON everywhere ------------------------------------------------

DUPLICATE = '{"page_category": "commercial", "page_category": "own"}'


def test_decide_refuses_a_fact_given_twice_in_facts():
    status, out, err = policy("decide", "tyreso", "like_page", "--facts", DUPLICATE)
    assert status == 2 and out == ""
    assert "--facts" in err and '"page_category" appears twice' in err


def test_explain_refuses_a_fact_given_twice_in_facts():
    status, _, err = policy("explain", "tyreso", "like_page", "--facts", DUPLICATE)
    assert status == 2 and "appears twice" in err


def test_decide_refuses_a_4301_digit_integer_in_facts():
    status, _, err = policy("decide", "tyreso", "post", "--facts",
                            '{"admin_count": 1' + "0" * 4300 + "}")
    assert status == 2 and "more than 4300 digits" in err and "Traceback" not in err


def test_decide_refuses_100000_brackets_in_input():
    status, _, err = policy("decide", "--input", "-", stdin="[" * 100_000)
    assert status == 2 and "nests deeper than 32 levels" in err


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}'])
def test_decide_refuses_nan_and_infinity(text):
    status, _, err = policy("decide", "tyreso", "like_page", "--facts", text)
    assert status == 2 and "is not a JSON value" in err


def test_decide_input_drops_a_byte_order_mark():
    request = {"pack": "tyreso", "action": "like_page", "facts": {"page_category": "own"},
               "at": "2025-01-01"}
    status, out, err = policy("decide", "--input", "-", "--format", "json",
                              stdin="\ufeff" + json.dumps(request))
    assert status == 0, err
    assert json.loads(out)["outcome"] == "allow"


@pytest.mark.parametrize("text, code", [
    ('{"a": 1, "a": 2}', "duplicate-key"),
    ('{"x": {"a": 1, "a": 1}}', "duplicate-key"),
    ('{"a": NaN}', "malformed-json"),
    ('{"a": 1' + "0" * 4300 + "}", "number-too-large"),
    ('{"a": 1e999}', "number-too-large"),
    ("[" * 100_000, "too-deep"),
    ("[" * 33 + "]" * 33, "too-deep"),
    ("", "malformed-json"),
    (b'{"a": "\xe9"}', "malformed-json"),
])
def test_the_python_api_reads_json_as_the_service_does(text, code):
    import engine
    with pytest.raises(RequestError) as caught:
        engine.parse_json(text, "the text")
    assert caught.value.code == code and caught.value.path == "$"
    assert "the text" in caught.value.message


def test_nfc_keys_that_were_nfd_count_as_the_same_key():
    nfd = unicodedata.normalize("NFD", "värde")
    with pytest.raises(MalformedInputError) as caught:
        parse_json(json.dumps({"värde": 1, nfd: 2}, ensure_ascii=False))
    assert caught.value.code == "duplicate-key"


def test_json_strings_are_read_in_nfc():
    nfd = unicodedata.normalize("NFD", "Tyresö")
    assert parse_json(json.dumps({nfd: [nfd, {"k": nfd}]})) == {
        "Tyresö": ["Tyresö", {"k": "Tyresö"}]}


def test_a_tests_case_giving_a_fact_twice_is_an_error(tmp_path):
    tests = tmp_path / "tyreso.tests"
    tests.write_text('test "twice"\n  request like_page {page_category: commercial, '
                     'page_category: own}\n  expect allow\n', encoding="utf-8")
    pack = tmp_path / "tyreso.policy"
    pack.write_text((TYRESO / "tyreso.policy").read_text(encoding="utf-8"), encoding="utf-8")
    status, out, err = policy("test", str(pack), str(tests))
    assert status != 0
    assert "fact 'page_category' is given twice" in out + err


def test_the_service_and_the_command_line_share_one_reader():
    from engine.service import http_io
    from engine import json_input
    assert http_io.parse_json is json_input.parse_json


def test_the_python_api_compares_nfd_fact_values_equal_to_nfc(engine):
    nfd = unicodedata.normalize("NFD", "own")  # ASCII: unchanged, but the names are checked
    name = unicodedata.normalize("NFD", "page_category")
    decision = engine.decide("tyreso", "like_page", {name: nfd}, "2025-01-01")
    assert decision.outcome == "allow"


# ---- 3. dates at the calendar's edges ---------------------------------------------------

EDGES = ("9999-12-31", "0001-01-01")


@pytest.mark.parametrize("at", EDGES)
def test_check_decides_at_the_calendars_edges(at):
    status, out, err = policy("check", str(ROOT / "packs"), "--at", at)
    assert status == 0, err
    assert "5 packs checked" in out


@pytest.mark.parametrize("at", EDGES)
@pytest.mark.parametrize("snapshot", EDGES)
@pytest.mark.parametrize("pack", ["norsjo", "perstorp", "toreboda"])
def test_a_date_fact_at_one_edge_decided_at_the_other(engine, pack, at, snapshot):
    decision = engine.decide(pack, "audit_channel", {"last_snapshot_on": snapshot}, at)
    assert decision.outcome in ("allow", "deny", "required_steps")
    status, _, err = policy("explain", pack, "audit_channel", "--facts",
                            json.dumps({"last_snapshot_on": snapshot}), "--at", at)
    assert status == 0, err


@pytest.mark.parametrize("option", ["--until", "--since"])
@pytest.mark.parametrize("when", [*EDGES, "9999-12-31T23:59:59-23:59", "0001-01-01T00:00+23:59"])
def test_log_filters_at_the_calendars_edges(tmp_path, option, when):
    log = tmp_path / "decisions.jsonl"
    log.write_text(json.dumps({"time": "2025-01-01T00:00:00+00:00", "decision": {},
                               "request": {}}) + "\n", encoding="utf-8")
    status, out, err = policy("log", str(log), option, when)
    assert status == 0, err
    inside = (option == "--until") == when.startswith("9999")
    assert ("2025-01-01" in out) == inside


def test_log_until_the_last_day_keeps_everything(tmp_path):
    log = tmp_path / "decisions.jsonl"
    log.write_text(json.dumps({"time": "9999-12-31T23:00:00+00:00", "decision": {},
                               "request": {}}) + "\n", encoding="utf-8")
    status, out, _ = policy("log", str(log), "--until", "9999-12-31")
    assert status == 0 and "9999-12-31" in out


def test_add_months_outside_the_calendar_is_an_overflow_the_callers_expect():
    from engine.vocabulary import add_months, months_since
    assert add_months(dt.date(9999, 12, 31), 0) == dt.date(9999, 12, 31)
    for day, months in ((dt.date(9999, 12, 31), 1), (dt.date(1, 1, 1), -1)):
        with pytest.raises(OverflowError):
            add_months(day, months)
    assert months_since(dt.date(1, 1, 1), dt.date(9999, 12, 31)) == 9998 * 12 + 11
    assert months_since(dt.date(9999, 12, 31), dt.date(1, 1, 1)) == -(9998 * 12 + 12)


@pytest.mark.parametrize("at", EDGES)
def test_the_enumeration_keeps_to_the_calendar(at):
    from engine.authoring import enumeration as en
    found = en.Mentions(months={0, 1, 6, 12}, days={1, 30}, dates={dt.date.min, dt.date.max})
    points = en._dates(found, dt.date.fromisoformat(at))
    assert dt.date.fromisoformat(at) in points and all(dt.date.min <= p <= dt.date.max
                                                        for p in points)


# ---- 4. ids that differ only in case ----------------------------------------------------

CASE_PACK = """\
pack demo
  name "Demo"
  dated undated
  version "1.0.0"
  default allow

rule appoint-a
  on create_channel
  require Appoint-Responsible "Appoint someone responsible."
  level must

rule appoint-b
  on create_channel
  require {step} "Appoint someone responsible."
  level must
"""


def test_steps_differing_only_in_case_are_an_error_naming_both(tmp_path):
    path = tmp_path / "demo.policy"
    path.write_text(CASE_PACK.format(step="appoint-responsible"), encoding="utf-8")
    status, out, _ = policy("check", str(path))
    assert status == 1
    assert "error[duplicate-step]" in out
    assert "'appoint-responsible'" in out and "'Appoint-Responsible'" in out
    with pytest.raises(PackErrors) as caught:
        from dsl.parser import parse_pack
        from engine.compiler import compile_pack
        compile_pack(parse_pack(path.read_text(encoding="utf-8"), str(path)))
    assert [e.code for e in caught.value.errors] == ["duplicate-step"]


def test_one_step_required_by_two_rules_is_still_fine(tmp_path):
    from tests.conftest import compile_source
    pack = compile_source(CASE_PACK.format(step="Appoint-Responsible").split("default allow")[1])
    assert {r.step.id for r in pack.rules if r.step} == {"Appoint-Responsible"}


def test_rule_ids_differing_only_in_case_are_an_error_naming_both():
    from tests.conftest import compile_source
    with pytest.raises(PackErrors) as caught:
        compile_source('rule close-a on like_page deny when page_category == own because "x"\n'
                       'rule Close-A on like_page deny when page_category == own because "x"\n')
    (error,) = caught.value.errors
    assert error.code == "duplicate-rule"
    assert "'Close-A'" in error.message and "'close-a'" in error.message


def test_test_expectations_compare_ids_without_case(tmp_path):
    pack = tmp_path / "demo.policy"
    pack.write_text(CASE_PACK.format(step="Appoint-Responsible"), encoding="utf-8")
    tests = tmp_path / "demo.tests"
    tests.write_text(
        'test "twice"\n  request create_channel {account_type: private}\n'
        "  expect required_steps\n  steps [Appoint-Responsible, appoint-responsible]\n\n"
        'test "spelled otherwise"\n  request create_channel {account_type: private}\n'
        "  expect required_steps\n  steps [appoint-responsible]\n  rules [APPOINT-A]\n",
        encoding="utf-8")
    status, out, err = policy("test", str(pack), str(tests))
    assert status == 2
    assert "lists step 'Appoint-Responsible' twice (as 'Appoint-Responsible' and " \
           "'appoint-responsible'" in err
    assert "names step 'appoint-responsible', which pack 'demo' does not have; it is " \
           "spelled 'Appoint-Responsible'" in err
    assert "it is spelled 'appoint-a'" in err


# ---- 1. text encodings ------------------------------------------------------------------

BOM = "\ufeff"


def _tyreso_copy(tmp_path, transform=lambda text: text, tests=True):
    folder = tmp_path / "tyreso"
    folder.mkdir()
    for name in ("tyreso.policy", "tyreso.tests") if tests else ("tyreso.policy",):
        text = (TYRESO / name).read_text(encoding="utf-8")
        (folder / name).write_bytes(transform(text).encode("utf-8"))
    return folder


def test_a_pack_and_its_tests_saved_with_a_bom_check_and_pass(tmp_path):
    folder = _tyreso_copy(tmp_path, lambda text: BOM + text)
    status, out, err = policy("check", str(folder))
    assert status == 0, out + err
    status, out, err = policy("test", str(folder / "tyreso.policy"), str(folder / "tyreso.tests"))
    assert status == 0, out + err
    assert "\\ufeff" not in out + err


def test_the_python_api_reads_a_bom_and_crlf_source():
    from dsl.parser import parse_pack
    text = (TYRESO / "tyreso.policy").read_text(encoding="utf-8")
    assert parse_pack(BOM + text.replace("\n", "\r\n")) == parse_pack(text)


def test_a_token_file_with_a_bom_matches_its_first_token(tmp_path):
    import hashlib

    from engine.service.http_io import read_tokens
    path = tmp_path / "tokens"
    path.write_bytes((BOM + "first-token\r\nsecond-token\r\n").encode("utf-8"))
    assert read_tokens(str(path)) == tuple(hashlib.sha256(t).digest()
                                           for t in (b"first-token", b"second-token"))


def test_an_nfd_source_equals_its_nfc_section(tmp_path):
    section = "Privat användning av sociala medier"
    nfd = unicodedata.normalize("NFD", section)
    assert nfd != section

    def one_source_in_nfd(text: str) -> str:
        cited = f'source "{section}" sentence 1'
        assert cited in text
        return text.replace(cited, f'source "{nfd}" sentence 1', 1)

    folder = _tyreso_copy(tmp_path, one_source_in_nfd, tests=False)
    status, out, err = policy("check", str(folder))
    assert status == 0, out + err
    from dsl.parser import parse_pack
    from engine.compiler import compile_pack
    pack = compile_pack(parse_pack((folder / "tyreso.policy").read_text(encoding="utf-8")))
    assert section in {r.source for r in pack.rules}


BROKEN = 'pack demo\n  name "Demo"\n  # a comment{sep}with a separator\n  version 1.0.0\n'


@pytest.mark.parametrize("sep", ["\f", "\u2028", "\u2029", "\x85", "\v"])
def test_a_line_separator_before_an_error_shows_the_right_line(sep):
    from dsl.parser import parse_pack
    from engine.errors import PackSyntaxError
    with pytest.raises(PackSyntaxError) as caught:
        parse_pack(BROKEN.format(sep=sep), "demo.policy")
    message = str(caught.value)
    assert message.startswith("demo.policy:4:11:"), message
    assert message.splitlines()[1].strip() == "version 1.0.0"


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_other_line_endings_before_an_error_show_the_right_line(ending):
    from dsl.parser import parse_pack
    from engine.errors import PackSyntaxError
    with pytest.raises(PackSyntaxError) as caught:
        parse_pack(BROKEN.format(sep=" ").replace("\n", ending), "demo.policy")
    assert str(caught.value).startswith("demo.policy:4:11:")
    assert str(caught.value).split("\n")[1].strip() == "version 1.0.0"


def test_check_shows_the_right_line_after_a_form_feed(tmp_path):
    path = tmp_path / "demo.policy"
    path.write_text(BROKEN.format(sep="\f"), encoding="utf-8", newline="")
    status, out, _ = policy("check", str(path))
    assert status == 1
    assert f"{path}:4:11:" in out and "    version 1.0.0" in out


def test_fmt_check_on_a_crlf_file_reports_nothing_and_fmt_keeps_crlf(tmp_path):
    folder = _tyreso_copy(tmp_path, lambda text: text.replace("\n", "\r\n"))
    before = (folder / "tyreso.policy").read_bytes()
    status, out, _ = policy("fmt", "--check", str(folder))
    assert (status, out.strip()) == (0, "2 files already formatted")
    status, out, _ = policy("fmt", str(folder))
    assert status == 0 and (folder / "tyreso.policy").read_bytes() == before


def test_fmt_lays_out_a_crlf_file_keeping_crlf_and_the_bom(tmp_path):
    path = tmp_path / "demo.policy"
    path.write_bytes((BOM + 'pack demo\r\n name   "Demo"\r\n').encode("utf-8"))
    status, out, _ = policy("fmt", "--check", str(path))
    assert status == 1 and out.count("\n-") == 1    # one line differs, not every line
    status, _, _ = policy("fmt", str(path))
    formatted = path.read_bytes().decode("utf-8")
    assert status == 0 and formatted.startswith(BOM + "pack demo\r\n")
    assert "\n" not in formatted.replace("\r\n", "")


def test_a_register_and_a_document_with_a_bom_and_crlf_read_as_without(tmp_path):
    from engine.authoring.document import segment
    from engine.authoring.register import parse_register
    register = (TYRESO / "register.toml").read_text(encoding="utf-8")
    plain = parse_register(register)
    assert parse_register(BOM + register.replace("\n", "\r\n")).entries == plain.entries
    document = "Gilla andra\n\nKommunen gillar bara egna sidor.\fDen gillar inga företag.\n"
    sentences = segment(BOM + document.replace("\n", "\r\n"), ["Gilla andra"])
    assert [(s.section, s.n, s.line) for s in sentences] == [
        (s.section, s.n, s.line) for s in segment(document, ["Gilla andra"])]

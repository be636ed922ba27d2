"""The parser: source text to AST, and syntax errors with positions."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from dsl import ast
from dsl.parser import grammar_parser, parse_pack, parse_tests
from engine.errors import PackErrors, PackSyntaxError, PolicyError

SOURCE = '''# a comment
pack demo
  name "Démo kommun" sv "Démo"
  document "Riktlinjer"
  dated 2015-11-26
  version "1.0.0"
  default deny
  sections "Gilla andra", "Övrigt"

topic allowed_likes = {allow: [own], deny: [commercial]}  # trailing comment
  summary "Own pages only."
  source "Gilla andra"
topic break_time_use = not regulated

rule likes
  on like_page, create_channel
  deny when page_category in allowed_likes.deny and not (x == 3) or months_since(d) >= 6
  level must
  because "Line \\"one\\" " "and two\\u{e5}"
  source "Gilla andra"
'''


def test_parses_header_topics_and_rules():
    pack = parse_pack(SOURCE, "demo.policy")
    h = pack.header
    assert (h.id, h.name, h.dated, h.version, h.default) == (
        "demo", ast.Text("Démo kommun", "Démo"), dt.date(2015, 11, 26), "1.0.0", "deny")
    assert h.sections == ("Gilla andra", "Övrigt")
    assert [t.id for t in pack.topics] == ["allowed_likes", "break_time_use"]
    assert pack.topics[1].value is None
    assert pack.topics[0].value == ast.RecordValue((
        ("allow", ast.ListValue((ast.Name("own"),))),
        ("deny", ast.ListValue((ast.Name("commercial"),)))))
    rule = pack.rules[0]
    assert rule.actions == ("like_page", "create_channel")
    assert rule.effect == ast.Effect("deny")
    assert rule.because == ast.Text('Line "one" and twoå')
    assert rule.when == ast.Or((
        ast.And((
            ast.Membership(ast.Name("page_category"), ast.Field("allowed_likes", "deny")),
            ast.Not(ast.Compare("==", ast.Name("x"), ast.Constant(3))))),
        ast.Compare(">=", ast.Call("months_since", ast.Name("d")), ast.Constant(6))))


def test_nodes_carry_positions_outside_equality():
    pack = parse_pack(SOURCE, "demo.policy")
    rule = pack.rules[0]
    assert (rule.span.file, rule.span.line, rule.span.column) == ("demo.policy", 15, 1)
    moved = parse_pack("\n\n" + SOURCE, "other.policy")
    assert moved.rules[0].span.line == 17
    assert moved == pack


def test_require_with_and_without_role():
    pack = parse_pack('pack p\nrule a on x require s1 by manager "T" sv "S"\n'
                      'rule b on x require s2 "U"\n')
    assert pack.rules[0].effect == ast.Require("s1", "manager", ast.Text("T", "S"))
    assert pack.rules[1].effect == ast.Require("s2", None, ast.Text("U"))


def test_test_file():
    tests = parse_tests('test "one"\n request like_page {page_category: own, approved_by: [a, b]}\n'
                        ' at 2025-02-03 expect allow steps [x-y] rules [] by_default false\n')
    case = tests.cases[0]
    assert case.action == "like_page"
    assert case.facts == (("page_category", ast.Name("own")),
                          ("approved_by", ast.ListValue((ast.Name("a"), ast.Name("b")))))
    assert (case.at, case.expect, case.steps, case.rules, case.by_default) == (
        dt.date(2025, 2, 3), "allow", ("x-y",), (), False)


def error_of(source: str, parse=parse_pack) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        parse(source, "bad.policy")
    return info.value


def test_unexpected_token_names_position_expectation_and_caret():
    err = error_of("pack p\nrule r\n  on like_page\n  deny when page_category\n  level must\n"
                   "  level\n")
    assert isinstance(err, PackSyntaxError)
    text = str(err)
    assert text.startswith("bad.policy:6:8: unexpected end of file; expected 'must' or 'should'")
    err = error_of("pack p\nrule r\n  on like_page\n  deny when page_category in ==\n")
    assert str(err).splitlines() == [
        "bad.policy:4:30: unexpected '=='; expected a date (YYYY-MM-DD), a name, a number, "
        "a string, a time (YYYY-MM-DDTHH:MM), '(', '[', 'false' or …",
        "      deny when page_category in ==",
        "    " + " " * 29 + "^^"]


def test_unterminated_string():
    err = error_of('pack p\n  name "Tyresö\n')
    assert str(err).startswith("bad.policy:2:8: unterminated string")


def test_unexpected_character():
    err = error_of("pack p\nrule r on like_page deny when x == $\n")
    assert str(err).startswith("bad.policy:2:36: unexpected character '$'")


def test_must_start_with_pack():
    assert "a pack file must start with 'pack ID'" in str(error_of("rule r on x allow\n"))


def test_end_of_file():
    err = error_of("pack p\nrule r on like_page deny when (a == 1\n")
    assert "unexpected end of file" in str(err) or "the end of the file" in str(err)
    assert str(err).startswith("bad.policy:2:")


def test_clause_errors_are_collected_and_sorted():
    err = error_of('pack p\n  name "a"\n  name "b"\nrule r on x allow deny level must level should\n')
    assert isinstance(err, PackErrors)
    messages = [e.message for e in err.errors]
    assert messages == [
        "the header gives 'name' twice (first at line 2); keep one",
        "rule 'r' gives an effect (allow, deny, only or require) twice (first at line 4); a rule has "
        "one of each clause",
        "rule 'r' gives 'level' twice (first at line 4); a rule has one of each clause",
    ]
    assert [e.span.line for e in err.errors] == [3, 4, 4]
    assert str(err).endswith("3 errors in pack source")


def test_bad_date_and_escape():
    err = error_of('pack p\n  dated 2015-02-30\n  name "a\\q"\n')
    assert isinstance(err, PackErrors)
    assert [e.code for e in err.errors] == ["bad-date", "syntax"]
    assert "'2015-02-30' is not a valid date" in str(err)
    assert "unknown escape '\\q'" in str(err)


def test_bad_default_and_expect():
    assert "default outcome is 'allow' or 'deny', not 'maybe'" in str(
        error_of("pack p\n default maybe\n"))
    assert "a test expects 'allow', 'deny' or 'required_steps', not 'ok'" in str(
        error_of('test "t" expect ok\n', parse_tests))


def test_grammar_has_no_ambiguity():
    pytest.importorskip("interegular")
    from lark import Lark
    parser = grammar_parser()
    Lark(parser.source_grammar, parser="lalr", start=["pack_file", "test_file"], strict=True)


@given(st.text(max_size=200))
def test_any_text_gives_a_policy_error_or_a_pack(text):
    try:
        parse_pack("pack p\n" + text, "fuzz.policy")
    except PolicyError as e:
        assert str(e).startswith("fuzz.policy:")

"""The formatter: canonical layout, comments kept, and its three laws on any source."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, note, strategies as st

from dsl import ast
from dsl.formatter import format_source, print_pack, print_tests, quote
from dsl.parser import parse_pack, parse_tests
from engine.errors import PolicyError
from tests import ast_strategies as gen

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "packs").glob("*/*.policy")) + sorted((ROOT / "packs").glob("*/*.tests"))


def comments_in(text: str) -> list[str]:
    """The comments of a source, found outside string literals, trailing spaces dropped."""
    found, in_string, i = [], False, 0
    while i < len(text):
        ch = text[i]
        if in_string:
            i += 2 if ch == "\\" else 1
            in_string = ch != '"' or ch == "\\"
            continue
        if ch == '"':
            in_string = True
        elif ch == "#":
            end = text.find("\n", i)
            end = len(text) if end == -1 else end
            found.append(text[i:end].rstrip())
            i = end
            continue
        i += 1
    return found


def parse_any(text: str, file: str):
    return (parse_tests if file.endswith(".tests") else parse_pack)(text, file)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_builtin_sources_keep_their_meaning_and_comments(path):
    text = path.read_text(encoding="utf-8")
    formatted = format_source(text, str(path))
    assert parse_any(formatted, str(path)) == parse_any(text, str(path))
    assert format_source(formatted, str(path)) == formatted
    assert comments_in(formatted) == comments_in(text)


def fmt(source: str, file: str = "demo.policy") -> str:
    return format_source(textwrap.dedent(source).lstrip("\n"), file)


def test_canonical_layout():
    messy = '''
        pack demo default allow name "Demo kommun"   sv "Demo"
          version "1.0" dated undated
          sections "Ansvar", "Gilla andra", "Uppstart av ny kanal", "Bevaka, gallra, ta bort och registrera"
        topic allowed_likes = {allow: [own, municipality, authority, local_association, cultural_institution], deny: [commercial]}
          source "Gilla andra"
        topic snapshot_interval = half_yearly
        rule likes source "Gilla andra" level must because "Not companies." on like_page
          when page_category in allowed_likes.deny deny
        rule approve on create_channel for each approver in channel_approver
          done when approver in approved_by
          require approve-channel by approver "Approval." sv "Godkännande."
        rule r on delete_comment allow when content_category in [defamation, personal_attack, hate_speech, harassment, violence] and not registered
    '''
    assert fmt(messy) == textwrap.dedent('''\
        pack demo
          name "Demo kommun"
            sv "Demo"
          dated undated
          version "1.0"
          default allow
          sections "Ansvar", "Gilla andra", "Uppstart av ny kanal",
            "Bevaka, gallra, ta bort och registrera"

        topic allowed_likes = {
          allow: [own, municipality, authority, local_association, cultural_institution],
          deny: [commercial]
        }
          source "Gilla andra"

        topic snapshot_interval = half_yearly

        rule likes
          on like_page
          deny when page_category in allowed_likes.deny
          level must
          because "Not companies."
          source "Gilla andra"

        rule approve
          on create_channel
          for each approver in channel_approver
          require approve-channel by approver "Approval."
            sv "Godkännande."
          done when approver in approved_by

        rule r
          on delete_comment
          allow when content_category in [defamation, personal_attack, hate_speech, harassment,
            violence] and not registered
        ''')


def test_a_condition_before_a_requirement_has_its_own_line():
    out = fmt('rule r on audit_channel when major_change_planned require s "T."\n'
              .replace("rule", 'pack p\nrule', 1))
    assert out.splitlines()[2:6] == ["rule r", "  on audit_channel", "  when major_change_planned",
                                     '  require s "T."']


def test_brackets_are_written_where_the_grammar_needs_them():
    out = fmt('''
        pack p
        rule r on x deny when not (a and b) and (c or d) and (e and f) or x == (y == z)
    ''')
    assert "deny when not (a and b) and (c or d) and (e and f) or x == (y == z)" in out
    assert "deny when a and b and c" in fmt("pack p\nrule r on x deny when (a and b) and c\n")
    out = fmt("pack p\nrule r on x deny when a and (b and c) or (d or e)\n")
    assert "deny when a and (b and c) or (d or e)" in out
    assert parse_pack(out) == parse_pack(
        "pack p\nrule r on x deny when a and (b and c) or (d or e)\n")


def test_comments_stay_with_their_clauses():
    source = '''
        # The file's opening comment.
        #
        # Second paragraph.

        pack demo  # the id
          # before the name
          name "Demo"
          dated 2024-02-21                  # in force from

        # ---- Section ----

        # About the rule.
        rule r
          on like_page
          allow when page_category in [own,   # mid-clause
            municipality]  # after the list
          because "x"  # trailing
          # before the source, indented
          source "S"
        # the end
    '''
    assert fmt(source) == textwrap.dedent('''\
        # The file's opening comment.
        #
        # Second paragraph.

        pack demo  # the id
          # before the name
          name "Demo"
          dated 2024-02-21  # in force from

        # ---- Section ----

        # About the rule.
        rule r
          on like_page
          # mid-clause
          allow when page_category in [own, municipality]  # after the list
          because "x"  # trailing
          # before the source, indented
          source "S"
        # the end
        ''')


def test_comments_of_merged_clauses_are_all_kept():
    out = fmt('pack p\nrule r\n  on x\n  deny  # one\n  when a  # two\n  because "b"\n')
    assert out.splitlines()[3:7] == ["  on x", "  # one", "  deny when a  # two", '  because "b"']
    assert fmt(out) == out


def test_test_files_are_formatted_too():
    out = fmt('''
        # cases
        test "one" expect deny rules [a, b] request like_page {page_category: commercial}
          at 2025-01-01
        test "two"
          request close_channel {}
          by_default true expect allow
    ''', "demo.tests")
    assert out == textwrap.dedent('''\
        # cases
        test "one"
          request like_page {page_category: commercial}
          at 2025-01-01
          expect deny
          rules [a, b]

        test "two"
          request close_channel
          expect allow
          by_default true
        ''')


def test_strings_are_written_with_escapes_that_read_back():
    text = 'say "hi"\\ \n\t\x07 \u2028 å'
    assert quote(text) == '"say \\"hi\\"\\\\ \\n\\t\\u{7} \\u{2028} å"'
    pack = parse_pack(f"pack p\n  name {quote(text)}\n")
    assert pack.header.name == ast.Text(text)


def test_a_source_with_errors_is_refused_with_its_position():
    with pytest.raises(PolicyError, match=r"bad.policy:2:8: unterminated string"):
        format_source('pack p\n  name "x\n', "bad.policy")


# ---- laws over generated sources ------------------------------------------------------

@given(gen.packs)
def test_a_printed_pack_parses_back_to_itself(pack):
    text = print_pack(pack)
    assert parse_pack(text) == pack
    assert format_source(text, "gen.policy") == text


@given(gen.test_files)
def test_a_printed_test_file_parses_back_to_itself(tests):
    text = print_tests(tests)
    assert parse_tests(text) == tests
    assert format_source(text, "gen.tests") == text


SPACES = st.sampled_from([" ", "\n", "\n\n", "   ", "\n      ", "\n\n\n  "])


def relayout(draw, text: str) -> tuple[str, list[str]]:
    """``text`` with every run of spaces outside strings replaced, and comments sprinkled in."""
    out, comments, i, in_string = [], [], 0, False

    def maybe_comment() -> None:
        if draw(st.booleans()):
            comment = "# " + draw(gen.comment_texts)
            comments.append(comment.rstrip())
            out.append(draw(st.sampled_from(["  ", "\n", "\n\n"])) + comment + "\n")

    maybe_comment()
    while i < len(text):
        ch = text[i]
        if in_string:
            out.append(text[i:i + 2] if ch == "\\" else ch)
            in_string = not (ch == '"')
            i += 2 if ch == "\\" else 1
        elif ch == '"':
            out.append(ch)
            in_string, i = True, i + 1
        elif ch in " \n":
            j = i
            while j < len(text) and text[j] in " \n":
                j += 1
            out.append(draw(SPACES))
            maybe_comment()
            i = j
        else:
            out.append(ch)
            i += 1
    maybe_comment()
    return "".join(out), comments


@given(st.data())
def test_formatting_any_layout_keeps_meaning_and_comments_and_is_idempotent(data):
    kind = data.draw(st.sampled_from(["policy", "tests"]))
    tree = data.draw(gen.packs if kind == "policy" else gen.test_files)
    canonical = print_pack(tree) if kind == "policy" else print_tests(tree)
    messy, comments = relayout(data.draw, canonical)
    file = f"gen.{kind}"
    note(f"source:\n{messy}")
    formatted = format_source(messy, file)
    assert parse_any(formatted, file) == tree
    assert comments_in(formatted) == comments
    assert format_source(formatted, file) == formatted


def test_fmt_on_the_broken_fixtures_formats_what_parses_and_reports_the_rest(tmp_path):
    import shutil

    from tests.test_cli import policy

    folder = tmp_path / "broken"
    shutil.copytree(ROOT / "tests/fixtures/broken", folder)
    r = policy("fmt", "--check", str(folder))
    assert r.returncode == 2
    assert f"error: {folder / 'syntax.policy'}:16:11: unexpected string" in r.stderr
    assert r.stdout.splitlines()[-1] == "3 files already formatted, 1 with errors"

"""The sentence register: reading it, every problem ``policy check`` reports about it, the
``--document`` and ``--draft-register`` options, and the sentences ``policy explain`` names.

The demo pack, its made-up guideline and its register are in tests/fixtures/register/.
The registers of the built-in packs are checked against the real guidelines
(``../shared/guidelines``, read at run time) when both are there.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsl.parser import parse_pack
from engine.authoring.document import segment
from engine.authoring.register import (
    Register, check_document, check_register, draft, load_register, parse_register)
from engine.cli import main
from engine.compiler import compile_pack
from engine.errors import PackErrors, PackLoadError
from tests.test_cli import policy

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "register"
GUIDELINES = ROOT.parent / "shared" / "guidelines"
REGISTER = (FIXTURE / "register.toml").read_text(encoding="utf-8")
DOCUMENT = (FIXTURE / "demo.txt").read_text(encoding="utf-8")
SECTIONS = ("1. Ansvar", "2. Gilla och följa", "3. Kommentarer")


@pytest.fixture(scope="module")
def pack():
    path = FIXTURE / "demo.policy"
    return compile_pack(parse_pack(path.read_text(encoding="utf-8"), str(path)))


def entry_block(section: str, n: int) -> str:
    """The text of one ``[[sentence]]`` entry of the fixture register."""
    blocks = REGISTER.split("[[sentence]]")
    [block] = [b for b in blocks if f'section = "{section}"\nn = {n}\n' in b]
    return "[[sentence]]" + block


def without(section: str, n: int) -> str:
    return REGISTER.replace(entry_block(section, n), "")


def problems(pack, text: str = REGISTER, document: str | None = DOCUMENT):
    register = parse_register(text, "register.toml")
    sentences = None if document is None else segment(document, pack.sections)
    return check_register(register, pack, sentences, "demo.txt")


def load_error(text: str) -> str:
    with pytest.raises(PackErrors) as caught:
        parse_register(text, "reg.toml")
    return str(caught.value)


# ---- reading -----------------------------------------------------------------------------------

def test_the_fixture_register_loads():
    register = load_register(FIXTURE / "register.toml")
    assert len(register.entries) == 7
    first = register.entry("1. Ansvar", 2)
    assert first.encoded_by == ("approve-channel", "topic:channel_approver")
    assert first.actions == ("create_channel",) and first.modal == "ska"
    assert first.not_encoded is None and first.line == 20
    assert register.entry("", 1).not_encoded.startswith("not normative")


def test_a_toml_syntax_error_names_file_line_and_column():
    message = load_error('[[sentence]]\nsection = "x"\nn = \n')
    assert message.startswith("reg.toml:3:5: not valid TOML: invalid value")


def test_an_unknown_key_names_the_entry_and_the_valid_keys():
    message = load_error(entry_block("1. Ansvar", 2).replace("encoded_by", "encoded"))
    assert ("reg.toml:7:1: unknown key 'encoded' in entry \"1. Ansvar\" sentence 2 "
            "(did you mean 'encoded_by'?); valid keys are 'actions', 'encoded_by'") in message
    assert "has neither 'encoded_by' and 'not_encoded'" in message


@pytest.mark.parametrize("old, new, expected", [
    ("n = 2", 'n = "2"', "reg.toml:3:1: 'n' of entry 1 (line 1) is the string \"2\"; it must be "
                         "a whole number from 1"),
    ("n = 2", "n = 0", "'n' of entry \"1. Ansvar\" sentence 0 is a number 0; it must be a whole"),
    ('fingerprint = "036275b90a"', 'fingerprint = "036275"',
     "'fingerprint' of entry \"1. Ansvar\" sentence 2 is the string \"036275\"; it must be a "
     "string of 10 hex digits"),
    ('actions = ["create_channel"]', 'actions = "create_channel"',
     "'actions' of entry \"1. Ansvar\" sentence 2 is the string \"create_channel\"; it must be "
     "a list of action names"),
    ('encoded_by = ["approve-channel", "topic:channel_approver"]', "encoded_by = []",
     "'encoded_by' of entry \"1. Ansvar\" sentence 2 is the list []; it must be a non-empty "
     "list of rule ids and 'topic:ID'"),
    ('modal = "ska"\n', "", "entry \"1. Ansvar\" sentence 2 has no 'modal'"),
])
def test_wrong_types_name_the_entry_and_what_is_valid(old, new, expected):
    message = load_error(entry_block("1. Ansvar", 2).replace(old, new))
    assert expected in message


def test_exactly_one_of_encoded_by_and_not_encoded():
    both = entry_block("1. Ansvar", 2) + 'not_encoded = "x"\n'
    assert ("reg.toml:9:1: entry \"1. Ansvar\" sentence 2 has both 'encoded_by' and "
            "'not_encoded'; give exactly one") in load_error(both)
    neither = entry_block("1. Ansvar", 1).replace(
        'not_encoded = "says who answers for the accounts; no action asks who that is"\n', "")
    assert "entry \"1. Ansvar\" sentence 1 has neither" in load_error(neither)


def test_a_duplicate_entry_names_the_first():
    text = entry_block("1. Ansvar", 2) + "\n" + entry_block("1. Ansvar", 2)
    assert ("reg.toml:10:1: entry \"1. Ansvar\" sentence 2 is in the register twice (first at "
            "line 1); give each sentence one entry") in load_error(text)


def test_unknown_top_level_keys_and_unreadable_files(tmp_path):
    assert "reg.toml:1:1: unknown key 'pack' at the top" in load_error('pack = "x"\n')
    path = tmp_path / "register.toml"
    path.write_bytes(b'[[sentence]]\nsection = "\xe5"\n')
    with pytest.raises(PackLoadError, match="cannot read the register"):
        load_register(path)


# ---- checking --------------------------------------------------------------------------------

def test_the_fixture_register_has_no_problems(pack):
    assert problems(pack) == []
    assert problems(pack, document=None) == []


def test_an_unaccounted_normative_sentence(pack):
    [problem] = problems(pack, without("1. Ansvar", 1))
    assert problem.code == "unaccounted-sentence" and problem.severity == "error"
    assert (problem.section, problem.n) == ("1. Ansvar", 1)
    assert problem.render() == (
        "demo.txt:7:1: error[unaccounted-sentence]: sentence 1 of \"1. Ansvar\" is normative "
        "(modal 'ansvarar') but the register accounts for it nowhere: \"Varje förvaltning "
        "ansvarar för sina konton.\"; add an entry (policy check --document FILE "
        "--draft-register drafts one)")


def test_an_entry_for_a_sentence_the_document_does_not_have(pack):
    text = REGISTER.replace('section = "3. Kommentarer"\nn = 4', 'section = "3. Kommentarer"\nn = 9')
    [problem] = problems(pack, text)
    assert problem.code == "sentence-not-found"
    assert problem.message == (
        "entry \"3. Kommentarer\" sentence 9: the document has no such sentence (section "
        "\"3. Kommentarer\" has 4 sentences); the document changed, or the entry's section or n "
        "is wrong")
    assert problem.span.file == "register.toml" and problem.source_line == "n = 9"


def test_a_changed_sentence(pack):
    document = DOCUMENT.replace("Var vänlig i tonen.", "Var trevlig i tonen.")
    [problem] = problems(pack, document=document)
    assert problem.code == "sentence-changed"
    assert problem.message.startswith(
        "entry \"3. Kommentarer\" sentence 4: the document changed: its sentence there now "
        "reads \"Var trevlig i tonen.\" (fingerprint ")
    assert problem.message.endswith("the register has 43124672bd); check the entry still holds "
                                    "for it, then update the fingerprint")
    assert problem.source_line == 'fingerprint = "43124672bd"'


def test_a_moved_sentence_says_where_it_went(pack):
    document = DOCUMENT.replace("Kommersiella företag", "Detta är nytt. Kommersiella företag")
    found = {(p.code, p.section, p.n): p for p in problems(pack, document=document)}
    moved = found[("sentence-changed", "2. Gilla och följa", 2)]
    assert moved.message.endswith("the sentence the entry was written for is now "
                                  "\"2. Gilla och följa\" sentence 3")
    assert ("unaccounted-sentence", "2. Gilla och följa", 3) in found


def test_unknown_names(pack):
    text = (REGISTER.replace('"approve-channel", "topic:channel_approver"',
                             '"aprove-channel", "topic:channel_aprover", "topic:break_time_use"')
            .replace('actions = ["like_page"]\nencoded_by = ["likes-allowed", "topic:allowed_likes"]'
                     '\n\n[[sentence]]\nsection = "3',
                     'actions = ["like_pages"]\nencoded_by = ["likes-allowed", '
                     '"topic:allowed_likes"]\n\n[[sentence]]\nsection = "3')
            .replace('section = "1. Ansvar"\nn = 1', 'section = "Ansvar"\nn = 1'))
    messages = {p.code: p.message for p in problems(pack, text, document=None)}
    assert messages["unknown-section"] == (
        "entry \"Ansvar\" sentence 1: \"Ansvar\" is not one of the sections of pack 'regdemo' "
        "(did you mean \"1. Ansvar\"?); use a heading the header's 'sections' lists, or \"\" for "
        "the text before the first heading")
    assert messages["unknown-action"].startswith(
        "entry \"2. Gilla och följa\" sentence 2 names action 'like_pages', which the vocabulary "
        "does not have (did you mean 'like_page'?); valid actions are 'answer_question', 'audit_channel', ")
    assert messages["unknown-rule"] == (
        "entry \"1. Ansvar\" sentence 2 names rule 'aprove-channel', which pack 'regdemo' does "
        "not have (did you mean 'approve-channel'?); list rule ids, or a topic as 'topic:ID'")
    unknown_topics = [p.message for p in problems(pack, text, None) if p.code == "unknown-topic"]
    assert unknown_topics == [
        "entry \"1. Ansvar\" sentence 2 names topic 'channel_aprover', which pack 'regdemo' does "
        "not set (did you mean 'channel_approver'?); it sets 'allowed_likes' or 'channel_approver'",
        "entry \"1. Ansvar\" sentence 2 names topic 'break_time_use', which pack 'regdemo' does "
        "not set; it sets 'allowed_likes' or 'channel_approver' (set it in the pack with "
        "'topic break_time_use = …')"]


def test_a_cited_sentence_without_an_entry(pack):
    found = problems(pack, without("1. Ansvar", 2), document=None)
    assert [(p.code, p.span.line) for p in found] == [
        ("unregistered-sentence", 23), ("unregistered-sentence", 11)]
    assert found[0].render().splitlines()[:2] == [
        f"{FIXTURE / 'demo.policy'}:23:3: error[unregistered-sentence]: rule 'approve-channel' "
        "cites \"1. Ansvar\" sentence 2, but the register (register.toml) has no entry for it; "
        "add one with encoded_by = [\"approve-channel\"]",
        '      source "1. Ansvar" sentence 2']
    assert found[1].message.startswith("topic 'channel_approver' cites \"1. Ansvar\" sentence 2")


def test_a_cited_sentence_whose_entry_does_not_list_the_rule(pack):
    text = REGISTER.replace('encoded_by = ["approve-channel", "topic:channel_approver"]',
                            'encoded_by = ["topic:channel_approver"]')
    [problem] = problems(pack, text, document=None)
    assert problem.code == "unlisted-rule"
    assert problem.message == (
        "rule 'approve-channel' cites \"1. Ansvar\" sentence 2, but the register's entry for it "
        "(line 20) does not list 'approve-channel' in encoded_by (it lists "
        "topic:channel_approver); add it there, or correct the sentence number")


def test_without_the_document_only_consistency_is_checked(pack):
    assert problems(pack, without("1. Ansvar", 1), document=None) == []


def test_a_missing_heading_is_a_warning(pack):
    checked = check_document(parse_register(REGISTER, "register.toml"), pack,
                             DOCUMENT.replace("3. Kommentarer", "3. Om kommentarer"), "demo.txt")
    assert checked.missing_sections == ("3. Kommentarer",)
    warning = [p for p in checked.problems if p.code == "section-not-found"]
    assert [p.severity for p in warning] == ["warning"]


def test_the_draft_parses_as_toml_and_prefills_citing_rules(pack):
    register = parse_register(without("1. Ansvar", 2).replace(
        entry_block("2. Gilla och följa", 1), ""), "register.toml")
    checked = check_document(register, pack, DOCUMENT, "demo.txt")
    text = draft(register, pack, checked, "demo.txt")
    assert "REMOVE the comment line quoting each sentence's first words" in text
    assert "# Närmaste chef ska godkänna ett nytt konto innan …" in text
    entries = tomllib.loads(text)["sentence"]
    assert entries == [
        {"section": "1. Ansvar", "n": 2, "fingerprint": "036275b90a", "modal": "ska",
         "actions": [], "encoded_by": ["approve-channel", "topic:channel_approver"]},
        {"section": "2. Gilla och följa", "n": 1, "fingerprint": "db3a4ad5a1", "modal": "får",
         "actions": [], "encoded_by": ["likes-allowed", "topic:allowed_likes"]}]


def test_an_empty_register_accounts_for_nothing(pack):
    checked = check_document(Register("register.toml", ()), pack, DOCUMENT, "demo.txt")
    assert len(checked.normative) == 6 and len(checked.unaccounted(Register("r", ()))) == 6


# ---- the command -------------------------------------------------------------------------------

def check(*args: str):
    return CliRunner().invoke(main, ["check", *args])


@pytest.fixture()
def demo(tmp_path):
    """A copy of the demo pack, its document and register, to change."""
    folder = tmp_path / "demo"
    shutil.copytree(FIXTURE, folder)
    return folder


def test_check_with_the_document_prints_the_register_summary():
    r = check(str(FIXTURE), "--document", str(FIXTURE / "demo.txt"))
    assert r.exit_code == 0, r.output
    assert "register: 6 normative sentences, 6 accounted for, 0 problems" in r.stdout.splitlines()


def test_a_register_beside_the_pack_is_checked_without_the_document(demo):
    register = demo / "register.toml"
    register.write_text(REGISTER.replace('"remove-unlawful"', '"remove-unlawfull"'),
                        encoding="utf-8")
    r = check(str(demo))
    assert r.exit_code == 1
    assert (f"{register}:50:1: error[unknown-rule]: entry \"3. Kommentarer\" sentence 1 names "
            "rule 'remove-unlawfull'") in r.stdout
    assert "register:" not in r.stdout


def test_a_broken_register_is_reported_with_its_position(demo):
    (demo / "register.toml").write_text("[[sentence]\n", encoding="utf-8")
    r = check(str(demo))
    assert r.exit_code == 1
    assert f"{demo / 'register.toml'}:1:11: error[register-syntax]: not valid TOML" in r.stdout


def test_problems_with_the_document_exit_1_and_show_in_json(demo):
    (demo / "register.toml").write_text(without("1. Ansvar", 1), encoding="utf-8")
    r = check(str(demo), "--document", str(demo / "demo.txt"))
    assert r.exit_code == 1
    assert "register: 6 normative sentences, 5 accounted for, 1 problem" in r.stdout
    r = check(str(demo), "--document", str(demo / "demo.txt"), "--format", "json")
    data = json.loads(r.stdout)
    [diagnostic] = data["diagnostics"]
    assert diagnostic["code"] == "unaccounted-sentence" and diagnostic["line"] == 7
    assert diagnostic["file"] == str(demo / "demo.txt") and data["errors"] == 1
    assert data["packs"][0]["register"] == {
        "file": str(demo / "register.toml"), "document": str(demo / "demo.txt"), "loaded": True,
        "normative": 6, "accounted": 5, "missing_sections": [], "problems": 1, "needs": {}}


def test_draft_register_prints_toml_and_exits_0(demo):
    (demo / "register.toml").unlink()
    r = check(str(demo / "demo.policy"), "--document", str(demo / "demo.txt"), "--draft-register")
    assert r.exit_code == 0, r.output
    entries = tomllib.loads(r.stdout)["sentence"]
    assert [(e["section"], e["n"]) for e in entries] == [
        ("", 1), ("1. Ansvar", 1), ("1. Ansvar", 2), ("2. Gilla och följa", 1),
        ("2. Gilla och följa", 2), ("3. Kommentarer", 1)]
    r = check(str(demo), "--document", str(demo / "demo.txt"))
    assert r.exit_code == 1
    assert "register: 6 normative sentences, 0 accounted for, 13 problems (the pack has no " \
           "register.toml yet)" in r.stdout


@pytest.mark.parametrize("args, message", [
    (["--draft-register"], "error: --draft-register needs --document FILE"),
    (["--document", "{doc}"], "error: --document needs the one pack the document belongs to"),
    (["{fixture}", "{packs}", "--document", "{doc}"],
     "error: --document is the guideline of one pack, but the PATHs name 6 packs"),
    (["{fixture}", "--document", "{fixture}/nowhere.txt"], "error: --document "),
    (["{fixture}", "--document", "{latin1}"], "not UTF-8 text (byte 7 is 0xe5); save the "
                                              "document as UTF-8 plain text"),
])
def test_bad_usage_exits_2(tmp_path, args, message):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Rubrik\nåtta".encode("latin-1"))
    values = {"doc": str(FIXTURE / "demo.txt"), "fixture": str(FIXTURE),
              "packs": str(ROOT / "packs"), "latin1": str(latin1)}
    r = check(*[a.format(**values) for a in args])
    assert r.exit_code == 2, r.output
    assert r.stderr.startswith("error: ") and message.format(**values) in r.stderr
    assert len(r.stderr.splitlines()) == 1


def test_the_real_command_with_a_document():
    r = policy("check", str(FIXTURE), "--document", str(FIXTURE / "demo.txt"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-2:] == [
        "register: 6 normative sentences, 6 accounted for, 0 problems",
        "1 pack checked: 0 errors, 0 warnings"]


# ---- policy explain names the sentences ---------------------------------------------------------

def test_explain_names_the_cited_sentences(pack):
    from engine.core import Engine
    from engine.explain.trace_views import developer, explain_request, official
    from engine.hookspecs import hookimpl
    from engine.model import PackSource

    class Demo:
        @hookimpl
        def policy_packs(self):
            return [PackSource(pack.ast.text, pack.origin)]

    engine = Engine.load(entry_points=False, plugins=[Demo()], strict=True)
    compiled = engine.pack("regdemo")
    explained = explain_request(engine, "regdemo", "like_page", {"page_category": "commercial"},
                                "2025-01-01")
    text = developer(explained, compiled)
    assert "1. likes-allowed · allow · must · “2. Gilla och följa”, sentences 1 and 2" in text
    assert text.rstrip().endswith("section “2. Gilla och följa”, sentences 1 and 2")
    assert official(explained.decision, compiled, "sv").splitlines()[-1].endswith(
        "avsnittet ”2. Gilla och följa”, meningarna 1 och 2.")
    decision = engine.decide("regdemo", "create_channel", {"account_type": "organisation"},
                             "2025-01-01")
    assert official(decision, compiled, "en").splitlines()[-1].endswith(
        "section “1. Ansvar”, sentence 2.")
    assert official(decision, compiled, "sv").splitlines()[-1].endswith(
        "avsnittet ”1. Ansvar”, mening 2.")


# ---- the built-in packs' registers against their guidelines ----------------------------------------

PACKS = ["toreboda", "tyreso", "vara", "perstorp", "norsjo"]
WITH_REGISTER = [p for p in PACKS if (ROOT / "packs" / p / "register.toml").is_file()]


@pytest.mark.parametrize("pack_id", WITH_REGISTER or [pytest.param(
    None, marks=pytest.mark.skip(reason="no built-in pack has a register.toml yet"))])
def test_every_register_accounts_for_its_guideline(pack_id):
    document = GUIDELINES / f"{pack_id}.txt"
    if not document.is_file():
        pytest.skip(f"the guideline documents are not here ({GUIDELINES} is missing)")
    path = ROOT / "packs" / pack_id / f"{pack_id}.policy"
    pack = compile_pack(parse_pack(path.read_text(encoding="utf-8"), str(path)))
    register = load_register(path.with_name("register.toml"))
    checked = check_document(register, pack, document.read_text(encoding="utf-8"), str(document))
    assert [p.render() for p in checked.problems] == []


# ---- the words a sentence waits for ------------------------------------------------------

def _needs_register(tmp_path, entry: str):
    from tests.conftest import HEADER
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "p.policy").write_text(HEADER, encoding="utf-8")
    (folder / "register.toml").write_text(
        '[[sentence]]\nsection = ""\nn = 1\nfingerprint = "0123456789"\nmodal = "ska"\n'
        + entry, encoding="utf-8")
    return folder


@pytest.mark.parametrize("entry, code, words", [
    ('not_encoded = "no action for it"\nneeds = ["action pass_on_case"]\n', None,
     "action pass_on_case"),
    ('not_encoded = "no fact"\nneeds = ["fact publish_post.author_named", "role registrar"]\n',
     None, "fact publish_post.author_named, role registrar"),
    ('not_encoded = "x"\nneeds = ["action answer_question"]\n', "needs-met", None),
    ('not_encoded = "x"\nneeds = ["value content_category.question"]\n', "needs-met", None),
    ('not_encoded = "x"\nneeds = ["fact like_page"]\n', "register-type", None),
    ('encoded_by = ["r"]\nneeds = ["action pass_on_case"]\n', "register-encoding", None),
])
def test_a_register_names_the_words_its_sentences_wait_for(tmp_path, entry, code, words):
    from click.testing import CliRunner
    from engine.cli import main
    folder = _needs_register(tmp_path, entry)
    result = CliRunner().invoke(main, ["check", str(folder), "--format", "json"])
    report = json.loads(result.output)
    codes = [d["code"] for d in report["diagnostics"]]
    if code is None:
        assert not [c for c in codes if c.startswith(("register", "needs"))], codes
        needs = report["packs"][0]["register"]["needs"]
        assert ", ".join(needs) == words and all(v == [" 1"] for v in needs.values())
    else:
        assert code in codes, codes

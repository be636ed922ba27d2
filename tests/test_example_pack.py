"""The example third-party pack (examples/policy-pack-exempelby): a fictional
municipality whose guideline needs words the contract lacks, brought by its plugin.

In process, the package is imported from the examples folder, not installed: an engine
with it decides with the new words, and the contract's packs answer exactly as they do
without it. The rules of growth are tested with small plugins of their own. The last
test installs the engine and the example into a fresh virtual environment and runs the
real ``policy`` command and server there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from dsl.parser import parse_tests
from engine.authoring.analysis import check_source
from engine.authoring.testing import Coverage, check_cases, run_case
from engine.cli import main
from engine.core import Engine
from engine.errors import RequestError, VocabularyError
from engine.explain.trace_views import official
from engine.hookspecs import hookimpl
from engine.model import PackSource
from engine.serialization import to_json
from engine.vocabulary import BOOL, INT, Action, Contribution, Fact, Vocabulary
from engine.vocabulary_file import read_vocabulary
from engine.contract import CONTRACT
from tests import strategies
from tests.conftest import AT
from tests.servers import Server

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "policy-pack-exempelby"
PACKAGE = EXAMPLE / "policy_pack_exempelby"
CONTRACT_PACKS = ["norsjo", "perstorp", "toreboda", "tyreso", "vara"]


@pytest.fixture(scope="module")
def example():
    """The example's package, imported from the examples folder (not installed)."""
    name = "policy_pack_exempelby"
    spec = importlib.util.spec_from_file_location(
        name, PACKAGE / "__init__.py", submodule_search_locations=[str(PACKAGE)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module          # importlib.resources finds the package by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules[name]


@pytest.fixture(scope="module")
def with_example(example):
    """An engine with the installed packs and the example's plugin."""
    return Engine.load(plugins=[example], strict=True)


# ---- the example decides with its own words -----------------------------------------------

def test_the_example_loads_with_every_kind_of_new_word(with_example):
    words = with_example.vocabulary
    assert "exempelby" in with_example.packs and not with_example.failed
    post_kind = words.actions["register_post"].fact("post_kind")
    assert post_kind.required and post_kind.type.values == (
        "question", "opinion", "complaint", "case_matter", "other")
    assert not words.actions["publish_post"].fact("also_on_website").required
    assert not words.actions["create_channel"].fact("data_processing_agreement").required
    assert "links_to_prohibited_content" in words.enums["content_category"].values
    assert "creative_commons" in words.enums["image_source"].values
    assert {"committee", "registrar", "employee"} <= set(words.roles.values)
    assert words.topics["post_registration"].type.element_type.name == "post_kind"
    assert words.added_by("action:register_post") == "policy_pack_exempelby"


def test_every_new_name_has_english_and_swedish_labels_and_help(with_example):
    words = with_example.vocabulary
    keys = [k for k, by in words.origins.items() if by == "policy_pack_exempelby"
            and k.split(":")[0] in ("action", "fact", "value", "topic")]
    assert len(keys) == 19      # 1 action, 7 facts, 10 values (3 of them roles), 1 topic
    for key in keys:
        label = words.labels.get(key)
        assert label is not None, key
        assert label.en and label.sv and label.help_en and label.help_sv, key
    assert words.role_label("registrar", "sv") == "registrator"
    assert words.label("value:content_category.links_to_prohibited_content", "sv") == \
        "länkar till otillåtet innehåll"


def test_the_example_decides_with_the_new_words(with_example):
    decide = with_example.decide
    d = decide("exempelby", "register_post", {"post_kind": "complaint", "names_third_party": True},
               AT)
    assert d.outcome == "required_steps"
    assert [(s.id, s.by, s.level) for s in d.steps] == [
        ("forward-to-registrar", "employee", "must"), ("save-screenshot", "registrar", "must"),
        ("mark-for-secrecy-review", "registrar", "should")]
    assert decide("exempelby", "register_post", {"post_kind": "question"}, AT).outcome == "deny"
    d = decide("exempelby", "create_channel", {"account_type": "organisation"}, AT)
    assert ("approve-channel-committee", "committee") in [(s.id, s.by) for s in d.steps]
    assert "sign-data-processing-agreement" in [s.id for s in d.steps]
    assert decide("exempelby", "publish_post", {"image_source": "creative_commons",
                                                "also_on_website": True}, AT).outcome == "allow"
    d = decide("exempelby", "delete_comment", {"content_category": "links_to_prohibited_content",
                                               "content_saved": True, "author_saved": True}, AT)
    assert (d.outcome, [r.rule for r in d.reasons]) == (
        "allow", ["removal-grounds", "comment-saved-before-removal"])
    with pytest.raises(RequestError, match=r"fact 'post_kind' of action 'register_post' has no "
                                           r"value \"complain\" \(did you mean 'complaint'\?\)"):
        decide("exempelby", "register_post", {"post_kind": "complain"}, AT)


def test_every_case_of_the_example_passes_and_covers_every_rule_outcome(with_example):
    loaded = with_example.loaded["exempelby"]
    tests = parse_tests(loaded.source.tests, loaded.source.tests_origin)
    check_cases(loaded.pack, tests)
    coverage = Coverage()
    failed = [c.name for c in tests.cases if not run_case(loaded.pack, c, coverage).passed]
    assert failed == []
    assert coverage.missing(loaded.pack) == []


def test_policy_check_finds_nothing_to_say_about_the_example(with_example):
    loaded = with_example.loaded["exempelby"]
    report = check_source(loaded.source.text, loaded.source.origin, loaded.source.tests,
                          loaded.source.tests_origin, vocabulary=with_example.vocabulary)
    assert report.diagnostics == ()


@pytest.mark.parametrize("name", ["exempelby.policy", "exempelby.tests"])
def test_the_example_is_formatted(name):
    from dsl.formatter import format_source
    text = (PACKAGE / name).read_text(encoding="utf-8")
    assert format_source(text, name) == text


def test_the_official_answer_names_a_plugin_action_and_roles_in_swedish(with_example):
    d = with_example.decide("exempelby", "register_post", {"post_kind": "case_matter"}, AT)
    text = official(d, with_example.packs["exempelby"], "sv")
    assert text.splitlines()[0] == "Exempelby kommun: Diarieföra ett inlägg"
    assert "(ska; görs av medarbetare)" in text and "(ska; görs av registrator)" in text


def test_the_fictional_guideline_is_in_its_own_words():
    """No eight words in a row of the example's guideline stand in a real one."""
    from tests.test_packs import GUIDELINES, _words
    if not GUIDELINES.is_dir():
        pytest.skip("the guideline texts are not beside the project")
    words = _words((EXAMPLE / "riktlinjer.txt").read_text(encoding="utf-8"))
    ours = {tuple(words[i:i + 8]) for i in range(len(words) - 7)}
    for document in sorted(GUIDELINES.glob("*.txt")):
        theirs = _words(document.read_text(encoding="utf-8"))
        shared = ours & {tuple(theirs[i:i + 8]) for i in range(len(theirs) - 7)}
        assert not shared, f"riktlinjer.txt repeats {document.name}: {' '.join(min(shared))}"


# ---- the contract's packs are untouched -----------------------------------------------------

def _pack_cases(engine: Engine):
    for pack_id in CONTRACT_PACKS:
        source = engine.loaded[pack_id].source
        for case in parse_tests(source.tests, source.tests_origin).cases:
            yield pack_id, case


def test_the_contract_packs_answer_their_own_cases_as_without_the_example(engine, with_example):
    from engine.authoring.testing import case_day, value_of
    for pack_id, case in _pack_cases(engine):
        facts = {k: value_of(v) for k, v in case.facts}
        at = case.at if case.at is not None else case_day(case)
        assert to_json(with_example.decide(pack_id, case.action, facts, at)) == \
            to_json(engine.decide(pack_id, case.action, facts, at)), (pack_id, case.name)


@given(request=strategies.requests(CONTRACT_PACKS), extra=st.data())
def test_contract_requests_get_the_same_answers_with_or_without_the_example(
        engine, with_example, request, extra):
    pack, action, facts, at = request
    before = to_json(engine.decide(pack, action, facts, at))
    assert to_json(with_example.decide(pack, action, facts, at)) == before
    # a fact only the example defines, sent to a contract pack, changes nothing either
    added = [f for f in with_example.vocabulary.actions[action].facts
             if with_example.vocabulary.added_by(f"fact:{action}.{f.name}") != "contract"]
    more = {f.name: extra.draw(strategies.fact_value(f)) for f in added}
    assert to_json(with_example.decide(pack, action, {**facts, **more}, at)) == before


@given(data=st.data())
def test_any_request_in_the_grown_vocabulary_gets_a_decision_from_a_contract_pack(
        with_example, data):
    words = with_example.vocabulary
    action = data.draw(st.sampled_from([a.name for a in CONTRACT.actions]))
    facts = data.draw(strategies.facts_for(words.actions[action]))
    pack = data.draw(st.sampled_from(CONTRACT_PACKS))
    d = with_example.decide(pack, action, facts, AT)
    assert d.outcome in ("allow", "deny", "required_steps")


def test_a_value_only_the_example_adds_gets_each_contract_packs_own_answer(with_example):
    decide = with_example.decide

    def answer(pack: str, action: str, facts: dict) -> tuple:
        d = decide(pack, action, facts, AT)
        return d.outcome, d.by_default, [r.rule for r in d.reasons if r.effect == d.outcome]

    done = {"content_saved": True, "author_saved": True, "registered": True}
    link = {"content_category": "links_to_prohibited_content", **done}
    for pack in ("norsjo", "perstorp", "toreboda", "tyreso"):       # a closed list: denied
        assert answer(pack, "delete_comment", link) == ("deny", False, ["removal-grounds"])
    # Vara names no grounds: the new value is decided as the values its rules do not name
    assert answer("vara", "delete_comment", link) == answer(
        "vara", "delete_comment", {"content_category": "defamation", **done})
    # Tyresö's image sources are one 'only' rule; the other packs wrote no closed list
    # that reaches a value they never name, so their default applies
    creative = {"image_source": "creative_commons"}
    assert answer("tyreso", "publish_post", creative) == ("deny", False,
                                                          ["images-only-with-rights"])
    for pack in ("norsjo", "perstorp", "toreboda", "vara"):
        assert answer(pack, "publish_post", creative)[:2] == ("allow", True)
    # a role only the example adds is no one a contract pack asks for
    assert decide("tyreso", "create_channel", {"account_type": "organisation",
                                               "approved_by": ["committee"]}, AT).steps == \
        decide("tyreso", "create_channel", {"account_type": "organisation"}, AT).steps


def test_check_notes_the_values_a_contract_pack_does_not_name(engine, with_example):
    loaded = engine.loaded["perstorp"]
    notes = [d for d in check_source(loaded.source.text, loaded.source.origin,
                                     vocabulary=with_example.vocabulary).diagnostics
             if d.severity == "note"]
    assert {d.code for d in notes} == {"added-value"}
    image = next(d.message for d in notes if d.message.startswith("image_source"))
    assert "creative_commons (from plugin 'policy_pack_exempelby') → allow by default" in image
    content = next(d.message for d in notes if d.message.startswith("content_category"))
    assert "links_to_prohibited_content (from plugin 'policy_pack_exempelby') → deny by " \
           "'removal-grounds'" in content
    # without the example's words there is nothing to note
    assert not [d for d in check_source(loaded.source.text, loaded.source.origin).diagnostics
                if d.severity == "note"]


def test_two_engines_have_two_vocabularies(engine, with_example):
    assert "register_post" in with_example.vocabulary.actions
    assert "register_post" not in engine.vocabulary.actions
    assert "committee" not in engine.vocabulary.roles.values
    assert "links_to_prohibited_content" not in engine.vocabulary.enums["content_category"].values
    assert "post_registration" not in engine.vocabulary.topics
    assert engine.vocabulary.actions["publish_post"].fact("also_on_website") is None
    with pytest.raises(RequestError) as e:
        engine.decide("tyreso", "register_post", {"post_kind": "complaint"}, AT)
    assert e.value.code == "unknown-action"
    with pytest.raises(RequestError, match="has no value \"links_to_prohibited_content\""):
        engine.decide("tyreso", "delete_comment",
                      {"content_category": "links_to_prohibited_content"}, AT)
    with pytest.raises(RequestError, match="also_on_website"):
        engine.decide("tyreso", "publish_post", {"also_on_website": True}, AT)


# ---- the rules of growth -------------------------------------------------------------------

PACK = """\
pack {id}
  name "{id}"
  dated undated
  version "1.0.0"
  default allow

rule r
  on publish_post
  require s "Put it on the website."
  done when also_on_website
  level should
  source "S"
"""


class Words:
    """A plugin with some words and a pack that uses ``also_on_website``."""

    def __init__(self, name: str, *contributions: Contribution, pack: str | None = None) -> None:
        self.__name__ = name                      # the plugin's name, in messages
        self.contributions = list(contributions)
        self.pack = pack

    @hookimpl
    def policy_vocabulary(self):
        return self.contributions

    @hookimpl
    def policy_packs(self):
        return [PackSource(PACK.format(id=self.pack), f"{self.pack}.policy")] if self.pack else []


def _also_on_website(fact_type=BOOL, required=False) -> Contribution:
    fact = Fact("also_on_website", fact_type, "also on the website", required=required)
    return Contribution("", actions=(Action("publish_post", "", (fact,)),))


def test_two_plugins_defining_one_fact_differently_are_both_refused():
    a = Words("words-a", _also_on_website(BOOL), pack="pack_a")
    b = Words("words-b", _also_on_website(INT), pack="pack_b")
    fine = Words("words-c", Contribution("", values={"role": ("registrar",)}))
    engine = Engine.load(plugins=[a, b], entry_points=True)
    failed = {f.plugin: str(f.error) for f in engine.failed}
    assert set(failed) == {"words-a", "words-b"}
    assert failed["words-a"] == failed["words-b"]
    assert ("plugin 'words-a' and plugin 'words-b' both define fact 'also_on_website' of "
            "action 'publish_post' differently") in failed["words-a"]
    assert not {"pack_a", "pack_b"} & set(engine.packs)
    assert set(CONTRACT_PACKS) <= set(engine.packs)
    assert engine.vocabulary.actions["publish_post"].fact("also_on_website") is None
    # a third plugin that agrees with neither is not held back by them
    engine = Engine.load(plugins=[a, b, fine], entry_points=False)
    assert {f.plugin for f in engine.failed} == {"words-a", "words-b"}
    assert "registrar" in engine.vocabulary.roles.values
    assert engine.vocabulary.actions["publish_post"].fact("also_on_website") is None


def test_two_plugins_defining_one_fact_the_same_way_share_it():
    engine = Engine.load(plugins=[Words("words-a", _also_on_website(), pack="pack_a"),
                                  Words("words-b", _also_on_website(), pack="pack_b")],
                         entry_points=False)
    assert not engine.failed and {"pack_a", "pack_b"} <= set(engine.packs)
    assert engine.decide("pack_b", "publish_post", {"also_on_website": True}, AT).outcome == "allow"


def test_a_required_fact_on_a_contract_action_is_refused():
    with pytest.raises(VocabularyError) as e:
        Vocabulary.build([CONTRACT, attrs_named(_also_on_website(required=True), "strict")])
    assert ("plugin 'strict' adds the required fact 'also_on_website' to action "
            "'publish_post', which the contract defines; a fact added to another's action "
            "must be optional, so that requests valid before stay valid") in str(e.value)
    engine = Engine.load(plugins=[Words("strict", _also_on_website(required=True), pack="p")])
    (failure,) = engine.failed
    assert "adds the required fact 'also_on_website'" in str(failure.error)
    assert engine.decide("tyreso", "publish_post", {}, AT).outcome == "allow"


def test_a_value_added_to_interval_is_refused():
    grow = Contribution("monthly", values={"interval": ("monthly",)})
    with pytest.raises(VocabularyError, match="plugin 'monthly' adds values to the closed enum "
                                              "'interval' of the contract; its values cannot grow"):
        Vocabulary.build([CONTRACT, grow])


def attrs_named(c: Contribution, name: str) -> Contribution:
    import attrs
    return attrs.evolve(c, name=name)


def _read(text: str) -> Contribution:
    return read_vocabulary(textwrap.dedent(text), "pack/vocabulary.toml")


def test_a_bad_vocabulary_file_names_the_file_and_the_key():
    with pytest.raises(VocabularyError) as e:
        _read("""
            [actions.register_post.facts.post_kind]
            type = "enm post_kind"
            meaning = "what came in"
        """)
    assert str(e.value).startswith("pack/vocabulary.toml: actions.register_post.facts."
                                   "post_kind.type: unknown type 'enm post_kind' (did you mean "
                                   "'enum post_kind'?); types are 'bool', ")
    with pytest.raises(VocabularyError, match=r"^pack/vocabulary\.toml: actions\.publish_post\."
                                              r"facts\.also_on_website\.requred: unknown key "
                                              r"\(did you mean 'required'\?\)"):
        _read("""
            [actions.publish_post.facts.also_on_website]
            type = "bool"
            requred = true
            meaning = "also on the website"
        """)
    with pytest.raises(VocabularyError, match=r"^pack/vocabulary\.toml: not valid TOML: "
                                              r"Unclosed inline table \(at line 3"):
        _read("""
            [values.role]
            registrar = { en = "registrar"
        """)
    with pytest.raises(VocabularyError, match=r"^pack/vocabulary\.toml: values\.role\.registrar"
                                              r"\.help: must be a table with keys 'en' or 'sv'"):
        _read("""
            [values.role]
            registrar = { en = "registrar", help = 3 }
        """)


@pytest.mark.parametrize("key, head", [("actions", ""), ("topics", ""),
                                       ("facts", "[actions.register_post]\n")])
@pytest.mark.parametrize("value", ["5", '["x"]', '"x"'])
def test_a_table_of_names_that_is_not_a_table_names_the_key(key, head, value):
    """Not a TypeError out of the engine's load: the file's own error, naming the key."""
    where = "actions.register_post.facts" if head else key
    with pytest.raises(VocabularyError, match=rf"^pack/vocabulary\.toml: {where}: must be a "
                                              rf"table with one table per name, as "
                                              rf"\[{where}\.NAME\]; got "):
        _read(f"{head}{key} = {value}\n")


def test_a_bad_vocabulary_file_keeps_its_plugins_pack_out(tmp_path):
    (tmp_path / "vocabulary.toml").write_text('[values.role]\nregistrar = "registrator"\n')

    class Broken:
        __name__ = "broken-words"

        @hookimpl
        def policy_vocabulary(self):
            from engine.vocabulary_file import vocabulary_beside
            return vocabulary_beside(tmp_path / "x.policy")

        @hookimpl
        def policy_packs(self):
            return [PackSource(PACK.format(id="broken"), "broken.policy")]

    engine = Engine.load(plugins=[Broken()])
    (failure,) = engine.failed
    assert str(tmp_path / "vocabulary.toml") in str(failure.error)
    assert "values.role.registrar" in str(failure.error)
    assert set(CONTRACT_PACKS) <= set(engine.packs)


def test_a_value_may_have_help_in_both_languages():
    c = _read("""
        [values.role.registrar]
        en = "registrar"
        sv = "registrator"
        help = { en = "Registers.", sv = "Diarieför." }

        [values.role.employee]
        en = "employee"
        help = "Works here."
    """)
    assert (c.labels["value:role.registrar"].help_en, c.labels["value:role.registrar"].help_sv) \
        == ("Registers.", "Diarieför.")
    assert c.labels["value:role.employee"].help_en == "Works here."


# ---- the command line, with the example installed through an entry point ----------------

@pytest.fixture
def installed(example, tmp_path, monkeypatch):
    """The example made visible as an installed distribution (a .dist-info folder)."""
    info = tmp_path / "policy_pack_exempelby-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: policy-pack-exempelby\n"
                                   "Version: 1.0.0\n")
    (info / "entry_points.txt").write_text("[policy.packs]\nexempelby = policy_pack_exempelby\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_check_and_test_take_an_installed_pack_by_id_with_its_words(installed):
    r = run("check", "exempelby", "--document", str(EXAMPLE / "riktlinjer.txt"))
    assert r.exit_code == 0, r.output
    assert "exempelby: 0 errors, 0 warnings" in r.output
    assert "register: 19 normative sentences, 19 accounted for, 0 problems" in r.output
    r = run("test", "exempelby", "--coverage")
    assert r.exit_code == 0, r.output
    assert "coverage exempelby: 44/44 rule outcomes exercised" in r.output
    assert r.output.splitlines()[-1] == "44 passed, 0 failed"
    r = run("test", "exempelb")
    assert r.exit_code == 2
    assert "exempelb: no such file or folder, nor an installed pack: unknown pack 'exempelb' " \
           "(did you mean 'exempelby'?)" in r.output


def test_check_of_every_installed_pack_uses_the_plugins_words(installed):
    r = run("check", "--format", "json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    # only the packs of this project and the example's: another installed pack, one in
    # the making, may have warnings of its own
    ours = {p["pack"]: p for p in report["packs"] if p["pack"] in {*CONTRACT_PACKS, "exempelby"}}
    assert len(ours) == 6 and all(p["errors"] == p["warnings"] == 0 for p in ours.values())
    notes = {(Path(d["file"]).stem, d["code"]) for d in report["diagnostics"]
             if d["severity"] == "note"}
    assert ("perstorp", "added-value") in notes and ("exempelby", "added-value") not in notes


def test_explain_shows_a_plugins_topic(installed):
    r = run("explain", "--topic", "post_registration", "--packs", "exempelby,tyreso",
            "--lang", "en")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == "Which incoming posts are registered [post_registration]"
    assert "complaint" in r.output and "not regulated" in r.output
    r = run("explain", "--topic", "post_registration", "--packs", "exempelby,tyreso")
    assert r.output.splitlines()[0] == "Vilka inkomna inlägg som diarieförs [post_registration]"
    assert "inte reglerat" in r.output
    r = run("diff", "exempelby", "exempelby")
    assert r.exit_code == 0 and "no change in behaviour" in r.output


def test_replay_reads_an_edited_pack_in_the_installed_plugins_words(installed, tmp_path):
    """policy replay --packs: an edited copy of the example's pack, in a folder without its
    vocabulary.toml, is read in the installed plugin's words (as policy serve --packs
    reads it), and the changed decision is reported."""
    request = {"pack": "exempelby", "action": "create_channel", "at": "2025-03-01",
               "facts": {"account_type": "organisation", "approved_by": ["committee"],
                         "purpose_defined": True, "responsible_appointed": True,
                         "substitute_appointed": True, "informed": ["communications_unit"]}}
    (tmp_path / "requests.json").write_text(json.dumps([request]), encoding="utf-8")
    log = tmp_path / "decisions.jsonl"
    r = run("decide", "--input", str(tmp_path / "requests.json"), "--decision-log", str(log))
    assert r.exit_code == 0, r.output
    assert json.loads(log.read_text(encoding="utf-8"))["decision"]["outcome"] == \
        "required_steps"                        # the data processing agreement is missing
    folder = tmp_path / "edited"
    folder.mkdir()
    text = (PACKAGE / "exempelby.policy").read_text(encoding="utf-8")
    start = text.index("rule new-channel-data-processing-agreement\n")
    end = text.index("\nrule ", start)
    edited = text[:start] + text[end + 1:]          # the rule taken out; its words stay used
    assert "register_post" in edited
    (folder / "exempelby.policy").write_text(edited, encoding="utf-8")
    r = run("replay", str(log), "--packs", str(folder))
    assert r.exit_code == 1, r.output
    assert "replayed 1 decision: 1 changed" in r.output, r.output
    assert "was: REQUIRED STEPS (sign-data-processing-agreement)" in r.output, r.output
    assert "now: ALLOW" in r.output, r.output


# ---- end to end, in a fresh virtual environment -----------------------------------------

def _dependencies_only(into: Path) -> Path:
    """This interpreter's installed dependencies without this project: links to every
    entry of its site-packages but the project's own packages and install records."""
    into.mkdir()
    own = ("engine", "dsl", "packs", "policy_engine", "policy_pack", "__editable__",
           "__pycache__")
    for folder in site.getsitepackages():
        for entry in Path(folder).iterdir():
            if not entry.name.startswith(own) and entry.suffix != ".pth" \
                    and not (into / entry.name).exists():
                (into / entry.name).symlink_to(entry)
    return into


@pytest.mark.slow
def test_the_example_installs_and_serves_in_a_fresh_virtual_environment(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120, env=env)
    bin_dir = venv / "bin"
    python = str(bin_dir / "python")
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path("
                              "'purelib'))"], capture_output=True, text=True, check=True,
                             env=env).stdout.strip()
    # the dependencies are reused; the engine and the example are installed afresh
    Path(purelib, "dependencies.pth").write_text(f"{_dependencies_only(tmp_path / 'deps')}\n")
    source = shutil.copytree(EXAMPLE, tmp_path / "policy-pack-exempelby",
                             ignore=shutil.ignore_patterns("*.egg-info", "build", "__pycache__"))
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "-e", str(ROOT), str(source)], capture_output=True, text=True, timeout=300, env=env,
        cwd=tmp_path)
    assert install.returncode == 0, install.stdout + install.stderr
    shutil.rmtree(source)            # what runs now is the installed copy

    def policy(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(bin_dir / "policy"), *args], capture_output=True, text=True,
                              timeout=120, env=env, cwd=tmp_path)

    r = policy("packs", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    assert rows["exempelby"]["status"] == "ok"
    assert rows["exempelby"]["distribution"] == "policy-pack-exempelby 1.0.0"
    assert "site-packages" in rows["exempelby"]["origin"]
    r = policy("decide", "exempelby", "register_post", "--facts",
               '{"post_kind": "complaint", "forwarded_to_registrar": true}', "--at",
               "2025-01-01", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert (d["outcome"], [s["id"] for s in d["steps"]], d["steps"][0]["by"]) == (
        "required_steps", ["save-screenshot"], "registrar")
    r = policy("check", "exempelby", "--document", str(EXAMPLE / "riktlinjer.txt"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "register: 19 normative sentences, 19 accounted for, 0 problems" in r.stdout
    r = policy("test", "exempelby", "--coverage")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "coverage exempelby: 44/44 rule outcomes exercised" in r.stdout

    server = Server(tmp_path, env=env, command=[str(bin_dir / "policy")]).start()
    try:
        reply = server.post("/v1/decide", {
            "pack": "exempelby", "action": "register_post", "at": "2025-01-01",
            "facts": {"post_kind": "case_matter", "forwarded_to_registrar": True,
                      "screenshot_saved": True, "names_third_party": True,
                      "marked_for_secrecy_review": True}})
        assert reply.status == 200, reply.body
        assert (reply.json["outcome"], reply.json["by_default"]) == ("allow", False)
        reply = server.post("/v1/decide", {
            "pack": "tyreso", "action": "delete_comment", "at": "2025-01-01",
            "facts": {"content_category": "links_to_prohibited_content", "registered": True}})
        assert (reply.status, reply.json["outcome"]) == (200, "deny")
        reply = server.post("/access/v1/evaluation", {
            "subject": {"type": "municipality", "id": "exempelby"},
            "action": {"name": "publish_post"},
            "resource": {"type": "post", "id": "1",
                         "properties": {"image_source": "creative_commons"}},
            "context": {"at": "2025-01-01"}})
        assert reply.status == 200
        assert (reply.json["decision"], reply.json["context"]["outcome"]) == (
            False, "required_steps")
        schemas = server.get("/openapi.json").json["components"]["schemas"]
        facts = schemas["Facts_register_post"]
        assert list(facts["properties"]) == ["post_kind", "forwarded_to_registrar",
                                             "screenshot_saved", "names_third_party",
                                             "marked_for_secrecy_review"]
        assert facts["required"] == ["post_kind"]
        assert facts["properties"]["post_kind"]["enum"] == [
            "question", "opinion", "complaint", "case_matter", "other"]
        assert "also_on_website" in schemas["Facts_publish_post"]["properties"]
        assert "creative_commons" in \
            schemas["Facts_publish_post"]["properties"]["image_source"]["enum"]
    finally:
        assert server.stop() in (0, -signal.SIGTERM), server.stderr


def test_pytest_collects_a_pack_folder_in_its_own_words(tmp_path):
    """A pack folder not installed, with a vocabulary.toml: pytest runs its cases in the
    words the folder brings (as policy check and test do), and with pytest-lsp installed
    beside it the cases still run."""
    import shutil
    import subprocess
    import sys
    folder = tmp_path / "exempelby"
    shutil.copytree(EXAMPLE / "policy_pack_exempelby", folder,
                    ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        str(folder / "exempelby.tests")], capture_output=True, text=True,
                       cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "44 passed" in r.stdout

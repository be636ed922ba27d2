"""Swedish first: every view of ``policy explain`` speaks Swedish with ``--lang sv`` (the
default for the views people read), reads its words from the one glossary the desk reads
too, names each municipality by its own name, and says which document each column rests
on."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.compiler import compile_pack
from engine.desk import layout, playground
from engine.desk.compare_page import compare_page
from engine.explain import comparison_views as views
from engine.explain.comparison import compare, topic_ids
from engine.glossary import CONTRACT_LABELS
from engine.phrases import (PHRASES, SHORT_VALUES, STEP_WORDS, phrase, phrases_of,
                            short_name)
from dsl.parser import parse_pack
from tests.conftest import AT, PROJECT_PACKS

ONLY_THEM = ("--packs", ",".join(PROJECT_PACKS), "--at", AT.isoformat())
NAMES = {"norsjo": "Norsjö kommun", "perstorp": "Perstorps kommun",
         "toreboda": "Töreboda kommun", "tyreso": "Tyresö kommun", "vara": "Vara kommun"}
SHORT = {"norsjo": "Norsjö", "perstorp": "Perstorp", "toreboda": "Töreboda",
         "tyreso": "Tyresö", "vara": "Vara"}


@pytest.fixture(autouse=True)
def loaded_once(engine, monkeypatch):
    monkeypatch.setattr("engine.cli.explain.load_engine", lambda: engine)


def run(*args: str, columns: int = 120) -> str:
    r = CliRunner().invoke(main, ["explain", *args], env={"COLUMNS": str(columns)})
    assert r.exit_code == 0, r.output
    return r.output


# ---- --lang sv in every view --------------------------------------------------------------

COMPARISON_VIEWS = {
    "matrix": (),
    "narrow matrix": ("--packs", "tyreso,vara,toreboda,norsjo"),
    "topic": ("--topic", "removal_grounds"),
    "markdown": ("--format", "markdown"),
    "html": ("--format", "html"),
}


@pytest.mark.parametrize("view", COMPARISON_VIEWS)
def test_each_comparison_view_is_swedish_by_default_and_english_on_request(view):
    args = COMPARISON_VIEWS[view] + ("--at", AT.isoformat())
    columns = 40 if view == "narrow matrix" else 120
    sv, en = run(*args, columns=columns), run(*args, "--lang", "en", columns=columns)
    assert sv == run(*args, "--lang", "sv", columns=columns)       # Swedish is the default
    assert sv != en
    flat = " ".join(sv.split())          # a title may wrap in its column
    if view != "topic":
        assert "inte reglerat" in flat and "not regulated" not in flat
    if view != "matrix":                 # (where a title's lines are between the cells')
        assert "Skäl att ta bort en kommentar" in flat
        assert view == "topic" or "Vem godkänner en ny kanal" in flat
    assert "odaterad" in sv and "undated" in en
    for word in ("Grounds for removing a comment", "topic by topic", "Sources (the",
                 "Derived from the packs"):
        assert word not in sv, word


def test_the_topic_view_names_levels_and_outcomes_in_swedish():
    sv = run("--topic", "allowed_likes", *ONLY_THEM)
    assert "(inte tillåtet, ska · ”Gilla andra”)" in sv
    en = run("--topic", "allowed_likes", *ONLY_THEM, "--lang", "en")
    assert "(deny, must · “Gilla andra”)" in en


def test_a_derived_topic_has_swedish_words_and_summaries():
    sv = run("--topic", "image_rights", *ONLY_THEM)
    assert sv.splitlines()[0] == "Varifrån ett inläggs bilder får komma [image_rights]"
    assert ("Härlett ur regelpaketens regler: att publicera ett inlägg med bilder från varje "
            "källa" in " ".join(sv.split()))
    assert "utan tillstånd" in sv and "inte tillåtet:" in sv
    assert "\n  unlicensed\n" not in sv and "deny:" not in sv
    assert "\n  unlicensed\n" in run("--topic", "image_rights", *ONLY_THEM, "--lang", "en")


def test_the_cells_say_must_and_should_as_ska_and_bor(project_packs):
    comparison = compare(project_packs, AT)
    row = comparison.topic("private_accounts")
    sv = views.cell_text(row, row.values["norsjo"], comparison.vocabulary, "sv")
    en = views.cell_text(row, row.values["norsjo"], comparison.vocabulary, "en")
    assert "inte tillåtet (bör):" in sv.splitlines() and "deny (should):" in en.splitlines()


def test_the_developer_trace_and_all_packs_in_swedish():
    args = ("tyreso", "like_page", "--facts", '{"page_category": "commercial"}', "--at",
            AT.isoformat())
    en, sv = run(*args), run(*args, "--lang", "sv")
    assert en.splitlines()[0] == "Tyresö kommun · like a page (like_page) · 2025-01-01: DENY"
    assert sv.splitlines()[0] == ("Tyresö kommun · gilla en sida (like_page) · 2025-01-01: "
                                  "INTE TILLÅTET")
    assert "Eftersom:" in sv and "Sammanvägning: steg 1 av 4" in sv and "Källor:" in sv
    assert "Because:" not in sv and "Combining" not in sv
    assert "träffar: nekar" in sv and "· ska ·" in sv
    side = run("publish_post", "--all-packs", "--facts", '{"image_source": "none"}',
               *ONLY_THEM, "--lang", "sv")
    assert "publicera ett inlägg (publish_post) i 5 kommuner (2025-01-01)" in side
    steps = run("tyreso", "create_channel", "--facts", '{"account_type": "organisation"}',
                "--at", AT.isoformat(), "--lang", "sv")
    assert "Åtgärder att göra först:" in steps and "(chef)" in steps
    assert "· ska ·" in steps or "· bör ·" in steps
    assert "kommun" in side.splitlines()[1] and "utfall" in side.splitlines()[1]
    for name in SHORT.values():
        assert re.search(rf"^{name}\s", side, re.M), name


def test_json_keeps_the_contracts_names_and_adds_swedish_titles_and_the_columns():
    data = json.loads(run("--format", "json", *ONLY_THEM))
    assert data == json.loads(run("--format", "json", *ONLY_THEM, "--lang", "sv"))
    topics = {t["id"]: t for t in data["topics"]}
    assert topics["removal_grounds"]["title"] == "Grounds for removing a comment"
    assert topics["removal_grounds"]["title_sv"] == "Skäl att ta bort en kommentar"
    assert topics["snapshot_interval"]["values"]["tyreso"]["value"] == "half_yearly"
    assert all(t["title_sv"] and t["title_sv"] != t["title"] for t in data["topics"])
    vara = data["columns"]["vara"]
    assert vara == {"pack": "vara", "name": "Vara kommun", "short_name": "Vara",
                    "document": "Riktlinje för sociala medier", "dated": "2024-02-21",
                    "version": vara["version"], "in_force_from": "2024-02-21",
                    "in_force_until": None, "parts": []}


def test_a_bad_language_is_one_line_naming_the_valid_ones():
    r = CliRunner().invoke(main, ["explain", "--lang", "de"])
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert lines[0].endswith("--lang must be one of 'en' or 'sv', not 'de'")


# ---- one glossary -------------------------------------------------------------------------

def test_every_topic_has_a_swedish_title(engine):
    """Fails when a topic (the contract's, a plugin's, or one the comparison derives) is
    added without its Swedish title."""
    words = engine.vocabulary
    for topic_id in topic_ids(words):
        key = f"topic:{topic_id}"
        assert key in words.labels, f"{topic_id} has no title in the glossary"
        assert words.labels[key].sv and words.labels[key].sv != words.labels[key].en, topic_id


def test_every_phrase_is_in_both_languages():
    for key, entry in {**PHRASES, **STEP_WORDS}.items():
        assert entry.en and entry.sv and entry.sv != entry.en, key


def test_no_word_of_the_glossary_is_written_a_second_time(engine):
    """A view reads a word the glossary has from the glossary: no phrase, short word or
    step name repeats one of its labels (in both languages), and a short value word is
    only there where it is shorter than the glossary's label."""
    labels = {(v.en, v.sv): k for k, v in CONTRACT_LABELS.items()}
    for key, entry in {**PHRASES, **STEP_WORDS}.items():
        assert (entry.en, entry.sv) not in labels, (key, labels.get((entry.en, entry.sv)))
    words = engine.vocabulary
    for value, entry in SHORT_VALUES.items():
        enum = next(n for n, t in words.enums.items() if t.kind == "enum" and value in t.values)
        glossary = words.labels.get(f"value:{enum}.{value}") or words.labels[
            f"value:role.{value}"]
        assert entry.en != glossary.en or (entry.sv and entry.sv != glossary.sv), value
        assert not entry.sv or len(entry.sv) < len(glossary.sv), value


def test_a_missing_phrase_is_an_error_not_an_english_fallback():
    with pytest.raises(KeyError):
        phrase("compare:no_such_phrase", "sv")


def test_the_desk_reads_its_words_from_the_phrases():
    for lang in ("sv", "en"):
        assert layout.WORDS[lang] == phrases_of("desk", lang)
        assert playground.PG_WORDS[lang] == phrases_of("playground", lang)
    assert layout.WORDS["sv"]["compare"] == "Jämför"


def test_the_cli_and_the_desk_print_the_same_words(engine):
    status, page = compare_page(engine, [("pack", "tyreso"), ("pack", "vara"),
                                         ("at", AT.isoformat())])
    assert status == 200
    cli = run("--packs", "tyreso,vara", "--at", AT.isoformat(), "--format", "markdown")
    for word in (engine.vocabulary.label("word:not_regulated", "sv"),
                 CONTRACT_LABELS["topic:removal_grounds"].sv,
                 CONTRACT_LABELS["topic:closing_channel"].sv,
                 CONTRACT_LABELS["topic:allowed_likes"].sv, phrase("compare:documents", "sv"),
                 STEP_WORDS["register-removed"].sv):
        assert word in page and word in cli, word


def test_the_desk_compare_page_shows_derived_topics_and_cells_in_swedish(engine):
    status, page = compare_page(engine, [("pack", "tyreso"), ("pack", "vara"),
                                         ("at", AT.isoformat())])
    assert status == 200
    for d in ("new_channel", "removal_grounds", "removal_steps", "image_rights",
              "private_accounts", "closing_channel"):
        row = re.search(rf'<tr id="topic-{d}">.*?</tr>', page, re.S).group(0)
        assert CONTRACT_LABELS[f"topic:{d}"].sv in row, d
    grounds = re.search(r'<tr id="topic-removal_grounds">.*?</tr>', page, re.S).group(0)
    assert "En kommentar får tas bort endast för" in grounds
    assert "A comment may be removed" not in page and "not regulated" not in page
    _, english = compare_page(engine, [("pack", "tyreso"), ("lang", "en"),
                                       ("at", AT.isoformat())])
    assert "Grounds for removing a comment" in english


# ---- municipalities by name, columns by document ------------------------------------------

@pytest.mark.parametrize("name, short", [
    ("Tyresö kommun", "Tyresö"), ("Perstorps kommun", "Perstorp"),
    ("Töreboda kommun", "Töreboda"), ("Exempelby kommun", "Exempelby"),
    ("Stockholms stad", "Stockholm"), ("Göteborgs Stad", "Göteborg"),
    ("Borås stad", "Borås"), ("Hagfors kommun", "Hagfors"), ("Mönsterås kommun", "Mönsterås"),
    ("Grums kommun", "Grums"), ("Bollnäs kommun", "Bollnäs"), ("Storumans kommun", "Storuman"),
    ("Lilla Edets kommun", "Lilla Edet"), ("Region Skåne", "Region Skåne"),
    ("Min kommun", "Min"), ("Kommunförbundet", "Kommunförbundet"), ("kommun", "kommun"),
])
def test_the_short_form_of_a_name(name, short):
    assert short_name(name) == short


def test_the_matrix_heads_columns_by_short_name_and_lists_each_document():
    text = run(*ONLY_THEM, columns=120)
    header = next(line for line in text.splitlines() if line.startswith("ämne"))
    assert header.split() == ["ämne", *SHORT.values()]
    documents = text.split("Varje kolumn bygger på:", 1)[1]
    for pack, name in NAMES.items():
        assert f"- {name}: " in documents
    assert ("- Vara kommun: Riktlinje för sociala medier, daterad 2024-02-21; version"
            in documents) and "gäller från 2024-02-21" in documents
    assert "- Tyresö kommun: Riktlinjer för sociala medier (utdrag), odaterad;" in documents


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_markdown_and_html_name_each_municipality_and_its_document(fmt):
    text = run("--format", fmt, *ONLY_THEM)
    for name in NAMES.values():
        assert name in text
    assert "Riktlinje för sociala medier, daterad 2024-02-21" in text
    assert "Töreboda kommun: Riktlinjer för sociala medier, daterad 2015-11-26" in text
    if fmt == "html":
        assert '<html lang="sv">' in text
        assert '<th scope="col" data-pack="vara">Vara kommun</th>' in text
        assert '<ul class="documents">' in text


def test_the_desk_compare_page_lists_each_columns_document(engine):
    _, page = compare_page(engine, [("pack", "toreboda"), ("pack", "vara")])
    assert '<th scope="col" data-pack="toreboda">Töreboda kommun</th>' in page
    docs = re.search(r'<ul class="documents">.*?</ul>', page, re.S).group(0)
    assert "Töreboda kommun: Riktlinjer för sociala medier, daterad 2015-11-26" in docs
    assert "Vara kommun: Riktlinje för sociala medier, daterad 2024-02-21" in docs


def test_a_guideline_in_parts_names_each_part_and_its_date(engine):
    source = engine.loaded["vara"].source.text.replace(
        '  dated 2024-02-21  # the only date the copy gives\n',
        '  part "Så använder vi sociala medier" dated 2024-03-01\n'
        '  part "Frågor och svar" dated undated\n')
    assert "part " in source
    pack = compile_pack(parse_pack(source), vocabulary=engine.vocabulary)
    comparison = compare({"vara": pack}, AT, engine.vocabulary)
    line = views.document_line(comparison.column("vara"), "sv", engine.vocabulary)
    assert line.startswith("Vara kommun: Riktlinje för sociala medier (del ”Så använder vi "
                           "sociala medier”, daterad 2024-03-01; del ”Frågor och svar”, "
                           "odaterad); version")
    en = views.document_line(comparison.column("vara"), "en", engine.vocabulary)
    assert ("(part “Så använder vi sociala medier”, dated 2024-03-01; "
            "part “Frågor och svar”, undated)") in en


def test_two_municipalities_with_the_same_short_name_keep_their_full_names(project_packs):
    import attrs
    twin = attrs.evolve(project_packs["vara"], id="vara2", name="Vara stad")
    comparison = compare({"vara": project_packs["vara"], "vara2": twin}, AT)
    assert [comparison.column(p).short_name for p in comparison.packs] == [
        "Vara kommun", "Vara stad"]


def test_a_plugin_pack_is_named_by_its_own_name(engine):
    from tests.test_example_pack import PACKAGE
    import importlib.util
    import sys
    from engine.core import Engine
    name = "policy_pack_exempelby"
    spec = importlib.util.spec_from_file_location(
        name, PACKAGE / "__init__.py", submodule_search_locations=[str(PACKAGE)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        grown = Engine.load(plugins=[module], strict=True)
        assert grown.packs["exempelby"].name == "Exempelby kommun"
        comparison = compare({p: grown.packs[p] for p in ("exempelby", "tyreso")}, AT,
                             grown.vocabulary)
        text = views.matrix(comparison, 100, "sv")
        header = next(line for line in text.splitlines() if line.startswith("ämne"))
        assert header.split() == ["ämne", "Exempelby", "Tyresö"]
        assert "- Exempelby kommun: " in text
        assert "Vilka inkomna inlägg som diarieförs" in views.markdown(comparison, "sv")
        status, page = compare_page(grown, [("pack", "exempelby")])
        assert status == 200 and '>Exempelby kommun</th>' in page
    finally:
        del sys.modules[name]


def test_an_undated_day_is_said_in_the_language():
    assert views.document_line(
        compare({}, dt.date(2025, 1, 1)).column("x"), "sv").startswith("x: x, odaterad")


def test_the_english_trace_names_the_municipality_where_a_step_rests():
    from engine.core import Engine
    from engine.explain.trace_views import developer, explain_request
    engine = Engine.load()
    explained = explain_request(engine, "tyreso", "close_channel", {"manager_consulted": True},
                                "2025-01-01")
    edition = engine.edition("tyreso", explained.decision.at)
    en = developer(explained, edition, lang="en")
    assert "consult-communicator · should · Tyresö kommun: “Avsluta konto”" in en
    assert "tyreso: " not in en
    sv = developer(explained, edition, lang="sv")
    assert "Tyresö kommun: ”Avsluta konto”" in sv


def test_the_swedish_trace_says_the_default_in_swedish():
    from engine.core import Engine
    from engine.explain.trace_views import developer, explain_request
    engine = Engine.load()
    explained = explain_request(engine, "vara", "like_page", {"page_category": "commercial"},
                                "2025-01-01")
    sv = developer(explained, engine.edition("vara", explained.decision.at), lang="sv")
    assert "Riktlinjen reglerar inte den här förfrågan; paketets standardutfall (tillåtet) " \
           "gäller." in sv
    assert "The guideline does not regulate" not in sv

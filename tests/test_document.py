"""Segmenting a guideline document into sections and sentences, as the register counts them.

The texts here are made up; the five real guidelines (``../shared/guidelines``) are read
at run time only, never copied.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dsl.parser import parse_pack
from engine.authoring.document import (
    detect, find_headings, fingerprint, first_words, missing_sections, normalise_heading,
    segment)

ROOT = Path(__file__).resolve().parent.parent
GUIDELINES = ROOT.parent / "shared" / "guidelines"
PACKS = ["toreboda", "tyreso", "vara", "perstorp", "norsjo"]


def texts(document: str, sections: list[str]) -> list[tuple[str, int, str]]:
    return [(s.section, s.n, s.text) for s in segment(document, sections)]


# ---- sections -------------------------------------------------------------------------------

def test_text_before_the_first_heading_is_the_preamble():
    doc = "EXEMPELBY KOMMUN\n\nRiktlinjer\n\nAnsvar\nChefen ska svara. Alla hjälper till.\n"
    assert texts(doc, ["Ansvar"]) == [
        ("", 1, "EXEMPELBY KOMMUN"), ("", 2, "Riktlinjer"),
        ("Ansvar", 1, "Chefen ska svara."), ("Ansvar", 2, "Alla hjälper till.")]


@pytest.mark.parametrize("line", [
    "Gilla andra", "GILLA ANDRA", "4.3 Gilla andra", "4.3. Gilla andra", "4 Gilla andra:",
    "  Gilla   andra  ", "**Gilla andra**", "[bookmark: _Toc1]Gilla andra", "Gilla  andra :"])
def test_heading_lines_match_numbering_case_and_markup_aside(line):
    assert find_headings([line], ["Gilla andra"]) == {0: "Gilla andra"}


def test_a_numbered_pack_section_matches_a_numbered_heading():
    doc = "1. Inledning\nText här.\n2. Syfte\nMer text.\n"
    assert [(s.section, s.n) for s in segment(doc, ["1. Inledning", "2. Syfte"])] == [
        ("1. Inledning", 1), ("2. Syfte", 1)]


def test_diacritics_and_dashes_fold():
    assert normalise_heading("Sociala medier – bakgrund") == "sociala medier - bakgrund"
    assert normalise_heading("Varför sociala medier?") == "varfor sociala medier?"
    assert find_headings(["Varfor sociala medier?"], ["Varför sociala medier?"]) == {
        0: "Varför sociala medier?"}


@pytest.mark.parametrize("line, heading", [
    ("Elektroniska anslags/informationstavior", "Elektroniska anslags/informationstavlor"),
    ("Privatanvandning av sociala medier p& arbetstid",
     "Privatanvändning av sociala medier på arbetstid"),
])
def test_an_ocr_slip_in_a_long_heading_still_matches(line, heading):
    assert find_headings([line], [heading]) == {0: heading}


@pytest.mark.parametrize("line, heading", [
    ("Syfta", "Syfte"),                                    # short headings match exactly
    ("Ansvar och roller", "Ansvar"),
    ("Privatanvandning av sociala medier.", "Privatanvändning av sociala medier"),
    ("Helt andra ord om sociala medier på arbetstid",
     "Privatanvändning av sociala medier på arbetstid"),
    ("Gilla andra sidor som vi tycker om", "Gilla andra"),
])
def test_matching_is_robust_but_not_loose(line, heading):
    assert find_headings([line], [heading]) == {}


def test_a_heading_listed_twice_starts_its_section_at_the_last_occurrence():
    doc = "Innehåll\nBilaga 1 Plan\nBilaga 2 Råd\n\nBilaga 1 Plan\nFyll i planen.\n\n" \
          "Bilaga 2 Råd\nVar vänlig.\n"
    sections = ["Bilaga 1 Plan", "Bilaga 2 Råd"]
    assert texts(doc, sections) == [("", 1, "Innehåll"), ("Bilaga 1 Plan", 1, "Fyll i planen."),
                                     ("Bilaga 2 Råd", 1, "Var vänlig.")]


def test_missing_sections_lists_what_the_document_lacks():
    assert missing_sections("Ansvar\nText.\n", ["Ansvar", "Syfte"]) == ["Syfte"]


def test_without_sections_everything_is_preamble():
    assert [(s.section, s.n) for s in segment("En mening. En till.", [])] == [("", 1), ("", 2)]


# ---- sentences --------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Använd t.ex. Facebook för detta.", "Det gäller bl.a. Twitter och liknande.",
    "Se 2 kap. 6 § i lagen.", "Enligt avsnitt 4.3 gäller detta.", "Böcker, filmer m.m. Ingår.",
    "Det vill säga dvs. Allt.", "Gäller fr.o.m. Måndag.",
])
def test_no_split_after_abbreviations_or_inside_numbers(text):
    assert len(segment(text, [])) == 1


def test_split_at_terminators_before_capitals_digits_quotes_and_bullets():
    doc = 'Är det klart? Ja! 77 procent. "Citat" följer. Slut. – Ny punkt. nästa ord.'
    assert [s.text for s in segment(doc, [])] == [
        "Är det klart?", "Ja!", "77 procent.", '"Citat" följer.', "Slut.",
        "Ny punkt. nästa ord."]


@pytest.mark.parametrize("bullet", ["-", "–", "•", "·", "*", "»", ">", "a)", "1.", "1)", "e"])
def test_a_bulleted_line_starts_a_sentence_without_its_bullet(bullet):
    doc = f"Följande gäller:\n{bullet} Första punkten\n{bullet} Andra punkten\n"
    assert [s.text for s in segment(doc, [])] == [
        "Följande gäller:", "Första punkten", "Andra punkten"]


def test_wrapped_lines_join_and_a_blank_line_ends_a_sentence():
    doc = "Medarbetare som skriver\nska vara tydliga\n\noch detta är en ny mening\n"
    sentences = segment(doc, [])
    assert [(s.text, s.line) for s in sentences] == [
        ("Medarbetare som skriver ska vara tydliga", 1), ("och detta är en ny mening", 4)]


def test_the_heading_line_is_no_sentence_and_a_heading_ends_a_paragraph():
    doc = "Ingress utan punkt\nAnsvar\nChefen ansvarar.\n"
    assert texts(doc, ["Ansvar"]) == [("", 1, "Ingress utan punkt"),
                                      ("Ansvar", 1, "Chefen ansvarar.")]


def test_fragments_without_letters_are_no_sentences():
    doc = "Avsnitt\n\n1.\n\n10.\n\nText här.\n"
    assert [(s.n, s.text) for s in segment(doc, ["Avsnitt"])] == [(1, "Text här.")]


def test_lines_are_where_sentences_start():
    doc = "Rubrik\n\nEtt. Två\nfortsätter. Tre.\n"
    assert [(s.text, s.line) for s in segment(doc, ["Rubrik"])] == [
        ("Ett.", 3), ("Två fortsätter.", 3), ("Tre.", 4)]


# ---- normative sentences ----------------------------------------------------------------------

@pytest.mark.parametrize("text, modal", [
    ("Chefen ska godkänna kontot.", "ska"),
    ("Chefen skall godkänna kontot.", "skall"),
    ("Det måste finnas en ersättare.", "måste"),
    ("Kontot bör avslutas.", "bör"),
    ("Kontot bor avslutas.", "bör"),                        # OCR without diacritics
    ("Kommunen får gilla egna sidor.", "får"),
    ("Sekretessbelagda uppgifter får inte publiceras.", "får inte"),
    ("Far inte publiceras.", "får inte"),
    ("Innehåll som inte får förekomma.", "får inte"),
    ("Privata konton ska inte användas.", "ska inte"),
    ("Det är inte tillåtet att svara privat.", "inte tillåtet"),
    ("Det ar férbjudet att sprida det.", "förbjudet"),     # OCR: é for ö
    ("Använd aldrig din privata profil.", "aldrig"),
    ("Medier får endast användas i tjänsten.", "endast"),
    ("Privat användning är tillåten enbart under raster.", "enbart"),
    ("Vi får bara ladda upp egna bilder.", "bara"),
    ("Chefen kan kontakta kommunikatören.", "kan"),
    ("Enheten ansvarar för kontot.", "ansvarar"),
    ("Chefen beslutar om kanalen.", "beslutar"),
    ("Det géller alla.", "gäller"),                        # OCR: é for ä
    ("Det bör undvikas.", "bör"),
    ("Inlägg undvikas helst.", "undvikas"),
    ("Medlemskap kravs inte.", "krävs"),
    ("Chefen godkänner kontot.", "godkänner"),
])
def test_normative_sentences_and_their_strongest_modal(text, modal):
    assert detect(text) == (True, modal)


@pytest.mark.parametrize("text", [
    "Sociala medier är en del av vardagen.", "Tyresöbor och Skåningar deltar.",
    "Ansvarsfördelningen beskrivs nedan.", "Informationsansvarig informeras.",
])
def test_descriptive_sentences_are_not_normative(text):
    assert detect(text) == (False, None)


def test_segment_records_the_detected_modal():
    [sentence] = segment("Kommentarer får inte innehålla svordomar.", [])
    assert sentence.normative and sentence.modal == "får inte"


# ---- fingerprints ------------------------------------------------------------------------------

def test_fingerprint_is_ten_hex_of_the_sha256_of_the_normalised_words():
    expected = hashlib.sha256("chefen ska godkanna kontot 2".encode()).hexdigest()[:10]
    assert fingerprint("Chefen ska godkänna kontot 2.") == expected


@pytest.mark.parametrize("variant", [
    "Chefen ska godkänna kontot.", "CHEFEN SKA GODKÄNNA KONTOT", "Chefen  ska\ngodkänna, kontot!",
    "chefen ska godkanna kontot", "Chefen ska godka\u0308nna kontot.", "**Chefen** ska godkänna kontot",
])
def test_fingerprint_ignores_case_layout_punctuation_and_diacritics(variant):
    assert fingerprint(variant) == fingerprint("Chefen ska godkänna kontot.")


def test_fingerprint_changes_with_the_words():
    assert fingerprint("Chefen ska godkänna kontot.") != fingerprint("Chefen bör godkänna kontot.")


def test_first_words_shortens_for_display():
    assert first_words("ett två tre fyra fem sex sju åtta nio tio") == (
        "ett två tre fyra fem sex sju åtta …")
    assert first_words("kort mening") == "kort mening"


# ---- the real guidelines (read at run time, never copied) --------------------------------------

@pytest.mark.parametrize("pack_id", PACKS)
def test_every_pack_section_has_its_heading_in_the_guideline(pack_id):
    document = GUIDELINES / f"{pack_id}.txt"
    if not document.is_file():
        pytest.skip(f"the guideline documents are not here ({GUIDELINES} is missing)")
    path = ROOT / "packs" / pack_id / f"{pack_id}.policy"
    sections = parse_pack(path.read_text(encoding="utf-8"), str(path)).header.sections
    text = document.read_text(encoding="utf-8")
    assert missing_sections(text, sections) == []
    sentences = segment(text, sections)
    assert sentences and all(s.text and s.n >= 1 for s in sentences)
    assert any(s.normative for s in sentences)
    for section in sections:       # ordinals run 1, 2, … within each section
        numbers = [s.n for s in sentences if s.section == section]
        assert numbers == list(range(1, len(numbers) + 1))

"""The glossary labels every name of the contract, in both languages, and reads back
as a view expects: Swedish by default, English on request, a fallback for the rest."""

from __future__ import annotations

from typing import Iterator

import pytest

from engine import contract
from engine.contract import contract_vocabulary
from engine.explain.comparison import DERIVED
from engine.glossary import CONTRACT_LABELS, Label, help_text, label
from engine.vocabulary import Type

#: The view words every view can count on.
WORDS = ("not_regulated", "only", "all_but", "by_default", "step", "reason", "section",
         "sentence", "sentences", "must_steps", "should_steps", "municipality", "document",
         "dated", "yes", "no", "missing", "unknown")

#: Keys whose Swedish label is rightly the English word.
SAME_IN_BOTH = {"word:version"}


def _types(t: Type) -> Iterator[Type]:
    """``t`` and every type inside it (a set's element, a record's fields)."""
    yield t
    if t.kind == "set":
        yield from _types(t.element_type)
    elif t.kind == "record":
        for _, field in t.fields:
            yield from _types(field)


def _reachable_types() -> list[Type]:
    tops = [f.type for a in contract_vocabulary().actions.values() for f in a.facts + a.derived]
    tops += [t.type for t in contract_vocabulary().topics.values()]
    return [inner for top in tops for inner in _types(top)]


def _expected_keys() -> set[str]:
    keys = {f"action:{a}" for a in contract_vocabulary().actions}
    keys |= {f"fact:{a.name}.{f.name}" for a in contract_vocabulary().actions.values()
             for f in a.facts + a.derived}
    types = _reachable_types()
    keys |= {f"value:{t.name}.{v}" for t in types if t.kind == "enum" for v in t.values}
    keys |= {f"field:{t.name}.{name}" for t in types if t.kind == "record"
             for name, _ in t.fields}
    keys |= {f"topic:{t}" for t in contract_vocabulary().topics}
    keys |= {f"outcome:{o}" for o in contract.OUTCOMES}
    keys |= {f"level:{lv}" for lv in contract.LEVELS}
    return keys | {f"word:{w}" for w in WORDS}


def test_the_walker_finds_the_enums_inside_sets_and_records():
    names = {t.name for t in _reachable_types() if t.kind == "enum"}
    assert {"role", "custodian", "page_category", "content_category", "interval",
            "break_use", "account_type", "purpose", "image_source"} <= names
    assert "value:custodian.central_storage" in _expected_keys()
    assert "field:likes.deny" in _expected_keys()


def test_every_name_of_the_vocabulary_has_a_label():
    missing = sorted(_expected_keys() - CONTRACT_LABELS.keys())
    assert missing == []


def test_no_label_for_a_name_the_vocabulary_does_not_have():
    """A renamed or misspelt key would otherwise sit unused while the real one falls back."""
    expected = _expected_keys() | {f"topic:{d.id}" for d in DERIVED}
    stale = sorted(k for k in CONTRACT_LABELS
                   if not k.startswith("word:") and k not in expected)
    assert stale == []


def test_every_action_and_fact_has_help_in_both_languages():
    keys = [k for k in _expected_keys() if k.startswith(("action:", "fact:"))]
    without = sorted(k for k in keys
                     if not CONTRACT_LABELS[k].help_en or not CONTRACT_LABELS[k].help_sv)
    assert without == []


def test_a_yes_no_fact_is_helped_by_the_question_the_form_asks():
    bools = [f"fact:{a.name}.{f.name}" for a in contract_vocabulary().actions.values() for f in a.facts
             if f.type.kind == "bool"]
    assert bools
    for key in bools:
        entry = CONTRACT_LABELS[key]
        assert entry.help_en.endswith("?") and entry.help_sv.endswith("?"), key


def test_a_role_has_one_label_as_a_role_and_as_a_custodian():
    words = contract_vocabulary()
    for role in words.roles.values:
        assert CONTRACT_LABELS[f"value:custodian.{role}"] == CONTRACT_LABELS[f"value:role.{role}"]
        assert words.role_label(role, "sv") == label(f"value:role.{role}", "sv")
    assert words.role_label("department_head", "sv") == "förvaltningschef"


def test_topic_labels_are_the_vocabulary_titles_in_english():
    for topic in contract_vocabulary().topics.values():
        assert label(f"topic:{topic.id}", "en") == topic.title


@pytest.mark.parametrize("key", sorted(CONTRACT_LABELS))
def test_a_label_reads_as_a_label(key):
    entry = CONTRACT_LABELS[key]
    assert entry.en.strip() == entry.en != "" and entry.sv.strip() == entry.sv != ""
    if key not in SAME_IN_BOTH:
        assert entry.sv != entry.en
    for text in (entry.en, entry.sv):
        assert not text.endswith((".", "?", "!", ":", ";")), text
        # headings are capitalised; every other label is lower case (no proper nouns yet)
        assert text[0].isupper() if key.startswith("topic:") else text[0].islower(), text
    for text in (entry.help_en, entry.help_sv):
        assert text == "" or (text[0].isupper() and text.endswith((".", "?"))), text


def test_swedish_is_written_with_its_own_letters():
    """The OCR'd guidelines lost å, ä and ö; the labels must not copy the loss."""
    ascii_only = ["forvaltning", "anstalld", "inlagg", "anvand", "tjanst", "fragor",
                  "overs", "andring", "tillat", "hall", "ogonblick", "upphovsratt"]
    texts = [t for e in CONTRACT_LABELS.values() for t in (e.sv, e.help_sv)]
    assert [t for t in texts for w in ascii_only if w in t.lower()] == []


def test_a_label_in_either_language():
    assert label("action:like_page") == "gilla en sida"
    assert label("action:like_page", "sv") == "gilla en sida"
    assert label("action:like_page", "en") == "like a page"
    assert label("value:role.department_head") == "förvaltningschef"
    assert label("word:not_regulated") == "inte reglerat"


def test_help_in_either_language():
    assert help_text("fact:delete_comment.content_saved") == "Har kommentarens innehåll sparats?"
    assert help_text("fact:delete_comment.content_saved", "en") == (
        "Has the comment's content been saved?")


def test_an_empty_swedish_label_falls_back_to_english():
    labels = {"word:x": Label("in English", "", "Help in English.")}
    assert label("word:x", "sv", labels) == "in English"
    assert help_text("word:x", "sv", labels) == "Help in English."


@pytest.mark.parametrize("key, words", [
    ("value:page_category.zoo_keeper", "zoo keeper"),
    ("word:not_in_the_glossary", "not in the glossary"),
    ("fact:like_page.page_colour", "page colour"),
    ("plain_key", "plain key"),
])
def test_an_unknown_key_reads_as_its_last_part(key, words):
    assert label(key) == words
    assert label(key, "en") == words
    assert help_text(key) == ""


def test_a_key_without_help_has_none():
    assert help_text("value:role.manager") == ""


@pytest.mark.parametrize("reader", [label, help_text])
def test_an_unknown_language_names_the_valid_ones(reader):
    with pytest.raises(ValueError, match="'sv', 'en'"):
        reader("action:like_page", "de")

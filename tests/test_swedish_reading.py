"""Read as a Swedish communicator reads: each test walks every name, phrase, topic, action
or pack a view shows and fails on a kind of fault, not on one instance of it.

- no machine name (``create_channel``, ``content_category``) and no abbreviation
  (``komm.enheten``) in a Swedish word a person reads;
- no doubled punctuation where a view joins sentences (``gjort.; Låt``);
- the same thing called by one name: an official account names its action by the
  glossary's label, a trace and ``--all-packs`` say an outcome and the default in the
  glossary's words, a citation reads its words from the phrases;
- a word too long for a matrix column broken with a hyphen where the language breaks it,
  never at an arbitrary letter;
- the desk's answer names the document and date it rests on.
"""

from __future__ import annotations

import html
import re

import pytest

from engine.desk.decide_page import decide_page
from engine.explain import comparison_views as views
from engine.explain.comparison import compare
from engine.explain.trace_views import (developer, explain_request, official,
                                        sentence_words, side_by_side)
from engine.glossary import CONTRACT_LABELS, label
from engine.phrases import PHRASES, SHORT_VALUES, STEP_WORDS
from tests.conftest import AT, PROJECT_PACKS

#: A machine name: a snake_case id of the contract.
MACHINE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
#: An abbreviation run into a word ("komm.enheten", "info.ansvarig").
ABBREVIATION = re.compile(r"\w\.\w")
#: Two marks where a sentence joined to another should have one.
DOUBLED = re.compile(r"\.[;.,:]|;[;.]|,[.,;]")


def _all_words():
    """Every Swedish word a view may print, by its key."""
    yield from ((k, v.sv) for k, v in CONTRACT_LABELS.items())
    yield from ((k, v.help_sv) for k, v in CONTRACT_LABELS.items())
    yield from ((k, v.sv) for k, v in PHRASES.items())
    yield from ((f"short:{k}", v.sv) for k, v in SHORT_VALUES.items())
    yield from ((f"step:{k}", v.sv) for k, v in STEP_WORDS.items())


def test_no_swedish_word_is_a_machine_name_or_an_abbreviation():
    for key, text in _all_words():
        assert not MACHINE.search(text), (key, text)
        assert not ABBREVIATION.search(text), (key, text)


def test_a_derived_topic_says_what_it_is_read_from_in_words():
    """The question under a derived topic's title is read by people in both languages."""
    for key, entry in PHRASES.items():
        if key.startswith("question:"):
            assert not MACHINE.search(entry.en), key
            assert not MACHINE.search(entry.sv), key


@pytest.fixture(scope="module")
def comparison(project_packs):
    return compare(project_packs, AT)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_no_view_of_the_comparison_doubles_its_punctuation(comparison, lang):
    shown = [views.markdown(comparison, lang), views.matrix(comparison, 120, lang)]
    shown += [views.topic_detail(comparison, t.id, 400, lang) for t in comparison.topics]
    for text in shown:
        for line in text.splitlines():
            # a section's own title ("”Elektroniska anslags/informationstavlor”") is
            # quoted as written; what a view joins is outside the quotes
            outside = re.sub(r"[”“][^”“]*[”“]", "", line)
            assert not DOUBLED.search(outside), line


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_topic_details_name_no_action_fact_or_value_by_its_id(comparison, lang):
    # the ids that are not words of their own ("purpose", "signed" are)
    ids = {n for n in {a for a in comparison.vocabulary.actions} | {
        f.name for a in comparison.vocabulary.actions.values() for f in a.facts} if "_" in n}
    for topic in comparison.topics:
        text = views.topic_detail(comparison, topic.id, 400, lang)
        words = set(re.findall(r"[a-z_]+", " ".join(text.splitlines()[1:])))
        assert not words & ids, (topic.id, words & ids)


def _facts(action) -> dict:
    """The least request an action takes: its required facts, each at a first value."""
    facts = {}
    for fact in action.facts:
        if not fact.required:
            continue
        kind = fact.type.kind
        facts[fact.name] = (fact.type.values[0] if kind == "enum" else
                            "2025-01-01T09:00" if kind == "datetime" else
                            "2025-01-01" if kind == "date" else
                            0 if kind == "int" else False if kind == "bool" else "x")
    return facts


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_an_official_account_names_its_action_by_the_glossarys_label(engine, lang):
    for pack in PROJECT_PACKS:
        compiled = engine.edition(pack, AT)
        for name, action in compiled.vocabulary.actions.items():
            decision = engine.decide(pack, name, _facts(action), AT)
            first = official(decision, compiled, lang).splitlines()[0]
            said = compiled.vocabulary.label(f"action:{name}", lang)
            assert first == f"{compiled.name}: {said[:1].upper()}{said[1:]}", first


def test_a_swedish_trace_says_outcomes_and_the_default_in_words(engine):
    outcomes = {"allow", "deny", "required_steps"}
    explained = []
    for pack in PROJECT_PACKS:
        compiled = engine.edition(pack, AT)
        for name, action in compiled.vocabulary.actions.items():
            e = explain_request(engine, pack, name, _facts(action), AT)
            explained.append(e)
            combining = next(line for line in developer(e, compiled, 400, "sv").splitlines()
                             if line.startswith("Sammanvägning"))
            assert not set(re.findall(r"[a-z_]+", combining)) & outcomes, combining
            assert label(f"outcome:{e.decision.outcome}", "sv") in combining, combining
    by_action: dict[str, list] = {}
    for e in explained:
        by_action.setdefault(e.decision.action, []).append(e)
    for group in by_action.values():
        text = side_by_side(group, 120, "sv")
        assert not re.search(r"\bdefault\b", text), text


def test_a_citation_reads_its_words_from_the_phrases():
    assert sentence_words([2], "sv") == "mening 2"
    assert sentence_words([3, 2], "sv") == "meningarna 2 och 3"
    assert sentence_words([1, 2, 3], "en") == "sentences 1, 2 and 3"


# ---- breaking words in the matrix ----------------------------------------------------------

@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("width", [80, 90, 100, 120])
def test_the_matrix_breaks_a_word_only_with_a_hyphen(comparison, lang, width):
    """Each piece of a cell or title in the matrix is a whole word, the head of a word
    broken with a hyphen, or the rest of one; never a word cut where it does not break."""
    words = comparison.vocabulary
    whole: set[str] = set()
    for topic in comparison.topics:
        whole.update(views.title(topic, lang).split())
        for p in comparison.packs:
            whole.update(views.cell_text(topic, topic.values[p], words, lang).split())
    text = views.matrix(comparison, width, lang)
    body = text.split("\u2500" * 10, 1)[1].split("\n\n" + views.phrase("compare:topic_ids",
                                                                      lang)[:5], 1)[0]
    for token in body.split():
        token = token.strip("\u2500")
        if not token or token in whole:
            continue
        assert token.endswith("-") or any(w.endswith(token) for w in whole), (token, width)


def test_fill_keeps_every_word_and_every_line_within_its_width():
    text = ("förvaltningschef inloggningsuppgifterna kommunikationsenhet\n"
            "upphovspersonens godkännande informationsansvarig informerad")
    for width in range(8, 40):
        filled = views.fill(text, width, "sv")
        assert all(len(line) <= width for line in filled.splitlines()), width
        rejoined = re.sub(r"-\n", "", filled).split()
        assert rejoined == text.split(), width
    assert views.fill("förvaltningschef", 12, "sv") == "förvalt-\nningschef"
    assert views.fill("e-tjänst ansökan", 4, "sv").splitlines()[0] == "e-"


# ---- the desk ------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,dated,undated,decided", [
    ("sv", "daterad", "odaterad", "prövat för"), ("en", "dated", "undated", "decided for")])
def test_the_desks_answer_names_the_document_and_its_date(engine, lang, dated, undated,
                                                           decided):
    for pack in PROJECT_PACKS:
        compiled = engine.edition(pack, AT)
        query = [("pack", pack), ("action", "like_page"), ("page_category", "commercial"),
                 ("at", AT.isoformat()), ("lang", lang)]
        status, body = decide_page(engine, query)
        assert status == 200
        line = html.unescape(re.search(r'data-outcome="[^"]*">[^<]*</p><p>([^<]*)</p>',
                                       body).group(1))
        date = (f"{dated} {compiled.dated.isoformat()}" if compiled.dated else undated)
        assert line.startswith(f"{compiled.name}, {compiled.document}, {date}; "), line
        assert line.endswith(f"; {decided} {AT.isoformat()}"), line
        assert "(" + label("word:version", lang) not in line


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_desks_comparison_is_titled_as_the_command_lines(engine, comparison, lang):
    """One view, one name: the desk's matrix has the heading the terminal's matrix has."""
    from engine.desk.compare_page import compare_page
    status, body = compare_page(engine, [("at", AT.isoformat()), ("lang", lang)])
    assert status == 200
    caption = html.unescape(re.search(r"<caption>([^<]*)</caption>", body).group(1))
    assert caption == views.matrix(comparison, 120, lang).splitlines()[0]

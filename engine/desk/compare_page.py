"""The Compare page (``/compare``): the comparison matrix of ``policy explain`` as HTML,
with the municipalities and topics to show picked in a form, and the difference of two.

``compare_page(engine, query)`` is a pure function of an engine and the URL's query to a
status and a whole HTML page. ``pack`` and ``topic`` may be given several times (none:
all); ``diff`` keeps only the topics on which two picked packs differ; ``at`` is the day
compared (default today), each pack by its edition in force that day. Each topic is
titled, and each cell shows its value, in the page's language (the glossary's and the
phrases' words, as ``policy explain`` prints them), with the guideline sections it rests
on, and opens on the rules it comes from; under the matrix, each municipality's column
names the document, date, version and in-force days it rests on.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from dsl.dates import date_hint
from engine.core import Engine, today
from engine.desk.decide_page import (error_section, language, nav, pack_choices, status_of,
                                      with_lang)
from engine.desk.layout import DEFAULT_LANG, WORDS, e, lang_field, page
from engine.errors import PolicyError, RequestError, did_you_mean, one_of
from engine.explain.comparison import Cell, Comparison, TopicRow, compare
from engine.explain.comparison_views import cell_text, document_lines
from engine.phrases import phrase, quoted
from engine.vocabulary import Vocabulary, parse_date

Query = Sequence[tuple[str, str]]


def topic_title(words: Vocabulary, row: TopicRow, lang: str) -> str:
    """A topic's title in ``lang``: the glossary's (or its plugin's) label, every topic
    the comparison shows having one."""
    key = f"topic:{row.id}"
    return words.label(key, lang) if key in words.labels else row.title


def _all(query: Query, name: str) -> list[str]:
    return list(dict.fromkeys(v for n, v in query if n == name and v != ""))


def _given_day(query: Query) -> str:
    """The day the URL asks for (``at``) as written, or "" for today."""
    given = [v for n, v in query if n == "at" and v != ""]
    return given[-1] if given else ""


def _day(query: Query) -> dt.date:
    given = _given_day(query)
    if not given:
        return today()
    day = parse_date(given)
    if day is None:
        raise RequestError(f"\"at\" must be a date as \"YYYY-MM-DD\", got {given!r}"
                           f"{date_hint(given)}", path="at", code="bad-date")
    return day


def comparison(engine: Engine, query: Query
               ) -> tuple[Comparison, list[str], list[str], bool, list[str]]:
    """The comparison the query asks for, the packs and topics picked, ``diff``, and the
    packs left out for having no edition in force that day (by name). Columns come in
    the order the form lists the municipalities: by name, in Swedish order."""
    day = _day(query)
    packs, topics = _all(query, "pack"), _all(query, "topic")
    for pack_id in packs:
        engine.pack(pack_id)          # the engine's unknown-pack error, with a suggestion
    editions, left_out = {}, []
    for pack_id, name in pack_choices(engine):
        try:
            editions[pack_id] = engine.edition(pack_id, day)
        except RequestError:          # no edition in force that day: not compared
            if pack_id in packs:
                raise
            left_out.append(name)
    full = compare(editions, day, engine.vocabulary)
    known = [t.id for t in full.topics]
    for topic in topics:
        if topic not in known:
            titles = engine.vocabulary.names_of({f"topic:{t}": t for t in known})
            raise RequestError(f"unknown topic {topic!r}{did_you_mean(topic, known, titles)}; "
                               f"topics are {one_of(known, limit=20)}", path="topic",
                               code="unknown-topic")
    diff = any(v not in ("", "0") for n, v in query if n == "diff")
    shown = full.only(topics or None, packs or None)
    if diff and len(packs) == 2:
        shown = shown.differing(packs[0], packs[1])
    return shown, packs, topics, diff, left_out


def _picker(engine: Engine, packs: list[str], topics: list[str], diff: bool, lang: str,
            rows: Sequence[TopicRow], at: str) -> str:
    w, words = WORDS[lang], engine.vocabulary
    pack_boxes = "".join(
        f'<div><input type="checkbox" id="p-{e(i)}" name="pack" value="{e(i)}"'
        f'{" checked" if i in packs else ""}> <label for="p-{e(i)}">{e(n)}</label></div>'
        for i, n in pack_choices(engine))
    topic_boxes = "".join(
        f'<div><input type="checkbox" id="t-{e(r.id)}" name="topic" value="{e(r.id)}"'
        f'{" checked" if r.id in topics else ""}> <label for="t-{e(r.id)}">'
        f'{e(topic_title(words, r, lang))}</label></div>' for r in rows)
    return ('<form method="get" action="/compare" class="pick">'
            f'<fieldset><legend>{e(w["packs"])}</legend>{pack_boxes}</fieldset>'
            f'<fieldset><legend>{e(w["topics"])}</legend>{topic_boxes}</fieldset>'
            f'<div class="field"><input type="checkbox" id="diff" name="diff" value="1"'
            f'{" checked" if diff else ""} aria-describedby="h-diff"> <label for="diff">'
            f'{e(w["only_differences"])}</label><p class="help" id="h-diff">'
            f'{e(w["two_for_difference"])}</p></div>'
            f'<div class="field"><label for="at">{e(w["compare_at"])}</label><br>'
            f'<input type="date" id="at" name="at" value="{e(at)}" aria-describedby="h-at">'
            f'<p class="help" id="h-at">{e(w["compare_at_help"])}</p></div>'
            f'{lang_field(lang)}<button type="submit">{e(w["show"])}</button></form>')


def _cell(engine: Engine, row: TopicRow, cell: Cell, lang: str) -> str:
    words = engine.vocabulary
    if cell.value is None and not cell.summary:
        return f'<td class="unregulated">{e(words.label("word:not_regulated", lang))}</td>'
    summary = cell.summary_sv if lang == "sv" else cell.summary
    text = summary or cell_text(row, cell, words, lang)   # the short words, in the language
    sections = "; ".join(quoted(s, lang) for s in cell.sections)
    rules = "".join(
        f'<li><code>{e(r.rule)}</code> ({e(words.label(f"level:{r.level}", lang)) if r.level else "–"}): '
        f'{e((r.text_sv or r.text) if lang == "sv" else r.text)}</li>' for r in cell.rules)
    more = (f'<details><summary>{e(WORDS[lang]["rules"])}</summary><ul>{rules}</ul></details>'
            if rules else "")
    cite = (f'<p><cite>{e(words.label("word:section", lang))}: {e(sections)}</cite></p>'
            if sections else "")
    return f'<td><p>{e(text)}</p>{cite}{more}</td>'


def _table(engine: Engine, shown: Comparison, lang: str) -> str:
    words = engine.vocabulary
    head = "".join(f'<th scope="col" data-pack="{e(p)}">{e(shown.column(p).name)}</th>'
                   for p in shown.packs)
    rows = "".join(
        f'<tr id="topic-{e(r.id)}"><th scope="row">{e(topic_title(words, r, lang))}</th>'
        + "".join(_cell(engine, r, r.values[p], lang) for p in shown.packs) + "</tr>"
        for r in shown.topics)
    # the caption is the matrix's heading on the command line: one name for one view
    caption = phrase("compare:heading", lang).format(at=shown.at.isoformat())
    return (f'<table id="matrix"><caption>{e(caption)}</caption>'
            f'<thead><tr><th scope="col">{e(words.label("word:topic", lang).capitalize())}</th>'
            f'{head}</tr></thead><tbody>{rows}</tbody></table>'
            f'<h2 id="documents">{e(phrase("compare:documents", lang))}</h2><ul class="documents">'
            + "".join(f'<li data-pack="{e(p)}">{e(line)}</li>'
                      for p, line in zip(shown.packs, document_lines(shown, lang)))
            + "</ul>")


def compare_page(engine: Engine, query: Query, playground: bool = False) -> tuple[int, str]:
    """The page for the URL's ``query``: (status, HTML); ``playground`` links the
    Playground in the navigation."""
    try:
        lang = language(query)
    except PolicyError as err:
        return status_of(err), _whole([], DEFAULT_LANG, error_section(
            err, DEFAULT_LANG, heading="compare_error"), playground)
    w = WORDS[lang]
    try:
        shown, packs, topics, diff, left_out = comparison(engine, query)
    except PolicyError as err:
        return status_of(err), _whole(query, lang, error_section(
            err, lang, heading="compare_error"), playground)
    all_rows = compare({}, shown.at, engine.vocabulary).topics
    body = _picker(engine, packs, topics, diff, lang, all_rows, _given_day(query))
    if diff and len(packs) != 2:
        body += f'<p class="note">{e(w["two_for_difference"])}</p>'
    if shown.packs and not shown.topics:
        body += f'<p class="note" id="no-difference">{e(w["no_difference"])}</p>'
    elif shown.packs:
        body += _table(engine, shown, lang)
    if left_out and not packs:
        body += (f'<p class="note" id="not-in-force">'
                 f'{e(w["not_in_force"].format(names=", ".join(left_out), day=shown.at))}</p>')
    return 200, _whole(query, lang, body, playground)


def _whole(query: Query, lang: str, body: str, playground: bool) -> str:
    w = WORDS[lang]
    return page(w["compare_title"], f'<p>{e(w["compare_intro"])}</p>' + body, lang,
                nav(lang, playground),
                with_lang("/compare", query, "en" if lang == "sv" else "sv"))

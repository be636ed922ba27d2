"""Show a :class:`~engine.explain.Comparison`: terminal matrix, markdown, HTML, one topic.

``cell_text`` turns a pack's value of a topic into the short words of a matrix cell;
``matrix`` lays the cells out for a terminal of a given width with rich (topics as rows,
packs as columns, or, where the columns would be too narrow to read, one small table per
topic); ``markdown`` gives a table to paste into a report; ``html`` a self-contained page
whose cells open to show their summary, rules and sources (and name the sources on
hover); ``topic_detail`` one topic in full. The JSON form is the converter's
(``engine.serialization.to_json``).

rich is imported inside the functions that use it, so importing this module is cheap.
"""

from __future__ import annotations

import html as _html
import io
from typing import Any

from engine import vocabulary as vocab
from engine.contract import contract_vocabulary
from engine.explain.comparison import Cell, Column, Comparison, TopicRow
from engine.phrases import outcome_words, phrase, quoted, step_words, value_words

def _label(value: str, lang: str, words: vocab.Vocabulary) -> str:
    return value_words(value, lang, words)


def _all_but(lang: str, words: vocab.Vocabulary) -> str:
    return f"{words.label('word:all_but', lang)}:"


def _relative(items: list[str], universe: list[str], lang: str,
              words: vocab.Vocabulary) -> list[str]:
    """``items`` one per line, or "all" / "all but:" and the rest of ``universe`` when
    that is shorter."""
    if items == universe:
        return [phrase("cell:all", lang)]
    rest = [u for u in universe if u not in items]
    if set(items) <= set(universe) and len(rest) < len(items):
        return [_all_but(lang, words)] + [_label(r, lang, words) for r in rest]
    return [_label(i, lang, words) for i in items]


def _universe(vocabulary: vocab.Vocabulary, enum_name: str) -> list[str]:
    return list(vocabulary.enums[enum_name].values)


def _lines(topic: TopicRow, v: Any, words: vocab.Vocabulary, lang: str) -> list[str]:
    tid = topic.id
    every = (phrase("cell:all", lang), _all_but(lang, words))
    if tid == "response_time":
        return [f"{v} {words.label('word:hours', lang)}"]
    if tid in ("new_channel", "closing_channel"):
        return [step_words(s, lang, words) for s in v] or [phrase("cell:nothing", lang)]
    if tid in ("removal_grounds", "allowed_likes") and v.get("only"):
        universe = _universe(words, "content_category" if tid == "removal_grounds"
                             else "page_category")
        shown = _relative(v["allow"], universe, lang, words)
        return shown if shown[0] in every else [f"{words.label('word:only', lang)}:"] + shown
    if tid == "removal_grounds":
        lines = (_relative(v["allow"], _universe(words, "content_category"), lang, words)
                 if v["allow"] else [])
        if v["deny"]:
            lines += [phrase("cell:kept", lang)] + [_label(c, lang, words) for c in v["deny"]]
        return lines
    if tid == "removal_steps":
        groups: dict[tuple[str, ...], list[str]] = {}
        for entry in v["steps"]:
            groups.setdefault(tuple(entry["for"]), []).append(
                step_words(entry["step"], lang, words))
        lines = []
        for cats, steps in groups.items():
            which = _relative(list(cats), v["grounds"], lang, words)
            if which[0] == every[0]:
                head = phrase("cell:for_all", lang)
            elif which[0] == every[1]:
                head = phrase("cell:for_all_but", lang)
            else:
                head = phrase("cell:for", lang)
            lines += steps + [head] + [c for c in which if c not in every]
        return lines or [phrase("cell:nothing", lang)]
    if tid == "allowed_likes":
        universe = _universe(words, "page_category")
        return [line for key in ("allow", "deny") if v[key]
                for line in [f"{outcome_words(key, lang, words)}:"]
                + _relative(v[key], universe, lang, words)]
    if tid in ("image_rights", "private_accounts"):
        by_outcome: dict[str, list[str]] = {}
        for value, entry in v.items():
            if entry is not None:
                head = outcome_words(entry["outcome"], lang, words) + (
                    f" ({words.label('level:should', lang)})" if entry["level"] == "should"
                    else "")
                by_outcome.setdefault(head, []).append(value)
        return [line for head, values in by_outcome.items()
                for line in [f"{head}:"] + [_label(x, lang, words) for x in values]]
    if isinstance(v, list):
        return [_label(x, lang, words) for x in v]
    return [_label(v, lang, words) if isinstance(v, str) else str(v)]


def cell_text(topic: TopicRow, cell: Cell, vocabulary: vocab.Vocabulary | None = None,
              lang: str = "en") -> str:
    """The short words of one matrix cell, one item a line, in ``lang``."""
    if cell.value is None:
        return (vocabulary or contract_vocabulary()).label("word:not_regulated", lang)
    return "\n".join(_lines(topic, cell.value, vocabulary or contract_vocabulary(), lang))


def fill(text: str, width: int, lang: str) -> str:
    """``text`` with each of its lines filled to ``width``: words moved to the next line
    whole, and a word longer than the line broken with a hyphen where the language
    hyphenates it ("förvalt-" / "ningschef"; pyphen's dictionaries), never in the middle
    of a syllable unless no break fits."""
    out: list[str] = []
    for line in text.split("\n"):
        current = ""
        for word in line.split():
            if current and len(current) + 1 + len(word) <= width:
                current += " " + word
                continue
            if current:
                out.append(current)
            while len(word) > width:
                head, word = _hyphenate(word, width, lang)
                out.append(head)
            current = word
        out.append(current)
    return "\n".join(out)


def _hyphenate(word: str, width: int, lang: str) -> tuple[str, str]:
    """The first line of a ``word`` too long for ``width`` (ending in a hyphen) and the
    rest; cut at the width where no hyphenation point fits."""
    if "-" in word[:width]:                  # a word with a hyphen of its own breaks there
        at = word[:width].rindex("-") + 1
        return word[:at], word[at:]
    head_tail = _dictionary(lang).wrap(word, width)
    if head_tail:
        return str(head_tail[0]), str(head_tail[1])
    return word[:width - 1] + "-", word[width - 1:]


def _dictionary(lang: str) -> Any:
    """pyphen's dictionary for ``lang``, loaded once (imported here: loading is not
    cheap, and only the terminal's matrix needs it)."""
    import pyphen

    key = "sv_SE" if lang == "sv" else "en_GB"
    if key not in _DICTIONARIES:
        _DICTIONARIES[key] = pyphen.Pyphen(lang=key)
    return _DICTIONARIES[key]


_DICTIONARIES: dict[str, Any] = {}


def title(topic: TopicRow, lang: str) -> str:
    """The topic's title in ``lang`` (a topic with no Swedish title: the English one)."""
    return (topic.title_sv or topic.title) if lang == "sv" else topic.title


def _sources(cell: Cell, lang: str = "en") -> str:
    return ("; ".join(quoted(s, lang) for s in cell.sections)
            or phrase("compare:no_section", lang))


def document_line(column: Column, lang: str, words: vocab.Vocabulary | None = None) -> str:
    """What a column rests on, in one line: "Tyresö kommun: Riktlinjer för sociala medier
    (utdrag), odaterad; version 1.2.0; gäller alla dagar", with each page of a guideline
    published as several and its date."""
    words = words or contract_vocabulary()
    doc = column.document or column.name
    if column.parts:
        pages = "; ".join(f"{phrase('compare:part', lang)} {quoted(p.title, lang)}, "
                          + (f"{words.label('word:dated', lang)} {p.dated.isoformat()}"
                             if p.dated else words.label("word:undated", lang))
                          for p in column.parts)
        doc = f"{doc} ({pages})"
    if column.dated is not None:
        doc += f", {words.label('word:dated', lang)} {column.dated.isoformat()}"
    elif not column.parts:
        doc += f", {words.label('word:undated', lang)}"
    if column.in_force_from is None and column.in_force_until is None:
        force = phrase("compare:in_force_any_day", lang)
    else:
        force = words.label("word:in_force", lang) + " " + (
            column.in_force_from.isoformat() if column.in_force_from else "\u2013")
        if column.in_force_until is not None:
            force += (f" {phrase('compare:in_force_until', lang)} "
                      f"{column.in_force_until.isoformat()}")
    version = f"{words.label('word:version', lang)} {column.version}" if column.version else ""
    return f"{column.name}: " + "; ".join(x for x in (doc, version, force) if x)


def document_lines(comparison: Comparison, lang: str) -> list[str]:
    """One :func:`document_line` per pack compared, in column order."""
    return [document_line(comparison.column(p), lang, comparison.vocabulary)
            for p in comparison.packs]


def _header(comparison: Comparison, pack: str, short: bool) -> str:
    column = comparison.column(pack)
    return column.short_name if short else column.name


# ---- terminal ------------------------------------------------------------------------

#: Below this many characters per pack column the matrix is shown one topic at a time.
MIN_COLUMN = 12
TOPIC_COLUMN = 14
MAX_TOPIC_COLUMN = 24
MAX_COLUMN = 32


def matrix(comparison: Comparison, width: int, lang: str = "en") -> str:
    """The comparison for a terminal ``width`` columns wide, with no longer line: the
    municipalities by their short names at the head of the columns (by their full names
    when it is shown one topic at a time) and, under it, the document each rests on."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    output = io.StringIO()
    console = Console(width=width, file=output, color_system=None, highlight=False,
                      emoji=False, markup=False, legacy_windows=False)
    packs = comparison.packs
    words = comparison.vocabulary or contract_vocabulary()
    console.print(phrase("compare:heading", lang).format(at=comparison.at.isoformat()),
                  overflow="fold")
    # as wide as the longest word of a title (Swedish runs words together) where the
    # packs' columns leave room for it
    longest = max([0] + [len(word) for t in comparison.topics for word in title(t, lang).split()])
    room = width - len(packs) * (MIN_COLUMN + 1)
    first = max(TOPIC_COLUMN, min(longest, MAX_TOPIC_COLUMN, room))
    if width >= first + len(packs) * (MIN_COLUMN + 1):
        # the columns' widths are ours, so that a word too long for its column is broken
        # where the language breaks it, with a hyphen (fill), rather than anywhere by rich
        total = min(width, first + len(packs) * (MAX_COLUMN + 1))
        column, extra = divmod(total - first - len(packs), len(packs))
        widths = [column + (1 if i < extra else 0) for i in range(len(packs))]
        table = Table(box=box.SIMPLE_HEAD, show_lines=True, show_edge=False, padding=0,
                      width=total)
        table.add_column(words.label("word:topic", lang), width=first, overflow="fold")
        for pack, w in zip(packs, widths):
            table.add_column(_header(comparison, pack, short=True), width=w, overflow="fold")
        for topic in comparison.topics:
            table.add_row(fill(title(topic, lang), first, lang),
                          *(fill(cell_text(topic, topic.values[p], words, lang), w, lang)
                            for p, w in zip(packs, widths)))
        console.print(table)
        console.print()
        console.print(phrase("compare:topic_ids", lang).format(
            ids=", ".join(t.id for t in comparison.topics)), overflow="fold")
    else:
        for topic in comparison.topics:
            console.print()
            table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0),
                          title=f"{title(topic, lang)} [{topic.id}]", title_justify="left",
                          show_header=False)
            table.add_column(words.label("word:municipality", lang), no_wrap=True)
            table.add_column(phrase("compare:value", lang), overflow="fold")
            for pack in packs:
                table.add_row(_header(comparison, pack, short=True),
                              cell_text(topic, topic.values[pack], words, lang))
            console.print(table)
    console.print(phrase("compare:footer", lang), overflow="fold")
    console.print()
    console.print(phrase("compare:documents", lang), overflow="fold")
    for line in document_lines(comparison, lang):
        console.print(f"- {line}", overflow="fold")
    text = output.getvalue()
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def topic_detail(comparison: Comparison, topic_id: str, width: int, lang: str = "en",
                 sources: bool = False, color: bool = False) -> str:
    """One topic in full: per pack (by its municipality's name and document) the value,
    the summary, the rules and their sections; with ``sources``, each rule as written in
    the pack (highlighted when ``color``)."""
    from rich.console import Console
    from rich.padding import Padding

    topic = comparison.topic(topic_id)
    words = comparison.vocabulary or contract_vocabulary()
    blocks: list[str] = []
    output = io.StringIO()
    console = Console(width=width, file=output, color_system=None, highlight=False,
                      emoji=False, markup=False, legacy_windows=False)
    console.print(f"{title(topic, lang)} [{topic.id}]", overflow="fold")
    if topic.question:
        question = topic.question_sv if lang == "sv" and topic.question_sv else topic.question
        console.print(phrase("compare:derived", lang).format(question=question),
                      overflow="fold")
    for pack in comparison.packs:
        cell = topic.values[pack]
        console.print()
        console.print(document_line(comparison.column(pack), lang, words), overflow="fold")
        lines = cell_text(topic, cell, words, lang).splitlines()
        summary = cell.summary_sv if lang == "sv" and cell.summary_sv else cell.summary
        if summary:
            lines.append(summary)
        if cell.source:
            lines.append(f"{words.label('word:source', lang)}: {_sources(cell, lang)}")
        for rule in cell.rules:
            text = rule.text_sv if lang == "sv" and rule.text_sv else rule.text
            where = f" \u00b7 {quoted(rule.section, lang)}" if rule.section else ""
            level = _level(rule.level, lang, words)
            lines.append(f"- {rule.rule} ({_effect(rule.effect, lang, words)}, {level}{where}): "
                         f"{text}")
            if sources and rule.source_text:
                blocks.append(rule.source_text)
                lines.append(f"\0{len(blocks) - 1}")
        if cell.value is None and not summary and not cell.rules:
            lines.append(phrase("compare:nothing_on_it", lang))
        for line in lines:
            console.print(Padding(line, (0, 0, 0, 2)), overflow="fold")
    text = output.getvalue()
    out: list[str] = []
    for line in text.splitlines():
        if line.strip().startswith("\0"):      # a rule's source, never wrapped
            block = blocks[int(line.strip()[1:])]
            if color:
                from dsl.highlight import highlight_source
                block = highlight_source(block, "terminal")
            out.extend("      " + source_line for source_line in block.rstrip("\n").splitlines())
        else:
            out.append(line.rstrip())
    return "\n".join(out) + "\n"


def _level(level: str | None, lang: str, words: vocab.Vocabulary) -> str:
    """A rule's level (*ska*, *bör*), or the word for a pack's default."""
    return words.label(f"level:{level}", lang) if level else phrase("compare:default", lang)


def _effect(effect: str, lang: str, words: vocab.Vocabulary) -> str:
    """A rule's effect (allow, deny, require, only): the language's own word in Swedish,
    the DSL's keyword in English."""
    if lang == "en":
        return effect
    return {"allow": words.label("outcome:allow", lang), "deny": words.label("outcome:deny", lang),
            "require": words.label("word:step", lang),
            "only": words.label("word:only", lang)}.get(effect, effect)


# ---- markdown and HTML ---------------------------------------------------------------

def _md(text: str) -> str:
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")
            .replace("*", "\\*").replace("_", "\\_"))


def markdown(comparison: Comparison, lang: str = "en") -> str:
    """A GitHub-flavoured markdown table (a column per municipality, by its full name),
    the document each column rests on and the sections each value rests on under it."""
    packs = comparison.packs
    words = comparison.vocabulary or contract_vocabulary()
    heads = [_md(_header(comparison, p, short=False)) for p in packs]
    lines = [f"| {words.label('word:topic', lang)} | {' | '.join(heads)} |",
             "| --- |" + " --- |" * len(packs)]
    for topic in comparison.topics:
        cells = [_md(cell_text(topic, topic.values[p], words, lang)) for p in packs]
        lines.append(f"| {_md(title(topic, lang))} (`{topic.id}`) | {' | '.join(cells)} |")
    lines.append("")
    lines.append(phrase("compare:documents", lang))
    lines.append("")
    lines += [f"- {_md(line)}" for line in document_lines(comparison, lang)]
    lines.append("")
    lines.append(phrase("compare:decided_at", lang).format(at=comparison.at.isoformat()))
    lines.append("")
    for topic in comparison.topics:
        cited = [f"{_md(comparison.column(p).short_name)}: {_md(_sources(topic.values[p], lang))}"
                 for p in packs if topic.values[p].sections]
        if cited:
            lines.append(f"- {_md(title(topic, lang))} (`{topic.id}`): " + "; ".join(cited))
    return "\n".join(lines) + "\n"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #c8c8c8; padding: .4rem .5rem; vertical-align: top; text-align: left; }
thead th { background: #eef1f4; position: sticky; top: 0; }
th.topic { width: 16%; font-weight: 600; }
th.topic code { display: block; font-weight: normal; color: #555; font-size: .85em; }
td.unregulated { color: #777; font-style: italic; }
details summary { cursor: pointer; white-space: pre-line; }
details div { margin-top: .4rem; font-size: .9em; color: #333; }
details ul { margin: .3rem 0; padding-left: 1.1rem; }
"""


def html(comparison: Comparison, lang: str = "en") -> str:
    """A self-contained HTML page (inline CSS, no scripts, no network) in ``lang``: the
    matrix (a column per municipality, by its full name), each cell a ``<details>`` that
    opens on its summary, rules and sources, and names its sources in the cell's
    ``title`` (shown on hover); under it the document each column rests on. Each rule is
    shown as written in its pack, highlighted when Pygments is installed."""
    from dsl.highlight import highlight_source, source_css

    e = _html.escape
    packs = comparison.packs
    words = comparison.vocabulary or contract_vocabulary()
    heading = phrase("compare:title", lang)
    out = ["<!DOCTYPE html>", f'<html lang="{e(lang)}">', "<head>", '<meta charset="utf-8">',
           f"<title>{e(heading)}</title>", f"<style>{_CSS}{source_css()}</style>",
           "</head>", "<body>", f"<h1>{e(heading)}</h1>",
           f"<p>{e(phrase('compare:html_intro', lang).format(at=comparison.at.isoformat()))}</p>",
           "<table>", f"<thead><tr><th>{e(words.label('word:topic', lang))}</th>"
           + "".join(f'<th scope="col" data-pack="{e(p)}">{e(_header(comparison, p, False))}</th>'
                     for p in packs) + "</tr></thead>",
           "<tbody>"]
    for topic in comparison.topics:
        row = [f'<tr id="{e(topic.id)}"><th class="topic" scope="row">{e(title(topic, lang))}'
               f"<code>{e(topic.id)}</code></th>"]
        for pack in packs:
            cell = topic.values[pack]
            name = comparison.column(pack).name
            text = cell_text(topic, cell, words, lang)
            summary = cell.summary_sv if lang == "sv" and cell.summary_sv else cell.summary
            if cell.value is None and not summary:
                row.append(f'<td class="unregulated" title="{e(name)}: '
                           f'{e(phrase("compare:says_nothing", lang))}">{e(text)}</td>')
                continue
            body = []
            if summary:
                body.append(f"<p>{e(summary)}</p>")
            if cell.rules:
                body.append("<ul>" + "".join(
                    f"<li><code>{e(r.rule)}</code> ({e(_effect(r.effect, lang, words))}, "
                    f"{e(_level(r.level, lang, words))}): "
                    f"{e(r.text_sv if lang == 'sv' and r.text_sv else r.text)}"
                    + (f" \u2014 <cite>{e(r.section)}</cite>" if r.section else "")
                    + (highlight_source(r.source_text, "html") if r.source_text else "")
                    + "</li>" for r in cell.rules) + "</ul>")
            body.append(f"<p>{e(words.label('word:source', lang).capitalize())}: "
                        f"{e(_sources(cell, lang))}</p>")
            klass = ' class="unregulated"' if cell.value is None else ""
            row.append(f'<td{klass} title="{e(name)}: {e(_sources(cell, lang))}"><details>'
                       f"<summary>{e(text)}</summary><div>{''.join(body)}</div></details></td>")
        out.append("".join(row) + "</tr>")
    out += ["</tbody>", "</table>", f"<h2>{e(phrase('compare:documents', lang))}</h2>",
            '<ul class="documents">']
    out += [f'<li data-pack="{e(p)}">{e(line)}</li>'
            for p, line in zip(packs, document_lines(comparison, lang))]
    out += ["</ul>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def json_ready(comparison: Comparison) -> Any:
    """The contract's JSON shape (plus this project's added fields)."""
    from engine.serialization import to_json
    return to_json(comparison)

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
from typing import Any, Iterable

from engine import vocabulary as vocab
from engine.contract import contract_vocabulary
from engine.explain.comparison import Cell, Comparison, TopicRow

NOT_REGULATED = "not regulated"

#: Short words for enum values in matrix cells; a value not listed shows as its id with
#: spaces for underscores.
LABELS: dict[str, str] = {
    **{role: contract_vocabulary().role_label(role) for role in contract_vocabulary().roles.values},
    "central_storage": "central storage", "communications_unit": "comms unit",
    "communications_director": "comms director",
    "half_yearly": "half-yearly", "yearly": "yearly",
    "breaks_only": "breaks only", "department_head_decides": "department head decides",
    # content categories
    "personal_attack": "personal attacks", "incitement_to_crime": "incitement",
    "copyright_infringement": "copyright", "confidential_information": "confidential",
    "offensive_personal_data": "offensive personal data", "off_topic": "off-topic",
    "minor_importance": "minor importance", "question": "questions",
    # page categories
    "own": "own pages", "municipality": "municipalities", "authority": "authorities",
    "local_association": "local associations", "cultural_institution": "cultural institutions",
    "local_project": "local projects", "commercial": "companies", "political_party": "parties",
    # image sources and purposes
    "none": "no images", "licensed_agency": "licensed agency",
    "creator_consent": "creator's consent",
    "official_communication": "official use", "client_contact": "clients",
    "closed_professional_network": "closed networks", "answer_work_question": "work questions",
    # outcomes
    "required_steps": "steps",
}

#: Short words for the step ids the packs share; any other step shows as its id in words.
#: They shorten how a step is named and never decide which steps a cell lists.
STEP_LABELS: dict[str, str] = {
    "approve-channel": "approval", "appoint-responsible": "responsible",
    "appoint-substitute": "substitute", "define-purpose": "purpose",
    "inform-communicator": "communicator told",
    "inform-information-officer": "information officer told",
    "share-credentials": "logins given", "list-on-website": "website list",
    "follow-graphic-profile": "graphic profile", "publish-visitor-information": "visitor info",
    "file-activity-plan": "activity plan", "appoint-two-administrators": "two admins",
    "apply-via-eservice": "e-service application", "consult-manager": "manager consulted",
    "consult-communicator": "communicator consulted", "publish-farewell-post": "farewell post",
    "save-comment-content": "save content", "save-comment-author": "save author",
    "register-removed": "register",
}


def label(value: str) -> str:
    return LABELS.get(value, value.replace("_", " "))


def labels(values: Iterable[str]) -> str:
    return ", ".join(label(v) for v in values)


def step_words(step_id: str, vocabulary: vocab.Vocabulary | None = None) -> str:
    """A step's short name; a ``for each`` step (``approve-channel-manager``) names its
    value after a colon."""
    if step_id in STEP_LABELS:
        return STEP_LABELS[step_id]
    stem, _, value = step_id.rpartition("-")
    custodians = (vocabulary or contract_vocabulary()).enums["custodian"].values
    if stem and value in custodians:
        return f"{step_words(stem, vocabulary)}: {label(value)}"
    return step_id.replace("-", " ").replace("_", " ")


def _relative(items: list[str], universe: list[str]) -> list[str]:
    """``items`` one per line, or "all" / "all but:" and the rest of ``universe`` when
    that is shorter."""
    if items == universe:
        return ["all"]
    rest = [u for u in universe if u not in items]
    if set(items) <= set(universe) and len(rest) < len(items):
        return ["all but:"] + [label(r) for r in rest]
    return [label(i) for i in items]


def _universe(vocabulary: vocab.Vocabulary, enum_name: str) -> list[str]:
    return list(vocabulary.enums[enum_name].values)


def _lines(topic: TopicRow, v: Any, words: vocab.Vocabulary) -> list[str]:
    tid = topic.id
    if tid == "response_time":
        return [f"{v} hours"]
    if tid in ("new_channel", "closing_channel"):
        return [step_words(s, words) for s in v] or ["nothing"]
    if tid in ("removal_grounds", "allowed_likes") and v.get("only"):
        universe = _universe(words, "content_category" if tid == "removal_grounds"
                             else "page_category")
        shown = _relative(v["allow"], universe)
        return shown if shown[0] in ("all", "all but:") else ["only:"] + shown
    if tid == "removal_grounds":
        lines = (_relative(v["allow"], _universe(words, "content_category")) if v["allow"]
                 else [])
        if v["deny"]:
            lines += ["kept:"] + [label(c) for c in v["deny"]]
        return lines
    if tid == "removal_steps":
        groups: dict[tuple[str, ...], list[str]] = {}
        for entry in v["steps"]:
            groups.setdefault(tuple(entry["for"]), []).append(step_words(entry["step"], words))
        lines = []
        for cats, steps in groups.items():
            which = _relative(list(cats), v["grounds"])
            head = "for " + which[0] if which[0] in ("all", "all but:") else "for:"
            lines += steps + [head] + [c for c in which if c not in ("all", "all but:")]
        return lines or ["nothing"]
    if tid == "allowed_likes":
        universe = _universe(words, "page_category")
        return [line for key in ("allow", "deny") if v[key]
                for line in [f"{key}:"] + _relative(v[key], universe)]
    if tid in ("image_rights", "private_accounts"):
        by_outcome: dict[str, list[str]] = {}
        for value, entry in v.items():
            if entry is not None:
                head = label(entry["outcome"]) + (" (should)" if entry["level"] == "should" else "")
                by_outcome.setdefault(head, []).append(value)
        return [line for head, values in by_outcome.items()
                for line in [f"{head}:"] + [label(x) for x in values]]
    if isinstance(v, list):
        return [label(x) for x in v]
    return [label(v) if isinstance(v, str) else str(v)]


def cell_text(topic: TopicRow, cell: Cell, vocabulary: vocab.Vocabulary | None = None) -> str:
    """The short words of one matrix cell, one item a line."""
    if cell.value is None:
        return NOT_REGULATED
    return "\n".join(_lines(topic, cell.value, vocabulary or contract_vocabulary()))


def _sources(cell: Cell) -> str:
    return "; ".join(f"\u201c{s}\u201d" for s in cell.sections) or "no section"


# ---- terminal ------------------------------------------------------------------------

#: Below this many characters per pack column the matrix is shown one topic at a time.
MIN_COLUMN = 12
TOPIC_COLUMN = 14
MAX_COLUMN = 32


def matrix(comparison: Comparison, width: int) -> str:
    """The comparison for a terminal ``width`` columns wide, with no longer line."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    output = io.StringIO()
    console = Console(width=width, file=output, color_system=None, highlight=False,
                      emoji=False, markup=False, legacy_windows=False)
    packs = comparison.packs
    head = f"Guidelines compared, topic by topic ({comparison.at.isoformat()})"
    console.print(head, overflow="fold")
    if width >= TOPIC_COLUMN + len(packs) * (MIN_COLUMN + 1):
        table = Table(box=box.SIMPLE_HEAD, show_lines=True, show_edge=False, padding=0,
                      width=min(width, TOPIC_COLUMN + len(packs) * (MAX_COLUMN + 1)))
        table.add_column("topic", width=TOPIC_COLUMN, overflow="fold")
        for pack in packs:
            table.add_column(pack, ratio=1, overflow="fold")
        for topic in comparison.topics:
            table.add_row(topic.title, *(cell_text(topic, topic.values[p], comparison.vocabulary) for p in packs))
        console.print(table)
        console.print()
        console.print("Topic ids, in this order: "
                      + ", ".join(t.id for t in comparison.topics) + ".", overflow="fold")
    else:
        for topic in comparison.topics:
            console.print()
            table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0),
                          title=f"{topic.title} [{topic.id}]", title_justify="left",
                          show_header=False)
            table.add_column("pack", no_wrap=True)
            table.add_column("value", overflow="fold")
            for pack in packs:
                table.add_row(pack, cell_text(topic, topic.values[pack], comparison.vocabulary))
            console.print(table)
    console.print("not regulated: the guideline says nothing on it. One topic in full, with "
                  "rules and sections: policy explain --topic ID", overflow="fold")
    text = output.getvalue()
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def topic_detail(comparison: Comparison, topic_id: str, width: int, lang: str = "en",
                 sources: bool = False, color: bool = False) -> str:
    """One topic in full: per pack the value, the summary, the rules and their sections;
    with ``sources``, each rule as written in the pack (highlighted when ``color``)."""
    from rich.console import Console
    from rich.padding import Padding

    topic = comparison.topic(topic_id)
    blocks: list[str] = []
    output = io.StringIO()
    console = Console(width=width, file=output, color_system=None, highlight=False,
                      emoji=False, markup=False, legacy_windows=False)
    console.print(f"{topic.title} [{topic.id}]", overflow="fold")
    if topic.question:
        console.print(f"Derived from the packs' rules: {topic.question}.", overflow="fold")
    for pack in comparison.packs:
        cell = topic.values[pack]
        console.print()
        console.print(pack)
        lines = cell_text(topic, cell, comparison.vocabulary).splitlines()
        summary = cell.summary_sv if lang == "sv" and cell.summary_sv else cell.summary
        if summary:
            lines.append(summary)
        if cell.source:
            lines.append(f"source: {_sources(cell)}")
        for rule in cell.rules:
            text = rule.text_sv if lang == "sv" and rule.text_sv else rule.text
            where = f" \u00b7 \u201c{rule.section}\u201d" if rule.section else ""
            lines.append(f"- {rule.rule} ({rule.effect}, {rule.level}{where}): {text}")
            if sources and rule.source_text:
                blocks.append(rule.source_text)
                lines.append(f"\0{len(blocks) - 1}")
        if cell.value is None and not summary and not cell.rules:
            lines.append("The guideline says nothing on this.")
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


# ---- markdown and HTML ---------------------------------------------------------------

def _md(text: str) -> str:
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")
            .replace("*", "\\*").replace("_", "\\_"))


def markdown(comparison: Comparison) -> str:
    """A GitHub-flavoured markdown table, with the sources under it."""
    packs = comparison.packs
    lines = [f"| topic | {' | '.join(packs)} |", "| --- |" + " --- |" * len(packs)]
    for topic in comparison.topics:
        cells = [_md(cell_text(topic, topic.values[p], comparison.vocabulary)) for p in packs]
        lines.append(f"| {_md(topic.title)} (`{topic.id}`) | {' | '.join(cells)} |")
    lines.append("")
    lines.append(f"Decided at {comparison.at.isoformat()}. Sources (the guideline's sections):")
    lines.append("")
    for topic in comparison.topics:
        cited = [f"{p}: {_md(_sources(topic.values[p]))}" for p in packs if topic.values[p].sections]
        if cited:
            lines.append(f"- `{topic.id}`: " + "; ".join(cited))
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


def html(comparison: Comparison) -> str:
    """A self-contained HTML page (inline CSS, no scripts, no network): the matrix, each
    cell a ``<details>`` that opens on its summary, rules and sources, and names its
    sources in the cell's ``title`` (shown on hover). Each rule is shown as written in its
    pack, highlighted when Pygments is installed."""
    from dsl.highlight import highlight_source, source_css

    e = _html.escape
    packs = comparison.packs
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           "<title>Social-media guidelines compared</title>", f"<style>{_CSS}{source_css()}</style>",
           "</head>", "<body>", "<h1>Social-media guidelines compared</h1>",
           f"<p>Topic by topic, as the packs decide at {e(comparison.at.isoformat())}. "
           "Open a cell for its rules and the guideline's sections.</p>",
           "<table>", "<thead><tr><th>topic</th>"
           + "".join(f'<th scope="col">{e(p)}</th>' for p in packs) + "</tr></thead>",
           "<tbody>"]
    for topic in comparison.topics:
        row = [f'<tr id="{e(topic.id)}"><th class="topic" scope="row">{e(topic.title)}'
               f"<code>{e(topic.id)}</code></th>"]
        for pack in packs:
            cell = topic.values[pack]
            text = cell_text(topic, cell, comparison.vocabulary)
            if cell.value is None and not cell.summary:
                row.append(f'<td class="unregulated" title="{e(pack)}: the guideline says '
                           f'nothing on this">{e(text)}</td>')
                continue
            body = []
            if cell.summary:
                body.append(f"<p>{e(cell.summary)}</p>")
            if cell.rules:
                body.append("<ul>" + "".join(
                    f"<li><code>{e(r.rule)}</code> ({e(r.effect)}, {e(r.level or 'default')}): {e(r.text)}"
                    + (f" \u2014 <cite>{e(r.section)}</cite>" if r.section else "")
                    + (highlight_source(r.source_text, "html") if r.source_text else "")
                    + "</li>" for r in cell.rules) + "</ul>")
            body.append(f"<p>Source: {e(_sources(cell))}</p>")
            klass = ' class="unregulated"' if cell.value is None else ""
            row.append(f'<td{klass} title="{e(pack)}: {e(_sources(cell))}"><details>'
                       f"<summary>{e(text)}</summary><div>{''.join(body)}</div></details></td>")
        out.append("".join(row) + "</tr>")
    out += ["</tbody>", "</table>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def json_ready(comparison: Comparison) -> Any:
    """The contract's JSON shape (plus this project's added fields)."""
    from engine.serialization import to_json
    return to_json(comparison)

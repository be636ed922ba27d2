"""``policy explain``: compare the packs topic by topic, or trace why a pack decided.

Without arguments it prints the comparison matrix (``engine.explain.comparison`` →
``engine.explain.comparison_views``); with ``PACK ACTION --facts JSON`` the decision and its trace
(``engine.explain.trace`` → ``engine.explain.trace_views``); with ``ACTION --all-packs`` the same request
through every pack. Registered on the ``policy`` group by ``engine.cli``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from typing import Any, Mapping

import click

from dsl.dates import date_hint
from engine.cli.common import echo_json, fail, load_engine, parse_json, reports_errors


#: The language of the views people read (the comparison, the official account): Swedish,
#: since the readers are Swedish municipalities' officials (docs/explain.md says more).
PEOPLE_LANG = "sv"


def _width() -> int:
    """The terminal's width; ``COLUMNS`` wins, as for every well-behaved command."""
    return max(20, shutil.get_terminal_size((80, 24)).columns)


def _date(text: str | None) -> dt.date:
    from engine.core import today
    if text is None:
        return today()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    fail(f"--at must be a date as YYYY-MM-DD, got {text!r}{date_hint(text)}")


def _known(kind: str, name: str, valid: Any, names: Mapping[str, str] | None = None) -> str:
    """``name`` if it is among ``valid`` (ids, or packs by id: their own names are then
    suggested from too; ``names``: other names of the ids, such as topics' titles); else
    bad usage, with the nearest valid one."""
    from engine.errors import did_you_mean, one_of
    if name not in valid:
        if kind == "pack":
            names = {p.name: i for i, p in valid.items()}
        fail(f"unknown {kind} '{name}'{did_you_mean(name, valid, names)}; {kind}s are "
             f"{one_of(valid, limit=20)}")
    return name


@click.command("explain")
@click.argument("pack", required=False)
@click.argument("action", required=False)
@click.option("--facts", "facts_json", metavar="JSON",
              help="The request's facts as a JSON object (with PACK ACTION).")
@click.option("--at", "at", metavar="YYYY-MM-DD",
              help="The date to decide at (default: today in Sweden); a trace of one "
                   "request also takes a time of day, YYYY-MM-DDTHH:MM.")
@click.option("--topic", "topic_id", metavar="ID", help="Show one topic in full, with sources.")
@click.option("--packs", "pack_list", metavar="A,B,…", help="Only these packs, in this order.")
@click.option("--diff", nargs=2, metavar="A B", help="Only the topics on which packs A and B differ.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "html"]),
              default="text", show_default=True,
              help="Text for the terminal, JSON, a markdown table or an HTML page (the last "
                   "two for the comparison).")
@click.option("--for", "audience", type=click.Choice(["developer", "official"]),
              default="developer", show_default=True,
              help="A decision trace for developers, or a plain account for officials.")
@click.option("--lang", type=click.Choice(["sv", "en"]), default=None,
              help="Language of the words people read: Swedish by default for the "
                   "comparison (matrix, --topic, markdown, HTML) and the official account, "
                   "English for a developer's trace and --all-packs. JSON keeps the "
                   "contract's English names whatever the language.")
@click.option("--all-packs", is_flag=True, help="Run ACTION --facts through every pack.")
@click.option("--source", "show_source", is_flag=True,
              help="With --topic: also print each rule as written in its pack (highlighted "
                   "on a terminal).")
@reports_errors
def explain(pack: str | None, action: str | None, facts_json: str | None, at: str | None,
            topic_id: str | None, pack_list: str | None, diff: tuple[str, str] | None,
            fmt: str, audience: str, lang: str | None, all_packs: bool,
            show_source: bool) -> None:
    """Compare the packs topic by topic, or show why a pack decided a request.

    \b
    policy explain                          the matrix: topics × packs
    policy explain --topic snapshot_interval    one topic: values, rules, sections
    policy explain --diff tyreso vara           the topics on which two packs differ
    policy explain tyreso like_page --facts '{"page_category": "commercial"}'
    policy explain like_page --all-packs --facts '{"page_category": "commercial"}'
    """
    if all_packs:
        if pack is not None and action is not None:
            fail("--all-packs runs the request through every pack; give only the ACTION "
                 "(e.g. policy explain like_page --all-packs --facts '{…}')")
        action, pack = pack, None
        if action is None:
            fail("--all-packs needs an ACTION (e.g. policy explain like_page --all-packs "
                 "--facts '{\"page_category\": \"own\"}')")
    if action is not None:   # a trace (--all-packs has made sure of its ACTION above)
        for given, name in ((topic_id, "--topic"), (diff, "--diff")):
            if given:
                fail(f"{name} belongs to the comparison; a decision trace takes PACK ACTION "
                     "[--facts JSON] [--at DATE] [--for developer|official]")
        if fmt in ("markdown", "html"):
            fail(f"--format {fmt} is for the comparison; a decision trace is text or json")
        _trace(pack, action, facts_json, at, fmt, audience, lang, all_packs, pack_list)
        return
    if pack is not None:
        fail(f"name an ACTION after the pack (e.g. policy explain {pack} like_page --facts "
             "'{\"page_category\": \"own\"}'), or give no argument for the comparison")
    for used, name in ((facts_json, "--facts"), (audience != "developer", "--for")):
        if used:
            fail(f"{name} belongs to a decision trace: policy explain PACK ACTION {name} …")
    _compare(at, topic_id, pack_list, diff, fmt, lang, show_source)


def _packs(engine: Any, pack_list: str | None) -> list[str]:
    if pack_list is None:
        return list(engine.packs)
    names = [p.strip() for p in pack_list.split(",") if p.strip()]
    if not names:
        fail(f"--packs needs pack ids separated by commas, got {pack_list!r}")
    for name in names:
        _known("pack", name, engine.packs)
    return list(dict.fromkeys(names))


def _editions_on(engine: Any, packs: list[str], when: dt.date, named: bool) -> dict[str, Any]:
    """The edition of each pack in force on ``when``. A pack not in force that day is an
    error when it was named (--diff, --packs), else left out with a note."""
    from engine.errors import RequestError
    editions = {}
    for name in packs:
        try:
            editions[name] = engine.edition(name, when)
        except RequestError as e:
            if named:
                fail(e.message)
            click.echo(f"note: {e.message}; left out", err=True)
    return editions


def _compare(at: str | None, topic_id: str | None, pack_list: str | None,
             diff: tuple[str, str] | None, fmt: str, lang: str | None,
             show_source: bool = False) -> None:
    from engine.explain import comparison_views as views
    from engine.explain.comparison import compare, topic_ids
    from engine.phrases import phrase

    if diff and pack_list:
        fail("give either --diff A B or --packs, not both")
    when = _date(at)
    engine = load_engine()
    if topic_id is not None:           # the engine's topics: its plugins' too
        ids = topic_ids(engine.vocabulary)
        _known("topic", topic_id, ids,
               engine.vocabulary.names_of({f"topic:{t}": t for t in ids}))
    packs = list(diff) if diff else _packs(engine, pack_list)
    for name in packs:
        _known("pack", name, engine.packs)
    comparison = compare(_editions_on(engine, packs, when, named=bool(diff or pack_list)), when,
                         engine.vocabulary)
    if diff:
        comparison = comparison.differing(*diff)
    if topic_id is not None:
        comparison = comparison.only([topic_id])
    language = lang or PEOPLE_LANG
    if fmt == "json":
        echo_json(views.json_ready(comparison))
    elif fmt == "markdown":
        click.echo(views.markdown(comparison, language), nl=False)
    elif fmt == "html":
        click.echo(views.html(comparison, language), nl=False)
    elif diff and not comparison.topics:
        names = [engine.packs[p].name for p in diff]
        click.echo(phrase("compare:agree", language).format(a=names[0], b=names[1]))
    elif topic_id is not None and not diff:
        color = show_source and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        click.echo(views.topic_detail(comparison, topic_id, _width(), language,
                                      sources=show_source, color=color), nl=False)
    else:
        click.echo(views.matrix(comparison, _width(), language), nl=False)


def _trace(pack: str | None, action: str, facts_json: str | None, at: str | None,
           fmt: str, audience: str, lang: str | None, all_packs: bool,
           pack_list: str | None) -> None:
    from engine.errors import RequestError
    from engine.explain import trace_views as views
    from engine.serialization import to_json

    facts = parse_json(facts_json, "--facts") if facts_json is not None else {}
    if not isinstance(facts, dict):
        fail(f"--facts must be a JSON object of fact names to values, got {facts_json}")
    engine = load_engine()
    if all_packs:
        packs = _packs(engine, pack_list)
    else:
        if pack_list is not None:
            fail("--packs goes with --all-packs or the comparison, not with one PACK")
        if pack is None:
            raise ValueError("a trace of one pack has its PACK: click fills PACK before ACTION")
        packs = [pack]
    explained = []
    for name in list(packs):
        try:
            explained.append(views.explain_request(engine, name, action, facts, at))
        except RequestError as e:
            # --all-packs over every pack: one not in force that day is left out, as the
            # comparison leaves it out; a pack named in --packs is asked for, so an error
            if not (all_packs and pack_list is None and e.code == "not-in-force"):
                raise
            click.echo(f"note: {e.message}; left out", err=True)
            packs.remove(name)
    if not explained:
        fail(f"no pack is in force on {at or 'the day decided'}")
    if fmt == "json":
        data = [to_json(e) for e in explained]
        echo_json(data if all_packs else data[0])
        return
    language = lang or (PEOPLE_LANG if audience == "official" else "en")
    if audience == "official":
        click.echo("\n".join(views.official(e.decision, engine.edition(e.decision.pack,
                                                                        e.decision.at), language)
                             for e in explained), nl=False)
    elif all_packs:
        from engine.phrases import short_name        # a narrow column: the short form
        names = {name: short_name(engine.edition(name, e.decision.at).name)
                 for name, e in zip(packs, explained)}
        click.echo(views.side_by_side(explained, _width(), language, names), nl=False)
    else:
        click.echo(views.developer(explained[0], engine.edition(packs[0], explained[0].decision.at),
                                   _width(), language), nl=False)

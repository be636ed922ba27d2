"""The Decide page (``/``): choose a municipality and an action, answer the questions
the action's facts ask, and read the decision: its outcome, each step with who does it
and whether it must or should be done, and the guideline section behind each reason.

``decide_page(engine, query)`` is a pure function of an engine and the URL's query (a
list of name and value pairs) to a status and a whole HTML page. The form is a GET, so
a decision is its URL (``/?pack=tyreso&action=like_page&page_category=commercial``) and
can be linked. Bad input is the engine's own error (:class:`~engine.errors.PolicyError`),
shown on the page with the status the API gives it; nothing in the URL gives a 500.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping, Sequence

from engine.compiler import CompiledPack
from engine.core import Engine
from engine.desk import form
from engine.desk.layout import DEFAULT_LANG, LANGS, WORDS, e, lang_field, page, url
from engine.errors import MalformedInputError, PolicyError, RequestError
from engine.explain.trace_views import sv_reason, sv_step
from engine.model import Decision, Source
from engine.phrases import PHRASES, phrase, quoted
from engine.vocabulary import Vocabulary

Query = Sequence[tuple[str, str]]


def status_of(error: PolicyError) -> int:
    """The status the API answers ``error`` with (``PolicyError.http_status``)."""
    return error.http_status


def language(query: Query) -> str:
    """The page's language (``lang``, default Swedish); another raises a 400 error."""
    given = [v for n, v in query if n == "lang"]
    lang = given[-1] if given else DEFAULT_LANG
    if lang not in LANGS:
        raise MalformedInputError(f"\"lang\" must be \"sv\" or \"en\", got {lang!r}",
                                  path="lang", code="bad-language")
    return lang


def with_lang(path: str, query: Query, lang: str) -> str:
    """The same page in ``lang`` (the default language is left out of the URL)."""
    rest = [(n, v) for n, v in query if n != "lang"]
    return url(path, rest + ([("lang", lang)] if lang != DEFAULT_LANG else []))


def nav(lang: str, playground: bool = False) -> list[tuple[str, str]]:
    """The desk's pages as (title, URL) in ``lang``: Decide, Compare and, when the service
    serves it, the Playground."""
    suffix = [] if lang == DEFAULT_LANG else [("lang", lang)]
    pages = [(WORDS[lang]["decide"], url("/", suffix)),
             (WORDS[lang]["compare"], url("/compare", suffix))]
    if playground:
        pages.append((phrase("playground:title", lang), url("/playground", suffix)))
    return pages


def pack_choices(engine: Engine) -> list[tuple[str, str]]:
    """The served packs as (id, the municipality's own name), by name."""
    return sorted(((i, p.name) for i, p in engine.packs.items()), key=lambda x: (x[1], x[0]))


def _last(query: Query, name: str) -> str:
    given = [v for n, v in query if n == name]
    return given[-1] if given else ""


def _option(value: str, text: str, selected: bool) -> str:
    return (f'<option value="{e(value)}"{" selected" if selected else ""}>{e(text)}</option>')


def _choose_fields(engine: Engine, pack: str, action: str, lang: str) -> str:
    """The two lists, municipality and action, and the button that shows the questions
    (``show``: it asks for no decision, and a browser checks no required question)."""
    w, words = WORDS[lang], engine.vocabulary
    packs = "".join(_option(i, n, i == pack) for i, n in pack_choices(engine))
    actions = "".join(_option(a, words.label(f"action:{a}", lang), a == action)
                      for a in words.actions)
    municipality = words.label("word:municipality", lang).capitalize()
    return (f'<div class="field"><label for="pack">{e(municipality)}'
            f'</label><br><select id="pack" name="pack"><option value="">{e(w["pick"])}</option>'
            f'{packs}</select></div>'
            f'<div class="field"><label for="action">{e(words.label("word:action", lang).capitalize())}'
            f'</label><br><select id="action" name="action"><option value="">{e(w["pick"])}'
            f'</option>{actions}</select></div>'
            f'<button type="submit" class="show" name="show" value="1" formnovalidate>'
            f'{e(w["show_questions"])}</button>')


def _choose_form(engine: Engine, pack: str, action: str, lang: str) -> str:
    """The form before a municipality and an action are chosen: the two lists alone."""
    return ('<form method="get" action="/" class="choose">'
            f'{_choose_fields(engine, pack, action, lang)}{lang_field(lang)}</form>')


def _field(f: form.Field, values: list[str], lang: str) -> str:
    fid = f"f-{f.name}"
    help_id = f"h-{f.name}"
    described = f' aria-describedby="{e(help_id)}"' if f.help else ""
    help_p = f'<p class="help" id="{e(help_id)}">{e(f.help)}</p>' if f.help else ""
    required = " required" if f.required else ""
    mark = f' <span class="req">({e(WORDS[lang]["required"])})</span>' if f.required else ""
    value = next((v for v in reversed(values) if v != ""), "")
    if f.input == "checkbox":
        checked = " checked" if value.lower() in form._TRUE else ""
        return (f'<div class="field"><input type="checkbox" id="{e(fid)}" name="{e(f.name)}" '
                f'value="true"{checked}{described}> <label for="{e(fid)}">{e(f.label)}</label>'
                f'{help_p}</div>')
    if f.input == "checkboxes":
        boxes = "".join(
            f'<div><input type="checkbox" id="{e(fid)}-{e(o.value)}" name="{e(f.name)}" '
            f'value="{e(o.value)}"{" checked" if o.value in values else ""}> '
            f'<label for="{e(fid)}-{e(o.value)}">{e(o.label)}</label></div>' for o in f.options)
        return (f'<fieldset class="field"{described}><legend>{e(f.label)}</legend>{help_p}'
                f'{boxes}</fieldset>')
    head = f'<label for="{e(fid)}">{e(f.label)}</label>{mark}{help_p}'
    if f.input == "select":
        options = "".join(_option(o.value, o.label, o.value == value) for o in f.options)
        return (f'<div class="field">{head}<select id="{e(fid)}" name="{e(f.name)}"'
                f'{required}{described}><option value="">{e(WORDS[lang]["pick"])}</option>'
                f'{options}</select></div>')
    extra = ' min="0" step="1"' if f.input == "number" else ""
    return (f'<div class="field">{head}<input type="{e(f.input)}" id="{e(fid)}" '
            f'name="{e(f.name)}" value="{e(value)}"{extra}{required}{described}></div>')


def _facts_form(engine: Engine, pack: CompiledPack, action: str, query: Query,
                lang: str) -> str:
    w, words = WORDS[lang], engine.vocabulary
    values: dict[str, list[str]] = {}
    for name, value in query:
        values.setdefault(name, []).append(value)
    body = "".join(_field(f, values.get(f.name, []), lang)
                   for f in form.fields(words, action, lang))
    at = _last(query, "at")
    # one form with the lists, so that a municipality changed there is the one answered
    # for; Enter in a field presses a form's first button, a hidden one that decides
    return ('<form method="get" action="/" class="facts">'
            '<button type="submit" class="enter" hidden tabindex="-1" aria-hidden="true">'
            '</button>'
            f'{_choose_fields(engine, pack.id, action, lang)}{lang_field(lang)}'
            f'<input type="hidden" name="questions" value="{e(action)}">'
            f'<fieldset><legend>{e(w["questions"])}: {e(pack.name)}, '
            f'{e(words.label(f"action:{action}", lang))}</legend>{body}'
            f'<div class="field"><label for="at">{e(w["at"])}</label>'
            f'<p class="help" id="h-at">{e(w["at_help"])}</p>'
            f'<input type="date" id="at" name="at" value="{e(at)}" aria-describedby="h-at">'
            f'</div></fieldset><button type="submit" class="decide">{e(w["decide_button"])}'
            '</button></form>')


def _cite(pack: CompiledPack, source: Source, lang: str) -> str:
    words = pack.vocabulary
    where = pack.document or pack.name
    if source.section:
        where += f", {words.label('word:section', lang)} {quoted(source.section, lang)}"
    return f" <cite>({e(where)})</cite>"


def _document(pack: CompiledPack, decision: Decision, words: Vocabulary, lang: str) -> str:
    """What the answer rests on, as the comparison's list of documents says it: "Tyresö
    kommun, Riktlinjer för sociala medier (utdrag), odaterad; version 1.2.0; prövat för
    2025-01-01"."""
    doc = pack.document or pack.name
    dated = (f"{words.label('word:dated', lang)} {pack.dated.isoformat()}" if pack.dated
             else words.label("word:undated", lang))
    return (f"{pack.name}, {doc}, {dated}; {words.label('word:version', lang)} "
            f"{decision.pack_version}; {WORDS[lang]['decided_for']} {decision.at.isoformat()}")


def _answer(engine: Engine, decision: Decision, pack: CompiledPack, query: Query,
            lang: str) -> str:
    w, words = WORDS[lang], engine.vocabulary
    sv = lang == "sv"
    outcome = words.label(f"outcome:{decision.outcome}", lang)
    lines = [f'<section class="answer {e(decision.outcome)}" id="answer" aria-labelledby="answer-h">'
             f'<h2 id="answer-h">{e(w["answer"])}</h2>'
             f'<p class="outcome" data-outcome="{e(decision.outcome)}">{e(outcome.capitalize())}</p>'
             f'<p>{e(_document(pack, decision, words, lang))}</p>']
    if decision.by_default:
        lines.append(f'<p>{e(w["default_reason"])}</p>')
    if decision.steps:
        items = []
        for step in decision.steps:
            text = sv_step(pack, step) if sv else step.text
            who = (f' ({e(words.label("word:by", lang))}: <span class="by">'
                   f'{e(words.role_label(step.by, lang))}</span>)' if step.by else "")
            items.append(f'<li class="step" data-step="{e(step.id)}">'
                         f'<span class="level">{e(words.label(f"level:{step.level}", lang))}</span>: '
                         f'{e(text)}{who}{_cite(pack, step.source, lang)}</li>')
        lines.append(f'<h3>{e(w["what_to_do"])}</h3><ol>{"".join(items)}</ol>')
    reasons = [r for r in decision.reasons if decision.outcome != "required_steps"
               or r.effect != "require"]
    if reasons and not decision.by_default:
        items = []
        for r in reasons:
            text = sv_reason(pack, r) if sv else r.text
            level = (f' <span class="level">({e(words.label(f"level:{r.level}", lang))})</span>'
                     if r.level else "")
            items.append(f'<li class="reason" data-rule="{e(r.rule)}">{e(text)}{level}'
                         f'{_cite(pack, r.source, lang)}</li>')
        lines.append(f'<h3>{e(w["why"])}</h3><ul>{"".join(items)}</ul>')
    link = permalink(query, decision.at)
    lines.append(f'<p><a id="permalink" href="{e(link)}">{e(w["permalink"])}</a></p></section>')
    return "".join(lines)


def permalink(query: Query, at: dt.date) -> str:
    """The decision's URL: the query without its empty fields, and the day decided for
    (``at``), so that the link shows the same answer whenever it is opened (a form left
    with the day empty decides for today, and the link then names today's date)."""
    kept = [(n, v) for n, v in query if v != "" and n not in ("at", "show", "questions")]
    return url("/", kept + [("at", at.isoformat())])


def error_section(error: PolicyError, lang: str,
                  values: Mapping[str, object] | None = None, heading: str = "error") -> str:
    """The error under the page's ``heading`` (a word of the desk's phrases), in the
    page's language: the desk's own words for an error it finds itself (``error:<code>``
    of ``engine.phrases``, filled in with ``values``), else the engine's own message, in
    English, said to be the engine's; then its code and the part of the request it is
    about, under the page's words for them."""
    w = WORDS[lang]
    if isinstance(error, RequestError):
        message, path = error.message, error.path
    else:                # a pack that failed to load: its first line
        message, path = (str(error).splitlines() or [type(error).__name__])[0], None
    own = f"error:{error.code}"
    if own in PHRASES:
        said = f'<p class="message">{e(phrase(own, lang).format(**(values or {})))}</p>'
    else:
        said = (f'<p class="message">{e(w["engine_says"])} '
                f'<span lang="en">{e(message)}</span></p>')
    where = (f'; {e(w["error_about"])} <code class="path">{e(path)}</code>'
             if path and path != "$" else "")     # "$", the whole body, says nothing here
    return (f'<section class="error" role="alert" id="error"><h2>{e(w[heading])}</h2>{said}'
            f'<p>{e(w["error_code"].capitalize())}: <code class="code">{e(error.code)}</code>'
            f'{where}</p></section>')


def decide_page(engine: Engine, query: Query, playground: bool = False) -> tuple[int, str]:
    """The page for the URL's ``query``: (status, HTML); ``playground`` links the
    Playground in the navigation."""
    try:
        lang = language(query)
    except PolicyError as err:
        lang = DEFAULT_LANG
        return status_of(err), _whole(engine, [], lang, error_section(err, lang), playground)
    pack_id, action = _last(query, "pack"), _last(query, "action")
    shown, error = _chosen(engine, pack_id, action, query, lang) if pack_id or action else ("", None)
    body = shown or _choose_form(engine, pack_id, action, lang)   # the form holds the lists
    if error is not None:
        body += error_section(error, lang)
    return ((200 if error is None else status_of(error)),
            _whole(engine, query, lang, body, playground))


def _chosen(engine: Engine, pack_id: str, action: str, query: Query,
            lang: str) -> tuple[str, PolicyError | None]:
    """The facts form for a chosen pack and action, with the decision when asked for;
    or what is shown so far and the error that stopped it."""
    words: Vocabulary = engine.vocabulary
    try:
        if not pack_id:
            raise RequestError("choose a municipality (\"pack\")", path="pack",
                               code="missing-pack")
        pack = engine.pack(pack_id)
        if action not in words.actions:
            if not action:
                raise RequestError("choose an action (\"action\")", path="action",
                                   code="missing-action")
            engine.decide(pack_id, action, {})   # raises the engine's unknown-action error
    except PolicyError as err:
        return "", err
    out = _facts_form(engine, pack, action, query, lang)
    if form.asked(query):
        facts: dict[str, Any] = form.facts_from_query(words, action, query)
        try:
            decision = engine.decide(pack_id, action, facts, _last(query, "at") or None)
        except PolicyError as err:
            return out, err
        out += _answer(engine, decision, engine.edition(pack_id, decision.at), query, lang)
    return out, None


def _whole(engine: Engine, query: Query, lang: str, body: str, playground: bool) -> str:
    w = WORDS[lang]
    intro = f'<p>{e(w["decide_intro"])}</p>'
    if not engine.packs:
        intro += f'<p>{e(w["not_served"])}</p>'
    return page(w["decide_title"], intro + body, lang, nav(lang, playground),
                with_lang("/", query, "en" if lang == "sv" else "sv"))

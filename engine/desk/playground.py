"""The Playground (``/playground``): pack authors edit a pack's source in the page, start
from an installed pack or a blank one, and see what ``policy check`` says of it at its
lines and columns, the pack's own test cases passed and failed, and a request's decision
with its trace, without anything written on the server.

``start_page`` is the form (a GET: ``?pack=tyreso`` starts from Tyresö's source and
tests); ``run`` takes the form's fields, hands them to a child process
(``python -m engine.desk.sandbox``) with a time limit, and ``result_page`` shows its
answer under the form, filled in as it was sent. The source is untrusted input: at most
:data:`MAX_BODY` bytes, :data:`TIME_LIMIT` seconds of work in a process that is killed
when they are over, and no file read or written (the child runs in an empty temporary
folder). ``policy serve --no-playground`` leaves the page out.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from typing import Any, Sequence

from engine.core import Engine
from engine.desk.decide_page import language, nav, pack_choices, with_lang
from engine.desk.layout import DEFAULT_LANG, LANGS, e, lang_field, page
from engine.errors import InputTooLargeError, MalformedInputError, PolicyError, RequestError
from engine.glossary import label
from engine.phrases import phrases_of
from engine.vocabulary import Vocabulary

#: The largest form the Playground takes (source, tests and request together).
MAX_BODY = 262_144
#: Seconds the child process may work on one form before it is killed.
TIME_LIMIT = 10.0

BLANK = '''pack mypack
  name "Min kommun"
  document "Riktlinjer för sociala medier"
  dated undated
  version "0.1.0"
  default allow
  sections "Gilla andra"

# the guideline's list of the pages that may be liked is closed: all others are denied
topic allowed_likes = {allow: [own, municipality, authority], deny: []}
  summary "The municipality likes only its own pages, other municipalities' and authorities'."
    sv "Kommunen gillar bara egna sidor, andra kommuners och myndigheters."
  source "Gilla andra"

rule likes-only-listed-pages
  on like_page
  only when page_category in allowed_likes.allow
  level must
  because "The municipality likes only its own pages, other municipalities' and authorities'."
    sv "Kommunen gillar bara egna sidor, andra kommuners och myndigheters."
  source "Gilla andra"
'''

EXAMPLE_REQUEST = '{"action": "like_page", "facts": {"page_category": "commercial"}}'

#: The Playground's words by language (``engine.phrases``, as every view's).
PG_WORDS = {lang: phrases_of("playground", lang) for lang in LANGS}

Fields = dict[str, str]


def starting_point(engine: Engine, query: Sequence[tuple[str, str]]) -> Fields:
    """The form's fields to start from: an installed pack's source and tests, or blank."""
    pack_id = next((v for n, v in reversed(query) if n == "pack"), "")
    if not pack_id:
        return {"source": BLANK, "tests": "", "request": EXAMPLE_REQUEST, "pack": ""}
    engine.pack(pack_id)           # the engine's unknown-pack error, with a suggestion
    loaded = engine.loaded[pack_id]
    return {"source": loaded.source.text, "tests": loaded.source.tests or "",
            "request": EXAMPLE_REQUEST, "pack": pack_id}


#: The one way the Playground's page sends its form.
FORM_TYPE = "application/x-www-form-urlencoded"


def fields_from_body(body: bytes, content_type: str = FORM_TYPE) -> Fields:
    """The posted form's fields (``application/x-www-form-urlencoded``).

    Raises ``MalformedInputError`` (``form-type``) for a body of another type, such as
    ``multipart/form-data`` (its fields would be read as none, the source as empty).
    """
    from urllib.parse import parse_qsl
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in ("", FORM_TYPE):
        raise MalformedInputError(f"the form is sent as {media}; the playground takes "
                                  f"{FORM_TYPE}, as its page sends it", path="$",
                                  code="form-type")
    if len(body) > MAX_BODY:
        raise InputTooLargeError(f"the form is {len(body)} bytes; the playground takes at "
                                 f"most {MAX_BODY}", path="source", code="too-large")
    try:
        text = body.decode("ascii")
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as err:
        raise MalformedInputError(f"the form cannot be read: {err}", path="$",
                                  code="bad-form") from None
    return {n: v for n, v in pairs if n in ("source", "tests", "request", "lang", "pack")}


def require_source(fields: Fields) -> None:
    """Refuse a form whose source is empty (its other fields are shown back as sent)."""
    if not fields.get("source", "").strip():
        raise RequestError("the pack's source is empty", path="source", code="empty-source")


async def run(fields: Fields, lang: str = DEFAULT_LANG) -> dict[str, Any]:
    """The child process's answer for ``fields``, its trace in ``lang``; raises
    RequestError when it is too slow."""
    given = json.dumps({"source": fields.get("source", ""), "tests": fields.get("tests"),
                        "request": fields.get("request"), "lang": lang}).encode()
    with tempfile.TemporaryDirectory(prefix="playground-") as empty:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "engine.desk.sandbox", cwd=empty,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(child.communicate(given), TIME_LIMIT)
        except asyncio.TimeoutError:
            child.kill()
            await child.wait()
            raise RequestError(f"the work took longer than {TIME_LIMIT:g} seconds and was "
                               "stopped", path="source", code="too-slow") from None
    if child.returncode != 0:
        last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise RequestError(f"the pack could not be checked: {last[0]}", path="source",
                           code="check-failed")
    result: dict[str, Any] = json.loads(out)
    return result


def _form(fields: Fields, lang: str) -> str:
    w = PG_WORDS[lang]
    action = "/playground" + ("" if lang == DEFAULT_LANG else f"?lang={lang}")
    return (f'<form method="post" action="{e(action)}" class="play">'
            f'<div class="field"><label for="source">{e(w["source"])}</label><br>'
            f'<textarea id="source" name="source" rows="24" cols="100" spellcheck="false">\n'
            f'{e(fields.get("source", ""))}</textarea></div>'
            f'<div class="field"><label for="tests">{e(w["tests"])}</label><br>'
            f'<textarea id="tests" name="tests" rows="8" cols="100" spellcheck="false">\n'
            f'{e(fields.get("tests", ""))}</textarea></div>'
            f'<div class="field"><label for="request">{e(w["request"])}</label><br>'
            f'<textarea id="request" name="request" rows="3" cols="100" spellcheck="false">\n'
            f'{e(fields.get("request", ""))}</textarea></div>'
            f'{lang_field(lang)}<button type="submit">{e(w["run"])}</button></form>')


def _start_form(engine: Engine, chosen: str, lang: str) -> str:
    w = PG_WORDS[lang]
    options = "".join(f'<option value="{e(i)}"{" selected" if i == chosen else ""}>{e(n)}'
                      f'</option>' for i, n in pack_choices(engine))
    return ('<form method="get" action="/playground" class="start">'
            f'<div class="field"><label for="start">{e(w["start"])}</label><br>'
            f'<select id="start" name="pack"><option value="">{e(w["blank"])}</option>'
            f'{options}</select></div>{lang_field(lang)}'
            f'<button type="submit">{e(w["start"])}</button></form>')


def _diagnostic(d: dict[str, Any], w: dict[str, str], lang: str) -> str:
    """One diagnostic as a list item: where, severity, the engine's English message, its
    code, the source line with a caret, and the pack's reason when it acknowledges it."""
    where = (f'{d["file"]}:{d["line"]}:{d["column"]}' if d.get("line") else d.get("file") or "")
    context = ""
    if d.get("source_line") is not None and d.get("column"):
        # the whole word under the mark, as policy check underlines it
        width = max(1, (d.get("end_column") or d["column"] + 1) - d["column"])
        caret = " " * (d["column"] - 1) + "^" * width
        context = f'<pre>{e(d["source_line"])}\n{e(caret)}</pre>'
    reason = (f' – {e(label("word:reason", lang))}: {e(d["acknowledged"])}'
              if d.get("acknowledged") is not None else "")
    return (f'<li class="diagnostic {e(d["severity"])}" data-line="{e(d.get("line"))}" '
            f'data-column="{e(d.get("column"))}" data-code="{e(d["code"])}">'
            f'<code>{e(where)}</code>: {e(w.get(d["severity"], d["severity"]))}: '
            f'<span lang="en">{e(d["message"])}</span> ({e(d["code"])}){reason}{context}</li>')


def _results(result: dict[str, Any], lang: str, words: Vocabulary) -> str:
    """What the child process found, in the page's words; the messages of ``policy
    check`` and of the tests are the engine's, in English (marked ``lang="en"``)."""
    from engine.desk.decide_page import error_section
    w = PG_WORDS[lang]
    items: list[str] = []
    accepted: list[str] = []
    for d in result["diagnostics"]:
        (items if d.get("acknowledged") is None else accepted).append(_diagnostic(d, w, lang))
    note = f'<p class="help">{e(w["in_english"])}</p>' if lang != "en" else ""
    english = items or accepted or any(t["problems"] for t in result["tests"])
    if accepted:         # as policy check counts them apart, here folded away
        summary = (w["acknowledged_one"] if len(accepted) == 1
                   else w["acknowledged"].format(n=len(accepted)))
        accepted_list = (f'<details id="acknowledged"><summary>{e(summary)}</summary>'
                         f'<ul>{"".join(accepted)}</ul></details>')
    else:
        accepted_list = ""
    out = [f'<section id="diagnostics"><h2>{e(w["diagnostics"])}</h2>{note if english else ""}'
           + (f'<ul>{"".join(items)}</ul>' if items else f'<p>{e(w["clean"])}</p>')
           + accepted_list
           + (f'<p class="stopped">{e(w["stopped"])}</p>' if result.get("stopped") else "")
           + (f'<p class="stopped" id="tests-stopped">{e(w["tests_stopped"])}</p>'
              if result.get("tests_stopped") else "")
           + "</section>"]
    if result["tests"]:
        cases = "".join(
            f'<li class="test {"passed" if t["passed"] else "failed"}">{e(t["name"])}: '
            f'{e(w["passed"] if t["passed"] else w["failed"])}'
            + (f' – <span lang="en">{e("; ".join(t["problems"]))}</span>'
               if t["problems"] else "") + "</li>"
            for t in result["tests"])
        out.append(f'<section id="tests-run"><h2>{e(w["test_results"])}</h2><ul>{cases}</ul>'
                   '</section>')
    if result["request_error"]:
        found = result["request_error"]
        error = RequestError(found["message"], path=found.get("path"), code=found["code"])
        out.append(error_section(error, lang, found.get("values")))
    if result["decision"] is not None:
        d = result["decision"]
        told = result.get("request_note")
        if told is not None:
            out.append(f'<p class="help" id="request-note">'
                       f'{e(w[told["code"]].format(**told["values"]))}</p>')
        outcome = words.label(f"outcome:{d['outcome']}", lang).capitalize()
        out.append(f'<section id="play-decision"><h2>{e(w["decision"])}</h2>'
                   f'<p class="outcome" data-outcome="{e(d["outcome"])}">{e(outcome)}</p>'
                   f'<h3>{e(w["trace"])}</h3><pre id="trace">{e(result["trace"])}</pre></section>')
    return "".join(out)


def playground_page(engine: Engine, fields: Fields, lang: str, result: dict[str, Any] | None,
                    error: PolicyError | None = None) -> str:
    """The whole page: the start form, the editor filled with ``fields``, the results."""
    from engine.desk.decide_page import error_section
    w = PG_WORDS[lang]
    body = (f'<p>{e(w["intro"])}</p>' + _start_form(engine, fields.get("pack", ""), lang)
            + _form(fields, lang))
    if error is not None:
        body += error_section(error, lang, {"limit": MAX_BODY, "seconds": f"{TIME_LIMIT:g}"})
    if result is not None:
        body += _results(result, lang, engine.vocabulary)
    query = [("pack", fields["pack"])] if fields.get("pack") else []
    return page(w["title"], body, lang, nav(lang, playground=True),
                with_lang("/playground", query, "en" if lang == "sv" else "sv"))


__all__ = ["MAX_BODY", "TIME_LIMIT", "fields_from_body", "language", "playground_page",
           "require_source", "run", "starting_point"]

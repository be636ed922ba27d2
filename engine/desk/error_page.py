"""The desk's page for an address the service has no page at, a method a page is not
sent with, or a token the service asks for: a person who follows a broken link, or
opens the desk of a service that wants a token, gets a page in the desk's language
with the way back, not the API's JSON.

``wants_page(path, accept)`` says whether a request is a person's (its ``Accept`` names
``text/html``, as browsers send it, and its path is none of the API's);
``error_page(status, code, path, lang)`` is that page, and ``page_response`` that page
as the service answers it, in the language its query asks for. The API's clients keep
their JSON errors.
"""

from __future__ import annotations

from typing import Mapping
from urllib.parse import parse_qsl

from starlette.responses import HTMLResponse

from engine.desk.decide_page import language, nav
from engine.desk.layout import DEFAULT_LANG, WORDS, e, page, url
from engine.desk.routes import HEADERS
from engine.errors import PolicyError
from engine.phrases import phrase

#: Paths that are the API's: their errors are JSON whatever the client accepts.
API_PREFIXES = ("/v1/", "/access/", "/.well-known/", "/openapi.json", "/healthz")

#: The page's words for each status: its heading and what it says (``error:`` phrases).
KINDS = {404: "no-page", 405: "wrong-method", 401: "needs-token"}


def wants_page(path: str, accept: str) -> bool:
    """Whether a request for ``path`` with this ``Accept`` header is a person's, in a
    browser: it accepts HTML and asks for none of the API's paths."""
    return "text/html" in accept.lower() and not path.startswith(API_PREFIXES)


def page_language(query_string: str) -> str:
    """The language a page asks for in its query (``lang``), else (none, or one the desk
    does not have) the desk's default."""
    try:
        return language(parse_qsl(query_string))
    except PolicyError:
        return DEFAULT_LANG


def page_response(status: int, code: str, path: str, query_string: str,
                  playground: bool = False,
                  headers: Mapping[str, str] | None = None) -> HTMLResponse:
    """:func:`error_page` as the service answers a browser: with the desk's headers (and
    ``headers``, such as a 401's ``WWW-Authenticate``), in the query's language."""
    html = error_page(status, code, path, page_language(query_string), playground)
    return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})


def error_page(status: int, code: str, path: str, lang: str, playground: bool = False) -> str:
    """The whole page for a ``status`` (401, 404 or 405) at ``path``, in ``lang``, with
    the desk's navigation; the error's ``code`` under the page's word for it."""
    w = WORDS[lang]
    kind = KINDS.get(status, "no-page")
    said = phrase(f"error:{kind}", lang).format(path=path)
    home = url("/", [] if lang == DEFAULT_LANG else [("lang", lang)])
    body = (f'<section class="error" role="alert" id="error"><p class="message">{e(said)}</p>'
            f'<p>{e(w["error_code"].capitalize())}: <code class="code">{e(code)}</code></p>'
            f'</section><p><a href="{e(home)}">{e(w["back_to_desk"])}</a></p>')
    other = "en" if lang == "sv" else "sv"
    return page(phrase(f"desk:{kind}", lang), body, lang, nav(lang, playground),
                url("/", [] if other == DEFAULT_LANG else [("lang", other)]))

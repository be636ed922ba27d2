"""The desk's page frame: the words of its own (headings, buttons) in Swedish and
English (from ``engine.phrases``, where ``policy explain`` reads its words too), the
style sheet, the navigation and the escaping every page goes through.

``page(title, body, lang, nav)`` wraps a page's body (HTML already escaped) in a whole
document: ``lang`` set on ``<html>``, a link past the navigation for keyboard users, the
navigation between the desk's pages and a link to the same page in the other language.
Colours are chosen for WCAG 2.1 AA contrast (text at least 4.5:1 on its background), and
focus is always visible. ``e`` escapes text for an element or a quoted attribute.
"""

from __future__ import annotations

import html as _html
from typing import Sequence
from urllib.parse import urlencode

from engine.glossary import LANGUAGES
from engine.phrases import phrases_of

#: The desk's languages, the glossary's; Swedish first (docs/desk.md says why).
LANGS = LANGUAGES
DEFAULT_LANG = "sv"

#: The desk's own words (headings, buttons) by language: the phrases of ``engine.phrases``,
#: the one table the desk and ``policy explain`` read their words from.
WORDS = {lang: phrases_of("desk", lang) for lang in LANGS}


def e(text: object) -> str:
    """``text`` escaped for HTML text and double- or single-quoted attributes."""
    return _html.escape(str(text), quote=True)


def lang_field(lang: str) -> str:
    """A form's hidden ``lang`` field, so that it answers in the page's language; none for
    the default language, which a URL leaves out."""
    return "" if lang == DEFAULT_LANG else f'<input type="hidden" name="lang" value="{e(lang)}">'


def url(path: str, params: Sequence[tuple[str, str]]) -> str:
    """``path`` with ``params`` as its query (escape the result with :func:`e`)."""
    query = urlencode(list(params))
    return f"{path}?{query}" if query else path


CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a1a1a;
 background:#fff;line-height:1.5}
a{color:#0645ad}
a:focus,button:focus,input:focus,select:focus,summary:focus{outline:3px solid #b35c00;
 outline-offset:2px}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
header{background:#17324d;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;
 align-items:center}
header a{color:#fff}
header nav a{margin-right:1rem}
header .brand{font-weight:bold;margin-right:auto}
main{max-width:60rem;margin:0 auto;padding:1rem}
fieldset{border:1px solid #767676;margin:0 0 1rem;padding:.6rem 1rem}
legend{font-weight:bold}
.field{margin:.7rem 0}
.field label,.field .name{font-weight:600}
.help{color:#4a4a4a;font-size:.92em;margin:.1rem 0 .3rem}
select,input[type=date],input[type=datetime-local],input[type=number],input[type=text]{
 font:inherit;padding:.3rem;border:1px solid #767676;border-radius:3px;min-width:12rem}
input[type=checkbox]{width:1.1rem;height:1.1rem;vertical-align:middle}
button{font:inherit;background:#17324d;color:#fff;border:0;padding:.45rem 1rem;
 border-radius:3px;cursor:pointer}
.answer{border-left:6px solid #17324d;padding:.5rem 1rem;margin:1rem 0;background:#f3f6f9}
.outcome{font-size:1.4rem;font-weight:bold}
.allow .outcome{color:#1b5e20}.deny .outcome{color:#a3141c}.required_steps .outcome{color:#7a4100}
.error{border-left:6px solid #a3141c;padding:.5rem 1rem;background:#fdf0f0}
.level{font-weight:bold}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #999;padding:.4rem;vertical-align:top;text-align:left}
thead th{background:#e8edf2}
.unregulated{color:#4a4a4a;font-style:italic}
cite{font-style:normal;color:#333}
"""


def page(title: str, body: str, lang: str, nav: Sequence[tuple[str, str]],
         other_lang_url: str) -> str:
    """A whole page: ``nav`` lists (label, href) of the desk's pages; ``body`` is HTML."""
    w = WORDS[lang]
    links = "".join(f'<a href="{e(href)}">{e(text)}</a>' for text, href in nav)
    other = "en" if lang == "sv" else "sv"
    return ("<!DOCTYPE html>\n"
            f'<html lang="{e(lang)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{e(title)} – {e(w['desk'])}</title>\n<style>{CSS}</style>\n</head>\n"
            f'<body>\n<a class="skip" href="#main">{e(w["skip"])}</a>\n'
            f'<header><span class="brand">{e(w["desk"])}</span><nav aria-label="{e(w["desk"])}">'
            f'{links}</nav><a href="{e(other_lang_url)}" lang="{other}" hreflang="{other}">'
            f'{e(w["other_lang"])}</a></header>\n'
            f'<main id="main">\n<h1>{e(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n')

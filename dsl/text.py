"""Source text as it enters: one normal form for pack, test and register files.

:func:`normalise_source` is applied once, where text enters the language (``parse_pack``,
``parse_tests``, ``policy fmt``, ``policy check``): a leading UTF-8 byte-order mark is
dropped, line endings become ``\\n`` (``\\r\\n`` and a lone ``\\r`` alike), and the text is
put in Unicode normal form C, so that a string copied from a PDF (decomposed, NFD) equals
the same string typed (composed, NFC) — a ``source`` and the section it cites, say.

A line ends at ``\\n`` only: a form feed, ``U+2028``, ``U+2029`` or NEL (``U+0085``) is a
character within its line, as the parser counts lines, never a line break; every lookup
of a source line by number goes through :func:`engine.errors.source_lines`.

:func:`envelope` and :func:`restore` let ``policy fmt`` give a file back in the form it
came in: with its byte-order mark and its line endings (``\\r\\n`` or ``\\n``) kept.
"""

from __future__ import annotations

import datetime as dt

import unicodedata

__all__ = ["normalise_source", "envelope", "restore"]

BOM = "\ufeff"


def normalise_source(text: str) -> str:
    """``text`` without a leading BOM, with ``\\n`` line endings, in Unicode NFC."""
    if text.startswith(BOM):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def envelope(text: str) -> tuple[bool, str]:
    """(whether ``text`` starts with a BOM, the line ending of its first line: "\\r\\n" or
    "\\n"); a text without a line break counts as "\\n"."""
    first = text.find("\n")
    crlf = first > 0 and text[first - 1] == "\r"
    return text.startswith(BOM), "\r\n" if crlf else "\n"


def restore(normalised: str, form: tuple[bool, str]) -> str:
    """``normalised`` text (``\\n`` line endings, no BOM) given back in ``form``."""
    bom, ending = form
    text = normalised.replace("\n", ending) if ending != "\n" else normalised
    return BOM + text if bom else text


def iso(day: dt.date) -> str:
    """A date as YYYY-MM-DD, a time as YYYY-MM-DDTHH:MM (with :SS only when not zero), as
    the rule language writes them."""
    if isinstance(day, dt.datetime):
        return day.isoformat(timespec="minutes" if day.second == 0 else "seconds")
    return day.isoformat()

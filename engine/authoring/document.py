"""Read a guideline document as the sentence register counts it: sections and sentences.

``segment(text, sections)`` cuts a plain-text guideline into :class:`Sentence` values,
each with the pack section it stands in (one of the headings of the pack header's
``sections``, or ``""`` for the preamble before the first heading), its ordinal ``n``
within the section (from 1, counting every sentence), the line it starts on, whether it
is normative and which modal word it uses, and its :func:`fingerprint`. The sentence
register (``engine.authoring.register``) stores (section, n, fingerprint) and checks
them against what this module hands on; ``policy check --document`` runs both.

Sections: a whole line whose normalised text (:func:`normalise_heading`) equals a
heading's starts that section. Documents that came through OCR get a little slack: a
line that differs from a heading of 16 characters or more by one edit in sixteen still
matches. A heading found on several lines (a list of contents before the text) starts
its section at its last occurrence; every line that matches a heading is a heading, not
a sentence.

Sentences: a blank line, a heading or a bulleted line (``-``, ``–``, ``•``, ``·``, ``*``,
``»``, ``>``, OCR's ``e``, ``a)``, ``1.``, ``1)``) ends the sentence before it; within a
paragraph, a sentence ends at ``.``, ``!`` or ``?`` followed by whitespace and an
upper-case letter, a digit, a quote or a bullet, except after a common Swedish
abbreviation (``t.ex.``, ``bl.a.``, ``kap.`` …). A bullet or list number is not part of
the sentence's text; a fragment without a letter (a lone list number) is no sentence.

Nothing here stores a sentence: callers print at most the first words of one
(:func:`first_words`) and keep fingerprints.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Iterable, Sequence

import attrs

from dsl.text import normalise_source
from engine.errors import source_lines


@attrs.frozen
class Sentence:
    """One sentence of a guideline document, as the sentence register counts it."""

    section: str                 # the pack's heading, as its header lists it; "" = preamble
    n: int                       # ordinal within the section, from 1
    text: str                    # whitespace collapsed, bullet left out (never stored)
    line: int                    # where it starts in the document, from 1
    normative: bool
    modal: str | None            # the strongest modal word found, None if not normative
    fingerprint: str


# ---- normalising ------------------------------------------------------------------------

def fold(text: str) -> str:
    """NFKC, casefold, and diacritics dropped (å, ä → a; ö → o; é → e)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fingerprint(text: str) -> str:
    """The first 10 hex digits of the sha256 of the sentence's letters and digits.

    The text is folded (:func:`fold`) and reduced to its ``[a-z0-9]`` runs joined by single
    spaces, so layout, punctuation, case, accents and line breaks do not change it.
    """
    words = " ".join(re.findall(r"[a-z0-9]+", fold(text)))
    return hashlib.sha256(words.encode("utf-8")).hexdigest()[:10]


_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]", re.IGNORECASE)
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_NUMBERING = re.compile(r"^\d+(?:\.\d+)*\.?(?:\s+|$)")


def normalise_heading(text: str) -> str:
    """A heading (or a line) as headings are compared: folded (:func:`fold`), without
    document markup (``[bookmark: …]``, ``**bold**``, ``#``), leading numbering (``4.3``,
    ``4.3.``), a trailing ``:``, with dashes as ``-`` and single spaces."""
    text = _BOOKMARK.sub("", unicodedata.normalize("NFC", text))
    text = _DASHES.sub("-", fold(text))
    text = " ".join(text.replace("**", " ").replace("__", " ").split()).lstrip("# ")
    text = _NUMBERING.sub("", text)
    return text.rstrip(": ").strip()


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _slack(heading: str) -> int:
    """How many edits an OCR'd line may differ from a normalised heading by."""
    return len(heading) // 16


def _matches(line: str, heading: str) -> bool:
    if not line or not heading:
        return False
    if line == heading:
        return True
    slack = _slack(heading)
    return slack > 0 and not line.endswith(".") and _distance(line, heading, slack) <= slack


def find_headings(lines: Sequence[str], sections: Iterable[str]) -> dict[int, str | None]:
    """The heading lines of a document: index → the section it starts, or None for an
    earlier occurrence of a heading (a list of contents), which starts nothing."""
    wanted = [(s, normalise_heading(s)) for s in sections]
    found: dict[int, str | None] = {}
    last: dict[str, int] = {}
    for index, line in enumerate(lines):
        normalised = normalise_heading(line)
        if not normalised:
            continue
        for section, heading in wanted:
            if _matches(normalised, heading):
                found[index] = None
                last[section] = index
                break
    for section, index in last.items():
        found[index] = section
    return found


def missing_sections(text: str, sections: Sequence[str]) -> list[str]:
    """The sections (as the pack lists them) whose heading the document does not have."""
    found = set(find_headings(source_lines(normalise_source(text)), sections).values())
    return [s for s in sections if s not in found]


# ---- sentences ----------------------------------------------------------------------------

_BULLET = re.compile(
    r"^(?:[-\u2013\u2014\u2022\u00b7*\u00bb>|\u25aa\u25e6\uf0b7](?=\s|$)"   # - – — • · * » > |
    r"|\(?[a-zåäö]\)(?=\s|$)"                                              # a)  (a)
    r"|\d{1,2}[.)](?=\s|$)"                                                # 1.  1)
    r"|e(?=\s+[A-ZÅÄÖ]))\s*")                                              # OCR's • as "e"
_END = re.compile(r"[.!?][)\]\"'\u201d\u2019\u00bb]*\s+"
                  r"(?=[A-ZÅÄÖÉ0-9\"'\u201c\u201d\u00ab\u00bb\u2018\u2019\u2022\u00b7\u2013\u2014-])")
ABBREVIATIONS = frozenset({
    "t.ex.", "bl.a.", "m.m.", "o.s.v.", "s.k.", "dvs.", "d.v.s.", "ca.", "jfr.", "enl.",
    "resp.", "fr.o.m.", "t.o.m.", "kap.", "st.", "nr.", "m.fl.", "p.g.a.", "inkl.", "exkl.",
    "ex.", "tel.", "f.d.", "s.", "sid.", "ang.", "kl.",
})


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the ``.`` at ``dot`` ends one of :data:`ABBREVIATIONS`."""
    start = dot
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "([\"'\u201d":
        start -= 1
    return fold(text[start:dot + 1]) in ABBREVIATIONS


def _split(text: str) -> list[tuple[int, str]]:
    """A paragraph's sentences, each with its offset in ``text``."""
    out, start = [], 0
    for match in _END.finditer(text):
        if text[match.start()] == "." and _is_abbreviation(text, match.start()):
            continue
        out.append((start, text[start:match.end()]))
        start = match.end()
    out.append((start, text[start:]))
    return out


def _clean(sentence: str) -> str:
    sentence = _BULLET.sub("", sentence.strip())
    return " ".join(sentence.replace("**", "").split())


def segment(text: str, sections: Sequence[str]) -> list[Sentence]:
    """Every sentence of the document, in order, numbered within its section.

    The text is read as sources are (``dsl.text``): no byte-order mark, ``\n`` line
    endings, Unicode NFC; lines end at ``\n`` only, so a line number is the editor's.
    """
    lines = source_lines(normalise_source(text))
    headings = find_headings(lines, sections)
    out: list[Sentence] = []
    counts: dict[str, int] = {}
    section = ""
    paragraph: list[tuple[int, str]] = []     # (line number, text) of the lines so far

    def flush() -> None:
        if not paragraph:
            return
        joined, starts = "", []
        for number, content in paragraph:
            starts.append((len(joined), number))
            joined += content + " "
        for offset, piece in _split(joined):
            cleaned = _clean(piece)
            if not any(c.isalpha() for c in cleaned):
                continue
            first = max(number for start, number in starts if start <= offset)
            counts[section] = counts.get(section, 0) + 1
            normative, modal = detect(cleaned)
            out.append(Sentence(section, counts[section], cleaned, first, normative, modal,
                                fingerprint(cleaned)))
        paragraph.clear()

    for index, raw in enumerate(lines):
        if index in headings:
            flush()
            started = headings[index]
            if started is not None:
                section = started
            continue
        line = _BOOKMARK.sub("", raw).strip()
        if not line:
            flush()
            continue
        if _BULLET.match(line):
            flush()
        paragraph.append((index + 1, line))
    flush()
    return out


def first_words(text: str, count: int = 8) -> str:
    """The first ``count`` words of a sentence, with "…" when there are more: for showing
    which sentence is meant, never for storing."""
    words = text.split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


# ---- normative sentences ------------------------------------------------------------------

#: Modal words from the strongest to the weakest, as detection reports them (folded form →
#: the form shown). A sentence is normative when it has any of them.
MODALS: tuple[tuple[str, str], ...] = (
    ("aldrig", "aldrig"), ("inte tillatet", "inte tillåtet"), ("forbjudet", "förbjudet"),
    ("far inte", "får inte"), ("ska inte", "ska inte"), ("skall inte", "skall inte"),
    ("maste", "måste"), ("ska", "ska"), ("skall", "skall"), ("endast", "endast"),
    ("enbart", "enbart"), ("bara", "bara"), ("kravs", "krävs"), ("bor inte", "bör inte"),
    ("bor", "bör"), ("undvik", "undvik"), ("undvikas", "undvikas"), ("far", "får"),
    ("tillats", "tillåts"), ("kan", "kan"), ("beslutar", "beslutar"), ("beslut", "beslut"),
    ("godkanna", "godkänna"), ("godkanns", "godkänns"), ("godkanner", "godkänner"),
    ("ansvarar", "ansvarar"), ("ansvarig", "ansvarig"), ("galler", "gäller"),
)
_RANK = {folded: i for i, (folded, _) in enumerate(MODALS)}
_SHOWN = dict(MODALS)
_NEGATED = {"ska", "skall", "far", "bor"}          # "X inte" and "inte X" read as a ban
_NOT = {"inte", "ej", "icke"}
_OCR = {"\u00e9": ("a", "o", "e"), "&": ("a",), "6": ("o",)}   # é for ä/ö, & for a, 6 for ö


def _variants(word: str) -> set[str]:
    """A folded word, and what it may be where OCR read ä or ö as é, a as & or ö as 6."""
    forms = {word}
    for char, readings in _OCR.items():
        if char == "6" and not re.search(r"[a-z]", word):
            continue                   # a number stays a number
        forms = {f.replace(char, r) for f in forms for r in readings} if any(
            char in f for f in forms) else forms
    return {fold(f) for f in forms}


def _words(text: str) -> list[set[str]]:
    tokens = re.findall(r"[\w&]+", unicodedata.normalize("NFKC", text).casefold())
    return [_variants(t) for t in tokens]


def detect(text: str) -> tuple[bool, str | None]:
    """Whether a sentence is normative, and its strongest modal word (as :data:`MODALS`
    shows it), read on its folded words with OCR slips allowed for."""
    words = _words(text)
    best: int | None = None
    for i, forms in enumerate(words):
        before = words[i - 1] if i else set()
        after = words[i + 1] if i + 1 < len(words) else set()
        for form in forms:
            if form not in _RANK:
                if form == "inte" and "tillatet" in after:
                    found = _RANK["inte tillatet"]
                    best = found if best is None else min(best, found)
                continue
            found = _RANK[form]
            if form in _NEGATED and (after & _NOT or before & _NOT):
                found = _RANK[f"{form} inte"]
            best = found if best is None else min(best, found)
    if best is None:
        return False, None
    return True, _SHOWN[MODALS[best][0]]

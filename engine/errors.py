"""The project's one error hierarchy.

Every problem a user can cause (a pack source that does not parse or compile, a pack
that cannot be loaded, a request that does not fit the vocabulary) is raised as a
subclass of :class:`PolicyError`, which is itself a :class:`ValueError`. Each error has a
stable ``code`` and, where the problem sits in a source file, a :class:`Span`.

``str(error)`` is the message the CLI prints; for source errors it is the
``FILE:LINE:COLUMN: message`` line followed by the offending line and a caret.

Several problems found in one pass are collected into one :class:`PackErrors`, sorted by
position, so that an author sees all of them at once.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import Iterable, Mapping, Sequence

import attrs


@attrs.frozen
class Span:
    """Where something stands in a source file (lines and columns count from 1)."""

    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None


def source_lines(text: str) -> list[str]:
    """The lines of a source text as the parser counts them: split at ``\n`` only (a form
    feed, U+2028, U+2029 or NEL stays inside its line, unlike ``str.splitlines``); a
    ``\r`` before the ``\n`` is dropped, and a final line break starts no line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def show(value: object, limit: int = 60) -> str:
    """A value as it looks in JSON, shortened, for a message; never raises (a number too
    long to print, for instance, is described instead)."""
    import json
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        try:
            text = repr(value)
        except ValueError:
            text = f"<a {type(value).__name__} too large to show>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def did_you_mean(word: str, choices: Iterable[str], names: Mapping[str, str] | None = None
                 ) -> str:
    """Return ``" (did you mean 'x'?)"`` for a near miss among ``choices``, else ``""``.

    Case, accents and separators do not count (``TYRESO``, ``Töreboda``, ``LIKE-PAGE``
    lead to ``tyreso``, ``toreboda``, ``like_page``). ``names`` maps other names people use
    to the choice they mean (a pack's own name, "Tyresö kommun", to ``tyreso``); where
    roles are among the choices, the roles' English and Swedish labels
    (the glossary's: "chef", "förvaltningschef", "kommunikatör") are names
    of theirs too. A word that holds a name as a whole word ("närmaste chef") means it,
    and so do the first words of just one name ("gilla" for "gilla en sida"), another
    form of a word of just one name ("förening", "partier", "övrigt" for "lokala
    föreningar", "politiska partier", "övriga sidor") and a Swedish compound whose last
    part is such a word ("enhetschef", "idrottsförening"); when several names share the
    word, only one spelled nearly alike ("enm x" for "enum x"), else none ("kommun").
    Only then is a name spelled alike suggested (difflib).
    """
    options = list(choices)
    known: dict[str, str] = {}                     # folded name -> the choice it means
    for choice in options:
        known.setdefault(_fold(choice), choice)
    for name, choice in {**_role_names(options), **(names or {})}.items():
        if choice in options:
            known.setdefault(_fold(name), choice)
    folded = _fold(word)
    match = known.get(folded)
    if match is None and folded:
        words = folded.split("_")
        whole = [known[w] for w in words if w in known and len(words) > 1]
        if whole:
            match = whole[-1]                      # "narmaste chef": the last word is the noun
    if match is None and folded:                   # the first words of one name: "gilla"
        starting = {c for name, c in known.items() if name.startswith(folded + "_")}
        match = starting.pop() if len(starting) == 1 else None
    import difflib                                 # here: only a word that is wrong gets here
    if match is None and folded:                   # a word's other form, a compound's head
        sharing: list[str] = []
        for alone in (True, False):                # the word itself before a compound's head
            sharing = [name for name in known if _shares_a_word(folded, name, alone)]
            if sharing:
                break
        if len({known[name] for name in sharing}) == 1:
            match = known[sharing[0]]
        elif sharing:          # several: the one spelled nearly alike ("enm x"), or none
            close = difflib.get_close_matches(folded, sharing, n=1, cutoff=0.8)
            if not close:
                return ""
            match = known[close[0]]
    if match is None and folded:
        close = difflib.get_close_matches(folded, list(known), n=1, cutoff=0.6)
        match = known[close[0]] if close else None
    return f" (did you mean '{match}'?)" if match is not None and match != word else ""


def _same_stem(a: str, b: str) -> bool:
    """Two words that differ at most in an ending of one letter after four they share
    ("förening" and "föreningar", "parti" and "partier", "övrigt" and "övriga")."""
    shared = len(os.path.commonprefix([a, b]))
    return shared >= 4 and shared >= min(len(a), len(b)) - 1


def _shares_a_word(given: str, name: str, whole: bool = False) -> bool:
    """Whether each word given (folded; words of four letters or more) is a word of
    ``name`` (folded) in another form, or (unless ``whole``) ends with one, as a Swedish
    compound ends with its head ("enhets|chef"); "skapa konto" is not "använda ett
    privat konto"."""
    words = [w for w in name.split("_") if len(w) >= 4]
    given_words = [p for p in given.split("_") if len(p) >= 4]
    starts = (lambda part: (0,)) if whole else (lambda part: range(len(part) - 3))
    return bool(given_words) and all(
        any(_same_stem(part[start:], w) for w in words for start in starts(part))
        for part in given_words)


def _fold(text: str) -> str:
    """``text`` as suggestions compare it: lower case, without accents (å, ä, ö as a, a,
    o), each run of other characters one '_'."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return re.sub(r"[^0-9a-z]+", "_", plain).strip("_")


def _role_names(choices: Sequence[str]) -> dict[str, str]:
    """The labels of the roles among ``choices``, each naming its role."""
    from engine.glossary import CONTRACT_LABELS
    found: dict[str, str] = {}
    for role in choices:
        label = CONTRACT_LABELS.get(f"value:role.{role}")
        if label is not None:
            found[label.en] = found[label.sv] = role
    return found


def one_of(choices: Iterable[str], limit: int = 12) -> str:
    """Render the valid choices for a message: ``'a', 'b' or 'c'``."""
    items = sorted(choices)
    shown = [f"'{c}'" for c in items[:limit]]
    if len(items) > limit:
        shown.append(f"… ({len(items) - limit} more)")
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " or " + shown[-1]


_WIDTH = 100  # longest source line shown under a message
_AN = re.compile(r"\ba (int|interval|image_source|account_type|enum|element)\b")


def with_articles(message: str) -> str:
    """Fix "a int", "a interval" (messages built from type names) to "an …"."""
    return _AN.sub(r"an \1", message)


class PolicyError(ValueError):
    """Base of every error the project raises on bad input.

    ``http_status`` is the status the HTTP service (and the web desk) answers it with: 503
    here, for a pack that failed to load and so cannot be served; each subclass a request
    can meet says its own.
    """

    code = "policy-error"
    http_status = 503

    def __init__(self, message: str, *, code: str | None = None, span: Span | None = None,
                 source_line: str | None = None) -> None:
        self.message = message
        if code is not None:
            self.code = code
        self.span = span
        self.source_line = source_line
        super().__init__(self.render())

    def render(self) -> str:
        """The message as the CLI prints it, with position and caret where known."""
        if self.span is None:
            return self.message
        head = f"{self.span.file}:{self.span.line}:{self.span.column}: {self.message}"
        if self.source_line is None:
            return head
        line = self.source_line.rstrip("\n").expandtabs(1)
        column = self.span.column
        caret_width = 1
        if self.span.end_line == self.span.line and self.span.end_column:
            caret_width = max(1, self.span.end_column - self.span.column)
        if len(line) > _WIDTH:  # show a window of a long line around the column
            start = max(0, min(column - 1 - _WIDTH // 3, len(line) - _WIDTH))
            line = ("…" if start else "") + line[start:start + _WIDTH] + (
                "…" if start + _WIDTH < len(line) else "")
            column = column - start + (1 if start else 0)
            caret_width = max(1, min(caret_width, _WIDTH - column + 1))
        caret = " " * (column - 1) + "^" * caret_width
        return f"{head}\n    {line}\n    {caret}"

    def sort_key(self) -> tuple[str, int, int]:
        if self.span is None:
            return ("", 0, 0)
        return (self.span.file, self.span.line, self.span.column)


class SourceError(PolicyError):
    """A problem in a pack or test source file."""

    code = "source-error"

    @classmethod
    def at(cls, message: str, span: Span | None, text: str | None, *,
           code: str | None = None) -> "SourceError":
        line = None
        if span is not None and text is not None:
            lines = source_lines(text)
            if 1 <= span.line <= len(lines):
                line = lines[span.line - 1]
        return cls(message, code=code, span=span, source_line=line)


class PackSyntaxError(SourceError):
    """The source text does not follow the rule language's grammar."""

    code = "syntax"


class PackCompileError(SourceError):
    """The source parses but does not fit the vocabulary (unknown name, wrong type, …)."""

    code = "compile"


class PackErrors(PolicyError):
    """Several source errors found in one pass, sorted by position."""

    code = "pack-errors"

    def __init__(self, errors: Sequence[SourceError]) -> None:
        self.errors = tuple(sorted(errors, key=SourceError.sort_key))
        n = len(self.errors)
        body = "\n".join(e.render() for e in self.errors)
        summary = f"{n} error{'s' if n != 1 else ''} in pack source"
        super().__init__(f"{body}\n{summary}" if n > 1 else body, code=self.code)

    def render(self) -> str:
        return self.message


class PackLoadError(PolicyError):
    """A pack could not be loaded (unreadable file, duplicate id, broken plugin)."""

    code = "pack-load"


class VocabularyError(PolicyError):
    """Vocabulary contributions that cannot be combined (two plugins define one name
    differently, a required fact added to another's action), or a vocabulary file that
    does not describe one. The message names every contributor involved."""

    code = "vocabulary"


class RequestError(PolicyError):
    """A decision request does not fit the vocabulary of its action.

    ``path`` points into the request (``facts.page_category``), as in the HTTP error body.
    """

    code = "bad-request"
    http_status = 422

    def __init__(self, message: str, *, code: str | None = None, path: str | None = None) -> None:
        self.path = path
        super().__init__(message, code=code)


class UnknownPackError(RequestError):
    """A request names a pack that is not installed (HTTP 404)."""

    code = "unknown-pack"
    http_status = 404


class MalformedInputError(RequestError):
    """Input that is not JSON at all: bad syntax, bad UTF-8, an empty body (HTTP 400)."""

    code = "malformed-json"
    http_status = 400


class InputTooLargeError(RequestError):
    """A request body larger than the service accepts (HTTP 413)."""

    code = "too-large"
    http_status = 413

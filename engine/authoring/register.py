"""The sentence register: how a pack accounts for every normative sentence of its guideline.

A pack's register (``register.toml`` beside its ``.policy`` file) has one ``[[sentence]]``
entry per sentence it accounts for: the sentence's place (``section``, ``n``), its
``fingerprint`` (``engine.authoring.document.fingerprint``; the register never stores
the sentence), the ``modal`` word as the author reads it, the contract ``actions`` it
governs, and either ``encoded_by`` (rule ids and ``topic:ID``) or ``not_encoded`` (why
not). ``docs/authoring.md`` describes the format.

``load_register(path)`` reads one into a :class:`Register`; what does not fit the format
is raised as :class:`~engine.errors.PackErrors` of positioned
:class:`~engine.errors.SourceError` values. ``check_register(register, pack, sentences)``
hands on the :class:`Problem` values ``policy check`` prints:

======================= ==========================================================
code                    problem
======================= ==========================================================
unaccounted-sentence    a normative sentence of the document no entry accounts for
sentence-not-found      an entry's (section, n) is not a sentence of the document
sentence-changed        the document's sentence at (section, n) has another
                        fingerprint: the document changed
unknown-rule            an entry names a rule the pack does not have
unknown-topic           an entry names a topic the pack does not set
unknown-action          an entry names an action the pack's vocabulary does not have
unknown-section         an entry's section is not one of the pack header's
unregistered-sentence   a rule or topic cites ``sentence N`` and no entry is there
unlisted-rule           a rule or topic cites ``sentence N`` and the entry there does
                        not list it in ``encoded_by``
======================= ==========================================================

Without the document (``sentences`` None) only the register's consistency with the pack
is checked (the last five). ``check_document`` segments a document and checks against it
(adding ``section-not-found`` warnings for headings the document lacks); ``draft`` writes
TOML entries for the normative sentences not accounted for yet.
"""

from __future__ import annotations

import json
import pathlib
import re
import tomllib
from typing import Any, Mapping, Sequence

import attrs

from dsl.text import normalise_source
from engine.authoring.document import (
    Sentence, first_words, missing_sections, normalise_heading, segment)
from engine.compiler import CompiledPack
from engine.errors import (
    PackErrors, PackLoadError, PolicyError, SourceError, Span, did_you_mean, one_of,
    source_lines)
from engine.vocabulary import Vocabulary

ERROR, WARNING = "error", "warning"
KEYS: Mapping[str, str] = {
    "section": "a string: the section heading as the pack header's 'sections' lists it, "
               "or \"\" for the text before the first heading",
    "n": "a whole number from 1: the sentence's ordinal within its section",
    "fingerprint": "a string of 10 hex digits (policy check --draft-register writes it)",
    "modal": "a string: the modal word as you read it (ska, bör, får inte, none, …)",
    "actions": "a list of action names (may be empty)",
    "encoded_by": "a non-empty list of rule ids and 'topic:ID'",
    "not_encoded": "a non-empty string saying why no rule encodes the sentence",
    "needs": "a list of the words the vocabulary lacks for the sentence, each 'action NAME', "
             "'fact ACTION.FACT', 'value ENUM.VALUE', 'role NAME' or 'topic ID'",
}
_NEED = re.compile(r"(?:(?:action|role|topic) [a-z][a-z0-9_]*|"
                   r"(?:fact|value) [a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)\Z")
REQUIRED = ("section", "n", "fingerprint", "modal")
_FINGERPRINT = re.compile(r"[0-9a-f]{10}\Z")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\Z")


@attrs.frozen
class Entry:
    """One ``[[sentence]]`` of a register."""

    section: str
    n: int
    fingerprint: str
    modal: str
    actions: tuple[str, ...] = ()
    encoded_by: tuple[str, ...] = ()
    not_encoded: str | None = None
    #: The words the vocabulary lacks to encode it ('action answer_question', …).
    needs: tuple[str, ...] = ()
    line: int = attrs.field(default=1, eq=False)              # of its ``[[sentence]]``
    key_lines: Mapping[str, int] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def key(self) -> tuple[str, int]:
        return (self.section, self.n)

    def describe(self) -> str:
        return f'entry "{self.section}" sentence {self.n}'


@attrs.frozen
class Register:
    """A pack's sentence register, as read from its file."""

    origin: str
    entries: tuple[Entry, ...]
    text: str = attrs.field(default="", eq=False, repr=False)

    def entry(self, section: str, n: int) -> Entry | None:
        return next((e for e in self.entries if e.key == (section, n)), None)


@attrs.frozen
class Problem:
    """One finding of the register check: a ``policy check`` diagnostic, with the
    sentence it is about where there is one."""

    severity: str
    code: str
    message: str
    span: Span | None
    source_line: str | None = None
    section: str | None = None
    n: int | None = None

    def render(self) -> str:
        """``FILE:LINE:COL: severity[code]: message``, as ``policy check`` prints it."""
        return PolicyError(f"{self.severity}[{self.code}]: {self.message}", span=self.span,
                           source_line=self.source_line).render()


# ---- reading -----------------------------------------------------------------------------

def load_register(path: str | pathlib.Path) -> Register:
    """Read and validate a register file (its format only, not against a pack)."""
    origin = str(path)
    try:
        text = pathlib.Path(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise PackLoadError(f"{origin}: cannot read the register: {e}",
                            code="unreadable-register") from None
    return parse_register(text, origin)


def parse_register(text: str, origin: str = "register.toml") -> Register:
    """A register from its text; ``origin`` names the file in messages."""
    text = normalise_source(text)   # no BOM, \n line endings, NFC (as pack sources)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        found = _TOML_POSITION.search(message)
        line, column = (int(found[1]), int(found[2])) if found else (
            max(1, len(source_lines(text))), 1)
        message = _TOML_POSITION.sub("", message).replace(" (at end of document)", "")
        raise PackErrors([SourceError.at(
            f"not valid TOML: {message[:1].lower() + message[1:]}", Span(origin, line, column),
            text, code="register-syntax")]) from None
    return _Reader(text, origin).read(data)


class _Reader:
    def __init__(self, text: str, origin: str) -> None:
        self.text = text
        self.origin = origin
        self.lines = source_lines(text)
        self.errors: list[SourceError] = []
        self.headers = [i + 1 for i, line in enumerate(self.lines)
                        if re.match(r"\s*\[\[\s*sentence\s*\]\]", line)]

    def error(self, message: str, line: int, code: str) -> None:
        self.errors.append(SourceError.at(message, Span(self.origin, line, 1), self.text,
                                          code=code))

    def read(self, data: Mapping[str, Any]) -> Register:
        for key in data:
            if key != "sentence":
                line = self.find_key(key, 1, len(self.lines) + 1) or 1
                self.error(f"unknown key '{key}' at the top of the register; a register is a "
                           "list of '[[sentence]]' entries", line, "register-key")
        raw = data.get("sentence", [])
        entries: list[Entry] = []
        if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
            self.error("'sentence' must be a list of tables, written '[[sentence]]' before "
                       "each entry", self.headers[0] if self.headers else 1, "register-type")
            raw = []
        seen: dict[tuple[str, int], int] = {}
        for index, item in enumerate(raw):
            entry = self.entry(index, item, len(raw))
            if entry is None:
                continue
            if entry.key in seen:
                self.error(f"{entry.describe()} is in the register twice (first at line "
                           f"{seen[entry.key]}); give each sentence one entry",
                           entry.line, "register-duplicate")
                continue
            seen[entry.key] = entry.line
            entries.append(entry)
        if self.errors:
            raise PackErrors(self.errors)
        return Register(self.origin, tuple(entries), self.text)

    def block(self, index: int, count: int) -> tuple[int, int]:
        """The lines (first, after last) of entry ``index``, where they can be told."""
        if len(self.headers) != count:
            return (1, len(self.lines) + 1)
        end = len(self.lines) + 1
        for number in range(self.headers[index] + 1, len(self.lines) + 1):
            if re.match(r"\s*\[", self.lines[number - 1]):
                end = number
                break
        return (self.headers[index], end)

    def find_key(self, key: str, start: int, end: int) -> int | None:
        pattern = re.compile(rf"\s*\"?{re.escape(key)}\"?\s*=")
        for number in range(start, min(end, len(self.lines) + 1)):
            if pattern.match(self.lines[number - 1]):
                return number
        return None

    def entry(self, index: int, item: Mapping[str, Any], count: int) -> Entry | None:
        start, end = self.block(index, count)
        lines = {k: self.find_key(k, start, end) or start for k in item}
        section, n = item.get("section"), item.get("n")
        name = (f'entry "{section}" sentence {n}' if isinstance(section, str)
                and isinstance(n, int) else f"entry {index + 1} (line {start})")
        before = len(self.errors)
        for key in item:
            if key not in KEYS:
                self.error(f"unknown key '{key}' in {name}{did_you_mean(key, KEYS)}; valid "
                           f"keys are {one_of(KEYS)}", lines[key], "register-key")
        for key in REQUIRED:
            if key not in item:
                self.error(f"{name} has no '{key}': it needs {KEYS[key]}", start,
                           "register-missing")
        for key, value in item.items():
            if key in KEYS and not _fits(key, value):
                self.error(f"'{key}' of {name} is {_kind(value)} {_short(value)}; it must be "
                           f"{KEYS[key]}", lines[key], "register-type")
        if ("encoded_by" in item) == ("not_encoded" in item):
            has = "both" if "encoded_by" in item else "neither"
            self.error(f"{name} has {has} 'encoded_by' and 'not_encoded'; give exactly one: a "
                       "non-empty 'encoded_by' list of the rules and topic:ID that encode the "
                       "sentence, or not_encoded = \"why no rule does\"",
                       lines.get("not_encoded", start), "register-encoding")
        if "needs" in item and "encoded_by" in item:
            self.error(f"{name} is encoded, so it needs no words: 'needs' goes with "
                       "'not_encoded', naming the words the vocabulary lacks",
                       lines["needs"], "register-encoding")
        if len(self.errors) > before:
            return None
        return Entry(section=item["section"], n=item["n"], fingerprint=item["fingerprint"],
                     modal=item["modal"], actions=tuple(item.get("actions", ())),
                     encoded_by=tuple(item.get("encoded_by", ())),
                     not_encoded=item.get("not_encoded"), needs=tuple(item.get("needs", ())),
                     line=start, key_lines=lines)


def has_word(vocabulary: Vocabulary, need: str) -> bool:
    """Whether ``vocabulary`` has the word a register's ``needs`` names."""
    kind, _, name = need.partition(" ")
    first, _, second = name.partition(".")
    if kind == "action":
        return first in vocabulary.actions
    if kind == "topic":
        return first in vocabulary.topics
    if kind == "role":
        return first in vocabulary.roles.values
    if kind == "fact":
        action = vocabulary.actions.get(first)
        return action is not None and action.fact(second) is not None
    enum = vocabulary.enums.get(first)
    return enum is not None and second in enum.values


def waiting(register: Register) -> dict[str, list[str]]:
    """The words the register's sentences wait for, each with the sentences waiting
    ('Section n'): where the vocabulary would have to grow."""
    found: dict[str, list[str]] = {}
    for entry in register.entries:
        for need in entry.needs:
            found.setdefault(need, []).append(f"{entry.section} {entry.n}")
    return found


def _fits(key: str, value: Any) -> bool:
    if key == "n":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1
    if key == "fingerprint":
        return isinstance(value, str) and bool(_FINGERPRINT.match(value))
    if key in ("actions", "encoded_by"):
        return isinstance(value, list) and all(isinstance(v, str) and v for v in value) and (
            key == "actions" or bool(value))
    if key == "needs":
        return isinstance(value, list) and bool(value) and all(
            isinstance(v, str) and _NEED.match(v) for v in value)
    if key in ("modal", "not_encoded"):
        return isinstance(value, str) and bool(value.strip())
    return isinstance(value, str)


def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "the string",
             list: "the list", dict: "a table"}
    return names.get(type(value), "a value")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


# ---- checking ----------------------------------------------------------------------------

class _Check:
    def __init__(self, register: Register, pack: CompiledPack, document: str | None) -> None:
        self.register = register
        self.pack = pack
        self.document = document or "<document>"
        self.lines = source_lines(register.text)
        self.pack_lines = (source_lines(pack.ast.text)
                           if pack.ast is not None and pack.ast.text else [])
        self.found: list[Problem] = []

    def at_entry(self, entry: Entry, key: str | None, code: str, message: str,
                 severity: str = ERROR) -> None:
        line = entry.key_lines.get(key, entry.line) if key else entry.line
        source = self.lines[line - 1] if 1 <= line <= len(self.lines) else None
        width = len(source.rstrip()) - (len(source) - len(source.lstrip())) if source else 0
        indent = len(source) - len(source.lstrip()) if source else 0
        span = Span(self.register.origin, line, indent + 1, line, indent + 1 + max(1, width))
        self.found.append(Problem(severity, code, message, span, source, entry.section,
                                  entry.n))

    def at_pack(self, span: Span | None, code: str, message: str, section: str,
                n: int) -> None:
        source = None
        if span is not None and 1 <= span.line <= len(self.pack_lines):
            source = self.pack_lines[span.line - 1]
        self.found.append(Problem(ERROR, code, message, span, source, section, n))

    def names(self) -> None:
        """Problems of kind 3: names the pack or its vocabulary does not have."""
        rules = list(dict.fromkeys(r.id for r in self.pack.rules))
        topics = [t.id for t in self.pack.ast.topics] if self.pack.ast is not None else [
            t for t, v in self.pack.topics.items() if v.declared]
        sections = self.pack.sections
        words = self.pack.vocabulary
        for entry in self.register.entries:
            if sections and entry.section and entry.section not in sections:
                near = _near_section(entry.section, sections)
                self.at_entry(entry, "section", "unknown-section",
                              f"{entry.describe()}: \"{entry.section}\" is not one of the "
                              f"sections of pack '{self.pack.id}'{near}; use a heading the "
                              "header's 'sections' lists, or \"\" for the text before the "
                              "first heading")
            for action in entry.actions:
                if action not in words.actions:
                    self.at_entry(entry, "actions", "unknown-action",
                                  f"{entry.describe()} names action '{action}', which the "
                                  f"vocabulary does not have{did_you_mean(action, words.actions)};"
                                  f" valid actions are {one_of(words.actions)}")
            for name in entry.encoded_by:
                if name.startswith("topic:"):
                    topic = name[len("topic:"):]
                    if topic not in topics:
                        hint = ("" if topic in words.topics else did_you_mean(topic, topics)
                                or did_you_mean(topic, words.topics))
                        sets = (f"; it sets {one_of(topics)}" if topics
                                else "; it sets no topic")
                        if topic in words.topics:
                            sets += f" (set it in the pack with 'topic {topic} = …')"
                        self.at_entry(entry, "encoded_by", "unknown-topic",
                                      f"{entry.describe()} names topic '{topic}', which pack "
                                      f"'{self.pack.id}' does not set{hint}{sets}")
                elif name not in rules:
                    hint = did_you_mean(name, rules) or did_you_mean(
                        name, [f"topic:{t}" for t in topics])
                    self.at_entry(entry, "encoded_by", "unknown-rule",
                                  f"{entry.describe()} names rule '{name}', which pack "
                                  f"'{self.pack.id}' does not have{hint}; list rule ids, or "
                                  "a topic as 'topic:ID'")
            for need in entry.needs:
                if has_word(words, need):
                    self.at_entry(entry, "needs", "needs-met",
                                  f"{entry.describe()} waits for {need}, which the vocabulary "
                                  "now has: encode the sentence with it (encoded_by), or say "
                                  "in not_encoded why it still cannot be, without 'needs'")

    def citations(self) -> None:
        """Problems of kind 4: rules and topics citing sentences the register does not
        give them."""
        if self.pack.ast is None:
            return
        cited: list[tuple[str, str, str, tuple[int, ...], Span | None]] = []
        for rule in self.pack.ast.rules:
            if rule.source is not None:
                cited.append((f"rule '{rule.id}'", rule.id, rule.source, rule.sentences,
                              rule.source_span or rule.span))
        for topic in self.pack.ast.topics:
            if topic.source is not None:
                cited.append((f"topic '{topic.id}'", f"topic:{topic.id}", topic.source,
                              topic.sentences, topic.span))
        for what, name, section, numbers, span in cited:
            for n in numbers:
                entry = self.register.entry(section, n)
                if entry is None:
                    self.at_pack(span, "unregistered-sentence",
                                 f"{what} cites \"{section}\" sentence {n}, but the register "
                                 f"({self.register.origin}) has no entry for it; add one with "
                                 f"encoded_by = [\"{name}\"]", section, n)
                elif name not in entry.encoded_by:
                    listed = (f"it lists {', '.join(entry.encoded_by)}" if entry.encoded_by
                              else "it says not encoded")
                    self.at_pack(span, "unlisted-rule",
                                 f"{what} cites \"{section}\" sentence {n}, but the register's "
                                 f"entry for it (line {entry.line}) does not list '{name}' in "
                                 f"encoded_by ({listed}); add it there, or correct the "
                                 "sentence number", section, n)

    def document_sentences(self, sentences: Sequence[Sentence]) -> None:
        """Problems of kinds 1 and 2: the register against the document's sentences."""
        by_key = {(s.section, s.n): s for s in sentences}
        for entry in self.register.entries:
            sentence = by_key.get(entry.key)
            if sentence is None:
                count = sum(1 for s in sentences if s.section == entry.section)
                where = (f"section \"{entry.section}\" has {count} sentence"
                         f"{'s' if count != 1 else ''}" if entry.section else
                         f"the text before the first heading has {count}")
                self.at_entry(entry, "n", "sentence-not-found",
                              f"{entry.describe()}: the document has no such sentence "
                              f"({where}); the document changed, or the entry's section or "
                              "n is wrong")
            elif sentence.fingerprint != entry.fingerprint:
                moved = [s for s in sentences if s.fingerprint == entry.fingerprint]
                hint = (f"; the sentence the entry was written for is now "
                        f"\"{moved[0].section}\" sentence {moved[0].n}" if moved else
                        "; check the entry still holds for it, then update the fingerprint")
                self.at_entry(entry, "fingerprint", "sentence-changed",
                              f"{entry.describe()}: the document changed: its sentence there "
                              f"now reads \"{first_words(sentence.text)}\" (fingerprint "
                              f"{sentence.fingerprint}, the register has {entry.fingerprint})"
                              f"{hint}")
        for sentence in sentences:
            if sentence.normative and self.register.entry(sentence.section, sentence.n) is None:
                where = f"\"{sentence.section}\"" if sentence.section else "the preamble"
                self.found.append(Problem(
                    ERROR, "unaccounted-sentence",
                    f"sentence {sentence.n} of {where} is normative (modal '{sentence.modal}') "
                    f"but the register accounts for it nowhere: \"{first_words(sentence.text)}\"; "
                    "add an entry (policy check --document FILE --draft-register drafts one)",
                    Span(self.document, sentence.line, 1), None, sentence.section, sentence.n))


def _near_section(section: str, sections: Sequence[str]) -> str:
    normalised = {normalise_heading(s): s for s in sections}
    if normalise_heading(section) in normalised:
        return f" (did you mean \"{normalised[normalise_heading(section)]}\"?)"
    hint = did_you_mean(section, sections)
    return hint.replace("'", "\"")


def check_register(register: Register, pack: CompiledPack,
                   sentences: Sequence[Sentence] | None,
                   document: str | None = None) -> list[Problem]:
    """Every problem of ``register`` for ``pack`` and, when given, the document's
    ``sentences`` (``document`` names the document's file in positions)."""
    check = _Check(register, pack, document)
    check.names()
    check.citations()
    if sentences is not None:
        check.document_sentences(sentences)
    return check.found


# ---- a whole document --------------------------------------------------------------------

@attrs.frozen
class DocumentCheck:
    """The register checked against a guideline document: ``policy check --document``."""

    sentences: tuple[Sentence, ...]
    problems: tuple[Problem, ...]
    missing_sections: tuple[str, ...]

    @property
    def normative(self) -> tuple[Sentence, ...]:
        return tuple(s for s in self.sentences if s.normative)

    def unaccounted(self, register: Register) -> tuple[Sentence, ...]:
        return tuple(s for s in self.normative if register.entry(s.section, s.n) is None)


def check_document(register: Register, pack: CompiledPack, text: str,
                   document: str) -> DocumentCheck:
    """Segment ``text`` by the pack's sections and check the register against it; a pack
    section whose heading the document lacks is a ``section-not-found`` warning."""
    sentences = segment(text, pack.sections)
    problems = check_register(register, pack, sentences, document)
    missing = tuple(missing_sections(text, pack.sections))
    for section in missing:
        problems.append(Problem(
            WARNING, "section-not-found", f"the document has no heading for section "
            f"\"{section}\" of pack '{pack.id}' (a line of its own, numbering and case aside); "
            "its text is counted in the section before it", Span(document, 1, 1),
            section=section))
    return DocumentCheck(tuple(sentences), tuple(problems), missing)


def draft(register: Register, pack: CompiledPack, checked: DocumentCheck,
          document: str) -> str:
    """TOML entries for the normative sentences the register does not account for yet,
    for an author to complete and paste into the register."""
    cited: dict[tuple[str, int], list[str]] = {}
    if pack.ast is not None:
        for rule in pack.ast.rules:
            for n in rule.sentences:
                cited.setdefault((rule.source or "", n), []).append(rule.id)
        for topic in pack.ast.topics:
            for n in topic.sentences:
                cited.setdefault((topic.source or "", n), []).append(f"topic:{topic.id}")
    todo = checked.unaccounted(register)
    count = f"{len(todo)} normative sentence{'s' if len(todo) != 1 else ''}"
    out = [
        f"# Draft entries for {register.origin}",
        f"# from {document}: the {count} it does not account for yet.",
        "# For each entry: check 'modal', list in 'actions' the contract actions the sentence",
        "# governs, and give either 'encoded_by' (rule ids, topic:ID; filled in where a rule",
        "# cites the sentence) or not_encoded = \"why\" in its place.",
        "# REMOVE the comment line quoting each sentence's first words before you save: the",
        "# register keeps fingerprints, never the guideline's sentences.",
    ]
    for sentence in todo:
        encoded = cited.get((sentence.section, sentence.n), [])
        words = "".join(c for c in first_words(sentence.text) if c.isprintable())
        out += ["", "[[sentence]]", f"# {words}",
                f"section = {_toml(sentence.section)}", f"n = {sentence.n}",
                f"fingerprint = {_toml(sentence.fingerprint)}",
                f"modal = {_toml(sentence.modal or 'none')}", "actions = []",
                "encoded_by = [" + ", ".join(_toml(e) for e in encoded) + "]"]
    return "\n".join(out) + "\n"


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)

"""What an editor is told about a source: the findings of ``policy check`` and the tests.

For a pack, :func:`pack_errors` gives the errors it cannot load with (syntax, compile):
quick, reported first while the author types; :func:`pack_findings` gives everything
``policy check`` reports for the file (``engine.authoring.analysis.check_source``), which
decides many requests and may take long on a large pack. For a test file,
:func:`tests_findings` gives its syntax errors, the cases that cannot run against the
pack beside it, and the cases that fail. Each hands on
``engine.authoring.analysis.Diagnostic`` values of the one file asked about.

These run in a worker process (``engine.editor.worker``), never in the server's own.
"""

from __future__ import annotations

from pathlib import Path

from dsl.parser import parse_pack, parse_tests
from engine.authoring.analysis import ERROR, Diagnostic, check_source
from engine.authoring.installed import words_beside
from engine.authoring.testing import run_case
from engine.compiler import CompiledPack, compile_pack
from engine.errors import PolicyError, Span, source_lines
from engine.vocabulary import Vocabulary

__all__ = ["pack_errors", "pack_findings", "tests_findings"]


def _words(origin: str) -> Vocabulary:
    """The words a file is checked in: the installed plugins' and its folder's."""
    return words_beside(Path(origin))[0]


def pack_errors(text: str, origin: str) -> list[Diagnostic]:
    """The errors a pack cannot load with: every syntax and compile error."""
    return _of(check_source(text, origin, vocabulary=_words(origin), checks=False).diagnostics,
               origin)


def pack_findings(text: str, origin: str) -> list[Diagnostic]:
    """Everything ``policy check`` finds in a pack: errors, warnings, acknowledged ones, and
    the problems of the sentence register beside it (as ``policy check`` without
    ``--document``: the register against the pack) shown on the pack's first line."""
    found = _of(check_source(text, origin, vocabulary=_words(origin)).diagnostics, origin)
    return found + register_findings(text, origin)


def register_findings(text: str, origin: str) -> list[Diagnostic]:
    """The problems of the ``register.toml`` beside the pack file, against the pack as
    the editor holds it; each shown on the pack's first line, saying where it is."""
    from engine.authoring.register import check_register, load_register
    path = Path(origin).with_name("register.toml")
    pack = _compiled(text, origin) if path.is_file() else None
    if pack is None:
        return []
    try:
        problems = check_register(load_register(path), pack, None)
    except PolicyError as e:
        problems = []
        messages = [f"{path.name}: {e}"]
    else:
        messages = [f"{p.span.file if p.span else path.name}:{p.span.line if p.span else 1}: "
                    f"{p.message}" for p in problems]
    codes = [p.code for p in problems] or ["register"]
    severities = [p.severity for p in problems] or [ERROR]
    return [Diagnostic(severity, code, message, Span(origin, 1, 1))
            for severity, code, message in zip(severities, codes, messages)]


def tests_findings(text: str, origin: str, pack_text: str | None,
                   pack_origin: str) -> list[Diagnostic]:
    """A test file's errors, and its failing cases, against the pack beside it (without
    one, requests are still checked against the vocabulary)."""
    if pack_text is None and pack_origin == origin:
        # no pack to check: the absent pack's own errors must not land on the test file
        pack_origin = str(Path(origin).with_suffix(".policy"))
    report = check_source(pack_text or "", pack_origin, text, origin,
                          vocabulary=_words(pack_origin), checks=False)
    found = _of(report.diagnostics, origin)
    if found or pack_text is None:
        return found
    pack = _compiled(pack_text, pack_origin)
    if pack is None:
        return found
    try:
        tests = parse_tests(text, origin)
    except PolicyError:
        return found
    lines = source_lines(tests.text)
    for case in tests.cases:
        try:
            result = run_case(pack, case)
        except PolicyError as e:            # a case check_cases let through: say so
            problems: tuple[str, ...] = (e.message,)
        else:
            if result.passed:
                continue
            problems = result.problems
        span = case.span
        line = lines[span.line - 1] if span is not None and span.line <= len(lines) else None
        head = (Span(origin, span.line, span.column, span.line, len(line) + 1)
                if span is not None and line is not None else span)
        found.append(Diagnostic(ERROR, "failing-test",
                                f"test \"{case.name}\" fails: {'; '.join(problems)}",
                                head, line))
    return found


def _compiled(text: str, origin: str) -> CompiledPack | None:
    try:
        return compile_pack(parse_pack(text, origin), _words(origin))
    except PolicyError:
        return None


def _of(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic], origin: str) -> list[Diagnostic]:
    """The diagnostics of the file ``origin`` (those without a place count as its own)."""
    return [d for d in diagnostics if d.span is None or d.span.file == origin]

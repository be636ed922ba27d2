"""The sentence register on the command line: ``policy check`` with a pack's
``register.toml``, ``--document`` and ``--draft-register`` (``docs/authoring.md``, "The
sentence register"). The checks themselves are ``engine.authoring.register``'s."""

from __future__ import annotations

import pathlib
import sys
from typing import Any

import click

from engine.cli.common import counted, fail
from engine.cli.targets import Target


def read_document(path: pathlib.Path) -> str:
    """The guideline document's text; unreadable or not UTF-8 is bad usage."""
    try:
        data = path.read_bytes()
    except OSError as e:
        fail(f"--document {path}: cannot read it: {e.strerror or e}")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        fail(f"--document {path}: not UTF-8 text (byte {e.start} is {data[e.start]:#04x}); "
             "save the document as UTF-8 plain text")


def _compiled(text: str, origin: str, vocabulary: Any = None) -> Any:
    """The compiled pack, or None when it has errors (``check_source`` reports them)."""
    from dsl.parser import parse_pack
    from engine.compiler import compile_pack
    from engine.errors import PolicyError
    try:
        return compile_pack(parse_pack(text, origin), vocabulary)
    except PolicyError:
        return None


def _register_path(origin: str) -> pathlib.Path | None:
    policy = pathlib.Path(origin)
    return policy.with_name("register.toml") if policy.is_file() else None


def _load_register(path: pathlib.Path | None, origin: str) -> Any:
    """The pack's register, an empty one when it has none; raises PackErrors."""
    from engine.authoring.register import Register, load_register
    if path is not None and path.is_file():
        return load_register(path)
    where = path or pathlib.Path(origin).with_name("register.toml")
    return Register(str(where), ())


def register_findings(text: str, origin: str, document_text: str | None,
                       document: pathlib.Path | None,
                       vocabulary: Any = None) -> tuple[list[Any], dict[str, Any] | None]:
    """The register's findings for one pack, as diagnostics, and its summary (None when
    the pack has no register and no document is given)."""
    from engine.authoring.analysis import ERROR, Diagnostic
    from engine.authoring.register import check_document, check_register, waiting
    from engine.errors import PackErrors, PolicyError, Span

    path = _register_path(origin)
    if (path is None or not path.is_file()) and document_text is None:
        return [], None
    summary: dict[str, Any] = {"file": str(path) if path and path.is_file() else None}
    if document is not None:
        summary["document"] = str(document)
    try:
        register = _load_register(path, origin)
    except PackErrors as e:
        found = [Diagnostic.of_error(err) for err in e.errors]
        return found, {**summary, "loaded": False, "problems": len(found)}
    except PolicyError as e:
        span = Span(str(path), 1, 1)
        return [Diagnostic(ERROR, e.code, e.message, span)], {**summary, "loaded": False,
                                                              "problems": 1}
    summary["loaded"] = True
    pack = _compiled(text, origin, vocabulary)
    if pack is None:
        return [], {**summary, "compiled": False, "problems": 0}
    if document_text is None or document is None:
        problems = check_register(register, pack, None)
    else:
        checked = check_document(register, pack, document_text, str(document))
        problems = list(checked.problems)
        summary["normative"] = len(checked.normative)
        summary["accounted"] = len(checked.normative) - len(checked.unaccounted(register))
        summary["missing_sections"] = list(checked.missing_sections)
    summary["problems"] = len(problems)
    summary["needs"] = waiting(register)
    return [Diagnostic(p.severity, p.code, p.message, p.span, p.source_line)
            for p in problems], summary


def register_summary(summary: dict[str, Any]) -> str:
    if summary.get("loaded") is False:
        return (f"register: not checked against the document: the register has "
                f"{counted(summary['problems'], 'error')}")
    if summary.get("compiled") is False:
        return "register: not checked against the document: the pack has errors"
    where = "" if summary["file"] else " (the pack has no register.toml yet)"
    needs = summary.get("needs") or {}
    waits = (f"; {counted(len({s for v in needs.values() for s in v}), 'sentence')} wait for words the "
             f"vocabulary lacks: {', '.join(needs)}" if needs else "")
    return (f"register: {counted(summary['normative'], 'normative sentence')}, "
            f"{summary['accounted']} accounted for, {counted(summary['problems'], 'problem')}"
            + where + waits)


def print_draft_register(target: Target, document_text: str, document: pathlib.Path) -> None:
    """Print TOML entries for the normative sentences the register does not account for."""
    from engine.authoring.register import check_document, draft
    from engine.errors import PackErrors

    text, origin = target[0], target[1]
    try:
        register = _load_register(_register_path(origin), origin)
    except PackErrors as e:
        click.echo(f"error: the register has errors; correct them first:\n{e}", err=True)
        sys.exit(1)
    pack = _compiled(text, origin, target[4])
    if pack is None:
        click.echo(f"error: {origin} has errors (policy check {origin} shows them); correct "
                   "them first", err=True)
        sys.exit(1)
    checked = check_document(register, pack, document_text, str(document))
    click.echo(draft(register, pack, checked, str(document)), nl=False)



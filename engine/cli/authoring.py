"""The ``policy`` commands for pack authors: ``fmt``, ``check``, ``diff`` and ``new``.

Registered on the ``policy`` group by ``engine.cli``. Like the other
commands, each imports what it needs when it runs, and bad usage ends with one
``error: …`` line on stderr and exit status 2. Findings are not bad usage: ``fmt
--check`` exits 1 when a file is not formatted, ``check`` exits 1 on errors (0 when there
are only warnings), ``diff`` exits 1 when the decisions differ. ``check`` also checks a
pack's sentence register (``register.toml`` beside the pack, ``engine.authoring.register``),
against the guideline itself with ``--document FILE``; ``--draft-register`` prints entries
for the sentences it does not account for yet.
"""

from __future__ import annotations

import difflib
import pathlib
import sys
from typing import Any, Iterable, Iterator

import click

from engine.cli.common import fail, reports_errors

SOURCE_SUFFIXES = (".policy", ".tests")


def iter_sources(paths: Iterable[pathlib.Path]) -> Iterator[pathlib.Path]:
    """Every ``*.policy`` and ``*.tests`` file named or under the named folders, in order.

    Folders are searched recursively, skipping hidden ones; a path that does not exist,
    or a folder without sources, is bad usage.
    """
    seen: set[pathlib.Path] = set()
    for path in paths:
        if not path.exists():
            fail(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SOURCE_SUFFIXES
                           and p.is_file() and not any(
                               part.startswith(".") for part in p.relative_to(path).parts))
            if not found:
                fail(f"{path}: no .policy or .tests files in this folder")
        else:
            found = [path]
        for p in found:
            if p not in seen:
                seen.add(p)
                yield p


def read_source(path: pathlib.Path) -> str:
    """A source file's text, with its line endings as written."""
    from engine.errors import PackLoadError
    try:
        with open(path, encoding="utf-8", newline="") as file:
            return file.read()
    except (OSError, UnicodeDecodeError) as e:
        raise PackLoadError(f"{path}: cannot read it: {e}", code="unreadable-pack") from None


@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(path_type=pathlib.Path))
@click.option("--check", is_flag=True,
              help="Change no file; print a diff of each file that is not formatted and "
                   "exit 1 if there is one.")
@reports_errors
def fmt_command(paths: tuple[pathlib.Path, ...], check: bool) -> None:
    """Lay out pack and test sources canonically, keeping their comments.

    PATHS are .policy and .tests files or folders holding them (searched recursively;
    default: the current folder); - reads standard input and writes the result to
    standard output. Files are rewritten in place, keeping their line endings (CRLF or
    LF, as the first line ends) and byte-order mark. A file that does not parse is
    reported with its errors and left alone (exit 2).
    """
    from dsl.formatter import format_source
    from dsl.text import envelope, restore
    from engine.errors import PolicyError

    if pathlib.Path("-") in paths:
        if len(paths) > 1:
            fail("'-' (standard input) cannot be combined with other paths")
        text = sys.stdin.read()
        result = restore(format_source(text, "<stdin>"), envelope(text))
        if check:
            _echo_diff(text, result, "<stdin>")
            sys.exit(1 if result != text else 0)
        click.echo(result, nl=False)
        return

    changed, total, errors = [], 0, []
    for path in iter_sources(paths or (pathlib.Path("."),)):
        total += 1
        try:
            text = read_source(path)
            result = restore(format_source(text, str(path)), envelope(text))
        except PolicyError as e:
            errors.append(str(e))
            continue
        if result == text:
            continue
        changed.append(path)
        if check:
            _echo_diff(text, result, str(path))
        else:
            with open(path, "w", encoding="utf-8", newline="") as file:   # endings kept
                file.write(result)
            click.echo(f"formatted {path}")
    for error in errors:
        click.echo(f"error: {error}", err=True)
    total -= len(errors)
    if check:
        verdict = (f"{len(changed)} of {_count(total, 'file')} would be reformatted" if changed
                   else f"{_count(total, 'file')} already formatted")
    else:
        verdict = f"{len(changed)} formatted, {total - len(changed)} unchanged"
    click.echo(verdict + (f", {len(errors)} with errors" if errors else ""))
    if errors:
        sys.exit(2)
    if check and changed:
        sys.exit(1)


def _echo_diff(before: str, after: str, name: str) -> None:
    diff = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                f"{name} (as written)", f"{name} (formatted)")
    click.echo("".join(diff), nl=False)




# ---- policy check -----------------------------------------------------------------------

#: text, origin, tests text, tests origin, the vocabulary to check against (None: the
#: contract's), and why the words of the pack's plugin were refused, if they were.
Target = tuple[str, str, "str | None", "str | None", Any, Any]


def _check_targets(paths: tuple[pathlib.Path, ...]) -> list[Target]:
    """The packs to check: the files and folders named, and installed packs named by id
    (all installed packs without a PATH)."""
    from engine.authoring.installed import looks_like_pack_id
    from engine.errors import PackLoadError
    ids = [str(p) for p in paths if not p.exists() and looks_like_pack_id(str(p))]
    if not paths or ids:
        installed = _installed_sources(ids)
        if not paths or len(ids) == len(paths):
            return installed
    else:
        installed = []
    targets, done = [], set()
    for path in iter_sources(tuple(p for p in paths if str(p) not in ids)):
        policy_path = path.with_suffix(".policy")
        if policy_path in done:
            continue
        if not policy_path.is_file():
            raise PackLoadError(f"{path}: there is no pack file {policy_path.name} beside this "
                                "test file", code="bad-path")
        done.add(policy_path)
        tests_path = policy_path.with_suffix(".tests")
        tests = read_source(tests_path) if tests_path.is_file() else None
        targets.append((read_source(policy_path), str(policy_path), tests,
                        str(tests_path) if tests is not None else None, None, None))
    return targets + installed


def _installed_sources(ids: list[str]) -> list[Target]:
    """The sources installed plugins offer (of the packs ``ids``, if any), each with the
    vocabulary of an engine with those plugins, without compiling them."""
    from engine.authoring.installed import installed_sources
    return [(i.source.text, i.source.origin, i.source.tests, i.source.tests_origin,
             i.vocabulary, i.refused) for i in installed_sources(ids)]


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=pathlib.Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Messages for people, or JSON for tools.")
@click.option("--at", "at", metavar="YYYY-MM-DD",
              help="The date requests are decided at while checking (default 2025-01-01).")
@click.option("--document", "document", metavar="FILE", type=click.Path(path_type=pathlib.Path),
              help="The guideline document (UTF-8 text) of the one pack checked: check the "
                   "pack's sentence register against it.")
@click.option("--draft-register", is_flag=True,
              help="With --document: print, as TOML, register entries for the normative "
                   "sentences the register does not account for yet.")
@click.option("--acknowledged", "show_acknowledged", is_flag=True,
              help="Also print the warnings the packs acknowledge ('# check: ignore CODE: "
                   "reason'), with their reasons.")
@reports_errors
def check_command(paths: tuple[pathlib.Path, ...], fmt: str, at: str | None,
                  document: pathlib.Path | None, draft_register: bool,
                  show_acknowledged: bool) -> None:
    """Check pack sources: errors, rules that never apply, conflicts, unused topics, …

    PATHS are pack folders, .policy or .tests files, folders holding them, or installed
    packs' ids, checked with their plugins' words (default: every installed pack). Every
    problem is reported, sorted by position, each with a stable code. A pack with a
    register.toml beside it has its sentence register checked
    too; with --document FILE, against the guideline document itself. Warnings a pack
    acknowledges with a reason are counted apart and shown with --acknowledged. Exit
    status 1 when there are errors, 0 when there are only warnings, 2 on bad usage.
    """
    import json

    import attrs

    from engine.authoring.analysis import ERROR, Diagnostic, check_source
    from engine.authoring.enumeration import DEFAULT_AT
    from engine.errors import Span

    if draft_register and document is None:
        fail("--draft-register needs --document FILE, the guideline document to draft "
             "register entries from")
    day = _date_option(at) if at else DEFAULT_AT
    targets = _check_targets(paths)
    document_text = None
    if document is not None:
        if not paths:
            fail("--document needs the one pack the document belongs to: give the pack's "
                 "folder, its .policy file or its id as PATH")
        if len(targets) != 1:
            fail(f"--document is the guideline of one pack, but the PATHs name "
                 f"{len(targets)} packs ({', '.join(t[1] for t in targets)}); name one")
        document_text = _read_document(document)
        if draft_register:
            _draft_register(targets[0], document_text, document)
            return
    reports, summaries = [], []
    for text, origin, tests, tests_origin, words, refused in targets:
        report = check_source(text, origin, tests, tests_origin, day, words)
        found, summary = _register_findings(text, origin, document_text, document, words)
        if refused is not None:      # the words its rules use are not in the vocabulary
            found.insert(0, Diagnostic(ERROR, refused.code, f"the words of this pack's "
                                       f"plugin were refused: {refused.message}",
                                       Span(origin, 1, 1)))
        if found:
            report = attrs.evolve(report, diagnostics=report.diagnostics + tuple(found))
        reports.append(report)
        summaries.append(summary)
    from engine.authoring.editions import edition_diagnostics
    by_origin = edition_diagnostics((t[0], t[1]) for t in targets)
    reports = [attrs.evolve(r, diagnostics=r.diagnostics + tuple(by_origin.get(r.origin, ())))
               for r in reports]
    errors = sum(r.errors for r in reports)
    warnings = sum(r.warnings for r in reports)
    if fmt == "json":
        click.echo(json.dumps({
            "packs": [{
                "pack": r.pack_id, "origin": r.origin, "errors": r.errors,
                "warnings": r.warnings, "acknowledged": r.acknowledged,
                "enumerated": {e.action: {"requests": e.requests, "space": e.space,
                                          "capped": e.capped} for e in r.enumerated},
                **({"register": summary} if summary is not None else {}),
            } for r, summary in zip(reports, summaries)],
            "diagnostics": [d.to_json() for r in reports for d in r.diagnostics],
            "errors": errors, "warnings": warnings,
        }, ensure_ascii=False, indent=2))
    else:
        for report in reports:
            for diagnostic in report.diagnostics:
                if diagnostic.acknowledged is None or show_acknowledged:
                    click.echo(diagnostic.render())
        for report, summary in zip(reports, summaries):
            largest = max((e.requests for e in report.enumerated), default=0)
            capped = [e.action for e in report.enumerated if e.capped]
            click.echo(f"{report.pack_id or '?'}: {_count(report.errors, 'error')}, "
                       f"{_count(report.warnings, 'warning')}"
                       + (f" (and {report.acknowledged} acknowledged)" if report.acknowledged
                          else "")
                       + f" ({report.origin}"
                       + (f"; up to {largest:,} requests decided per check" if largest else "")
                       + (f"; sampled, not exhaustive, for {', '.join(capped)}" if capped else "")
                       + ")")
            if summary is not None and summary.get("document"):
                click.echo(_register_summary(summary))
        click.echo(f"{_count(len(reports), 'pack')} checked: {_count(errors, 'error')}, "
                   f"{_count(warnings, 'warning')}")
    if errors:
        sys.exit(1)


# ---- the sentence register (policy check, --document, --draft-register) ----------------

def _read_document(path: pathlib.Path) -> str:
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


def _register_findings(text: str, origin: str, document_text: str | None,
                       document: pathlib.Path | None,
                       vocabulary: Any = None) -> tuple[list[Any], dict[str, Any] | None]:
    """The register's findings for one pack, as diagnostics, and its summary (None when
    the pack has no register and no document is given)."""
    from engine.authoring.analysis import ERROR, Diagnostic
    from engine.authoring.register import check_document, check_register
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
    return [Diagnostic(p.severity, p.code, p.message, p.span, p.source_line)
            for p in problems], summary


def _register_summary(summary: dict[str, Any]) -> str:
    if summary.get("loaded") is False:
        return (f"register: not checked against the document: the register has "
                f"{_count(summary['problems'], 'error')}")
    if summary.get("compiled") is False:
        return "register: not checked against the document: the pack has errors"
    where = "" if summary["file"] else " (the pack has no register.toml yet)"
    return (f"register: {_count(summary['normative'], 'normative sentence')}, "
            f"{summary['accounted']} accounted for, {_count(summary['problems'], 'problem')}"
            + where)


def _draft_register(target: Target, document_text: str, document: pathlib.Path) -> None:
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


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _date_option(text: str, option: str = "--at", also: str = "") -> Any:
    import datetime as dt
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option} must be a date as YYYY-MM-DD{also}, got {text!r}")


# ---- policy diff ------------------------------------------------------------------------

def _pack_from(arg: str) -> Any:
    """A compiled pack from a .policy file, a pack folder, or an installed pack's id."""
    from dsl.parser import parse_pack
    from engine.compiler import compile_pack
    from engine.core import Engine

    path = pathlib.Path(arg)
    if path.is_dir():
        from engine.plugins import source_files
        found = source_files(path)                    # editors' files left out
        if len(found) != 1:
            fail(f"{path}: a pack folder holds one .policy file; found {len(found)}")
        path = found[0]
    if path.is_file():
        return compile_pack(parse_pack(read_source(path), str(path)))
    if path.suffix == ".policy" or "/" in arg or "\\" in arg:
        fail(f"{arg}: no such file or folder")
    pack_id, at_sign, version = arg.partition("@")
    if not at_sign:
        return Engine.load().pack(arg)
    engine = Engine.load()
    engine.pack(pack_id)                               # an unknown id fails here
    editions = engine.loaded[pack_id].all_editions
    for edition in editions:
        if edition.version == version:
            return edition
    fail(f"{arg}: pack '{pack_id}' has no edition '{version}'; its editions are "
         + ", ".join(e.version for e in editions) + " (name one as ID@VERSION)")


@click.command("diff")
@click.argument("old")
@click.argument("new", required=False)
@click.option("--at", "at", metavar="YYYY-MM-DD",
              help="The date requests are decided at (default 2025-01-01).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="A report for people, or JSON for tools.")
@reports_errors
def diff_command(old: str, new: str | None, at: str | None, fmt: str) -> None:
    """Show every decision that changes between two versions of a pack.

    OLD and NEW are .policy files, pack folders, installed pack ids (the latest edition) or
    editions of installed packs as ID@VERSION (e.g. vara@1.1.0). With only one
    argument, a file or folder, it is compared with the installed pack of the same id.
    Every request that matters to either version is decided with both; changes of
    outcome, steps or level are listed per action with example requests. Exit status 0
    when no decision changes, 1 when some do, 2 on bad usage.
    """
    import json

    from engine.authoring.enumeration import DEFAULT_AT
    from engine.authoring.semdiff import diff_packs, render, to_json

    if new is None:
        new_pack = _pack_from(old)
        from engine.core import Engine
        old_pack = Engine.load().pack(new_pack.id)
    else:
        old_pack, new_pack = _pack_from(old), _pack_from(new)
    if old_pack.id != new_pack.id and fmt == "text":
        click.echo(f"note: comparing two different packs, '{old_pack.id}' and '{new_pack.id}'",
                   err=True)
    result = diff_packs(old_pack, new_pack, _date_option(at) if at else DEFAULT_AT)
    if fmt == "json":
        click.echo(json.dumps(to_json(result), ensure_ascii=False, indent=2))
    else:
        click.echo(render(result))
    if result.changes:
        sys.exit(1)



# ---- policy new -------------------------------------------------------------------------

@click.command("new")
@click.argument("pack_id")
@click.option("--name", metavar="TEXT", help='The municipality, e.g. "Exempelby kommun".')
@click.option("--document", metavar="TEXT", default="Riktlinjer för sociala medier",
              show_default=True, help="The guideline's title.")
@click.option("--dated", metavar="YYYY-MM-DD|undated", default="undated", show_default=True,
              help="The date of the guideline.")
@click.option("--dir", "into", type=click.Path(file_okay=False, path_type=pathlib.Path),
              default=".", help="Where to create the pack's folder (default: here).")
@reports_errors
def new_command(pack_id: str, name: str | None, document: str, dated: str,
                into: pathlib.Path) -> None:
    """Start a new pack PACK_ID as a distribution of its own.

    Creates policy-pack-PACK_ID/ with a pyproject.toml (the policy.packs entry point),
    the pack source with its header and every topic, a first test case and a README.
    After `pip install -e policy-pack-PACK_ID`, `policy packs` lists the pack.
    """
    from engine.core import Engine
    from engine.authoring.scaffold import scaffold

    engine = Engine.load()
    taken = {i: p.pack.origin for i, p in engine.loaded.items()}
    taken.update({f.pack_id: f.origin for f in engine.failed if f.pack_id})
    day = None if dated == "undated" else _date_option(dated, "--dated", " or 'undated'")
    created = scaffold(pack_id, into, name=name, document=document, dated=day, taken=taken)
    click.echo(f"created {created.root}:")
    for path in created.files:
        click.echo(f"  {path.relative_to(created.root)}")
    package_dir = created.root / created.package
    click.echo("next:\n"
               f"  pip install -e {created.root}\n"
               f"  policy packs\n"
               f"  policy test {package_dir}\n"
               f"  policy check {created.root}")



@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=pathlib.Path))
@click.option("--coverage", is_flag=True,
              help="Also list, per pack, the rule outcomes that no case exercised.")
@click.option("-q", "--quiet", is_flag=True, help="Print failures and the summary only.")
@reports_errors
def test_command(paths: tuple[Any, ...], coverage: bool, quiet: bool) -> None:
    """Run the test cases of packs (default: every installed pack).

    PATHS are pack folders, .policy files, .tests files or installed packs' ids. Prints a
    line per case and a
    summary 'N passed, N failed'; exits 1 when a case fails (or, with --coverage, when a
    rule outcome is not exercised) and 2 when a pack or test file has errors.
    """
    from engine.errors import PackErrors
    from engine.authoring.installed import looks_like_pack_id
    from engine.authoring.testing import Coverage, check_cases, installed_suites, run_case, suite_from_path

    ids = [str(p) for p in paths if not p.exists() and looks_like_pack_id(str(p))]
    suites = [suite_from_path(p) for p in paths if str(p) not in ids]
    untested: list[str] = []
    if ids or not paths:         # installed packs, with their plugins' words
        installed, untested, errors = installed_suites(ids)
        if errors:
            fail("\n".join(str(e) for e in errors))
        suites += installed
    problems = []
    for suite in suites:
        try:
            check_cases(suite.pack, suite.tests)
        except PackErrors as e:
            problems.append(str(e))
    if problems:
        fail("\n".join(problems))
    cov = Coverage()
    passed = failed = 0
    for suite in suites:
        for case in suite.tests.cases:
            result = run_case(suite.pack, case, cov)
            if result.passed:
                passed += 1
                if not quiet:
                    click.echo(f"PASS {suite.pack.id}: {case.name}")
            else:
                failed += 1
                click.echo(f"FAIL {suite.pack.id}: {case.name} ({result.where})")
                for problem in result.problems:
                    click.echo(f"     {problem}")
    for pack_id in untested:
        click.echo(f"note: pack '{pack_id}' ships no test cases")
    uncovered = 0
    if coverage:
        click.echo("")
        for suite in suites:
            missing = cov.missing(suite.pack)
            total = len(cov.possible(suite.pack))
            uncovered += len(missing)
            click.echo(f"coverage {suite.pack.id}: {total - len(missing)}/{total} rule outcomes "
                       "exercised")
            for rule_id, kind in missing:
                click.echo(f"     not exercised: {rule_id} ({kind})")
    click.echo(f"{passed} passed, {failed} failed")
    if failed or uncovered:
        sys.exit(1)

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
from typing import TYPE_CHECKING, Any

import click

from dsl.dates import date_hint
from engine.cli.common import counted, fail, reports_errors
from engine.cli.register import (print_draft_register, read_document, register_findings,
                                 register_summary)
from engine.cli.targets import iter_sources, pack_targets, read_source

if TYPE_CHECKING:
    from engine.authoring.testing import Suite
    from engine.errors import PolicyError


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
        verdict = (f"{len(changed)} of {counted(total, 'file')} would be reformatted" if changed
                   else f"{counted(total, 'file')} already formatted")
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

@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=pathlib.Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Messages for people, or JSON for tools.")
@click.option("--at", "at", metavar="YYYY-MM-DD",
              help="The date requests are decided at while checking (default 2025-01-01).")
@click.option("--document", "documents", metavar="FILE", multiple=True,
              type=click.Path(path_type=pathlib.Path),
              help="The guideline document (UTF-8 text) of the one pack checked: check the "
                   "pack's sentence register against it. A guideline published as several "
                   "pages: give --document once per page, in the header's 'part' order.")
@click.option("--draft-register", is_flag=True,
              help="With --document: print, as TOML, register entries for the normative "
                   "sentences the register does not account for yet.")
@click.option("--acknowledged", "show_acknowledged", is_flag=True,
              help="Also print the warnings the packs acknowledge ('# check: ignore CODE: "
                   "reason'), with their reasons.")
@reports_errors
def check_command(paths: tuple[pathlib.Path, ...], fmt: str, at: str | None,
                  documents: tuple[pathlib.Path, ...], draft_register: bool,
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

    document = (None if not documents else documents[0] if len(documents) == 1
                else pathlib.Path(" + ".join(map(str, documents))))
    if draft_register and document is None:
        fail("--draft-register needs --document FILE, the guideline document to draft "
             "register entries from")
    day = _date_option(at) if at else DEFAULT_AT
    targets = pack_targets(paths)
    document_text = None
    if document is not None:
        if not paths:
            fail("--document needs the one pack the document belongs to: give the pack's "
                 "folder, its .policy file or its id as PATH")
        if len(targets) != 1:
            fail(f"--document is the guideline of one pack, but the PATHs name "
                 f"{len(targets)} packs ({', '.join(t[1] for t in targets)}); name one")
        document_text = "\n\n".join(read_document(d) for d in documents)
        if draft_register:
            print_draft_register(targets[0], document_text, document)
            return
    reports, summaries = [], []
    for text, origin, tests, tests_origin, words, refused in targets:
        report = check_source(text, origin, tests, tests_origin, day, words)
        found, summary = register_findings(text, origin, document_text, document, words)
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
            click.echo(f"{report.pack_id or '?'}: {counted(report.errors, 'error')}, "
                       f"{counted(report.warnings, 'warning')}"
                       + (f" (and {report.acknowledged} acknowledged)" if report.acknowledged
                          else "")
                       + f" ({report.origin}"
                       + (f"; up to {largest:,} requests decided per check" if largest else "")
                       + (f"; sampled, not exhaustive, for {', '.join(capped)}" if capped else "")
                       + ")")
            if summary is not None and summary.get("document"):
                click.echo(register_summary(summary))
        click.echo(f"{counted(len(reports), 'pack')} checked: {counted(errors, 'error')}, "
                   f"{counted(warnings, 'warning')}")
    if errors:
        sys.exit(1)


def _date_option(text: str, option: str = "--at", also: str = "") -> Any:
    import datetime as dt
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option} must be a date as YYYY-MM-DD{also}, got {text!r}{date_hint(text)}")


# ---- policy diff ------------------------------------------------------------------------

def _pack_from(arg: str) -> Any:
    """A compiled pack from a .policy file, a pack folder, an installed pack's id
    (ID@VERSION: one of its editions), or standard input (-)."""
    from dsl.parser import parse_pack
    from engine.compiler import compile_pack
    from engine.core import Engine

    from engine.authoring.installed import words_beside
    if arg == "-":                   # in the words of the folder it is run in
        return compile_pack(parse_pack(sys.stdin.read(), "<stdin>"),
                            words_beside(pathlib.Path("-.policy"))[0])
    path = pathlib.Path(arg)
    if path.is_dir():
        from engine.plugins import source_files
        found = source_files(path)                    # editors' files left out
        if len(found) != 1:
            fail(f"{path}: a pack folder holds one .policy file; found {len(found)}")
        path = found[0]
    if path.is_file():
        return compile_pack(parse_pack(read_source(path), str(path)), words_beside(path)[0])
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


def _same_file(a: str, b: str) -> bool:
    try:
        return pathlib.Path(a).resolve() == pathlib.Path(b).resolve() and pathlib.Path(a).is_file()
    except OSError:
        return False


def _git_advice(origin: str) -> str:
    """The command comparing ``origin`` with its last commit, from the current folder."""
    path = pathlib.Path(origin).resolve()
    try:
        shown = path.relative_to(pathlib.Path.cwd()).as_posix()
    except ValueError:
        return f"cd {path.parent} && git show HEAD:./{path.name} | policy diff - {path.name}"
    return f"git show HEAD:./{shown} | policy diff - {shown}"


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

    OLD and NEW are .policy files, pack folders, installed pack ids (the latest edition),
    editions of installed packs as ID@VERSION (e.g. vara@1.1.0), or - for standard input
    (git show HEAD:./x.policy | policy diff - x.policy). With only one argument, a file
    or folder, it is compared with the installed pack of the same id (which must not be
    that very file, as an editable install's is).
    Every request that matters to either version is decided with both; changes of
    outcome, steps or level are listed per action with example requests. Exit status 0
    when no decision changes, 1 when some do, 2 on bad usage.
    """
    import json

    from engine.authoring.enumeration import DEFAULT_AT
    from engine.authoring.semdiff import diff_packs, render, to_json

    if old == "-" and new in (None, "-"):
        fail("'-' (standard input) is one version; name the other as a file, folder or "
             "installed pack id: policy diff - NEW")
    if new is None:
        new_pack = _pack_from(old)
        from engine.core import Engine
        old_pack = Engine.load().pack(new_pack.id)
        if _same_file(old_pack.origin, new_pack.origin):
            fail(f"{old} is the installed pack '{new_pack.id}' itself (an editable install), "
                 "so it would be compared with itself; name the version to compare it with as "
                 f"OLD, e.g. the last commit: {_git_advice(new_pack.origin)}")
    else:
        old_pack, new_pack = _pack_from(old), _pack_from(new)
    if fmt == "text":
        if old_pack.id != new_pack.id:
            click.echo(f"note: comparing two different packs, '{old_pack.id}' and "
                       f"'{new_pack.id}'", err=True)
        elif _same_file(old_pack.origin, new_pack.origin):
            click.echo(f"note: OLD and NEW are one file, {new_pack.origin}", err=True)
    result = diff_packs(old_pack, new_pack, _date_option(at) if at else DEFAULT_AT)
    if fmt == "json":
        click.echo(json.dumps(to_json(result), ensure_ascii=False, indent=2))
    else:
        click.echo(render(result))
    if result.changes:
        sys.exit(1)



# ---- policy new -------------------------------------------------------------------------

@click.command("new")
@click.argument("pack_id", required=False)
@click.option("--name", metavar="TEXT",
              help='The municipality as it writes itself, e.g. "Götene kommun" (required).')
@click.option("--document", metavar="TEXT", default="Riktlinjer för sociala medier",
              show_default=True, help="The guideline's title.")
@click.option("--dated", metavar="YYYY-MM-DD|undated", default="undated", show_default=True,
              help="The date of the guideline.")
@click.option("--dir", "into", type=click.Path(file_okay=False, path_type=pathlib.Path),
              default=".", help="Where to create the pack's folder (default: here).")
@reports_errors
def new_command(pack_id: str | None, name: str | None, document: str, dated: str,
                into: pathlib.Path) -> None:
    """Start a new pack PACK_ID as a distribution of its own.

    --name is the municipality's name, Swedish letters and all; PACK_ID, its ASCII id,
    is made from the name when left out (--name "Götene kommun" gives gotene). Creates
    policy-pack-PACK_ID/ with a pyproject.toml (the policy.packs entry point), the pack
    source with its header and every topic, a first test case and a README. After
    `pip install -e policy-pack-PACK_ID`, `policy packs` lists the pack.
    """
    from engine.core import Engine
    from engine.authoring.scaffold import check_name, id_from_name, scaffold, suggest_id

    day = None if dated == "undated" else _date_option(dated, "--dated", " or 'undated'")
    if name is None and pack_id is not None and suggest_id(pack_id) != pack_id:
        # a name where the id goes ("Götene kommun"): it is the name, and the id comes of it
        fail(f"policy new: {pack_id!r} is a name, not a pack id (lower-case ASCII letters, "
             f"digits and '_'): give it in --name, and the id is made from it "
             f"(policy new --name \"{pack_id}\" makes the id {id_from_name(pack_id)})")
    if name is None and pack_id is not None:
        fail(f"policy new {pack_id}: give the municipality's name as it writes itself, with its "
             "å, ä and ö, in --name: an id is ASCII, so the name cannot be read off it "
             f'(policy new {pack_id} --name "…")')
    if name is None:
        fail("policy new: give the municipality's name as it writes itself in --name; the "
             'pack id is made from it (policy new --name "Götene kommun" makes the id gotene)')
    name = check_name(name)
    if pack_id is None:
        pack_id = id_from_name(name)
        click.echo(f"pack id '{pack_id}', made from the name (give PACK_ID to choose another)")
    engine = Engine.load()
    taken = {i: p.pack.origin for i, p in engine.loaded.items()}
    taken.update({f.pack_id: f.origin for f in engine.failed if f.pack_id})
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
def test_command(paths: tuple[pathlib.Path, ...], coverage: bool, quiet: bool) -> None:
    """Run the test cases of packs (default: every installed pack).

    PATHS are pack folders, folders of pack folders (searched recursively), .policy or
    .tests files, or installed pack ids; a pack's cases are the .tests file beside its
    .policy file. Prints a line per case and a summary 'N passed, N failed'; exits 1 when
    a case fails (or, with --coverage, when a rule outcome is not exercised) and 2 when a
    pack or test file has errors.
    """
    from engine.authoring.testing import Coverage, check_cases, installed_suites, run_case
    from engine.errors import PolicyError

    if paths:
        suites, untested, errors = _suites(paths)
        if not suites and not errors:
            fail(f"{', '.join(map(str, paths))}: no pack there ships test cases (a pack's "
                 "cases are the .tests file beside its .policy file)")
    else:
        suites, untested_ids, errors = installed_suites()
        untested = [f"pack '{pack_id}'" for pack_id in untested_ids]
    problems = [str(e) for e in errors]
    for suite in suites:
        try:
            check_cases(suite.pack, suite.tests)
        except PolicyError as e:
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
    for what in untested:
        click.echo(f"note: {what} ships no test cases")
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


def _suites(paths: tuple[pathlib.Path, ...]
            ) -> tuple[list[Suite], list[str], list[PolicyError]]:
    """The suites of the packs PATHS name; the packs without cases (an edition, say);
    every pack or test file that does not load. A .policy or .tests file named on its
    own must have its partner."""
    from dsl.parser import parse_pack, parse_tests
    from engine.authoring.testing import Suite
    from engine.compiler import compile_pack
    from engine.errors import PackLoadError, PolicyError

    for path in paths:
        partner = path.with_suffix(".tests" if path.suffix == ".policy" else ".policy")
        if path.suffix in (".policy", ".tests") and path.is_file() and not partner.is_file():
            raise PackLoadError(f"{partner}: no such file (the partner of {path})",
                                code="unreadable-pack")
    suites: list[Suite] = []
    untested: list[str] = []
    errors: list[PolicyError] = []
    for target in pack_targets(paths):
        if target.tests is None:
            untested.append(target.origin)
            continue
        if target.refused is not None:
            errors.append(target.refused)
            continue
        try:
            pack = compile_pack(parse_pack(target.text, target.origin), target.vocabulary)
            suites.append(Suite(pack, parse_tests(target.tests, target.tests_origin or "?")))
        except PolicyError as e:
            errors.append(e)
    return suites, untested, errors

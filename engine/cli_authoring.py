"""The ``policy`` commands for pack authors: ``fmt``, ``check``, ``diff`` and ``new``.

Registered on the main command group at the end of ``engine.cli``. Like the other
commands, each imports what it needs when it runs, and bad usage ends with one
``error: …`` line on stderr and exit status 2. Findings are not bad usage: ``fmt
--check`` exits 1 when a file is not formatted, ``check`` exits 1 on errors (0 when there
are only warnings), ``diff`` exits 1 when the decisions differ.
"""

from __future__ import annotations

import difflib
import pathlib
import sys
from typing import Any, Iterable, Iterator

import click

from engine.cli import fail, reports_errors

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
    from engine.errors import PackLoadError
    try:
        return path.read_text(encoding="utf-8")
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
    standard output. Files are rewritten in place. A file that does not parse is
    reported with its errors and left alone (exit 2).
    """
    from dsl.formatter import format_source
    from engine.errors import PolicyError

    if pathlib.Path("-") in paths:
        if len(paths) > 1:
            fail("'-' (standard input) cannot be combined with other paths")
        text = sys.stdin.read()
        result = format_source(text, "<stdin>")
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
            result = format_source(text, str(path))
        except PolicyError as e:
            errors.append(str(e))
            continue
        if result == text:
            continue
        changed.append(path)
        if check:
            _echo_diff(text, result, str(path))
        else:
            path.write_text(result, encoding="utf-8")
            click.echo(f"formatted {path}")
    for error in errors:
        click.echo(f"error: {error}", err=True)
    if check:
        verdict = (f"{len(changed)} of {total} files would be reformatted" if changed
                   else f"{total} files already formatted")
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


def register(main: Any) -> None:
    """Add the authoring commands to the ``policy`` group."""
    main.add_command(fmt_command)

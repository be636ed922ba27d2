"""What the authoring commands' PATH arguments name: pack sources on disk or installed.

``policy check``, ``test`` and ``fmt`` take the same kinds of argument, and read them
here, one way: a ``.policy`` or ``.tests`` file, a pack folder, a folder of pack folders
(searched recursively, hidden folders and editors' files left out), and, for ``check``
and ``test``, the id of an installed pack (``policy check tyreso``: every edition the
pack's distribution installs). ``iter_sources`` lists the files; ``pack_targets`` the
packs, each with its test file where it ships one.

A path that does not exist and is not an installed pack's id is bad usage: one
``error: …`` line naming what was asked for and what is there (a near miss gets "did
you mean").
"""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING, Iterable, Iterator, NamedTuple, Sequence

from engine.authoring.installed import words_beside
from engine.cli.common import fail
from engine.errors import PolicyError

if TYPE_CHECKING:
    from engine.vocabulary import Vocabulary

SOURCE_SUFFIXES = (".policy", ".tests")


class Target(NamedTuple):
    """One pack source to check or test, with its test cases where it ships them, the
    words to check it in (installed plugins' and a pack folder's own ``vocabulary.toml``;
    None: the contract's) and, when its plugin's words were refused, why."""

    text: str
    origin: str
    tests: str | None
    tests_origin: str | None
    vocabulary: "Vocabulary | None" = None
    refused: "PolicyError | None" = None


def iter_sources(paths: Iterable[pathlib.Path]) -> Iterator[pathlib.Path]:
    """Every ``*.policy`` and ``*.tests`` file named or under the named folders, in order.

    Folders are searched recursively, skipping hidden ones and editors' files; a path
    that does not exist, or a folder without sources, is bad usage.
    """
    from engine.plugins import is_source_name

    seen: set[pathlib.Path] = set()
    for path in paths:
        if not path.exists():
            fail(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if is_source_name(p.name, SOURCE_SUFFIXES) and p.is_file()
                           and not any(part.startswith(".")
                                       for part in p.relative_to(path).parts))
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


def installed_targets() -> dict[str, list[Target]]:
    """The sources every installed plugin offers, by pack id, without compiling them (a
    source whose header cannot be read is filed under '?')."""
    from engine.authoring.installed import installed_sources

    found: dict[str, list[Target]] = {}
    try:
        sources = installed_sources()
    except PolicyError as e:
        fail(str(e))
    for s in sources:
        found.setdefault(s.pack_id or "?", []).append(Target(
            s.source.text, s.source.origin, s.source.tests, s.source.tests_origin,
            s.vocabulary, s.refused))
    return found


def pack_targets(args: Sequence[pathlib.Path], *, installed_ids: bool = True) -> list[Target]:
    """The packs ``args`` name (every installed pack when there are none), in order."""
    if not args:
        return [t for targets in installed_targets().values() for t in targets]
    out: list[Target] = []
    done: set[str] = set()
    installed: dict[str, list[Target]] | None = None
    for arg in args:
        if not arg.exists() and installed_ids and _could_be_an_id(arg):
            if installed is None:
                installed = installed_targets()
            for target in installed.get(str(arg)) or _unknown(arg, installed):
                if target.origin not in done:
                    done.add(target.origin)
                    out.append(target)
            continue
        for target in _on_disk(arg):
            if target.origin not in done:
                done.add(target.origin)
                out.append(target)
    return out


def _could_be_an_id(arg: pathlib.Path) -> bool:
    text = str(arg)
    return not any(c in text for c in "/\\") and arg.suffix not in SOURCE_SUFFIXES


def _unknown(arg: pathlib.Path, installed: dict[str, list[Target]]) -> list[Target]:
    """Fail for an argument that is neither a path nor an installed pack's id, with the
    engine's own suggestion among the installed packs (ids and names)."""
    from engine.core import Engine
    from engine.errors import UnknownPackError
    try:
        Engine.load().pack(str(arg))
    except UnknownPackError as e:
        fail(f"{arg}: no such file or folder, nor an installed pack: {e.message}")
    fail(f"{arg}: no such file or folder; pack '{arg}' is installed but failed to load "
         "(policy packs shows why)")


def _on_disk(path: pathlib.Path) -> Iterator[Target]:
    """Each pack file named or found under ``path``, with the .tests file beside it."""
    from engine.errors import PackLoadError
    seen: set[pathlib.Path] = set()
    for source in iter_sources([path]):
        policy_path = source.with_suffix(".policy")
        if policy_path in seen:
            continue
        if not policy_path.is_file():
            raise PackLoadError(f"{source}: there is no pack file {policy_path.name} beside "
                                "this test file", code="bad-path")
        seen.add(policy_path)
        tests_path = policy_path.with_suffix(".tests")
        tests = read_source(tests_path) if tests_path.is_file() else None
        vocabulary, refused = words_beside(policy_path)
        yield Target(read_source(policy_path), str(policy_path), tests,
                     str(tests_path) if tests is not None else None, vocabulary, refused)

"""The installed entry points of one group, found without importing ``importlib.metadata``.

``importlib.metadata.entry_points(group=...)`` reads every distribution's
``entry_points.txt``; importing it (with the e-mail, zip and CSV modules it needs) is a
fifth of the start of ``policy decide``. :func:`group_entry_points` does the same search
with ``os`` alone for the common layout (folders on ``sys.path`` holding ``.dist-info`` and
``.egg-info`` folders, the standard path finder the only finder of distributions), and
gives up, returning None, on anything else: a zip or ``.egg`` on the path, another finder
of distributions, a file it cannot read or parse. The caller then asks
``importlib.metadata``, so the answer, and any error, is always the one it would give.

What it returns behaves as ``importlib.metadata``'s entry points and distributions do where
``engine.plugins`` uses them (``name``, ``value``, ``group``, ``load()``, ``dist``;
``read_text()``, ``metadata``, ``version``); the rest of a distribution's metadata is read
through ``importlib.metadata`` when asked for.

:func:`package_files` is ``importlib.resources.files`` for the same reason: for a package
in a folder it is that folder, without importing ``importlib.resources``.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from importlib import import_module
from typing import Any

#: ``importlib.metadata.EntryPoint.pattern``: module, optional ``:attr``, optional extras
#: (compiled when an entry point is first loaded, not at import).
_PATTERN = (r'(?P<module>[\w.]+)\s*'
            r'(:\s*(?P<attr>[\w.]+)\s*)?'
            r'((?P<extras>\[.*\])\s*)?$')
_SUFFIXES = (".dist-info", ".egg-info")


class FoundDistribution:
    """An installed distribution's metadata folder (``importlib.metadata.PathDistribution``)."""

    def __init__(self, path: str) -> None:
        self._folder = path

    def read_text(self, filename: str) -> str | None:
        """The text of a metadata file, None when there is none (as importlib reads it)."""
        try:
            with open(os.path.join(self._folder, filename), encoding="utf-8") as f:
                return f.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
            return None

    @functools.cached_property
    def _full(self) -> Any:
        import importlib.metadata
        from pathlib import Path
        return importlib.metadata.PathDistribution(Path(self._folder))

    @property
    def metadata(self) -> Any:
        return self._full.metadata

    @property
    def version(self) -> Any:
        return self._full.version

    @property
    def name(self) -> Any:
        return self._full.name

    def __repr__(self) -> str:
        return f"<distribution at {self._folder!r}>"


class FoundEntryPoint:
    """One entry point (``importlib.metadata.EntryPoint``): ``NAME = MODULE[:ATTR]``."""

    def __init__(self, name: str, value: str, group: str, dist: FoundDistribution) -> None:
        self.name, self.value, self.group, self.dist = name, value, group, dist

    def load(self) -> Any:
        """The module, or the object in it, the entry point names (as importlib loads it)."""
        match = re.match(_PATTERN, self.value)
        module = import_module(match.group("module"))  # type: ignore[union-attr]
        names = filter(None, (match.group("attr") or "").split("."))  # type: ignore[union-attr]
        return functools.reduce(getattr, names, module)

    def __repr__(self) -> str:
        return f"EntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"


def package_files(package: str) -> Any:
    """``importlib.resources.files(package)``: the folder of a package imported from one
    (what importlib's own reader of it answers), else importlib's answer."""
    import importlib.machinery
    spec: Any = import_module(package).__spec__
    loader: Any = getattr(spec, "loader", None)
    if (type(loader) in (importlib.machinery.SourceFileLoader,
                         importlib.machinery.SourcelessFileLoader)
            and spec.submodule_search_locations is not None):
        from pathlib import Path
        return Path(loader.path).parent
    import importlib.resources
    return importlib.resources.files(package)


def group_entry_points(group: str) -> list[FoundEntryPoint] | None:
    """The entry points of ``group`` of every installed distribution (the first of a name
    on ``sys.path``), as ``importlib.metadata.entry_points(group=group)`` finds them; None
    when the installation is laid out in a way this search does not cover."""
    import importlib.machinery
    for finder in sys.meta_path:
        if (getattr(finder, "find_distributions", None) is not None
                and finder is not importlib.machinery.PathFinder):
            return None
    seen: set[str] = set()
    found: list[FoundEntryPoint] = []
    for entry in sys.path:
        folders = _metadata_folders(entry)
        if folders is None:
            return None
        for name, folder in folders:
            if name in seen:
                continue
            seen.add(name)
            points = _read_group(folder, group)
            if points is None:
                return None
            found.extend(points)
    return found


def _metadata_folders(entry: object) -> list[tuple[str, str]] | None:
    """The metadata folders in one ``sys.path`` entry, each with its normalized name, in
    importlib's order (by name, names in order of first appearance); None when unsure."""
    if not isinstance(entry, str) or os.path.basename(entry).lower().endswith(".egg"):
        return None
    try:
        children = os.listdir(entry or ".")
    except NotADirectoryError:          # a zip file: importlib reads it, this does not
        return None
    except OSError:                     # missing or unreadable: nothing there for either
        return []
    by_name: dict[str, list[str]] = {}
    for child in children:
        if not child.lower().endswith(_SUFFIXES):
            continue
        stem, dot, ext = child.rpartition(".")
        name = stem.partition("-")[0]
        if "." + ext not in _SUFFIXES or not name:
            return None                 # importlib would name it by its metadata
        normalized = re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")
        by_name.setdefault(normalized, []).append(os.path.join(entry, child))
    return [(name, folder) for name, folders in by_name.items() for folder in folders]


def _read_group(folder: str, group: str) -> list[FoundEntryPoint] | None:
    """The entry points of ``group`` in one distribution's ``entry_points.txt``, read as
    importlib reads it; None when the file cannot be read or has a line importlib rejects."""
    dist = FoundDistribution(folder)
    try:
        text = dist.read_text("entry_points.txt")
    except (OSError, ValueError):
        return None
    found: list[FoundEntryPoint] = []
    section = None
    for line in map(str.strip, (text or "").splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        if section is None:
            continue
        if "=" not in line:
            return None                 # importlib raises on it: let it
        name, value = map(str.strip, line.split("=", 1))
        if section == group:
            found.append(FoundEntryPoint(name, value, section, dist))
    return found

"""The words ``policy check`` and ``policy test`` check a pack in, and the installed packs.

A pack may use words its plugin brings (``policy_vocabulary``), so each source is checked
against the vocabulary an engine would decide it with, not against the contract's alone:
:func:`installed_sources` hands on every source the installed plugins offer with the
vocabulary of an engine with those plugins and, for a plugin whose words were refused,
the refusal (its pack cannot be checked against words it does not get);
:func:`words_beside` gives a pack file on disk the installed words and those of the
``vocabulary.toml`` in its folder, as ``policy serve --packs`` combines them.
"""

from __future__ import annotations

import functools
from pathlib import Path

import attrs

from engine.errors import PolicyError
from engine.hookspecs import hookimpl
from engine.model import PackSource
from engine.plugins import (guess_pack_id, load_vocabulary, make_plugin_manager,
                            offered_sources)
from engine.vocabulary import Contribution, Vocabulary
from engine.vocabulary_file import FILE_NAME, vocabulary_beside


@attrs.frozen
class InstalledSource:
    """One source an installed plugin offers, with the words to check it against."""

    source: PackSource
    pack_id: str | None
    plugin: str
    vocabulary: Vocabulary
    refused: PolicyError | None = None     # the plugin's words were refused: why


def words_beside(pack_file: Path) -> tuple[Vocabulary, PolicyError | None]:
    """The words to check a pack file on disk in: the installed plugins' and those of the
    ``vocabulary.toml`` beside it (as ``policy serve --packs`` combines them), and why the
    folder's words were refused, if they were. A folder without one gets the installed
    words alone. Built once per folder and version of its file (an editor asks often)."""
    words = pack_file.parent / FILE_NAME
    try:
        stamp = words.stat().st_mtime_ns
    except OSError:
        return installed_words(), None
    return _folder_words(pack_file.parent, stamp)


@functools.lru_cache(maxsize=32)
def _folder_words(folder: Path, stamp: int) -> tuple[Vocabulary, PolicyError | None]:
    pm = make_plugin_manager()
    name = f"file:{folder / FILE_NAME}"
    pm.register(_FolderWords(folder / "pack.policy"), name=name)
    vocabulary, refused = load_vocabulary(pm)
    return vocabulary, refused.get(name)


@functools.lru_cache(maxsize=1)
def installed_words() -> Vocabulary:
    """The words of an engine with the installed plugins (built once per process)."""
    return load_vocabulary(make_plugin_manager())[0]


class _FolderWords:
    """A plugin giving only the words of a pack folder's ``vocabulary.toml``."""

    def __init__(self, pack_file: Path) -> None:
        self.pack_file = pack_file

    @hookimpl
    def policy_vocabulary(self) -> Contribution | None:
        return vocabulary_beside(self.pack_file)


def installed_sources() -> list[InstalledSource]:
    """Every source the installed plugins offer, in plugin order, each with the words of
    an engine with those plugins. Raises :class:`PolicyError` when a plugin fails to give
    its sources."""
    pm = make_plugin_manager()
    vocabulary, refused = load_vocabulary(pm)
    found = []
    for impl in pm.hook.policy_packs.get_hookimpls():
        for source in offered_sources(impl):
            if isinstance(source, PackSource):
                found.append(InstalledSource(source, guess_pack_id(source.text),
                                             impl.plugin_name, vocabulary,
                                             refused.get(impl.plugin_name)))
    return found

"""The installed packs as ``policy check`` and ``policy test`` take them.

Without a PATH, or with an installed pack's id in its place, these commands work on what
the installed plugins offer. A plugin's pack may use words the plugin brings
(``policy_vocabulary``), so each source is checked against the vocabulary an engine
with the same plugins has, not against the contract's alone: ``installed_sources``
hands on every offered source with that vocabulary and, for a plugin whose words were
refused, the refusal (its pack cannot be checked against words it does not get).
"""

from __future__ import annotations

import re
from typing import Sequence

import attrs

from engine.errors import PackLoadError, PolicyError, did_you_mean, one_of
from engine.model import PackSource
from engine.plugins import (guess_pack_id, load_vocabulary, make_plugin_manager,
                            offered_sources)
from engine.vocabulary import Vocabulary

_PACK_ID = re.compile(r"[a-z][a-z0-9_]*\Z")


@attrs.frozen
class InstalledSource:
    """One source an installed plugin offers, with the words to check it against."""

    source: PackSource
    pack_id: str | None
    plugin: str
    vocabulary: Vocabulary
    refused: PolicyError | None = None     # the plugin's words were refused: why


def looks_like_pack_id(text: str) -> bool:
    """Whether a command-line argument could name an installed pack (``tyreso``)."""
    return bool(_PACK_ID.match(text))


def installed_sources(ids: Sequence[str] = ()) -> list[InstalledSource]:
    """Every source the installed plugins offer (only those of the packs ``ids``, if
    given), in plugin order. Raises :class:`PolicyError` when a plugin fails to give its
    sources, and :class:`PackLoadError` for an id no installed plugin offers."""
    pm = make_plugin_manager()
    vocabulary, refused = load_vocabulary(pm)
    found = []
    for impl in pm.hook.policy_packs.get_hookimpls():
        for source in offered_sources(impl):
            if isinstance(source, PackSource):
                found.append(InstalledSource(source, guess_pack_id(source.text),
                                             impl.plugin_name, vocabulary,
                                             refused.get(impl.plugin_name)))
    if not ids:
        return found
    known = {s.pack_id for s in found if s.pack_id}
    unknown_ids = [i for i in ids if i not in known]
    if unknown_ids:
        raise PackLoadError(
            f"{unknown_ids[0]}: no such file or folder, and no installed pack has this id"
            f"{did_you_mean(unknown_ids[0], known)}; installed packs are "
            f"{one_of(sorted(known)) if known else 'none'}", code="bad-path")
    return [s for s in found if s.pack_id in ids]

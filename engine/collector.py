"""Pausing the cyclic garbage collector around work that allocates much and frees little.

Compiling a pack, parsing a large one and deciding a batch whose decisions are kept all
allocate many objects that live on and make no reference cycles; each full collection
would walk every one of them again, so the cost of the work grows faster than its size
(compiling 20,000 rules: about 40 % of the time; a batch of a million decisions: 1.7×
the single call). :func:`collection_paused` pauses automatic collection for a block.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from typing import Iterator

# The collector is the process's, so its pause is counted process-wide: how many blocks
# are running, and whether to resume collection when the last of them ends.
_pause_lock = threading.Lock()
_pauses = 0
_resume = False


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """Pause automatic garbage collection inside the block, and resume it after when it
    was on before the first of the blocks running at once (threads) began."""
    global _pauses, _resume
    with _pause_lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


__all__ = ["collection_paused"]

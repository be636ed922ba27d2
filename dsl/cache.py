"""A content-addressed cache of parsed packs.

Parsing is most of the cost of starting the engine, and a pack's source rarely changes
between two runs of ``policy``. ``parse_pack_cached(text, file)`` returns the same AST as
``dsl.parser.parse_pack``, keeping a pickled copy under a key made from the source, its
file name and the rule language's own files (grammar, AST classes, parser and its
clauses), so any change to either side misses the cache. On a hit, Lark is not even imported.

The cache lives in ``$POLICY_CACHE_DIR``, else ``$XDG_CACHE_HOME/policy-engine``, else
``~/.cache/policy-engine``; ``POLICY_CACHE_DIR=off`` turns it off. It is as trusted as
Python's own ``__pycache__``: only the user who runs the engine should be able to write
it. Any problem with it (unwritable, corrupt entry) falls back to parsing.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import os
import pickle
from pathlib import Path

from dsl import ast


@functools.cache
def _language_hash() -> bytes:
    digest = hashlib.sha256()
    root = importlib.resources.files("dsl")
    for name in ("grammar.lark", "ast.py", "parser.py", "clauses.py"):
        digest.update(root.joinpath(name).read_bytes())
    return digest.digest()


def cache_dir() -> Path | None:
    configured = os.environ.get("POLICY_CACHE_DIR")
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "policy-engine"


def parse_pack_cached(text: str, file: str = "<string>") -> ast.Pack:
    """``dsl.parser.parse_pack``, through the cache when one is available."""
    folder = cache_dir()
    if folder is None or not isinstance(text, str):
        return _parse(text, file)
    digest = hashlib.sha256(_language_hash())
    digest.update(file.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update(text.encode("utf-8", "surrogatepass"))
    path = folder / f"{digest.hexdigest()}.pickle"
    try:
        with open(path, "rb") as f:
            pack = pickle.load(f)
        if isinstance(pack, ast.Pack) and pack.text == text and pack.file == file:
            return pack
    except Exception:  # missing, unreadable or corrupt: parse instead
        pass
    pack = _parse(text, file)
    try:
        import tempfile
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, delete=False) as out:
            pickle.dump(pack, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(out.name, path)
    except OSError:
        pass
    return pack


def _parse(text: str, file: str) -> ast.Pack:
    from dsl.parser import parse_pack
    return parse_pack(text, file)

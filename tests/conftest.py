"""Shared fixtures and the hypothesis profiles.

Profiles: ``ci`` (bounded, used by .ci/run), ``dev`` (the default) and ``long`` (a long
fuzzing run: ``HYPOTHESIS_PROFILE=long python -m pytest``).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import textwrap

import pytest
from hypothesis import HealthCheck, settings

from dsl.parser import parse_pack
from engine.compiler import CompiledPack, compile_pack

# Parsed packs are cached per user; the tests (and the processes they start) use a
# cache of their own, so they neither depend on nor disturb the user's.
os.environ.setdefault("POLICY_CACHE_DIR", tempfile.mkdtemp(prefix="policy-cache-"))

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("long", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

AT = dt.date(2025, 1, 1)

#: The project's own packs. Tests about them name them: another pack installed in the same
#: environment (a municipality's, as the README's walk-through installs one) is no reason
#: for them to fail.
PROJECT_PACKS = ("norsjo", "perstorp", "toreboda", "tyreso", "vara")

# Deliberately broken packs for policy check; their test files are not cases to run.
collect_ignore_glob = ["fixtures/broken/*"]

HEADER = """
pack demo
  name "Demo"
  dated undated
  version "1.0.0"
  default allow
"""


def compile_source(body: str, header: str = HEADER) -> CompiledPack:
    """Compile a pack made of a standard header and ``body``."""
    return compile_pack(parse_pack(textwrap.dedent(header) + textwrap.dedent(body), "demo.policy"))


@pytest.fixture(scope="session")
def engine():
    from engine.core import Engine
    return Engine.load(strict=True)


@pytest.fixture(scope="session")
def project_packs(engine):
    """The project's own packs, by id, in the engine's order."""
    return {pack_id: engine.packs[pack_id] for pack_id in PROJECT_PACKS}



"""The engine and the rule language are typed: mypy passes on engine/ and dsl/ in strict
mode, with the project's configuration and no per-module relaxation beyond the hook specs."""

from __future__ import annotations

import subprocess
import sys

from tests.servers import ROOT


def test_mypy_is_clean_on_the_engine_and_dsl():
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (ROOT / "engine" / "py.typed").exists()

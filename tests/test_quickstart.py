"""The README's quick start: two commands that work on a fresh machine as written.

A Debian system Python refuses ``pip install`` outside a virtual environment
(``externally-managed-environment``, PEP 668), so each command makes the environment it
installs into and runs what it installed from there. CI (``.ci/run``) runs the second
command exactly as the README writes it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the quick start is one block of commands"
    return blocks[0].splitlines()


def test_the_quick_start_is_two_commands_each_in_its_own_virtual_environment():
    commands = quick_start()
    assert len(commands) == 2
    for command in commands:
        steps = command.split(" && ")
        assert steps[0] == "python3 -m venv .venv", command
        for step in steps[1:]:
            # everything after making the environment runs from it
            assert step.startswith(".venv/bin/"), step
    main, tests = commands
    assert main.startswith("python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/policy ")
    assert tests == ("python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && "
                     ".venv/bin/python -m pytest")


def test_ci_runs_the_quick_starts_test_command_as_written():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start()[1] in script.splitlines()


def test_no_document_installs_into_the_systems_python():
    """Every other command of the README and docs runs in the quick start's environment:
    ``python`` and ``pip`` (active) or ``.venv/bin/…``, never ``python3 -m pip`` or
    ``pip3``, which on Debian reach the system's Python."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
             *sorted((ROOT / "packs").glob("*/README.md"))]
    offending = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"```(?:sh|console|text)\n(.*?)```", text, re.S):
            for line in block.splitlines():
                command = line.removeprefix("$ ")
                if re.match(r"(sudo )?(python3 -m pip|pip3|python3 -m pytest|python3 -m bench"
                            r"|python3 bench/)", command):
                    offending.append(f"{page.relative_to(ROOT)}: {line}")
    assert offending == []

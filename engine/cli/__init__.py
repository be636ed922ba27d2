"""The ``policy`` command line.

One module per command group (``decide``, ``authoring``, ``explain``, ``service``,
``editor``), shared helpers in ``common``, click's usage errors made one line in
``usage``; this module only builds the group. A command's module is imported when the
command is called (or listed, for ``policy --help``), and each command imports what it
needs when it runs, so ``policy decide`` loads neither the service nor the authoring tools.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping

import click

from engine.cli.usage import PolicyGroup

#: Every command: its name, and the module and attribute that define it.
COMMANDS: dict[str, tuple[str, str]] = {
    "decide": ("engine.cli.decide", "decide"),
    "packs": ("engine.cli.decide", "packs"),
    "test": ("engine.cli.authoring", "test_command"),
    "explain": ("engine.cli.explain", "explain"),
    "check": ("engine.cli.authoring", "check_command"),
    "diff": ("engine.cli.authoring", "diff_command"),
    "fmt": ("engine.cli.authoring", "fmt_command"),
    "new": ("engine.cli.authoring", "new_command"),
    "serve": ("engine.cli.service", "serve"),
    "log": ("engine.cli.service", "log"),
    "replay": ("engine.cli.service", "replay"),
    "lsp": ("engine.cli.editor", "lsp"),
}


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's commands by name, each imported from its module when first looked up."""

    def __init__(self, where: dict[str, tuple[str, str]]) -> None:
        self._where = dict(where)
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        command = self._loaded.get(name)
        if command is None:
            module, attribute = self._where[name]
            command = self._loaded[name] = getattr(importlib.import_module(module), attribute)
        return command

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._where.setdefault(name, (command.callback.__module__ if command.callback
                                      else __name__, name))
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._where[name]
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


@click.group(cls=PolicyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policy-engine", prog_name="policy")
def main() -> None:
    """Decide requests against Swedish municipalities' social-media guidelines.

    Each municipality's guideline is a rule pack; `policy packs` lists them.
    Start with, for example:

        policy decide tyreso like_page --facts '{"page_category": "commercial"}'
    """


main.commands = LazyCommands(COMMANDS)

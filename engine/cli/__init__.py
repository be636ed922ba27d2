"""The ``policy`` command line.

One module per command group (``decide``, ``authoring``, ``explain``, ``service``,
``editor``), shared helpers in ``common``, click's usage errors made one line in
``usage``; this module only builds the group. Each command imports what it needs when
it runs, so ``policy --help`` stays quick.
"""

from __future__ import annotations

import click

from engine.cli import authoring, decide, editor, explain, service
from engine.cli.usage import PolicyGroup


@click.group(cls=PolicyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policy-engine", prog_name="policy")
def main() -> None:
    """Decide requests against Swedish municipalities' social-media guidelines.

    Each municipality's guideline is a rule pack; `policy packs` lists them.
    Start with, for example:

        policy decide tyreso like_page --facts '{"page_category": "commercial"}'
    """


for command in (decide.decide, decide.packs, authoring.test_command, explain.explain,
                authoring.check_command, authoring.diff_command, authoring.fmt_command,
                authoring.new_command, service.serve, service.log, service.replay,
                editor.lsp):
    main.add_command(command)

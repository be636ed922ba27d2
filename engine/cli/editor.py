"""``policy lsp``: the language server for editors, over standard input and output.

The editor starts it (the VS Code extension in ``editors/vscode/``, Neovim's or Emacs's
LSP client) and speaks the Language Server Protocol with it; ``engine.editor.server``
does the work. The command line only starts it and sends its log to stderr.
"""

from __future__ import annotations

import logging

import click


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the "
              "default and only transport; accepted because editors pass it).")
@click.option("--log-level", type=click.Choice(["error", "warning", "info", "debug"]),
              default="warning", show_default=True, help="How much to log on stderr.")
def lsp(stdio: bool, log_level: str) -> None:
    """Run the language server for .policy and .tests files (over stdio).

    Editors start it: diagnostics (every error and policy check warning, with its code),
    completion, hover, go to definition, references, outline, formatting and quick
    fixes. See docs/authoring.md, "Editors".
    """
    from engine.editor.server import make_server

    logging.basicConfig(level=log_level.upper(), format="policy lsp: %(levelname)s: %(message)s")
    make_server().start_io()
